package io.tcpstack.wire;

import io.netty.buffer.ByteBuf;

/**
 * One line per packet in tcpdump's style, for the per-segment TRACE log: {@code IP 198.18.0.1.40000 >
 * 198.18.0.2.80: Flags [S], seq 1, win 64240, options [mss 1460,sackOK,TS val 7 ecr 0,nop,wscale 7],
 * length 0}. Any bytes at all are described without an exception: what does not parse is named as
 * such ({@code truncated}, {@code bad header length}). Diagnostic only; allocates.
 */
public final class PacketFormat {

  private static final int IPV4 = 4;
  private static final int IPV6 = 6;
  private static final int IPV6_HEADER = 40;

  private PacketFormat() {}

  /** The readable bytes of {@code packet} as one line. */
  public static String describe(ByteBuf packet) {
    return describe(packet, packet.readerIndex(), packet.readableBytes());
  }

  /** The {@code length} bytes of {@code buf} from {@code index} as one line. */
  public static String describe(ByteBuf buf, int index, int length) {
    StringBuilder s = new StringBuilder(96);
    if (length < 1) {
      return "empty packet";
    }
    int version = buf.getUnsignedByte(index) >>> 4;
    if (version == IPV4) {
      describeIpv4(s, buf, index, length);
    } else if (version == IPV6) {
      describeIpv6(s, buf, index, length);
    } else {
      s.append("IP version ").append(version).append(", length ").append(length);
    }
    return s.toString();
  }

  private static void describeIpv4(StringBuilder s, ByteBuf buf, int index, int length) {
    if (length < Ipv4Header.MIN_LENGTH) {
      s.append("IP truncated, length ").append(length);
      return;
    }
    int ihl = (buf.getUnsignedByte(index) & 0x0f) * 4;
    int total = buf.getUnsignedShort(index + 2);
    if (ihl < Ipv4Header.MIN_LENGTH || ihl > length) {
      s.append("IP bad header length ").append(ihl);
      return;
    }
    String src = Ipv4Address.toString(buf.getInt(index + 12));
    String dst = Ipv4Address.toString(buf.getInt(index + 16));
    int protocol = buf.getUnsignedByte(index + 9);
    int fragment = buf.getUnsignedShort(index + 6);
    int end = Math.min(length, Math.max(total, ihl));
    s.append("IP ");
    if ((fragment & 0x3fff) != 0) {
      s.append(src).append(" > ").append(dst).append(": fragment id ").append(buf.getUnsignedShort(index + 4))
          .append(" offset ").append((fragment & 0x1fff) * 8).append((fragment & 0x2000) != 0 ? "+" : "")
          .append(", proto ").append(protocol).append(", length ").append(end - ihl);
      return;
    }
    transport(s, buf, protocol, src, dst, '.', index + ihl, end - ihl);
  }

  private static void describeIpv6(StringBuilder s, ByteBuf buf, int index, int length) {
    if (length < IPV6_HEADER) {
      s.append("IP6 truncated, length ").append(length);
      return;
    }
    String src = ipv6(buf, index + 8);
    String dst = ipv6(buf, index + 24);
    int next = buf.getUnsignedByte(index + 6);
    int payload = Math.min(buf.getUnsignedShort(index + 4), length - IPV6_HEADER);
    s.append("IP6 ");
    transport(s, buf, next, src, dst, '.', index + IPV6_HEADER, payload);
  }

  private static String ipv6(ByteBuf buf, int index) {
    return IpAddress.ofIpv6(buf.getLong(index), buf.getLong(index + 8)).toString(); // RFC 5952
  }

  private static void transport(StringBuilder s, ByteBuf buf, int protocol, String src, String dst, char portSep,
      int at, int length) {
    switch (protocol) {
      case IpProtocol.TCP:
        tcp(s, buf, src, dst, portSep, at, length);
        return;
      case IpProtocol.UDP:
        if (length < UdpHeader.LENGTH) {
          s.append(src).append(" > ").append(dst).append(": UDP truncated");
          return;
        }
        s.append(src).append(portSep).append(buf.getUnsignedShort(at)).append(" > ").append(dst).append(portSep)
            .append(buf.getUnsignedShort(at + 2)).append(": UDP, length ").append(length - UdpHeader.LENGTH);
        return;
      case IpProtocol.ICMP:
      case IpProtocol.ICMPV6:
        s.append(src).append(" > ").append(dst).append(protocol == IpProtocol.ICMP ? ": ICMP" : ": ICMP6");
        if (length >= 4) {
          s.append(" type ").append(buf.getUnsignedByte(at)).append(" code ").append(buf.getUnsignedByte(at + 1));
        }
        s.append(", length ").append(length);
        return;
      default:
        s.append(src).append(" > ").append(dst).append(": proto ").append(protocol).append(", length ").append(length);
    }
  }

