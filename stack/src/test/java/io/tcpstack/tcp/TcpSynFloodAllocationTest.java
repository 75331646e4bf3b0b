package io.tcpstack.tcp;

import static io.tcpstack.testing.Seg.ACK;
import static io.tcpstack.testing.Seg.FIN;
import static io.tcpstack.testing.Seg.SYN;
import static io.tcpstack.testing.TcpHarness.LOCAL_PORT;
import static io.tcpstack.testing.TcpHarness.MSS;
import static io.tcpstack.testing.TcpHarness.PEER_PORT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.tcpstack.stats.StackCounter;
import io.tcpstack.testing.Seg;
import io.tcpstack.testing.TcpHarness;
import java.lang.management.ManagementFactory;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The paths a flood drives — a SYN to a listener answered with a SYN cookie (RFC 4987 §3.6), a
 * forged cookie ACK refused with RST, a SYN dropped when cookies are off, a segment for no
 * connection answered with RST (RFC 9293 §3.10.7.1), a segment to a TIME-WAIT record — each for
 * {@value #PACKETS} packets with distinct 4-tuples: the outcome of every packet is asserted (counted
 * and answered as it must be, no state kept). What the stack thread allocated meanwhile is printed
 * ({@code [alloc]} lines), not asserted: allocation counts are a diagnostic here, and since these
 * paths take addresses as {@code int}s (IPv4) or pairs of longs (IPv6) and make an {@link
 * io.tcpstack.wire.IpAddress} only for a new connection, they should read 0 bytes a packet.
 *
 * <p>The packets are built before the loops and go in as heap buffers, and the stack's own buffers
 * come from an allocator the leak detector leaves alone (at the paranoid level it allocates on every
 * access of a buffer it tracks); the stack's output is counted, not copied ({@link
 * TcpHarness#discardOutput}). Five rounds warm the JIT up before the measured one.
 */
class TcpSynFloodAllocationTest {

  static final int PACKETS = 10_000;
  static final int WARM_UP_ROUNDS = 5;
  static final int PEER_ISS = 10_000;
  static final int PEER_TS = 1_000_000;
  /** Where the flood's source ports start: above the port that took the SYN queue's one place. */
  static final int FIRST_PORT = PEER_PORT + 2;

  /**
   * Buffers the leak detector does not track: at the paranoid level the build runs with, it
   * records (allocates) every access of the stack's output buffers, tens of kilobytes a packet.
   */
  static final ByteBufAllocator UNTRACKED = new UnpooledByteBufAllocator(true, true);

  TcpHarness h;
  TcpConnection conn;

  @AfterEach
  void close() {
    if (conn != null) {
      conn.dispose();
    }
    if (h != null) {
      h.close();
    }
  }

  static Seg from(int port) {
    return new Seg(port, LOCAL_PORT, PEER_ISS, 0, 0, 65535, -1, new byte[0], null);
  }

  /** A SYN from {@code port} with MSS, Window Scale, SACK-Permitted and Timestamps (as Linux sends). */
  static Seg syn(int port) {
    return from(port).flags(SYN).rawOptions(TcpSynCookiesTest.synOptions(MSS, 7, true, true));
  }

  /** The packets of {@code segment(i)} for {@code i} below {@value #PACKETS}, as heap buffers. */
  ByteBuf[] packets(java.util.function.IntFunction<Seg> segment) {
    ByteBuf[] packets = new ByteBuf[PACKETS];
    for (int i = 0; i < PACKETS; i++) {
      packets[i] = Unpooled.wrappedBuffer(h.packet(segment.apply(i)));
    }
    return packets;
  }

  /** A stack whose listener's SYN queue of one is taken: every further SYN gets a cookie (or, with them off, nothing). */
  void synQueueFull(boolean ipv6, boolean cookies) {
    h = ipv6 ? TcpHarness.ipv6(b -> b.allocator(UNTRACKED).synBacklog(1).synCookies(cookies))
        : new TcpHarness(b -> b.allocator(UNTRACKED).synBacklog(1).synCookies(cookies));
    h.listen(LOCAL_PORT, 8, TcpConfig.DEFAULT);
    h.send(from(PEER_PORT + 1).flags(SYN).mss(MSS));
    assertEquals(1, h.take().size());
    assertEquals(1, h.stack().tcp().halfOpenCount());
  }

  /**
   * Delivers {@code packets} {@link #WARM_UP_ROUNDS} times, then once more measured; prints what the
   * stack thread allocated in the measured round. Returns how many packets went in.
   */
  long flood(String path, ByteBuf[] packets) {
    for (int round = 0; round < WARM_UP_ROUNDS; round++) {
      deliver(packets);
    }
    long bytes = allocatedBy(() -> deliver(packets));
    if (bytes < 0) {
      System.out.printf("[alloc] %s: the JVM counts no per-thread allocation%n", path);
    } else {
      System.out.printf("[alloc] %s: %d bytes over %d packets (%.2f a packet)%n", path, bytes, packets.length,
          (double) bytes / packets.length);
    }
    return (WARM_UP_ROUNDS + 1L) * packets.length;
  }

  private void deliver(ByteBuf[] packets) {
    for (ByteBuf p : packets) {
      h.stack().receive(p.resetReaderIndex(), h.now());
    }
  }

