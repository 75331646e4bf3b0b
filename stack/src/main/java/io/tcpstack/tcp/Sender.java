package io.tcpstack.tcp;

import static io.tcpstack.tcp.SeqNum.add;
import static io.tcpstack.tcp.SeqNum.diff;
import static io.tcpstack.tcp.SeqNum.ge;
import static io.tcpstack.tcp.SeqNum.gt;
import static io.tcpstack.tcp.SeqNum.le;
import static io.tcpstack.tcp.SeqNum.lt;

import io.netty.buffer.ByteBuf;
import io.tcpstack.stats.StackCounter;
import io.tcpstack.wire.TcpHeader;

/**
 * The send side of a connection (RFC 9293 §3.3.1 SND.*): the send buffer, what may go now (the
 * peer's window, the congestion window, sender-side silly-window avoidance, Nagle), transmission
 * and retransmission with RTT timing (RFC 6298, Karn), and the persist timer for a closed window
 * (RFC 9293 §3.8.6.1). Stack thread only.
 *
 * <p>Invariants: {@code sndUna <= sndNxt <= sndMax()}; the buffer holds the bytes from {@code
 * bufSeq} on, where {@code bufSeq} is the sequence number of the first unacknowledged data byte
 * (ISS+1 until the SYN is acknowledged); the FIN, once queued, has sequence number {@code finSeq}
 * right after the last byte.
 */
final class Sender {

  private final TcpConnection conn;
  final SegmentedBuffer buffer;
  LossRecovery recovery;

  int iss;
  /** SND.UNA: the oldest unacknowledged sequence number. */
  int sndUna;
  /** SND.NXT: the next sequence number to send (it goes back after a timeout). */
  int sndNxt;
  /** SND.UP (RFC 9293 §3.3.1), valid once {@link #urgentMode}: the octet after the last urgent one. */
  int sndUp;
  boolean urgentMode;
  /** SND.WND: the peer's window, and the segment that last set it (SND.WL1, SND.WL2). */
  int sndWnd;
  int sndWl1;
  int sndWl2;
  /** Sequence number of the first byte in {@link #buffer}. */
  int bufSeq;
  int sendMss = TcpOptions.DEFAULT_MSS;
  /** RFC 7323 §2.3 Snd.Wind.Shift: the peer's window fields are shifted left by this (0: no scaling). */
  int sndShift;
  /** The application shut down output: a FIN follows the data. */
  boolean finQueued;
  /** Sequence number of our FIN, valid once {@link #finQueued}. */
  int finSeq;
  /** Highest sequence number sent so far (SND.MAX): tells retransmissions apart. */
  int highestSent;
  /** The largest window the peer ever offered (sender SWS avoidance, RFC 9293 §3.8.6.2.1). */
  int maxSndWnd;
  /** End of the last small segment sent (Minshall's refinement of Nagle's algorithm). */
  private int sndSml;
  boolean noDelay;

  // RTT timing (RFC 6298 §3): one segment at a time, sampled when an ACK covers rttEndSeq — from
  // our clock if it was never retransmitted; if it was (Karn), from the ACK's TSecr when timestamps
  // are in use (RFC 7323 §4.1), else not at all.
  private boolean timingRtt;
  private int rttEndSeq;
  private long rttSentNs;
  /** The timed segment was retransmitted: its sample can only come from a TSecr. */
  private boolean rttFromTsEcr;

  // Persist (RFC 9293 §3.8.6.1, RFC 1122 §4.2.2.17).
  private int persistBackoff;
  int probesUnanswered;

  long bytesOut;
  long retransmittedSegments;
  long windowProbes;

  Sender(TcpConnection conn, SegmentedBuffer buffer) {
    this.conn = conn;
    this.buffer = buffer;
  }

  void start(int isn) {
    iss = isn;
    sndUna = isn;
    sndNxt = isn;
    highestSent = isn;
    bufSeq = add(isn, 1);
    sndSml = isn;
  }

