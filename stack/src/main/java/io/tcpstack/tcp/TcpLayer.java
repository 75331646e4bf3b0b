package io.tcpstack.tcp;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.util.collection.IntObjectHashMap;
import io.netty.util.collection.LongObjectHashMap;
import io.tcpstack.ip.Ipv4Layer;
import io.tcpstack.ip.ProtocolHandler;
import io.tcpstack.stats.CounterSet;
import io.tcpstack.stats.StackCounter;
import io.tcpstack.wire.IpProtocol;
import io.tcpstack.wire.Ipv4Header;
import io.tcpstack.wire.TcpHeader;
import io.tcpstack.wire.WireCheck;
import java.util.ArrayList;
import java.util.List;

/**
 * TCP for one local address: checks incoming segments, finds their connection (or listener), answers
 * segments for no connection with RST (RFC 9293 §3.10.7.1), opens connections, runs their timers
 * and builds every outgoing segment. Stack thread only.
 */
public final class TcpLayer implements ProtocolHandler {

  /** IPv4 (20) + TCP (20) headers: MSS = MTU - 40 (RFC 9293 §3.7.1, RFC 879). */
  static final int IPV4_TCP_HEADERS = 40;
  /** RFC 6335 §6: the dynamic (ephemeral) port range. */
  static final int EPHEMERAL_FIRST = 49152;
  static final int EPHEMERAL_LAST = 65535;

  private final Ipv4Layer ip;
  private final CounterSet<StackCounter> counters;
  private final IsnGenerator isn;
  private final ByteBufAllocator allocator;
  private final int address;
  private final int localMss;
  private final LongObjectHashMap<TcpConnection> connections = new LongObjectHashMap<>();
  private final IntObjectHashMap<TcpListener> listeners = new IntObjectHashMap<>();
  private final TcpHeader rx = new TcpHeader();
  private final TcpHeader tx = new TcpHeader();
  private final TcpOptions options = new TcpOptions();
  private final List<TcpConnection> due = new ArrayList<>();
  /** Connections and listeners with events raised but not yet delivered (see {@link #deliverEvents()}). */
  private final java.util.ArrayDeque<EventSource> eventsPending = new java.util.ArrayDeque<>();
  /** Connections the application holds, closed or not: released at the latest when the stack closes. */
  private final java.util.Set<TcpConnection> owned = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
  private int nextEphemeral;

  public TcpLayer(Ipv4Layer ip, CounterSet<StackCounter> counters, IsnGenerator isn, ByteBufAllocator allocator,
      int ephemeralSeed) {
    this.ip = ip;
    this.counters = counters;
    this.isn = isn;
    this.allocator = allocator;
    this.address = ip.address();
    this.localMss = ip.mtu() - IPV4_TCP_HEADERS;
    this.nextEphemeral = EPHEMERAL_FIRST + Math.floorMod(ephemeralSeed, EPHEMERAL_LAST - EPHEMERAL_FIRST + 1);
  }

  static long key(int remoteAddress, int remotePort, int localPort) {
    return ((long) remoteAddress << 32) | ((long) remotePort << 16) | localPort;
  }

  ByteBufAllocator allocator() {
    return allocator;
  }

  CounterSet<StackCounter> counters() {
    return counters;
  }

  /** The MSS this host announces: what fits in one IP datagram at our MTU. */
  int localMss() {
    return localMss;
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
    TcpListener l = new TcpListener(this, port, backlog, config);
    listeners.put(port, l);
    return l;
  }

  void unlisten(TcpListener l) {
    listeners.remove(l.port());
  }

  /** Active open to {@code remoteAddress:remotePort} from an ephemeral port; the caller owns the result. */
  public TcpConnection connect(int remoteAddress, int remotePort, TcpConfig config, long nowNs) {
    checkPort(remotePort);
    int localPort = pickEphemeral(remoteAddress, remotePort);
    TcpConnection c = new TcpConnection(this, config, address, localPort, remoteAddress, remotePort, null);
    connections.put(c.key, c);
    c.adopt();
    counters.increment(StackCounter.TCP_ACTIVE_OPENS);
    c.open(isn.isn(address, localPort, remoteAddress, remotePort, nowNs), nowNs);
    return c;
  }

  private int pickEphemeral(int remoteAddress, int remotePort) {
    int span = EPHEMERAL_LAST - EPHEMERAL_FIRST + 1;
    for (int i = 0; i < span; i++) {
      int port = nextEphemeral;
      nextEphemeral = nextEphemeral == EPHEMERAL_LAST ? EPHEMERAL_FIRST : nextEphemeral + 1;
      if (!listeners.containsKey(port) && !connections.containsKey(key(remoteAddress, remotePort, port))) {
        return port;
      }
    }
    throw new IllegalStateException("no free ephemeral port toward that peer: close some connections");
  }

