package io.tcpstack.tcp.cc;

/**
 * A congestion-control algorithm: the congestion window and the slow-start threshold of one
 * connection, and how they respond to the sender's events (RFC 5681 §3). The connection decides
 * <em>when</em> something happened (new data acknowledged, loss detected by duplicate ACKs, a
 * retransmission timeout, an RTT measured) and what to retransmit; the algorithm decides only how
 * the window moves. So each algorithm ({@link NewReno}, {@link Cubic}) is one class, and the state
 * machine does not change; {@link CongestionAlgorithm} names the ones the stack offers.
 *
 * <p>Sizes are in bytes. Deterministic: time is passed in. Stack thread only.
 */
public interface CongestionControl {

  /** RFC 6928 §2: IW = min(10*MSS, max(2*MSS, 14600)). */
  int RFC6928_IW_SEGMENTS = 10;
  int RFC6928_IW_BYTES = 14_600;

  /** The initial window of RFC 6928 §2 for a send MSS of {@code mss} bytes. */
  static int initialWindow(int mss) {
    return Math.min(RFC6928_IW_SEGMENTS * mss, Math.max(2 * mss, RFC6928_IW_BYTES));
  }

  /** A name for statistics and logs, e.g. {@code "newreno"}. */
  String name();

  /** The connection is synchronized and its send MSS known: set the initial window (RFC 6928). */
  void start(int mss, long nowNs);

  /**
   * Takes over a connection another algorithm has run so far (the application switched algorithm
   * while established, as Linux's {@code TCP_CONGESTION} allows): go on from {@code cwnd} and
   * {@code ssthresh} as they are, with none of the other algorithm's history. Whatever recovery is
   * under way continues with this algorithm's recovery callbacks.
   */
  void resume(int mss, int cwnd, int ssthresh, long nowNs);

  /** The congestion window, in bytes: how much may be in flight. */
  int cwnd();

  /** The slow-start threshold in bytes ({@link Integer#MAX_VALUE} until the first loss). */
  int ssthresh();

  /**
   * New data was acknowledged outside loss recovery.
   *
   * @param ackedBytes bytes newly acknowledged by this ACK
   * @param flightBeforeAck bytes that were in flight when it arrived (to tell whether the window
   *     was the limit: a window that was not filled is not grown, RFC 7661 in spirit)
   */
  void onAck(int ackedBytes, int flightBeforeAck, long nowNs);

  /**
   * A round-trip time was measured (RFC 6298 §3), in the ACK being processed: it reaches the
   * algorithm before that ACK's {@link #onAck}. CUBIC's target window (RFC 9438 §4.2) and HyStart++
   * (RFC 9406 §4.2) use the samples; NewReno without HyStart++ ignores them.
   */
  default void onRttSample(long rttNs, long nowNs) {}

  /** Loss detected by the third duplicate ACK: enter fast recovery (RFC 5681 §3.2 steps 2–3). */
  void onEnterRecovery(int flightSize, long nowNs);

  /** A further duplicate ACK during fast recovery: a segment has left the network (RFC 5681 §3.2 step 4). */
  void onDuplicateAckInRecovery();

  /** A partial ACK during recovery acknowledged {@code ackedBytes} (RFC 6582 §3.2 step 5, partial). */
  void onPartialAck(int ackedBytes);

  /** A full ACK ended recovery; {@code flightSize} is what is still in flight (RFC 6582 §3.2 step 5, full). */
  void onExitRecovery(int flightSize, long nowNs);

  /** The retransmission timer expired (RFC 5681 §3.1 equation 4 and the loss window). */
  void onRetransmitTimeout(int flightSize, long nowNs);

  /**
   * The last window reduction (by {@link #onEnterRecovery} or {@link #onRetransmitTimeout}) proved
   * unneeded — every retransmission of the episode reached the peer twice (D-SACK, RFC 2883 §5,
   * RFC 3708), or an Eifel-style check (RFC 3522) says so: restore the state from before it (RFC
   * 9438 §4.9, RFC 4015 §3.2), never shrinking the window. The caller ends any recovery it had
   * begun. Calling it again, or with no reduction to undo, does nothing. Returns whether there was
   * a reduction to undo; algorithms that keep no such state return false (the default).
   */
  default boolean undo() {
    return false;
  }
}
