package io.tcpstack.examples.launcher;

import io.tcpstack.TcpStack;
import io.tcpstack.examples.launcher.Examples.Example;
import java.io.InputStream;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;

/**
 * The {@code ./tcpstack} command. Exit status: 0 done (also after SIGINT/SIGTERM), 1 the
 * environment or the network stopped it (no TUN, not permitted, connection refused, ...), 2 a
 * command-line mistake.
 */
public final class Main {

  static final int EXIT_OK = 0;
  static final int EXIT_FAILURE = 1;
  static final int EXIT_USAGE = 2;

  static final String USAGE =
      "usage: tcpstack COMMAND [OPTIONS]\n"
          + "TCP/IP in user space, in Java, on a Linux TUN device.\n\n"
          + "commands:\n"
          + "  demo                        bring the stack up in a throw-away network namespace, show ping, nc and\n"
          + "                              curl talking to it, tear everything down (needs root)\n"
          + ServeOptions.USAGE
          + "      serve runs the services example: echo (TCP 7), discard (9), chargen (19), http (80), UDP echo\n"
          + "      (7); and ping.\n"
          + "  run EXAMPLE [ARGUMENTS] [the options of serve]\n"
          + "      Runs one example program (a main in examples/src/main/java/io/tcpstack/examples) on the stack\n"
          + "      those options describe; servers default to the port shown:\n"
          + Examples.usage()
          + "  test                        install what the tests need (as root) and run them all\n"
          + "  bench [run] [OPTIONS]       the comparison with Linux's TCP: throughput, latency, CPU per GiB, the\n"
          + "                              stack with --offload on and off, 3 runs each, medians, one table; also\n"
          + "                              'bench throughput' (bench/throughput --help; needs root and ab)\n"
          + "  bench loss [OPTIONS]        through random loss on a routed path (client, router, server\n"
          + "                              namespaces): throughput kept at 1% loss each way by the stack and by\n"
          + "                              Linux, 100 MB each way at 5% byte-exact (bench/loss --help; needs root)\n"
          + "  bench scale [OPTIONS]       the scale benchmark: the stack against Linux's TCP, one table\n"
          + "                              (bench/scale --help; needs root and ab from apache2-utils)\n"
          + "  bench jmh [--quick] [ARGS]  microbenchmarks (JMH) of the hot paths: checksum, header views, a\n"
          + "                              segment in and out of a connection (bench/jmh --help; no root)\n"
          + "  soak [--minutes N] [OPTIONS] hundreds of connections doing mixed work (echo, half-close, bulk,\n"
          + "                              abort) through --impair for N minutes, every byte checked, RSS and\n"
          + "                              connections sampled (bench/soak --help; needs root)\n"
          + "  fuzz TARGET [--minutes N]   coverage-guided fuzzing (Jazzer) of one target: headers, reassembly\n"
          + "                              or segments, for N minutes (default 10); findings become regression\n"
          + "                              cases of 'test' (docs/fuzzing.md; no root)\n"
          + "  --help                      this text\n\n"
          + "Servers print a line starting with 'ready' once serving; SIGINT or SIGTERM stop them (exit 0).\n"
          + "Needs root or CAP_NET_ADMIN, or a persistent TUN device prepared for the user (--tun DEV).\n";

  private Main() {}

  public static void main(String[] args) {
    LogOption.applyEarly(Arrays.asList(args)); // before any logger exists: slf4j-simple fixes levels then
    int status;
    try {
      status = run(Arrays.asList(args), System.in, System.out, System.err);
    } catch (OutOfMemoryError e) {
      System.err.println("tcpstack: error: " + JvmMemory.outOfMemory(e));
      status = EXIT_FAILURE;
    }
    System.exit(status);
  }

  static int run(List<String> args, InputStream in, PrintStream out, PrintStream err) {
    if (args.isEmpty()) {
      err.println("tcpstack: error: a command is needed (see ./tcpstack --help)");
      return EXIT_USAGE;
    }
    String command = args.get(0);
    if (command.equals("--help") || command.equals("-h") || command.equals("help") || args.contains("--help")) {
      out.print(USAGE);
      return EXIT_OK;
    }
    try {
      switch (command) {
        case "serve":
          return runExample(Examples.named("services"), ServeOptions.parse(args.subList(1, args.size())), List.of(),
              err);
        case "run": {
          if (args.size() < 2) {
            throw new UsageException("run needs an example: one of " + names());
          }
          Example example = Examples.named(args.get(1));
          if (example == null) {
            throw new UsageException("unknown example '" + args.get(1) + "': one of " + names());
          }
          List<String> rest = new ArrayList<>();
          ServeOptions options = ServeOptions.parse(args.subList(2, args.size()), rest);
          return runExample(example, options, rest, err);
        }
        case "demo":
          if (args.size() > 1) {
            throw new UsageException("demo takes no options");
          }
          return Demo.run(out, err);
        default:
          throw new UsageException("unknown command '" + command + "'");
      }
    } catch (UsageException e) {
      err.println("tcpstack: error: " + e.getMessage() + " (see ./tcpstack --help)");
      return EXIT_USAGE;
    }
  }

