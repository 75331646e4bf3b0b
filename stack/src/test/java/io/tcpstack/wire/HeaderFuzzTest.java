package io.tcpstack.wire;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.tcpstack.tcp.TcpOptions;
import java.util.Arrays;

/**
 * Coverage-guided fuzzing (Jazzer, docs/fuzzing.md) of the header views and the TCP option parser:
 * arbitrary bytes, at an arbitrary place in buffers of every kind, read as IPv4, TCP, UDP and ICMP.
 *
 * <p>Invariants: {@code wrapChecked} returns exactly the verdict its Javadoc promises (checked
 * against a reference reading of the bytes); once it says OK, every accessor returns what the
 * bytes hold and stays inside them (the buffers here end where the bytes do, so a read past them
 * throws); the checksums agree with a byte-by-byte RFC 1071 sum; {@link TcpOptions#parse} records
 * exactly what a straightforward walk of the RFC 9293 §3.1 list finds, never reading past the
 * options area; the only exceptions are the documented ones for a range outside the buffer.
 *
 * <p>Input layout: byte 0 chooses the buffer kind and the packet's offset in it, byte 1 and 2 a
 * range for the documented-exception checks; the rest is the packet. The seeds are Linux's captures
 * from {@code wire/*.hex} behind those three bytes.
 */
class HeaderFuzzTest {

  private static final int SOURCE = 0xC6120001;
  private static final int DESTINATION = 0xC6120002;

  private final Ipv4Header ip = new Ipv4Header();
  private final TcpHeader tcp = new TcpHeader();
  private final UdpHeader udp = new UdpHeader();
  private final Icmpv4Header icmp = new Icmpv4Header();
  private final TcpOptions options = new TcpOptions();

  @FuzzTest(maxDuration = "10m")
  void headers(byte[] input) {
    if (input.length < 3) {
      return;
    }
    int selector = input[0] & 0xFF;
    byte[] packet = Arrays.copyOfRange(input, 3, input.length);
    ByteBuf buf = place(packet, selector);
    try {
      int at = buf.readerIndex();
      int n = packet.length;
      checkIpv4(buf, at, packet);
      checkTcp(buf, at, n, packet, 0);
      checkUdp(buf, at, n, packet, 0);
      checkIcmp(buf, at, n, packet, 0);
      checkOptions(buf, at, Math.min(n, TcpOptions.MAX_OPTIONS_LENGTH), packet, 0);
      // As the stack reads them: the transport header where the IPv4 payload starts.
      if (ip.wrapChecked(buf, at, n) == WireCheck.OK) {
        int p = ip.payloadIndex();
        int len = ip.payloadLength();
        int rel = p - at;
        checkTcp(buf, p, len, packet, rel);
        checkUdp(buf, p, len, packet, rel);
        checkIcmp(buf, p, len, packet, rel);
      }
      checkDocumentedExceptions(buf, input[1] & 0xFF, input[2] & 0xFF);
    } finally {
      buf.release();
    }
  }

  /**
   * The packet in a buffer whose capacity ends exactly where the packet does (heap, direct, or a
   * heap slice with a non-zero array offset), after 0 to 7 bytes of junk; or split over the
   * components of a composite buffer, where multi-byte reads straddle components.
   */
  private static ByteBuf place(byte[] packet, int selector) {
    int junk = (selector >>> 2) & 7;
    int size = junk + packet.length;
    ByteBuf buf;
    switch (selector & 3) {
      case 0:
        buf = WireTestSupport.UNTRACKED.heapBuffer(size, size);
        break;
      case 1:
        buf = WireTestSupport.UNTRACKED.directBuffer(size, size);
        break;
      case 2:
        {
          byte[] backing = new byte[size + 5];
          buf = Unpooled.wrappedBuffer(backing, 5, size);
          buf.clear();
          break;
        }
      default:
        return WireTestSupport.Placement.COMPOSITE_AT_ODD_INDEX.place(packet, WireTestSupport.UNTRACKED);
    }
    for (int i = 0; i < junk; i++) {
      buf.writeByte(0xA5);
    }
    buf.writeBytes(packet);
    buf.readerIndex(junk);
    return buf;
  }