  /** SND.MAX: the highest sequence number ever sent. */
  int sndMax() {
    return gt(highestSent, sndNxt) ? highestSent : sndNxt;
  }

  /**
   * The sequence number for a segment that carries no data (a pure ACK, a RST): SND.MAX, the
   * highest the peer may already hold — unless that lies beyond the peer's window, as after a
   * zero-window probe it refused; then the window's right edge, which the peer accepts (Linux's
   * {@code tcp_acceptable_seq}). A RST with SEQ = RCV.NXT is what a peer with a closed window takes
   * (RFC 9293 §3.10.7.4 and RFC 5961 §3.2).
   */
  int acceptableSeq() {
    int max = sndMax();
    int windowEnd = add(sndUna, sndWnd);
    return gt(max, windowEnd) ? windowEnd : max;
  }

  /** Octets sent and not yet acknowledged (the flight size of RFC 5681). */
  int flightSize() {
    return diff(sndMax(), sndUna);
  }

  /** Octets queued and never sent (after a go-back, those from SND.NXT on). */
  int unsent() {
    return buffer.length() - diff(sndNxt, bufSeq);
  }

  /**
   * Queues up to {@code max} readable bytes of {@code src}; returns how many. Fewer than the buffer
   * has room for means the stack's memory ran out: the connection then waits for memory, and its
   * application hears {@code onWritable} when there is some again.
   */
  int queue(ByteBuf src, int max) {
    int wanted = Math.min(Math.min(max, src.readableBytes()), buffer.free());
    int n = buffer.append(src, max);
    if (n < wanted) {
      conn.waitForMemory();
    }
    return n;
  }

  /**
   * RFC 9293 §3.10.2 SEND with the urgent flag: SND.UP, the sequence number following the last
   * urgent octet (MUST-62), is the end of what is queued now. Urgent data of any length (MUST-31).
   */
  void markUrgent() {
    sndUp = add(bufSeq, buffer.length());
    urgentMode = true;
  }

  /**
   * The Urgent Pointer for a segment at {@code seq}, or -1 when it carries none: a segment before
   * SND.UP points at it (RFC 9293 §3.8.5). The field holds 16 bits; urgent data reaching further
   * than that is pointed at 65535 octets on, moving as the segments do (Linux does the same).
   */
  int urgentPointer(int seq) {
    if (!urgentMode || !lt(seq, sndUp)) {
      return -1;
    }
    return Math.min(diff(sndUp, seq), 0xFFFF);
  }

  /** CLOSE: the FIN follows the queued data. */
  void queueFin() {
    finQueued = true;
    finSeq = add(bufSeq, buffer.length());
  }

  boolean finAcknowledged(int segAck) {
    return finQueued && segAck == add(finSeq, 1);
  }

  /** The peer's window from a segment newer than the one that last set it (RFC 9293 §3.10.7.4). */
  void updateWindow(int seq, int segAck, int window) {
    if (lt(sndWl1, seq) || (sndWl1 == seq && le(sndWl2, segAck))) {
      sndWnd = window;
      maxSndWnd = Math.max(maxSndWnd, sndWnd);
      sndWl1 = seq;
      sndWl2 = segAck;
    }
    if (conn.timers.isSet(TcpTimers.PERSIST) && sndWnd > 0) {
      leavePersist();
    }
  }

  /** The window of the segment that synchronized us: taken as is (RFC 7323 §2.2: never scaled in a SYN). */
  void initWindow(int seq, int segAck, int window) {
    sndWnd = window;
    maxSndWnd = Math.max(maxSndWnd, window);
    sndWl1 = seq;
    sndWl2 = segAck;
  }

  // ---------------------------------------------------------------- acknowledgment

