package io.tcpstack.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tcpstack.testing.Privileged;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The {@code ./tcpstack} contract, exercised through the script itself: help, one-line usage errors
 * with exit 2, and {@code serve --netns} answering ping, then leaving nothing behind on SIGINT and
 * SIGTERM.
 */
class LauncherIT {

  private static final Path ROOT = Path.of(System.getProperty("user.dir")).getParent();
  private static final Path LAUNCHER = ROOT.resolve("tcpstack");
  private static final AtomicInteger COUNTER = new AtomicInteger();
  private static final long LIMIT_S = 60;

  private static Result run(String... args) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>();
    command.add(LAUNCHER.toString());
    command.addAll(List.of(args));
    Process p = new ProcessBuilder(command).start();
    CompletableFuture<String> err = CompletableFuture.supplyAsync(() -> readAll(p.getErrorStream()));
    String out = readAll(p.getInputStream());
    if (!p.waitFor(LIMIT_S, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError("./tcpstack " + String.join(" ", args) + " did not finish");
    }
    return new Result(p.exitValue(), out, err.join());
  }

  private static String readAll(java.io.InputStream in) {
    try {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      return "<" + e + ">";
    }
  }

  private record Result(int exit, String out, String err) {}

  @Test
  void helpPrintsUsage() throws Exception {
    Result r = run("--help");
    assertEquals(0, r.exit, r.toString());
    assertTrue(r.out.startsWith("usage: tcpstack"), r.out);
    assertTrue(r.out.contains("serve [--netns NAME] [--tun DEV] [--address STACK_IP/PREFIX] [--host-address HOST_IP]\n"), r.out);
    assertTrue(r.out.contains("[--address6 STACK_IP6/PREFIX|off] [--host-address6 HOST_IP6] [--mtu N] [--impair SPEC]"), r.out);
    assertTrue(r.out.contains("--impair SPEC"), r.out);
    for (String option : List.of("--backlog N", "--max-connections N", "--buffer-memory SIZE", "--congestion cubic|newreno")) {
      assertTrue(r.out.contains(option), option + " in " + r.out);
    }
    for (String example : List.of("echo", "upper", "hello", "thanks", "chat-server", "chat-client", "client", "framing",
        "framing-client", "http", "services", "netty-echo", "netty-http")) {
      assertTrue(r.out.contains("\n    " + example + " "), "run " + example + " is listed: " + r.out);
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "", "bogus", "serve --bogus", "serve --mtu", "serve --mtu abc", "serve --mtu 100", "serve --mtu 70000",
      "serve --address 300.1.1.1/24", "serve --address 198.18.0.2", "serve --address 198.18.0.2/31",
      "serve --host-address 10.0.0.1", "serve --host-address 198.18.0.2", "serve --netns a/b", "serve --tun waytoolongname123",
      "serve --impair", "serve --impair loss=150%", "serve --impair bogus=1", "serve --impair delay=10parsecs",
      "serve --impair loss=1%,,dup=1%", "serve --impair loss=1%,loss=2%",
      "serve --backlog 0", "serve --backlog 65536", "serve --backlog", "serve --max-connections 0",
      "serve --max-connections lots", "serve --buffer-memory 1k", "serve --buffer-memory 12q", "serve --buffer-memory",
      "run echo --backlog 0", "run http --buffer-memory 2t", "serve --congestion reno", "serve --congestion",
      "run echo --congestion=bbr", "serve --log loud", "serve --log", "serve --log tcp=chatty", "run echo --log a/b=debug",
      "serve --address6 fd00::2", "serve --address6 nope/64", "serve --address6 fd00::2/200",
      "serve --host-address6 198.18.0.1", "run echo --address6 ff02::1/64", "serve --mtu 1000 --address6 fd00::2/64",
      "serve --address6",
      "run", "run bogus", "run echo 0", "run echo 70000", "run echo x", "run echo --port 7", "run echo --bogus 1",
      "run echo 7 extra", "run upper --mtu 10", "run client", "run client nohost", "run client 1.2.3.4:99999",
      "run client 1.2.3:80", "run client fd00::1:80", "run client [198.18.0.1]:80", "run client 198.18.0.1:80 --message",
      "run client 198.18.0.1:80 two words", "run framing-client 198.18.0.1:9000", "run chat-client",
      "run chat-client 198.18.0.1:80 extra", "run services 7", "demo extra"})
  void mistakesAreOneLineErrorsWithStatus2(String args) throws Exception {
    Result r = run(args.isEmpty() ? new String[0] : args.split(" "));
    assertEquals(2, r.exit, r.toString());
    assertEquals("", r.out, "nothing on standard output");
    List<String> lines = r.err.lines().filter(l -> !l.startsWith("tcpstack: building")).toList();
    assertEquals(1, lines.size(), "exactly one line: " + r.err);
    assertTrue(lines.get(0).startsWith("tcpstack: error: "), lines.get(0));
  }

