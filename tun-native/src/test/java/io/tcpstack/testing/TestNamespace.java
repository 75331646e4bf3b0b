package io.tcpstack.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A fresh network namespace for one test, so that its devices, addresses and traffic never touch
 * the machine's own network. Made with {@code ip netns add}, with {@code lo} up.
 *
 * <p>{@link #close()} kills the processes started in it (by PID, with their descendants) and
 * deletes it; any devices in it go with it. A JVM shutdown hook closes what a test left open.
 * Names are unique per JVM and machine: {@code tcps-t-<pid>-<counter>}.
 *
 * <pre>{@code
 * try (TestNamespace ns = TestNamespace.create();
 *      TunDevice dev = TunDevice.builder().netns(ns.path()).hostAddress(addr, 24).open()) {
 *   ns.ip("-o", "addr", "show", "dev", dev.name()).assertSuccess();
 * }
 * }</pre>
 */
public final class TestNamespace implements AutoCloseable {

  /** Generous: a busy CI machine can be slow; a timeout here means something hangs. */
  public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(30);

  private static final String PREFIX = "tcps-t-";
  private static final AtomicInteger COUNTER = new AtomicInteger();
  private static final Set<TestNamespace> OPEN = ConcurrentHashMap.newKeySet();

  static {
    Runtime.getRuntime().addShutdownHook(new Thread(() -> OPEN.forEach(TestNamespace::close),
        "TestNamespace-cleanup"));
  }

  private final String name;
  private final List<Process> started = new ArrayList<>(); // guarded by itself
  private final AtomicBoolean closed = new AtomicBoolean();

  private TestNamespace(String name) {
    this.name = name;
  }

  /** Creates a namespace with a unique name and sets its {@code lo} up. */
  public static TestNamespace create() {
    String name = PREFIX + ProcessHandle.current().pid() + "-" + COUNTER.incrementAndGet();
    Processes.run(DEFAULT_TIMEOUT, List.of("ip", "netns", "add", name)).assertSuccess();
    TestNamespace ns = new TestNamespace(name);
    OPEN.add(ns);
    try {
      ns.ip("link", "set", "dev", "lo", "up").assertSuccess();
    } catch (RuntimeException | Error e) {
      ns.close();
      throw e;
    }
    return ns;
  }

  public String name() {
    return name;
  }

  /** {@code /run/netns/NAME}, for setns(2) or {@code TunDevice.Builder.netns}. */
  public Path path() {
    return Path.of("/run/netns", name);
  }

  /**
   * Runs {@code command} inside the namespace ({@code ip netns exec NAME command...}) to
   * completion. On timeout kills its process tree and fails the test, saying so.
   */
  public ProcessResult exec(Duration timeout, String... command) {
    return Processes.run(timeout, inside(command));
  }

  /** {@link #exec(Duration, String...)} with {@link #DEFAULT_TIMEOUT}. */
  public ProcessResult exec(String... command) {
    return exec(DEFAULT_TIMEOUT, command);
  }

  /** Runs {@code ip -n NAME args...} with {@link #DEFAULT_TIMEOUT}; handy for inspecting devices. */
  public ProcessResult ip(String... args) {
    List<String> command = new ArrayList<>(List.of("ip", "-n", name));
    command.addAll(List.of(args));
    return Processes.run(DEFAULT_TIMEOUT, command);
  }

  /**
   * Starts {@code command} inside the namespace in the background. Its standard error is merged
   * into its standard output, which the caller reads from {@link Process#getInputStream()} (or
   * not, for commands that print little). {@link #close()} kills it and its descendants.
   */
  public Process start(String... command) {
    if (closed.get()) {
      throw new IllegalStateException("namespace " + name + " is closed");
    }
    try {
      Process process = new ProcessBuilder(inside(command)).redirectErrorStream(true).start();
      synchronized (started) {
        started.add(process);
      }
      return process;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start " + String.join(" ", command) + " in " + name, e);
    }
  }

  /**
   * Kills the processes started here with their descendants, then deletes the namespace.
   * Idempotent; never throws (it runs in cleanup paths and the shutdown hook).
   */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    List<Process> processes;
    synchronized (started) {
      processes = new ArrayList<>(started);
      started.clear();
    }
    for (Process process : processes) {
      Processes.killTree(process.toHandle());
    }
    try {
      killRemainingProcesses();
      ProcessResult deleted = Processes.run(DEFAULT_TIMEOUT, List.of("ip", "netns", "delete", name));
      if (!deleted.succeeded()) {
        System.err.println("TestNamespace: could not delete " + name + ": " + deleted);
      }
    } catch (RuntimeException | Error e) {
      System.err.println("TestNamespace: could not delete " + name + ": " + e);
    } finally {
      OPEN.remove(this);
    }
  }

  @Override
  public String toString() {
    return "TestNamespace[" + name + (closed.get() ? ", closed" : "") + "]";
  }

  /** Anything else still in the namespace (started without {@link #start}), by PID. */
  private void killRemainingProcesses() {
    ProcessResult pids = Processes.run(DEFAULT_TIMEOUT, List.of("ip", "netns", "pids", name));
    long self = ProcessHandle.current().pid();
    pids.stdout().lines().map(String::strip).filter(line -> !line.isEmpty())
        .mapToLong(Long::parseLong)
        .filter(pid -> pid != self)
        .mapToObj(ProcessHandle::of)
        .flatMap(Optional::stream)
        .forEach(Processes::killTree);
  }

  private List<String> inside(String... command) {
    List<String> full = new ArrayList<>(List.of("ip", "netns", "exec", name));
    full.addAll(List.of(command));
    return full;
  }
}