  private static void checkPort(int port) {
    if (port < 1 || port > 65535) {
      throw new IllegalArgumentException("port " + port + " is out of range: use 1..65535");
    }
  }

  /** Connections in the demux table (every state but CLOSED). */
  public int connectionCount() {
    return connections.size();
  }

  // ---------------------------------------------------------------- input

  @Override
  public void receive(Ipv4Header ipHeader, ByteBuf buf, int payloadIndex, int payloadLength, long nowNs) {
    counters.increment(StackCounter.TCP_IN_SEGS);
    if (rx.wrapChecked(buf, payloadIndex, payloadLength) != WireCheck.OK) {
      counters.increment(StackCounter.TCP_IN_ERRS);
      return;
    }
    int source = ipHeader.source();
    if (!rx.isChecksumValid(source, address)) {
      counters.increment(StackCounter.TCP_IN_BAD_CHECKSUM);
      return;
    }
    int peerMss = 0;
    if (rx.optionsLength() > 0) {
      // RFC 9293 MUST-7: a malformed option list must not crash us; Linux drops such segments too.
      if (options.parse(buf, rx.optionsIndex(), rx.optionsLength()) != TcpOptions.Status.OK) {
        counters.increment(StackCounter.TCP_IN_ERRS);
        return;
      }
      if (rx.hasFlags(TcpHeader.FLAG_SYN) && options.hasMss()) {
        peerMss = options.mss(); // RFC 9293 §3.7.1: MSS is only sent, and only honoured, in SYNs
      }
    }
    int payload = rx.payloadIndex();
    int dataLength = rx.payloadLength();
    long k = key(source, rx.sourcePort(), rx.destinationPort());
    TcpConnection c = connections.get(k);
    if (c != null && c.state() == TcpState.TIME_WAIT && isNewSyn(c)) {
      // RFC 6191 / RFC 1122 §4.2.2.13: a new SYN beyond the old connection's sequence space may
      // reopen the 4-tuple from TIME-WAIT when a listener wants it.
      TcpListener l = listeners.get(rx.destinationPort());
      if (l != null) {
        c.closeFromTimeWait();
        c = null;
      }
    }
    if (c != null) {
      c.process(rx, buf, payload, dataLength, peerMss, nowNs);
      return;
    }
    TcpListener l = listeners.get(rx.destinationPort());
    if (l != null) {
      listenerReceives(l, source, peerMss, dataLength, nowNs);
      return;
    }
    resetForNoConnection(source, dataLength);
  }

  private boolean isNewSyn(TcpConnection c) {
    return rx.hasFlags(TcpHeader.FLAG_SYN) && !rx.hasFlags(TcpHeader.FLAG_ACK)
        && SeqNum.gt(rx.sequenceNumber(), c.rcvNxt());
  }

  /** RFC 9293 §3.10.7.2: LISTEN. */
  private void listenerReceives(TcpListener l, int source, int peerMss, int dataLength, long nowNs) {
    if (rx.hasFlags(TcpHeader.FLAG_RST)) {
      return; // first: ignore RST
    }
    if (rx.hasFlags(TcpHeader.FLAG_ACK)) {
      sendReset(source, rx.sourcePort(), rx.destinationPort(), rx.acknowledgmentNumber(), 0, false);
      return; // second: <SEQ=SEG.ACK><CTL=RST>
    }
    if (!rx.hasFlags(TcpHeader.FLAG_SYN)) {
      return; // fourth: anything else is dropped
    }
    if (!l.admits()) {
      counters.increment(StackCounter.TCP_LISTEN_OVERFLOWS);
      return; // backlog full: not admitted; the client will retransmit its SYN
    }
    TcpConnection c = new TcpConnection(this, l.config(), address, rx.destinationPort(), source, rx.sourcePort(), l);
    connections.put(c.key, c);
    l.halfOpened();
    counters.increment(StackCounter.TCP_PASSIVE_OPENS);
    // Data in a SYN is not delivered before the handshake completes; the peer retransmits it.
    c.accept(rx, peerMss, isn.isn(address, rx.destinationPort(), source, rx.sourcePort(), nowNs), nowNs);
  }

