package io.tcpstack.ip;

import io.netty.buffer.ByteBuf;
import io.tcpstack.StackConfig;
import io.tcpstack.stats.CounterSet;
import io.tcpstack.stats.StackCounter;
import io.tcpstack.wire.IpAddress;
import io.tcpstack.wire.IpProtocol;
import io.tcpstack.wire.Ipv6Header;
import io.tcpstack.wire.WireCheck;

/**
 * IPv6 (RFC 8200) for a host with one address on one point-to-point link, beside {@link
 * Ipv4Layer}: validates what arrives, walks the extension headers (§4), reassembles fragments
 * (§4.5), hands packets to the protocol registered for their upper-layer header, and sends
 * packets, fragmenting at the source those larger than the MTU.
 *
 * <p>Input never throws on bad bytes: every malformed or unwanted packet is dropped and counted
 * under its reason ({@link StackCounter}), with an ICMPv6 Parameter Problem where RFC 8200 asks for
 * one (sent by {@link Icmpv6Layer}, within RFC 4443 §2.4's rules and rate limit). Output is
 * allocation-free: a protocol writes its message into the buffer {@link #beginDatagram()} returns
 * and calls {@link #sendDatagram}; the layer writes the 40-byte header in front.
 *
 * <p>Host policy (see docs/architecture.md): packets to this host's address are accepted; packets
 * to the link-scope multicast groups a host hears on a link (all-nodes ff02::1, its solicited-node
 * group, and all-routers ff02::2 and MLDv2 ff02::16, where the kernel's Router Solicitations and
 * MLD reports go) only for ICMPv6, which counts and ignores Neighbor Discovery: a TUN link has no
 * link layer, so there is nothing to discover. Stack thread only.
 */
public final class Ipv6Layer {

  /** RFC 8200 §3 leaves the Hop Limit to the node; 64 is Linux's default and RFC 1700's TTL. */
  public static final int DEFAULT_HOP_LIMIT = 64;

  /**
   * RFC 8201 §4: "a node MUST NOT reduce its estimate of the Path MTU below the IPv6 minimum link
   * MTU" (RFC 8200 §5: 1280).
   */
  public static final int MIN_PATH_MTU = Ipv6Header.MIN_MTU;

  /** The largest payload (RFC 8200 §3: 16-bit Payload Length; no jumbograms). */
  static final int MAX_PAYLOAD = 0xFFFF;

  /** The unit of fragment offsets and lengths (RFC 8200 §4.5). */
  static final int FRAGMENT_UNIT = 8;

  /** ff02::1, all nodes on the link (RFC 4291 §2.7.1). */
  static final long LINK_SCOPE_MULTICAST_HI = 0xFF02_0000_0000_0000L;
  static final long ALL_NODES_LO = 1;
  /** ff02::2, all routers on the link (RFC 4291 §2.7.1): where Router Solicitations go. */
  static final long ALL_ROUTERS_LO = 2;
  /** ff02::16, all MLDv2-capable routers (RFC 3810 §5.2.14): where MLD reports go. */
  static final long ALL_MLDV2_ROUTERS_LO = 0x16;
  /** ff02::1:ff00:0/104, the solicited-node groups (RFC 4291 §2.7.1): low 24 bits from the address. */
  static final long SOLICITED_NODE_LO_PREFIX = 0x0000_0001_FF00_0000L;

  private final boolean hasAddress;
  private final long addressHi;
  private final long addressLo;
  private final IpAddress address;
  private final int prefixLength;
  private final int mtu;
  private final CounterSet<StackCounter> counters;
  private final PacketSink sink;
  private final ProtocolHandler[] handlers = new ProtocolHandler[256];
  private final FragmentReassembler reassembler;
  private final PathMtuCache pathMtus = new PathMtuCache(PathMtuCache.DEFAULT_CAPACITY);
  private final Ipv6Header rx = new Ipv6Header();
  private final Ipv6Header tx = new Ipv6Header();
  private final Ipv6Header held = new Ipv6Header();
  /** Scratch for one outgoing packet: header and up to 65535 bytes of payload. */
  private final ByteBuf datagram;
  /** Scratch for one fragment of {@link #datagram}. */
  private final ByteBuf fragment;
  private final FragmentReassembler.TimeoutListener timeExceeded = this::reassemblyTimedOut;
  private Icmpv6Layer icmp;
  private int nextIdentification;
  private boolean building;

