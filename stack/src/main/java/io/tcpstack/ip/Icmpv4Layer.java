package io.tcpstack.ip;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import io.netty.buffer.ByteBuf;
import io.tcpstack.stats.CounterSet;
import io.tcpstack.stats.StackCounter;
import io.tcpstack.wire.Icmpv4Header;
import io.tcpstack.wire.IpProtocol;
import io.tcpstack.wire.Ipv4Header;
import io.tcpstack.wire.WireCheck;

/**
 * ICMPv4 (RFC 792) for a host: answers Echo Request with Echo Reply (RFC 1122 §3.2.2.6), passes
 * the error messages about datagrams this host sent — Destination Unreachable, Time Exceeded,
 * Parameter Problem — to the protocol that sent them (RFC 1122 §3.2.2.1, §3.2.2.4, §3.2.2.5,
 * §4.2.3.9) as an {@link IcmpError}, and builds the error messages the IP layer sends. Other
 * messages (Source Quench, deprecated by RFC 6633; Redirect, meaningless on a point-to-point link)
 * are counted and ignored. Stack thread only.
 */
public final class Icmpv4Layer implements ProtocolHandler {

  /** ICMP errors about what we sent, at DEBUG, as they are handed to their protocol. */
  private static final Logger log = LoggerFactory.getLogger(Icmpv4Layer.class);

  /** RFC 792 "Time Exceeded Message", code 1: "fragment reassembly time exceeded". */
  static final int CODE_REASSEMBLY_TIME_EXCEEDED = 1;

  private final Ipv4Layer ip;
  private final CounterSet<StackCounter> counters;
  private final Icmpv4Header rx = new Icmpv4Header();
  private final Icmpv4Header tx = new Icmpv4Header();
  private final Ipv4Header quoted = new Ipv4Header();
  private final IcmpError error = new IcmpError();

  public Icmpv4Layer(Ipv4Layer ip, CounterSet<StackCounter> counters) {
    this.ip = ip;
    this.counters = counters;
  }

  @Override
  public void receive(Ipv4Header header, ByteBuf buf, int payloadIndex, int payloadLength, int offload, long nowNs) {
    // The checksum is verified even when the link vouches for it: ICMP messages are small, and the
    // links that vouch (TUN with a virtio-net header) do so for TCP and UDP.
    if (rx.wrapChecked(buf, payloadIndex, payloadLength) != WireCheck.OK) {
      counters.increment(StackCounter.ICMP_IN_TRUNCATED);
      return;
    }
    if (!rx.isChecksumValid()) {
      counters.increment(StackCounter.ICMP_IN_BAD_CHECKSUM);
      return;
    }
    counters.increment(StackCounter.ICMP_IN_MSGS);
    if (rx.type() == Icmpv4Header.TYPE_ECHO_REQUEST) {
      counters.increment(StackCounter.ICMP_IN_ECHOS);
      reply(header.source(), buf, payloadIndex, payloadLength);
      return;
    }
    switch (rx.type()) {
      case Icmpv4Header.TYPE_DESTINATION_UNREACHABLE -> counters.increment(StackCounter.ICMP_IN_DEST_UNREACHS);
      case Icmpv4Header.TYPE_TIME_EXCEEDED -> counters.increment(StackCounter.ICMP_IN_TIME_EXCDS);
      case Icmpv4Header.TYPE_PARAMETER_PROBLEM -> counters.increment(StackCounter.ICMP_IN_PARM_PROBS);
      default -> {
        counters.increment(StackCounter.ICMP_IN_IGNORED);
        return;
      }
    }
    receiveError(header.source(), buf, nowNs);
  }

