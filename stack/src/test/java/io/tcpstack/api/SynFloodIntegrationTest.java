package io.tcpstack.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.netty.util.ResourceLeakDetector;
import io.tcpstack.runtime.StackRuntime;
import io.tcpstack.runtime.TunLink;
import io.tcpstack.stats.StackCounter;
import io.tcpstack.testing.ProcessResult;
import io.tcpstack.testing.RoutedPath;
import io.tcpstack.testing.TunStack;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A SYN flood against the stack through TUN (RFC 4987): {@code hping3 -S --flood}, spoofed from an
 * address nobody uses on the link (a new source port per SYN; the SYN-ACKs go nowhere), while
 * {@code curl} from the kernel's real address asks a tiny responder on the stack 20 times, each
 * within 3 s ({@code --max-time 3}). Without SYN cookies the half-open queue fills with the flood
 * and no request gets through; with them every one does, and the stack's half-open connections
 * stay within their limit.
 */
class SynFloodIntegrationTest {

  private static final int PORT = 8080;
  /** The stack's half-open limit here: small, so the flood reaches it at once. */
  private static final int MAX_HALF_OPEN = 256;
  /** On the link (198.18.0.0/24) but neither the kernel's address nor the stack's. */
  private static final String UNUSED_ADDRESS = "198.18.0.77";
  private static final int REQUESTS = 20;
  /** The most TCP buffer memory the stack may hold during the flood: 64 chunks of 4 KiB, for 20 small requests. */
  private static final long MAX_FLOOD_BUFFER_MEMORY = 64 * 4096;
  private static final byte[] RESPONSE =
      "HTTP/1.0 200 OK\r\nContent-Length: 3\r\nConnection: close\r\n\r\nok\n".getBytes(StandardCharsets.US_ASCII);

  private TunStack net;
  private final ExecutorService threads = Executors.newCachedThreadPool();
  private ResourceLeakDetector.Level leakDetection;

