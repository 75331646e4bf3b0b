package io.tcpstack.device;

/**
 * What an impaired direction of a link counts ({@link FaultInjector}, {@link SimulatedNetwork}).
 * One packet may be counted under several (corrupted and delayed, say); a packet is dropped under
 * exactly one of {@link #DROPPED}, {@link #RATE_DROPPED}, {@link #OVERFLOW_DROPPED}.
 */
public enum ImpairmentCounter {
  /** Packets that entered this direction. */
  PACKETS_IN,
  /** Packets that left it (duplicates included). */
  PACKETS_OUT,
  /** Dropped on purpose ({@code loss}). */
  DROPPED,
  /** Sent twice ({@code dup}); the copy is counted here, not in {@link #PACKETS_IN}. */
  DUPLICATED,
  /** Held back to let a later packet overtake them ({@code reorder}). */
  REORDERED,
  /** One bit flipped ({@code corrupt}). */
  CORRUPTED,
  /** Given a non-zero {@code delay}/{@code jitter} (waits at the rate limiter are not counted here). */
  DELAYED,
  /** Dropped because {@code limit} packets already waited for the rate limiter ({@code rate}). */
  RATE_DROPPED,
  /** Dropped because the direction already held its maximum number of packets (a safety bound). */
  OVERFLOW_DROPPED,
  /** Held packets the wrapped device refused when their time came ({@link FaultInjector} only). */
  DEVICE_ERRORS
}
