package io.tcpstack.stats;

import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.function.Predicate;
import org.slf4j.Logger;

/**
 * A fixed set of monotonically increasing counters with one writer (the stack thread) and any
 * number of readers.
 *
 * <p>Increments are allocation-free and lock-free: the single writer reads, adds and publishes with
 * release semantics ({@code lazySet}), which costs no more than a plain store on x86. Readers on
 * other threads see every published value in order. Only the stack thread may call {@link #add};
 * that is the price of not paying for atomic read-modify-write on the per-packet path.
 *
 * @param <E> the enum whose constants name the counters
 */
public final class CounterSet<E extends Enum<E>> {

  private final Class<E> keys;
  private final E[] constants;
  private final AtomicLongArray values;
  /** Counters whose increments are logged at DEBUG on {@link #log} (drops: see {@link #CounterSet(Class, Predicate, Logger)}). */
  private final boolean[] logged;
  private final Logger log;

  /**
   * One counter per constant of {@code keys}, all at zero, none logged.
   *
   * @param keys the enum class whose constants name the counters; not null
   */
  public CounterSet(Class<E> keys) {
    this(keys, counter -> false, null);
  }

  /**
   * Counters of which those {@code logged} are also logged at DEBUG on {@code log} when it is
   * enabled — the stack logs each drop with its reason this way. A flood must not become a flood of
   * lines: each counter logs its first {@value #LOGGED_IN_FULL} increments, then only when its value
   * reaches a power of two, saying so. When DEBUG is off, an increment costs one array read more.
   *
   * @param keys the enum class whose constants name the counters; not null
   * @param logged which counters' increments are logged; not null
   * @param log where they are logged, or null to log none
   */
  public CounterSet(Class<E> keys, Predicate<E> logged, Logger log) {
    this.keys = keys;
    this.constants = keys.getEnumConstants();
    this.values = new AtomicLongArray(constants.length);
    this.logged = new boolean[constants.length];
    this.log = log;
    for (E constant : constants) {
      this.logged[constant.ordinal()] = log != null && logged.test(constant);
    }
  }

  /** Increments of a logged counter that are each logged before the log thins out to powers of two. */
  static final int LOGGED_IN_FULL = 16;

  /**
   * Adds one. Stack thread only.
   *
   * @param counter the counter to increment; not null
   */
  public void increment(E counter) {
    add(counter, 1);
  }

  /**
   * Adds {@code delta}. Stack thread only.
   *
   * @param counter the counter to add to; not null
   * @param delta how much to add; not negative, so that the counter only increases
   */
  public void add(E counter, long delta) {
    int i = counter.ordinal();
    long value = values.get(i) + delta;
    values.lazySet(i, value);
    if (logged[i] && log.isDebugEnabled()) {
      logIncrement(counter, value);
    }
  }

  private void logIncrement(E counter, long value) {
    if (value <= LOGGED_IN_FULL) {
      log.debug("{} (#{})", describe(counter), value);
    } else if (Long.bitCount(value) == 1) {
      log.debug("{} (#{}; logging only at powers of two from #{} on)", describe(counter), value, LOGGED_IN_FULL);
    }
  }

  static String describe(Enum<?> counter) {
    return counter instanceof Described ? ((Described) counter).description()
        : counter.name().toLowerCase(java.util.Locale.ROOT);
  }

  /** A counter that can say what it counts in a sentence, for logs and metric descriptions. */
  public interface Described {
    /**
     * One sentence: what an increment means.
     *
     * @return the description, for logs and metric HELP texts
     */
    String description();
  }

  /**
   * The current value; any thread.
   *
   * @param counter the counter to read; not null
   * @return its value as last published by the stack thread
   */
  public long get(E counter) {
    return values.get(counter.ordinal());
  }

  /**
   * A copy of every counter, in declaration order; any thread.
   *
   * @return a new mutable map from each constant to its value; later increments do not change it
   */
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
