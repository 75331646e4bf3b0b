package io.tcpstack.tcp.cc;

/**
 * The window arithmetic of fast recovery without SACK (RFC 5681 §3.2, RFC 6582 §3.2), which every
 * algorithm here shares: what differs between them is only ssthresh (RFC 5681's half, CUBIC's
 * β_cubic). Sizes in bytes; pure functions.
 */
final class FastRecovery {

  /** RFC 5681 §3.2: the third duplicate ACK starts fast retransmit. */
  static final int DUP_THRESH = 3;

  private FastRecovery() {}

  /** RFC 5681 §3.2 step 3: cwnd = ssthresh + 3·SMSS, for the three segments that left the network. */
  static int inflatedWindow(int ssthresh, int mss) {
    return saturatedAdd(ssthresh, DUP_THRESH * mss);
  }

  /** RFC 5681 §3.2 step 4: each further duplicate ACK adds one SMSS. */
  static int onDuplicateAck(int cwnd, int mss) {
    return saturatedAdd(cwnd, mss);
  }

  /**
   * RFC 6582 §3.2 step 5 (partial acknowledgment): deflate by the amount acknowledged, add back one
   * SMSS if at least one SMSS was acknowledged.
   */
  static int deflatedWindow(int cwnd, int ackedBytes, int mss) {
    return Math.max(mss, cwnd - ackedBytes + (ackedBytes >= mss ? mss : 0));
  }

  /** RFC 6582 §3.2 step 5 (full acknowledgment), option 1: min(ssthresh, max(FlightSize, SMSS) + SMSS). */
  static int windowAtExit(int ssthresh, int flightSize, int mss) {
    return Math.min(ssthresh, Math.max(flightSize, mss) + mss);
  }

  /** {@code a + b}, at most {@link Integer#MAX_VALUE}. */
  static int saturatedAdd(int a, int b) {
    long sum = (long) a + b;
    return sum > Integer.MAX_VALUE ? Integer.MAX_VALUE : (int) sum;
  }
}
