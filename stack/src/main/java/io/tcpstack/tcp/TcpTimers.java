package io.tcpstack.tcp;

/**
 * A connection's timers as data: one deadline slot per kind, in the manner of smoltcp's timer enum
 * and Aeron's deadlines. Setting or clearing a slot re-files the connection in its layer's {@link
 * DeadlineHeap} under the earliest slot, so the layer knows the next deadline of all connections
 * in O(1) and an idle connection costs nothing per loop turn. Deadlines are {@code nowNs} values,
 * compared by subtraction only.
 */
final class TcpTimers {

  static final long NEVER = DeadlineHeap.NEVER;

  /** RFC 6298: retransmission (of the SYN, data or FIN). */
  static final int RETRANSMIT = 0;
  /** RFC 9293 §3.8.6.1: zero-window probes. */
  static final int PERSIST = 1;
  /** RFC 1122 §4.2.3.6: keep-alive probes. */
  static final int KEEPALIVE = 2;
  /** RFC 5681 §4.2: the latest time a delayed ACK may wait. */
  static final int DELAYED_ACK = 3;
  /** An orphaned connection's wait for the peer's FIN (Linux's {@code tcp_fin_timeout}). */
  static final int FIN_WAIT_2 = 4;
  /** RACK's reordering timer (RFC 8985 §6.3): a segment becomes lost when it expires. */
  static final int REORDER = 5;
  /** The tail loss probe timer (RFC 8985 §7.2). */
  static final int PROBE = 6;
  /**
   * The user timeout (RFC 9293 §3.10.8, RFC 5482): checked when it fires, so the ACKs that keep a
   * connection alive only note the time and never re-file it.
   */
  static final int USER_TIMEOUT = 7;
  /** The end of a lingering close's time (an {@code SO_LINGER}-like close of the event API). */
  static final int LINGER = 8;
  private static final int KINDS = 9;

  private final long[] at = {NEVER, NEVER, NEVER, NEVER, NEVER, NEVER, NEVER, NEVER, NEVER};
  private final TcpConnection owner;
  /** The earliest of the slots, as filed in the heap. */
  private long earliest = NEVER;

  TcpTimers(TcpConnection owner) {
    this.owner = owner;
  }

  long get(int kind) {
    return at[kind];
  }

  boolean isSet(int kind) {
    return at[kind] != NEVER;
  }

  /** Whether the timer of {@code kind} is set and due at {@code nowNs}. */
  boolean isDue(int kind, long nowNs) {
    return at[kind] != NEVER && at[kind] - nowNs <= 0;
  }

  void set(int kind, long deadlineNs) {
    if (deadlineNs == NEVER) {
      cancel(kind);
      return;
    }
    at[kind] = deadlineNs;
    if (earliest == NEVER || deadlineNs - earliest < 0) {
      earliest = deadlineNs;
      owner.layer.schedule(owner, earliest);
    } else if (deadlineNs != earliest) {
      refile(); // this slot may have been the earliest and moved later
    }
  }

  /** Sets the timer only if it is not already running (RFC 6298 §5.1). */
  void setIfIdle(int kind, long deadlineNs) {
    if (at[kind] == NEVER) {
      set(kind, deadlineNs);
    }
  }

  void cancel(int kind) {
    if (at[kind] != NEVER) {
      at[kind] = NEVER;
      refile();
    }
  }

  void cancelAll() {
    for (int i = 0; i < KINDS; i++) {
      at[i] = NEVER;
    }
    refile();
  }

  /** The earliest deadline of any slot, or {@link #NEVER}. */
  long earliest() {
    return earliest;
  }

  /** The heap removed the owner (its deadline came): nothing is filed until {@link #refile()}. */
  void unfiled() {
    earliest = NEVER;
  }

  /** Files the owner under its earliest slot, if that is not where it is filed already. */
  void refile() {
    long e = NEVER;
    for (long d : at) {
      if (d != NEVER && (e == NEVER || d - e < 0)) {
        e = d;
      }
    }
    if (e != earliest) {
      earliest = e;
      owner.layer.schedule(owner, e);
    }
  }
}