  private static void tcp(StringBuilder s, ByteBuf buf, String src, String dst, char portSep, int at, int length) {
    s.append(src);
    if (length < TcpHeader.MIN_LENGTH) {
      s.append(" > ").append(dst).append(": TCP truncated, length ").append(length);
      return;
    }
    s.append(portSep).append(buf.getUnsignedShort(at + TcpHeader.SOURCE_PORT_FIELD_OFFSET)).append(" > ").append(dst)
        .append(portSep).append(buf.getUnsignedShort(at + TcpHeader.DESTINATION_PORT_FIELD_OFFSET)).append(": Flags [");
    int flags = buf.getUnsignedByte(at + TcpHeader.FLAGS_FIELD_OFFSET);
    int headerLength = (buf.getUnsignedByte(at + TcpHeader.DATA_OFFSET_FIELD_OFFSET) >>> 4) * TcpHeader.DATA_OFFSET_UNIT;
    appendFlags(s, flags);
    s.append("], seq ").append(Integer.toUnsignedString(buf.getInt(at + TcpHeader.SEQUENCE_NUMBER_FIELD_OFFSET)));
    if ((flags & TcpHeader.FLAG_ACK) != 0) {
      s.append(", ack ").append(Integer.toUnsignedString(buf.getInt(at + TcpHeader.ACKNOWLEDGMENT_NUMBER_FIELD_OFFSET)));
    }
    s.append(", win ").append(buf.getUnsignedShort(at + TcpHeader.WINDOW_FIELD_OFFSET));
    if (headerLength < TcpHeader.MIN_LENGTH || headerLength > length) {
      s.append(", bad header length ").append(headerLength);
      return;
    }
    if (headerLength > TcpHeader.MIN_LENGTH) {
      s.append(", options [");
      options(s, buf, at + TcpHeader.MIN_LENGTH, at + headerLength);
      s.append(']');
    }
    s.append(", length ").append(length - headerLength);
  }

  private static void appendFlags(StringBuilder s, int flags) {
    if ((flags & TcpHeader.FLAG_SYN) != 0) {
      s.append('S');
    }
    if ((flags & TcpHeader.FLAG_FIN) != 0) {
      s.append('F');
    }
    if ((flags & TcpHeader.FLAG_RST) != 0) {
      s.append('R');
    }
    if ((flags & TcpHeader.FLAG_PSH) != 0) {
      s.append('P');
    }
    if ((flags & TcpHeader.FLAG_URG) != 0) {
      s.append('U');
    }
    if ((flags & TcpHeader.FLAG_ACK) != 0) {
      s.append('.');
    }
    if ((flags & (TcpHeader.FLAG_ECE | TcpHeader.FLAG_CWR)) != 0) {
      s.append((flags & TcpHeader.FLAG_ECE) != 0 ? "E" : "").append((flags & TcpHeader.FLAG_CWR) != 0 ? "W" : "");
    }
  }

  /** TCP options by kind (RFC 9293 §3.1, RFC 7323, RFC 2018), as tcpdump names them. */
  private static void options(StringBuilder s, ByteBuf buf, int at, int end) {
    boolean first = true;
    while (at < end) {
      if (!first) {
        s.append(',');
      }
      first = false;
      int kind = buf.getUnsignedByte(at);
      if (kind == 0) {
        s.append("eol");
        return;
      }
      if (kind == 1) {
        s.append("nop");
        at++;
        continue;
      }
      int len = at + 1 < end ? buf.getUnsignedByte(at + 1) : 0;
      if (len < 2 || at + len > end) {
        s.append("bad opt ").append(kind);
        return;
      }
      switch (kind) {
        case 2:
          s.append(len == 4 ? "mss " + buf.getUnsignedShort(at + 2) : "bad mss");
          break;
        case 3:
          s.append(len == 3 ? "wscale " + buf.getUnsignedByte(at + 2) : "bad wscale");
          break;
        case 4:
          s.append("sackOK");
          break;
        case 5:
          s.append("sack ").append((len - 2) / 8);
          for (int b = at + 2; b + 8 <= at + len; b += 8) {
            s.append(" {").append(Integer.toUnsignedString(buf.getInt(b))).append(':')
                .append(Integer.toUnsignedString(buf.getInt(b + 4))).append('}');
          }
          break;
        case 8:
          s.append(len == 10 ? "TS val " + Integer.toUnsignedString(buf.getInt(at + 2)) + " ecr "
              + Integer.toUnsignedString(buf.getInt(at + 6)) : "bad TS");
          break;
        default:
          s.append("opt-").append(kind).append(':').append(len);
      }
      at += len;
    }
  }
}