  /**
   * SND.UNA advances to {@code segAck}: free acknowledged data, take an RTT sample, manage the
   * timer (restarted only if {@code restartTimer}, RFC 6298 §5.3).
   */
  void acknowledge(int segAck, long nowNs, boolean restartTimer) {
    // The SYN occupies ISS; data starts at bufSeq; the FIN follows the data.
    int dataAcked = diff(segAck, bufSeq);
    int freed = 0;
    if (dataAcked > 0) {
      freed = Math.min(dataAcked, buffer.length()); // not the FIN: it takes no room
      buffer.consume(freed);
      bufSeq = add(bufSeq, freed);
    }
    sndUna = segAck;
    if (lt(sndNxt, sndUna)) {
      sndNxt = sndUna; // after a timeout's go-back: this was sent before and has arrived
    }
    conn.retries = 0;
    if (timingRtt && ge(segAck, rttEndSeq)) {
      timingRtt = false;
      if (!rttFromTsEcr) {
        // Time is the caller's and should not run backwards; if it does, the sample is 0, not an
        // error half-way through processing an ACK.
        conn.rttSample(Math.max(0, nowNs - rttSentNs), nowNs);
      } else {
        // RFC 6298 §3 (Karn) forbids a sample from our clock: the ACK may be for either copy. Its
        // TSecr says which copy it answers (RFC 7323 §4.1, §4.2: from an ACK of new data only).
        long tsRttNs = conn.timestamps.rttSampleNs(conn.timestamps.echoed, nowNs);
        if (tsRttNs >= 0) {
          conn.rttSample(tsRttNs, nowNs);
        }
      }
    }
    // RFC 6298 §5.2/5.3: stop the timer when all is acknowledged, else restart it.
    if (sndUna == sndMax()) {
      conn.timers.cancel(TcpTimers.RETRANSMIT);
      conn.timers.cancel(TcpTimers.PROBE);
    } else {
      if (restartTimer || !conn.timers.isSet(TcpTimers.RETRANSMIT)) {
        conn.timers.set(TcpTimers.RETRANSMIT, nowNs + conn.rtt.rtoNs());
      }
      armProbe(nowNs);
    }
    if (freed > 0) {
      conn.raise(TcpConnection.EVENT_WRITABLE);
    }
  }

  // ---------------------------------------------------------------- sending

  /**
   * Sends the SYN or SYN-ACK. Sent again — after a timeout, for a duplicate SYN, or as the SYN-ACK
   * of a simultaneous open — it is a retransmission, and Karn's rule holds for it as for data
   * (RFC 6298 §3): the timing the first copy started must not give a sample from our clock.
   */
  void sendSyn(int flags, long nowNs) {
    boolean retransmission = highestSent != iss;
    conn.emit(flags, iss, (flags & TcpHeader.FLAG_ACK) != 0 ? conn.receiver.rcvNxt : 0, 0, 0, true, nowNs);
    sndNxt = add(iss, 1);
    highestSent = sndNxt;
    if (retransmission) {
      retransmitted();
    } else {
      startTiming(nowNs);
    }
    armRetransmit(nowNs);
  }

