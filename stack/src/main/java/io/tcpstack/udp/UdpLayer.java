package io.tcpstack.udp;

import io.netty.buffer.ByteBuf;
import io.netty.util.collection.IntObjectHashMap;
import io.tcpstack.StackConfig;
import io.tcpstack.ip.IcmpError;
import io.tcpstack.ip.IcmpRateLimiter;
import io.tcpstack.ip.Icmpv6Layer;
import io.tcpstack.ip.Ipv4Layer;
import io.tcpstack.ip.Ipv6Layer;
import io.tcpstack.ip.Offload;
import io.tcpstack.ip.ProtocolHandler;
import io.tcpstack.stats.CounterSet;
import io.tcpstack.stats.StackCounter;
import io.tcpstack.wire.Icmpv4Header;
import io.tcpstack.wire.Icmpv6Header;
import io.tcpstack.wire.IpAddress;
import io.tcpstack.wire.IpProtocol;
import io.tcpstack.wire.Ipv4Header;
import io.tcpstack.wire.Ipv6Header;
import io.tcpstack.wire.UdpHeader;
import io.tcpstack.wire.WireCheck;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Set;

/**
 * UDP (RFC 768) for a host, with RFC 1122 §4.1's requirements: demultiplexes datagrams to the
 * {@link UdpEndpoint} bound to their destination port, verifies checksums and lengths, answers
 * datagrams to closed ports with ICMP Port Unreachable (rate-limited, never for broadcast or
 * multicast), passes the ICMP errors about datagrams it sent to the connected endpoint that sent
 * them, and sends datagrams — fragmented by the IP layer when larger than the MTU.
 *
 * <p>Over IPv4 and IPv6 alike (RFC 8200 §8): one port space, an endpoint bound to a port takes
 * datagrams of both families, as a Linux socket bound to {@code ::} does. Over IPv6 the checksum
 * covers the IPv6 pseudo-header and is mandatory (RFC 8200 §8.1: a zero one is dropped and
 * counted), and a closed port draws ICMPv6 Port Unreachable ({@link
 * Icmpv6Layer#sendDestinationUnreachable}, RFC 4443 §3.1, within its §2.4 rules and rate limit).
 *
 * <p>Input never throws on bad bytes: each datagram is queued, or dropped and counted ({@code
 * UDP_*} in {@link StackCounter}, named after Linux's {@code nstat} Udp* counters). Nothing is
 * allocated per datagram: received datagrams are copied into their endpoint's receive ring
 * ({@link DatagramQueue}), sent ones straight into the IP layer's transmit scratch. One endpoint
 * per port; the port space is separate from TCP's. Deterministic, no clock of its own (time is
 * passed in); stack thread only.
 */
public final class UdpLayer implements ProtocolHandler {

  /** Ports bound and released, at DEBUG. */
  private static final Logger log = LoggerFactory.getLogger(UdpLayer.class);

  /** Linux's {@code net.core.rmem_default}: the receive queue's byte limit unless the socket asks otherwise. */
  public static final int DEFAULT_RECEIVE_BUFFER = 212_992;
  /**
   * The smallest receive queue (Linux's {@code SOCK_MIN_RCVBUF} is of this order). A datagram
   * larger than the whole queue is dropped and counted like any that finds no room.
   */
  public static final int MIN_RECEIVE_BUFFER = 2048;
  /**
   * The most data one datagram carries: 65535 (IPv4 total length, RFC 791) less the 20-byte IP and
   * 8-byte UDP headers.
   */
  public static final int MAX_PAYLOAD = StackConfig.MAX_DATAGRAM - Ipv4Header.MIN_LENGTH - UdpHeader.LENGTH;
  /**
   * The most data one datagram carries over IPv6: 65535 (the Payload Length, RFC 8200 §3) less the
   * 8-byte UDP header; jumbograms (RFC 2675) are not supported.
   */
  public static final int MAX_PAYLOAD_IPV6 = 0xFFFF - UdpHeader.LENGTH;
  /** RFC 6335 §6: the dynamic (ephemeral) port range, as TCP uses. */
  public static final int EPHEMERAL_FIRST = 49152;
  public static final int EPHEMERAL_LAST = 65535;
  /**
   * RFC 1812 §4.3.2.3 (and Linux): an ICMP error quotes as much of the datagram as keeps the whole
   * message within 576 bytes — RFC 792's minimum is the header and 8 bytes.
   */
  static final int ICMP_ERROR_MAX_DATAGRAM = 576;
  /** The RFC 791 minimum every host accepts, less the ICMP message's own IP and ICMP headers. */
  static final int ICMP_ERROR_MAX_QUOTE = ICMP_ERROR_MAX_DATAGRAM - Ipv4Header.MIN_LENGTH - Icmpv4Header.LENGTH;