  private void checkIpv4(ByteBuf buf, int at, byte[] p) {
    int n = p.length;
    WireCheck got = ip.wrapChecked(buf, at, n);
    WireCheck expected;
    int hl = n >= 1 ? (u8(p, 0) & 0x0F) * 4 : 0;
    int tl = n >= 4 ? u16(p, 2) : 0;
    if (n < Ipv4Header.MIN_LENGTH) {
      expected = WireCheck.TRUNCATED;
    } else if (u8(p, 0) >>> 4 != Ipv4Header.VERSION) {
      expected = WireCheck.BAD_VERSION;
    } else if (hl < Ipv4Header.MIN_LENGTH || hl > n) {
      expected = WireCheck.BAD_HEADER_LENGTH;
    } else if (tl < hl || tl > n) {
      expected = WireCheck.BAD_TOTAL_LENGTH;
    } else {
      expected = WireCheck.OK;
    }
    assertEquals(expected, got, "Ipv4Header.wrapChecked");
    if (got != WireCheck.OK) {
      return;
    }
    assertEquals(4, ip.version());
    assertEquals(hl, ip.headerLength());
    assertEquals(hl / 4, ip.ihl());
    assertEquals(u8(p, 1), ip.dscpEcn());
    assertEquals(u8(p, 1) >>> 2, ip.dscp());
    assertEquals(u8(p, 1) & 3, ip.ecn());
    assertEquals(tl, ip.totalLength());
    assertEquals(u16(p, 4), ip.identification());
    int ff = u16(p, 6);
    assertEquals(ff, ip.flagsAndFragmentOffset());
    assertEquals((ff & 0x4000) != 0, ip.dontFragment());
    assertEquals((ff & 0x2000) != 0, ip.moreFragments());
    assertEquals((ff & 0x8000) != 0, ip.reservedFlag());
    assertEquals((ff & 0x1FFF) * 8, ip.fragmentOffset());
    assertEquals((ff & 0x2000) != 0 || (ff & 0x1FFF) != 0, ip.isFragment());
    assertEquals(u8(p, 8), ip.ttl());
    assertEquals(u8(p, 9), ip.protocol());
    assertEquals(u16(p, 10), ip.checksum());
    assertEquals(u32(p, 12), ip.source());
    assertEquals(u32(p, 16), ip.destination());
    assertEquals(at + 20, ip.optionsIndex());
    assertEquals(hl - 20, ip.optionsLength());
    assertEquals(at + hl, ip.payloadIndex());
    assertEquals(tl - hl, ip.payloadLength());
    assertTrue(ip.payloadIndex() + ip.payloadLength() <= at + n, "payload inside the bytes given");
    assertEquals(referenceChecksum(p, 0, hl, 0) == 0, ip.isChecksumValid(), "IPv4 header checksum");
    ip.toString();
  }

  private void checkTcp(ByteBuf buf, int at, int n, byte[] p, int rel) {
    WireCheck got = tcp.wrapChecked(buf, at, n);
    int hl = n > 12 ? (u8(p, rel + 12) >>> 4) * 4 : 0;
    WireCheck expected =
        n < TcpHeader.MIN_LENGTH
            ? WireCheck.TRUNCATED
            : hl < TcpHeader.MIN_LENGTH || hl > n ? WireCheck.BAD_HEADER_LENGTH : WireCheck.OK;
    assertEquals(expected, got, "TcpHeader.wrapChecked");
    if (got != WireCheck.OK) {
      return;
    }
    assertEquals(n, tcp.length());
    assertEquals(u16(p, rel), tcp.sourcePort());
    assertEquals(u16(p, rel + 2), tcp.destinationPort());
    assertEquals(u32(p, rel + 4), tcp.sequenceNumber());
    assertEquals(u32(p, rel + 8), tcp.acknowledgmentNumber());
    assertEquals(hl / 4, tcp.dataOffset());
    assertEquals(hl, tcp.headerLength());
    assertEquals(u8(p, rel + 13), tcp.flags());
    assertEquals(u16(p, rel + 14), tcp.window());
    assertEquals(u16(p, rel + 16), tcp.checksum());
    assertEquals(u16(p, rel + 18), tcp.urgentPointer());
    assertEquals(at + 20, tcp.optionsIndex());
    assertEquals(hl - 20, tcp.optionsLength());
    assertEquals(at + hl, tcp.payloadIndex());
    assertEquals(n - hl, tcp.payloadLength());
    int pseudo = pseudoSum(SOURCE, DESTINATION, IpProtocol.TCP, n);
    assertEquals(
        referenceChecksum(p, rel, n, pseudo) == 0,
        tcp.isChecksumValid(SOURCE, DESTINATION),
        "TCP checksum");
    tcp.toString();
    checkOptions(buf, tcp.optionsIndex(), tcp.optionsLength(), p, rel + 20);
  }

