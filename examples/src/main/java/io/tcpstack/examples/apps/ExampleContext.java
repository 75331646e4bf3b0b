package io.tcpstack.examples.apps;

import io.tcpstack.examples.cli.Signals;
import io.tcpstack.examples.cli.StackHost;
import io.tcpstack.examples.cli.StackJmx;
import io.tcpstack.examples.cli.UsageException;
import io.tcpstack.runtime.StackRuntime;
import io.tcpstack.wire.Ipv4Address;
import java.io.InputStream;
import java.io.PrintStream;
import java.net.Inet4Address;
import java.util.ArrayList;
import java.util.List;

/**
 * What an {@link Example} gets: the running stack, its own command-line arguments, the terminal,
 * and a way to wait for Ctrl-C.
 */
public final class ExampleContext {

  private final StackHost host;
  private final List<String> args;
  private final InputStream in;
  private final PrintStream out;
  private final PrintStream err;
  private final Signals signals;

  public ExampleContext(StackHost host, List<String> args, InputStream in, PrintStream out, PrintStream err,
      Signals signals) {
    this.host = host;
    this.args = List.copyOf(args);
    this.in = in;
    this.out = out;
    this.err = err;
    this.signals = signals;
  }

  public StackRuntime runtime() {
    return host.runtime();
  }

  /**
   * Registers the stack's JMX MBean ({@code io.tcpstack:type=Stack,name=DEVICE@NETNS}) until the
   * result is closed; a stack that cannot is told so in one warning and runs on.
   */
  public StackJmx registerMBean() {
    return StackJmx.register(host);
  }

  /** How many connections may wait to be accepted on each port a server listens on ({@code --backlog}). */
  public int backlog() {
    return host.options().backlog;
  }

  /** The stack's own address. */
  public Inet4Address stackAddress() {
    return Ipv4Address.toInet(host.options().stackAddress);
  }

  /** The kernel side's address on the TUN link (198.18.0.1 by default). */
  public Inet4Address hostAddress() {
    return Ipv4Address.toInet(host.options().hostAddress);
  }

  /** The example's arguments: everything after its name that is not a device/namespace option. */
  public List<String> args() {
    return args;
  }

  public InputStream in() {
    return in;
  }

  public PrintStream out() {
    return out;
  }

  public PrintStream err() {
    return err;
  }

  /** Prints the line tests and scripts wait for: {@code ready: <where the stack is>; <what>}. */
  public void ready(String what) {
    out.println("ready: " + host.describe() + "; " + what);
    out.flush();
  }

  /**
   * For servers that run in the background: prints the ready line ({@link #ready}), waits for
   * Ctrl-C or SIGTERM, and returns the exit status, 0.
   */
  public int serveUntilStopped(String what) throws InterruptedException {
    ready(what);
    awaitStop();
    return 0;
  }

  /** Whether SIGINT or SIGTERM has arrived: a blocked call that fails now failed because of it. */
  public boolean stopping() {
    return signals != null && signals.received() != null;
  }

  /**
   * Blocks until SIGINT or SIGTERM (the launcher then says so, and closes the stack); returns its
   * name. Returns null early if the stack stops on its own (its loop failed, e.g. out of memory):
   * the launcher reports that instead.
   */
  public String awaitStop() throws InterruptedException {
    StackRuntime runtime = host.runtime();
    return signals.await(() -> runtime.isRunning() ? null
        : runtime.failure() != null ? runtime.failure() : new IllegalStateException("the stack stopped"));
  }

  /** Parses {@code --port N} (or {@code --port=N}) from the arguments, else {@code defaultPort}; nothing else allowed. */
  public int portOption(int defaultPort) throws UsageException {
    Options o = options("--port");
    o.noPositionals();
    return o.port("--port", defaultPort);
  }

  /** A tiny parser for the example's options: {@code --name VALUE}, {@code --name=VALUE}, and positionals. */
  public Options options(String... names) throws UsageException {
    return new Options(args, List.of(names));
  }

  /** The example's parsed options. */
  public static final class Options {
    private final List<String> names = new ArrayList<>();
    private final List<String> values = new ArrayList<>();
    private final List<String> positionals = new ArrayList<>();

    Options(List<String> args, List<String> allowed) throws UsageException {
      for (int i = 0; i < args.size(); i++) {
        String a = args.get(i);
        if (!a.startsWith("--")) {
          positionals.add(a);
          continue;
        }
        int eq = a.indexOf('=');
        String name = eq > 0 ? a.substring(0, eq) : a;
        if (!allowed.contains(name)) {
          throw new UsageException("unknown option '" + a + "'");
        }
        String value;
        if (eq > 0) {
          value = a.substring(eq + 1);
        } else if (i + 1 < args.size()) {
          value = args.get(++i);
        } else {
          throw new UsageException(name + " needs a value");
        }
        names.add(name);
        values.add(value);
      }
    }

    /** The last value given for {@code name}, or {@code fallback}. */
    public String get(String name, String fallback) {
      int i = names.lastIndexOf(name);
      return i < 0 ? fallback : values.get(i);
    }

    public int port(String name, int fallback) throws UsageException {
      String v = get(name, null);
      if (v == null) {
        return fallback;
      }
      try {
        int port = Integer.parseInt(v);
        if (port >= 1 && port <= 65535) {
          return port;
        }
      } catch (NumberFormatException e) {
        // reported below
      }
      throw new UsageException(name + " '" + v + "' must be a port number from 1 to 65535");
    }

    public List<String> positionals() {
      return positionals;
    }

    public void noPositionals() throws UsageException {
      if (!positionals.isEmpty()) {
        throw new UsageException("unexpected argument '" + positionals.get(0) + "'");
      }
    }
  }
}
