package io.tcpstack.api;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.netty.buffer.ByteBuf;
import io.tcpstack.StackConfig;
import io.tcpstack.runtime.StackRuntime;
import io.tcpstack.stats.StackCounter;
import io.tcpstack.testing.Packets;
import io.tcpstack.testing.Packets6;
import io.tcpstack.testing.PipeDevice;
import io.tcpstack.udp.UdpError;
import io.tcpstack.udp.UdpLayer;
import io.tcpstack.wire.IpAddress;
import io.tcpstack.wire.Ipv4Address;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.BindException;
import java.net.DatagramPacket;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The UDP API — blocking {@link UdpSocket} and event-driven {@link UdpChannel} — between two stacks
 * each run by a {@link StackRuntime} on its own thread, joined by an in-memory link ({@link
 * PipeDevice}), as {@link SocketPair} joins the TCP sockets' tests.
 */
class UdpSocketTest {

  private static final Duration GUARD = SocketPair.GUARD;
  private static final int ECHO_PORT = 7;
  private static final InetSocketAddress SERVER_ECHO =
      new InetSocketAddress(Ipv4Address.toInet(Packets.STACK), ECHO_PORT);
  private static final InetSocketAddress SERVER_ECHO6 = new InetSocketAddress(Packets6.STACK6.toInet(), ECHO_PORT);

  private StackRuntime client;
  private StackRuntime server;
  private final List<Thread> threads = new CopyOnWriteArrayList<>();

  @BeforeEach
  void start() {
    PipeDevice[] link = PipeDevice.pair(1500);
    client = StackRuntime.start(config(Packets.HOST, Packets6.HOST6), link[0]);
    server = StackRuntime.start(config(Packets.STACK, Packets6.STACK6), link[1]);
  }

  @AfterEach
  void stop() throws InterruptedException {
    for (Thread t : threads) {
      t.interrupt();
    }
    assertEquals(0, client.counters().get(StackCounter.LOOP_ERRORS));
    assertEquals(0, server.counters().get(StackCounter.LOOP_ERRORS));
    client.close();
    server.close();
    for (Thread t : threads) {
      t.join(GUARD.toMillis());
    }
    Thread.interrupted();
  }

  /** Both families on the link, as serve's default: IPv4 /24 and IPv6 /64. */
  private static StackConfig config(int address, IpAddress address6) {
    return StackConfig.builder().address(address, 24).address6(address6, 64).mtu(1500).build();
  }

  private static ByteBuffer utf8(String s) {
    return ByteBuffer.wrap(s.getBytes(StandardCharsets.UTF_8));
  }

  private static String string(ByteBuffer b) {
    b.flip();
    return StandardCharsets.UTF_8.decode(b).toString();
  }

  /** A blocking echo server on the server stack, on a thread of its own: sends every datagram back. */
  private UdpSocket blockingEcho() throws IOException {
    UdpSocket echo = UdpSocket.bind(server, ECHO_PORT);
    run("echo", () -> {
      ByteBuffer b = ByteBuffer.allocate(UdpLayer.MAX_PAYLOAD);
      while (true) {
        b.clear();
        InetSocketAddress from = echo.receive(b);
        b.flip();
        echo.send(b, from);
      }
    });
    return echo;
  }

  /** Runs {@code body} on a daemon thread; its outcome in the future. */
  private <T> CompletableFuture<T> run(String name, IoCall<T> body) {
    CompletableFuture<T> outcome = new CompletableFuture<>();
    Thread t = new Thread(() -> {
      try {
        outcome.complete(body.run());
      } catch (Throwable e) {
        outcome.completeExceptionally(e);
      }
    }, name);
    t.setDaemon(true);
    threads.add(t);
    t.start();
    return outcome;
  }

  @FunctionalInterface
  private interface IoCall<T> {
    T run() throws Exception;
  }