  private void checkUdp(ByteBuf buf, int at, int n, byte[] p, int rel) {
    WireCheck got = udp.wrapChecked(buf, at, n);
    int len = n >= 6 ? u16(p, rel + 4) : 0;
    WireCheck expected =
        n < UdpHeader.LENGTH
            ? WireCheck.TRUNCATED
            : len < UdpHeader.LENGTH || len > n ? WireCheck.BAD_LENGTH : WireCheck.OK;
    assertEquals(expected, got, "UdpHeader.wrapChecked");
    if (got != WireCheck.OK) {
      return;
    }
    assertEquals(u16(p, rel), udp.sourcePort());
    assertEquals(u16(p, rel + 2), udp.destinationPort());
    assertEquals(len, udp.length());
    assertEquals(u16(p, rel + 6), udp.checksum());
    assertEquals(at + 8, udp.payloadIndex());
    assertEquals(len - 8, udp.payloadLength());
    boolean valid =
        u16(p, rel + 6) == UdpHeader.NO_CHECKSUM
            || referenceChecksum(p, rel, len, pseudoSum(SOURCE, DESTINATION, IpProtocol.UDP, len)) == 0;
    assertEquals(valid, udp.isChecksumValid(SOURCE, DESTINATION), "UDP checksum");
    udp.toString();
  }

  private void checkIcmp(ByteBuf buf, int at, int n, byte[] p, int rel) {
    WireCheck got = icmp.wrapChecked(buf, at, n);
    assertEquals(n < Icmpv4Header.LENGTH ? WireCheck.TRUNCATED : WireCheck.OK, got, "Icmpv4Header.wrapChecked");
    if (got != WireCheck.OK) {
      return;
    }
    assertEquals(n, icmp.length());
    assertEquals(u8(p, rel), icmp.type());
    assertEquals(u8(p, rel + 1), icmp.code());
    assertEquals(u16(p, rel + 2), icmp.checksum());
    assertEquals(u16(p, rel + 4), icmp.identifier());
    assertEquals(u16(p, rel + 6), icmp.sequenceNumber());
    assertEquals(u16(p, rel + 6), icmp.nextHopMtu());
    assertEquals(u32(p, rel + 4), icmp.restOfHeader());
    assertEquals(at + 8, icmp.dataIndex());
    assertEquals(n - 8, icmp.dataLength());
    assertEquals(referenceChecksum(p, rel, n, 0) == 0, icmp.isChecksumValid(), "ICMP checksum");
    icmp.toString();
  }

  /** {@link TcpOptions#parse} against a plain walk of the list (rules in TcpOptions' class comment). */
  private void checkOptions(ByteBuf buf, int index, int length, byte[] p, int rel) {
    TcpOptions.Status got = options.parse(buf, index, length);
    Reference ref = new Reference();
    int i = rel;
    int end = rel + length;
    TcpOptions.Status expected = TcpOptions.Status.OK;
    int consumed = 0;
    while (i < end) {
      int kind = u8(p, i);
      if (kind == TcpOptions.KIND_EOL) {
        break;
      }
      if (kind == TcpOptions.KIND_NOP) {
        i++;
        consumed++;
        continue;
      }
      if (end - i < 2 || u8(p, i + 1) < 2 || u8(p, i + 1) > end - i) {
        expected = TcpOptions.Status.MALFORMED;
        break;
      }
      int len = u8(p, i + 1);
      ref.record(p, kind, i, len);
      i += len;
      consumed += len;
    }
    assertTrue(consumed <= length, "the options read fit the options area");
    assertEquals(expected, got, "TcpOptions.parse status");
    assertEquals(ref.hasMss, options.hasMss());
    assertEquals(ref.mss, options.mss());
    assertEquals(ref.hasWindowScale, options.hasWindowScale());
    assertEquals(ref.windowScale, options.windowScale());
    assertTrue(options.windowScale() <= TcpOptions.MAX_WINDOW_SCALE);
    assertEquals(ref.sackPermitted, options.sackPermitted());
    assertEquals(ref.hasTimestamps, options.hasTimestamps());
    assertEquals(ref.tsVal, options.tsVal());
    assertEquals(ref.tsEcr, options.tsEcr());
    assertEquals(ref.sackBlocks, options.sackBlockCount());
    for (int b = 0; b < ref.sackBlocks; b++) {
      assertEquals(ref.sackLeft[b], options.sackLeft(b));
      assertEquals(ref.sackRight[b], options.sackRight(b));
    }
    int blocks = options.sackBlockCount();
    assertThrows(IndexOutOfBoundsException.class, () -> options.sackLeft(blocks));
    options.toString();
  }

