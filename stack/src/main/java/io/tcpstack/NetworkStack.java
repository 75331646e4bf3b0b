package io.tcpstack;

import io.netty.buffer.ByteBuf;
import io.tcpstack.ip.Icmpv4Layer;
import io.tcpstack.ip.Icmpv6Layer;
import io.tcpstack.ip.Ipv4Layer;
import io.tcpstack.ip.Ipv6Layer;
import io.tcpstack.ip.Offload;
import io.tcpstack.ip.PacketSink;
import io.tcpstack.stats.CounterSet;
import io.tcpstack.stats.StackCounter;
import io.tcpstack.tcp.IsnGenerator;
import io.tcpstack.tcp.DeadlineHeap;
import io.tcpstack.tcp.TcpLayer;
import io.tcpstack.udp.UdpLayer;
import io.tcpstack.wire.IpProtocol;
import io.tcpstack.wire.PacketFormat;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import io.tcpstack.wire.Ipv6Header;

/**
 * The protocol core: one host's IPv4, ICMP, IPv6, ICMPv6 and TCP as a pure state machine. Packets
 * from the link go to the IPv4 or IPv6 layer by their version nibble.
 *
 * <p>Three entry points, as in smoltcp: {@link #receive} (one packet from the link), {@link #poll}
 * (run what is due), {@link #pollAt} (when attention is next needed). No I/O, no threads, no clock:
 * time is the {@code nowNs} the caller passes (any monotonic origin; only differences matter), and
 * packets leave through the {@link PacketSink} given at construction. That makes every behaviour
 * reproducible in tests with a virtual clock. Not thread-safe: the runtime calls it from one thread.
 */
public final class NetworkStack implements AutoCloseable {

  /** The logger on which every dropped packet is logged at DEBUG with its reason (its counter). */
  public static final String DROP_LOGGER = "io.tcpstack.drops";
  /**
   * The logger on which every packet in and out is logged at TRACE, one line each in tcpdump's
   * style ({@link PacketFormat}). Off by default; when off, it costs a level check per packet in
   * and nothing per packet out (the sink is wrapped only if TRACE was on when the stack was made).
   */
  public static final String PACKET_LOGGER = "io.tcpstack.packets";
  private static final Logger packets = LoggerFactory.getLogger(PACKET_LOGGER);

  private final StackConfig config;
  /** Drops are logged with their reason at DEBUG on the logger {@value #DROP_LOGGER}. */
  private final CounterSet<StackCounter> counters =
      new CounterSet<>(StackCounter.class, StackCounter::isDrop, LoggerFactory.getLogger(DROP_LOGGER));
  private final Ipv4Layer ip;
  private final Ipv6Layer ip6;
  private final TcpLayer tcp;
  private final UdpLayer udp;
  /** The applications' timers ({@link #timer}). */
  private final DeadlineHeap<StackTimer> timers = new DeadlineHeap<>();
  private long lastNowNs;
  private boolean clockStarted;
  private boolean closed;

  /**
   * A stack whose link does no checksum or segmentation work ({@link Offload#NONE}): every packet
   * it sends is finished and at most the MTU.
   *
   * @param config the stack's address, MTU and limits, not null
   * @param sink where the packets the stack sends go, not null; called on the stack thread
   */
  public NetworkStack(StackConfig config, PacketSink sink) {
    this(config, sink, Offload.NONE);
  }

