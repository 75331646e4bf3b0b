package io.tcpstack.ip;

import io.netty.buffer.ByteBuf;
import io.tcpstack.StackConfig;
import io.tcpstack.stats.CounterSet;
import io.tcpstack.stats.StackCounter;
import io.tcpstack.wire.IpProtocol;
import io.tcpstack.wire.Ipv4Header;
import io.tcpstack.wire.WireCheck;

/**
 * IPv4 for a host with one address on one link: validates what arrives, reassembles fragments,
 * hands datagrams to the protocol registered for them, and sends datagrams, fragmenting those
 * larger than the MTU.
 *
 * <p>Input never throws on bad bytes: every malformed or unwanted packet is dropped and counted under
 * its reason ({@link StackCounter}). Output is allocation-free: a protocol writes its message into
 * the buffer {@link #beginDatagram()} returns and calls {@link #sendDatagram}; the layer writes the
 * header in front and passes the packet to the {@link PacketSink}.
 *
 * <p>The layer keeps what transports learned about path MTUs ({@link #pathMtu}, {@link
 * #lowerPathMtu}; RFC 1191 §6.2 puts that store in the IP layer). Stack thread only.
 */
public final class Ipv4Layer {

  /** RFC 1122 §3.2.1.7 leaves the default TTL to the host; 64 is Linux's and RFC 1700's value. */
  public static final int DEFAULT_TTL = 64;
  /** Our datagrams carry no options, so the header is always the minimal 20 bytes. */
  static final int HEADER_LENGTH = Ipv4Header.MIN_LENGTH;
  /** RFC 792 "Time Exceeded Message": the original header plus the first 64 bits of its data. */
  static final int ICMP_ERROR_QUOTE_DATA = 8;


  private final int address;
  private final int prefixLength;
  private final int mtu;
  /** What the link does for us ({@link Offload} capabilities). */
  private final int linkOffloads;
  private final CounterSet<StackCounter> counters;
  private final PacketSink sink;
  private final ProtocolHandler[] handlers = new ProtocolHandler[256];
  private final FragmentReassembler reassembler;
  private final PathMtuCache pathMtus = new PathMtuCache(PathMtuCache.DEFAULT_CAPACITY);
  private final Ipv4Header rx = new Ipv4Header();
  private final Ipv4Header tx = new Ipv4Header();
  private final Ipv4Header fragmentHeader = new Ipv4Header();
  /** Scratch for one outgoing datagram of up to 65535 bytes; reused for every send. */
  private final ByteBuf datagram;
  /** Scratch for one fragment of {@link #datagram}. */
  private final ByteBuf fragment;
  private final FragmentReassembler.TimeoutListener timeExceeded = this::sendReassemblyTimeExceeded;
  private int nextIdentification;
  private boolean building;

  public Ipv4Layer(StackConfig config, CounterSet<StackCounter> counters, PacketSink sink) {
    this(config, counters, sink, Offload.NONE);
  }

  /**
   * @param linkOffloads the {@link Offload} capabilities of the link behind {@code sink}: whether
   *     datagrams may leave with partial TCP checksums and as TCP super-segments
   */
  public Ipv4Layer(StackConfig config, CounterSet<StackCounter> counters, PacketSink sink, int linkOffloads) {
    if (Offload.has(linkOffloads, Offload.TX_SEGMENTATION) && !Offload.has(linkOffloads, Offload.TX_CHECKSUM)) {
      throw new IllegalArgumentException("Offload.TX_SEGMENTATION needs Offload.TX_CHECKSUM too (as TSO needs"
          + " checksum offload in Linux and virtio)");
    }
    this.linkOffloads = linkOffloads;
    this.address = config.address();
    this.prefixLength = config.prefixLength();
    this.mtu = config.mtu();
    this.counters = counters;
    this.sink = sink;
    this.reassembler = new FragmentReassembler(
        config.reassemblyMaxDatagrams(),
        config.reassemblyMaxBytes(),
        config.reassemblyTimeoutNs(),
        config.allocator(),
        counters);
    ByteBuf d = null;
    try {
      d = config.allocator().directBuffer(StackConfig.MAX_DATAGRAM, StackConfig.MAX_DATAGRAM);
      this.fragment = config.allocator().directBuffer(mtu, mtu);
      this.datagram = d;
    } catch (RuntimeException e) {
      if (d != null) {
        d.release();
      }
      throw e;
    }
  }

  /** Routes datagrams of IP protocol {@code protocol} (see {@link IpProtocol}) to {@code handler}. */
  public void register(int protocol, ProtocolHandler handler) {
    if (protocol < 0 || protocol > 255) {
      throw new IllegalArgumentException("IP protocol numbers are 0..255, got " + protocol);
    }
    if (handlers[protocol] != null) {
      throw new IllegalStateException("a handler for IP protocol " + protocol + " is already registered");
    }
    handlers[protocol] = handler;
  }

