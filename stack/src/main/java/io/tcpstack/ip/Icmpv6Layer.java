package io.tcpstack.ip;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import io.netty.buffer.ByteBuf;
import io.tcpstack.stats.CounterSet;
import io.tcpstack.stats.StackCounter;
import io.tcpstack.wire.Icmpv6Header;
import io.tcpstack.wire.IpAddress;
import io.tcpstack.wire.IpProtocol;
import io.tcpstack.wire.Ipv6Header;
import io.tcpstack.wire.WireCheck;

/**
 * ICMPv6 (RFC 4443) for a host: answers Echo Request with Echo Reply (§4.2), passes the error
 * messages about packets this host sent — Destination Unreachable, Packet Too Big, Time Exceeded,
 * Parameter Problem — to the protocol that sent them as an {@link IcmpError} ({@link
 * IcmpError#isIpv6()}), and sends the error messages the IPv6 layer and the transports ask for,
 * within RFC 4443 §2.4's rules and a rate limit.
 *
 * <p>Neighbor Discovery (RFC 4861) and MLD messages are counted and ignored ({@link
 * StackCounter#ICMP6_IN_NDP_IGNORED}): a TUN link is point-to-point with no link-layer addresses,
 * so there is nothing to resolve, and the kernel's Router Solicitations need no answer (the stack
 * is not a router). Stack thread only.
 */
public final class Icmpv6Layer implements ProtocolHandler {

  /** ICMPv6 errors about what we sent, at DEBUG, as they are handed to their protocol. */
  private static final Logger log = LoggerFactory.getLogger(Icmpv6Layer.class);

  static final int CODE_ERRONEOUS_HEADER_FIELD = Icmpv6Header.CODE_ERRONEOUS_HEADER_FIELD;
  static final int CODE_UNRECOGNIZED_NEXT_HEADER = Icmpv6Header.CODE_UNRECOGNIZED_NEXT_HEADER;
  static final int CODE_UNRECOGNIZED_OPTION = Icmpv6Header.CODE_UNRECOGNIZED_OPTION;

  /**
   * RFC 4443 §2.4 (c): an error carries "as much of invoking packet as possible without the ICMPv6
   * packet exceeding the minimum IPv6 MTU": 1280 less the 40-byte header and the 8-byte ICMPv6 header.
   */
  static final int MAX_QUOTE = Ipv6Header.MIN_MTU - Ipv6Header.LENGTH - Icmpv6Header.LENGTH;

  /**
   * RFC 4443 §2.4 (f): errors leave through a token bucket: at most {@value} at once, ...
   */
  static final int RATE_LIMIT_BURST = 10;
  /** ... then one every 10 ms (100 a second: Linux's per-host default is 1 a second per destination, its global one 1000 a second). */
  static final long RATE_LIMIT_INTERVAL_NS = 10_000_000L;

  private final Ipv6Layer ip;
  private final CounterSet<StackCounter> counters;
  private final Icmpv6Header rx = new Icmpv6Header();
  private final Icmpv6Header tx = new Icmpv6Header();
  private final Ipv6Header quoted = new Ipv6Header();
  private final IcmpError error = new IcmpError();
  private int tokens = RATE_LIMIT_BURST;
  private long lastRefillNs;
  private boolean clockStarted;
  private long nowNs;

  public Icmpv6Layer(Ipv6Layer ip, CounterSet<StackCounter> counters) {
    this.ip = ip;
    this.counters = counters;
  }

  @Override
  public void receive(io.tcpstack.wire.Ipv4Header ip, ByteBuf buf, int payloadIndex, int payloadLength, int offload,
      long nowNs) {
    counters.increment(StackCounter.IP_IN_UNKNOWN_PROTOCOL); // ICMPv6 over IPv4 is meaningless
  }

