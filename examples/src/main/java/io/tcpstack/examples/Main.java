package io.tcpstack.examples;

import io.tcpstack.examples.cli.ServeOptions;
import io.tcpstack.examples.cli.Signals;
import io.tcpstack.examples.cli.StackHost;
import io.tcpstack.examples.cli.UsageException;
import io.tcpstack.examples.services.EchoService;
import java.io.IOException;
import java.io.PrintStream;
import java.util.Arrays;
import java.util.List;

/**
 * The {@code ./tcpstack} command. Exit status: 0 done (also after SIGINT/SIGTERM), 1 the
 * environment stopped it (no TUN, not permitted, ...), 2 a command-line mistake.
 */
public final class Main {

  static final int EXIT_OK = 0;
  static final int EXIT_FAILURE = 1;
  static final int EXIT_USAGE = 2;

  static final String USAGE =
      "usage: tcpstack COMMAND [OPTIONS]\n"
          + "TCP/IP in user space, in Java, on a Linux TUN device.\n\n"
          + "commands:\n"
          + ServeOptions.USAGE
          + "\n  --help                      this text\n\n"
          + "serve answers ping and runs the echo service (RFC 862) on TCP port 7.\n"
          + "Prints a line containing 'ready' once serving; SIGINT or SIGTERM stop it (exit 0).\n"
          + "Needs root or CAP_NET_ADMIN, or a persistent TUN device prepared for the user.\n";

  private Main() {}

  public static void main(String[] args) {
    System.exit(run(Arrays.asList(args), System.out, System.err));
  }

  static int run(List<String> args, PrintStream out, PrintStream err) {
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
          return serve(ServeOptions.parse(args.subList(1, args.size())), out, err);
        default:
          throw new UsageException("unknown command '" + command + "'");
      }
    } catch (UsageException e) {
      err.println("tcpstack: error: " + e.getMessage() + " (see ./tcpstack --help)");
      return EXIT_USAGE;
    }
  }

  private static int serve(ServeOptions options, PrintStream out, PrintStream err) {
    // No Tun.isAvailable() pre-check: it demands CAP_NET_ADMIN, which attaching to a prepared
    // persistent device does not need. Opening the device reports each problem with its remedy.
    Signals signals = Signals.install();
    StackHost host;
    try {
      host = StackHost.open(options);
    } catch (Exception e) {
      err.println("tcpstack: error: " + e.getMessage());
      return EXIT_FAILURE;
    }
    EchoService echo;
    try {
      echo = EchoService.start(host.runtime(), EchoService.PORT);
    } catch (IOException e) {
      host.close();
      err.println("tcpstack: error: cannot start the echo service: " + e.getMessage());
      return EXIT_FAILURE;
    }
    try {
      out.println("ready: " + host.describe() + "; echo on TCP port " + EchoService.PORT);
      out.flush();
      String signal = signals.await();
      err.println("tcpstack: " + signal + " received, stopping");
      return EXIT_OK;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return EXIT_FAILURE;
    } finally {
      try {
        echo.close();
      } catch (IOException e) {
        err.println("tcpstack: warning: closing the echo service: " + e.getMessage());
      }
      host.close();
    }
  }
}
