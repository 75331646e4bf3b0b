package io.tcpstack.tcp;

import io.netty.buffer.ByteBuf;
import io.netty.util.collection.IntObjectHashMap;
import io.netty.util.collection.LongObjectHashMap;
import io.tcpstack.StackConfig;
import io.tcpstack.ip.IcmpError;
import io.tcpstack.ip.Ipv4Layer;
import io.tcpstack.ip.Ipv6Layer;
import io.tcpstack.ip.Offload;
import io.tcpstack.ip.PathMtuCache;
import io.tcpstack.ip.SoftwareOffload;
import io.tcpstack.ip.ProtocolHandler;
import io.tcpstack.stats.CounterSet;
import io.tcpstack.stats.StackCounter;
import io.tcpstack.tcp.cc.CongestionAlgorithm;
import io.tcpstack.wire.Icmpv4Header;
import io.tcpstack.wire.Icmpv6Header;
import io.tcpstack.wire.IpAddress;
import io.tcpstack.wire.IpProtocol;
import io.tcpstack.wire.Ipv4Address;
import io.tcpstack.wire.Ipv4Header;
import io.tcpstack.wire.Ipv6Header;
import io.tcpstack.wire.TcpHeader;
import io.tcpstack.wire.WireCheck;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;

/**
 * TCP for one local address: checks incoming segments, finds their connection (or listener), answers
 * segments for no connection with RST (RFC 9293 §3.10.7.1), opens connections, runs their timers
 * and builds every outgoing segment. ICMP errors about our segments go to their connection (RFC
 * 1122 §4.2.3.9, RFC 5927), and a new connection starts from the path MTU the IP layer learned for
 * its peer (RFC 1191). Stack thread only.
 */
public final class TcpLayer implements ProtocolHandler {

  /** IPv4 (20) + TCP (20) headers: MSS = MTU - 40 (RFC 9293 §3.7.1, RFC 879). */
  static final int IPV4_TCP_HEADERS = 40;
  /** IPv6 (40) + TCP (20) headers: MSS = MTU - 60 (RFC 8200 §8.3). */
  static final int IPV6_TCP_HEADERS = 60;
  /**
   * The smallest path MTU we size segments for: 576, the datagram every host accepts (RFC 791 §3.1,
   * RFC 1122 §3.3.3), so at least 536 bytes of payload a segment. Where a router reports a smaller
   * MTU (RFC 1191 allows down to 68), segments of this size go without DF, for it to fragment: RFC
   * 1191 §3 lets a host "reduce the size of the datagrams ... or cease setting the Don't Fragment
   * bit", and §5 falls back to exactly this; Linux does the same below its {@code min_pmtu} (552).
   * A floor also blunts forged tiny MTUs (RFC 5927 §7.3).
   */
  static final int MIN_SEGMENT_PATH_MTU = 576;
  /** RFC 6335 §6: the dynamic (ephemeral) port range. */
  static final int EPHEMERAL_FIRST = 49152;
  static final int EPHEMERAL_LAST = 65535;

  /**
   * Bytes per buffer chunk: small enough that ten thousand connections each with a message in each
   * direction take 80 MB, large enough that a 64 KiB window is 16 chunks; an idle connection holds
   * none.
   */
  static final int BUFFER_CHUNK = 4 * 1024;
  /**
   * Chunks the pool keeps for reuse rather than release (1 MiB): enough for a few streaming
   * connections' churn (a chunk freed per 4 KiB acknowledged, one taken per 4 KiB written) to reuse
   * chunks instead of making the allocator's pool allocate bookkeeping per packet; small beside the
   * buffers themselves, so memory still follows data.
   */
  static final int SPARE_CHUNKS = 256;

  private final Ipv4Layer ip;
  /** IPv6, or null (then IPv4 only). */
  private final Ipv6Layer ip6;
  private final CounterSet<StackCounter> counters;
  private final IsnGenerator isn;
  /** Our IPv4 address. */
  private final int address;
  /** Our IPv4 address as a value (for the slow paths that take either family). */
  private final IpAddress address4;
  /** Our IPv6 address, or null when the stack speaks IPv4 only. */
  private final IpAddress address6;
  /** The MSS announced over IPv4: MTU - 40. */
  private final int localMss;
  /** The MSS announced over IPv6: MTU - 60 (RFC 8200 §8.3). */
  private final int localMss6;
  private final int maxConnections;
  private final int synBacklog;
  /** Half-open connections of all listeners together, at most (StackConfig.maxHalfOpen). */
  private final int maxHalfOpen;
  /** Whether a SYN that finds a half-open queue full gets a SYN cookie, rather than being dropped. */
  private final boolean synCookiesOn;
  private final SynCookies synCookies;
  /** Connections in SYN-RECEIVED of every listener. */
  private int halfOpen;
  private final BufferPool pool;
  private final LongObjectHashMap<TcpConnection> connections = new LongObjectHashMap<>();
  /** Connections in TIME-WAIT, as compact records (at most {@link #maxConnections} of them). */
  private final LongObjectHashMap<TimeWaitRecord> timeWaits = new LongObjectHashMap<>();
  /**
   * IPv6 connections by {@link FlowKey6}: a map of their own, so that IPv4 keeps its long keys,
   * probed with {@link #probe6} so that finding one allocates nothing.
   */
  private final HashMap<FlowKey6, TcpConnection> connections6 = new HashMap<>();
  /** IPv6 connections in TIME-WAIT. */
  private final HashMap<FlowKey6, TimeWaitRecord> timeWaits6 = new HashMap<>();
  /** The key every IPv6 lookup fills in: one instance, reused. */
  private final FlowKey6 probe6 = new FlowKey6();
  private final IntObjectHashMap<TcpListener> listeners = new IntObjectHashMap<>();
  /** Every connection and TIME-WAIT record with a timer set, by its earliest deadline. */
  private final DeadlineHeap<Timed> timers = new DeadlineHeap<>();
  private final TcpHeader rx = new TcpHeader();
  private final TcpHeader tx = new TcpHeader();
  private final TcpOptions options = new TcpOptions();
  private final SegmentRepr in = new SegmentRepr();
  private final SegmentRepr out = new SegmentRepr();
  /** Connections whose application could not queue data because the pool was exhausted. */
  private final ArrayDeque<TcpConnection> memoryWaiters = new ArrayDeque<>();
  /** Connections and listeners with events raised but not yet delivered (see {@link #deliverEvents()}). */
  private final ArrayDeque<EventSource> eventsPending = new ArrayDeque<>();
  /** Connections the application holds, closed or not: released at the latest when the stack closes. */
  private final Set<TcpConnection> owned = Collections.newSetFromMap(new IdentityHashMap<>());
  /** RFC 6056 §3.3.4: where active opens take their local ports. */
  private final EphemeralPorts ephemeralPorts;
  /** {@link #portFree} as the port selection's check, made once. */
  private final EphemeralPorts.PortCheck portCheck = this::portFree;
  /** The destination {@link #portFree} checks for, set by {@link #pickEphemeral}. */
  private IpAddress checkRemote;
  private int checkRemotePort;
  private boolean delivering;
  private boolean batching;
  /** Connections whose handlers sent data during this turn's delivery (see {@link #delivering()}). */
  private final ArrayDeque<TcpConnection> corked = new ArrayDeque<>();
  /** The link completes our TCP checksums ({@link Offload#TX_CHECKSUM}). */
  private final boolean checksumOffload;
  /** The link cuts our super-segments ({@link Offload#TX_SEGMENTATION}). */
  private final boolean segmentationOffload;
  /** The congestion control of connections whose TcpConfig names none ({@link StackConfig#congestionControl()}). */
  final CongestionAlgorithm defaultCongestionControl;
  /** RFC 5961 §7: the stack-wide budget of challenge ACKs. */
  private final ChallengeAckLimiter challengeAcks;