  /**
   * @param config its {@link StackConfig#address6()} (may be null: IPv6 then drops every packet),
   *     MTU and reassembly limits (the same as IPv4's, in a reassembler of its own)
   */
  public Ipv6Layer(StackConfig config, CounterSet<StackCounter> counters, PacketSink sink) {
    IpAddress a = config.address6();
    this.hasAddress = a != null;
    this.address = a;
    this.addressHi = a == null ? 0 : a.hi();
    this.addressLo = a == null ? 0 : a.lo();
    this.prefixLength = config.prefixLength6();
    this.mtu = config.mtu();
    this.counters = counters;
    this.sink = sink;
    this.reassembler = new FragmentReassembler(config.reassemblyMaxDatagrams(), config.reassemblyMaxBytes(),
        config.reassemblyTimeoutNs(), config.allocator(), counters);
    // A fixed identification start per address, so the counter does not begin at 0 for every stack
    // (RFC 7739 §5 asks for unpredictable identifications; see docs/architecture.md).
    this.nextIdentification = (int) (addressLo * 0x9E37_79B9_7F4A_7C15L >>> 32);
    ByteBuf d = null;
    try {
      d = config.allocator().directBuffer(Ipv6Header.LENGTH + MAX_PAYLOAD, Ipv6Header.LENGTH + MAX_PAYLOAD);
      this.fragment = config.allocator().directBuffer(mtu, mtu);
      this.datagram = d;
    } catch (RuntimeException e) {
      if (d != null) {
        d.release();
      }
      throw e;
    }
  }

  /** The ICMPv6 layer that sends this layer's error messages; {@link NetworkStack} wires it. */
  public void icmp(Icmpv6Layer icmp) {
    this.icmp = icmp;
  }

  /**
   * Routes packets whose upper-layer header is {@code nextHeader} ({@link IpProtocol}) to {@code
   * handler}'s {@link ProtocolHandler#receiveIpv6}.
   */
  public void register(int nextHeader, ProtocolHandler handler) {
    if (nextHeader < 0 || nextHeader > 255) {
      throw new IllegalArgumentException("Next Header values are 0..255, got " + nextHeader);
    }
    if (isExtensionHeader(nextHeader)) {
      throw new IllegalArgumentException(nextHeader + " is an IPv6 extension header, handled by the layer itself");
    }
    if (handlers[nextHeader] != null) {
      throw new IllegalStateException("a handler for Next Header " + nextHeader + " is already registered");
    }
    handlers[nextHeader] = handler;
  }

  ProtocolHandler handler(int nextHeader) {
    return handlers[nextHeader & 0xFF];
  }

  /** Whether this layer has an address (else it drops every packet). */
  public boolean enabled() {
    return hasAddress;
  }

  /** This host's IPv6 address, or null. */
  public IpAddress address() {
    return address;
  }

  public long addressHi() {
    return addressHi;
  }

  public long addressLo() {
    return addressLo;
  }

  public int prefixLength() {
    return prefixLength;
  }

  public int mtu() {
    return mtu;
  }

  /**
   * The path MTU estimate toward {@code hi, lo} (RFC 8201 §5.2: per destination): the link's MTU,
   * or less where a transport accepted a Packet Too Big about it in the last ten minutes.
   */
  public int pathMtu(long hi, long lo, long nowNs) {
    return pathMtus.get(hi, lo, mtu, nowNs);
  }

  /** A transport validated a Packet Too Big: the path to {@code hi, lo} carries at most {@code pathMtu} (never below 1280). */
  public void lowerPathMtu(long hi, long lo, int pathMtu, long nowNs) {
    pathMtus.lower(hi, lo, pathMtu, MIN_PATH_MTU, nowNs);
  }

  /** Reassemblies in progress (for tests and statistics). */
  public int reassembliesInProgress() {
    return reassembler.inProgress();
  }

  public long pollAt() {
    return reassembler.pollAt();
  }

  /** Expires stale reassemblies (RFC 8200 §4.5: 60 seconds by default, the configured timeout here). */
  public void poll(long nowNs) {
    if (icmp != null) {
      icmp.now(nowNs);
    }
    reassembler.expire(nowNs, timeExceeded);
  }

  public void close() {
    reassembler.close();
    datagram.release();
    fragment.release();
  }

  // ---------------------------------------------------------------- input