  /**
   * A stack whose link does checksum or segmentation work for it: {@code linkOffloads} are {@link
   * Offload} capabilities, and {@code sink} receives packets with the metadata they allow ({@link
   * PacketSink#transmit(ByteBuf, int)}).
   *
   * @param config the stack's address, MTU and limits, not null
   * @param sink where the packets the stack sends go, not null; called on the stack thread
   * @param linkOffloads {@link Offload#TX_CHECKSUM} and/or {@link Offload#TX_SEGMENTATION} OR-ed
   *     together, or {@link Offload#NONE}
   */
  public NetworkStack(StackConfig config, PacketSink sink, int linkOffloads) {
    this.config = config;
    if (packets.isTraceEnabled()) {
      sink = tracing(sink);
    }
    this.ip = new Ipv4Layer(config, counters, sink, linkOffloads);
    ip.register(IpProtocol.ICMP, new Icmpv4Layer(ip, counters));
    this.ip6 = new Ipv6Layer(config, counters, sink);
    Icmpv6Layer icmp6 = new Icmpv6Layer(ip6, counters);
    ip6.icmp(icmp6);
    ip6.register(IpProtocol.ICMPV6, icmp6);
    this.tcp = new TcpLayer(ip, ip6, counters, new IsnGenerator(config.isnKey()), config);
    ip.register(IpProtocol.TCP, tcp);
    this.udp = new UdpLayer(ip, ip6, icmp6, counters, config);
    ip.register(IpProtocol.UDP, udp);
    ip6.register(IpProtocol.UDP, udp);
    ip6.register(IpProtocol.TCP, tcp);
  }

  /** {@code sink}, logging each packet it is given at TRACE first. */
  private static PacketSink tracing(PacketSink sink) {
    return new PacketSink() {
      @Override
      public void transmit(ByteBuf packet) {
        packets.trace("out {}", PacketFormat.describe(packet));
        sink.transmit(packet);
      }

      @Override
      public void transmit(ByteBuf packet, int offload) {
        packets.trace("out {}{}", PacketFormat.describe(packet), offload == Offload.NONE ? "" : " (" + Offload.describe(offload) + ")");
        sink.transmit(packet, offload);
      }
    };
  }

  /**
   * Processes one packet read from the link (its readable bytes), then delivers the events it
   * raised. The caller keeps ownership of the packet.
   *
   * @param packet one IPv4 or IPv6 packet, from its first header byte; not null, not released here
   * @param nowNs the current time in nanoseconds, on the caller's monotonic clock
   */
  public void receive(ByteBuf packet, long nowNs) {
    receive(packet, Offload.NONE, nowNs);
  }

  /**
   * As {@link #receive(ByteBuf, long)}, with what the link says about the packet ({@link
   * Offload#CHECKSUM_VALID}).
   *
   * @param packet one IPv4 or IPv6 packet, or a super-segment a link merged (GRO), from its first
   *     header byte; not null, not released here
   * @param offload {@link Offload#CHECKSUM_VALID} when the link vouches for the transport checksum,
   *     otherwise {@link Offload#NONE}
   * @param nowNs the current time in nanoseconds, on the caller's monotonic clock
   */
  public void receive(ByteBuf packet, int offload, long nowNs) {
    if (packets.isTraceEnabled()) {
      packets.trace("in  {}{}", PacketFormat.describe(packet),
          offload == Offload.NONE ? "" : " (" + Offload.describe(offload) + ")");
    }
    advance(nowNs);
    // RFC 8200 §3 / RFC 791 §3.1: the version nibble comes first in both headers.
    if (packet.readableBytes() > 0 && (packet.getUnsignedByte(packet.readerIndex()) >>> 4) == Ipv6Header.VERSION) {
      ip6.receive(packet, offload, nowNs);
    } else {
      ip.receive(packet, offload, nowNs);
    }
    if (!tcp.batching()) {
      tcp.deliverEvents();
    }
  }

  /**
   * The packets {@link #receive}d until {@link #endBatch()} are one batch read from the link in one
   * turn: the connections answer the whole batch at its end (one ACK for a run of in-order
   * segments, data those ACKs let go in larger segments), and events are delivered then. A
   * duplicate ACK still leaves at once. The runtime wraps each turn's reads in a batch.
   */
  public void beginBatch() {
    tcp.beginBatch();
  }

  /** Ends the batch begun with {@link #beginBatch()}: sends what it made due and delivers its events. */
  public void endBatch() {
    tcp.deliverEvents();
  }