  private static Throwable thrown(CompletableFuture<?> f) throws Exception {
    try {
      Object r = f.get(GUARD.toSeconds(), TimeUnit.SECONDS);
      return fail("returned " + r + " instead of failing");
    } catch (ExecutionException e) {
      return e.getCause();
    }
  }

  /** Waits (hang guard) until {@code t} sleeps: a receive waiting for a datagram. */
  private static void awaitWaiting(Thread t) throws InterruptedException {
    long deadline = System.nanoTime() + GUARD.toNanos();
    while (t.getState() != Thread.State.WAITING && t.getState() != Thread.State.TIMED_WAITING) {
      if (System.nanoTime() - deadline > 0) {
        fail(t.getName() + " never waited");
      }
      Thread.sleep(1);
    }
  }

  // --- blocking sockets ---

  @Test
  void anUnboundSenderGetsAnEphemeralPortAndTheEchoComesBackFromPort7() throws Exception {
    blockingEcho();
    try (UdpSocket s = UdpSocket.open(client)) {
      assertEquals(0, s.getLocalPort());
      s.send(utf8("hello, udp"), SERVER_ECHO);
      assertTrue(s.getLocalPort() >= UdpLayer.EPHEMERAL_FIRST, "RFC 6335 range: " + s.getLocalPort());
      s.setReceiveTimeout(GUARD);
      ByteBuffer b = ByteBuffer.allocate(100);
      assertEquals(SERVER_ECHO, s.receive(b));
      assertEquals("hello, udp", string(b));
    }
  }

  @Test
  void datagramPacketsWorkAsWithDatagramSocketAndALargeOneCrossesInFragments() throws Exception {
    blockingEcho();
    try (UdpSocket s = UdpSocket.bind(client, 5555)) {
      s.setReceiveTimeout(GUARD);
      byte[] big = Packets.pattern(20_000);
      s.send(new DatagramPacket(big, big.length, SERVER_ECHO));
      DatagramPacket p = new DatagramPacket(new byte[30_000], 30_000);
      s.receive(p);
      assertEquals(20_000, p.getLength());
      assertEquals(SERVER_ECHO, p.getSocketAddress());
      assertArrayEquals(big, java.util.Arrays.copyOf(p.getData(), 20_000));
      assertTrue(client.counters().get(StackCounter.IP_FRAG_OKS) >= 1, "it left in fragments");
      assertTrue(client.counters().get(StackCounter.IP_REASM_OKS) >= 1, "and came back in fragments");

      // A packet shorter than the datagram takes what fits, as DatagramSocket.
      s.send(new DatagramPacket(big, 10, SERVER_ECHO));
      DatagramPacket small = new DatagramPacket(new byte[4], 4);
      s.receive(small);
      assertEquals(4, small.getLength());
      assertArrayEquals(java.util.Arrays.copyOf(big, 4), small.getData());
    }
  }

  @Test
  void unresolvedMulticastAndUnspecifiedIpv6AddressesAreRefusedClearly() throws Exception {
    try (UdpSocket s = UdpSocket.open(client)) {
      for (String bad : new String[] {"ff02::1", "::"}) {
        InetSocketAddress v6 = new InetSocketAddress(InetAddress.getByName(bad), 7);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> s.send(utf8("x"), v6));
        assertTrue(e.getMessage().contains("unicast"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> s.connect(v6));
      }
      assertThrows(IllegalArgumentException.class,
          () -> s.send(utf8("x"), InetSocketAddress.createUnresolved("example.invalid", 7)));
      SocketException tooLong = assertThrows(SocketException.class,
          () -> s.send(ByteBuffer.allocate(UdpLayer.MAX_PAYLOAD_IPV6 + 1), SERVER_ECHO6));
      assertTrue(tooLong.getMessage().contains("IPv6"), tooLong.getMessage());
    }
  }

  // --- IPv6 ---