  /**
   * Sends new data (and data after a timeout's go-back) as far as the peer's window, the congestion
   * window, silly-window avoidance and Nagle allow; then the FIN when its turn comes; then arms the
   * persist timer if data waits for a window that is closed.
   */
  void sendData(long nowNs) {
    if (recovery.sack) {
      sendLost(nowNs);
    }
    while (true) {
      int offset = diff(sndNxt, bufSeq);
      int unsent = buffer.length() - offset;
      if (unsent <= 0) {
        break;
      }
      int inFlight = recovery.inFlight();
      int peerRoom = diff(add(sndUna, sndWnd), sndNxt);
      int room = Math.min(peerRoom, recovery.sendWindow() + recovery.limitedTransmitAllowance() - inFlight);
      int n = Math.min(Math.min(unsent, conn.layer.maxSegmentPayload(conn, sendMss)), room);
      if (n > sendMss) {
        // A super-segment for a link that cuts it (TSO): whole segments, and a partial last one
        // only if it could go on its own (the same SWS and Nagle rules as a small segment).
        int whole = n - n % sendMss;
        if (whole < n && !mayTransmit(n - whole, unsent - whole, peerRoom - whole)) {
          n = whole;
        }
      }
      if (n <= 0 || !mayTransmit(n, unsent, peerRoom)) {
        break;
      }
      transmit(offset, n, nowNs);
    }
    if (finQueued && sndNxt == finSeq) {
      // The FIN needs no window: it is sent once every byte before it has been (RFC 9293 §3.10.4).
      conn.emit(TcpHeader.FLAG_FIN | TcpHeader.FLAG_ACK, sndNxt, conn.receiver.rcvNxt, 0, 0, false, nowNs);
      if (lt(sndNxt, sndMax())) {
        countRetransmission();
      } else if (recovery.sack) {
        recovery.board.sent(sndNxt, add(sndNxt, 1), true, nowNs);
      }
      sndNxt = add(sndNxt, 1);
      if (gt(sndNxt, highestSent)) {
        highestSent = sndNxt;
      }
      armRetransmit(nowNs);
    }
    maybeEnterPersist(nowNs);
  }

  /**
   * Whether {@code n} bytes (less than the queued {@code unsent}, or all of them) may go now: RFC
   * 9293 §3.8.6.2.1 (sender silly-window avoidance) and §3.7.4 (Nagle), with Minshall's refinement
   * — a small segment is held only while an earlier small segment is unacknowledged, so the tail of
   * a large write does not wait for a delayed ACK.
   */
  private boolean mayTransmit(int n, int unsent, int peerRoom) {
    if (n >= sendMss || lt(sndNxt, sndMax())) {
      return true; // a full segment, or a retransmission after a timeout's go-back
    }
    if (n < unsent) {
      if (n < peerRoom) {
        return false; // cut short by cwnd: wait for ACKs to open it rather than send a sliver
      }
      // Cut short by the peer's window: only if that is at least half the largest window it
      // offered; otherwise wait for more (the persist timer overrides if nothing is in flight).
      return n >= maxSndWnd / 2;
    }
    // n == unsent: everything queued fits. Nagle holds it while a small segment is in flight.
    if (noDelay || finQueued) {
      return true;
    }
    return !(gt(sndSml, sndUna) && le(sndSml, sndNxt));
  }

  /** Sends {@code n} bytes at SND.NXT ({@code offset} into the send buffer) and advances SND.NXT. */
  private void transmit(int offset, int n, long nowNs) {
    boolean last = n == buffer.length() - offset;
    // After a go-back the segments may be cut differently: a retransmission can reach past SND.MAX.
    int fresh = Math.max(0, Math.min(n, diff(add(sndNxt, n), sndMax())));
    conn.emit(TcpHeader.FLAG_ACK | (last ? TcpHeader.FLAG_PSH : 0), sndNxt, conn.receiver.rcvNxt, offset, n, false, nowNs);
    if (fresh < n) {
      countRetransmission();
    }
    if (fresh > 0) {
      countOut(fresh);
    }
    sndNxt = add(sndNxt, n);
    if (n % sendMss != 0) {
      sndSml = sndNxt; // it ended in a segment shorter than the MSS
    }
    if (gt(sndNxt, highestSent)) {
      highestSent = sndNxt;
    }
    if (fresh == n) {
      startTiming(nowNs); // Karn (RFC 6298 §3): time only segments sent for the first time
    }
    recovery.sent(n);
    if (recovery.sack && fresh > 0) {
      // The scoreboard keeps one record per segment as the link sends it (a super-segment is cut at the MSS).
      int seq = add(sndNxt, -fresh);
      for (int done = 0; done < fresh; ) {
        int len = Math.min(sendMss, fresh - done);
        recovery.board.sent(add(seq, done), add(seq, done + len), false, nowNs);
        done += len;
      }
    }
    armRetransmit(nowNs);
    armProbe(nowNs);
  }