  public TcpLayer(Ipv4Layer ip, CounterSet<StackCounter> counters, IsnGenerator isn, StackConfig config) {
    this(ip, null, counters, isn, config);
  }

  /** TCP over both IPv4 and, when {@code ip6} is not null and has an address, IPv6. */
  public TcpLayer(Ipv4Layer ip, Ipv6Layer ip6, CounterSet<StackCounter> counters, IsnGenerator isn,
      StackConfig config) {
    this.ip = ip;
    this.ip6 = ip6;
    this.counters = counters;
    this.isn = isn;
    this.address = ip.address();
    this.address4 = IpAddress.ofIpv4(address);
    this.address6 = ip6 != null && ip6.enabled() ? ip6.address() : null;
    this.localMss = ip.mtu() - IPV4_TCP_HEADERS;
    this.localMss6 = (ip6 != null ? ip6.mtu() : ip.mtu()) - IPV6_TCP_HEADERS;
    this.checksumOffload = Offload.has(ip.linkOffloads(), Offload.TX_CHECKSUM);
    this.segmentationOffload = Offload.has(ip.linkOffloads(), Offload.TX_SEGMENTATION);
    this.maxConnections = config.maxConnections();
    this.synBacklog = config.synBacklog();
    this.maxHalfOpen = config.maxHalfOpen();
    this.synCookiesOn = config.synCookies();
    this.synCookies = new SynCookies(isn);
    this.defaultCongestionControl = config.congestionControl();
    this.challengeAcks = new ChallengeAckLimiter(config.challengeAckLimit(), config.challengeAckSeed());
    this.pool = new BufferPool(config.allocator(), BUFFER_CHUNK, Math.max(BUFFER_CHUNK, config.bufferMemory()),
        SPARE_CHUNKS);
    this.ephemeralPorts = new EphemeralPorts(config.ephemeralPortKey(), EPHEMERAL_FIRST, EPHEMERAL_LAST);
  }

  /**
   * The demux key of a 4-tuple (our address is fixed). The fields are packed into 64 bits and then
   * mixed with MurmurHash3's 64-bit finalizer, a bijection — so keys stay unique — that spreads
   * them over all bits: the hash maps index by the low bits of {@code k ^ k >>> 32}, and the raw
   * packing gave every connection from one peer to one port the same low 16 bits, one chain, and
   * lookups that grew with the connection count (3 µs each at 10,000 connections, found by ScaleIT).
   */
  static long key(int remoteAddress, int remotePort, int localPort) {
    long k = ((long) remoteAddress << 32) | ((long) remotePort << 16) | localPort;
    k ^= k >>> 33;
    k *= 0xff51afd7ed558ccdL;
    k ^= k >>> 33;
    k *= 0xc4ceb9fe1a85ec53L;
    k ^= k >>> 33;
    return k;
  }

  /** Where every connection's send and receive buffers take their memory, within the stack's budget. */
  public BufferPool pool() {
    return pool;
  }

  /** The segment being built for output; one instance, reused. */
  SegmentRepr outgoing() {
    return out;
  }

  CounterSet<StackCounter> counters() {
    return counters;
  }

  /**
   * RFC 5961 §7: whether a challenge ACK (§3.2, §4.2, §5.2) may be sent at {@code nowNs}, within
   * the stack-wide randomized budget ({@link ChallengeAckLimiter}); counted either way.
   */
  boolean challengeAck(long nowNs) {
    if (challengeAcks.tryAcquire(nowNs)) {
      counters.increment(StackCounter.TCP_CHALLENGE_ACKS);
      return true;
    }
    counters.increment(StackCounter.TCP_CHALLENGE_ACKS_SUPPRESSED);
    return false;
  }

  /** The offset of the timestamp clock of the connection {@code localPort} to {@code remoteAddress:remotePort} (RFC 7323 §5.4). */
  int timestampOffset(IpAddress localAddress, int localPort, IpAddress remoteAddress, int remotePort) {
    return isn.timestampOffset(localAddress, localPort, remoteAddress, remotePort);
  }

  /** The MSS this host announces over IPv4 (or, with {@code ipv6}, IPv6): what fits in one packet at our MTU. */
  int localMss(boolean ipv6) {
    return ipv6 ? localMss6 : localMss;
  }

  /** Our address in the family of {@code remote}; null if we have none in IPv6. */
  private IpAddress localFor(IpAddress remote) {
    return remote.isIpv4() ? address4 : address6;
  }

  /** As {@link #localFor(IpAddress)} for the remote address {@code remoteHi, remoteLo} (IPv4 IPv4-mapped). */
  private IpAddress localFor(long remoteHi, long remoteLo) {
    return IpAddress.isIpv4Mapped(remoteHi, remoteLo) ? address4 : address6;
  }

  /**
   * The address {@code hi, lo} (IPv4 IPv4-mapped) as a value: made only where a connection keeps
   * it, never for a packet that leaves no state.
   */
  private static IpAddress addressOf(long hi, long lo) {
    return IpAddress.isIpv4Mapped(hi, lo) ? IpAddress.ofIpv4((int) lo) : IpAddress.ofIpv6(hi, lo);
  }

  /**
   * The most payload a segment may carry on a path of MTU {@code pathMtu}: MTU - 40, never below
   * 536 (see {@link #MIN_SEGMENT_PATH_MTU}). Our data segments carry no TCP options; options they
   * carried would come off here too.
   */
  static int mssForPathMtu(int pathMtu) {
    return Math.max(pathMtu, MIN_SEGMENT_PATH_MTU) - IPV4_TCP_HEADERS;
  }

  /**
   * As {@link #mssForPathMtu(int)}, or over IPv6 the path MTU (never below 1280, RFC 8200 §5)
   * less 60 (RFC 8200 §8.3).
   */
  static int mssForPathMtu(int pathMtu, boolean ipv6) {
    return ipv6 ? Math.max(pathMtu, Ipv6Header.MIN_MTU) - IPV6_TCP_HEADERS : mssForPathMtu(pathMtu);
  }

  /** Whether segments on a path of MTU {@code pathMtu} carry DF: unless it is below {@link #MIN_SEGMENT_PATH_MTU}. */
  static boolean dontFragment(int pathMtu) {
    return pathMtu >= MIN_SEGMENT_PATH_MTU;
  }

  /**
   * The path MTU estimate after a Datagram Too Big message about a datagram sent while the estimate
   * was {@code current} (RFC 1191): the Next-Hop MTU the router reported (§4), at least 68 (§3: "MUST
   * never reduce its estimate ... below 68"); or, when it reported none (0: a router older than RFC
   * 1191), §5's search: the greatest plateau of table 7-1 below the quoted Total Length and below
   * {@code current}. (§5, "not part of the protocol specification", would also take the header
   * length off a Total Length not below the estimate, for routers derived from 4.2BSD that added
   * it; we do not: those are long gone, and it would skip a plateau for every full-sized datagram.)
   * The caller acts only on a decrease (§3: never raised; §6.4: other notifications are ignored).
   */
  static int nextPathMtu(int current, int nextHopMtu, int quotedTotalLength) {
    if (nextHopMtu != 0) {
      return Math.max(nextHopMtu, PathMtuCache.MIN_MTU);
    }
    return PathMtuCache.plateauBelow(Math.min(quotedTotalLength, current));
  }

