package io.tcpstack.tcp;

import static io.tcpstack.tcp.SeqNum.diff;
import static io.tcpstack.tcp.SeqNum.ge;

import io.tcpstack.stats.StackCounter;
import io.tcpstack.tcp.cc.CongestionControl;

/**
 * Loss detection and recovery of a connection's sender, driving a {@link CongestionControl}. The
 * retransmission timeout is the sender's. Two ways, chosen at the handshake:
 *
 * <ul>
 *   <li>Without SACK: duplicate ACKs — fast retransmit and NewReno fast recovery (RFC 5681 §3.2, RFC
 *       6582) with limited transmit (RFC 3042).
 *   <li>With SACK (RFC 2018): a {@link Scoreboard} of what the peer holds; losses found by RACK's
 *       time-based test (RFC 8985 §6) and by RFC 6675's IsLost (DupThresh SACKed segments above);
 *       recovery per RFC 6675 §5 — the window is cut once per episode, and what is sent is limited by
 *       the pipe (the octets still in the network), lost segments first (NextSeg rule 1), then new
 *       data; tail loss probes (RFC 8985 §7); D-SACK (RFC 2883) noted, and an episode whose every
 *       retransmission the peer reports as duplicate is undone (RFC 2883 §5).
 * </ul>
 *
 * Stack thread only.
 */
final class LossRecovery implements Scoreboard.Delivered {

  /** RFC 8985 §7.2: the worst-case delayed ACK time added to a probe timeout for a single segment in flight. */
  static final long TLP_WORST_CASE_DELAYED_ACK_NS = 200_000_000L;
  /**
   * The least probe timeout (Linux's choice, which we share): on a sub-millisecond path 2·SRTT is
   * shorter than the time a receiver may take to answer a burst, and every probe would be spurious.
   */
  static final long MIN_PROBE_TIMEOUT_NS = 10_000_000L;
  /** RFC 8985 §6.2 step 4: the reordering window is a quarter of the minimum RTT (times a multiplier). */
  static final int REORDER_WINDOW_DIVISOR = 4;
  /** RFC 8985 §6.2 step 4: the multiplier grows after a D-SACK, at most to this. */
  static final int MAX_REORDER_WINDOW_MULTIPLIER = 16;
  /** The least reordering window once reordering was seen (our choice: the loop's clock is coarse under load). */
  static final long MIN_REORDER_WINDOW_NS = 1_000_000L;

  /** RFC 5681 §3.2: fast retransmit on the third duplicate ACK. */
  static final int DUP_ACK_THRESHOLD = 3;

  /** Replaced only by {@link TcpConnection#setCongestionControl}. */
  CongestionControl cc;
  private final Sender sender;
  private final TcpConnection conn;
  int dupAcks;
  boolean inRecovery;
  /** RFC 6582 "recover": SND.MAX when recovery (or the last timeout) began. */
  int recover;
  /** RFC 6582 §3.2 step 5: the timer is reset only by the first partial ACK. */
  private boolean partialAckSeen;
  long fastRetransmits;
  long duplicateAcksIn;