  /** The handler registered for IP protocol {@code protocol}, or null. */
  ProtocolHandler handler(int protocol) {
    return handlers[protocol & 0xFF];
  }

  /**
   * The path MTU estimate for datagrams to {@code destination}: the link's MTU, or less where a
   * transport accepted a Datagram Too Big message about that destination in the last ten minutes
   * (RFC 1191; see {@link PathMtuCache}). Looked up once per connection, not per datagram.
   */
  public int pathMtu(int destination, long nowNs) {
    return pathMtus.get(destination, mtu, nowNs);
  }

  /**
   * A transport validated a Datagram Too Big message: the path to {@code destination} carries at
   * most {@code pathMtu} bytes (RFC 1191 §3: never raised this way, never below 68).
   */
  public void lowerPathMtu(int destination, int pathMtu, long nowNs) {
    pathMtus.lower(destination, pathMtu, nowNs);
  }

  /** This host's address. */
  public int address() {
    return address;
  }

  public int mtu() {
    return mtu;
  }

  /** The link's {@link Offload} capabilities. */
  public int linkOffloads() {
    return linkOffloads;
  }

  /**
   * Processes one packet read from the link: its readable bytes. The caller keeps ownership of
   * {@code packet}; nothing here retains it.
   */
  public void receive(ByteBuf packet, long nowNs) {
    receive(packet, Offload.NONE, nowNs);
  }

  /**
   * As {@link #receive(ByteBuf, long)}, with what the link says about the packet ({@link
   * Offload#CHECKSUM_VALID}). A packet longer than the MTU is a super-segment the link merged (GRO,
   * or TSO from the local host): it is taken whole.
   */
  public void receive(ByteBuf packet, int offload, long nowNs) {
    counters.increment(StackCounter.IP_IN_RECEIVES);
    int length = packet.readableBytes();
    int start = packet.readerIndex();
    WireCheck check = rx.wrapChecked(packet, start, length);
    if (check != WireCheck.OK) {
      counters.increment(counterFor(check));
      return;
    }
    // RFC 1122 §3.2.1.2: "A host MUST verify the IP header checksum on every received datagram and
    // silently discard every datagram that has a bad checksum."
    if (!rx.isChecksumValid()) {
      counters.increment(StackCounter.IP_IN_BAD_CHECKSUM);
      return;
    }
    // RFC 1122 §3.2.1.7: a host "MUST NOT discard a datagram just because it was received with TTL
    // less than 2" — so the TTL is deliberately not checked here.
    if (rx.destination() != address) {
      counters.increment(StackCounter.IP_IN_NOT_FOR_US);
      return;
    }
    if (!isValidSource(rx.source())) {
      counters.increment(StackCounter.IP_IN_BAD_SOURCE);
      return;
    }
    // RFC 9293 §3.9.2.1 (MUST-51..53) asks TCP to use a source route the application gives, and the
    // return route of a source-routed SYN: this stack offers no source routing, so a datagram that
    // carries a source route is dropped before any transport sees it (RFC 7126 §4.3, §4.4: the
    // option enables attacks; Linux drops them by default, accept_source_route=0). No connection ever
    // answers by a route other than the one its segments came from without the option.
    if (rx.headerLength() > HEADER_LENGTH && carriesSourceRoute(packet, start, rx.headerLength())) {
      counters.increment(StackCounter.IP_IN_SOURCE_ROUTED);
      return;
    }
    if (rx.totalLength() > mtu) {
      counters.increment(StackCounter.IP_IN_SUPER_PACKETS);
    }
    if (rx.moreFragments() || rx.fragmentOffset() != 0) {
      ByteBuf whole = reassembler.accept(rx, nowNs);
      if (whole != null) {
        try {
          rx.wrap(whole, whole.readerIndex());
          deliver(rx, whole, Offload.NONE, nowNs);
        } finally {
          whole.release();
        }
      }
      return;
    }
    deliver(rx, packet, offload, nowNs);
  }

  /** RFC 791 §3.1 option types: Loose Source and Record Route, Strict Source and Record Route. */
  static final int OPTION_LSRR = 131;
  static final int OPTION_SSRR = 137;

  /**
   * Whether the options of the header at {@code start} ({@code headerLength} bytes) hold a Loose or
   * Strict Source Route (RFC 791 §3.1). End of Option List ends the walk, No Operation is one byte,
   * every other option has a length; a malformed length ends the walk too (the rest is not read).
   */
  static boolean carriesSourceRoute(ByteBuf packet, int start, int headerLength) {
    int i = start + HEADER_LENGTH;
    int end = start + headerLength;
    while (i < end) {
      int type = packet.getUnsignedByte(i);
      if (type == 0) {
        return false;
      }
      if (type == 1) {
        i++;
        continue;
      }
      if (type == OPTION_LSRR || type == OPTION_SSRR) {
        return true;
      }
      if (i + 1 >= end) {
        return false;
      }
      int length = packet.getUnsignedByte(i + 1);
      if (length < 2) {
        return false;
      }
      i += length;
    }
    return false;
  }