  /** RFC 8985 §7.2: (re)arms the tail loss probe after a transmission or an ACK, if one is due. */
  void armProbe(long nowNs) {
    if (recovery.sack) {
      long at = recovery.probeTimeoutAt(nowNs);
      long rto = conn.timers.get(TcpTimers.RETRANSMIT);
      if (at == Long.MAX_VALUE || (rto != TcpTimers.NEVER && rto - at <= 0)) {
        conn.timers.cancel(TcpTimers.PROBE); // the retransmission timer comes first anyway
      } else {
        conn.timers.set(TcpTimers.PROBE, at);
      }
    }
  }

  /**
   * RFC 6675 §5 step 4 with NextSeg() rule 1: while the pipe leaves room in the window, retransmit
   * the segments the scoreboard holds lost, in sequence order.
   */
  private void sendLost(long nowNs) {
    Scoreboard board = recovery.board;
    int i;
    while ((i = board.nextLost()) >= 0 && recovery.inFlight() < recovery.sendWindow()) {
      retransmitRecord(i, nowNs);
    }
  }

  /** Sends scoreboard record {@code i} again (in pieces of at most the MSS, which may have shrunk). */
  void retransmitRecord(int i, long nowNs) {
    Scoreboard board = recovery.board;
    int start = board.start(i);
    int end = board.end(i);
    if ((board.flags(i) & Scoreboard.FIN) != 0) {
      conn.emit(TcpHeader.FLAG_FIN | TcpHeader.FLAG_ACK, start, conn.receiver.rcvNxt, 0, 0, false, nowNs);
    } else {
      int offset = diff(start, bufSeq);
      int n = diff(end, start);
      for (int done = 0; done < n; ) {
        int len = Math.min(sendMss, n - done);
        conn.emit(TcpHeader.FLAG_ACK, add(start, done), conn.receiver.rcvNxt, offset + done, len, false, nowNs);
        done += len;
      }
    }
    board.retransmitted(i, nowNs);
    recovery.sent(diff(end, start));
    recovery.countRetransmission();
    countRetransmission();
    retransmitted(); // Karn: an ACK from now on could be for either copy
    armRetransmit(nowNs);
  }

  /**
   * RFC 8985 §7.3: a tail loss probe with new data, one segment, if there is data and the peer's
   * window takes it. Returns false when the probe must retransmit instead.
   */
  boolean sendProbeSegment(long nowNs) {
    int offset = diff(sndNxt, bufSeq);
    int unsent = buffer.length() - offset;
    int peerRoom = diff(add(sndUna, sndWnd), sndNxt);
    int n = Math.min(Math.min(unsent, sendMss), peerRoom);
    if (n <= 0) {
      return false;
    }
    transmit(offset, n, nowNs);
    return true;
  }

  /** The retransmission timer expired on a connection with SACK: the scoreboard resends; Karn stops timing. */
  void onTimeoutWithSack() {
    retransmitted();
  }

  private void countOut(int octets) {
    bytesOut += octets;
    conn.layer.counters().add(StackCounter.TCP_OUT_BYTES, octets);
  }

  /**
   * Retransmits the first unacknowledged segment without moving SND.NXT (fast retransmit and
   * partial ACKs, RFC 5681 §3.2 step 2 and RFC 6582 §3.2 step 5): at most one MSS of data, or the
   * FIN if only the FIN is outstanding.
   */
  void retransmitHead(long nowNs) {
    int offset = diff(sndUna, bufSeq);
    int outstanding = Math.min(buffer.length() - offset, diff(sndMax(), sndUna));
    int n = Math.min(sendMss, outstanding);
    if (n > 0) {
      conn.emit(TcpHeader.FLAG_ACK, sndUna, conn.receiver.rcvNxt, offset, n, false, nowNs);
    } else if (finQueued && sndUna == finSeq) {
      conn.emit(TcpHeader.FLAG_FIN | TcpHeader.FLAG_ACK, sndUna, conn.receiver.rcvNxt, 0, 0, false, nowNs);
    } else {
      return;
    }
    countRetransmission();
    retransmitted();
    armRetransmit(nowNs);
  }