  // ---- SACK (RFC 2018, RFC 6675) and RACK-TLP (RFC 8985): only once both SYNs offered SACK
  /** SACK is in force: {@link #board} keeps the scoreboard. */
  boolean sack;
  Scoreboard board;
  /** RACK (RFC 8985 §6.1): the most recently sent segment delivered — its time, end and RTT. */
  private boolean rackValid;
  private long rackSentNs;
  /** The transmission order of that segment (see {@link Scoreboard}): what was sent before it. */
  private long rackOrder;
  private long rackRttNs;
  /** RACK.fack: the highest end delivered, to see reordering (RFC 8985 §6.2 step 3). */
  private int rackFack;
  /** RACK.fack before the ACK being processed (see {@link #delivered}). */
  private int rackFackBeforeAck;
  private boolean reorderingSeen;
  private int reorderWindowMultiplier = 1;
  /** The smallest RTT seen (RACK.min_RTT, over the connection's life). */
  private long minRttNs = Long.MAX_VALUE;
  /** The time of the ACK being processed (for {@link #delivered}). */
  private long deliveryNowNs;
  /** RFC 8985 §7: a tail loss probe is out, ending at {@code tlpHighSeq}. */
  private boolean tlpOutstanding;
  private int tlpHighSeq;
  /** This SACK episode already lowered the window a second time for a lost retransmission (RFC 5681 §4.3). */
  private boolean reducedAgain;
  /** D-SACK undo (RFC 2883 §5): retransmissions in this episode, and how many proved unneeded. */
  private int episodeRetransmits;
  private int episodeDsacked;
  long tailLossProbes;
  long sackRecoveries;
  /**
   * Proportional rate reduction (RFC 6937 §3) during a SACK recovery: the octets delivered and sent
   * since it began, the flight when it began, and the window this ACK allows (pipe + sndcnt).
   */
  private long prrDelivered;
  private long prrOut;
  private int recoverFlight;
  private int prrWindow;

  LossRecovery(TcpConnection conn, Sender sender, CongestionControl cc) {
    this.conn = conn;
    this.sender = sender;
    this.cc = cc;
  }

  void start(int iss) {
    recover = iss;
  }

  /**
   * The flight the congestion control sizes ssthresh from (RFC 5681 §3.1 equation 4): with SACK,
   * what the peer does not hold yet — SND.MAX − SND.UNA counts SACKed data too, and could raise
   * ssthresh above the window it had.
   */
  private int ccFlight() {
    return sack ? (int) Math.max(0, sender.flightSize() - board.sackedBytes()) : sender.flightSize();
  }

  /** Both SYNs offered SACK (RFC 2018 §2): recovery by scoreboard from now on. */
  void enableSack() {
    sack = true;
    board = new Scoreboard(64);
    rackFack = sender.sndUna;
  }

  /** How much may be in flight now: cwnd, but not above ssthresh while a SACK recovery lasts (RFC 6675 §5 step 4.2). */
  int sendWindow() {
    return sack && inRecovery ? prrWindow : cc.cwnd();
  }

  /** The sender sent {@code octets} (new or again): PRR counts them while a SACK recovery lasts. */
  void sent(int octets) {
    if (sack && inRecovery) {
      prrOut += octets;
    }
  }

  /**
   * RFC 6937 §3, on each ACK of a SACK recovery: how much may be in flight after it — sending in
   * proportion to what was delivered while the pipe is above ssthresh, so that the window comes
   * down to ssthresh smoothly over the episode instead of stopping and then bursting; below it,
   * slow start back up to ssthresh, at most one MSS more than was delivered (PRR-SSRB).
   */
  private void proportionalRateReduction(long delivered) {
    prrDelivered += Math.max(0, delivered);
    int pipe = board.pipe();
    int ssthresh = cc.ssthresh();
    long sndcnt;
    if (pipe > ssthresh) {
      sndcnt = (prrDelivered * ssthresh + recoverFlight - 1) / Math.max(1, recoverFlight) - prrOut;
    } else {
      long limit = Math.max(prrDelivered - prrOut, delivered) + sender.sendMss;
      sndcnt = Math.min(ssthresh - pipe, limit);
    }
    prrWindow = (int) Math.min(Integer.MAX_VALUE, pipe + Math.max(0, sndcnt));
  }

  /** The octets in the network: RFC 6675's pipe with SACK, else everything sent and not acknowledged. */
  int inFlight() {
    return sack ? board.pipe() : SeqNum.diff(sender.sndNxt, sender.sndUna);
  }