  /** When {@link #poll} next has work to do: a deadline in {@code nowNs} terms, or {@link Long#MAX_VALUE}. */
  public long pollAt() {
    return reassembler.pollAt();
  }

  /** Runs what is due at {@code nowNs}: expires stale reassemblies. */
  public void poll(long nowNs) {
    reassembler.expire(nowNs, timeExceeded);
  }

  /**
   * Starts an outgoing datagram: returns the scratch buffer with its writer index just past the
   * room for the IP header. Write the IP payload, then call {@link #sendDatagram}. One datagram at a
   * time; the buffer belongs to this layer.
   */
  public ByteBuf beginDatagram() {
    if (building) {
      throw new IllegalStateException("beginDatagram() called twice without sendDatagram(): finish one datagram first");
    }
    building = true;
    datagram.clear();
    datagram.writerIndex(HEADER_LENGTH);
    return datagram;
  }

  /**
   * Sends the datagram begun with {@link #beginDatagram()} from this host to {@code destination},
   * fragmenting it when it exceeds the MTU and {@code dontFragment} is false (RFC 791 §3.2).
   */
  public void sendDatagram(int protocol, int destination, boolean dontFragment) {
    sendDatagram(protocol, destination, dontFragment, Offload.NONE);
  }

  /**
   * As {@link #sendDatagram(int, int, boolean)}, with {@link Offload} metadata for the link: a TCP
   * datagram with {@link Offload#partialChecksum} may exceed the MTU (a super-segment the link
   * cuts) when the link has {@link Offload#TX_SEGMENTATION}. The caller passes such metadata only
   * when {@link #linkOffloads()} has the capability.
   */
  public void sendDatagram(int protocol, int destination, boolean dontFragment, int offload) {
    sendDatagram(protocol, destination, dontFragment, offload, 0, DEFAULT_TTL);
  }

  /**
   * As {@link #sendDatagram(int, int, boolean, int)}, with the sender's Differentiated Services
   * Codepoint and time to live: RFC 9293 §3.9.1.9 (MUST-48) lets the application choose the DS
   * field of its connection's segments, §3.9.2 (MUST-49) makes the TTL configurable. The ECN bits
   * stay 0 (no ECN here).
   *
   * @param dscp the DSCP, 0..63 (RFC 2474 §3), written into the upper six bits of the DS field
   * @param ttl the time to live, 1..255 (RFC 1122 §3.2.1.7: never 0)
   */
  public void sendDatagram(int protocol, int destination, boolean dontFragment, int offload, int dscp, int ttl) {
    if (!building) {
      throw new IllegalStateException("sendDatagram() without beginDatagram()");
    }
    building = false;
    int totalLength = datagram.writerIndex();
    boolean superSegment = totalLength > mtu && Offload.segmentSize(offload) > 0;
    if (totalLength > StackConfig.MAX_DATAGRAM || (totalLength > mtu && dontFragment && !superSegment)) {
      counters.increment(StackCounter.IP_OUT_DISCARDS);
      return;
    }
    tx.wrap(datagram, 0)
        .setVersionAndHeaderLength(HEADER_LENGTH)
        .setDscpEcn(dscp << 2)
        .setTotalLength(totalLength)
        .setIdentification(nextIdentification())
        .setFlagsAndFragmentOffset(dontFragment, false, 0)
        .setTtl(ttl)
        .setProtocol(protocol)
        .setSource(address)
        .setDestination(destination)
        .fillChecksum();
    if (totalLength <= mtu || superSegment) {
      transmit(datagram, offload);
      if (superSegment) {
        counters.increment(StackCounter.IP_OUT_SUPER_PACKETS);
      }
    } else {
      fragmentAndSend(totalLength);
    }
  }

  /** Releases the layer's buffers. */
  public void close() {
    reassembler.close();
    datagram.release();
    fragment.release();
  }

  /** Reassemblies in progress (for tests and statistics). */
  public int reassembliesInProgress() {
    return reassembler.inProgress();
  }

  private void deliver(Ipv4Header ip, ByteBuf buf, int offload, long nowNs) {
    ProtocolHandler handler = handlers[ip.protocol()];
    if (handler == null) {
      counters.increment(StackCounter.IP_IN_UNKNOWN_PROTOCOL);
      return;
    }
    counters.increment(StackCounter.IP_IN_DELIVERS);
    handler.receive(ip, buf, ip.payloadIndex(), ip.payloadLength(), offload, nowNs);
  }

