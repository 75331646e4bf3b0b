package io.tcpstack;

import io.netty.buffer.ByteBuf;
import io.tcpstack.ip.Icmpv4Layer;
import io.tcpstack.ip.Ipv4Layer;
import io.tcpstack.ip.PacketSink;
import io.tcpstack.stats.CounterSet;
import io.tcpstack.stats.StackCounter;
import io.tcpstack.tcp.IsnGenerator;
import io.tcpstack.tcp.TcpLayer;
import io.tcpstack.wire.IpProtocol;

/**
 * The protocol core: one host's IPv4, ICMP (and, in later issues, TCP) as a pure state machine.
 *
 * <p>Three entry points, as in smoltcp: {@link #receive} (one packet from the link), {@link #poll}
 * (run what is due), {@link #pollAt} (when attention is next needed). No I/O, no threads, no clock:
 * time is the {@code nowNs} the caller passes (any monotonic origin; only differences matter), and
 * packets leave through the {@link PacketSink} given at construction. That makes every behaviour
 * reproducible in tests with a virtual clock. Not thread-safe: the runtime calls it from one thread.
 */
public final class NetworkStack implements AutoCloseable {

  private final StackConfig config;
  private final CounterSet<StackCounter> counters = new CounterSet<>(StackCounter.class);
  private final Ipv4Layer ip;
  private final TcpLayer tcp;
  private long lastNowNs;
  private boolean closed;

  public NetworkStack(StackConfig config, PacketSink sink) {
    this.config = config;
    this.ip = new Ipv4Layer(config, counters, sink);
    ip.register(IpProtocol.ICMP, new Icmpv4Layer(ip, counters));
    this.tcp = new TcpLayer(ip, counters, new IsnGenerator(config.isnKey()), config.allocator(),
        config.ephemeralPortSeed());
    ip.register(IpProtocol.TCP, tcp);
  }

  /** Processes one packet read from the link (its readable bytes). The caller keeps ownership. */
  public void receive(ByteBuf packet, long nowNs) {
    lastNowNs = nowNs;
    ip.receive(packet, nowNs);
  }

  /** Runs every timer due at {@code nowNs}. */
  public void poll(long nowNs) {
    lastNowNs = nowNs;
    ip.poll(nowNs);
    tcp.poll(nowNs);
  }

  /** The next time {@link #poll} has work, or {@link Long#MAX_VALUE} if none is scheduled. */
  public long pollAt() {
    long a = ip.pollAt();
    long b = tcp.pollAt();
    if (a == Long.MAX_VALUE) {
      return b;
    }
    if (b == Long.MAX_VALUE) {
      return a;
    }
    return a - b < 0 ? a : b;
  }

  /** TCP: listeners and connections. */
  public TcpLayer tcp() {
    return tcp;
  }

  public StackConfig config() {
    return config;
  }

  /** The stack's counters; readable from any thread. */
  public CounterSet<StackCounter> counters() {
    return counters;
  }

  /** The IP layer, for registering protocols and for tests. */
  public Ipv4Layer ip() {
    return ip;
  }

  /** Releases every buffer the stack holds. Idempotent. */
  @Override
  public void close() {
    if (!closed) {
      closed = true;
      tcp.close(lastNowNs);
      ip.close();
    }
  }
}