  @Override
  public void receiveIpv6(Ipv6Header header, ByteBuf buf, int payloadIndex, int payloadLength, int offload,
      long nowNs) {
    this.nowNs = nowNs;
    if (rx.wrapChecked(buf, payloadIndex, payloadLength) != WireCheck.OK) {
      counters.increment(StackCounter.ICMP6_IN_TRUNCATED);
      return;
    }
    // RFC 4443 §2.3: the checksum covers the pseudo-header; verified even when the link vouches.
    if (!rx.isChecksumValid(header.sourceHi(), header.sourceLo(), header.destinationHi(), header.destinationLo())) {
      counters.increment(StackCounter.ICMP6_IN_BAD_CHECKSUM);
      return;
    }
    counters.increment(StackCounter.ICMP6_IN_MSGS);
    int type = rx.type();
    boolean toMulticast = IpAddress.isMulticast(header.destinationHi());
    switch (type) {
      case Icmpv6Header.TYPE_ECHO_REQUEST -> {
        counters.increment(StackCounter.ICMP6_IN_ECHOS);
        if (toMulticast) {
          counters.increment(StackCounter.ICMP6_IN_IGNORED); // we answer echoes to our address only
          return;
        }
        reply(header, buf, payloadIndex, payloadLength);
      }
      case Icmpv6Header.TYPE_DESTINATION_UNREACHABLE -> {
        counters.increment(StackCounter.ICMP6_IN_DEST_UNREACHS);
        receiveError(buf, 0);
      }
      case Icmpv6Header.TYPE_PACKET_TOO_BIG -> {
        counters.increment(StackCounter.ICMP6_IN_PKT_TOO_BIGS);
        receiveError(buf, (int) Math.min(Integer.MAX_VALUE, rx.restOfHeader()));
      }
      case Icmpv6Header.TYPE_TIME_EXCEEDED -> {
        counters.increment(StackCounter.ICMP6_IN_TIME_EXCDS);
        receiveError(buf, 0);
      }
      case Icmpv6Header.TYPE_PARAMETER_PROBLEM -> {
        counters.increment(StackCounter.ICMP6_IN_PARM_PROBS);
        receiveError(buf, 0);
      }
      default -> {
        if (isNeighborDiscoveryOrMld(type)) {
          counters.increment(StackCounter.ICMP6_IN_NDP_IGNORED);
        } else {
          // RFC 4443 §2.4 (a), (b): unknown errors go up (none here: the quote names no handler
          // that could use them), unknown informational messages are silently discarded.
          counters.increment(StackCounter.ICMP6_IN_IGNORED);
        }
      }
    }
  }

  /** RFC 4861 types 133-137 and the MLD types (RFC 2710: 130-132; RFC 3810: 143). */
  static boolean isNeighborDiscoveryOrMld(int type) {
    return (type >= Icmpv6Header.TYPE_MLD_QUERY && type <= Icmpv6Header.TYPE_REDIRECT)
        || type == Icmpv6Header.TYPE_MLD_V2_REPORT;
  }