  /**
   * An acceptable ACK on a connection with SACK (RFC 9293 §3.10.7.4 fifth step with RFC 6675 §5):
   * its SACK blocks update the scoreboard, its cumulative acknowledgment frees data, then RACK and
   * IsLost look for losses, and recovery starts or ends. Returns whether SND.UNA advanced.
   */
  boolean onAckWithSack(SegmentRepr seg, long nowNs) {
    int segAck = seg.ack;
    boolean advanced = SeqNum.gt(segAck, sender.sndUna);
    int flightBefore = sender.flightSize();
    deliveryNowNs = nowNs;
    rackFackBeforeAck = rackFack;
    long marksBefore = board.lossMarks();
    long sackedBefore = board.sackedBytes();
    int acked = advanced ? diff(segAck, sender.sndUna) : 0;
    for (int b = 0; b < seg.sackBlocks; b++) {
      int left = seg.sackLeft[b];
      int right = seg.sackRight[b];
      conn.layer.counters().increment(StackCounter.TCP_SACK_BLOCKS_IN);
      if (b == 0 && isDsack(seg, left, right)) {
        onDsack(left, right);
        continue;
      }
      // RFC 2018 §3 / RFC 6675 §3: only blocks within what is outstanding mean anything.
      if (!SeqNum.gt(right, left) || SeqNum.lt(left, sender.sndUna) || SeqNum.gt(right, sender.sndMax())) {
        if (!(SeqNum.le(right, segAck))) {
          conn.layer.counters().increment(StackCounter.TCP_SACK_BLOCKS_INVALID);
        }
        continue;
      }
      board.sack(left, right, this);
    }
    if (advanced) {
      board.acknowledge(segAck, this);
      dupAcks = 0;
      sender.acknowledge(segAck, nowNs, true);
      if (tlpOutstanding && ge(segAck, tlpHighSeq)) {
        tlpOutstanding = false;
      }
      if (!inRecovery && ge(sender.sndUna, recover)) {
        cc.onAck(acked, flightBefore, nowNs);
      }
    } else if (seg.sackBlocks > 0 || seg.payloadLength == 0) {
      dupAcks++;
    }
    long lostRetransmissionsBefore = board.lostRetransmissions();
    detectLosses(nowNs);
    if (inRecovery && board.lostRetransmissions() > lostRetransmissionsBefore) {
      reduceAgain(nowNs);
    }
    if (inRecovery && ge(sender.sndUna, recover)) {
      inRecovery = false; // RFC 6675 §5: the episode ends when everything sent before it is acknowledged
      // RFC 6937 §3: on leaving recovery, cwnd = ssthresh (PRR has brought the pipe there). Both
      // algorithms set min(ssthresh, max(FlightSize, SMSS) + SMSS): given ssthresh, that is ssthresh —
      // not the few segments a flight drained by PRR would leave, to be slow-started back.
      cc.onExitRecovery(cc.ssthresh(), nowNs);
      maybeUndo();
      sender.armProbe(nowNs); // a tail lost right after the episode is probed, not left to the timer
    }
    if (!inRecovery && board.lossMarks() > marksBefore && ge(sender.sndUna, recover)) {
      enterSackRecovery(flightBefore, nowNs);
    }
    if (inRecovery) {
      // RFC 6937: DeliveredData = the change in SND.UNA plus the change in SACKed octets.
      proportionalRateReduction(acked + (board.sackedBytes() - sackedBefore));
    }
    return advanced;
  }

  /** RFC 2883 §4: the first block is a D-SACK if it lies below the cumulative ACK or inside the second block. */
  private static boolean isDsack(SegmentRepr seg, int left, int right) {
    if (SeqNum.le(right, seg.ack) && SeqNum.lt(left, right)) {
      return true;
    }
    return seg.sackBlocks > 1 && SeqNum.le(seg.sackLeft[1], left) && SeqNum.le(right, seg.sackRight[1])
        && SeqNum.lt(left, right);
  }

  /**
   * The peer got [left, right) twice (RFC 2883 §4): a retransmission was unneeded, or the network
   * duplicated. RACK widens its reordering window (RFC 8985 §6.2 step 4); the episode counts it
   * toward an undo.
   */
  private void onDsack(int left, int right) {
    conn.layer.counters().increment(StackCounter.TCP_DSACKS_IN);
    reorderingSeen = true;
    reorderWindowMultiplier = Math.min(reorderWindowMultiplier + 1, MAX_REORDER_WINDOW_MULTIPLIER);
    if (episodeRetransmits > 0) {
      episodeDsacked++;
    }
  }