  /** The IP layer's path MTU estimate for {@code remote} (RFC 1191 §6.2; RFC 8201 §5.2). */
  int pathMtu(IpAddress remote, long nowNs) {
    return pathMtu(remote.hi(), remote.lo(), nowNs);
  }

  /** As {@link #pathMtu(IpAddress, long)} for {@code remoteHi, remoteLo} (IPv4 IPv4-mapped). */
  private int pathMtu(long remoteHi, long remoteLo, long nowNs) {
    return IpAddress.isIpv4Mapped(remoteHi, remoteLo) ? ip.pathMtu((int) remoteLo, nowNs)
        : ip6.pathMtu(remoteHi, remoteLo, nowNs);
  }

  /** A connection accepted a Datagram Too Big (or Packet Too Big) message: the IP layer remembers it for new connections. */
  void lowerPathMtu(TcpConnection c, int pathMtu, long nowNs) {
    if (c.ipv6) {
      ip6.lowerPathMtu(c.remoteIp.hi(), c.remoteIp.lo(), pathMtu, nowNs);
    } else {
      ip.lowerPathMtu(c.remoteAddress, pathMtu, nowNs);
    }
  }

  // ---------------------------------------------------------------- application side

  /**
   * Starts listening on {@code port}. A port whose earlier connections linger in TIME-WAIT can be
   * listened on again at once (what SO_REUSEADDR gives on Linux): those connections keep their own
   * 4-tuples, and a new SYN from the same peer replaces one (RFC 6191 / RFC 1122 §4.2.2.13).
   *
   * @throws IllegalStateException if something already listens on {@code port}
   */
  public TcpListener listen(int port, int backlog, TcpConfig config) {
    checkPort(port);
    if (backlog < 1) {
      throw new IllegalArgumentException("backlog must be at least 1, got " + backlog);
    }
    if (listeners.containsKey(port)) {
      throw new IllegalStateException("port " + port + " is already listening: close that listener first");
    }
    TcpListener l = new TcpListener(this, port, backlog, synBacklog, config);
    listeners.put(port, l);
    return l;
  }

  void unlisten(TcpListener l) {
    listeners.remove(l.port());
  }

  /** Active open to the IPv4 {@code remoteAddress:remotePort} from an ephemeral port; the caller owns the result. */
  public TcpConnection connect(int remoteAddress, int remotePort, TcpConfig config, long nowNs) {
    return connect(IpAddress.ofIpv4(remoteAddress), remotePort, config, nowNs);
  }

  /**
   * Active open to {@code remoteAddress:remotePort}, IPv4 or IPv6, from an ephemeral port; the
   * caller owns the result.
   *
   * @throws IllegalStateException if {@code remoteAddress} is IPv6 and the stack has no IPv6 address
   */
  public TcpConnection connect(IpAddress remoteAddress, int remotePort, TcpConfig config, long nowNs) {
    checkPort(remotePort);
    IpAddress local = localFor(remoteAddress);
    if (local == null) {
      throw new IllegalStateException("cannot connect to " + remoteAddress
          + ": the stack has no IPv6 address (StackConfig.address6, --address6)");
    }
    if (openCount() >= maxConnections) {
      throw new IllegalStateException("the stack holds its maximum of " + maxConnections
          + " connections: close some, or raise the limit (StackConfig.maxConnections, --max-connections)");
    }
    int localPort = pickEphemeral(local, remoteAddress, remotePort);
    TcpConnection c = new TcpConnection(this, config, local, localPort, remoteAddress, remotePort, null);
    c.pathMtu = pathMtu(remoteAddress, nowNs);
    put(c);
    c.adopt();
    counters.increment(StackCounter.TCP_ACTIVE_OPENS);
    c.open(isn.isn(local, localPort, remoteAddress, remotePort, nowNs), nowNs);
    return c;
  }

  private void put(TcpConnection c) {
    if (c.ipv6) {
      connections6.put(c.key6, c);
    } else {
      connections.put(c.key, c);
    }
  }

  /**
   * A local port for a connection to {@code remoteAddress:remotePort} by RFC 6056 §3.3.4 (algorithm
   * 4, {@link EphemeralPorts}): one whose 4-tuple is neither a live connection nor a TIME-WAIT
   * record, and no listener's port (RFC 6056 §3.3's {@code check_suitable_port}).
   */
  private int pickEphemeral(IpAddress local, IpAddress remoteAddress, int remotePort) {
    checkRemote = remoteAddress;
    checkRemotePort = remotePort;
    int port = ephemeralPorts.pick(local, remoteAddress, remotePort, portCheck);
    if (port < 0) {
      throw new IllegalStateException("no free ephemeral port toward that peer: close some connections");
    }
    return port;
  }

  private boolean portFree(int port) {
    if (listeners.containsKey(port)) {
      return false;
    }
    if (!checkRemote.isIpv4()) {
      probe6.set(checkRemote.hi(), checkRemote.lo(), checkRemotePort, port);
      return !connections6.containsKey(probe6) && !timeWaits6.containsKey(probe6);
    }
    long k = key(checkRemote.ipv4(), checkRemotePort, port);
    return !connections.containsKey(k) && !timeWaits.containsKey(k);
  }

  private static void checkPort(int port) {
    if (port < 1 || port > 65535) {
      throw new IllegalArgumentException("port " + port + " is out of range: use 1..65535");
    }
  }

  /** Connections in every state but CLOSED, TIME-WAIT records included. */
  public int connectionCount() {
    return connections.size() + timeWaits.size() + connections6.size() + timeWaits6.size();
  }

  /** Connections in every state but CLOSED and TIME-WAIT: those with a connection object and a TCB. */
  public int openConnectionCount() {
    return openCount();
  }

  private int openCount() {
    return connections.size() + connections6.size();
  }

  /** Connections in TIME-WAIT (kept as compact records). */
  public int timeWaitCount() {
    return timeWaits.size() + timeWaits6.size();
  }

  /** Half-open connections (SYN-RECEIVED, through a listener) of all listeners: at most {@code StackConfig.maxHalfOpen}. */
  public int halfOpenCount() {
    return halfOpen;
  }

  /** Listening ports. */
  public int listenerCount() {
    return listeners.size();
  }

  /**
   * How many connections are in each state, indexed by {@link TcpState#ordinal()}: LISTEN counts the
   * listeners, TIME_WAIT the TIME-WAIT records, CLOSED the closed connections the application has
   * not disposed of yet. Scans every connection (O(n), a few microseconds per thousand) rather than
   * keeping counts on each state change. Stack thread.
   */
  public int[] stateCounts() {
    int[] counts = new int[TcpState.values().length];
    for (TcpConnection c : connections.values()) {
      counts[c.state().ordinal()]++;
    }
    for (TcpConnection c : connections6.values()) {
      counts[c.state().ordinal()]++;
    }
    for (TcpConnection c : owned) {
      if (c.state() == TcpState.CLOSED) {
        counts[TcpState.CLOSED.ordinal()]++;
      }
    }
    counts[TcpState.LISTEN.ordinal()] = listeners.size();
    counts[TcpState.TIME_WAIT.ordinal()] = timeWaits.size() + timeWaits6.size();
    return counts;
  }