  /**
   * An error about a packet we sent (RFC 4443 §2.4 (d): "passed to the upper-layer process that
   * originated the packet"): the quote must hold the whole 40-byte header and 8 bytes of the
   * transport header right after it (the ports; for TCP, the sequence number), come from our
   * address, and name a protocol registered here. Quotes whose transport header lies behind
   * extension headers are walked as far as Destination Options, Routing and first Fragment headers.
   */
  private void receiveError(ByteBuf buf, int mtu) {
    int quoteIndex = rx.dataIndex();
    int quoteLength = rx.dataLength();
    if (quoteLength < Ipv6Header.LENGTH) {
      counters.increment(StackCounter.ICMP6_IN_ERRORS);
      return;
    }
    quoted.wrap(buf, quoteIndex);
    if (quoted.version() != Ipv6Header.VERSION || quoted.sourceHi() != ip.addressHi()
        || quoted.sourceLo() != ip.addressLo()) {
      counters.increment(StackCounter.ICMP6_IN_ERRORS);
      return;
    }
    int end = quoteIndex + quoteLength;
    int at = quoted.payloadIndex();
    int next = quoted.nextHeader();
    while (next == IpProtocol.IPV6_FRAGMENT || next == IpProtocol.IPV6_DESTINATION_OPTIONS
        || next == IpProtocol.IPV6_ROUTING || next == IpProtocol.IPV6_HOP_BY_HOP) {
      if (end - at < Ipv6Header.EXTENSION_UNIT) {
        counters.increment(StackCounter.ICMP6_IN_ERRORS);
        return;
      }
      int length;
      if (next == IpProtocol.IPV6_FRAGMENT) {
        if ((buf.getUnsignedShort(at + Ipv6Header.FRAGMENT_OFFSET_FIELD_OFFSET) & Ipv6Header.FRAGMENT_OFFSET_MASK) != 0) {
          counters.increment(StackCounter.ICMP6_IN_ERRORS); // a later fragment: no transport header
          return;
        }
        length = Ipv6Header.FRAGMENT_HEADER_LENGTH;
      } else {
        length = (buf.getUnsignedByte(at + Ipv6Header.EXTENSION_LENGTH_OFFSET) + 1) * Ipv6Header.EXTENSION_UNIT;
      }
      next = buf.getUnsignedByte(at);
      at += length;
    }
    if (end - at < IcmpError.MIN_QUOTED_TRANSPORT_BYTES) {
      counters.increment(StackCounter.ICMP6_IN_ERRORS);
      return;
    }
    ProtocolHandler handler = ip.handler(next);
    if (handler == null || next == IpProtocol.ICMPV6) {
      counters.increment(StackCounter.ICMP6_IN_IGNORED); // about our echo replies or errors: nothing to tell
      return;
    }
    error.set6(rx.type(), rx.code(), mtu, next, quoted.destinationHi(), quoted.destinationLo(),
        Ipv6Header.LENGTH + quoted.payloadLength(), buf, at, end - at);
    log.debug("{}", error);
    try {
      handler.receiveIcmpError(error, nowNs);
    } finally {
      error.clear();
    }
  }

  /**
   * RFC 4443 §4.2: the reply carries the request's identifier, sequence number and data, from the
   * address the request was sent to (ours: multicast echoes are not answered).
   */
  private void reply(Ipv6Header request, ByteBuf buf, int index, int length) {
    long dstHi = request.sourceHi();
    long dstLo = request.sourceLo();
    if (dstHi == 0 && dstLo == 0) {
      counters.increment(StackCounter.ICMP6_IN_IGNORED);
      return;
    }
    ByteBuf out = ip.beginDatagram();
    int start = out.writerIndex();
    out.writeBytes(buf, index, length);
    tx.wrap(out, start, length).setType(Icmpv6Header.TYPE_ECHO_REPLY).setCode(0)
        .fillChecksum(ip.addressHi(), ip.addressLo(), dstHi, dstLo);
    counters.increment(StackCounter.ICMP6_OUT_ECHO_REPS);
    ip.sendDatagram(IpProtocol.ICMPV6, dstHi, dstLo);
  }

  // ---------------------------------------------------------------- errors sent

  /**
   * Sends Parameter Problem (RFC 4443 §3.4) about the packet {@code invoking} wraps, with {@code
   * pointer} the offset of the erroneous octet from the start of that packet.
   *
   * @param toMulticast the packet went to a multicast group: §2.4 (e.3) then forbids the message
   *     (the IPv6 layer already applied RFC 8200 §4.2's exception for option types 10)
   */
  void sendParameterProblem(Ipv6Header invoking, int code, int pointer, boolean toMulticast) {
    if (sendError(invoking, Icmpv6Header.TYPE_PARAMETER_PROBLEM, code, pointer, toMulticast)) {
      counters.increment(StackCounter.ICMP6_OUT_PARM_PROBS);
    }
  }

  /**
   * Sends Destination Unreachable with {@code code} ({@link Icmpv6Header#CODE_PORT_UNREACHABLE},
   * ...) about the packet {@code invoking} wraps (RFC 4443 §3.1): for a transport that has no
   * socket for it (UDP). Returns whether it was sent (RFC 4443 §2.4 may forbid it, and the rate
   * limit may hold it back; both counted).
   */
  public boolean sendDestinationUnreachable(Ipv6Header invoking, int code) {
    boolean toMulticast = IpAddress.isMulticast(invoking.destinationHi());
    if (sendError(invoking, Icmpv6Header.TYPE_DESTINATION_UNREACHABLE, code, 0, toMulticast)) {
      counters.increment(StackCounter.ICMP6_OUT_DEST_UNREACHS);
      return true;
    }
    return false;
  }