  private void enterSackRecovery(int flightSize, long nowNs) {
    inRecovery = true;
    reducedAgain = false;
    recover = sender.sndMax();
    cc.onEnterRecovery(flightSize, nowNs);
    prrDelivered = 0;
    prrOut = 0;
    recoverFlight = Math.max(1, flightSize);
    prrWindow = board.pipe();
    episodeRetransmits = 0;
    episodeDsacked = 0;
    fastRetransmits++;
    sackRecoveries++;
    conn.layer.counters().increment(StackCounter.TCP_FAST_RETRANSMITS);
    conn.layer.counters().increment(StackCounter.TCP_SACK_RECOVERIES);
    // RFC 6675 §5 step (4.3): the first segment presumed lost goes at once, whatever the pipe says.
    int first = board.nextLost();
    if (first >= 0) {
      sender.retransmitRecord(first, nowNs);
    }
  }

  /**
   * RFC 5681 §4.3: a retransmission was lost in this episode — a second sign of congestion, so the
   * window comes down a second time: ssthresh from what is in flight now, PRR (RFC 6937) paced
   * toward it afresh, and the episode runs until all sent so far is acknowledged.
   */
  private void reduceAgain(long nowNs) {
    if (reducedAgain) {
      return; // once per episode: the episode now runs to what was sent at the second reduction
    }
    reducedAgain = true;
    int flight = ccFlight();
    cc.onEnterRecovery(flight, nowNs);
    recover = sender.sndMax();
    prrDelivered = 0;
    prrOut = 0;
    recoverFlight = Math.max(1, flight);
    prrWindow = board.pipe();
  }

  /** RFC 2883 §5: every retransmission of the episode reached the peer twice: the losses were not. */
  private void maybeUndo() {
    if (episodeRetransmits > 0 && episodeDsacked >= episodeRetransmits) {
      cc.undo();
      conn.layer.counters().increment(StackCounter.TCP_SPURIOUS_RECOVERY_UNDOS);
    }
    episodeRetransmits = 0;
    episodeDsacked = 0;
  }

  /** A retransmission of the scoreboard's record left (for the undo count). */
  void countRetransmission() {
    episodeRetransmits++;
  }

  /**
   * RACK (RFC 8985 §6.2 step 5) and RFC 6675 IsLost: mark what is lost, and arm the reordering timer
   * for the first segment not lost yet but due to be if nothing arrives.
   */
  void detectLosses(long nowNs) {
    long marksBefore = board.lossMarks();
    long due = Long.MAX_VALUE;
    if (rackValid) {
      due = board.rackDetectLoss(rackOrder, rackRttNs, reorderWindowNs(), nowNs);
      conn.layer.counters().add(StackCounter.TCP_RACK_LOST_SEGMENTS, board.lossMarks() - marksBefore);
    }
    if (!reorderingSeen) {
      board.markLostByDupThresh(DUP_ACK_THRESHOLD); // RFC 6675 §4 IsLost, while no reordering was seen
    }
    conn.layer.counters().add(StackCounter.TCP_SACK_LOST_SEGMENTS, board.lossMarks() - marksBefore);
    if (due != Long.MAX_VALUE) {
      conn.timers.set(TcpTimers.REORDER, due);
    } else {
      conn.timers.cancel(TcpTimers.REORDER);
    }
  }

  /** The reordering timer expired (RFC 8985 §6.3): losses are due; recovery may start. */
  void onReorderTimeout(long nowNs) {
    long marksBefore = board.lossMarks();
    long lostRetransmissionsBefore = board.lostRetransmissions();
    int flight = sender.flightSize();
    detectLosses(nowNs);
    if (inRecovery && board.lostRetransmissions() > lostRetransmissionsBefore) {
      reduceAgain(nowNs);
      proportionalRateReduction(0);
    }
    if (!inRecovery && board.lossMarks() > marksBefore && ge(sender.sndUna, recover)) {
      enterSackRecovery(flight, nowNs);
      proportionalRateReduction(0);
    }
  }

