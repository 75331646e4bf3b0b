package io.tcpstack.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tcpstack.stats.StackCounter;
import io.tcpstack.tcp.TcpConfig;
import io.tcpstack.testing.LinkSnapshot;
import io.tcpstack.testing.ProcessResult;
import io.tcpstack.testing.TestNamespace;
import io.tcpstack.testing.TunStack;
import io.tcpstack.testing.TunTransfers;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.NoRouteToHostException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * ICMP errors from a real Linux router reach TCP (RFC 1122 §4.2.3.9) and path MTU discovery works
 * through it (RFC 1191). The stack's TUN device lives in a namespace that forwards — the router —
 * and a second namespace, the client, hangs off it by a veth pair whose router end has MTU 1280:
 *
 * <pre>
 *   stack 198.18.0.2 ==TUN== 198.18.0.1 [router, ip_forward] 198.19.0.1 (MTU 1280) --veth-- 198.19.0.2 [client]
 * </pre>
 *
 * The stack's 1500-byte segments carry DF, so the router drops them and answers "fragmentation
 * needed" with MTU 1280; the client's own link is 1500, so its SYN offers MSS 1460 and only ICMP
 * tells the stack the truth.
 */
class PathMtuOverTunIntegrationTest {

  private static final Duration LIMIT = Duration.ofSeconds(120);
  private static final int TEN_MB = 10_000_000;
  private static final int PORT = 80;
  private static final String ROUTER = "198.19.0.1";
  private static final String CLIENT = "198.19.0.2";
  private static final int NARROW_MTU = 1280;

  private TunStack net;
  private TestNamespace client;
  private ExecutorService threads;
  private Path peer;

  @BeforeEach
  void start() throws IOException {
    net = TunStack.start();
    threads = Executors.newCachedThreadPool();
    peer = TunStack.script("/tun/tcp_peer.py");
    client = TestNamespace.create();
    TestNamespace router = net.ns();
    router.exec("sysctl", "-qw", "net.ipv4.ip_forward=1").assertSuccess();
    router.ip("link", "add", "veth-r", "type", "veth", "peer", "name", "veth-c", "netns", client.name()).assertSuccess();
    router.ip("addr", "add", ROUTER + "/24", "dev", "veth-r").assertSuccess();
    router.ip("link", "set", "veth-r", "mtu", Integer.toString(NARROW_MTU), "up").assertSuccess();
    client.ip("addr", "add", CLIENT + "/24", "dev", "veth-c").assertSuccess();
    client.ip("link", "set", "veth-c", "up").assertSuccess();
    client.ip("route", "add", "default", "via", ROUTER).assertSuccess();
  }

  @AfterEach
  void stop() throws InterruptedException {
    if (threads != null) {
      threads.shutdownNow();
      threads.awaitTermination(10, TimeUnit.SECONDS);
    }
    if (client != null) {
      client.close();
    }
    if (net != null) {
      net.close();
    }
  }

  @Test
  void tenMegabytesDownloadByteExactThroughA1280ByteHopAndTheNextConnectionStartsAtTheLearnedMss() throws Exception {
    try (TcpServerSocket server = TcpServerSocket.bind(net.runtime(), PORT, 4)) {
      Download first = download(server, 1);
      LinkSnapshot s = LinkSnapshot.of(net);
      assertEquals(1, s.stack(StackCounter.TCP_PMTU_UPDATES), "one decrease, 1500 to 1280; " + s);
      assertTrue(s.stack(StackCounter.ICMP_IN_DEST_UNREACHS) >= 1, s.toString());
      // The path's MSS less the 12 bytes of timestamps every segment carries (RFC 6691 §3).
      assertEquals(NARROW_MTU - 40 - 12, first.mssAtTheEnd, "segments sized for the path, not the peer's MSS 1460");
      s.assertNoLoopErrors("first download");

      // RFC 1191 §6.2: the IP layer remembers the path; a new connection needs no new ICMP.
      Download second = download(server, 2);
      assertEquals(NARROW_MTU - 40 - 12, second.mssAtTheStart, "from the path MTU cache");
      LinkSnapshot after = LinkSnapshot.of(net);
      assertEquals(1, after.stack(StackCounter.TCP_PMTU_UPDATES), after.toString());
      after.assertNoLoopErrors("second download");
    }
  }

  @Test
  void aConnectThroughTheRouterToAnUnreachableHostFailsSayingHostUnreachable() throws Exception {
    // The router has a route of type unreachable: it answers each SYN with ICMP host unreachable.
    net.ns().ip("route", "add", "unreachable", "198.19.9.0/24").assertSuccess();
    TcpConfig twoRetries = TcpConfig.DEFAULT.toBuilder().retries(2, 15).build(); // fails after 1 + 2 + 4 s
    NoRouteToHostException e = assertThrows(NoRouteToHostException.class, () -> TcpSocket.connect(net.runtime(),
        (Inet4Address) InetAddress.getByName("198.19.9.9"), PORT, Duration.ZERO, twoRetries));
    assertTrue(e.getMessage().startsWith("host unreachable"), e.getMessage());
    LinkSnapshot s = LinkSnapshot.of(net);
    assertTrue(s.stack(StackCounter.TCP_ICMP_SOFT_ERRORS) >= 1, s.toString());
    assertEquals(1, s.stack(StackCounter.TCP_TIMEOUTS), s.toString());
  }

  /** What the stack side of one download saw. */
  private record Download(int mssAtTheStart, int mssAtTheEnd) {}

  /**
   * The client fetches {@link #TEN_MB} bytes from the stack: the stack accepts, writes a seeded
   * stream and closes; the client's count and SHA-256 must equal what was written.
   */
  private Download download(TcpServerSocket server, long seed) throws Exception {
    CompletableFuture<Object[]> served = CompletableFuture.supplyAsync(() -> {
      try (TcpSocket c = server.accept(LIMIT)) {
        int mssAtTheStart = c.info().sendMss();
        String sha = TunTransfers.writeAll(c, TEN_MB, (int) seed);
        int mssAtTheEnd = c.info().sendMss();
        return new Object[] {"received " + TEN_MB + " " + sha, mssAtTheStart, mssAtTheEnd};
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }, threads);
    ProcessResult r = client.exec(LIMIT, "python3", peer.toString(), "fetch", TunStack.STACK, Integer.toString(PORT));
    assertEquals(0, r.exitCode(), r.toString());
    Object[] stackSide = served.get(LIMIT.toSeconds(), TimeUnit.SECONDS);
    assertEquals(stackSide[0], r.stdout().trim(), "byte-exact");
    return new Download((Integer) stackSide[1], (Integer) stackSide[2]);
  }
}