  @Test
  void serveInNewNamespaceAnswersPingAndRemovesEverythingOnSigint() throws Exception {
    Privileged.assumeRootAndTun();
    String ns = "tcps-it-" + ProcessHandle.current().pid() + "-" + COUNTER.incrementAndGet();
    assertFalse(Files.exists(Path.of("/run/netns", ns)));
    Process p = new ProcessBuilder(LAUNCHER.toString(), "serve", "--netns", ns).start();
    try {
      String ready = awaitReady(p);
      assertTrue(ready.contains("198.18.0.2") && ready.contains(ns), ready);
      String ping = exec("ip", "netns", "exec", ns, "ping", "-n", "-c", "3", "-i", "0.2", "-W", "5", "198.18.0.2");
      assertTrue(ping.contains("3 packets transmitted, 3 received, 0% packet loss"), ping);
      String echo = exec("ip", "netns", "exec", ns, "sh", "-c", "printf 'hello echo\\n' | nc -N -w 10 198.18.0.2 7");
      assertEquals("hello echo\n", echo, "the echo service on port 7 answers nc");

      exec("kill", "-INT", Long.toString(p.pid()));
      assertTrue(p.waitFor(LIMIT_S, TimeUnit.SECONDS), "exits after SIGINT");
      assertEquals(0, p.exitValue());
      assertFalse(Files.exists(Path.of("/run/netns", ns)), "the namespace it created is removed");
    } finally {
      cleanup(p, ns);
    }
  }

  /**
   * {@code --log}: every packet in and out at TRACE in tcpdump's style, and each connection's life
   * at DEBUG, on standard error; the other loggers stay at the level asked for (drops at DEBUG:
   * CounterSetLoggingTest).
   */
  @Test
  void logShowsPacketsConnectionsAndDrops() throws Exception {
    Privileged.assumeRootAndTun();
    String ns = "tcps-it-" + ProcessHandle.current().pid() + "-" + COUNTER.incrementAndGet();
    Path log = Files.createTempFile("tcpstack-log", ".txt");
    Process p = new ProcessBuilder(LAUNCHER.toString(), "serve", "--netns", ns, "--log", "warn,packets=trace,tcp=debug")
        .redirectError(log.toFile()).start();
    try {
      awaitReady(p);
      String echo = exec("ip", "netns", "exec", ns, "sh", "-c", "printf 'hello log\\n' | nc -N -w 10 198.18.0.2 7");
      assertEquals("hello log\n", echo);
      exec("kill", "-INT", Long.toString(p.pid()));
      assertTrue(p.waitFor(LIMIT_S, TimeUnit.SECONDS), "exits after SIGINT");
      List<String> lines = Files.readAllLines(log);
      assertTrue(lines.stream().anyMatch(l -> l.contains("TRACE packets - in  IP 198.18.0.1.")
          && l.contains(" > 198.18.0.2.7: Flags [S], seq ")), "the SYN in: " + lines);
      assertTrue(lines.stream().anyMatch(l -> l.contains("TRACE packets - out IP 198.18.0.2.7 > 198.18.0.1.")
          && l.contains(": Flags [S.], seq ")), "the SYN-ACK out: " + lines);
      assertTrue(lines.stream().anyMatch(l -> l.contains("DEBUG TcpConnection - ") && l.contains(": established, mss ")),
          "the connection's life: " + lines);
      assertTrue(lines.stream().anyMatch(l -> l.contains("DEBUG TcpConnection - ") && l.contains(": the peer closed its side (FIN)")),
          "the peer's FIN: " + lines);
      assertTrue(lines.stream().noneMatch(l -> l.contains(" INFO ")), "info is off: " + lines);
    } finally {
      cleanup(p, ns);
      Files.deleteIfExists(log);
    }
  }