  /**
   * Processes one IPv6 packet read from the link: its readable bytes. The caller keeps ownership of
   * {@code packet}.
   */
  public void receive(ByteBuf packet, int offload, long nowNs) {
    counters.increment(StackCounter.IP6_IN_RECEIVES);
    if (icmp != null) {
      icmp.now(nowNs);
    }
    int start = packet.readerIndex();
    int length = packet.readableBytes();
    WireCheck check = rx.wrapChecked(packet, start, length);
    if (check != WireCheck.OK) {
      counters.increment(check == WireCheck.TRUNCATED ? StackCounter.IP6_IN_TRUNCATED
          : check == WireCheck.BAD_VERSION ? StackCounter.IP_IN_BAD_VERSION : StackCounter.IP6_IN_BAD_LENGTH);
      return;
    }
    // RFC 8200 §3 leaves the Hop Limit to routers: a host accepts any value.
    long dstHi = rx.destinationHi();
    long dstLo = rx.destinationLo();
    boolean multicast;
    if (hasAddress && dstHi == addressHi && dstLo == addressLo) {
      multicast = false;
    } else if (hasAddress && isListenedGroup(dstHi, dstLo)) {
      multicast = true;
    } else {
      counters.increment(StackCounter.IP6_IN_NOT_FOR_US);
      return;
    }
    if (!isValidSource(rx.sourceHi(), rx.sourceLo(), multicast)) {
      counters.increment(StackCounter.IP6_IN_BAD_SOURCE);
      return;
    }
    if (rx.payloadLength() + Ipv6Header.LENGTH > mtu) {
      counters.increment(StackCounter.IP_IN_SUPER_PACKETS);
    }
    process(rx, packet, offload, multicast, false, nowNs);
  }

