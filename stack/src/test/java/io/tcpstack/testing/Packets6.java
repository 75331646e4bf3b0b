package io.tcpstack.testing;

import io.tcpstack.wire.IpAddress;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/** IPv6 and ICMPv6 packets built byte by byte for tests, independently of the stack's own code. */
public final class Packets6 {

  /** The host (kernel) side of the test link. */
  public static final IpAddress HOST6 = IpAddress.parse("fd00:7463:7073::1");
  /** The stack's address in {@link StackHarness#dualStack()}. */
  public static final IpAddress STACK6 = IpAddress.parse("fd00:7463:7073::2");

  public static final int HOP_BY_HOP = 0;
  public static final int TCP = 6;
  public static final int UDP = 17;
  public static final int ROUTING = 43;
  public static final int FRAGMENT = 44;
  public static final int ICMPV6 = 58;
  public static final int NO_NEXT = 59;
  public static final int DEST_OPTS = 60;

  private Packets6() {}

  /** The 16 bytes of {@code a} (an IPv4 address as IPv4-mapped). */
  public static byte[] bytes(IpAddress a) {
    return ByteBuffer.allocate(16).putLong(a.hi()).putLong(a.lo()).array();
  }

  /** A 40-byte header (hop limit 64, traffic class and flow label 0) and {@code payload}. */
  public static byte[] ipv6(IpAddress src, IpAddress dst, int nextHeader, byte[] payload) {
    ByteBuffer b = ByteBuffer.allocate(40 + payload.length);
    b.putInt(0x6000_0000).putShort((short) payload.length).put((byte) nextHeader).put((byte) 64);
    b.put(bytes(src)).put(bytes(dst)).put(payload);
    return b.array();
  }

  /** The one's-complement sum of the RFC 8200 §8.1 pseudo-header and {@code data}, complemented. */
  public static int checksum(IpAddress src, IpAddress dst, int nextHeader, byte[] data) {
    long sum = 0;
    byte[] s = bytes(src);
    byte[] d = bytes(dst);
    for (int i = 0; i < 16; i += 2) {
      sum += ((s[i] & 0xFF) << 8 | (s[i + 1] & 0xFF)) + ((d[i] & 0xFF) << 8 | (d[i + 1] & 0xFF));
    }
    sum += (data.length >>> 16) + (data.length & 0xFFFF) + nextHeader;
    for (int i = 0; i < data.length; i += 2) {
      int hi = data[i] & 0xFF;
      int lo = i + 1 < data.length ? data[i + 1] & 0xFF : 0;
      sum += hi << 8 | lo;
    }
    while ((sum >>> 16) != 0) {
      sum = (sum & 0xFFFF) + (sum >>> 16);
    }
    return (int) (~sum & 0xFFFF);
  }

  /** An ICMPv6 message with a correct checksum for {@code src} to {@code dst}. */
  public static byte[] icmpv6(IpAddress src, IpAddress dst, int type, int code, int rest, byte[] body) {
    ByteBuffer b = ByteBuffer.allocate(8 + body.length);
    b.put((byte) type).put((byte) code).putShort((short) 0).putInt(rest).put(body);
    byte[] m = b.array();
    int sum = checksum(src, dst, ICMPV6, m);
    m[2] = (byte) (sum >>> 8);
    m[3] = (byte) sum;
    return m;
  }

  /** An Echo Request from the host to the stack, in its IPv6 packet. */
  public static byte[] echoRequest6(int id, int seq, byte[] data) {
    return ipv6(HOST6, STACK6, ICMPV6, icmpv6(HOST6, STACK6, 128, 0, id << 16 | seq, data));
  }

  /** An options header (Hop-by-Hop or Destination Options) of {@code options} padded with PadN to a multiple of 8. */
  public static byte[] optionsHeader(int nextHeader, byte[] options) {
    int length = (2 + options.length + 7) / 8 * 8;
    byte[] h = new byte[length];
    h[0] = (byte) nextHeader;
    h[1] = (byte) (length / 8 - 1);
    System.arraycopy(options, 0, h, 2, options.length);
    int pad = length - 2 - options.length;
    if (pad == 1) {
      h[length - 1] = 0; // Pad1
    } else if (pad >= 2) {
      h[2 + options.length] = 1; // PadN
      h[3 + options.length] = (byte) (pad - 2);
    }
    return h;
  }

  /** A Routing header of type {@code type} with {@code segmentsLeft}, one address. */
  public static byte[] routingHeader(int nextHeader, int type, int segmentsLeft) {
    byte[] h = new byte[24];
    h[0] = (byte) nextHeader;
    h[1] = 2;
    h[2] = (byte) type;
    h[3] = (byte) segmentsLeft;
    return h;
  }

  public static byte[] concat(byte[]... parts) {
    int n = 0;
    for (byte[] p : parts) {
      n += p.length;
    }
    ByteBuffer b = ByteBuffer.allocate(n);
    for (byte[] p : parts) {
      b.put(p);
    }
    return b.array();
  }

  /** A Fragment header. */
  public static byte[] fragmentHeader(int nextHeader, int offset, boolean more, int id) {
    ByteBuffer b = ByteBuffer.allocate(8);
    b.put((byte) nextHeader).put((byte) 0).putShort((short) (offset | (more ? 1 : 0))).putInt(id);
    return b.array();
  }

  /** {@code message} (an upper-layer message of {@code nextHeader}) cut into fragments of {@code chunk} bytes (a multiple of 8). */
  public static List<byte[]> fragments(IpAddress src, IpAddress dst, int nextHeader, int id, byte[] message, int chunk) {
    List<byte[]> out = new ArrayList<>();
    for (int off = 0; off < message.length; off += chunk) {
      int n = Math.min(chunk, message.length - off);
      byte[] piece = java.util.Arrays.copyOfRange(message, off, off + n);
      out.add(ipv6(src, dst, FRAGMENT, concat(fragmentHeader(nextHeader, off, off + n < message.length, id), piece)));
    }
    return out;
  }

  public static int u8(byte[] p, int i) {
    return p[i] & 0xFF;
  }

  public static int u16(byte[] p, int i) {
    return (p[i] & 0xFF) << 8 | (p[i + 1] & 0xFF);
  }

  public static long u32(byte[] p, int i) {
    return ((long) u16(p, i) << 16) | u16(p, i + 2);
  }

  public static IpAddress source(byte[] p) {
    return IpAddress.fromBytes(java.util.Arrays.copyOfRange(p, 8, 24));
  }

  public static IpAddress destination(byte[] p) {
    return IpAddress.fromBytes(java.util.Arrays.copyOfRange(p, 24, 40));
  }

  /** Bytes from the end of the fixed header. */
  public static byte[] payload(byte[] p) {
    return java.util.Arrays.copyOfRange(p, 40, 40 + u16(p, 4));
  }

  public static byte[] hex(String s) {
    String h = s.replaceAll("\\s", "");
    byte[] b = new byte[h.length() / 2];
    for (int i = 0; i < b.length; i++) {
      b[i] = (byte) Integer.parseInt(h.substring(2 * i, 2 * i + 2), 16);
    }
    return b;
  }
}