  @Test
  void serveInExistingNamespaceKeepsItAndRemovesItsDeviceOnSigterm() throws Exception {
    Privileged.assumeRootAndTun();
    String ns = "tcps-it-" + ProcessHandle.current().pid() + "-" + COUNTER.incrementAndGet();
    exec("ip", "netns", "add", ns);
    Process p = new ProcessBuilder(LAUNCHER.toString(), "serve", "--netns", ns, "--tun", "tcpsit0",
        "--address", "198.18.7.9/24", "--mtu", "9000").start();
    try {
      String ready = awaitReady(p);
      assertTrue(ready.contains("198.18.7.9") && ready.contains("tcpsit0") && ready.contains("mtu 9000"), ready);
      String addr = exec("ip", "-n", ns, "-o", "addr", "show", "dev", "tcpsit0");
      assertTrue(addr.contains("inet 198.18.7.1/24"), "the host side gets the subnet's first address: " + addr);
      String ping = exec("ip", "netns", "exec", ns, "ping", "-n", "-c", "2", "-i", "0.2", "-W", "5", "-s", "8000", "198.18.7.9");
      assertTrue(ping.contains("2 packets transmitted, 2 received, 0% packet loss"), ping);

      p.destroy(); // SIGTERM
      assertTrue(p.waitFor(LIMIT_S, TimeUnit.SECONDS), "exits after SIGTERM");
      assertEquals(0, p.exitValue());
      assertTrue(Files.exists(Path.of("/run/netns", ns)), "a namespace it did not create stays");
      assertEquals("", exec("ip", "-n", ns, "-o", "link", "show", "type", "tun").trim(), "its device is gone");
    } finally {
      cleanup(p, ns);
    }
  }

  @Test
  void servesWithoutAnyCapabilityOnAPreparedPersistentDevice() throws Exception {
    Privileged.assumeRootAndTun();
    String ns = "tcps-it-" + ProcessHandle.current().pid() + "-" + COUNTER.incrementAndGet();
    exec("ip", "netns", "add", ns);
    Process p = null;
    try {
      // What an administrator does once (README, "Without root").
      exec("ip", "-n", ns, "tuntap", "add", "dev", "tcpsu1", "mode", "tun");
      exec("ip", "-n", ns, "addr", "add", "198.18.0.1/24", "dev", "tcpsu1");
      exec("ip", "-n", ns, "link", "set", "tcpsu1", "up");
      // uid stays 0 (files stay readable) but every capability is gone, CAP_NET_ADMIN included.
      p = new ProcessBuilder("ip", "netns", "exec", ns, "setpriv", "--bounding-set=-all", "--inh-caps=-all",
          LAUNCHER.toString(), "serve", "--tun", "tcpsu1").start();
      String ready = awaitReady(p);
      assertTrue(ready.contains("tcpsu1"), ready);
      assertTrue(exec("grep", "CapEff", "/proc/" + p.pid() + "/status").contains("0000000000000000"), "no capability");
      String ping = exec("ip", "netns", "exec", ns, "ping", "-n", "-c", "2", "-i", "0.2", "-W", "5", "198.18.0.2");
      assertTrue(ping.contains("2 packets transmitted, 2 received, 0% packet loss"), ping);
      p.destroy();
      assertTrue(p.waitFor(LIMIT_S, TimeUnit.SECONDS));
      assertEquals(0, p.exitValue());
      assertTrue(exec("ip", "-n", ns, "-o", "link", "show", "tcpsu1").contains("tcpsu1"), "a persistent device stays");
    } finally {
      if (p != null) {
        cleanup(p, ns);
      } else {
        exec("ip", "netns", "delete", ns);
      }
    }
  }

  @Test
  void aSecondServeInTheSameNamespaceIsRefusedForTheAddressClash() throws Exception {
    Privileged.assumeRootAndTun();
    String ns = "tcps-it-" + ProcessHandle.current().pid() + "-" + COUNTER.incrementAndGet();
    Process p = new ProcessBuilder(LAUNCHER.toString(), "serve", "--netns", ns).start();
    try {
      awaitReady(p);
      Result second = run("serve", "--netns", ns);
      assertEquals(1, second.exit, second.toString());
      List<String> lines = second.err.lines().filter(l -> !l.startsWith("tcpstack: building")).toList();
      assertEquals(1, lines.size(), second.err);
      assertTrue(lines.get(0).startsWith("tcpstack: error: 198.18.0.0/24 is already in use in network namespace " + ns
          + ": tun0 has 198.18.0.1/24"), lines.get(0));
      assertTrue(lines.get(0).contains("pick another subnet, e.g. --address 198.18.1.2/24"), lines.get(0));
      // The IPv6 prefix is checked the same way.
      Result sameV6 = run("serve", "--netns", ns, "--address", "198.18.1.2/24");
      assertEquals(1, sameV6.exit, sameV6.toString());
      assertTrue(sameV6.err.contains("tcpstack: error: fd00:7463:7073::/64 is already in use in network namespace " + ns
          + ": tun0 has fd00:7463:7073::1/64"), sameV6.err);
      // As the messages say: another subnet and prefix work, beside the first.
      Process other = new ProcessBuilder(LAUNCHER.toString(), "serve", "--netns", ns, "--address", "198.18.1.2/24",
          "--address6", "fd00:7463:7073:1::2/64").start();
      try {
        awaitReady(other);
        String ping = exec("ip", "netns", "exec", ns, "ping", "-n", "-c", "1", "-W", "5", "198.18.1.2");
        assertTrue(ping.contains("1 packets transmitted, 1 received"), ping);
        String ping6 = exec("ip", "netns", "exec", ns, "ping", "-6", "-n", "-c", "1", "-W", "5", "fd00:7463:7073:1::2");
        assertTrue(ping6.contains("1 packets transmitted, 1 received"), ping6);
        other.destroy();
        assertTrue(other.waitFor(LIMIT_S, TimeUnit.SECONDS));
      } finally {
        if (other.isAlive()) {
          other.destroyForcibly();
        }
      }
      stopWithSigint(p, ns);
    } finally {
      cleanup(p, ns);
    }
  }