  /**
   * RFC 6298 §5.4 after the timer expired: go back to SND.UNA and send again in slow start, the
   * SYN if it is what is unacknowledged.
   */
  void goBack() {
    retransmitted();
    sndNxt = sndUna;
  }

  /**
   * The path MTU fell below the segments in flight, and a router dropped them (they carry DF; RFC
   * 1191): the send MSS becomes {@code mss}, and what is in flight goes again at once from SND.UNA
   * in segments of that size (RFC 1191 §6.4: retransmit "in immediate response", for this
   * connection only). It is not congestion: cwnd and ssthresh stay (RFC 1191 §6.4, Linux's {@code
   * tcp_simple_retransmit}); and, unlike RFC 1191's suggestion of one segment per ACK, the flight is
   * resent up to cwnd, as Linux does — the dropped segments no longer load the path. Karn: none of
   * it is timed. The timer restarts for the data sent now.
   */
  void lowerMss(int mss, long nowNs) {
    sendMss = mss;
    if (sndUna == sndMax() || !conn.state().isSynchronized()) {
      return; // nothing in flight (or only a SYN, which fits any path)
    }
    timingRtt = false;
    conn.timers.set(TcpTimers.RETRANSMIT, nowNs + conn.rtt.rtoNs());
    if (recovery.sack) {
      // With a scoreboard: the segments longer than the new MSS are lost (not congestion: no window
      // change), and go again in pieces of the new size as the pipe allows (Linux's
      // tcp_simple_retransmit); the others are in flight or SACKed.
      recovery.board.markLongerThan(mss);
    } else {
      sndNxt = sndUna;
    }
    sendData(nowNs);
  }

  /** The handshake timed out: the SYN (or SYN-ACK) goes again. */
  void goBackToSyn() {
    retransmitted();
    sndNxt = iss;
    countRetransmission();
  }

  private void countRetransmission() {
    retransmittedSegments++;
    conn.layer.counters().increment(StackCounter.TCP_RETRANS_SEGS);
  }

  /** Starts timing the segment just sent (ending at SND.NXT) unless one is being timed already. */
  private void startTiming(long nowNs) {
    if (!timingRtt) {
      timingRtt = true;
      rttFromTsEcr = false;
      rttEndSeq = sndNxt;
      rttSentNs = nowNs;
    }
  }

  /**
   * Data from SND.UNA on (or the SYN) goes again. Karn (RFC 6298 §3): an ACK covering a
   * retransmitted segment may be for either copy, so our clock cannot time it. Without timestamps
   * the timing stops. With them (RFC 7323 §4.1) the ACK's TSecr is the TSval of the copy it answers:
   * the timing goes on, to be sampled from the TSecr — and if nothing was being timed, the next ACK
   * of new data is, so that a retransmission's RTT collapses the backed-off RTO at once (what Linux
   * does with every ACK, taking the TSecr where its own clock is forbidden).
   */
  private void retransmitted() {
    if (!conn.timestamps.enabled) {
      timingRtt = false;
      return;
    }
    if (!timingRtt) {
      timingRtt = true;
      rttEndSeq = add(sndUna, 1);
    }
    rttFromTsEcr = true;
  }

  void armRetransmit(long nowNs) {
    conn.timers.setIfIdle(TcpTimers.RETRANSMIT, nowNs + conn.rtt.rtoNs());
  }

  // ---------------------------------------------------------------- persist timer

