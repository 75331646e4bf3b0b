package io.tcpstack.testing;

import java.nio.ByteBuffer;

/**
 * Builds and reads IPv4/ICMP packets as plain byte arrays, independently of the {@code wire}
 * package, so that tests of the stack do not check the stack's code against itself.
 */
public final class Packets {

  public static final int HOST = address(198, 18, 0, 1);
  public static final int STACK = address(198, 18, 0, 2);

  private Packets() {}

  public static int address(int a, int b, int c, int d) {
    return (a << 24) | (b << 16) | (c << 8) | d;
  }

  /** RFC 1071 checksum of {@code length} bytes at {@code offset}, the plain textbook way. */
  public static int checksum(byte[] data, int offset, int length) {
    long sum = 0;
    for (int i = 0; i < length; i += 2) {
      int hi = data[offset + i] & 0xFF;
      int lo = i + 1 < length ? data[offset + i + 1] & 0xFF : 0;
      sum += (hi << 8) | lo;
    }
    while ((sum >>> 16) != 0) {
      sum = (sum & 0xFFFF) + (sum >>> 16);
    }
    return (int) (~sum & 0xFFFF);
  }

  /** An IPv4 datagram with a 20-byte header and a correct header checksum. */
  public static byte[] ipv4(int src, int dst, int protocol, int id, boolean df, boolean mf, int offsetBytes, int ttl, byte[] payload) {
    byte[] p = new byte[20 + payload.length];
    ByteBuffer b = ByteBuffer.wrap(p);
    b.put((byte) 0x45).put((byte) 0).putShort((short) p.length).putShort((short) id);
    int flags = (df ? 0x4000 : 0) | (mf ? 0x2000 : 0) | (offsetBytes / 8);
    b.putShort((short) flags).put((byte) ttl).put((byte) protocol).putShort((short) 0);
    b.putInt(src).putInt(dst).put(payload);
    int c = checksum(p, 0, 20);
    p[10] = (byte) (c >>> 8);
    p[11] = (byte) c;
    return p;
  }

  public static byte[] ipv4(int src, int dst, int protocol, byte[] payload) {
    return ipv4(src, dst, protocol, 0x1234, false, false, 0, 64, payload);
  }

  /** An ICMP message of {@code type} with a correct checksum. */
  public static byte[] icmp(int type, int code, int id, int seq, byte[] data) {
    byte[] m = new byte[8 + data.length];
    ByteBuffer.wrap(m).put((byte) type).put((byte) code).putShort((short) 0).putShort((short) id).putShort((short) seq).put(data);
    int c = checksum(m, 0, m.length);
    m[2] = (byte) (c >>> 8);
    m[3] = (byte) c;
    return m;
  }

  public static byte[] echoRequest(int id, int seq, byte[] data) {
    return icmp(8, 0, id, seq, data);
  }

  /** Bytes 0, 1, 2, ... of the given length (mod 251, so no period aligns with 8-byte fragments). */
  public static byte[] pattern(int length) {
    byte[] d = new byte[length];
    for (int i = 0; i < length; i++) {
      d[i] = (byte) (i % 251);
    }
    return d;
  }

  /** Splits a datagram's payload into fragments of {@code chunk} bytes (a multiple of 8). */
  public static byte[][] fragments(int src, int dst, int protocol, int id, byte[] payload, int chunk) {
    int n = (payload.length + chunk - 1) / chunk;
    byte[][] out = new byte[n][];
    for (int i = 0; i < n; i++) {
      int off = i * chunk;
      int len = Math.min(chunk, payload.length - off);
      byte[] part = new byte[len];
      System.arraycopy(payload, off, part, 0, len);
      out[i] = ipv4(src, dst, protocol, id, false, i < n - 1, off, 64, part);
    }
    return out;
  }

  // --- reading ---

  public static int u8(byte[] p, int i) {
    return p[i] & 0xFF;
  }

  public static int u16(byte[] p, int i) {
    return ((p[i] & 0xFF) << 8) | (p[i + 1] & 0xFF);
  }

  public static int u32(byte[] p, int i) {
    return (u16(p, i) << 16) | u16(p, i + 2);
  }

  public static int headerLength(byte[] p) {
    return (p[0] & 0x0F) * 4;
  }

  public static byte[] payload(byte[] p) {
    int h = headerLength(p);
    byte[] out = new byte[u16(p, 2) - h];
    System.arraycopy(p, h, out, 0, out.length);
    return out;
  }

  public static boolean moreFragments(byte[] p) {
    return (u16(p, 6) & 0x2000) != 0;
  }

  public static int fragmentOffset(byte[] p) {
    return (u16(p, 6) & 0x1FFF) * 8;
  }

  /** Reassembles a complete list of fragments (any order) into the payload, checking their headers. */
  public static byte[] reassemble(java.util.List<byte[]> fragments) {
    int total = 0;
    for (byte[] f : fragments) {
      if (!moreFragments(f)) {
        total = fragmentOffset(f) + payload(f).length;
      }
    }
    byte[] out = new byte[total];
    int covered = 0;
    for (byte[] f : fragments) {
      byte[] part = payload(f);
      System.arraycopy(part, 0, out, fragmentOffset(f), part.length);
      covered += part.length;
    }
    if (covered != total) {
      throw new AssertionError("fragments cover " + covered + " bytes of " + total);
    }
    return out;
  }
}
