package io.tcpstack.examples.launcher;

import io.tcpstack.TcpStack;
import java.io.IOException;

/**
 * What {@code TcpStack.builder()...open()} returns inside a program that {@code ./tcpstack run}
 * started: the stack its command line describes ({@link ServeOptions}: namespace, device,
 * addresses, impairment, capture), opened by {@link StackHost}, with the stack's JMX MBean
 * registered while it runs. A watcher turns the stack loop dying into an orderly stop ({@link
 * Signals#fail}), so a program waiting for Ctrl-C is not left waiting for nothing.
 */
final class LauncherProvider implements TcpStack.Provider, AutoCloseable {

  /** How often the watcher looks at the stack loop. */
  private static final long WATCH_MS = 200;

  private final ServeOptions options;
  private final Signals signals;
  private volatile StackHost host;
  private volatile TcpStack stack;
  /** What the last open threw, so the launcher reports it as the environment's failure, not the program's. */
  private volatile IOException openFailure;

  LauncherProvider(ServeOptions options, Signals signals) {
    this.options = options;
    this.signals = signals;
  }

  @Override
  public synchronized TcpStack open(boolean ownThread) throws IOException {
    if (host != null) {
      throw new IOException("the program opened a second stack: ./tcpstack run gives it one (" + stack + ")");
    }
    StackHost h;
    try {
      h = StackHost.open(options, !ownThread);
    } catch (IOException e) {
      openFailure = e;
      throw e;
    } catch (RuntimeException e) {
      openFailure = new IOException(e.getMessage(), e);
      throw openFailure;
    }
    StackJmx jmx = StackJmx.register(h); // io.tcpstack:type=Stack,name=DEVICE@NETNS while it runs
    host = h;
    stack = TcpStack.of(h.runtime(), h.deviceName(), options.netns, h.describe(), options.backlog, () -> {
      jmx.close();
      h.close();
    });
    Thread watcher = new Thread(this::watch, "tcpstack-watch");
    watcher.setDaemon(true);
    watcher.start();
    return stack;
  }

  private void watch() {
    StackHost h = host;
    while (true) {
      Throwable failure = h.runtime().failure();
      if (failure != null) {
        signals.fail(failure);
        return;
      }
      if (!h.runtime().isRunning()) {
        return; // closed
      }
      try {
        Thread.sleep(WATCH_MS);
      } catch (InterruptedException e) {
        return;
      }
    }
  }

  /** Whether {@code e} is what opening the stack threw. */
  boolean isOpenFailure(Throwable e) {
    return e != null && e == openFailure;
  }

  /** The stack's loop failure, or null (also when no stack was opened). */
  Throwable stackFailure() {
    StackHost h = host;
    return h == null ? null : h.runtime().failure();
  }

  /** Closes the stack if the program left it open (as when it failed). Idempotent. */
  @Override
  public void close() {
    TcpStack s = stack;
    if (s != null) {
      s.close();
    }
  }
}