  @Test
  void overIpv6TheEchoComesBackFromAnInet6AddressAndOneSocketSpeaksBothFamilies() throws Exception {
    blockingEcho();
    try (UdpSocket s = UdpSocket.open(client)) {
      s.setReceiveTimeout(GUARD);
      s.send(utf8("hello, udp6"), SERVER_ECHO6);
      ByteBuffer b = ByteBuffer.allocate(100);
      InetSocketAddress from = s.receive(b);
      assertEquals(SERVER_ECHO6, from);
      assertInstanceOf(Inet6Address.class, from.getAddress());
      assertEquals("hello, udp6", string(b));
      // The same socket, and the same echo socket, over IPv4 next: the sender's family follows.
      s.send(utf8("hello, udp4"), SERVER_ECHO);
      b.clear();
      InetSocketAddress from4 = s.receive(b);
      assertEquals(SERVER_ECHO, from4);
      assertInstanceOf(Inet4Address.class, from4.getAddress());
      assertEquals("hello, udp4", string(b));
      // A datagram larger than the MTU crosses in IPv6 fragments, both ways.
      byte[] big = Packets.pattern(20_000);
      s.send(new DatagramPacket(big, big.length, SERVER_ECHO6));
      DatagramPacket p = new DatagramPacket(new byte[30_000], 30_000);
      s.receive(p);
      assertEquals(20_000, p.getLength());
      assertEquals(SERVER_ECHO6, p.getSocketAddress());
      assertArrayEquals(big, java.util.Arrays.copyOf(p.getData(), 20_000));
      assertTrue(client.counters().get(StackCounter.IP6_FRAG_OKS) >= 1, "it left in fragments");
      assertTrue(server.counters().get(StackCounter.IP6_FRAG_OKS) >= 1, "and came back in fragments");
    }
  }

  @Test
  void aConnectedIpv6SocketLearnsOfAClosedPortAsConnectionRefused() throws Exception {
    try (UdpSocket s = UdpSocket.open(client)) {
      InetSocketAddress closed = new InetSocketAddress(Packets6.STACK6.toInet(), 9999);
      s.connect(closed);
      assertEquals(closed, s.getRemoteAddress());
      s.setReceiveTimeout(GUARD);
      s.send(utf8("anyone?"));
      ByteBuffer b = ByteBuffer.allocate(16);
      assertThrows(ConnectionRefusedException.class, () -> s.receive(b));
      assertEquals(1, server.counters().get(StackCounter.UDP_NO_PORTS));
      assertEquals(1, server.counters().get(StackCounter.ICMP6_OUT_DEST_UNREACHS));
      s.setReceiveTimeout(Duration.ofMillis(50));
      assertThrows(SocketTimeoutException.class, () -> s.receive(b), "once");
    }
  }

  @Test
  void aChannelOverIpv6ReusesTheSenderObjectOnlyWhileThePeerIsUnchanged() throws Exception {
    UdpChannel c = client.call(() -> UdpChannel.bind(client.stack(), 6000, null)).get(GUARD.toSeconds(),
        TimeUnit.SECONDS);
    try (UdpSocket s = UdpSocket.open(server)) {
      InetSocketAddress to6 = new InetSocketAddress(Packets6.HOST6.toInet(), 6000);
      InetSocketAddress to4 = new InetSocketAddress(Ipv4Address.toInet(Packets.HOST), 6000);
      s.send(utf8("one"), to6);
      s.send(utf8("two"), to6);
      s.send(utf8("three"), to4);
      long deadline = System.nanoTime() + GUARD.toNanos();
      while (client.call(c::queuedDatagrams).get() < 3 && System.nanoTime() - deadline < 0) {
        Thread.sleep(1);
      }
      List<InetSocketAddress> senders = client.call(() -> {
        ByteBuf b = client.stack().config().allocator().heapBuffer(16);
        try {
          return List.of(c.receive(b), c.receive(b), c.receive(b));
        } finally {
          b.release();
        }
      }).get();
      assertEquals(new InetSocketAddress(Packets6.STACK6.toInet(), s.getLocalPort()), senders.get(0));
      assertSame(senders.get(0), senders.get(1));
      assertEquals(new InetSocketAddress(Ipv4Address.toInet(Packets.STACK), s.getLocalPort()), senders.get(2));
      // And the channel answers over the family it was written to.
      client.call(() -> {
        ByteBuf b = client.stack().config().allocator().heapBuffer(4).writeInt(6);
        try {
          c.send(b, senders.get(0));
        } finally {
          b.release();
        }
        return null;
      }).get();
      s.setReceiveTimeout(GUARD);
      ByteBuffer b = ByteBuffer.allocate(8);
      assertEquals(new InetSocketAddress(Packets6.HOST6.toInet(), 6000), s.receive(b));
      assertEquals(4, b.position());
    } finally {
      client.call(() -> {
        c.close();
        return null;
      }).get();
    }
  }

