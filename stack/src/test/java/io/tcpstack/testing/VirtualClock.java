package io.tcpstack.testing;

import java.util.function.LongSupplier;

/** A clock for tests: time stands still until the test moves it. Starts at 0. */
public final class VirtualClock implements LongSupplier {

  private long nowNs;

  public VirtualClock() {
    this(0);
  }

  public VirtualClock(long startNs) {
    this.nowNs = startNs;
  }

  @Override
  public long getAsLong() {
    return nowNs;
  }

  public long nowNs() {
    return nowNs;
  }

  /** Moves the clock to {@code atNs} (never backwards). */
  public VirtualClock set(long atNs) {
    if (atNs - nowNs < 0) {
      throw new IllegalArgumentException("time goes forward: " + atNs + " < " + nowNs);
    }
    nowNs = atNs;
    return this;
  }

  public VirtualClock advance(long ns) {
    return set(nowNs + ns);
  }
}