  /**
   * RFC 8200 §4.5: Time Exceeded code 1 to the source of a packet whose reassembly timed out after
   * its first fragment arrived, quoting what was put together ({@code headerIndex}: its IPv6
   * header; {@code headerLength}: its Unfragmentable Part).
   */
  void sendReassemblyTimeExceeded(ByteBuf held, int headerIndex, int headerLength) {
    quoted.wrap(held, headerIndex);
    int room = held.writerIndex() > headerIndex ? held.writerIndex() : held.capacity();
    int quoteLength = Math.min(Math.min(MAX_QUOTE, room - headerIndex), headerLength + FragmentReassembler.FRAGMENT_UNIT);
    if (sendError(held, headerIndex, quoteLength, quoted, Icmpv6Header.TYPE_TIME_EXCEEDED,
        Icmpv6Header.CODE_REASSEMBLY_TIME_EXCEEDED, 0, false, headerLength)) {
      counters.increment(StackCounter.ICMP6_OUT_TIME_EXCDS);
    }
  }

  private boolean sendError(Ipv6Header invoking, int type, int code, long pointer, boolean toMulticast) {
    int length = Math.min(MAX_QUOTE, Ipv6Header.LENGTH + invoking.payloadLength());
    return sendError(invoking.buffer(), invoking.offset(), length, invoking, type, code, pointer, toMulticast,
        Ipv6Header.LENGTH);
  }

  /**
   * RFC 4443 §2.4 (e): no error about an ICMPv6 error message (when its header follows the fixed
   * header at {@code upperIndex}), to a multicast destination, or to an unspecified or multicast
   * source; §2.4 (f): within the rate limit. Returns whether it was sent.
   */
  private boolean sendError(ByteBuf buf, int index, int quoteLength, Ipv6Header invoking, int type, int code,
      long pointer, boolean toMulticast, int upperOffset) {
    long dstHi = invoking.sourceHi();
    long dstLo = invoking.sourceLo();
    boolean aboutError = invoking.nextHeader() == IpProtocol.ICMPV6
        && quoteLength > upperOffset && Icmpv6Header.isErrorType(buf.getUnsignedByte(index + upperOffset));
    if (aboutError || toMulticast || IpAddress.isMulticast(dstHi) || (dstHi == 0 && dstLo == 0)) {
      counters.increment(StackCounter.ICMP6_OUT_SUPPRESSED);
      return false;
    }
    if (!takeToken()) {
      counters.increment(StackCounter.ICMP6_OUT_RATE_LIMITED);
      return false;
    }
    ByteBuf out = ip.beginDatagram();
    int start = out.writerIndex();
    out.writeZero(Icmpv6Header.LENGTH);
    out.writeBytes(buf, index, quoteLength);
    tx.wrap(out, start, Icmpv6Header.LENGTH + quoteLength)
        .setType(type)
        .setCode(code)
        .setRestOfHeader(pointer)
        .fillChecksum(ip.addressHi(), ip.addressLo(), dstHi, dstLo);
    ip.sendDatagram(IpProtocol.ICMPV6, dstHi, dstLo);
    return true;
  }

  /** The token bucket of RFC 4443 §2.4 (f), on the time of the last packet received. */
  private boolean takeToken() {
    if (!clockStarted) {
      clockStarted = true;
      lastRefillNs = nowNs;
    }
    long elapsed = nowNs - lastRefillNs;
    if (elapsed >= RATE_LIMIT_INTERVAL_NS) {
      long refill = elapsed / RATE_LIMIT_INTERVAL_NS;
      tokens = (int) Math.min(RATE_LIMIT_BURST, tokens + refill);
      lastRefillNs += refill * RATE_LIMIT_INTERVAL_NS;
    }
    if (tokens == 0) {
      return false;
    }
    tokens--;
    return true;
  }

  /** The time the next error is judged at: the IPv6 layer's receive and poll set it. */
  void now(long nowNs) {
    this.nowNs = nowNs;
  }
}