  @Test
  void impairmentMessagesNameTheBadItem() throws Exception {
    Result r = run("serve", "--impair", "loss=150%");
    assertEquals(2, r.exit, r.toString());
    assertTrue(r.err.contains("tcpstack: error: --impair: impairment 'loss=150%': a percentage must be 0..100"), r.err);
  }

  @Test
  void serveWithTotalLossAnswersNoPing() throws Exception {
    Privileged.assumeRootAndTun();
    String ns = "tcps-it-" + ProcessHandle.current().pid() + "-" + COUNTER.incrementAndGet();
    Process p = new ProcessBuilder(LAUNCHER.toString(), "serve", "--netns", ns, "--impair", "loss=100%").start();
    try {
      String ready = awaitReady(p);
      assertTrue(ready.contains("impaired loss=100%"), ready);
      String ping = exec("ip", "netns", "exec", ns, "ping", "-n", "-c", "2", "-i", "0.2", "-W", "1", "198.18.0.2");
      assertTrue(ping.contains("2 packets transmitted, 0 received"), ping);
      stopWithSigint(p, ns);
    } finally {
      cleanup(p, ns);
    }
  }

  @Test
  void serveWithDelayStillAnswersPing() throws Exception {
    Privileged.assumeRootAndTun();
    String ns = "tcps-it-" + ProcessHandle.current().pid() + "-" + COUNTER.incrementAndGet();
    Process p = new ProcessBuilder(LAUNCHER.toString(), "serve", "--netns", ns, "--impair", "delay=50ms").start();
    try {
      String ready = awaitReady(p);
      assertTrue(ready.contains("impaired delay=50ms"), ready);
      // Replies must come; how late is a matter of wall-clock timing, which this test does not assert.
      String ping = exec("ip", "netns", "exec", ns, "ping", "-n", "-c", "2", "-i", "0.2", "-W", "5", "198.18.0.2");
      assertTrue(ping.contains("2 packets transmitted, 2 received, 0% packet loss"), ping);
      stopWithSigint(p, ns);
    } finally {
      cleanup(p, ns);
    }
  }

  /** The launched JVM's command line (the script exec's java, so the process is the JVM). */
  private static List<String> jvmArguments(Process p) throws IOException {
    String cmdline = Files.readString(Path.of("/proc", Long.toString(p.pid()), "cmdline"), StandardCharsets.UTF_8);
    return List.of(cmdline.split("\0"));
  }

  @Test
  void theJvmIsSizedForManyConnectionsAndTcpstackJavaOptsOverridesOneSettingAtATime() throws Exception {
    Privileged.assumeRootAndTun();
    String ns = "tcps-it-" + ProcessHandle.current().pid() + "-" + COUNTER.incrementAndGet();
    Process p = new ProcessBuilder(LAUNCHER.toString(), "serve", "--netns", ns).start();
    try {
      awaitReady(p);
      List<String> args = jvmArguments(p);
      for (String option : List.of("-Xms32m", "-Xmx128m", "-XX:MaxDirectMemorySize=320m", "-XX:+UseSerialGC", "-Xss512k")) {
        assertTrue(args.contains(option), option + " in " + args);
      }
      stopWithSigint(p, ns);
    } finally {
      cleanup(p, ns);
    }
    ProcessBuilder custom = new ProcessBuilder(LAUNCHER.toString(), "serve", "--netns", ns);
    custom.environment().put("TCPSTACK_JAVA_OPTS", "-Xmx256m -XX:+UseG1GC");
    p = custom.start();
    try {
      awaitReady(p);
      List<String> args = jvmArguments(p);
      assertTrue(args.contains("-Xmx256m") && args.contains("-XX:+UseG1GC"), args.toString());
      assertFalse(args.contains("-Xmx128m") || args.contains("-Xms32m") || args.contains("-XX:+UseSerialGC"),
          "the settings given replace the defaults: " + args);
      assertTrue(args.contains("-XX:MaxDirectMemorySize=320m") && args.contains("-Xss512k"), "the others stay: " + args);
      stopWithSigint(p, ns);
    } finally {
      cleanup(p, ns);
    }
  }