  /**
   * The TCP table, as {@code ss -tani} lists it: every listener (by port), then every connection,
   * then every TIME-WAIT record, at most {@code limit} rows given to {@code sink}. Returns how many
   * rows there are in all, so a caller can say the list was cut. Stack thread.
   */
  public int table(int limit, long nowNs, Consumer<TcpTableEntry> sink) {
    int total = listeners.size() + connections.size() + connections6.size() + timeWaits.size() + timeWaits6.size();
    int[] left = {limit};
    String local = Ipv4Address.toString(address);
    int[] ports = listeners.keySet().stream().mapToInt(Integer::intValue).sorted().toArray();
    for (int i = 0; i < ports.length && left[0] > 0; i++, left[0]--) {
      TcpListener l = listeners.get(ports[i]);
      sink.accept(new TcpTableEntry(TcpState.LISTEN, local, l.port(), "*", 0, null, l.pending(), l.backlog(),
          l.halfOpen(), -1));
    }
    for (java.util.Collection<TcpConnection> family : List.of(connections.values(), connections6.values())) {
      for (TcpConnection c : family) {
        if (left[0]-- <= 0) {
          break;
        }
        sink.accept(new TcpTableEntry(c.state(), localFor(c.remoteIp).toString(), c.localPort,
            c.remoteIp.toString(), c.remotePort, c.info(), 0, 0, 0, -1));
      }
    }
    for (java.util.Collection<TimeWaitRecord> family : List.of(timeWaits.values(), timeWaits6.values())) {
      for (TimeWaitRecord tw : family) {
        if (left[0]-- <= 0) {
          break;
        }
        sink.accept(new TcpTableEntry(TcpState.TIME_WAIT, localFor(tw.remoteIp).toString(), tw.localPort,
            tw.remoteIp.toString(), tw.remotePort, null, 0, 0, 0,
            tw.isScheduled() ? Math.max(0, tw.heapDeadlineNs - nowNs) : -1));
      }
    }
    return total;
  }


  /** A listener's half-open queue grew or shrank by {@code delta}. */
  void halfOpenChanged(int delta) {
    halfOpen += delta;
  }

  // ---------------------------------------------------------------- input

  @Override
  public void receive(Ipv4Header ipHeader, ByteBuf buf, int payloadIndex, int payloadLength, int offload, long nowNs) {
    counters.increment(StackCounter.TCP_IN_SEGS);
    if (rx.wrapChecked(buf, payloadIndex, payloadLength) != WireCheck.OK) {
      counters.increment(StackCounter.TCP_IN_ERRS);
      return;
    }
    int source = ipHeader.source();
    // RFC 9293 §3.1 (MUST-2/3): the checksum is verified, unless the link already did (a TUN
    // device's DATA_VALID) or the segment was made by the local host and never summed (its
    // NEEDS_CSUM: the field holds only the pseudo-header sum).
    if (!Offload.isChecksumValid(offload) && !rx.isChecksumValid(source, address)) {
      counters.increment(StackCounter.TCP_IN_BAD_CHECKSUM);
      return;
    }
    SegmentRepr seg = parse(buf);
    if (seg == null) {
      return;
    }
    try {
      demux(source, rx.sourcePort(), rx.destinationPort(), seg, nowNs);
    } finally {
      seg.payload = null; // the packet's buffer is the caller's: keep no reference to it
    }
  }

  /**
   * A segment over IPv6: checked as over IPv4, with the checksum over the IPv6 pseudo-header (RFC
   * 8200 §8.1), then demultiplexed by the 128-bit source address.
   */
  @Override
  public void receiveIpv6(Ipv6Header ipHeader, ByteBuf buf, int payloadIndex, int payloadLength, int offload,
      long nowNs) {
    counters.increment(StackCounter.TCP_IN_SEGS);
    if (rx.wrapChecked(buf, payloadIndex, payloadLength) != WireCheck.OK) {
      counters.increment(StackCounter.TCP_IN_ERRS);
      return;
    }
    long sourceHi = ipHeader.sourceHi();
    long sourceLo = ipHeader.sourceLo();
    if (!Offload.isChecksumValid(offload)
        && !rx.isChecksumValid6(sourceHi, sourceLo, ipHeader.destinationHi(), ipHeader.destinationLo())) {
      counters.increment(StackCounter.TCP_IN_BAD_CHECKSUM);
      return;
    }
    SegmentRepr seg = parse(buf);
    if (seg == null) {
      return;
    }
    try {
      demux6(sourceHi, sourceLo, rx.sourcePort(), rx.destinationPort(), seg, nowNs);
    } finally {
      seg.payload = null;
    }
  }

  /** The segment {@link #rx} wraps, its options parsed, into {@link #in}; null (counted) if its options are malformed. */
  private SegmentRepr parse(ByteBuf buf) {
    int peerMss = 0;
    int peerWindowScale = TcpOptions.NO_WINDOW_SCALE;
    SegmentRepr seg = in;
    seg.sackPermitted = false;
    seg.sackBlocks = 0;
    boolean timestamps = false;
    int tsVal = 0;
    int tsEcr = 0;
    if (rx.optionsLength() > 0) {
      // RFC 9293 MUST-7: a malformed option list must not crash us; Linux drops such segments too.
      if (options.parse(buf, rx.optionsIndex(), rx.optionsLength()) != TcpOptions.Status.OK) {
        counters.increment(StackCounter.TCP_IN_ERRS);
        return null;
      }
      if (rx.hasFlags(TcpHeader.FLAG_SYN) && options.hasMss()) {
        peerMss = options.mss(); // RFC 9293 §3.7.1: MSS is only sent, and only honoured, in SYNs
      }
      if (rx.hasFlags(TcpHeader.FLAG_SYN) && options.hasWindowScale()) {
        peerWindowScale = options.windowScale(); // RFC 7323 §2.2: only in a SYN; above 14 taken as 14
      }
      if (rx.hasFlags(TcpHeader.FLAG_SYN)) {
        seg.sackPermitted = options.sackPermitted(); // RFC 2018 §2: only in a SYN
      } else {
        int blocks = options.sackBlockCount(); // RFC 2018 §3
        for (int b = 0; b < blocks; b++) {
          seg.sackLeft[b] = options.sackLeft(b);
          seg.sackRight[b] = options.sackRight(b);
        }
        seg.sackBlocks = blocks;
      }
      if (options.hasTimestamps()) { // RFC 7323 §3.2: in any segment; the connection decides whether it counts
        timestamps = true;
        tsVal = options.tsVal();
        tsEcr = options.tsEcr();
      }
    }
    seg.seq = rx.sequenceNumber();
    seg.ack = rx.acknowledgmentNumber();
    seg.flags = rx.flags();
    seg.window = rx.window();
    seg.mss = peerMss;
    seg.windowScale = peerWindowScale;
    seg.timestamps = timestamps;
    seg.tsVal = tsVal;
    seg.tsEcr = tsEcr;
    seg.payload = buf;
    seg.payloadIndex = rx.payloadIndex();
    seg.payloadLength = rx.payloadLength();
    seg.data = null;
    return seg;
  }