  /**
   * RFC 8200 §4: walks the extension headers in order from the fixed header, then delivers the
   * upper-layer message. {@code reassembled}: the packet was put together from fragments (a
   * Fragment header in it now is an error).
   */
  private void process(Ipv6Header ip, ByteBuf buf, int offload, boolean multicast, boolean reassembled, long nowNs) {
    int packetStart = ip.offset();
    int end = ip.payloadIndex() + ip.payloadLength();
    int index = ip.payloadIndex();
    int next = ip.nextHeader();
    int nextHeaderField = packetStart + Ipv6Header.NEXT_HEADER_FIELD_OFFSET;
    while (true) {
      switch (next) {
        case IpProtocol.IPV6_HOP_BY_HOP:
          // RFC 8200 §4.1: "restricted to appear immediately after an IPv6 header only".
          if (index != ip.payloadIndex()) {
            counters.increment(StackCounter.IP6_IN_MISPLACED_HOP_BY_HOP);
            parameterProblem(ip, Icmpv6Layer.CODE_UNRECOGNIZED_NEXT_HEADER, nextHeaderField - packetStart, multicast);
            return;
          }
          // fall through: the same option format as Destination Options (§4.3, §4.6)
        case IpProtocol.IPV6_DESTINATION_OPTIONS: {
          int headerLength = extensionLength(buf, index, end);
          if (headerLength < 0 || !optionsAcceptable(ip, buf, index, headerLength, multicast)) {
            return; // counted (and answered) there
          }
          nextHeaderField = index + Ipv6Header.EXTENSION_NEXT_HEADER_OFFSET;
          next = buf.getUnsignedByte(nextHeaderField);
          index += headerLength;
          break;
        }
        case IpProtocol.IPV6_ROUTING: {
          int headerLength = extensionLength(buf, index, end);
          if (headerLength < 0) {
            return;
          }
          // RFC 8200 §4.4: with Segments Left zero the header is ignored; otherwise, for a Routing
          // Type not recognized (this host recognizes none: type 0 is deprecated, RFC 5095 §3),
          // discard and send Parameter Problem code 0 pointing at the Routing Type.
          if (buf.getUnsignedByte(index + Ipv6Header.ROUTING_SEGMENTS_LEFT_OFFSET) != 0) {
            counters.increment(StackCounter.IP6_IN_ROUTING_HEADER);
            parameterProblem(ip, Icmpv6Layer.CODE_ERRONEOUS_HEADER_FIELD,
                index + Ipv6Header.ROUTING_TYPE_OFFSET - packetStart, multicast);
            return;
          }
          nextHeaderField = index + Ipv6Header.EXTENSION_NEXT_HEADER_OFFSET;
          next = buf.getUnsignedByte(nextHeaderField);
          index += headerLength;
          break;
        }
        case IpProtocol.IPV6_FRAGMENT: {
          if (end - index < Ipv6Header.FRAGMENT_HEADER_LENGTH || reassembled) {
            counters.increment(StackCounter.IP6_IN_BAD_EXTENSION);
            return;
          }
          int word = buf.getUnsignedShort(index + Ipv6Header.FRAGMENT_OFFSET_FIELD_OFFSET);
          int fragmentOffset = word & Ipv6Header.FRAGMENT_OFFSET_MASK;
          boolean more = (word & Ipv6Header.FRAGMENT_FLAG_MORE) != 0;
          if (fragmentOffset == 0 && !more) {
            // RFC 6946 §4: an atomic fragment is processed in isolation, as if it had no Fragment
            // header, and never mixed with a reassembly of the same Identification.
            counters.increment(StackCounter.IP6_IN_ATOMIC_FRAGMENTS);
            nextHeaderField = index + Ipv6Header.EXTENSION_NEXT_HEADER_OFFSET;
            next = buf.getUnsignedByte(nextHeaderField);
            index += Ipv6Header.FRAGMENT_HEADER_LENGTH;
            break;
          }
          int dataLength = end - index - Ipv6Header.FRAGMENT_HEADER_LENGTH;
          if (more && dataLength % FRAGMENT_UNIT != 0) {
            // RFC 8200 §4.5: discard, Parameter Problem code 0 pointing at the Payload Length.
            counters.increment(StackCounter.IP6_IN_BAD_FRAGMENT);
            parameterProblem(ip, Icmpv6Layer.CODE_ERRONEOUS_HEADER_FIELD, Ipv6Header.PAYLOAD_LENGTH_FIELD_OFFSET,
                multicast);
            return;
          }
          if (multicast) {
            counters.increment(StackCounter.IP6_IN_NOT_FOR_US); // nothing we accept from multicast comes in fragments
            return;
          }
          ByteBuf whole = reassembler.acceptIpv6(ip, index, index - packetStart, nextHeaderField, end, nowNs);
          if (whole != null) {
            try {
              held.wrap(whole, whole.readerIndex());
              process(held, whole, Offload.NONE, false, true, nowNs);
            } finally {
              whole.release();
            }
          }
          return;
        }
        case IpProtocol.IPV6_NO_NEXT_HEADER:
          counters.increment(StackCounter.IP6_IN_NO_NEXT_HEADER); // RFC 8200 §4.7: nothing follows
          return;
        default: {
          ProtocolHandler handler = handlers[next];
          if (handler == null || isExtensionHeader(next)) {
            // RFC 8200 §4: an unrecognized Next Header: discard, Parameter Problem code 1 pointing
            // at the Next Header field that named it.
            counters.increment(StackCounter.IP6_IN_UNKNOWN_NEXT_HEADER);
            parameterProblem(ip, Icmpv6Layer.CODE_UNRECOGNIZED_NEXT_HEADER, nextHeaderField - packetStart, multicast);
            return;
          }
          if (multicast && next != IpProtocol.ICMPV6) {
            counters.increment(StackCounter.IP6_IN_NOT_FOR_US);
            return;
          }
          counters.increment(StackCounter.IP6_IN_DELIVERS);
          handler.receiveIpv6(ip, buf, index, end - index, offload, nowNs);
          return;
        }
      }
    }
  }

  /**
   * The length in bytes of the Hop-by-Hop, Destination Options or Routing header at {@code index}
   * (RFC 8200 §4.3: 8 + 8 × Hdr Ext Len), or -1 (counted) if it runs past {@code end}.
   */
  private int extensionLength(ByteBuf buf, int index, int end) {
    if (end - index < Ipv6Header.EXTENSION_UNIT) {
      counters.increment(StackCounter.IP6_IN_BAD_EXTENSION);
      return -1;
    }
    int length = (buf.getUnsignedByte(index + Ipv6Header.EXTENSION_LENGTH_OFFSET) + 1) * Ipv6Header.EXTENSION_UNIT;
    if (length > end - index) {
      counters.increment(StackCounter.IP6_IN_BAD_EXTENSION);
      return -1;
    }
    return length;
  }

