package io.tcpstack.examples.launcher;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import jnr.ffi.LibraryLoader;
import sun.misc.Signal;

/**
 * Turns SIGINT and SIGTERM into an orderly stop with exit status 0 — and a failure elsewhere (out
 * of memory on another thread, the stack loop dying) into an orderly stop too, for status 1. The JVM's own handlers would
 * run shutdown hooks and exit with 130/143; replacing them (through {@code sun.misc.Signal}, in the
 * {@code jdk.unsupported} module every JDK ships) lets the main thread clean up and return normally.
 *
 * <p>A process started in the background by a non-interactive shell begins with SIGINT ignored,
 * and the JVM will not install a handler over an ignored signal. The launcher's contract is that
 * SIGINT stops it, so the disposition is first reset to the default with signal(2).
 */
public final class Signals {

  /** The one libc call needed here. */
  public interface LibSignal {
    /** signal(2); returns the previous handler. */
    @jnr.ffi.types.intptr_t
    long signal(int signum, @jnr.ffi.types.intptr_t long handler);
  }

  private static final int SIGINT = 2;
  private static final int SIGTERM = 15;
  private static final long SIG_DFL = 0;

  private final CountDownLatch stop = new CountDownLatch(1);
  private final Thread main = Thread.currentThread();
  private volatile boolean awaiting;
  private volatile String received;
  private volatile Throwable failure;
  /** How often {@link #await(Supplier)} asks whether something failed. */
  private static final long WATCH_MS = 200;

  private Signals() {}

  /**
   * Installs the handlers; a second signal while stopping exits at once with 130. The first
   * interrupts the calling thread unless it waits in {@link #await}.
   */
  public static Signals install() {
    Signals s = new Signals();
    LibSignal libc = LibraryLoader.create(LibSignal.class).load("c");
    libc.signal(SIGINT, SIG_DFL);
    libc.signal(SIGTERM, SIG_DFL);
    for (String name : new String[] {"INT", "TERM"}) {
      Signal.handle(new Signal(name), sig -> {
        if (s.stop.getCount() == 0) {
          Runtime.getRuntime().halt(130);
        }
        s.received = "SIG" + sig.getName();
        s.stop.countDown();
        if (!s.awaiting) {
          // The installing thread is busy (connecting, reading, running a command): interrupt it,
          // so a client or the demo stops too instead of ignoring Ctrl-C.
          s.main.interrupt();
        }
      });
    }
    return s;
  }

  /** Blocks until SIGINT or SIGTERM arrives, or {@link #fail}; returns the signal's name (null after a failure). */
  public String await() throws InterruptedException {
    return await(() -> null);
  }

  /**
   * As {@link #await()}, also asking {@code watch} every {@value #WATCH_MS} ms whether something
   * failed (a non-null answer is passed to {@link #fail}).
   */
  public String await(Supplier<Throwable> watch) throws InterruptedException {
    awaiting = true;
    try {
      while (!stop.await(WATCH_MS, TimeUnit.MILLISECONDS)) {
        Throwable t = watch.get();
        if (t != null) {
          fail(t);
        }
      }
    } catch (InterruptedException e) {
      if (stop.getCount() != 0) {
        throw e;
      }
      // the signal's own interrupt, racing with the wait: it is the stop
    }
    return received;
  }

  /**
   * Something failed beyond repair (out of memory, the stack loop died): stops like a signal —
   * waking {@link #await}, or interrupting the installing thread if it is busy — and is kept for
   * {@link #failure()}. The first failure is the one kept. Any thread.
   */
  public void fail(Throwable cause) {
    if (failure == null) {
      failure = cause;
    }
    stop.countDown();
    if (!awaiting) {
      main.interrupt();
    }
  }

  /** What {@link #fail} was given first, or null. */
  public Throwable failure() {
    return failure;
  }

  /** The signal that arrived ({@code "SIGINT"} or {@code "SIGTERM"}), or null. */
  public String received() {
    return received;
  }
}