  @Test
  void runningOutOfDirectMemoryIsOneLineAndStatus1() throws Exception {
    Privileged.assumeRootAndTun();
    String ns = "tcps-it-" + ProcessHandle.current().pid() + "-" + COUNTER.incrementAndGet();
    ProcessBuilder pb = new ProcessBuilder(LAUNCHER.toString(), "serve", "--netns", ns);
    pb.environment().put("TCPSTACK_JAVA_OPTS", "-XX:MaxDirectMemorySize=24m");
    Process p = pb.start();
    CompletableFuture<String> err = CompletableFuture.supplyAsync(() -> readAll(p.getErrorStream()));
    try {
      awaitReady(p);
      // chargen clients that never read: each connection's send buffer fills, 24 MiB are soon gone
      Process clients = new ProcessBuilder("ip", "netns", "exec", ns, "python3", "-c",
          "import socket, time\n"
              + "s = []\n"
              + "for i in range(400):\n"
              + "    try:\n"
              + "        c = socket.create_connection(('198.18.0.2', 19), timeout=2); s.append(c)\n"
              + "    except OSError:\n"
              + "        break\n"
              + "time.sleep(30)\n").redirectErrorStream(true).start();
      try {
        assertTrue(p.waitFor(LIMIT_S, TimeUnit.SECONDS), "the launcher stops by itself");
      } finally {
        clients.destroyForcibly();
      }
      assertEquals(1, p.exitValue());
      String stderr = err.get(LIMIT_S, TimeUnit.SECONDS);
      assertTrue(stderr.startsWith("tcpstack: warning: --buffer-memory 256m is more than the JVM's direct memory (24m)"),
          "said at start: " + stderr);
      List<String> errors = stderr.lines().filter(l -> l.startsWith("tcpstack: error: ")).toList();
      assertEquals(1, errors.size(), stderr);
      assertTrue(errors.get(0).startsWith("tcpstack: error: out of memory (") && errors.get(0).endsWith(
          "raise TCPSTACK_JAVA_OPTS=-XX:MaxDirectMemorySize=48m (now 24m) or lower --max-connections/--buffer-memory"),
          errors.get(0));
      assertFalse(Files.exists(Path.of("/run/netns", ns)), "cleaned up as on Ctrl-C");
    } finally {
      cleanup(p, ns);
    }
  }

  private static void stopWithSigint(Process p, String ns) throws Exception {
    exec("kill", "-INT", Long.toString(p.pid()));
    assertTrue(p.waitFor(LIMIT_S, TimeUnit.SECONDS), "exits after SIGINT");
    assertEquals(0, p.exitValue());
    assertFalse(Files.exists(Path.of("/run/netns", ns)), "the namespace it created is removed");
  }

  /** Reads standard output until the line containing "ready"; fails if the process ends first. */
  private static String awaitReady(Process p) throws Exception {
    BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
    CompletableFuture<String> ready = CompletableFuture.supplyAsync(() -> {
      try {
        for (String line; (line = out.readLine()) != null; ) {
          if (line.contains("ready")) {
            return line;
          }
        }
        return null;
      } catch (IOException e) {
        return null;
      }
    });
    String line = ready.get(LIMIT_S * 3, TimeUnit.SECONDS); // first use may build
    if (line == null) {
      throw new AssertionError("./tcpstack ended without 'ready': " + readAll(p.getErrorStream()));
    }
    return line;
  }

  private static String exec(String... command) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    String out = readAll(p.getInputStream());
    if (!p.waitFor(LIMIT_S, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError(String.join(" ", command) + " did not finish");
    }
    return out;
  }

  private static void cleanup(Process p, String ns) throws IOException, InterruptedException {
    if (p.isAlive()) {
      p.destroyForcibly();
      p.waitFor(LIMIT_S, TimeUnit.SECONDS);
    }
    if (Files.exists(Path.of("/run/netns", ns))) {
      exec("ip", "netns", "delete", ns);
    }
  }
}