  @Test
  void aPortBoundTwiceIsABindException() throws Exception {
    try (UdpSocket a = UdpSocket.bind(server, 9000)) {
      assertThrows(BindException.class, () -> UdpSocket.bind(server, 9000));
      a.close();
      UdpSocket.bind(server, 9000).close();
    }
  }

  @Test
  void aConnectedSocketLearnsOfAClosedPortAsConnectionRefusedOnItsNextReceive() throws Exception {
    try (UdpSocket s = UdpSocket.open(client)) {
      s.connect(new InetSocketAddress(Ipv4Address.toInet(Packets.STACK), 9999));
      assertTrue(s.isConnected());
      s.setReceiveTimeout(GUARD);
      s.send(utf8("anyone?"));
      ByteBuffer b = ByteBuffer.allocate(16);
      assertThrows(ConnectionRefusedException.class, () -> s.receive(b));
      assertEquals(1, server.counters().get(StackCounter.UDP_NO_PORTS));
      // Once: the socket stays open, and the next receive waits as usual.
      s.setReceiveTimeout(Duration.ofMillis(50));
      assertThrows(SocketTimeoutException.class, () -> s.receive(b));
      assertFalse(s.isClosed());
    }
  }

  @Test
  void anUnconnectedSocketIsNotToldOfAClosedPort() throws Exception {
    try (UdpSocket s = UdpSocket.open(client)) {
      s.send(utf8("anyone?"), new InetSocketAddress(Ipv4Address.toInet(Packets.STACK), 9999));
      long deadline = System.nanoTime() + GUARD.toNanos();
      while (client.counters().get(StackCounter.ICMP_IN_DEST_UNREACHS) == 0 && System.nanoTime() - deadline < 0) {
        Thread.sleep(1);
      }
      s.setReceiveTimeout(Duration.ofMillis(50));
      assertThrows(SocketTimeoutException.class, () -> s.receive(ByteBuffer.allocate(16)));
    }
  }

  @Test
  void aConnectedSocketRefusesOtherDestinationsAndTakesItsPeerOnly() throws Exception {
    blockingEcho();
    try (UdpSocket s = UdpSocket.open(client); UdpSocket other = UdpSocket.bind(server, 8)) {
      s.connect(SERVER_ECHO);
      assertThrows(IllegalArgumentException.class,
          () -> s.send(utf8("x"), new InetSocketAddress(Ipv4Address.toInet(Packets.STACK), 8)));
      s.send(utf8("via connect"));
      s.setReceiveTimeout(GUARD);
      ByteBuffer b = ByteBuffer.allocate(32);
      assertEquals(SERVER_ECHO, s.receive(b));
      assertEquals("via connect", string(b));
      s.disconnect();
      assertNull(s.getRemoteAddress());
      s.send(utf8("now to 8"), new InetSocketAddress(Ipv4Address.toInet(Packets.STACK), 8));
      other.setReceiveTimeout(GUARD);
      b.clear();
      assertEquals(s.getLocalPort(), other.receive(b).getPort());
      assertEquals("now to 8", string(b));
    }
  }

