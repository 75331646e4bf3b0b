package io.tcpstack.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.tcpstack.NetworkStack;
import io.tcpstack.StackConfig;
import io.tcpstack.ip.Offload;
import io.tcpstack.stats.StackCounter;
import io.tcpstack.tcp.TcpConfig;
import io.tcpstack.tcp.TcpConnection;
import io.tcpstack.tcp.TcpListener;
import java.util.ArrayList;
import java.util.List;

/**
 * Segment-level driver for the TCP core on a virtual clock, in the style of smoltcp's
 * {@code send!}/{@code recv!}: {@code h.at(t).send(seg)} delivers a segment from the peer,
 * {@code h.expect(segs...)} asserts exactly those segments were emitted since the last check, and
 * {@code h.expectNothing()} that none were. The peer is 198.18.0.1; the stack is 198.18.0.2.
 */
public final class TcpHarness implements AutoCloseable {

  /** The stack's MSS at MTU 1500. */
  public static final int MSS = 1460;
  public static final int PEER_PORT = 40000;
  public static final int LOCAL_PORT = 7;

  private final CapturingSink sink = new CapturingSink();
  private final NetworkStack stack;
  private final List<Seg> emitted = new ArrayList<>();
  private final List<Integer> emittedOffloads = new ArrayList<>();
  private long nowNs;
  /** Whether the stack's segments must carry DF (see {@link #expectDontFragment}). */
  private boolean dontFragment = true;
  /** Whether the peer speaks IPv6 ({@link #ipv6()}): segments go and come in IPv6 packets. */
  private boolean ipv6;

  public TcpHarness() {
    this(1500);
  }

  public TcpHarness(int mtu) {
    this(b -> b.mtu(mtu));
  }

  /** A harness whose stack's configuration {@code tune} may change (limits, buffer memory). */
  public TcpHarness(java.util.function.UnaryOperator<StackConfig.Builder> tune) {
    this(tune, Offload.NONE);
  }

  /**
   * A harness whose link has the {@link Offload} capabilities {@code linkOffloads}: segments arrive
   * finished (checksum completed, super-segments whole) and their metadata in {@link
   * #takeOffloads()}.
   */
  public TcpHarness(java.util.function.UnaryOperator<StackConfig.Builder> tune, int linkOffloads) {
    this.stack = new NetworkStack(tune.apply(StackConfig.builder()
        .address(Packets.STACK, 24)
        .isnKey(new byte[16])
        .ephemeralPortSeed(0)).build(), sink, linkOffloads);
  }

  /**
   * A harness whose stack also has fd00:7463:7073::2/64 and whose peer is fd00:7463:7073::1
   * ({@link Packets6#HOST6}): {@link #send(Seg)} and {@link #connect} use IPv6, and every segment
   * the stack emits must be IPv6 to the peer, its checksum right over the IPv6 pseudo-header.
   */
  public static TcpHarness ipv6() {
    return ipv6(b -> b);
  }

  /** As {@link #ipv6()}, with the stack's configuration changed by {@code tune}. */
  public static TcpHarness ipv6(java.util.function.UnaryOperator<StackConfig.Builder> tune) {
    TcpHarness h = new TcpHarness(b -> tune.apply(b.address6(Packets6.STACK6, 64)));
    h.ipv6 = true;
    return h;
  }

  public NetworkStack stack() {
    return stack;
  }

  public long now() {
    return nowNs;
  }

  /** Advances the virtual clock to {@code atNs} and runs the timers due by then. */
  public TcpHarness at(long atNs) {
    if (atNs < nowNs) {
      throw new IllegalArgumentException("time goes forward: " + atNs + " < " + nowNs);
    }
    nowNs = atNs;
    stack.poll(nowNs);
    collect();
    return this;
  }

  public TcpHarness atMs(long ms) {
    return at(ms * 1_000_000L);
  }

  /** Delivers a segment from the peer (198.18.0.1) to the stack. */
  public TcpHarness send(Seg s) {
    return send(packet(s), Offload.NONE);
  }

  /** The IP packet (IPv4, or IPv6 for an {@link #ipv6()} harness) that carries {@code s} from the peer to the stack. */
  public byte[] packet(Seg s) {
    if (ipv6) {
      return Packets6.ipv6(Packets6.HOST6, Packets6.STACK6, 6, s.toBytes6(Packets6.HOST6, Packets6.STACK6));
    }
    return Packets.ipv4(Packets.HOST, Packets.STACK, 6, 0x4242, true, false, 0, 64, s.toBytes(Packets.HOST, Packets.STACK));
  }

  /**
   * With {@code on}, the packets the stack emits are only counted ({@link #discarded()}), not kept
   * nor checked: for loops that measure what the stack itself allocates. Off again, they are kept.
   */
  public TcpHarness discardOutput(boolean on) {
    collect();
    sink.discard(on);
    return this;
  }