  private void demux(int source, int sourcePort, int localPort, SegmentRepr seg, long nowNs) {
    long k = key(source, sourcePort, localPort);
    TcpConnection c = connections.get(k);
    if (c != null) {
      c.process(seg, nowNs);
      return;
    }
    // No connection: the slow paths (TIME-WAIT, a listener, RST) take the address of either family
    // as the two longs of its IPv4-mapped form, so that a SYN flood's packets make no object.
    demuxSlow(0, IpAddress.ipv4MappedLo(source), sourcePort, localPort, seg, timeWaits.get(k), nowNs);
  }

  /** As {@link #demux} for a segment over IPv6, found with the reusable {@link #probe6}. */
  private void demux6(long sourceHi, long sourceLo, int sourcePort, int localPort, SegmentRepr seg, long nowNs) {
    probe6.set(sourceHi, sourceLo, sourcePort, localPort);
    TcpConnection c = connections6.get(probe6);
    if (c != null) {
      c.process(seg, nowNs);
      return;
    }
    // The IPv6 layer drops IPv4-mapped sources (RFC 4291 §2.5.5.2): these longs cannot pass for IPv4.
    demuxSlow(sourceHi, sourceLo, sourcePort, localPort, seg, timeWaits6.get(probe6), nowNs);
  }

  /**
   * A segment for no connection, from {@code sourceHi, sourceLo} (an IPv4 source IPv4-mapped, {@link
   * IpAddress#ipv4MappedLo}): to its TIME-WAIT record {@code tw}, if any, else to a listener, else
   * RST. Allocates nothing unless a connection is made.
   */
  private void demuxSlow(long sourceHi, long sourceLo, int sourcePort, int localPort, SegmentRepr seg,
      TimeWaitRecord tw, long nowNs) {
    if (tw != null) {
      // RFC 6191 / RFC 1122 §4.2.2.13: a new SYN beyond the old connection's sequence space, or
      // with a newer timestamp, may reopen the 4-tuple from TIME-WAIT when a listener wants it.
      if (isNewSyn(seg, tw) && listeners.containsKey(localPort)) {
        tw.end();
      } else {
        tw.process(seg, nowNs);
        return;
      }
    }
    TcpListener l = listeners.get(localPort);
    if (l != null) {
      listenerReceives(l, sourceHi, sourceLo, sourcePort, localPort, seg, nowNs);
      return;
    }
    resetForNoConnection(sourceHi, sourceLo, sourcePort, localPort, seg);
  }

  /**
   * A SYN of a new incarnation (RFC 6191 §2): its sequence number lies beyond the old one's RCV.NXT,
   * or — when the old one used timestamps — its TSval is newer than the last it saw, whatever its
   * sequence number (timestamps keep increasing across incarnations; Linux's rule too).
   */
  private static boolean isNewSyn(SegmentRepr seg, TimeWaitRecord tw) {
    // Not with RST (a SYN+RST must not end TIME-WAIT: RFC 1337), nor ACK — Linux's rule.
    return seg.has(TcpHeader.FLAG_SYN) && !seg.has(TcpHeader.FLAG_ACK) && !seg.has(TcpHeader.FLAG_RST)
        && (SeqNum.gt(seg.seq, tw.rcvNxt) || tw.olderThan(seg));
  }

  /**
   * RFC 1122 §4.2.3.9: "TCP MUST act on an ICMP error message passed up from the IP layer,
   * directing it to the connection that created the error", found by the quoted 4-tuple (our port
   * is the quote's source port). The connection checks the quoted sequence number (RFC 5927 §4.1).
   */
  @Override
  public void receiveIcmpError(IcmpError error, long nowNs) {
    TcpConnection c;
    if (error.isIpv6()) {
      probe6.set(error.quotedDestinationHi(), error.quotedDestinationLo(), error.destinationPort(), error.sourcePort());
      c = connections6.get(probe6);
    } else {
      c = connections.get(key(error.quotedDestination(), error.destinationPort(), error.sourcePort()));
    }
    if (c == null) {
      counters.increment(StackCounter.TCP_ICMP_NO_CONNECTION);
      return;
    }
    int quotedSeq = error.buffer().getInt(error.transportIndex() + TcpHeader.SEQUENCE_NUMBER_FIELD_OFFSET);
    if (error.isIpv6()) {
      int type = icmpv4TypeOf(error.type(), error.code());
      int code = icmpv4CodeOf(error.type(), error.code());
      // RFC 8201 §4: a Packet Too Big below the minimum MTU lowers the estimate to 1280 only.
      int mtu = error.isPacketTooBig() ? Math.max(error.nextHopMtu(), Ipv6Header.MIN_MTU) : 0;
      c.onIcmpError(type, code, mtu, quotedSeq, error.quotedTotalLength(), nowNs);
      return;
    }
    c.onIcmpError(error.type(), error.code(), error.nextHopMtu(), quotedSeq, error.quotedTotalLength(), nowNs);
  }

  /**
   * The ICMPv4 type whose meaning to TCP (RFC 1122 §4.2.3.9, RFC 5927) an ICMPv6 error has: Packet
   * Too Big is "fragmentation needed" (RFC 8201 plays RFC 1191's part); Destination Unreachable,
   * Time Exceeded and Parameter Problem keep their names. RFC 4443 §3.4's "unrecognized Next
   * Header" is the peer's "protocol unreachable", as Linux's icmpv6_err_convert takes it.
   */
  static int icmpv4TypeOf(int type6, int code6) {
    switch (type6) {
      case Icmpv6Header.TYPE_PACKET_TOO_BIG:
        return Icmpv4Header.TYPE_DESTINATION_UNREACHABLE;
      case Icmpv6Header.TYPE_TIME_EXCEEDED:
        return Icmpv4Header.TYPE_TIME_EXCEEDED;
      case Icmpv6Header.TYPE_PARAMETER_PROBLEM:
        return code6 == Icmpv6Header.CODE_UNRECOGNIZED_NEXT_HEADER
            ? Icmpv4Header.TYPE_DESTINATION_UNREACHABLE : Icmpv4Header.TYPE_PARAMETER_PROBLEM;
      default:
        return Icmpv4Header.TYPE_DESTINATION_UNREACHABLE;
    }
  }

  /** The ICMPv4 code that goes with {@link #icmpv4TypeOf}: RFC 4443 §3.1's codes mapped to RFC 792's. */
  static int icmpv4CodeOf(int type6, int code6) {
    switch (type6) {
      case Icmpv6Header.TYPE_PACKET_TOO_BIG:
        return Icmpv4Header.CODE_FRAGMENTATION_NEEDED;
      case Icmpv6Header.TYPE_TIME_EXCEEDED:
        return Icmpv4Header.CODE_TTL_EXCEEDED_IN_TRANSIT;
      case Icmpv6Header.TYPE_PARAMETER_PROBLEM:
        return code6 == Icmpv6Header.CODE_UNRECOGNIZED_NEXT_HEADER ? Icmpv4Header.CODE_PROTOCOL_UNREACHABLE : 0;
      default:
        switch (code6) {
          case Icmpv6Header.CODE_PORT_UNREACHABLE:
            return Icmpv4Header.CODE_PORT_UNREACHABLE;
          case Icmpv6Header.CODE_ADMINISTRATIVELY_PROHIBITED, Icmpv6Header.CODE_REJECT_ROUTE:
            return CODE_COMMUNICATION_ADMINISTRATIVELY_PROHIBITED;
          case Icmpv6Header.CODE_NO_ROUTE:
            return Icmpv4Header.CODE_NET_UNREACHABLE;
          default:
            return Icmpv4Header.CODE_HOST_UNREACHABLE;
        }
    }
  }

