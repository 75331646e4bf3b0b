package io.tcpstack.tcp.cc;

/**
 * A congestion-control algorithm: the congestion window and the slow-start threshold of one
 * connection, and how they respond to the sender's events (RFC 5681 §3). The connection decides
 * <em>when</em> something happened (new data acknowledged, loss detected by duplicate ACKs, a
 * retransmission timeout) and what to retransmit; the algorithm decides only how the window moves.
 * So another algorithm (CUBIC, RFC 9438) is one more class, and the state machine does not change.
 *
 * <p>Sizes are in bytes. Deterministic: time is passed in. Stack thread only.
 */
public interface CongestionControl {

  /** A name for statistics and logs, e.g. {@code "newreno"}. */
  String name();

  /** The connection is synchronized and its send MSS known: set the initial window (RFC 6928). */
  void start(int mss, long nowNs);

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

  /** Loss detected by the third duplicate ACK: enter fast recovery (RFC 5681 §3.2 steps 2–3). */
  void onEnterRecovery(int flightSize, long nowNs);

  /** A further duplicate ACK during fast recovery: a segment has left the network (RFC 5681 §3.2 step 4). */
  void onDuplicateAckInRecovery();

  /** A partial ACK during recovery acknowledged {@code ackedBytes} (RFC 6582 §3.2 step 5, partial). */
  void onPartialAck(int ackedBytes);

  /** A full ACK ended recovery; {@code flightSize} is what is still in flight (RFC 6582 §3.2 step 5, full). */
  void onExitRecovery(int flightSize, long nowNs);

  /**
   * The last window reduction proved unneeded (every retransmission of the episode reached the peer
   * twice, RFC 2883 §5): restore what the reduction took, if the algorithm keeps it. No-op by default.
   */
  default void undo() {}

  /** The retransmission timer expired (RFC 5681 §3.1 equation 4 and the loss window). */
  void onRetransmitTimeout(int flightSize, long nowNs);
}