  /**
   * RFC 8985 §6.2 step 4: RACK.reo_wnd — zero once recovery started with no reordering ever seen
   * (losses are losses), else a quarter of the minimum RTT times the multiplier, at most SRTT.
   */
  private long reorderWindowNs() {
    if (!reorderingSeen && inRecovery) {
      return 0;
    }
    long minRtt = minRttNs == Long.MAX_VALUE ? 0 : minRttNs;
    long w = reorderWindowMultiplier * minRtt / REORDER_WINDOW_DIVISOR;
    if (reorderingSeen) {
      // Our clock is read once per turn of the loop, so RTT samples on a fast path are often 0:
      // a path seen to reorder gets at least this much, or reordering would read as loss forever.
      w = Math.max(w, reorderWindowMultiplier * MIN_REORDER_WINDOW_NS);
    }
    long srtt = conn.rtt.srttNs();
    return srtt > 0 ? Math.min(w, Math.max(srtt, MIN_REORDER_WINDOW_NS)) : w;
  }

  /** RFC 8985 §6.2 steps 1–3: a segment the peer now holds updates RACK's most recent delivery. */
  @Override
  public void delivered(int start, int end, int flags, long sentNs, long order) {
    long rtt = deliveryNowNs - sentNs;
    boolean retransmitted = (flags & Scoreboard.EVER_RETRANSMITTED) != 0;
    if (retransmitted && minRttNs != Long.MAX_VALUE && rtt < minRttNs) {
      return; // step 2: maybe the original's ACK — no inference from it
    }
    if (!retransmitted) {
      minRttNs = Math.min(minRttNs, Math.max(0, rtt));
    }
    if (!rackValid || order > rackOrder) {
      rackValid = true;
      rackOrder = order;
      rackSentNs = sentNs;
      rackRttNs = Math.max(0, rtt);
    }
    // Step 3: a segment delivered below one delivered before it, never retransmitted: reordering.
    // The RFC takes an ACK's newly acknowledged segments in ascending order, so only what earlier
    // ACKs delivered counts: this ACK's SACK blocks are read before its cumulative part (and newest
    // first, RFC 2018 §4), and an ACK that both moves the cumulative edge and SACKs above a new hole
    // (a delayed or stretch ACK) would otherwise read as reordering — which turns DupThresh off and
    // widens the reordering window for the rest of the connection.
    if (!retransmitted && SeqNum.lt(end, rackFackBeforeAck)) {
      reorderingSeen = true;
    } else if (SeqNum.gt(end, rackFack)) {
      rackFack = end;
    }
  }

  /**
   * RFC 8985 §7.2: when to send a tail loss probe — 2·SRTT after the last transmission (plus the
   * worst-case delayed ACK when one segment is in flight), never later than the retransmission
   * timer; or {@link Long#MAX_VALUE} when no probe is due (no SACK, in recovery, a probe out, no RTT
   * yet, nothing in flight).
   */
  long probeTimeoutAt(long nowNs) {
    if (!sack || inRecovery || tlpOutstanding || conn.rtt.srttNs() == 0 || sender.flightSize() == 0) {
      return Long.MAX_VALUE;
    }
    long pto = 2 * conn.rtt.srttNs();
    if (sender.flightSize() <= sender.sendMss) {
      pto += TLP_WORST_CASE_DELAYED_ACK_NS;
    }
    return nowNs + Math.max(pto, MIN_PROBE_TIMEOUT_NS);
  }