  /** Ctrl-C or SIGTERM ended the example: a normal stop, said on {@code err} unless null. */
  private static int stopped(Signals signals, PrintStream err) {
    Thread.interrupted(); // the signal's interrupt has done its work; closing must not see it
    if (err != null) {
      err.println("tcpstack: " + signals.received() + " received, stopping");
    }
    return EXIT_OK;
  }

  private static String names() {
    return Examples.ALL.stream().map(Example::name).collect(Collectors.joining(", "));
  }

  /**
   * Runs {@code example}'s main on this thread. The stack it opens ({@code TcpStack.builder()...open()})
   * is the one {@code options} describe ({@link LauncherProvider}); SIGINT and SIGTERM interrupt
   * this thread, which ends the program's blocking call, and the stack is closed in any case.
   */
  private static int runExample(Example example, ServeOptions options, List<String> exampleArgs, PrintStream err)
      throws UsageException {
    example.check().check(example.name(), exampleArgs); // before anything is created
    String warning = JvmMemory.bufferMemoryWarning(options.bufferMemory);
    if (warning != null) {
      err.println("tcpstack: warning: " + warning);
    }
    // No Tun.isAvailable() pre-check: it demands CAP_NET_ADMIN, which attaching to a prepared
    // persistent device does not need. Opening the device reports each problem with its remedy.
    Signals signals = Signals.install();
    // Out of memory on any other thread (a client's, in the thread-per-client examples) stops the
    // launcher in order, with one line, instead of killing that thread with a stack trace.
    Thread.setDefaultUncaughtExceptionHandler((thread, e) -> {
      if (e instanceof OutOfMemoryError) {
        signals.fail(e);
      } else {
        System.err.print("Exception in thread \"" + thread.getName() + "\" ");
        e.printStackTrace(System.err);
      }
    });
    LauncherProvider provider = new LauncherProvider(options, signals);
    TcpStack.provide(provider);
    try {
      example.main().main(exampleArgs.toArray(String[]::new));
      if (failed(provider, signals)) {
        return failure(provider, signals, err);
      }
      return signals.received() != null ? stopped(signals, err) : EXIT_OK;
    } catch (OutOfMemoryError e) {
      Thread.interrupted();
      err.println("tcpstack: error: " + JvmMemory.outOfMemory(e));
      return EXIT_FAILURE;
    } catch (Exception e) {
      if (provider.isOpenFailure(e)) { // no TUN, not permitted, the subnet in use: the message says what to do
        err.println("tcpstack: error: " + e.getMessage());
        return EXIT_FAILURE;
      }
      if (failed(provider, signals)) { // the stack died under the program, which saw a closed socket
        return failure(provider, signals, err);
      }
      if (signals.received() != null) { // Ctrl-C interrupted a blocking call: the normal way to stop
        return stopped(signals, err);
      }
      err.println("tcpstack: error: " + example.name() + ": " + (e.getMessage() != null ? e.getMessage() : e));
      return EXIT_FAILURE;
    } finally {
      Thread.interrupted(); // a signal's interrupt must not disturb the clean-up
      TcpStack.provide(null);
      provider.close(); // if the program left it open
    }
  }

  /** Whether something failed beyond repair: out of memory on some thread, or the stack loop died. */
  private static boolean failed(LauncherProvider provider, Signals signals) {
    return signals.failure() != null || provider.stackFailure() != null;
  }

  /** Says what failed, in one line, and returns exit status 1. */
  private static int failure(LauncherProvider provider, Signals signals, PrintStream err) {
    Thread.interrupted(); // a failure may have interrupted this thread to stop it; closing must not see it
    Throwable t = signals.failure() != null ? signals.failure() : provider.stackFailure();
    err.println("tcpstack: error: " + (t instanceof OutOfMemoryError ? JvmMemory.outOfMemory(t)
        : "the stack stopped: " + (t.getMessage() != null ? t.getMessage() : t.toString())));
    return EXIT_FAILURE;
  }
}
