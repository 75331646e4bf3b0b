package io.tcpstack.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.tcpstack.StackConfig;
import io.tcpstack.api.ConnectionResetException;
import io.tcpstack.api.TcpServerSocket;
import io.tcpstack.api.TcpSocket;
import io.tcpstack.examples.services.EchoService;
import io.tcpstack.runtime.TunLink;
import io.tcpstack.stats.StackCounter;
import io.tcpstack.tcp.TcpLayer;
import io.tcpstack.testing.LinkSnapshot;
import io.tcpstack.testing.Privileged;
import io.tcpstack.testing.ProcessResult;
import io.tcpstack.testing.RequiresTun;
import io.tcpstack.testing.TestNamespace;
import io.tcpstack.testing.TunStack;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * The stack at scale, through a real TUN device, driven by {@code bench/clients/echo_load.py} (many
 * concurrent connections from Linux's own TCP in the namespace, every byte checked): ten thousand
 * connections to the event-driven {@link EchoService}, and clients that abort midway with a RST
 * against a blocking, thread-per-client echo server ({@link Servers#startConcurrent}). After each
 * run the stack must be back to nothing: no live connection, no buffer chunk out of its pool, no
 * handler thread left, no exception caught by the stack loop — and, as for every test here, no leaked
 * ByteBuf (paranoid leak detection fails the class). The TUN device must drop no packet in the
 * blocking run; at 10,000 connections it does (the stack's queue is too short for them), which one
 * test reports and a disabled one asserts.
 *
 * <p>The second test is randomized; its seeds are printed, and {@code -Dscaleit.seed=N} replays a run.
 */
@RequiresTun
class ScaleIT {

  private static final Path LOAD_CLIENT = Launched.ROOT.resolve("bench/clients/echo_load.py");
  /** The RLIMIT_NOFILE the load client asks for: one descriptor per connection, and some. */
  private static final int NOFILE = 20_000;
  /** The longest wait for the stack to let go of everything once the clients are done. */
  private static final Duration SETTLE = Duration.ofSeconds(60);

  /**
   * Drops on the way to the stack are reported, not asserted, here: under the test JVM's paranoid
   * leak detection every buffer access records a stack trace, the loop reads a 10,000-connection
   * burst several times slower than {@code serve} does, and even a 65,536-packet queue overflows
   * (some thousands of packets a run, each retransmitted, every byte still verified). Without the
   * detector, {@code ./tcpstack bench scale} drops none. The zero-drop check is in {@link
   * #blockingHandlersAreWokenWhenClientsAbortMidwayAndNothingIsLeftBehind}.
   */
  @Test
  void tenThousandConcurrentEchoConnectionsAreByteExactThenAllCloseAndEveryBufferIsBack() throws Exception {
    tenThousandEchoConnections();
  }

  /**
   * 10,000 connections at once to the event-driven echo, 3 rounds of 1..1024-byte messages each,
   * every byte checked, a graceful close; then the stack lets go of everything. Returns what the
   * TUN device dropped, after printing a summary.
   */
  private static DeviceDrops tenThousandEchoConnections() throws Exception {
    int connections = 10_000;
    long seed = 10_000;
    try (TunStack net = TunStack.start();
        EchoService echo = EchoService.start(net.runtime(), EchoService.PORT, StackConfig.DEFAULT_BACKLOG)) {
      String why = "10,000 connections, seed " + seed;
      // Measured on 2 cores with paranoid leak detection: 30-45 s in all (the client's --timeout bounds it).
      Load load = runLoad(net, echo.port(), why, connections, "--rounds", "3", "--max-size", "1024",
          "--seed", Long.toString(seed), "--timeout", "150");
      assertEquals(connections, load.number("established"), "every connection established: " + load);
      assertEquals(0, load.number("failed"), "no connection failed: " + load);
      assertEquals(0, load.number("mismatches"), "every byte came back as sent: " + load);
      assertEquals(connections, load.number("completed"), "every connection did its rounds and closed: " + load);
      assertTrue(load.flag("ok"), "the load client is satisfied: " + load);
      assertEquals(0, load.exitCode(), load.toString());

      long settleStart = System.nanoTime();
      Settled settled = awaitSettled(net, why);
      double settleSeconds = (System.nanoTime() - settleStart) / 1e9;
      DeviceDrops drops = DeviceDrops.of(net);
      LinkSnapshot counters = LinkSnapshot.of(net);
      counters.assertNoLoopErrors(why);

      System.out.printf(Locale.ROOT,
          "ScaleIT 10k echo: established %d, completed %d, %d bytes verified; connect %.2f s, rounds %.2f s,"
              + " close %.2f s, total %.2f s (client); stack settled in %.2f s; peak pool %d bytes;"
              + " stack retransmits %d; device %s%n",
          load.number("established"), load.number("completed"), load.number("bytes_verified"),
          load.elapsed("connect"), load.elapsed("rounds"), load.elapsed("close"), load.elapsed("total"),
          settleSeconds, settled.peakPool(), counters.stack(StackCounter.TCP_RETRANS_SEGS), drops);
      return drops;
    }
  }

  @Test
  void blockingHandlersAreWokenWhenClientsAbortMidwayAndNothingIsLeftBehind() throws Exception {
    long base = Long.getLong("scaleit.seed", ThreadLocalRandom.current().nextLong(1, 1L << 40));
    System.out.println("ScaleIT blocking aborts: seeds " + base + ".." + (base + 2)
        + " (replay: -Dscaleit.seed=" + base + ")");
    int connections = 300;
    double abortFraction = 0.3;
    long aborting = Math.round(connections * abortFraction);
    String name = "scale-echo";
    AtomicInteger serving = new AtomicInteger();
    // How each client's handler ended: at the end of the client's stream, or told of its reset.
    AtomicInteger ended = new AtomicInteger();
    AtomicInteger reset = new AtomicInteger();
    Map<String, Integer> otherwise = new ConcurrentHashMap<>();
    try (TunStack net = TunStack.start()) {
      TcpServerSocket server = Servers.startConcurrent(net.runtime(), name, EchoService.PORT,
          StackConfig.DEFAULT_BACKLOG, client -> {
            serving.incrementAndGet();
            try {
              echo(client);
              ended.incrementAndGet();
            } catch (ConnectionResetException e) {
              reset.incrementAndGet();
              throw e;
            } catch (IOException | RuntimeException | Error e) {
              otherwise.merge(e.getClass().getName() + ": " + e.getMessage(), 1, Integer::sum);
              throw e;
            } finally {
              serving.decrementAndGet();
            }
          });
      long estabResetsBefore = 0;
      try {
        for (int run = 0; run < 3; run++) {
          long seed = base + run;
          String why = "run " + (run + 1) + " of 3, seed " + seed + " (replay: -Dscaleit.seed=" + base + ")";
          // Messages up to 4096 bytes (3 segments; the abort comes after half): a client sends its next
          // message only once the last came back, so about 10 packets per connection at most (a message,
          // the ACKs of its echo, a FIN or RST, a retransmission) can wait for the stack at once: with
          // 300 connections, well within the TUN queue (TX_QUEUE_PACKETS), so a drop is a fault.
          // (64 KiB messages overflow it, 1,400-1,500 drops a run: see the 10k test.)
          Load load = runLoad(net, server.port(), why, connections, "--rounds", "4", "--max-size", "4096",
              "--abort-fraction", Double.toString(abortFraction), "--seed", Long.toString(seed), "--timeout", "120");
          assertEquals(connections, load.number("established"), "every connection established, " + why + ": " + load);
          assertEquals(aborting, load.number("aborted"), "the planned connections aborted, " + why + ": " + load);
          assertEquals(connections - aborting, load.number("completed"),
              "every connection that did not abort was verified and closed gracefully, " + why + ": " + load);
          assertEquals(0, load.number("failed"), why + ": " + load);
          assertEquals(0, load.number("mismatches"), why + ": " + load);
          assertTrue(load.flag("ok"), why + ": " + load);

          awaitNoHandlers(name, serving, why);
          // A connection reset while it waited to be accepted never reaches a handler (TcpListener.accept
          // skips it, already released); every
          // other aborting client's handler hears of the reset, in a read or a write, and none
          // mistakes it for the end of the stream.
          assertEquals(Map.of(), otherwise, "handlers ended only at the end of the stream or on a reset, " + why);
          assertEquals(connections - aborting, ended.getAndSet(0),
              "handlers that saw the end of the stream: exactly the clients that closed gracefully, " + why);
          int resets = reset.getAndSet(0);
          assertTrue(resets <= aborting,
              resets + " handlers told of a reset, of " + aborting + " aborting clients, " + why);
          Settled settled = awaitSettled(net, why);
          DeviceDrops drops = DeviceDrops.of(net);
          LinkSnapshot counters = LinkSnapshot.of(net);
          drops.assertNone(why + "; " + counters);
          counters.assertNoLoopErrors(why);
          long estabResets = counters.stack(StackCounter.TCP_ESTAB_RESETS);
          assertEquals(aborting, estabResets - estabResetsBefore,
              "each aborting client's RST reset its established connection (TCP_ESTAB_RESETS), " + why);
          estabResetsBefore = estabResets;
          System.out.printf(Locale.ROOT,
              "ScaleIT blocking aborts, %s: %d completed, %d aborted (%d handlers told of the reset, the rest"
                  + " reset before they were accepted), %d bytes verified in %.2f s; peak pool %d bytes;"
                  + " device %s%n",
              why, load.number("completed"), load.number("aborted"), resets, load.number("bytes_verified"),
              load.elapsed("total"), settled.peakPool(), drops);
        }
      } finally {
        server.close();
      }
      // Closing the server ends the accept loop, which stops the (idle) pool threads too.
      awaitNoThreads(name);
    }
  }

  // ------------------------------------------------------------------------ the load client

  /** The blocking echo of the tutorials ({@code EchoExample}): read, write back, until the client closes. */
  private static void echo(TcpSocket client) throws IOException {
    byte[] buffer = new byte[64 * 1024];
    for (int n; (n = client.read(buffer, 0, buffer.length)) > 0; ) {
      client.write(buffer, 0, n);
    }
  }

  /**
   * Runs echo_load.py against the echo server on {@code port} of the stack, from inside the
   * namespace, with {@code connections} connections and {@code options}, its RLIMIT_NOFILE raised;
   * returns its report.
   */
  private static Load runLoad(TunStack net, int port, String why, int connections, String... options) {
    assertTrue(Files.isRegularFile(LOAD_CLIENT), "the load client is at " + LOAD_CLIENT);
    assertTrue(Privileged.onPath("python3"), "python3 runs the load client (apt-get install python3)");
    int timeout = 300;
    for (int i = 0; i + 1 < options.length; i++) {
      if (options[i].equals("--timeout")) {
        timeout = Integer.parseInt(options[i + 1]);
      }
    }
    raisableNofile(net.ns(), connections);
    List<String> words = new ArrayList<>(List.of("exec", "python3", LOAD_CLIENT.toString(), TunStack.STACK,
        Integer.toString(port), "--connections", Integer.toString(connections)));
    words.addAll(List.of(options));
    String command = "ulimit -n " + NOFILE + " && " + String.join(" ", words);
    // The client ends itself after --timeout; a little more for the process to start and report.
    ProcessResult r = net.ns().exec(Duration.ofSeconds(timeout + 60L), "sh", "-c", command);
    return Load.of(r, why);
  }

  /** Fails, saying why, unless the namespace's shell may raise RLIMIT_NOFILE to {@link #NOFILE}. */
  private static void raisableNofile(TestNamespace ns, int connections) {
    String hard = ns.exec("sh", "-c", "ulimit -Hn").assertSuccess().stdout().strip();
    long limit = hard.equals("unlimited") ? Long.MAX_VALUE : Long.parseLong(hard);
    assertTrue(limit >= NOFILE,
        "the load client needs RLIMIT_NOFILE " + NOFILE + " for " + connections + " connections (one descriptor"
            + " each, and some), but the hard limit here is " + hard + ": raise it (ulimit -Hn, limits.conf,"
            + " or LimitNOFILE= of the service that runs the build)");
  }

  /** echo_load.py's report: its one JSON line (flat numbers and flags, and the "elapsed" object). */
  private record Load(ProcessResult result, String json) {

    static Load of(ProcessResult r, String why) {
      String last = r.stdout().lines().filter(l -> !l.isBlank()).reduce((a, b) -> b).orElse("");
      if (!last.startsWith("{")) {
        fail("the load client printed no report (" + why + "): " + tail(r));
      }
      return new Load(r, last);
    }

    int exitCode() {
      return result.exitCode();
    }

    long number(String key) {
      return Long.parseLong(value(json, key));
    }

    boolean flag(String key) {
      return Boolean.parseBoolean(value(json, key));
    }

    double elapsed(String phase) {
      Matcher m = Pattern.compile("\"elapsed\":\\s*\\{([^}]*)\\}").matcher(json);
      if (!m.find()) {
        fail("no \"elapsed\" in " + json);
      }
      return Double.parseDouble(value(m.group(1), phase));
    }

    private static String value(String json, String key) {
      Matcher m = Pattern.compile("\"" + Pattern.quote(key) + "\":\\s*([-0-9.eE+]+|true|false|null)").matcher(json);
      if (!m.find()) {
        fail("no \"" + key + "\" in the load client's report: " + json);
      }
      return m.group(1);
    }

    @Override
    public String toString() {
      return json + "\n  exit code " + result.exitCode() + ", stderr (last lines):\n" + tail(result);
    }

    private static String tail(ProcessResult r) {
      List<String> lines = r.stderr().lines().toList();
      return String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size()))
          + (r.stdout().isBlank() ? "" : "\n  stdout: " + r.stdout().strip());
    }
  }

  // ------------------------------------------------------------------------ nothing left behind

  /** The stack's state once it let go: its pool's peak so far. */
  private record Settled(long peakPool) {}

  /**
   * Waits (polling every 100 ms, at most {@link #SETTLE}) until the stack has no live connection
   * (TIME-WAIT records aside) and every buffer chunk is back in its pool; fails with what is left.
   */
  private static Settled awaitSettled(TunStack net, String why) throws Exception {
    long deadline = System.nanoTime() + SETTLE.toNanos();
    while (true) {
      long[] state = net.runtime().call(() -> {
        TcpLayer tcp = net.runtime().stack().tcp();
        return new long[] {tcp.connectionCount() - tcp.timeWaitCount(), tcp.timeWaitCount(), tcp.pool().inUse(),
            tcp.pool().peakInUse()};
      }).get(10, TimeUnit.SECONDS);
      if (state[0] == 0 && state[2] == 0) {
        return new Settled(state[3]);
      }
      if (System.nanoTime() - deadline > 0) {
        fail("within " + SETTLE.toSeconds() + " s of the clients finishing, the stack still has " + state[0]
            + " live connections (and " + state[1] + " in TIME-WAIT) and " + state[2]
            + " bytes of buffer chunks out of its pool (" + why + "); " + LinkSnapshot.of(net));
      }
      Thread.sleep(100); // the stack closes connections on its own thread; poll, bounded
    }
  }

  /**
   * Waits (at most 10 s) until no client handler of the server named {@code name} is serving: none
   * counted by the session itself, no thread of that name inside {@code Servers.serve}. A handler
   * blocked in a read or write that a RST should have woken shows up here, with its stack trace.
   */
  private static void awaitNoHandlers(String name, AtomicInteger serving, String why) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (true) {
      Map<Thread, StackTraceElement[]> handlers = threadsNamed(name);
      handlers.values().removeIf(stack -> Arrays.stream(stack).noneMatch(
          f -> f.getClassName().equals(Servers.class.getName()) && f.getMethodName().equals("serve")));
      if (serving.get() == 0 && handlers.isEmpty()) {
        return;
      }
      if (System.nanoTime() - deadline > 0) {
        fail(serving.get() + " client handlers still serving 10 s after the load client finished (" + why + "):\n"
            + describe(handlers));
      }
      Thread.sleep(100); // handlers end on their own threads; poll, bounded
    }
  }

  /** Waits (at most 10 s) until no thread of the server named {@code name} is alive. */
  private static void awaitNoThreads(String name) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (true) {
      Map<Thread, StackTraceElement[]> left = threadsNamed(name);
      if (left.isEmpty()) {
        return;
      }
      if (System.nanoTime() - deadline > 0) {
        fail("threads of the closed server still alive:\n" + describe(left));
      }
      Thread.sleep(100);
    }
  }

  /** Live threads named {@code name-N} (the client threads of Servers) or {@code name-accept}. */
  private static Map<Thread, StackTraceElement[]> threadsNamed(String name) {
    Pattern names = Pattern.compile(Pattern.quote(name) + "-(\\d+|accept)");
    Map<Thread, StackTraceElement[]> all = Thread.getAllStackTraces();
    all.keySet().removeIf(t -> !t.isAlive() || !names.matcher(t.getName()).matches());
    return all;
  }

  private static String describe(Map<Thread, StackTraceElement[]> threads) {
    return threads.entrySet().stream()
        .map(e -> e.getKey().getName() + " " + e.getKey().getState() + "\n    at "
            + Arrays.stream(e.getValue()).limit(12).map(String::valueOf)
                .collect(Collectors.joining("\n    at ")))
        .collect(Collectors.joining("\n"));
  }

  /**
   * What the TUN device dropped, read in the namespace. Packets from the kernel to the stack wait
   * in the device's ring (txqueuelen, {@code TunLink.TX_QUEUE_PACKETS}); when the stack reads too
   * slowly and the ring is full, the tun driver drops the packet and counts it as the device's
   * {@code tx_dropped} (it never stops the queue, so the qdisc in front of it does not fill; its
   * drops are read too, for completeness). Packets from the stack the kernel could not take count
   * as {@code rx_dropped}.
   */
  private record DeviceDrops(long txDropped, long rxDropped, long qdiscDropped) {

    static DeviceDrops of(TunStack net) {
      String stats = "/sys/class/net/" + net.device() + "/statistics/";
      String[] values = net.ns().exec("cat", stats + "tx_dropped", stats + "rx_dropped").assertSuccess().stdout()
          .strip().split("\\s+");
      long qdisc = -1; // unknown without tc
      if (Privileged.onPath("tc")) {
        String out = net.ns().exec("tc", "-s", "qdisc", "show", "dev", net.device()).assertSuccess().stdout();
        Matcher m = Pattern.compile("\\(dropped (\\d+),").matcher(out);
        qdisc = 0;
        while (m.find()) {
          qdisc += Long.parseLong(m.group(1));
        }
      }
      return new DeviceDrops(Long.parseLong(values[0]), Long.parseLong(values[1]), qdisc);
    }

    void assertNone(String why) {
      assertEquals(0, txDropped, "the TUN device dropped no packet on its way to the stack (tx_dropped: the"
          + " stack read too slowly for a ring of " + TunLink.TX_QUEUE_PACKETS + "): " + why);
      assertEquals(0, rxDropped, "the kernel dropped no packet the stack wrote (rx_dropped): " + why);
      assertTrue(qdiscDropped <= 0, "the device's qdisc dropped nothing: " + this + ": " + why);
    }

    @Override
    public String toString() {
      return "tx_dropped " + txDropped + ", rx_dropped " + rxDropped + ", qdisc dropped "
          + (qdiscDropped < 0 ? "unknown (no tc)" : Long.toString(qdiscDropped));
    }
  }
}