  /** RFC 9293 §3.10.7.1: CLOSED — every segment but a RST draws a RST. */
  private void resetForNoConnection(int source, int dataLength) {
    if (rx.hasFlags(TcpHeader.FLAG_RST)) {
      return;
    }
    counters.increment(StackCounter.TCP_NO_PORT);
    if (rx.hasFlags(TcpHeader.FLAG_ACK)) {
      sendReset(source, rx.sourcePort(), rx.destinationPort(), rx.acknowledgmentNumber(), 0, false);
    } else {
      int segLen = dataLength + (rx.hasFlags(TcpHeader.FLAG_SYN) ? 1 : 0) + (rx.hasFlags(TcpHeader.FLAG_FIN) ? 1 : 0);
      sendReset(source, rx.sourcePort(), rx.destinationPort(), 0, SeqNum.add(rx.sequenceNumber(), segLen), true);
    }
  }

  // ---------------------------------------------------------------- timers

  /** The earliest timer of any connection, or {@link Long#MAX_VALUE}. */
  public long pollAt() {
    long earliest = Long.MAX_VALUE;
    for (TcpConnection c : connections.values()) {
      long d = c.nextDeadline();
      if (d != TcpConnection.NEVER && (earliest == Long.MAX_VALUE || d - earliest < 0)) {
        earliest = d;
      }
    }
    return earliest;
  }

  /** Runs every timer due at {@code nowNs}. */
  public void poll(long nowNs) {
    due.clear();
    for (TcpConnection c : connections.values()) {
      long d = c.nextDeadline();
      if (d != TcpConnection.NEVER && d - nowNs <= 0) {
        due.add(c);
      }
    }
    for (int i = 0; i < due.size(); i++) {
      due.get(i).onTimer(nowNs);
    }
    due.clear();
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
    EventSource source;
    while ((source = eventsPending.poll()) != null) {
      source.deliverEvents();
    }
  }

  void remove(TcpConnection c) {
    connections.remove(c.key);
  }

  /** Resets every connection and releases what nobody owns; for stack shutdown. */
  public void close(long nowNs) {
    for (TcpListener l : new ArrayList<>(listeners.values())) {
      l.close(nowNs);
    }
    for (TcpConnection c : new ArrayList<>(connections.values())) {
      c.abort(nowNs);
    }
    for (TcpConnection c : new ArrayList<>(owned)) {
      c.release();
    }
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
   * Builds one segment of {@code c} and sends it in an IP datagram with DF set (RFC 9293 §3.7.2:
   * we size segments by MSS, never rely on fragmentation).
   */
  void sendSegment(TcpConnection c, int flags, int seq, int ack, int window, ByteRing data, int dataOffset,
      int dataLength, boolean synOptions) {
    ByteBuf out = ip.beginDatagram();
    int start = out.writerIndex();
    int optionsLength = synOptions ? TcpOptions.synOptionsLength(-1, false, false) : 0;
    int headerLength = TcpHeader.MIN_LENGTH + optionsLength;
    out.writeZero(headerLength);
    if (synOptions) {
      TcpOptions.writeSynOptions(out, start + TcpHeader.MIN_LENGTH, localMss, -1, false, false, 0, 0);
    }
    if (dataLength > 0) {
      data.copyTo(dataOffset, out, dataLength);
    }
    tx.wrap(out, start, headerLength + dataLength)
        .setSourcePort(c.localPort)
        .setDestinationPort(c.remotePort)
        .setSequenceNumber(seq)
        .setAcknowledgmentNumber(ack)
        .setDataOffsetAndFlags(headerLength, flags)
        .setWindow(window)
        .setUrgentPointer(0)
        .fillChecksum(address, c.remoteAddress, headerLength + dataLength);
    counters.increment(StackCounter.TCP_OUT_SEGS);
    if ((flags & TcpHeader.FLAG_RST) != 0) {
      counters.increment(StackCounter.TCP_OUT_RSTS);
    }
    ip.sendDatagram(IpProtocol.TCP, c.remoteAddress, true);
  }

  private void sendReset(int remoteAddress, int remotePort, int localPort, int seq, int ack, boolean withAck) {
    ByteBuf out = ip.beginDatagram();
    int start = out.writerIndex();
    out.writeZero(TcpHeader.MIN_LENGTH);
    tx.wrap(out, start, TcpHeader.MIN_LENGTH)
        .setSourcePort(localPort)
        .setDestinationPort(remotePort)
        .setSequenceNumber(seq)
        .setAcknowledgmentNumber(withAck ? ack : 0)
        .setDataOffsetAndFlags(TcpHeader.MIN_LENGTH, TcpHeader.FLAG_RST | (withAck ? TcpHeader.FLAG_ACK : 0))
        .setWindow(0)
        .setUrgentPointer(0)
        .fillChecksum(address, remoteAddress, TcpHeader.MIN_LENGTH);
    counters.increment(StackCounter.TCP_OUT_SEGS);
    counters.increment(StackCounter.TCP_OUT_RSTS);
    ip.sendDatagram(IpProtocol.TCP, remoteAddress, true);
  }
}