  /**
   * RFC 8200 §4.2: walks the TLV-encoded options of a Hop-by-Hop or Destination Options header.
   * This host recognizes only Pad1 and PadN; an unrecognized option is skipped or not by the two
   * high-order bits of its type: 00 skip; 01 discard; 10 discard and send Parameter Problem code 2
   * pointing at it; 11 the same, unless the destination is multicast. Returns whether the packet
   * goes on (counted otherwise).
   */
  private boolean optionsAcceptable(Ipv6Header ip, ByteBuf buf, int index, int headerLength, boolean multicast) {
    int at = index + 2;
    int end = index + headerLength;
    while (at < end) {
      int type = buf.getUnsignedByte(at);
      if (type == Ipv6Header.OPTION_PAD1) {
        at++;
        continue;
      }
      if (end - at < 2 || end - at - 2 < buf.getUnsignedByte(at + 1)) {
        counters.increment(StackCounter.IP6_IN_BAD_EXTENSION); // an option runs past its header
        return false;
      }
      int action = type >>> 6;
      if (type != OPTION_PADN && action != OPTION_SKIP) {
        counters.increment(StackCounter.IP6_IN_UNKNOWN_OPTION);
        if (action == OPTION_DISCARD_ICMP || (action == OPTION_DISCARD_ICMP_UNLESS_MULTICAST && !multicast)) {
          parameterProblem(ip, Icmpv6Layer.CODE_UNRECOGNIZED_OPTION, at - ip.offset(), false);
        }
        return false;
      }
      at += 2 + buf.getUnsignedByte(at + 1);
    }
    return true;
  }

  /** RFC 8200 §4.2: PadN. */
  static final int OPTION_PADN = 1;
  /** RFC 8200 §4.2, the high-order bits of an option type: "skip over this option". */
  static final int OPTION_SKIP = 0;
  /** "discard the packet and, regardless of whether or not the packet's Destination Address was a multicast address, send an ICMP Parameter Problem". */
  static final int OPTION_DISCARD_ICMP = 2;
  /** "discard the packet and, only if the packet's Destination Address was not a multicast address, send an ICMP Parameter Problem". */
  static final int OPTION_DISCARD_ICMP_UNLESS_MULTICAST = 3;

  private void parameterProblem(Ipv6Header ip, int code, int pointer, boolean multicast) {
    if (icmp != null) {
      icmp.sendParameterProblem(ip, code, pointer, multicast);
    }
  }

  /** Whether {@code hi, lo} is a multicast group this host listens to on the link (see the class comment). */
  private boolean isListenedGroup(long hi, long lo) {
    if (hi != LINK_SCOPE_MULTICAST_HI) {
      return false;
    }
    return lo == ALL_NODES_LO || lo == ALL_ROUTERS_LO || lo == ALL_MLDV2_ROUTERS_LO
        || lo == (SOLICITED_NODE_LO_PREFIX | (addressLo & 0xFF_FFFF));
  }

  /** See {@link StackCounter#IP6_IN_BAD_SOURCE}. */
  private boolean isValidSource(long hi, long lo, boolean toMulticast) {
    if (IpAddress.isMulticast(hi)) {
      return false; // RFC 4291 §2.7: "Multicast addresses must not be used as source addresses"
    }
    if (hi == 0 && lo == 0) {
      return toMulticast; // RFC 4861 §7.2.2 and RFC 3810 §5.2.13 send from :: to multicast groups
    }
    if (hi == 0 && lo == 1) {
      return false; // RFC 4291 §2.5.3: loopback "must never be sent outside a single node"
    }
    if (IpAddress.isIpv4Mapped(hi, lo)) {
      return false; // RFC 4291 §2.5.5.2: not for use on the wire (Linux drops them too)
    }
    return hi != addressHi || lo != addressLo;
  }

  /** Next Header values this layer processes itself (RFC 8200 §4; ESP, AH and the like are unrecognized). */
  static boolean isExtensionHeader(int nextHeader) {
    return nextHeader == IpProtocol.IPV6_HOP_BY_HOP || nextHeader == IpProtocol.IPV6_ROUTING
        || nextHeader == IpProtocol.IPV6_FRAGMENT || nextHeader == IpProtocol.IPV6_DESTINATION_OPTIONS
        || nextHeader == IpProtocol.IPV6_NO_NEXT_HEADER;
  }

  /**
   * RFC 8200 §4.5: a reassembly that times out after its first fragment arrived draws Time
   * Exceeded code 1 to the source, quoting that fragment (here: the packet as far as it was put
   * together).
   */
  private void reassemblyTimedOut(ByteBuf buf, int headerIndex, int headerLength) {
    if (icmp != null) {
      icmp.sendReassemblyTimeExceeded(buf, headerIndex, headerLength);
    }
  }

  // ---------------------------------------------------------------- output