  @Test
  void aReceiveThatTimesOutTakesNothingAndTheNextGetsTheDatagram() throws Exception {
    try (UdpSocket r = UdpSocket.bind(server, 4000); UdpSocket s = UdpSocket.open(client)) {
      r.setReceiveTimeout(Duration.ofMillis(20));
      assertThrows(SocketTimeoutException.class, () -> r.receive(ByteBuffer.allocate(8)));
      s.send(utf8("late"), new InetSocketAddress(Ipv4Address.toInet(Packets.STACK), 4000));
      r.setReceiveTimeout(GUARD);
      ByteBuffer b = ByteBuffer.allocate(8);
      r.receive(b);
      assertEquals("late", string(b));
    }
  }

  @Test
  void anInterruptedReceiveTakesNothingKeepsTheFlagAndTheSocketOpen() throws Exception {
    try (UdpSocket r = UdpSocket.bind(server, 4000); UdpSocket s = UdpSocket.open(client)) {
      LinkedBlockingQueue<Boolean> flag = new LinkedBlockingQueue<>();
      CompletableFuture<InetSocketAddress> waiting = run("receiver", () -> {
        try {
          return r.receive(ByteBuffer.allocate(8));
        } finally {
          flag.add(Thread.currentThread().isInterrupted());
        }
      });
      Thread t = threads.get(threads.size() - 1);
      awaitWaiting(t);
      t.interrupt();
      assertInstanceOf(InterruptedIOException.class, thrown(waiting));
      assertTrue(flag.poll(GUARD.toSeconds(), TimeUnit.SECONDS), "the interrupt flag is set");
      assertFalse(r.isClosed());
      s.send(utf8("after"), new InetSocketAddress(Ipv4Address.toInet(Packets.STACK), 4000));
      r.setReceiveTimeout(GUARD);
      ByteBuffer b = ByteBuffer.allocate(8);
      r.receive(b);
      assertEquals("after", string(b));
    }
  }

  @Test
  void closeEndsABlockedReceiveAndFreesThePort() throws Exception {
    UdpSocket r = UdpSocket.bind(server, 4000);
    CompletableFuture<InetSocketAddress> waiting = run("receiver", () -> r.receive(ByteBuffer.allocate(8)));
    awaitWaiting(threads.get(threads.size() - 1));
    r.close();
    assertInstanceOf(SocketClosedException.class, thrown(waiting));
    assertThrows(SocketClosedException.class, () -> r.receive(ByteBuffer.allocate(8)));
    UdpSocket.bind(server, 4000).close();
  }

  @Test
  void closingTheStackEndsBlockedReceivesOfBoundAndUnboundSockets() throws Exception {
    UdpSocket bound = UdpSocket.bind(server, 4000);
    UdpSocket unbound = UdpSocket.open(server);
    CompletableFuture<InetSocketAddress> first = run("bound", () -> bound.receive(ByteBuffer.allocate(8)));
    awaitWaiting(threads.get(threads.size() - 1));
    CompletableFuture<InetSocketAddress> second = run("unbound", () -> unbound.receive(ByteBuffer.allocate(8)));
    awaitWaiting(threads.get(threads.size() - 1));
    server.close();
    assertInstanceOf(SocketClosedException.class, thrown(first));
    assertInstanceOf(SocketClosedException.class, thrown(second));
  }