  /**
   * An error message about a datagram we sent: RFC 792 quotes "the internet header plus the first
   * 64 bits of the original data datagram" — for TCP and UDP the ports, for TCP the sequence number
   * too. The quote must hold that much, be IPv4, be the datagram's first fragment (a later one has
   * no transport header) and come from us (RFC 5927 §4.1 asks the transport to match it to a
   * connection; a quote of someone else's datagram cannot match one); else the message is dropped
   * and counted. Then the protocol that sent the datagram takes it (RFC 1122 §3.2.2.1).
   */
  private void receiveError(int reporter, ByteBuf buf, long nowNs) {
    int quoteIndex = rx.dataIndex();
    int quoteLength = rx.dataLength();
    if (quoteLength < Ipv4Header.MIN_LENGTH) {
      counters.increment(StackCounter.ICMP_IN_ERRORS);
      return;
    }
    quoted.wrap(buf, quoteIndex);
    int headerLength = quoted.headerLength();
    if (quoted.version() != Ipv4Header.VERSION || headerLength < Ipv4Header.MIN_LENGTH
        || quoteLength < headerLength + IcmpError.MIN_QUOTED_TRANSPORT_BYTES
        || quoted.fragmentOffset() != 0 || quoted.source() != ip.address()) {
      counters.increment(StackCounter.ICMP_IN_ERRORS);
      return;
    }
    int protocol = quoted.protocol();
    ProtocolHandler handler = ip.handler(protocol);
    if (handler == null || protocol == IpProtocol.ICMP) {
      // Nothing of ours sent it (or it is about our own ICMP messages, echo replies, which we
      // never resend): nothing to tell.
      counters.increment(StackCounter.ICMP_IN_IGNORED);
      return;
    }
    // RFC 1191 §4: the Next-Hop MTU is the low 16 bits of bytes 4-7 of "fragmentation needed".
    boolean fragNeeded = rx.type() == Icmpv4Header.TYPE_DESTINATION_UNREACHABLE
        && rx.code() == Icmpv4Header.CODE_FRAGMENTATION_NEEDED;
    error.set(rx.type(), rx.code(), fragNeeded ? rx.nextHopMtu() : 0, reporter, protocol, quoted.source(),
        quoted.destination(), quoted.totalLength(), buf, quoteIndex + headerLength,
        quoteLength - headerLength);
    log.debug("{}", error);
    try {
      handler.receiveIcmpError(error, nowNs);
    } finally {
      error.clear();
    }
  }

  /**
   * RFC 792 "Echo or Echo Reply Message" and RFC 1122 §3.2.2.6: the reply carries the request's
   * identifier, sequence number and all of its data, from the address the request was sent to
   * (ours: the IP layer delivers nothing else).
   */
  private void reply(int destination, ByteBuf request, int index, int length) {
    ByteBuf out = ip.beginDatagram();
    int start = out.writerIndex();
    out.writeBytes(request, index, length);
    tx.wrap(out, start).setType(Icmpv4Header.TYPE_ECHO_REPLY).setCode(0).fillChecksum(length);
    counters.increment(StackCounter.ICMP_OUT_ECHO_REPS);
    ip.sendDatagram(IpProtocol.ICMP, destination, false);
  }

  /** RFC 792 error types, about which no ICMP error may be sent (RFC 1122 §3.2.2). */
  static boolean isErrorType(int type) {
    return type == Icmpv4Header.TYPE_DESTINATION_UNREACHABLE
        || type == 4 // Source Quench (deprecated by RFC 6633, still an error message)
        || type == 5 // Redirect
        || type == Icmpv4Header.TYPE_TIME_EXCEEDED
        || type == 12; // Parameter Problem
  }

  /** Writes a Time Exceeded (code 1) message quoting {@code quoteLength} bytes at {@code quoteIndex}. */
  static void writeTimeExceeded(ByteBuf out, ByteBuf quoted, int quoteIndex, int quoteLength) {
    int start = out.writerIndex();
    out.writeZero(Icmpv4Header.LENGTH);
    out.writeBytes(quoted, quoteIndex, quoteLength);
    Icmpv4Header h = new Icmpv4Header(); // error path only: never per packet on the data path
    h.wrap(out, start)
        .setType(Icmpv4Header.TYPE_TIME_EXCEEDED)
        .setCode(CODE_REASSEMBLY_TIME_EXCEEDED)
        .setRestOfHeader(0)
        .fillChecksum(Icmpv4Header.LENGTH + quoteLength);
  }
}