  /**
   * Starts an outgoing packet: returns the scratch buffer with its writer index just past the room
   * for the 40-byte header. Write the upper-layer message, then call {@link #sendDatagram}. One
   * packet at a time; the buffer belongs to this layer.
   */
  public ByteBuf beginDatagram() {
    if (building) {
      throw new IllegalStateException("beginDatagram() called twice without sendDatagram(): finish one packet first");
    }
    building = true;
    datagram.clear();
    datagram.writerIndex(Ipv6Header.LENGTH);
    return datagram;
  }

  /** Abandons the packet begun with {@link #beginDatagram()}. */
  public void abandonDatagram() {
    building = false;
  }

  /**
   * Sends the packet begun with {@link #beginDatagram()} from this host's address to {@code
   * destinationHi, destinationLo}, with upper-layer protocol {@code nextHeader}. Larger than the
   * MTU, it leaves in fragments (RFC 8200 §4.5: only the source fragments; transports that size
   * their messages by the path MTU, as TCP does, never need that).
   */
  public void sendDatagram(int nextHeader, long destinationHi, long destinationLo) {
    sendDatagram(nextHeader, destinationHi, destinationLo, 0, DEFAULT_HOP_LIMIT);
  }

  /**
   * As {@link #sendDatagram(int, long, long)}, with the sender's Differentiated Services Codepoint
   * in the Traffic Class (RFC 9293 §3.9.1.9, MUST-48; RFC 8200 §7) and its hop limit (§3.9.2,
   * MUST-49: configurable, as IPv4's TTL).
   *
   * @param dscp the DSCP, 0..63, the upper six bits of the Traffic Class (the ECN bits stay 0)
   * @param hopLimit the hop limit, 1..255
   */
  public void sendDatagram(int nextHeader, long destinationHi, long destinationLo, int dscp, int hopLimit) {
    if (!building) {
      throw new IllegalStateException("sendDatagram() without beginDatagram()");
    }
    building = false;
    int total = datagram.writerIndex();
    int payloadLength = total - Ipv6Header.LENGTH;
    if (payloadLength > MAX_PAYLOAD || !hasAddress) {
      counters.increment(StackCounter.IP6_OUT_DISCARDS);
      return;
    }
    tx.wrap(datagram, 0)
        .setVersionClassFlow(dscp << 2, 0)
        .setPayloadLength(payloadLength)
        .setNextHeader(nextHeader)
        .setHopLimit(hopLimit)
        .setSource(addressHi, addressLo)
        .setDestination(destinationHi, destinationLo);
    if (total <= mtu) {
      transmit(datagram);
    } else {
      fragmentAndSend(nextHeader, payloadLength);
    }
  }

  /** As {@link #sendDatagram(int, long, long)} to {@code destination}. */
  public void sendDatagram(int nextHeader, IpAddress destination) {
    sendDatagram(nextHeader, destination.hi(), destination.lo());
  }

  /**
   * RFC 8200 §4.5: each fragment repeats the header (our packets have no extension headers, so the
   * Unfragmentable Part is the fixed header alone), then a Fragment header, then a piece of the
   * payload that is a multiple of 8 bytes except in the last.
   */
  private void fragmentAndSend(int nextHeader, int payloadLength) {
    int perFragment = ((mtu - Ipv6Header.LENGTH - Ipv6Header.FRAGMENT_HEADER_LENGTH) / FRAGMENT_UNIT) * FRAGMENT_UNIT;
    int identification = nextIdentification++;
    counters.increment(StackCounter.IP6_FRAG_OKS);
    for (int offset = 0; offset < payloadLength; offset += perFragment) {
      int length = Math.min(perFragment, payloadLength - offset);
      boolean more = offset + length < payloadLength;
      fragment.clear();
      fragment.writeBytes(datagram, 0, Ipv6Header.LENGTH);
      fragment.writeByte(nextHeader);
      fragment.writeByte(0); // reserved
      fragment.writeShort(offset | (more ? Ipv6Header.FRAGMENT_FLAG_MORE : 0));
      fragment.writeInt(identification);
      fragment.writeBytes(datagram, Ipv6Header.LENGTH + offset, length);
      tx.wrap(fragment, 0)
          .setPayloadLength(Ipv6Header.FRAGMENT_HEADER_LENGTH + length)
          .setNextHeader(IpProtocol.IPV6_FRAGMENT);
      counters.increment(StackCounter.IP6_FRAG_CREATES);
      transmit(fragment);
    }
  }

  private void transmit(ByteBuf packet) {
    counters.increment(StackCounter.IP6_OUT_REQUESTS);
    sink.transmit(packet);
  }
}