  /**
   * Data waits, nothing is in flight, and the peer's window does not let it go: only the persist
   * timer will find out when the window opens (RFC 9293 §3.8.6.1, RFC 1122 §4.2.2.17).
   */
  private void maybeEnterPersist(long nowNs) {
    if (conn.timers.isSet(TcpTimers.PERSIST) || !conn.state().isSynchronized()) {
      return;
    }
    if (unsent() > 0 && sndNxt == sndUna) {
      persistBackoff = 0;
      conn.timers.set(TcpTimers.PERSIST, nowNs + conn.rtt.rtoNs());
      conn.timers.cancel(TcpTimers.RETRANSMIT);
    }
  }

  private void leavePersist() {
    conn.timers.cancel(TcpTimers.PERSIST);
    persistBackoff = 0;
    if (lt(sndUna, sndNxt)) {
      sndNxt = sndUna; // the probe byte was refused; it goes again with the rest
    }
  }

  /**
   * The peer's window closed under data in flight (RFC 1122 §4.2.2.16): what was in flight beyond
   * it was refused, not lost. Send the earliest octet again as a zero-window probe and let the
   * persist timer go on, so a peer that answers is never timed out (RFC 1122 §4.2.2.17).
   */
  boolean probeInsteadOfRetransmit(long nowNs) {
    if (sndWnd != 0 || buffer.length() <= diff(sndUna, bufSeq)) {
      return false;
    }
    retransmitted();
    sndNxt = sndUna;
    persistBackoff = 0;
    onPersistTimeout(nowNs);
    return true;
  }

  /**
   * The persist timer expired. With a zero window: send one byte beyond it as a probe (RFC 9293
   * §3.8.6.1), and back off. With a small window that silly-window avoidance held back: send what
   * it allows (the RFC's override timeout).
   */
  void onPersistTimeout(long nowNs) {
    conn.timers.cancel(TcpTimers.PERSIST);
    int offset = diff(sndUna, bufSeq);
    int unsent = buffer.length() - offset;
    if (unsent <= 0) {
      return;
    }
    if (probesUnanswered >= conn.config.dataRetries) {
      conn.layer.counters().increment(StackCounter.TCP_TIMEOUTS);
      conn.fail(TcpError.TIMED_OUT); // the peer stopped answering even probes
      return;
    }
    if (sndWnd > 0) {
      sndNxt = sndUna;
      int n = Math.min(Math.min(unsent, sendMss), Math.min(sndWnd, recovery.cc.cwnd()));
      transmit(offset, n, nowNs);
      return;
    }
    boolean retransmission = lt(sndUna, sndMax());
    conn.emit(TcpHeader.FLAG_ACK, sndUna, conn.receiver.rcvNxt, offset, 1, false, nowNs);
    sndNxt = add(sndUna, 1);
    if (gt(sndNxt, highestSent)) {
      highestSent = sndNxt;
    }
    if (!retransmission) {
      countOut(1);
      if (recovery.sack) {
        recovery.board.sent(sndUna, sndNxt, false, nowNs); // the probe byte is data in flight too
      }
    }
    windowProbes++;
    probesUnanswered++;
    conn.layer.counters().increment(StackCounter.TCP_WINDOW_PROBES);
    persistBackoff = Math.min(persistBackoff + 1, 30);
    conn.timers.set(TcpTimers.PERSIST, nowNs + persistIntervalNs());
  }

  /** RTO doubled per probe, at most the maximum RTO (RFC 1122 §4.2.2.17: exponential backoff). */
  private long persistIntervalNs() {
    long interval = conn.rtt.rtoNs();
    for (int i = 0; i < persistBackoff && interval < conn.config.maxRtoNs; i++) {
      interval *= 2;
    }
    return Math.min(interval, conn.config.maxRtoNs);
  }

  /** Nothing in flight and nothing waiting (keep-alive may probe). */
  boolean idle() {
    return sndUna == sndMax() && buffer.length() == diff(sndNxt, bufSeq);
  }
}
