package io.tcpstack.testing;

import java.util.Collection;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * Interrupts its target thread again and again, every 20-200 µs (seeded), until stopped: what the
 * cancellation tests aim at blocking calls to prove that no interrupt loses or duplicates a byte.
 */
public final class Interrupter {
  private volatile boolean stopped;
  private volatile Thread target;
  private final Thread thread;

  /**
   * Starts interrupting (nothing until {@link #target} names a thread), counting each interrupt in
   * {@code count}; its daemon thread is added to {@code threads}, which the test joins at the end.
   */
  public Interrupter(AtomicLong count, long seed, Collection<Thread> threads) {
    SplittableRandom random = new SplittableRandom(seed);
    this.thread = new Thread(() -> {
      while (!stopped) {
        Thread t = target;
        if (t != null) {
          t.interrupt();
          count.incrementAndGet();
        }
        LockSupport.parkNanos(20_000 + random.nextInt(180_000));
      }
    }, "interrupter");
    thread.setDaemon(true);
    threads.add(thread);
    thread.start();
  }

  public void target(Thread t) {
    target = t;
  }

  /** Stops soon; an interrupt may still come. */
  public void stop() {
    stopped = true;
  }

  /** Stops, and returns once no interrupt can come any more (the caller clears its flag next). */
  public void stopAndJoin() {
    stopped = true;
    while (thread.isAlive()) {
      try {
        thread.join();
      } catch (InterruptedException e) {
        // its last interrupt, when the target joins
      }
    }
  }
}
