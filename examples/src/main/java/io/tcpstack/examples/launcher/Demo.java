package io.tcpstack.examples.launcher;

import io.tcpstack.api.TcpServerSocket;
import io.tcpstack.api.TcpSocket;
import io.tcpstack.examples.Messages;
import io.tcpstack.examples.UpperServer;
import io.tcpstack.examples.http.HttpServer;
import io.tcpstack.examples.services.EchoService;
import io.tcpstack.examples.services.UdpEchoService;
import io.tcpstack.wire.Ipv4Address;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * {@code ./tcpstack demo}: the first thing to run. Brings the stack up in a throw-away network
 * namespace with the echo (TCP and UDP), upper-case and HTTP servers, lets {@code ping}, {@code nc} and {@code
 * curl} from the kernel side talk to it, prints each exchange as a person would see it, and removes
 * everything. Exit 0 when every exchange went as expected.
 */
final class Demo {

  private static final long STEP_TIMEOUT_S = 20;

  private Demo() {}

  /** One exchange: a shell command run on the kernel side, and what its output must show. */
  private record Step(String title, String command, Predicate<String> expected) {}

  static int run(PrintStream out, PrintStream err) throws UsageException {
    String netns = "tcpstack-demo-" + ProcessHandle.current().pid();
    ServeOptions options = ServeOptions.parse(List.of("--netns", netns));
    String stack = Ipv4Address.toString(options.stackAddress);
    String stack6 = String.valueOf(options.stackAddress6); // IPv6 is on by default (ServeOptions)
    Signals signals = Signals.install(); // Ctrl-C stops the demo and still removes its namespace
    StackHost host;
    try {
      host = StackHost.open(options);
    } catch (Exception e) {
      err.println("tcpstack: error: " + e.getMessage());
      return Main.EXIT_FAILURE;
    }
    int failed = 0;
    int backlog = options.backlog;
    try (EchoService echo = EchoService.start(host.runtime(), EchoService.PORT, backlog);
        TcpServerSocket upper = startUpper(host, backlog);
        HttpServer http = HttpServer.start(host.runtime(), HttpServer.PORT, backlog);
        UdpEchoService udpEcho = UdpEchoService.start(host.runtime(), UdpEchoService.PORT)) {
      out.println("tcpstack demo: the stack is " + stack + " and " + stack6 + " in the throw-away network namespace " + netns
          + ";\nthe commands below run on the Linux side of the TUN link (" + Ipv4Address.toString(options.hostAddress)
          + "), inside that namespace.\n");
      List<Step> steps = List.of(
          new Step("ping: the stack answers ICMP echo",
              "ping -c 3 -i 0.2 " + stack, o -> o.contains("3 received")),
          new Step("nc to the echo service (TCP port 7): the line comes back",
              "printf 'hello, tcpstack\\n' | nc -N -w 5 " + stack + " 7", o -> o.equals("hello, tcpstack\n")),
          new Step("nc -u to the echo service on UDP port 7: the datagram comes back (-W 1: after one)",
              "printf 'hello, udp\\n' | nc -u -W 1 -w 5 " + stack + " 7", o -> o.equals("hello, udp\n")),
          new Step("nc to the upper-case service (TCP port " + UpperServer.PORT + ")",
              "printf 'make me loud\\n' | nc -N -w 5 " + stack + " " + UpperServer.PORT, o -> o.equals("MAKE ME LOUD\n")),
          new Step("curl: the HTTP server's headers",
              "curl -sS -I http://" + stack + "/", o -> o.startsWith("HTTP/1.1 200")),
          new Step("curl: a megabyte from /bytes/1000000",
              "curl -sS -o /dev/null -w '%{http_code} %{size_download} bytes\\n' http://" + stack + "/bytes/1000000",
              o -> o.equals("200 1000000 bytes\n")),
          new Step("ping -6: the stack answers ICMPv6 echo on its IPv6 address",
              "ping -6 -c 3 -i 0.2 " + stack6, o -> o.contains("3 received")),
          new Step("curl -g: the same HTTP server over IPv6",
              "curl -sS -g -I 'http://[" + stack6 + "]/'", o -> o.startsWith("HTTP/1.1 200")));
      for (Step step : steps) {
        if (signals.received() != null) {
          break;
        }
        out.println("# " + step.title());
        out.println("$ " + step.command());
        String output;
        try {
          output = shell(netns, step.command());
        } catch (IOException e) {
          output = "(could not run: " + e.getMessage() + ")\n";
        }
        if (signals.received() != null) {
          break; // Ctrl-C: this step was cut short, not wrong
        }
        out.print(output.isEmpty() || output.endsWith("\n") ? output : output + "\n");
        boolean ok = step.expected().test(output);
        if (!ok) {
          failed++;
          out.println("  ^ not what was expected");
        }
        out.println();
        out.flush();
      }
    } catch (Exception e) {
      if (signals.received() == null) {
        err.println("tcpstack: error: demo: " + e.getMessage());
        failed++;
      }
    } finally {
      Thread.interrupted(); // a signal's interrupt must not disturb the clean-up
      host.close();
    }
    if (signals.received() != null) {
      out.println("(" + signals.received() + " received: stopped; the namespace " + netns + " is gone)");
      return Main.EXIT_OK;
    }
    out.println(failed == 0
        ? "All exchanges worked; the namespace " + netns + " is gone. Next: ./tcpstack serve --netns demo (see README.md)."
        : failed + " exchange(s) did not go as expected.");
    return failed == 0 ? Main.EXIT_OK : Main.EXIT_FAILURE;
  }

  /**
   * The upper-case service of {@link UpperServer}, on the demo's stack: one client after another
   * on a daemon thread, until the listening socket is closed.
   */
  private static TcpServerSocket startUpper(StackHost host, int backlog) throws IOException {
    TcpServerSocket server = TcpServerSocket.bind(host.runtime(), UpperServer.PORT, backlog);
    Thread t = new Thread(() -> {
      while (true) {
        try (TcpSocket client = server.accept()) {
          Messages messages = new Messages(client.getInputStream());
          for (Messages.Message m; (m = messages.next()) != null; ) {
            client.getOutputStream().write((m.text().toUpperCase(java.util.Locale.ROOT) + m.ending())
                .getBytes(StandardCharsets.UTF_8));
          }
        } catch (IOException e) {
          return; // closed at the end of the demo (a client's failure would show in its step)
        }
      }
    }, "demo-upper");
    t.setDaemon(true);
    t.start();
    return server;
  }

  /** Runs {@code command} with sh inside {@code netns}; returns stdout and stderr together. */
  private static String shell(String netns, String command) throws IOException {
    Process p = new ProcessBuilder("ip", "netns", "exec", netns, "sh", "-c", command).redirectErrorStream(true).start();
    try {
      p.getOutputStream().close();
      if (!p.waitFor(STEP_TIMEOUT_S, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        return new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8) + "(timed out)\n";
      }
      return new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      p.destroyForcibly();
      throw new IOException("interrupted");
    }
  }
}