  /** RFC 1812 §5.2.7.1: ICMPv4 Destination Unreachable code 13. */
  private static final int CODE_COMMUNICATION_ADMINISTRATIVELY_PROHIBITED = 13;

  /** RFC 9293 §3.10.7.2: LISTEN. */
  private void listenerReceives(TcpListener l, long sourceHi, long sourceLo, int sourcePort, int localPort,
      SegmentRepr seg, long nowNs) {
    if (seg.has(TcpHeader.FLAG_RST)) {
      return; // first: ignore RST
    }
    if (seg.has(TcpHeader.FLAG_ACK)) {
      // RFC 4987 §3.6: while this port sends SYN cookies, an ACK without SYN may complete a
      // handshake nobody kept state for.
      if (!seg.has(TcpHeader.FLAG_SYN) && l.cookiesRecent(nowNs)
          && cookieAckHandled(l, sourceHi, sourceLo, sourcePort, localPort, seg, nowNs)) {
        return;
      }
      sendReset(sourceHi, sourceLo, sourcePort, localPort, seg.ack, 0, false);
      return; // second: <SEQ=SEG.ACK><CTL=RST>
    }
    if (!seg.has(TcpHeader.FLAG_SYN)) {
      return; // fourth: anything else is dropped
    }
    if (seg.has(TcpHeader.FLAG_FIN)) {
      // SYN+FIN: RFC 9293 would open and queue the FIN; Linux drops it (a scanner's probe, never a
      // real client's SYN), and so do we: no connection, no SYN-ACK.
      counters.increment(StackCounter.TCP_IN_BAD_FLAGS);
      return;
    }
    if (!l.admits()) {
      return; // the accept queue is full (counted by the listener): the client will retransmit its SYN
    }
    if (openCount() >= maxConnections) {
      // The stack is full: refuse at once, as a closed port does, rather than let the client wait.
      counters.increment(StackCounter.TCP_CONNECTION_LIMIT_RESETS);
      sendReset(sourceHi, sourceLo, sourcePort, localPort, 0, SeqNum.add(seg.seq, seg.segmentLength()), true);
      return;
    }
    if (l.synQueueFull() || halfOpen >= maxHalfOpen) {
      // A half-open queue is full (a SYN flood, RFC 4987 §2): answer with a cookie and keep nothing.
      if (synCookiesOn) {
        sendCookie(l, sourceHi, sourceLo, sourcePort, localPort, seg, nowNs);
      } else {
        counters.increment(StackCounter.TCP_SYN_QUEUE_OVERFLOWS); // the client will retransmit
      }
      return;
    }
    IpAddress local = localFor(sourceHi, sourceLo);
    IpAddress source = addressOf(sourceHi, sourceLo); // the connection's own: one per connection
    TcpConnection c = new TcpConnection(this, l.config(), local, localPort, source, sourcePort, l);
    c.pathMtu = pathMtu(sourceHi, sourceLo, nowNs);
    put(c);
    l.halfOpened();
    counters.increment(StackCounter.TCP_PASSIVE_OPENS);
    // Data in a SYN is not delivered before the handshake completes; the peer retransmits it.
    c.accept(seg, isn.isn(local, localPort, source, sourcePort, nowNs), nowNs);
  }

  /**
   * RFC 4987 §3.6: answers the SYN {@code syn} with a SYN-ACK whose ISN is a SYN cookie ({@link
   * SynCookies}) and keeps no state. It offers what the connection made from the cookie will have:
   * our MSS; and if the SYN carried timestamps (and the listener's config wants them), timestamps,
   * with window scale and SACK-Permitted when both sides want them, kept in the low bits of our TSval
   * — without timestamps neither is offered, for there is nowhere to keep them (as Linux).
   */
  private void sendCookie(TcpListener l, long sourceHi, long sourceLo, int sourcePort, int localPort,
      SegmentRepr syn, long nowNs) {
    TcpConfig config = l.config();
    IpAddress local = localFor(sourceHi, sourceLo);
    int mssIndex = SynCookies.mssIndex(syn.mss > 0 ? syn.mss : TcpOptions.DEFAULT_MSS);
    int cookie = synCookies.cookie(local.hi(), local.lo(), localPort, sourceHi, sourceLo, sourcePort, syn.seq,
        mssIndex, nowNs);
    boolean timestamps = syn.timestamps && config.timestamps;
    int ownScale = TcpConnection.ownWindowScale(config);
    boolean scaling = timestamps && syn.windowScale != TcpOptions.NO_WINDOW_SCALE && ownScale != TcpOptions.NO_WINDOW_SCALE;
    boolean sack = timestamps && syn.sackPermitted && config.sack;
    // The window a SYN-ACK offers (never scaled, RFC 7323 §2.2): what a new connection's receive buffer
    // and the stack's memory allow.
    int window = (int) Math.min(Math.min(config.receiveBufferSize, Receiver.MAX_UNSCALED_WINDOW), pool.available());
    SegmentRepr o = out.outgoing(TcpHeader.FLAG_SYN | TcpHeader.FLAG_ACK, cookie, SeqNum.add(syn.seq, 1), window);
    o.mss = localMss(!IpAddress.isIpv4Mapped(sourceHi, sourceLo));
    o.windowScale = scaling ? ownScale : TcpOptions.NO_WINDOW_SCALE;
    o.sackPermitted = sack;
    if (timestamps) {
      // RFC 7323 §3.2, §4.3: TSecr echoes the SYN's TSval; TSval carries the options (Linux's scheme).
      o.timestamps = true;
      o.tsVal = SynCookies.encodeTimestamp(nowNs, scaling ? syn.windowScale : TcpOptions.NO_WINDOW_SCALE, sack)
          + isn.timestampOffset(local.hi(), local.lo(), localPort, sourceHi, sourceLo, sourcePort);
      o.tsEcr = syn.tsVal;
    }
    transmit(sourceHi, sourceLo, sourcePort, localPort, o, dontFragment(pathMtu(sourceHi, sourceLo, nowNs)));
    l.cookieSent(nowNs);
    counters.increment(StackCounter.TCP_SYN_COOKIES_SENT);
  }