  /** The documented exceptions, and only those, for a range chosen by the input. */
  private void checkDocumentedExceptions(ByteBuf buf, int a, int b) {
    int capacity = buf.capacity();
    int offset = a - 4;
    int length = b - 4;
    boolean inside = offset >= 0 && length >= 0 && offset + length <= capacity;
    if (inside) {
      ip.wrapChecked(buf, offset, length);
      tcp.wrapChecked(buf, offset, length);
      udp.wrapChecked(buf, offset, length);
      icmp.wrapChecked(buf, offset, length);
      if (length <= TcpOptions.MAX_OPTIONS_LENGTH) {
        options.parse(buf, offset, length);
      } else {
        assertThrows(IllegalArgumentException.class, () -> options.parse(buf, offset, length));
      }
    } else {
      assertThrows(IndexOutOfBoundsException.class, () -> ip.wrapChecked(buf, offset, length));
      assertThrows(IndexOutOfBoundsException.class, () -> tcp.wrapChecked(buf, offset, length));
      assertThrows(IndexOutOfBoundsException.class, () -> udp.wrapChecked(buf, offset, length));
      assertThrows(IndexOutOfBoundsException.class, () -> icmp.wrapChecked(buf, offset, length));
      assertThrows(IndexOutOfBoundsException.class, () -> options.parse(buf, offset, length));
    }
  }

  /** What RFC 9293 §3.1 and the parser's documented rules record for one delimited option. */
  private static final class Reference {
    boolean hasMss;
    int mss = TcpOptions.DEFAULT_MSS;
    boolean hasWindowScale;
    int windowScale;
    boolean sackPermitted;
    boolean hasTimestamps;
    int tsVal;
    int tsEcr;
    int sackBlocks;
    final int[] sackLeft = new int[TcpOptions.MAX_SACK_BLOCKS];
    final int[] sackRight = new int[TcpOptions.MAX_SACK_BLOCKS];

    void record(byte[] p, int kind, int i, int len) {
      if (kind == TcpOptions.KIND_MSS && len == 4) {
        hasMss = true;
        mss = u16(p, i + 2);
      } else if (kind == TcpOptions.KIND_WINDOW_SCALE && len == 3) {
        hasWindowScale = true;
        windowScale = Math.min(u8(p, i + 2), 14); // RFC 7323 §2.3
      } else if (kind == TcpOptions.KIND_SACK_PERMITTED && len == 2) {
        sackPermitted = true;
      } else if (kind == TcpOptions.KIND_SACK && len >= 10 && (len - 2) % 8 == 0 && (len - 2) / 8 <= 4) {
        sackBlocks = (len - 2) / 8;
        for (int b = 0; b < sackBlocks; b++) {
          sackLeft[b] = u32(p, i + 2 + 8 * b);
          sackRight[b] = u32(p, i + 6 + 8 * b);
        }
      } else if (kind == TcpOptions.KIND_TIMESTAMPS && len == 10) {
        hasTimestamps = true;
        tsVal = u32(p, i + 2);
        tsEcr = u32(p, i + 6);
      }
    }
  }

  /** RFC 1071, one 16-bit word at a time: the reference the optimised sums must agree with. */
  private static int referenceChecksum(byte[] p, int from, int length, int initial) {
    long sum = initial;
    for (int i = 0; i < length; i += 2) {
      int hi = u8(p, from + i);
      int lo = i + 1 < length ? u8(p, from + i + 1) : 0;
      sum += (hi << 8) | lo;
    }
    while ((sum >>> 16) != 0) {
      sum = (sum & 0xFFFF) + (sum >>> 16);
    }
    return (int) (~sum & 0xFFFF);
  }

  private static int pseudoSum(int src, int dst, int protocol, int length) {
    return (src >>> 16) + (src & 0xFFFF) + (dst >>> 16) + (dst & 0xFFFF) + protocol + length;
  }

  private static int u8(byte[] p, int i) {
    return p[i] & 0xFF;
  }

  private static int u16(byte[] p, int i) {
    return (u8(p, i) << 8) | u8(p, i + 1);
  }

  private static int u32(byte[] p, int i) {
    return (u16(p, i) << 16) | u16(p, i + 2);
  }
}
