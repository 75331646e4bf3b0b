package io.tcpstack.tcp;

import static io.tcpstack.tcp.SeqNum.ge;
import static io.tcpstack.tcp.SeqNum.le;
import static io.tcpstack.tcp.SeqNum.lt;

import io.tcpstack.wire.TcpHeader;

/**
 * The TCP Timestamps option of one connection (RFC 7323 §3–§5): whether it is in use, our TS clock,
 * and the receiver's variables TS.Recent and Last.ACK.sent with the rules that keep them — which
 * timestamp our segments echo (§4.3), PAWS (§5.3) — and the RTT a TSecr measures (§4.1). Stack
 * thread only; no clock: time is passed in.
 *
 * <p><b>Our TS clock</b> ticks every {@link #TICK_NS} (1 ms, the fastest RFC 7323 §5.4 allows, as
 * Linux) from the stack's monotonic clock, plus a per-connection {@link #offset} (§5.4, §7.1: a
 * random offset keeps the clock's origin — the host's uptime — private). The offset is a keyed hash
 * of the 4-tuple ({@link IsnGenerator#timestampOffset}), not of the ISN: a successive incarnation
 * of the same 4-tuple gets the same offset, so its timestamps keep increasing across incarnations
 * as RFC 6191 needs, while different connections cannot be correlated.
 *
 * <p>Timestamps compare modulo 2^32, as sequence numbers do (RFC 7323 §5.2), so {@link SeqNum}
 * does it.
 */
final class Timestamps {

  /** One tick of our TS clock: 1 ms (RFC 7323 §5.4: between 1 ms and 1 s per tick). */
  static final long TICK_NS = 1_000_000L;

  /**
   * RFC 7323 §5.5: a TS.Recent older than 24 days may be from before the peer's 1 ms clock
   * wrapped half-way (2^31 ms is 24.8 days): PAWS no longer trusts it, and the next segment's
   * TSval replaces it.
   */
  static final long PAWS_IDLE_NS = 24L * 24 * 60 * 60 * 1_000_000_000L;

  /**
   * TSopt is on our segments: in SYN-SENT, our SYN offers it; from the peer's SYN on, both SYNs
   * carried it (RFC 7323 §3.2) — negotiated.
   */
  boolean enabled;
  /** Added to our TS clock (RFC 7323 §5.4): fixed for the connection's life. */
  int offset;
  /** TS.Recent (RFC 7323 §4.3): the TSval our segments echo in TSecr. */
  int recent;
  /** When {@link #recent} was last set (RFC 7323 §5.5). */
  long recentAgeNs;
  /** Last.ACK.sent (RFC 7323 §4.3): the ACK field of the last segment we sent with ACK. */
  int lastAckSent;
  /**
   * The TSecr of the segment being processed, or 0 when it carries none or has no ACK (RFC 7323
   * §3.2: TSecr is valid only with ACK): what an RTT sample from it would use ({@link #rttSampleNs}).
   */
  int echoed;

  /** Our TSval at {@code nowNs} (RFC 7323 §3.2, §5.4). */
  int tsVal(long nowNs) {
    return tsVal(offset, nowNs);
  }

  /** The TS clock with {@code offset}, at {@code nowNs}: whole ticks since the clock's origin. */
  static int tsVal(int offset, long nowNs) {
    return (int) Math.floorDiv(nowNs, TICK_NS) + offset;
  }

  /**
   * Both SYNs carried TSopt (RFC 7323 §3.2): timestamps are in force; the peer's SYN {@code syn}
   * gives TS.Recent its first value.
   */
  void negotiated(SegmentRepr syn, long nowNs) {
    enabled = true;
    recent = syn.tsVal;
    recentAgeNs = nowNs;
    lastAckSent = SeqNum.add(syn.seq, 1);
  }

  /** The segment {@code seg} arrives: remembers its TSecr for an RTT sample ({@link #echoed}). */
  void arrived(SegmentRepr seg) {
    echoed = enabled && seg.timestamps && seg.has(TcpHeader.FLAG_ACK) ? seg.tsEcr : 0;
  }

  /** A segment with ACK = {@code ack} is leaving: Last.ACK.sent (RFC 7323 §4.3). */
  void ackSent(int ack) {
    lastAckSent = ack;
  }

  /**
   * PAWS, RFC 7323 §5.3 R1: a segment whose TSval is older than TS.Recent is an old duplicate and
   * not acceptable (the caller acknowledges and drops it). A RST is not checked (§5.3, it would
   * otherwise make a stale peer unresettable); nor is anything once TS.Recent is older than {@link
   * #PAWS_IDLE_NS} (§5.5: the peer's clock may have wrapped since).
   */
  boolean pawsRejects(SegmentRepr seg, long nowNs) {
    return enabled && seg.timestamps && !seg.has(TcpHeader.FLAG_RST) && lt(seg.tsVal, recent) && !stale(nowNs);
  }

  /**
   * RFC 7323 §4.3 (2), and §5.3 R3, for a segment found acceptable: its TSval becomes TS.Recent if
   * it is not older (SEG.TSval &gt;= TS.Recent) and the segment starts at or before what our last
   * ACK acknowledged (SEG.SEQ &lt;= Last.ACK.sent). So an ACK that was delayed echoes the earliest
   * unacknowledged segment, and an ACK for data out of order echoes the segment that last advanced
   * the window, until the one that fills the gap (whose TSval is then echoed). A TS.Recent older
   * than {@link #PAWS_IDLE_NS} is replaced whatever its value (§5.5).
   */
  void maybeUpdateRecent(SegmentRepr seg, long nowNs) {
    if (enabled && seg.timestamps && le(seg.seq, lastAckSent) && (ge(seg.tsVal, recent) || stale(nowNs))) {
      recent = seg.tsVal;
      recentAgeNs = nowNs;
    }
  }

  /** RFC 7323 §5.5: TS.Recent was set more than 24 days ago. */
  private boolean stale(long nowNs) {
    return nowNs - recentAgeNs > PAWS_IDLE_NS;
  }

  /**
   * An RTT measured by a TSecr (RFC 7323 §4.1: RTT = our TS clock now - TSecr), or -1 when there is
   * none: timestamps are off, {@code tsEcr} is 0 (none, or a SYN's; Linux ignores 0 too), or it
   * lies in our future (the peer echoed something we never sent). At least one tick: the RTT lies
   * somewhere within the tick, and 0 would claim it took no time (Linux rounds up the same way).
   * The caller takes it only from an ACK that acknowledges new data (§4.2).
   */
  long rttSampleNs(int tsEcr, long nowNs) {
    if (!enabled || tsEcr == 0) {
      return -1;
    }
    int ticks = tsVal(nowNs) - tsEcr;
    if (ticks < 0) {
      return -1;
    }
    return Math.max(1, ticks) * TICK_NS;
  }
}