  /**
   * RFC 4987 §3.6: the ACK {@code seg} (no SYN, no RST) for no connection on the port of {@code l},
   * which sent cookies recently. If SEG.ACK - 1 is a cookie made for this 4-tuple and SEG.SEQ - 1 in
   * the last {@link SynCookies#MAX_AGE} periods, the connection is made from it in ESTABLISHED and
   * queued for accept, and {@code seg} (its data too) processed — or, when the accept queue is
   * full, the ACK is dropped and counted, as Linux does (the client's retransmission may find
   * room). Returns false when the caller should answer with RST as LISTEN does: the cookie failed
   * (counted), or the stack holds its maximum of connections.
   */
  private boolean cookieAckHandled(TcpListener l, long sourceHi, long sourceLo, int sourcePort, int localPort,
      SegmentRepr seg, long nowNs) {
    TcpConfig config = l.config();
    IpAddress local = localFor(sourceHi, sourceLo);
    int mssIndex = synCookies.check(SeqNum.add(seg.ack, -1), local.hi(), local.lo(), localPort, sourceHi, sourceLo,
        sourcePort, SeqNum.add(seg.seq, -1), nowNs);
    boolean timestamps = seg.timestamps && config.timestamps;
    // Our TSval less the connection's offset: its low bits are what the SYN offered.
    int echoed = timestamps
        ? seg.tsEcr - isn.timestampOffset(local.hi(), local.lo(), localPort, sourceHi, sourceLo, sourcePort) : 0;
    if (mssIndex == SynCookies.INVALID || (timestamps && SynCookies.decodeEcn(echoed))) {
      counters.increment(StackCounter.TCP_SYN_COOKIES_FAILED);
      return false;
    }
    if (!l.hasRoomToAccept()) {
      counters.increment(StackCounter.TCP_LISTEN_OVERFLOWS);
      return true;
    }
    if (openCount() >= maxConnections) {
      counters.increment(StackCounter.TCP_CONNECTION_LIMIT_RESETS);
      return false;
    }
    counters.increment(StackCounter.TCP_SYN_COOKIES_VALIDATED);
    counters.increment(StackCounter.TCP_PASSIVE_OPENS);
    IpAddress source = addressOf(sourceHi, sourceLo); // the connection's own: one per connection
    TcpConnection c = new TcpConnection(this, config, local, localPort, source, sourcePort, l);
    c.pathMtu = pathMtu(sourceHi, sourceLo, nowNs);
    put(c);
    c.acceptCookie(seg, SynCookies.MSS_TABLE[mssIndex],
        timestamps ? SynCookies.decodeWindowScale(echoed) : TcpOptions.NO_WINDOW_SCALE,
        timestamps && SynCookies.decodeSack(echoed), nowNs);
    return true;
  }

  /** RFC 9293 §3.10.7.1: CLOSED — every segment but a RST draws a RST. */
  private void resetForNoConnection(long sourceHi, long sourceLo, int sourcePort, int localPort, SegmentRepr seg) {
    if (seg.has(TcpHeader.FLAG_RST)) {
      return;
    }
    counters.increment(StackCounter.TCP_NO_PORT);
    if (seg.has(TcpHeader.FLAG_ACK)) {
      sendReset(sourceHi, sourceLo, sourcePort, localPort, seg.ack, 0, false);
    } else {
      sendReset(sourceHi, sourceLo, sourcePort, localPort, 0, SeqNum.add(seg.seq, seg.segmentLength()), true);
    }
  }

  // ---------------------------------------------------------------- timers

  /** The earliest timer of any connection or TIME-WAIT record, or {@link Long#MAX_VALUE}: O(1). */
  public long pollAt() {
    return timers.peekDeadline();
  }

  /** Runs every timer due at {@code nowNs}; connections with nothing due are not looked at. */
  public void poll(long nowNs) {
    Timed t;
    while ((t = timers.pollDue(nowNs)) != null) {
      t.onDeadline(nowNs);
    }
  }

  /** Files {@code t} under {@code deadlineNs} ({@link DeadlineHeap#NEVER}: takes it out). */
  void schedule(Timed t, long deadlineNs) {
    timers.schedule(t, deadlineNs);
  }

  void eventsPending(EventSource source) {
    eventsPending.add(source);
  }

  /**
   * Delivers the events raised since the last call, after the work that raised them is done (the
   * stack calls this at the end of every receive and poll; the runtime after the tasks it runs).
   * Events that subscribers raise while handling one — a write that completes, a close — are
   * delivered in the same call.
   */
  public void deliverEvents() {
    if (!memoryWaiters.isEmpty() && pool.available() >= BUFFER_CHUNK) {
      wakeMemoryWaiters();
    }
    if (delivering) {
      return; // a handler's call: the outer delivery goes on with what it raised
    }
    batching = false;
    delivering = true;
    try {
      do {
        EventSource source;
        while ((source = eventsPending.poll()) != null) {
          source.deliverEvents();
        }
        TcpConnection c;
        while ((c = corked.poll()) != null) {
          c.uncork();
        }
      } while (!eventsPending.isEmpty());
    } finally {
      delivering = false;
    }
  }

  /**
   * Whether the application's handlers are running ({@link #deliverEvents}): data they send is
   * held until they are done, so that several writes in one turn leave as one (super-)segment — what
   * Linux's autocorking does for writes made while earlier data still waits to leave.
   */
  boolean delivering() {
    return delivering;
  }

  /**
   * Between {@link #beginBatch()} and the next {@link #deliverEvents()}: segments are arriving in a
   * batch read in one turn, and each connection's output waits for the end of it.
   */
  public boolean batching() {
    return batching;
  }

  /**
   * The segments until the next {@link #deliverEvents()} are one batch (read from the link in one
   * turn): connections hold their output — ACKs of in-order data, data those ACKs let go — until
   * then, and send once for the whole batch. Events are delivered then too.
   */
  public void beginBatch() {
    batching = true;
  }

  /** {@code c} holds data its handler sent; it goes out when the handlers of this turn are done. */
  void cork(TcpConnection c) {
    corked.add(c);
  }

  /**
   * {@code c}'s application could not queue data because the stack's buffer memory ran out, not
   * its own buffer: it hears {@code onWritable} once memory is back, since no acknowledgment of its
   * own may ever come to tell it.
   */
  void waitForMemory(TcpConnection c) {
    memoryWaiters.add(c);
  }

  private void wakeMemoryWaiters() {
    TcpConnection c;
    int n = memoryWaiters.size(); // those that fail again wait again, behind this round
    while (n-- > 0 && (c = memoryWaiters.poll()) != null) {
      c.memoryBack();
    }
  }

  void remove(TcpConnection c) {
    if (c.ipv6) {
      connections6.remove(c.key6);
    } else {
      connections.remove(c.key);
    }
    timers.cancel(c);
  }

  /**
   * {@code c} enters TIME-WAIT: a compact record takes its place for 2 MSL (until {@code untilNs}).
   * Returns the record, or null when the stack already keeps {@code maxConnections} of them — the
   * 4-tuple is then free at once, as Linux does past {@code tcp_max_tw_buckets}.
   */
  TimeWaitRecord enterTimeWait(TcpConnection c, int sndMax, int rcvNxt, int window, int windowField, long untilNs) {
    if (timeWaitCount() >= maxConnections) {
      return null;
    }
    TimeWaitRecord record = new TimeWaitRecord(this, c, sndMax, rcvNxt, window, windowField, c.config.timeWaitNs());
    if (record.key6 != null) {
      timeWaits6.put(record.key6, record);
    } else {
      timeWaits.put(record.key, record);
    }
    timers.schedule(record, untilNs);
    return record;
  }

  void removeTimeWait(TimeWaitRecord record) {
    if (record.key6 != null) {
      timeWaits6.remove(record.key6);
    } else {
      timeWaits.remove(record.key);
    }
    timers.cancel(record);
  }

  /** Resets every connection and releases what nobody owns; for stack shutdown. */
  public void close(long nowNs) {
    for (TcpListener l : new ArrayList<>(listeners.values())) {
      l.close(nowNs);
    }
    List<TcpConnection> open = new ArrayList<>(connections.values());
    open.addAll(connections6.values());
    for (TcpConnection c : open) {
      c.abort(nowNs);
    }
    List<TimeWaitRecord> waiting = new ArrayList<>(timeWaits.values());
    waiting.addAll(timeWaits6.values());
    for (TimeWaitRecord tw : waiting) {
      tw.end(); // RFC 9293 §3.10.5: ABORT in TIME-WAIT sends nothing
    }
    for (TcpConnection c : new ArrayList<>(owned)) {
      c.release();
    }
    pool.close();
  }