  private static final byte[] EPHEMERAL_SEED_LABEL = "rfc6056 alg1 udp".getBytes(StandardCharsets.US_ASCII);

  private final Ipv4Layer ip;
  /** Null, or without an address: IPv6 destinations are refused. */
  private final Ipv6Layer ip6;
  private final Icmpv6Layer icmp6;
  private final CounterSet<StackCounter> counters;
  private final int prefixLength;
  private final IntObjectHashMap<UdpEndpoint> byPort = new IntObjectHashMap<>();
  /** Every endpoint not closed, bound or not: the stack's close tells them all. */
  private final Set<UdpEndpoint> open = Collections.newSetFromMap(new IdentityHashMap<>());
  private final IcmpRateLimiter icmpLimiter;
  private final SecureRandom ephemeral;
  private final UdpHeader rx = new UdpHeader();
  private final UdpHeader tx = new UdpHeader();
  private final Icmpv4Header icmp = new Icmpv4Header();

  /** UDP over IPv4 only (tests): IPv6 destinations are refused. */
  public UdpLayer(Ipv4Layer ip, CounterSet<StackCounter> counters, StackConfig config) {
    this(ip, null, null, counters, config, new IcmpRateLimiter());
  }

  /**
   * UDP over both families: register it with {@code ip} for protocol 17 and with {@code ip6} for
   * Next Header 17; {@code icmp6} sends its ICMPv6 errors.
   */
  public UdpLayer(Ipv4Layer ip, Ipv6Layer ip6, Icmpv6Layer icmp6, CounterSet<StackCounter> counters,
      StackConfig config) {
    this(ip, ip6, icmp6, counters, config, new IcmpRateLimiter());
  }

  /** With an ICMP rate limiter of the caller's for IPv4 (tests; a stack whose ICMP errors share one). */
  public UdpLayer(Ipv4Layer ip, Ipv6Layer ip6, Icmpv6Layer icmp6, CounterSet<StackCounter> counters,
      StackConfig config, IcmpRateLimiter icmpLimiter) {
    this.ip = ip;
    this.ip6 = ip6;
    this.icmp6 = icmp6;
    this.counters = counters;
    this.prefixLength = config.prefixLength();
    this.icmpLimiter = icmpLimiter;
    this.ephemeral = ephemeralRandom(config.ephemeralPortKey());
  }

  /**
   * RFC 6056 §3.3.1, "Algorithm 1: Simple Port Randomization": an unbound socket's port is random
   * in the range — its destination is not known when it is bound, so TCP's per-destination
   * Algorithm 4 does not apply (Linux picks a random port for UDP too). The randomness is SHA1PRNG
   * seeded only with the stack's secret port key (under a label of its own), so the sequence
   * cannot be predicted without the key and is the same for a given key (tests fix it).
   */
  private static SecureRandom ephemeralRandom(byte[] key) {
    try {
      SecureRandom r = SecureRandom.getInstance("SHA1PRNG");
      byte[] seed = new byte[EPHEMERAL_SEED_LABEL.length + key.length];
      System.arraycopy(EPHEMERAL_SEED_LABEL, 0, seed, 0, EPHEMERAL_SEED_LABEL.length);
      System.arraycopy(key, 0, seed, EPHEMERAL_SEED_LABEL.length, key.length);
      r.setSeed(seed); // before any output: the generator's whole state comes from the seed
      return r;
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA1PRNG is part of every Java platform", e);
    }
  }