  /** RFC 791 §3.2: each fragment repeats the header; its data is a multiple of 8 bytes except the last. */
  private void fragmentAndSend(int totalLength) {
    int payloadLength = totalLength - HEADER_LENGTH;
    int perFragment = ((mtu - HEADER_LENGTH) / FragmentReassembler.FRAGMENT_UNIT) * FragmentReassembler.FRAGMENT_UNIT;
    counters.increment(StackCounter.IP_FRAG_OKS);
    for (int offset = 0; offset < payloadLength; offset += perFragment) {
      int length = Math.min(perFragment, payloadLength - offset);
      boolean more = offset + length < payloadLength;
      fragment.clear();
      fragment.writeBytes(datagram, 0, HEADER_LENGTH);
      fragment.writeBytes(datagram, HEADER_LENGTH + offset, length);
      fragmentHeader.wrap(fragment, 0)
          .setTotalLength(HEADER_LENGTH + length)
          .setFlagsAndFragmentOffset(false, more, offset)
          .fillChecksum();
      counters.increment(StackCounter.IP_FRAG_CREATES);
      transmit(fragment, Offload.NONE);
    }
  }

  private void transmit(ByteBuf packet, int offload) {
    counters.increment(StackCounter.IP_OUT_REQUESTS);
    if (offload == Offload.NONE) {
      sink.transmit(packet);
    } else {
      sink.transmit(packet, offload);
    }
  }

  /**
   * RFC 1122 §3.3.2: when reassembly times out and fragment zero was received, send ICMP Time
   * Exceeded, code 1, quoting the header and first 8 data bytes (RFC 792) — but never about an ICMP
   * error message (RFC 1122 §3.2.2).
   */
  private void sendReassemblyTimeExceeded(ByteBuf held, int headerIndex, int headerLength) {
    fragmentHeader.wrap(held, headerIndex);
    if (fragmentHeader.protocol() == IpProtocol.ICMP
        && Icmpv4Layer.isErrorType(held.getUnsignedByte(headerIndex + headerLength))) {
      return;
    }
    int destination = fragmentHeader.source();
    ByteBuf out = beginDatagram();
    Icmpv4Layer.writeTimeExceeded(out, held, headerIndex, headerLength + ICMP_ERROR_QUOTE_DATA);
    counters.increment(StackCounter.ICMP_OUT_TIME_EXCEEDS);
    sendDatagram(IpProtocol.ICMP, destination, false);
  }

  /**
   * RFC 1122 §3.2.1.3: a host MUST silently discard a datagram whose source is not a unicast address
   * of another host: "this network" (0/8), loopback (127/8), multicast and reserved (224/3), our own
   * subnet's broadcast, or our own address arriving from the link.
   */
  private boolean isValidSource(int source) {
    int firstOctet = source >>> 24;
    if (firstOctet == 0 || firstOctet == 127 || firstOctet >= 224) {
      return false;
    }
    int hostMask = prefixLength >= 32 ? 0 : -1 >>> prefixLength;
    boolean sameSubnet = ((source ^ address) & ~hostMask) == 0;
    if (sameSubnet && (source & hostMask) == hostMask) {
      return false;
    }
    return source != address;
  }

  /**
   * Whether {@code destination} may be the remote end of a TCP connection: RFC 9293 §3.9.1.1
   * (MUST-46) has an active OPEN to a broadcast or multicast address rejected. Not: "this network"
   * (0/8, the unspecified address among them), multicast (224/4), reserved (240/4, the limited
   * broadcast 255.255.255.255 among them), or our subnet's broadcast address.
   */
  public boolean isUnicastDestination(int destination) {
    int firstOctet = destination >>> 24;
    if (firstOctet == 0 || firstOctet >= 224) {
      return false;
    }
    int hostMask = prefixLength >= 32 ? 0 : -1 >>> prefixLength;
    boolean sameSubnet = ((destination ^ address) & ~hostMask) == 0;
    return !(sameSubnet && hostMask != 0 && (destination & hostMask) == hostMask);
  }

  private int nextIdentification() {
    // RFC 6864 §4.1: identification only needs to be unique per (source, destination, protocol)
    // among datagrams that may be fragmented within a maximum datagram lifetime.
    int id = nextIdentification;
    nextIdentification = (nextIdentification + 1) & 0xFFFF;
    return id;
  }

  private static StackCounter counterFor(WireCheck check) {
    switch (check) {
      case TRUNCATED:
        return StackCounter.IP_IN_TRUNCATED;
      case BAD_VERSION:
        return StackCounter.IP_IN_BAD_VERSION;
      case BAD_HEADER_LENGTH:
        return StackCounter.IP_IN_BAD_HEADER_LENGTH;
      default:
        return StackCounter.IP_IN_BAD_TOTAL_LENGTH;
    }
  }
}