  /** Bytes the current thread allocated while {@code r} ran, or -1 where the JVM does not count them. */
  static long allocatedBy(Runnable r) {
    if (!(ManagementFactory.getThreadMXBean() instanceof com.sun.management.ThreadMXBean counter)
        || !counter.isThreadAllocatedMemorySupported() || !counter.isThreadAllocatedMemoryEnabled()) {
      r.run();
      return -1;
    }
    long before = counter.getCurrentThreadAllocatedBytes();
    r.run();
    return counter.getCurrentThreadAllocatedBytes() - before;
  }

  @Test
  void ipv4SynsEachGetACookieAndLeaveNothing() {
    synQueueFull(false, true);
    ByteBuf[] syns = packets(i -> syn(FIRST_PORT + i));
    h.discardOutput(true);
    long n = flood("IPv4 SYN -> SYN cookie", syns);
    assertEquals(n, h.counter(StackCounter.TCP_SYN_COOKIES_SENT));
    assertEquals(n, h.discarded(), "a SYN-ACK for every SYN");
    assertEquals(1, h.stack().tcp().openConnectionCount(), "no state for a cookie");
    assertEquals(1, h.stack().tcp().halfOpenCount());
  }

  @Test
  void ipv6SynsEachGetACookieAndLeaveNothing() {
    synQueueFull(true, true);
    ByteBuf[] syns = packets(i -> syn(FIRST_PORT + i));
    h.discardOutput(true);
    long n = flood("IPv6 SYN -> SYN cookie", syns);
    assertEquals(n, h.counter(StackCounter.TCP_SYN_COOKIES_SENT));
    assertEquals(n, h.discarded(), "a SYN-ACK for every SYN");
    assertEquals(1, h.stack().tcp().openConnectionCount(), "no state for a cookie");
  }

  @Test
  void ipv4ForgedCookieAcksAreCheckedAndDrawRst() {
    synQueueFull(false, true);
    h.send(syn(FIRST_PORT)); // the port sent a cookie recently: bare ACKs are checked as cookies
    h.take();
    // With timestamps, so that the check takes the connection's timestamp offset out of TSecr too.
    ByteBuf[] acks = packets(i -> from(FIRST_PORT + i).seq(PEER_ISS + 1).ack(0x5EED_0000 + i).flags(ACK)
        .ts(PEER_TS, 0x1234_0000));
    h.discardOutput(true);
    long n = flood("IPv4 forged cookie ACK -> RST", acks);
    assertEquals(n, h.counter(StackCounter.TCP_SYN_COOKIES_FAILED));
    assertEquals(0, h.counter(StackCounter.TCP_SYN_COOKIES_VALIDATED));
    assertEquals(n, h.discarded(), "a RST for every ACK");
    assertEquals(1, h.stack().tcp().openConnectionCount());
  }

  @Test
  void ipv4SynsToAFullQueueWithCookiesOffAreDropped() {
    synQueueFull(false, false);
    ByteBuf[] syns = packets(i -> syn(FIRST_PORT + i));
    h.discardOutput(true);
    long n = flood("IPv4 SYN -> SYN queue overflow (cookies off)", syns);
    assertEquals(n, h.counter(StackCounter.TCP_SYN_QUEUE_OVERFLOWS));
    assertEquals(0, h.discarded());
    assertEquals(1, h.stack().tcp().openConnectionCount());
  }

  @Test
  void ipv4SegmentsForNoConnectionDrawRst() {
    h = new TcpHarness(b -> b.allocator(UNTRACKED));
    ByteBuf[] segments = packets(i -> i % 2 == 0 ? syn(FIRST_PORT + i)
        : from(FIRST_PORT + i).seq(PEER_ISS + 1).ack(77 + i).flags(ACK));
    h.discardOutput(true);
    long n = flood("IPv4 segment for no connection -> RST", segments);
    assertEquals(n, h.counter(StackCounter.TCP_NO_PORT));
    assertEquals(n, h.discarded(), "a RST for every segment");
    assertEquals(0, h.stack().tcp().connectionCount());
  }

  @Test
  void ipv4SegmentsToTimeWaitAreAnswered() {
    h = new TcpHarness(b -> b.allocator(UNTRACKED));
    TcpListener listener = h.listen(LOCAL_PORT, 8, TcpConfig.DEFAULT);
    h.send(from(PEER_PORT).flags(SYN).mss(MSS));
    List<Seg> out = h.take();
    assertEquals(1, out.size());
    int iss = out.get(0).seq;
    h.send(from(PEER_PORT).seq(PEER_ISS + 1).ack(iss + 1).flags(ACK));
    conn = listener.accept();
    assertNotNull(conn);
    h.close(conn);
    assertEquals(1, h.take().size()); // our FIN
    h.send(from(PEER_PORT).seq(PEER_ISS + 1).ack(iss + 2).flags(FIN | ACK));
    assertEquals(1, h.take().size()); // the ACK of the peer's FIN
    assertEquals(TcpState.TIME_WAIT, conn.state());
    // An old duplicate (before the FIN, so not acceptable): TIME-WAIT acknowledges it again.
    ByteBuf[] duplicates = packets(i -> from(PEER_PORT).seq(PEER_ISS + 1).ack(iss + 1).flags(ACK));
    h.discardOutput(true);
    long n = flood("IPv4 segment to TIME-WAIT -> ACK", duplicates);
    assertEquals(n, h.discarded(), "an ACK for every duplicate");
    assertEquals(1, h.stack().tcp().timeWaitCount());
    assertEquals(TcpState.TIME_WAIT, conn.state());
  }
}