  /** An endpoint not bound yet: the first send or connect binds it to an ephemeral port. */
  public UdpEndpoint open(int receiveBufferBytes) {
    checkReceiveBuffer(receiveBufferBytes);
    UdpEndpoint e = new UdpEndpoint(this, receiveBufferBytes);
    open.add(e);
    return e;
  }

  /**
   * An endpoint bound to {@code port} of this host's address; port 0 picks an ephemeral one.
   *
   * @throws IllegalStateException if another endpoint has the port, or no ephemeral port is free
   */
  public UdpEndpoint bind(int port, int receiveBufferBytes) {
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("UDP ports are 0..65535, got " + port);
    }
    checkReceiveBuffer(receiveBufferBytes);
    if (port != 0 && byPort.containsKey(port)) {
      throw new IllegalStateException("UDP port " + port + " is already bound");
    }
    UdpEndpoint e = new UdpEndpoint(this, receiveBufferBytes);
    if (port == 0) {
      ensureBound(e);
    } else {
      e.bound(port);
      byPort.put(port, e);
      log.debug("UDP port {} bound", port);
    }
    open.add(e);
    return e;
  }

  private static void checkReceiveBuffer(int bytes) {
    if (bytes < MIN_RECEIVE_BUFFER) {
      throw new IllegalArgumentException("a UDP receive buffer needs at least " + MIN_RECEIVE_BUFFER
          + " bytes, got " + bytes);
    }
  }

  /** The endpoint bound to {@code port}, or null. */
  public UdpEndpoint endpoint(int port) {
    return byPort.get(port);
  }

  /** Endpoints bound now. */
  public int boundPorts() {
    return byPort.size();
  }

  /** Endpoints open now, bound or not. */
  public int openEndpoints() {
    return open.size();
  }

  void ensureBound(UdpEndpoint e) {
    if (e.isBound()) {
      return;
    }
    int count = EPHEMERAL_LAST - EPHEMERAL_FIRST + 1;
    int port = EPHEMERAL_FIRST + ephemeral.nextInt(count);
    for (int tries = count; tries > 0; tries--) {
      if (!byPort.containsKey(port)) {
        e.bound(port);
        byPort.put(port, e);
        log.debug("UDP port {} bound (ephemeral)", port);
        return;
      }
      port = port == EPHEMERAL_LAST ? EPHEMERAL_FIRST : port + 1;
    }
    throw new IllegalStateException("no ephemeral UDP port is free (" + EPHEMERAL_FIRST + ".." + EPHEMERAL_LAST + ")");
  }

  void unbind(UdpEndpoint e) {
    open.remove(e);
    if (e.isBound() && byPort.get(e.localPort()) == e) {
      byPort.remove(e.localPort());
      log.debug("UDP port {} released", e.localPort());
    }
  }

  /** Whether this layer sends and receives over IPv6 (the stack has an IPv6 address). */
  public boolean ipv6Enabled() {
    return ip6 != null && ip6.enabled();
  }

  /** The most data a datagram to {@code hi, lo} carries: {@link #MAX_PAYLOAD} over IPv4, {@link #MAX_PAYLOAD_IPV6} over IPv6. */
  public static int maxPayload(long hi, long lo) {
    return UdpPeer.isIpv4(hi, lo) ? MAX_PAYLOAD : MAX_PAYLOAD_IPV6;
  }

  void checkDestination(long hi, long lo, int port) {
    if (port < 1 || port > 65535) {
      throw new IllegalArgumentException("a UDP destination port is 1..65535, got " + port);
    }
    if (UdpPeer.isIpv4(hi, lo)) {
      int address = UdpPeer.ipv4(lo);
      if (address == 0 || UdpPeer.isBroadcastOrMulticast(address, ip.address(), prefixLength)) {
        throw new IllegalArgumentException("cannot send UDP to " + UdpPeer.toString(hi, lo, port)
            + ": not a unicast address (this stack has no SO_BROADCAST nor multicast)");
      }
      return;
    }
    // RFC 4291 §2.5.2: the unspecified address "must not be used as the destination address";
    // multicast (§2.7) needs group membership this stack does not have.
    if ((hi == 0 && lo == 0) || IpAddress.isMulticast(hi)) {
      throw new IllegalArgumentException("cannot send UDP to " + UdpPeer.toString(hi, lo, port)
          + ": not a unicast address (this stack has no multicast)");
    }
    if (!ipv6Enabled()) {
      throw new IllegalArgumentException("cannot send UDP to " + UdpPeer.toString(hi, lo, port)
          + ": this stack has no IPv6 address");
    }
  }

  /** Sends {@code src}'s readable bytes as one datagram and advances its reader index. */
  void send(UdpEndpoint e, ByteBuf src, long hi, long lo, int port) {
    int length = src.readableBytes();
    ByteBuf out = beginSend(e, length, hi, lo, port);
    out.writeBytes(src, src.readerIndex(), length);
    finishSend(e, out, length, hi, lo, port);
    src.skipBytes(length);
  }

  /** Sends {@code src}'s remaining bytes as one datagram and advances its position. */
  void send(UdpEndpoint e, ByteBuffer src, long hi, long lo, int port) {
    int length = src.remaining();
    ByteBuf out = beginSend(e, length, hi, lo, port);
    out.writeBytes(src); // advances src's position
    finishSend(e, out, length, hi, lo, port);
  }

  /** Sends {@code b[off, off + len)} as one datagram. */
  void send(UdpEndpoint e, byte[] b, int off, int len, long hi, long lo, int port) {
    ByteBuf out = beginSend(e, len, hi, lo, port);
    out.writeBytes(b, off, len);
    finishSend(e, out, len, hi, lo, port);
  }

  /**
   * Checks the datagram can go, binds the endpoint if needed, and starts it in the scratch of the
   * IP layer of the destination's family: returns the buffer with room for the UDP header written,
   * ready for the data.
   */
  private ByteBuf beginSend(UdpEndpoint e, int length, long hi, long lo, int port) {
    boolean ipv4 = UdpPeer.isIpv4(hi, lo);
    int max = ipv4 ? MAX_PAYLOAD : MAX_PAYLOAD_IPV6;
    if (length > max) {
      throw new IllegalArgumentException("a UDP datagram carries at most " + max + " bytes over "
          + (ipv4 ? "IPv4" : "IPv6") + ", got " + length + " (EMSGSIZE)");
    }
    checkDestination(hi, lo, port);
    ensureBound(e);
    ByteBuf out = ipv4 ? ip.beginDatagram() : ip6.beginDatagram();
    out.writeZero(UdpHeader.LENGTH);
    return out;
  }

  /**
   * RFC 768: the header, and the checksum over it, the data and the pseudo-header (RFC 8200 §8.1's
   * over IPv6); then IP sends it.
   */
  private void finishSend(UdpEndpoint e, ByteBuf out, int length, long hi, long lo, int port) {
    int start = out.writerIndex() - length - UdpHeader.LENGTH;
    tx.wrap(out, start)
        .setSourcePort(e.localPort())
        .setDestinationPort(port)
        .setLength(UdpHeader.LENGTH + length);
    counters.increment(StackCounter.UDP_OUT_DATAGRAMS);
    if (UdpPeer.isIpv4(hi, lo)) {
      // RFC 768: a computed zero goes as 0xFFFF; RFC 1122 §4.1.3.4: checksums are on by default.
      int address = UdpPeer.ipv4(lo);
      tx.fillChecksum(ip.address(), address);
      // DF clear: UDP has no path MTU discovery of its own here, so a datagram larger than the MTU
      // leaves in fragments (RFC 791 §3.2; RFC 8085 §3.2 leaves it to the application to size them).
      ip.sendDatagram(IpProtocol.UDP, address, false);
    } else {
      // RFC 8200 §8.1: the checksum is mandatory, a computed zero goes as 0xFFFF. Larger than the
      // MTU, the IPv6 layer fragments at the source (§4.5).
      tx.fillChecksum6(ip6.addressHi(), ip6.addressLo(), hi, lo);
      ip6.sendDatagram(IpProtocol.UDP, hi, lo);
    }
  }

  @Override
  public void receive(Ipv4Header header, ByteBuf buf, int payloadIndex, int payloadLength, int offload, long nowNs) {
    // RFC 768: the length field counts header and data; it may be shorter than the IP payload
    // (the rest is padding, ignored), never longer nor below 8: such a datagram is malformed,
    // dropped and counted as Linux counts it (UdpInErrors).
    if (rx.wrapChecked(buf, payloadIndex, payloadLength) != WireCheck.OK) {
      counters.increment(StackCounter.UDP_IN_ERRORS);
      return;
    }
    int source = header.source();
    long sourceLo = UdpPeer.loOf(source);
    // RFC 1122 §4.1.3.4: "If a UDP datagram is received with a checksum that is non-zero and
    // invalid, UDP MUST silently discard the datagram." Zero means none was sent (RFC 768). A link
    // that verified the checksum, or the local host that left it for the link to fill, says so.
    if (!Offload.isChecksumValid(offload) && !rx.isChecksumValid(source, header.destination())) {
      counters.increment(StackCounter.UDP_IN_CSUM_ERRORS);
      counters.increment(StackCounter.UDP_IN_ERRORS);
      return;
    }
    int sourcePort = rx.sourcePort();
    UdpEndpoint e = byPort.get(rx.destinationPort());
    if (e == null || !e.accepts(UdpPeer.IPV4_HI, sourceLo, sourcePort)) {
      counters.increment(StackCounter.UDP_NO_PORTS);
      sendPortUnreachable(header, buf, payloadIndex + payloadLength, nowNs);
      return;
    }
    deliver(e, buf, UdpPeer.IPV4_HI, sourceLo, sourcePort);
  }

  /** Queues the datagram {@link #rx} wraps for {@code e}, or drops and counts it if the queue is full. */
  private void deliver(UdpEndpoint e, ByteBuf buf, long sourceHi, long sourceLo, int sourcePort) {
    if (!e.queue().offer(buf, rx.payloadIndex(), rx.payloadLength(), sourceHi, sourceLo, sourcePort)) {
      counters.increment(StackCounter.UDP_RCVBUF_ERRORS);
      counters.increment(StackCounter.UDP_IN_ERRORS);
      return;
    }
    counters.increment(StackCounter.UDP_IN_DATAGRAMS);
    e.events().onReadable(e);
  }

  /**
   * UDP over IPv6 (RFC 8200 §8). The length field is checked as over IPv4 (RFC 768; a jumbogram's
   * zero length, RFC 2675, is malformed here). RFC 8200 §8.1: "IPv6 receivers must discard UDP
   * packets containing a zero checksum and should log the error" — dropped and counted as Linux
   * counts it (UdpInCsumErrors and UdpInErrors), whatever the link says, since a zero field is no
   * checksum at all; RFC 6935/6936's exception is for tunnel protocols, which this host has none
   * of. A closed port draws ICMPv6 Port Unreachable (RFC 4443 §3.1, code 4).
   */
  @Override
  public void receiveIpv6(Ipv6Header header, ByteBuf buf, int payloadIndex, int payloadLength, int offload,
      long nowNs) {
    if (rx.wrapChecked(buf, payloadIndex, payloadLength) != WireCheck.OK) {
      counters.increment(StackCounter.UDP_IN_ERRORS);
      return;
    }
    long sourceHi = header.sourceHi();
    long sourceLo = header.sourceLo();
    if (rx.checksum() == UdpHeader.NO_CHECKSUM
        || (!Offload.isChecksumValid(offload)
            && !rx.isChecksumValid6(sourceHi, sourceLo, header.destinationHi(), header.destinationLo()))) {
      counters.increment(StackCounter.UDP_IN_CSUM_ERRORS);
      counters.increment(StackCounter.UDP_IN_ERRORS);
      return;
    }
    int sourcePort = rx.sourcePort();
    UdpEndpoint e = byPort.get(rx.destinationPort());
    if (e == null || !e.accepts(sourceHi, sourceLo, sourcePort)) {
      counters.increment(StackCounter.UDP_NO_PORTS);
      // RFC 4443 §2.4 (e): never about a packet to a multicast group (the IPv6 layer delivers UDP
      // to this host's unicast address only), never to an unspecified or multicast source; rate-limited.
      icmp6.sendDestinationUnreachable(header, Icmpv6Header.CODE_PORT_UNREACHABLE);
      return;
    }
    deliver(e, buf, sourceHi, sourceLo, sourcePort);
  }

  /**
   * RFC 1122 §4.1.3.1: "If a datagram arrives addressed to a UDP port for which there is no
   * pending LISTEN call, UDP SHOULD send an ICMP Port Unreachable message" — quoting the datagram
   * from its IP header, as much as fits in 576 bytes (RFC 1812 §4.3.2.3, as Linux) — but never
   * about a datagram to a broadcast or multicast address (RFC 1122 §3.2.2), and within the rate
   * limit ({@link IcmpRateLimiter}). The IP layer delivers only whole datagrams to this host's own
   * address from a unicast source, which RFC 1122 §3.2.2's other exclusions (a non-initial
   * fragment, a broadcast or multicast source) need.
   */
  private void sendPortUnreachable(Ipv4Header header, ByteBuf buf, int end, long nowNs) {
    if (UdpPeer.isBroadcastOrMulticast(header.destination(), ip.address(), prefixLength)) {
      return;
    }
    int destination = header.source();
    if (!icmpLimiter.allow(destination, nowNs)) {
      counters.increment(StackCounter.ICMP_OUT_RATE_LIMITED);
      return;
    }
    int quoteIndex = header.offset();
    int quoteLength = Math.min(end - quoteIndex, ICMP_ERROR_MAX_QUOTE);
    ByteBuf out = ip.beginDatagram();
    int start = out.writerIndex();
    out.writeZero(Icmpv4Header.LENGTH);
    out.writeBytes(buf, quoteIndex, quoteLength);
    icmp.wrap(out, start)
        .setType(Icmpv4Header.TYPE_DESTINATION_UNREACHABLE)
        .setCode(Icmpv4Header.CODE_PORT_UNREACHABLE)
        .setRestOfHeader(0)
        .fillChecksum(Icmpv4Header.LENGTH + quoteLength);
    counters.increment(StackCounter.ICMP_OUT_DEST_UNREACHS);
    ip.sendDatagram(IpProtocol.ICMP, destination, false);
  }

  /**
   * RFC 1122 §4.1.3.3: "UDP MUST pass to the application layer all ICMP error messages that it
   * receives from the IP layer." As Linux without {@code IP_RECVERR}: to the endpoint that sent the
   * quoted datagram if it is connected to the quoted destination, and only the errors Linux counts
   * as hard ({@link UdpError#of}); an unconnected endpoint could not tell which of its sends
   * failed, and is not told.
   */
  @Override
  public void receiveIcmpError(IcmpError error, long nowNs) {
    UdpError kind;
    long hi;
    long lo;
    if (error.isIpv6()) {
      // RFC 4443 §3; RFC 8200 §8: the same rule for ICMPv6 errors about what was sent over IPv6.
      kind = UdpError.of6(error.type(), error.code());
      hi = error.quotedDestinationHi();
      lo = error.quotedDestinationLo();
    } else {
      kind = UdpError.of(error.type(), error.code());
      hi = UdpPeer.IPV4_HI;
      lo = UdpPeer.loOf(error.quotedDestination());
    }
    UdpEndpoint e = byPort.get(error.sourcePort());
    if (kind == null || e == null || !e.isConnectedTo(hi, lo, error.destinationPort())) {
      counters.increment(error.isIpv6() ? StackCounter.ICMP6_IN_IGNORED : StackCounter.ICMP_IN_IGNORED);
      return;
    }
    counters.increment(StackCounter.UDP_ICMP_ERRORS_REPORTED);
    e.reportError(kind);
    e.events().onError(e);
  }

  /** Closes every endpoint and tells its listener (the stack is closing: blocked receives must end). */
  public void close() {
    for (UdpEndpoint e : open.toArray(new UdpEndpoint[0])) {
      e.close();
      e.events().onClosed(e);
    }
  }
}