  void owned(TcpConnection c, boolean held) {
    if (held) {
      owned.add(c);
    } else {
      owned.remove(c);
    }
  }

  // ---------------------------------------------------------------- output

  /**
   * Builds a segment of {@code c} from {@code seg} and sends it in an IP datagram with DF set (RFC
   * 9293 §3.7.2: we size segments by MSS, never rely on fragmentation; RFC 1191 §2: DF is what
   * lets a router tell us the path MTU) — unless the path MTU is below what we size segments for
   * ({@link #MIN_SEGMENT_PATH_MTU}).
   */
  void transmit(TcpConnection c, SegmentRepr seg) {
    if (c.ipv6) {
      emit(true, 0, c.remoteIp.hi(), c.remoteIp.lo(), c.remotePort, c.localPort, seg, false);
    } else {
      emit(false, c.remoteAddress, 0, 0, c.remotePort, c.localPort, seg, dontFragment(c.pathMtu));
    }
  }

  /** A segment without data (an ACK, a RST) to the given 4-tuple, with DF over IPv4. */
  void transmit(IpAddress remoteAddress, int remotePort, int localPort, SegmentRepr seg) {
    transmit(remoteAddress, remotePort, localPort, seg, true);
  }

  /** Emits {@code seg} to the given 4-tuple of either family ({@code dontFragment}: IPv4 only). */
  void transmit(IpAddress remoteAddress, int remotePort, int localPort, SegmentRepr seg, boolean dontFragment) {
    transmit(remoteAddress.hi(), remoteAddress.lo(), remotePort, localPort, seg, dontFragment);
  }

  /** As {@link #transmit(IpAddress, int, int, SegmentRepr, boolean)} to {@code remoteHi, remoteLo} (IPv4 IPv4-mapped). */
  private void transmit(long remoteHi, long remoteLo, int remotePort, int localPort, SegmentRepr seg,
      boolean dontFragment) {
    if (IpAddress.isIpv4Mapped(remoteHi, remoteLo)) {
      emit(false, (int) remoteLo, 0, 0, remotePort, localPort, seg, dontFragment);
    } else {
      emit(true, 0, remoteHi, remoteLo, remotePort, localPort, seg, false);
    }
  }

  /**
   * Emits {@code seg} (header, options, payload copied from its send buffer) to the given 4-tuple:
   * over IPv4 to {@code remote4}, or with {@code ipv6} over IPv6 to {@code remoteHi, remoteLo} —
   * there without offloads: the checksum over the IPv6 pseudo-header (RFC 8200 §8.1) in software,
   * and segments never larger than the MSS (the TUN link's offloads are set up for IPv4).
   */
  private void emit(boolean ipv6, int remote4, long remoteHi, long remoteLo, int remotePort, int localPort,
      SegmentRepr seg, boolean dontFragment) {
    ByteBuf packet = ipv6 ? ip6.beginDatagram() : ip.beginDatagram();
    int start = packet.writerIndex();
    // The options: a SYN's (MSS, window scale, SACK-Permitted, timestamps), or those of any other
    // segment (timestamps, then SACK blocks — the layout Linux sends).
    boolean synOptions = seg.mss > 0;
    int optionsLength = (synOptions ? TcpOptions.synOptionsLength(seg.windowScale, seg.sackPermitted, seg.timestamps) : 0)
        + (!synOptions && seg.timestamps ? TcpOptions.ALIGNED_TIMESTAMPS_LENGTH : 0)
        + (seg.sackBlocks > 0 ? TcpOptions.sackLength(seg.sackBlocks) : 0);
    int headerLength = TcpHeader.MIN_LENGTH + optionsLength;
    packet.writeZero(headerLength);
    int at = start + TcpHeader.MIN_LENGTH;
    if (synOptions) {
      at += TcpOptions.writeSynOptions(packet, at, seg.mss, seg.windowScale, seg.sackPermitted, seg.timestamps,
          seg.tsVal, seg.tsEcr);
    } else if (seg.timestamps) {
      at += TcpOptions.writeTimestamps(packet, at, seg.tsVal, seg.tsEcr);
    }
    if (seg.sackBlocks > 0) {
      at += TcpOptions.writeSack(packet, at, seg.sackLeft, seg.sackRight, seg.sackBlocks);
    }
    int dataLength = seg.data != null ? seg.payloadLength : 0;
    if (dataLength > 0) {
      seg.data.copyTo(seg.dataOffset, packet, dataLength);
    }
    tx.wrap(packet, start, headerLength + dataLength)
        .setSourcePort(localPort)
        .setDestinationPort(remotePort)
        .setSequenceNumber(seg.seq)
        .setAcknowledgmentNumber(seg.ack)
        .setDataOffsetAndFlags(headerLength, seg.flags)
        .setWindow(seg.window)
        .setUrgentPointer(0);
    counters.increment(StackCounter.TCP_OUT_SEGS);
    if (seg.has(TcpHeader.FLAG_RST)) {
      counters.increment(StackCounter.TCP_OUT_RSTS);
    }
    if (ipv6) {
      tx.fillChecksum6(address6.hi(), address6.lo(), remoteHi, remoteLo, headerLength + dataLength);
      ip6.sendDatagram(IpProtocol.TCP, remoteHi, remoteLo);
      return;
    }
    int offload = Offload.NONE;
    if (checksumOffload) {
      // The link sums header and data; we leave it the pseudo-header sum (Offload.TX_CHECKSUM).
      tx.setChecksum(SoftwareOffload.partialChecksum(address, remote4, headerLength + dataLength));
      offload = Offload.partialChecksum(seg.segmentSize);
    } else {
      tx.fillChecksum(address, remote4, headerLength + dataLength);
    }
    ip.sendDatagram(IpProtocol.TCP, remote4, dontFragment, offload);
  }

  /**
   * The most payload one segment built by a connection with send MSS {@code mss} may carry: the
   * MSS, or with a link that segments (TSO, {@link Offload#TX_SEGMENTATION}) as many whole MSS as
   * fit in one 65535-byte datagram with the largest headers — a super-segment the link cuts into
   * MSS-sized segments on the wire.
   */
  int maxSegmentPayload(TcpConnection c, int mss) {
    return c.ipv6 ? mss : maxSegmentPayload(mss);
  }

  /** {@link #maxSegmentPayload(TcpConnection, int)} of an IPv4 connection. */
  int maxSegmentPayload(int mss) {
    if (!segmentationOffload || mss <= 0) {
      return mss;
    }
    int room = StackConfig.MAX_DATAGRAM - Ipv4Header.MIN_LENGTH - TcpHeader.MAX_HEADER_LENGTH;
    return Math.max(mss, (room / mss) * mss);
  }

  /** A RST (RFC 9293 §3.10.7.1) to {@code remoteHi, remoteLo} (IPv4 IPv4-mapped), with DF over IPv4. */
  private void sendReset(long remoteHi, long remoteLo, int remotePort, int localPort, int seq, int ack,
      boolean withAck) {
    transmit(remoteHi, remoteLo, remotePort, localPort,
        out.outgoing(TcpHeader.FLAG_RST | (withAck ? TcpHeader.FLAG_ACK : 0), seq, withAck ? ack : 0, 0), true);
  }
}
