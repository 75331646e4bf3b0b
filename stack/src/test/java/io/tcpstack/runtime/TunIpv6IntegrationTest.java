package io.tcpstack.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tcpstack.api.ConnectionRefusedException;
import io.tcpstack.api.TcpServerSocket;
import io.tcpstack.api.TcpSocket;
import io.tcpstack.stats.StackCounter;
import io.tcpstack.testing.ProcessResult;
import io.tcpstack.testing.TestNamespace;
import io.tcpstack.testing.TunStack;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * IPv6 between the stack and Linux through a TUN device in a fresh namespace: the kernel side is
 * fd00:7463:7073::1/64, the stack fd00:7463:7073::2 (beside their IPv4 addresses). Linux's ping
 * -6 (whole and fragmented), TCP from Linux to the stack and from the stack to Linux. Needs root
 * and /dev/net/tun: skipped with the reason otherwise, failed under CI=true.
 */
class TunIpv6IntegrationTest {

  private static final Duration LIMIT = Duration.ofSeconds(120);

  private TunStack net;
  private TestNamespace ns;
  private ExecutorService threads;

  @BeforeEach
  void start() throws IOException {
    net = TunStack.start();
    ns = net.ns();
    threads = Executors.newCachedThreadPool();
  }

  @AfterEach
  void stop() throws InterruptedException {
    if (threads != null) {
      threads.shutdownNow();
      threads.awaitTermination(10, TimeUnit.SECONDS);
    }
    if (net != null) {
      net.close();
    }
  }

  private long counter(StackCounter c) {
    return net.runtime().counters().get(c);
  }

  @Test
  void ping6GetsEveryReply() {
    ProcessResult r = ns.exec(LIMIT, "ping", "-6", "-n", "-c", "3", "-i", "0.2", "-W", "5", TunStack.STACK6);
    assertEquals(0, r.exitCode(), r.toString());
    assertTrue(r.stdout().contains("3 packets transmitted, 3 received, 0% packet loss"), r.toString());
    assertEquals(3, counter(StackCounter.ICMP6_OUT_ECHO_REPS));
    assertEquals(0, counter(StackCounter.LOOP_ERRORS));
  }

  @Test
  void fragmentedPing6IsReassembledAndAnsweredInFragments() {
    // 4000 data bytes exceed the 1500-byte MTU: Linux fragments the request at the source (RFC
    // 8200 §4.5), the stack reassembles it and fragments its reply, which Linux reassembles.
    ProcessResult r = ns.exec(LIMIT, "ping", "-6", "-n", "-c", "3", "-i", "0.2", "-W", "5", "-s", "4000",
        TunStack.STACK6);
    assertEquals(0, r.exitCode(), r.toString());
    assertTrue(r.stdout().contains("3 packets transmitted, 3 received, 0% packet loss"), r.toString());
    assertTrue(r.stdout().contains("4008 bytes from " + TunStack.STACK6), r.toString());
    assertEquals(3, counter(StackCounter.IP_REASM_OKS));
    assertEquals(3, counter(StackCounter.IP6_FRAG_OKS));
  }

  /** Echo (RFC 862) on {@code port}: every accepted connection gets its bytes back until it closes. */
  private void echoServer(int port) throws IOException {
    TcpServerSocket server = TcpServerSocket.bind(net.runtime(), port, 16);
    threads.submit(() -> {
      while (true) {
        TcpSocket client = server.accept();
        threads.submit(() -> {
          try (TcpSocket c = client) {
            byte[] buf = new byte[64 * 1024];
            for (int n; (n = c.read(buf, 0, buf.length)) > 0; ) {
              c.write(buf, 0, n);
            }
          }
          return null;
        });
      }
    });
  }