  /**
   * The tests run Netty's leak detector at paranoid, which records a stack trace at every buffer
   * access: about 0.4 ms a packet, so the stack read a flood at a few hundred packets a second and
   * the clients' segments queued behind it in the kernel. While this test runs the detector samples
   * (level simple: one buffer in 128, no stack traces), which still reports a leak that repeats —
   * and a flood repeats everything.
   */
  @BeforeEach
  void leakDetectionSampled() {
    leakDetection = ResourceLeakDetector.getLevel();
    ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.SIMPLE);
  }

  @AfterEach
  void stop() throws InterruptedException {
    threads.shutdownNow();
    threads.awaitTermination(10, TimeUnit.SECONDS);
    if (net != null) {
      net.close();
    }
    ResourceLeakDetector.setLevel(leakDetection);
  }

  @Test
  void clientsGetThroughASynFloodAndHalfOpenStaysBounded() throws Exception {
    RoutedPath.assumeOnPath("hping3", "curl");
    net = TunStack.start(null, TunLink.TUN_OFFLOADS, b -> b.maxHalfOpen(MAX_HALF_OPEN));
    StackRuntime runtime = net.runtime();
    TcpServerSocket server = TcpServerSocket.bind(runtime, PORT, 128);
    threads.submit(() -> serve(server));

    // hping3 at the lowest priority: on a machine whose cores are busy with other work, the flood
    // then takes what the stack leaves, instead of starving the stack's thread; on an idle machine
    // it floods at full speed on a core of its own. Either way the TUN queue overflows with it.
    Process flood = net.ns().start("nice", "-n", "19", "hping3", "-S", "--flood", "-p", String.valueOf(PORT), "-a", UNUSED_ADDRESS,
        TunStack.STACK);
    int maxHalfOpen = 0;
    long maxBufferMemory = 0;
    long rssBefore = rssKiB();
    try {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
      while (runtime.counters().get(StackCounter.TCP_SYN_COOKIES_SENT) == 0) {
        if (!flood.isAlive() || System.nanoTime() - deadline > 0) {
          fail("the flood never filled the half-open queue: hping3 " + (flood.isAlive() ? "running" : "exited: "
              + new String(flood.getInputStream().readAllBytes(), StandardCharsets.UTF_8)) + "; counters "
              + runtime.counters());
        }
        Thread.sleep(20);
      }
      for (int i = 0; i < REQUESTS; i++) {
        ProcessResult r = net.ns().exec(Duration.ofSeconds(10), "curl", "-sS", "--max-time", "3",
            "http://" + TunStack.STACK + ":" + PORT + "/" + i);
        if (!r.succeeded()) {
          fail("request " + i + " of " + REQUESTS + " under the flood: " + r + "\ncounters " + runtime.counters()
              + "\nlink: " + net.ns().exec("ip", "-s", "link", "show", net.device()).stdout()
              + "\nkernel: " + net.ns().exec("nstat", "-az", "TcpExtSyncookies*", "IpOutRequests", "IpInReceives",
                  "IpInAddrErrors", "IpOutNoRoutes").stdout());
        }
        assertEquals("ok\n", r.stdout(), "request " + i);
        maxHalfOpen = Math.max(maxHalfOpen, halfOpen(runtime));
        maxBufferMemory = Math.max(maxBufferMemory, bufferMemory(runtime));
        assertTrue(flood.isAlive(), "the flood went on during request " + i);
      }
    } finally {
      flood.toHandle().destroyForcibly(); // by its own PID
      flood.waitFor(10, TimeUnit.SECONDS);
    }
    long sent = runtime.counters().get(StackCounter.TCP_SYN_COOKIES_SENT);
    long validated = runtime.counters().get(StackCounter.TCP_SYN_COOKIES_VALIDATED);
    System.out.println("SYN flood: " + sent + " cookies sent, " + validated + " validated, "
        + runtime.counters().get(StackCounter.TCP_SYN_COOKIES_FAILED) + " failed; half-open at most " + maxHalfOpen
        + "; buffer memory at most " + maxBufferMemory + " bytes; the test JVM's RSS " + rssBefore / 1024 + " MiB before the flood, "
        + rssKiB() / 1024 + " MiB after (printed, not asserted: the JVM's heap grows as it likes)");
    // Memory follows data: a flood of SYNs (no payload, cookies beyond the limit) takes no buffer
    // memory; only the 20 requests do, a chunk or two each at a time.
    assertTrue(maxBufferMemory <= MAX_FLOOD_BUFFER_MEMORY, "buffer memory " + maxBufferMemory + " during the flood");
    assertTrue(sent > 0, "cookies sent");
    assertTrue(validated > 0, "clients connected through cookies");
    assertTrue(maxHalfOpen <= MAX_HALF_OPEN, "half-open " + maxHalfOpen + " within the limit " + MAX_HALF_OPEN);
    int open = runtime.call(() -> runtime.stack().tcp().openConnectionCount()).get(5, TimeUnit.SECONDS);
    assertTrue(open <= MAX_HALF_OPEN + REQUESTS, "the stack holds " + open + " connections: the half-open ones and ours");
  }

  /** The stack's TCP buffer memory in use, in bytes. */
  private static long bufferMemory(StackRuntime runtime) throws InterruptedException, ExecutionException, TimeoutException {
    return runtime.call(() -> runtime.stack().tcp().pool().inUse()).get(5, TimeUnit.SECONDS);
  }

  /** This process's resident set, in KiB (/proc/self/status), or -1. */
  private static long rssKiB() {
    try {
      for (String line : java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/self/status"))) {
        if (line.startsWith("VmRSS:")) {
          return Long.parseLong(line.replaceAll("[^0-9]", ""));
        }
      }
    } catch (IOException | NumberFormatException e) {
      // not Linux, or no procfs: only the printout misses it
    }
    return -1;
  }

  private static int halfOpen(StackRuntime runtime) throws InterruptedException, ExecutionException, TimeoutException {
    return runtime.call(() -> runtime.stack().tcp().halfOpenCount()).get(5, TimeUnit.SECONDS);
  }

  /** A responder: each connection's request (up to its blank line) gets {@link #RESPONSE}, then the close. */
  private Void serve(TcpServerSocket server) throws IOException {
    while (true) {
      TcpSocket client = server.accept();
      threads.submit(() -> {
        try (TcpSocket c = client) {
          c.setReadTimeout(Duration.ofSeconds(5));
          byte[] buf = new byte[4096];
          StringBuilder request = new StringBuilder();
          for (int n; request.indexOf("\r\n\r\n") < 0 && (n = c.read(buf, 0, buf.length)) > 0; ) {
            request.append(new String(buf, 0, n, StandardCharsets.US_ASCII));
          }
          c.write(RESPONSE, 0, RESPONSE.length);
        }
        return null;
      });
    }
  }
}