  /** Packets emitted while {@link #discardOutput} was on. */
  public long discarded() {
    return sink.discarded();
  }

  /** Delivers an IP packet from the link, with what the link says about it ({@link Offload#CHECKSUM_VALID}). */
  public TcpHarness send(byte[] packet, int offload) {
    ByteBuf b = Unpooled.directBuffer(packet.length);
    try {
      b.writeBytes(packet);
      stack.receive(b, offload, nowNs);
    } finally {
      b.release();
    }
    collect();
    return this;
  }

  /** Asserts the stack emitted exactly {@code expected} (in order) since the last check. */
  public TcpHarness expect(Seg... expected) {
    List<Seg> got = take();
    assertEquals(List.of(expected), got, "segments emitted at t=" + nowNs + "ns");
    return this;
  }

  public TcpHarness expectNothing() {
    return expect();
  }

  /** Everything emitted since the last check, and forgets it. */
  public List<Seg> take() {
    collect();
    List<Seg> copy = new ArrayList<>(emitted);
    emitted.clear();
    return copy;
  }

  /** The offload metadata of the segments emitted since the last call, in order (after {@link #take()}). */
  public List<Integer> takeOffloads() {
    collect();
    List<Integer> copy = new ArrayList<>(emittedOffloads);
    emittedOffloads.clear();
    return copy;
  }

  private void collect() {
    emittedOffloads.addAll(sink.takeOffloads());
    for (byte[] p : sink.take()) {
      if ((p[0] & 0xF0) == 0x60) {
        if (!ipv6 || !Packets6.source(p).equals(Packets6.STACK6) || !Packets6.destination(p).equals(Packets6.HOST6)) {
          throw new AssertionError("IPv6 packet not from the stack to the IPv6 peer");
        }
        if (Packets6.u8(p, 7) != 64) {
          throw new AssertionError("hop limit " + Packets6.u8(p, 7) + ", not 64");
        }
        emitted.add(Seg.parse6(p));
        continue;
      }
      if (ipv6) {
        throw new AssertionError("an IPv4 packet to an IPv6 peer");
      }
      if (Packets.u32(p, 16) != Packets.HOST || Packets.u32(p, 12) != Packets.STACK) {
        throw new AssertionError("packet not from the stack to the peer");
      }
      if ((Packets.u16(p, 6) & 0x4000) == 0 && dontFragment) {
        throw new AssertionError("TCP segments are sent with DF (RFC 9293 §3.7.2, RFC 1191)");
      }
      if ((Packets.u16(p, 6) & 0x4000) != 0 && !dontFragment) {
        throw new AssertionError("TCP segments on a path below 576 bytes go without DF");
      }
      emitted.add(Seg.parse(p));
    }
  }

  /**
   * From now on every segment the stack emits must carry DF ({@code true}, the default) or must not
   * ({@code false}: a path whose MTU a router reported below 576).
   */
  public TcpHarness expectDontFragment(boolean df) {
    collect();
    dontFragment = df;
    return this;
  }

  /** Delivers an IP packet from the link (an ICMP message from a router, say). */
  public TcpHarness send(byte[] packet) {
    return send(packet, Offload.NONE);
  }

  public TcpListener listen(int port, int backlog, TcpConfig config) {
    return stack.tcp().listen(port, backlog, config);
  }

  public TcpConnection connect(int port, TcpConfig config) {
    TcpConnection c = ipv6 ? stack.tcp().connect(Packets6.HOST6, port, config, nowNs)
        : stack.tcp().connect(Packets.HOST, port, config, nowNs);
    collect();
    return c;
  }

  /** Queues {@code data} on {@code c} and runs output. */
  public int write(TcpConnection c, byte[] data) {
    ByteBuf b = Unpooled.wrappedBuffer(data);
    try {
      int n = c.send(b, data.length, nowNs);
      collect();
      return n;
    } finally {
      b.release();
    }
  }

  /** Reads up to {@code max} bytes from {@code c}. */
  public byte[] read(TcpConnection c, int max) {
    ByteBuf b = Unpooled.buffer(max);
    try {
      c.receive(b, max, nowNs);
      collect();
      byte[] out = new byte[b.readableBytes()];
      b.readBytes(out);
      return out;
    } finally {
      b.release();
    }
  }

  public void shutdownOutput(TcpConnection c) {
    c.shutdownOutput(nowNs);
    collect();
  }

  /** The application's complete close ({@link TcpConnection#close}): reads no more, FIN after the data. */
  public boolean close(TcpConnection c) {
    boolean graceful = c.close(nowNs);
    collect();
    return graceful;
  }

  public void abort(TcpConnection c) {
    c.abort(nowNs);
    collect();
  }

  public long counter(StackCounter c) {
    return stack.counters().get(c);
  }

  @Override
  public void close() {
    stack.close();
  }
}
