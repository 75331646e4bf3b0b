package io.tcpstack.stats;

import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * A fixed set of monotonically increasing counters with one writer (the stack thread) and any
 * number of readers.
 *
 * <p>Increments are allocation-free and lock-free: the single writer reads, adds and publishes with
 * release semantics ({@code lazySet}), which costs no more than a plain store on x86. Readers on
 * other threads see every published value in order. Only the stack thread may call {@link #add};
 * that is the price of not paying for atomic read-modify-write on the per-packet path.
 */
public final class CounterSet<E extends Enum<E>> {

  private final Class<E> keys;
  private final E[] constants;
  private final AtomicLongArray values;

  public CounterSet(Class<E> keys) {
    this.keys = keys;
    this.constants = keys.getEnumConstants();
    this.values = new AtomicLongArray(constants.length);
  }

  /** Adds one. Stack thread only. */
  public void increment(E counter) {
    add(counter, 1);
  }

  /** Adds {@code delta}. Stack thread only. */
  public void add(E counter, long delta) {
    int i = counter.ordinal();
    values.lazySet(i, values.get(i) + delta);
  }

  /** The current value; any thread. */
  public long get(E counter) {
    return values.get(counter.ordinal());
  }

  /** A copy of every counter, in declaration order; any thread. */
  public Map<E, Long> snapshot() {
    Map<E, Long> copy = new EnumMap<>(keys);
    for (E constant : constants) {
      copy.put(constant, values.get(constant.ordinal()));
    }
    return copy;
  }

  /** Every non-zero counter as {@code name=value} pairs, for logs and the CLI. */
  @Override
  public String toString() {
    StringBuilder s = new StringBuilder();
    for (E constant : constants) {
      long v = values.get(constant.ordinal());
      if (v != 0) {
        if (s.length() > 0) {
          s.append(' ');
        }
        s.append(constant.name().toLowerCase(java.util.Locale.ROOT)).append('=').append(v);
      }
    }
    return s.toString();
  }
}