  @Test
  void linuxConnectsOverIpv6AndGetsItsBytesBack() throws Exception {
    echoServer(7);
    Path peer = TunStack.script("/tun/tcp_peer.py");
    ProcessResult r = ns.exec(LIMIT, "python3", peer.toString(), "echo", TunStack.STACK6, "7", "10000000", "6");
    assertEquals(0, r.exitCode(), r.toString());
    String[] f = r.stdout().strip().split(" ");
    assertEquals("echoed", f[0], r.toString());
    assertEquals("10000000", f[1], r.toString());
    assertEquals(f[2], f[3], "the echo is the stream, byte for byte");
    assertEquals(0, counter(StackCounter.TCP_IN_BAD_CHECKSUM));
  }

  @Test
  void linuxConnectsOverIpv6ThroughAnImpairedLink() throws Exception {
    // Below an impairment the link finishes what the kernel hands over in software: the partial
    // checksums of the kernel's IPv6 segments are completed over the IPv6 pseudo-header.
    net.close();
    net = TunStack.start(io.tcpstack.device.Impairment.parse("loss=1%,seed=6"));
    ns = net.ns();
    echoServer(7);
    Path peer = TunStack.script("/tun/tcp_peer.py");
    ProcessResult r = ns.exec(LIMIT, "python3", peer.toString(), "echo", TunStack.STACK6, "7", "2000000", "7");
    assertEquals(0, r.exitCode(), r.toString());
    String[] f = r.stdout().strip().split(" ");
    assertEquals("2000000", f[1], r.toString());
    assertEquals(f[2], f[3], "the echo is the stream, byte for byte");
    assertEquals(0, counter(StackCounter.TCP_IN_BAD_CHECKSUM), "no kernel segment left with a partial checksum");
  }

  @Test
  void ncOverIpv6() throws Exception {
    echoServer(7);
    ProcessResult r = ns.exec(LIMIT, "bash", "-c", "printf 'over IPv6\\n' | nc -6 -N -w 10 " + TunStack.STACK6 + " 7");
    assertEquals(0, r.exitCode(), r.toString());
    assertEquals("over IPv6\n", r.stdout(), r.toString());
  }

  @Test
  void closedPortOverIpv6IsRefused() {
    ProcessResult r = ns.exec(LIMIT, "nc", "-6", "-z", "-v", "-w", "10", TunStack.STACK6, "9999");
    assertEquals(1, r.exitCode(), r.toString());
    assertTrue(r.stderr().contains("refused"), r.toString());
    assertEquals(1, counter(StackCounter.TCP_NO_PORT));
  }

  @Test
  void stackConnectsOutOverIpv6() throws Exception {
    Path peer = TunStack.script("/tun/tcp_peer.py");
    Process listener = ns.start("python3", peer.toString(), "recv", TunStack.HOST6, "5002");
    try {
      BufferedReader out = new BufferedReader(new InputStreamReader(listener.getInputStream(), StandardCharsets.UTF_8));
      assertEquals("listening", out.readLine());
      byte[] data = new byte[1_000_000];
      new java.util.Random(6).nextBytes(data);
      Inet6Address host = (Inet6Address) InetAddress.getByName(TunStack.HOST6);
      try (TcpSocket c = TcpSocket.connect(net.runtime(), host, 5002, Duration.ofSeconds(10))) {
        assertEquals(new InetSocketAddress(host, 5002), c.remoteSocketAddress());
        c.write(data, 0, data.length);
      }
      String sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
      assertEquals("received 1000000 " + sha, out.readLine());
      assertTrue(listener.waitFor(LIMIT.toSeconds(), TimeUnit.SECONDS));
    } finally {
      listener.destroyForcibly();
    }
  }

  @Test
  void connectingToAClosedLinuxPortOverIpv6IsRefused() throws Exception {
    Inet6Address host = (Inet6Address) InetAddress.getByName(TunStack.HOST6);
    assertThrows(ConnectionRefusedException.class, () -> TcpSocket.connect(net.runtime(), host, 5999,
        Duration.ofSeconds(10)));
  }
}