  /**
   * The probe timer expired (RFC 8985 §7.3): send one new segment if the windows allow, else
   * retransmit the last one; the retransmission timer is restarted.
   */
  void onProbeTimeout(long nowNs) {
    if (!sack || inRecovery || sender.flightSize() == 0) {
      return;
    }
    tlpOutstanding = true;
    tailLossProbes++;
    conn.layer.counters().increment(StackCounter.TCP_TLP_PROBES);
    if (!sender.sendProbeSegment(nowNs)) {
      int last = board.lastIndex();
      if (last >= 0 && (board.flags(last) & Scoreboard.SACKED) == 0) {
        sender.retransmitRecord(last, nowNs);
      }
    }
    tlpHighSeq = sender.sndMax();
    conn.timers.set(TcpTimers.RETRANSMIT, nowNs + conn.rtt.rtoNs());
  }

  /** A new cumulative ACK (RFC 9293 §3.10.7.4 fifth step): congestion control and NewReno recovery. */
  void onNewAck(int segAck, long nowNs) {
    int acked = diff(segAck, sender.sndUna);
    int flightBefore = sender.flightSize();
    if (inRecovery) {
      if (ge(segAck, recover)) {
        // RFC 6582 §3.2 step 5, full acknowledgment: recovery ends.
        inRecovery = false;
        dupAcks = 0;
        sender.acknowledge(segAck, nowNs, true);
        cc.onExitRecovery(sender.flightSize(), nowNs);
      } else {
        // Partial acknowledgment: the next hole is lost too; retransmit it at once. The timer is
        // reset only by the first partial ACK ("impatient" variant).
        sender.acknowledge(segAck, nowNs, !partialAckSeen);
        partialAckSeen = true;
        cc.onPartialAck(acked);
        sender.retransmitHead(nowNs);
      }
      return;
    }
    dupAcks = 0;
    sender.acknowledge(segAck, nowNs, true);
    cc.onAck(acked, flightBefore, nowNs);
  }

  /** RFC 5681 §3.2 and RFC 6582 §3.2: count duplicate ACKs; the third starts fast retransmit. */
  void onDuplicateAck(long nowNs) {
    dupAcks++;
    duplicateAcksIn++;
    conn.layer.counters().increment(StackCounter.TCP_DUP_ACKS_IN);
    if (inRecovery) {
      cc.onDuplicateAckInRecovery(); // step 4: a segment left the network; output may send new data
      return;
    }
    // RFC 6582 §3.2 step 2: only when the ACK covers more than "recover", so one window of losses
    // (or the duplicates a timeout's retransmissions provoke) reduces the window once.
    if (dupAcks == DUP_ACK_THRESHOLD && ge(sender.sndUna, recover)) {
      inRecovery = true;
      partialAckSeen = false;
      recover = sender.sndMax();
      cc.onEnterRecovery(sender.flightSize(), nowNs);
      fastRetransmits++;
      conn.layer.counters().increment(StackCounter.TCP_FAST_RETRANSMITS);
      sender.retransmitHead(nowNs);
    }
  }

  /**
   * RFC 5681 §3.1 after a retransmission timeout: ssthresh from the flight size, cwnd to the loss
   * window; RFC 6582 §3.2 step 1: no fast retransmit for the duplicates this window's
   * retransmissions provoke.
   */
  void onRetransmitTimeout(long nowNs) {
    cc.onRetransmitTimeout(ccFlight(), nowNs);
    inRecovery = false;
    dupAcks = 0;
    recover = sender.sndMax();
    if (sack) {
      // RFC 6675 §5.1, RFC 8985 §6.3: everything not SACKed is lost; resent in order, SACKed data skipped.
      board.markAllLost();
      tlpOutstanding = false;
      episodeRetransmits = 0;
      episodeDsacked = 0;
      conn.timers.cancel(TcpTimers.REORDER);
    }
  }

  /**
   * RFC 3042 limited transmit (RFC 5681 §3.2 SHOULD): on the first and second duplicate ACK, one
   * more new segment each may go beyond cwnd, so a small window still gathers the three duplicates
   * fast retransmit needs. cwnd itself does not change.
   */
  int limitedTransmitAllowance() {
    return !sack && !inRecovery && dupAcks > 0 && dupAcks < DUP_ACK_THRESHOLD && !SeqNum.lt(sender.sndNxt, sender.sndMax())
        ? dupAcks * sender.sendMss : 0;
  }
}