  @Test
  void aFullReceiveQueueDropsDatagramsAndCountsThem() throws Exception {
    try (UdpSocket r = UdpSocket.bind(server, 4000, UdpLayer.MIN_RECEIVE_BUFFER);
        UdpSocket s = UdpSocket.open(client)) {
      InetSocketAddress to = new InetSocketAddress(Ipv4Address.toInet(Packets.STACK), 4000);
      for (int i = 0; i < 10; i++) {
        s.send(ByteBuffer.wrap(Packets.pattern(500)), to);
      }
      long deadline = System.nanoTime() + GUARD.toNanos();
      while (server.counters().get(StackCounter.UDP_IN_DATAGRAMS) + server.counters().get(StackCounter.UDP_RCVBUF_ERRORS)
          < 10 && System.nanoTime() - deadline < 0) {
        Thread.sleep(1);
      }
      assertEquals(4, r.queuedDatagrams(), "2048 bytes hold four 508-byte records");
      assertEquals(6, server.counters().get(StackCounter.UDP_RCVBUF_ERRORS));
    }
  }

  // --- the event API ---

  @Test
  void aChannelEchoServesABlockingClient() throws Exception {
    UdpChannel echo = server.call(() -> UdpChannel.bind(server.stack(), ECHO_PORT, new UdpChannelHandler() {
      @Override
      public void onReadable(UdpChannel channel) {
        ByteBuf b = channel.stack().config().allocator().heapBuffer(UdpLayer.MAX_PAYLOAD);
        try {
          InetSocketAddress from;
          while ((from = channel.receive(b)) != null) {
            channel.send(b, from);
            b.clear();
          }
        } finally {
          b.release();
        }
      }
    })).get(GUARD.toSeconds(), TimeUnit.SECONDS);
    assertEquals(ECHO_PORT, echo.localPort());
    try (UdpSocket s = UdpSocket.open(client)) {
      s.setReceiveTimeout(GUARD);
      for (int i = 0; i < 3; i++) {
        s.send(utf8("event " + i), SERVER_ECHO);
        ByteBuffer b = ByteBuffer.allocate(32);
        assertEquals(SERVER_ECHO, s.receive(b));
        assertEquals("event " + i, string(b));
      }
    }
    server.call(() -> {
      echo.close();
      return null;
    }).get(GUARD.toSeconds(), TimeUnit.SECONDS);
  }

  @Test
  void aConnectedChannelIsToldOfPortUnreachableAndTheSenderObjectIsReused() throws Exception {
    LinkedBlockingQueue<UdpError> errors = new LinkedBlockingQueue<>();
    UdpChannel c = client.call(() -> {
      UdpChannel ch = UdpChannel.open(client.stack(), new UdpChannelHandler() {
        @Override
        public void onError(UdpChannel channel, UdpError error) {
          errors.add(error);
        }
      });
      ch.connect(new InetSocketAddress(Ipv4Address.toInet(Packets.STACK), 9999));
      ByteBuf datagram = client.stack().config().allocator().heapBuffer(4).writeInt(42);
      try {
        ch.send(datagram);
      } finally {
        datagram.release();
      }
      return ch;
    }).get(GUARD.toSeconds(), TimeUnit.SECONDS);
    assertEquals(UdpError.PORT_UNREACHABLE, errors.poll(GUARD.toSeconds(), TimeUnit.SECONDS));
    assertNotEquals(0, client.call(c::localPort).get());

    // Two datagrams from one sender: one InetSocketAddress object for both.
    try (UdpSocket s = UdpSocket.open(server)) {
      InetSocketAddress to = client.call(() -> {
        c.disconnect();
        return new InetSocketAddress(Ipv4Address.toInet(Packets.HOST), c.localPort());
      }).get();
      s.send(utf8("one"), to);
      s.send(utf8("two"), to);
      long deadline = System.nanoTime() + GUARD.toNanos();
      while (client.call(c::queuedDatagrams).get() < 2 && System.nanoTime() - deadline < 0) {
        Thread.sleep(1);
      }
      List<InetSocketAddress> senders = client.call(() -> {
        ByteBuf b = client.stack().config().allocator().heapBuffer(16);
        try {
          return List.of(c.receive(b), c.receive(b));
        } finally {
          b.release();
        }
      }).get();
      assertSame(senders.get(0), senders.get(1));
      assertEquals(s.getLocalPort(), senders.get(0).getPort());
    }
  }
}