  /**
   * Runs every timer due at {@code nowNs}, then delivers the events raised.
   *
   * @param nowNs the current time in nanoseconds, on the caller's monotonic clock
   */
  public void poll(long nowNs) {
    advance(nowNs);
    ip.poll(nowNs);
    ip6.poll(nowNs);
    tcp.poll(nowNs);
    tcp.deliverEvents();
    StackTimer due;
    while ((due = timers.pollDue(nowNs)) != null) {
      due.task.run();
      tcp.deliverEvents(); // what the task's calls raised
    }
  }

  /**
   * A timer whose {@code task} runs on the stack thread, in {@link #poll}, once it is scheduled and
   * its deadline comes (see {@link StackTimer}). Stack thread.
   *
   * @param task what to run, not null; it may call the stack (its events are delivered after it)
   * @return a new timer, not yet scheduled ({@link StackTimer#schedule(long)} arms it)
   * @throws NullPointerException if {@code task} is null
   */
  public StackTimer timer(Runnable task) {
    return new StackTimer(this, java.util.Objects.requireNonNull(task, "task"));
  }

  DeadlineHeap<StackTimer> timers() {
    return timers;
  }

  /**
   * Delivers events raised by calls made outside {@link #receive} and {@link #poll} (an
   * application's send, close or abort); the runtime calls it after the tasks it runs.
   */
  public void deliverEvents() {
    tcp.deliverEvents();
  }

  /**
   * Moves the stack's notion of now forward to {@code nowNs} (never back): the time handlers and
   * channels use for the calls they make (see {@link #nowNs()}).
   *
   * @param nowNs the current time in nanoseconds, on the caller's monotonic clock; an earlier time
   *     than the stack's is ignored
   */
  public void advance(long nowNs) {
    if (nowNs - lastNowNs > 0 || !clockStarted) {
      lastNowNs = nowNs;
      clockStarted = true;
    }
  }

  /**
   * The latest time given to the stack: the {@code nowNs} for calls made on the stack thread now.
   *
   * @return the time in nanoseconds on the caller's clock (0 before any was given)
   */
  public long nowNs() {
    return lastNowNs;
  }

  /**
   * The next time {@link #poll} has work, or {@link Long#MAX_VALUE} if none is scheduled.
   *
   * @return the deadline in nanoseconds on the caller's clock (possibly already past), or {@link
   *     Long#MAX_VALUE}
   */
  public long pollAt() {
    return earliest(earliest(earliest(ip.pollAt(), ip6.pollAt()), tcp.pollAt()), timers.peekDeadline());
  }

  private static long earliest(long a, long b) {
    if (a == Long.MAX_VALUE) {
      return b;
    }
    if (b == Long.MAX_VALUE) {
      return a;
    }
    return a - b < 0 ? a : b;
  }

  /**
   * TCP: listeners and connections.
   *
   * @return the TCP layer; stack thread only
   */
  public TcpLayer tcp() {
    return tcp;
  }

  /**
   * UDP: bound ports and their endpoints.
   *
   * @return the UDP layer; stack thread only
   */
  public UdpLayer udp() {
    return udp;
  }

  /**
   * The configuration the stack was made with.
   *
   * @return the configuration (immutable, so readable from any thread)
   */
  public StackConfig config() {
    return config;
  }

  /**
   * The stack's counters; readable from any thread.
   *
   * @return the counters, one per {@link StackCounter}
   */
  public CounterSet<StackCounter> counters() {
    return counters;
  }

  /**
   * The IP layer, for registering protocols and for tests.
   *
   * @return the IPv4 layer; stack thread only
   */
  public Ipv4Layer ip() {
    return ip;
  }

  /**
   * The IPv6 layer, for registering protocols and for tests (present, disabled, without an IPv6
   * address).
   *
   * @return the IPv6 layer, never null; stack thread only
   */
  public Ipv6Layer ip6() {
    return ip6;
  }

  /** Releases every buffer the stack holds. Idempotent. */
  @Override
  public void close() {
    if (!closed) {
      closed = true;
      tcp.close(lastNowNs);
      tcp.deliverEvents(); // subscribers learn that their connections were aborted
      udp.close();
      ip.close();
      ip6.close();
    }
  }
}
