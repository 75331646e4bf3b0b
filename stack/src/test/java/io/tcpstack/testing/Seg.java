package io.tcpstack.testing;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Objects;

/**
 * A TCP segment as a value, for segment-level tests: build one to send to the stack, or parse what
 * the stack emitted and compare. Immutable; every {@code with}-style method returns a copy (in the
 * spirit of smoltcp's SEND_TEMPL / RECV_TEMPL, override only what a test cares about).
 */
public final class Seg {
  public static final int FIN = 0x01;
  public static final int SYN = 0x02;
  public static final int RST = 0x04;
  public static final int PSH = 0x08;
  public static final int ACK = 0x10;
  public static final int URG = 0x20;

  public final int srcPort;
  public final int dstPort;
  public final int seq;
  public final int ack;
  public final int flags;
  public final int window;
  /** MSS option value, or -1 for none. */
  public final int mss;
  public final byte[] payload;
  /** Raw options bytes (padded), overriding {@link #mss} when not null (for malformed-option tests). */
  public final byte[] rawOptions;
  /**
   * The Window Scale option {@link #parse} found (RFC 7323 §2.2), or -1: read it where a test cares;
   * it is not part of {@link #equals}.
   */
  public int windowScale = -1;
  /** Whether {@link #parse} found SACK-Permitted (RFC 2018 §2); not part of {@link #equals}. */
  public boolean sackPermitted;
  /** The SACK blocks {@link #parse} found, as left, right, left, right... (RFC 2018 §3); not part of {@link #equals}. */
  public int[] sack = new int[0];
  /**
   * Whether {@link #parse} found a Timestamps option (RFC 7323 §3.2), and its TSval and TSecr: read
   * them where a test cares; they are not part of {@link #equals}.
   */
  public boolean timestamps;
  public int tsVal;
  public int tsEcr;

  public Seg(int srcPort, int dstPort, int seq, int ack, int flags, int window, int mss, byte[] payload, byte[] rawOptions) {
    this.srcPort = srcPort;
    this.dstPort = dstPort;
    this.seq = seq;
    this.ack = ack;
    this.flags = flags;
    this.window = window;
    this.mss = mss;
    this.payload = payload;
    this.rawOptions = rawOptions;
  }

  public Seg seq(int v) { return new Seg(srcPort, dstPort, v, ack, flags, window, mss, payload, rawOptions); }
  public Seg ack(int v) { return new Seg(srcPort, dstPort, seq, v, flags | ACK, window, mss, payload, rawOptions); }
  public Seg flags(int v) { return new Seg(srcPort, dstPort, seq, ack, v, window, mss, payload, rawOptions); }
  public Seg window(int v) { return new Seg(srcPort, dstPort, seq, ack, flags, v, mss, payload, rawOptions); }
  public Seg mss(int v) { return new Seg(srcPort, dstPort, seq, ack, flags, window, v, payload, rawOptions); }
  public Seg noMss() { return mss(-1); }
  public Seg payload(byte[] v) { return new Seg(srcPort, dstPort, seq, ack, flags, window, mss, v, rawOptions); }
  public Seg payload(String v) { return payload(v.getBytes(java.nio.charset.StandardCharsets.UTF_8)); }
  public Seg ports(int src, int dst) { return new Seg(src, dst, seq, ack, flags, window, mss, payload, rawOptions); }
  /** A SACK option (NOP, NOP, kind 5) with the given edges: left, right, left, right... (RFC 2018 §3). */
  public Seg sack(int... edges) {
    ByteBuffer b = ByteBuffer.allocate(4 + 4 * edges.length);
    b.put((byte) 1).put((byte) 1).put((byte) 5).put((byte) (2 + 4 * edges.length));
    for (int e : edges) {
      b.putInt(e);
    }
    return rawOptions(b.array());
  }

  public Seg rawOptions(byte[] v) { return new Seg(srcPort, dstPort, seq, ack, flags, window, mss, payload, v); }

  /**
   * With a Timestamps option (RFC 7323 §3.2), after the MSS option if this segment has one (so call
   * {@link #mss} first): NOP, NOP, kind 8, length 10, TSval, TSecr — the layout Linux sends.
   */
  public Seg ts(int tsVal, int tsEcr) {
    ByteBuffer b = ByteBuffer.allocate((mss >= 0 ? 4 : 0) + 12);
    if (mss >= 0) {
      b.put((byte) 2).put((byte) 4).putShort((short) mss);
    }
    b.put((byte) 1).put((byte) 1).put((byte) 8).put((byte) 10).putInt(tsVal).putInt(tsEcr);
    return rawOptions(b.array());
  }

  /** Segment length in sequence space (RFC 9293 §3.4). */
  public int len() {
    return payload.length + ((flags & SYN) != 0 ? 1 : 0) + ((flags & FIN) != 0 ? 1 : 0);
  }

  /** The TCP bytes with a correct checksum for {@code src -> dst}. */
  public byte[] toBytes(int srcAddress, int dstAddress) {
    byte[] options = rawOptions != null ? rawOptions
        : mss >= 0 ? new byte[] {2, 4, (byte) (mss >>> 8), (byte) mss} : new byte[0];
    int hl = 20 + options.length;
    byte[] t = new byte[hl + payload.length];
    ByteBuffer b = ByteBuffer.wrap(t);
    b.putShort((short) srcPort).putShort((short) dstPort).putInt(seq).putInt(ack);
    b.put((byte) ((hl / 4) << 4)).put((byte) flags).putShort((short) window).putShort((short) 0).putShort((short) 0);
    b.put(options).put(payload);
    byte[] pseudo = new byte[12 + t.length];
    ByteBuffer.wrap(pseudo).putInt(srcAddress).putInt(dstAddress).put((byte) 0).put((byte) 6).putShort((short) t.length).put(t);
    int c = Packets.checksum(pseudo, 0, pseudo.length);
    t[16] = (byte) (c >>> 8);
    t[17] = (byte) c;
    return t;
  }

  /** The TCP bytes with a correct checksum over the IPv6 pseudo-header (RFC 8200 §8.1) for {@code src -> dst}. */
  public byte[] toBytes6(io.tcpstack.wire.IpAddress src, io.tcpstack.wire.IpAddress dst) {
    byte[] t = toBytes(0, 0);
    t[16] = 0;
    t[17] = 0;
    int c = Packets6.checksum(src, dst, 6, t);
    t[16] = (byte) (c >>> 8);
    t[17] = (byte) c;
    return t;
  }

  /** Parses the TCP segment right after the fixed header of an IPv6 packet, checking its checksum over the IPv6 pseudo-header. */
  public static Seg parse6(byte[] ipv6Packet) {
    if (Packets6.u8(ipv6Packet, 6) != 6) {
      throw new AssertionError("not TCP: next header " + Packets6.u8(ipv6Packet, 6));
    }
    byte[] t = Packets6.payload(ipv6Packet);
    if (Packets6.checksum(Packets6.source(ipv6Packet), Packets6.destination(ipv6Packet), 6, t) != 0) {
      throw new AssertionError("bad TCP checksum over the IPv6 pseudo-header");
    }
    return parseTcp(t);
  }

  /** Parses the TCP segment inside an IPv4 packet, checking the IP and TCP checksums. */
  public static Seg parse(byte[] ipPacket) {
    if (Packets.checksum(ipPacket, 0, Packets.headerLength(ipPacket)) != 0) {
      throw new AssertionError("bad IP header checksum");
    }
    if (Packets.u8(ipPacket, 9) != 6) {
      throw new AssertionError("not TCP: protocol " + Packets.u8(ipPacket, 9));
    }
    byte[] t = Packets.payload(ipPacket);
    byte[] pseudo = new byte[12 + t.length];
    ByteBuffer.wrap(pseudo).putInt(Packets.u32(ipPacket, 12)).putInt(Packets.u32(ipPacket, 16))
        .put((byte) 0).put((byte) 6).putShort((short) t.length).put(t);
    if (Packets.checksum(pseudo, 0, pseudo.length) != 0) {
      throw new AssertionError("bad TCP checksum");
    }
    return parseTcp(t);
  }

  private static Seg parseTcp(byte[] t) {
    int hl = (Packets.u8(t, 12) >>> 4) * 4;
    if ((Packets.u8(t, 12) & 0x0F) != 0) {
      throw new AssertionError("reserved bits must be sent as zero");
    }
    int mss = -1;
    int windowScale = -1;
    boolean sackPermitted = false;
    int[] sack = new int[0];
    boolean timestamps = false;
    int tsVal = 0;
    int tsEcr = 0;
    for (int i = 20; i < hl; ) {
      int kind = Packets.u8(t, i);
      if (kind == 0) {
        break;
      }
      if (kind == 1) {
        i++;
        continue;
      }
      int len = Packets.u8(t, i + 1);
      if (kind == 2 && len == 4) {
        mss = Packets.u16(t, i + 2);
      }
      if (kind == 3 && len == 3) {
        windowScale = Packets.u8(t, i + 2);
      }
      if (kind == 4 && len == 2) {
        sackPermitted = true;
      }
      if (kind == 5 && len >= 10 && (len - 2) % 8 == 0) {
        sack = new int[(len - 2) / 4];
        for (int k = 0; k < sack.length; k++) {
          sack[k] = Packets.u32(t, i + 2 + 4 * k);
        }
      }
      if (kind == 8 && len == 10) {
        timestamps = true;
        tsVal = Packets.u32(t, i + 2);
        tsEcr = Packets.u32(t, i + 6);
      }
      i += len;
    }
    Seg parsed = new Seg(Packets.u16(t, 0), Packets.u16(t, 2), Packets.u32(t, 4), Packets.u32(t, 8), Packets.u8(t, 13),
        Packets.u16(t, 14), mss, Arrays.copyOfRange(t, hl, t.length), null);
    parsed.windowScale = windowScale;
    parsed.sackPermitted = sackPermitted;
    parsed.sack = sack;
    parsed.timestamps = timestamps;
    parsed.tsVal = tsVal;
    parsed.tsEcr = tsEcr;
    return parsed;
  }

  @Override
  public boolean equals(Object o) {
    if (!(o instanceof Seg)) {
      return false;
    }
    Seg s = (Seg) o;
    return srcPort == s.srcPort && dstPort == s.dstPort && seq == s.seq && ack == s.ack && flags == s.flags
        && window == s.window && mss == s.mss && Arrays.equals(payload, s.payload);
  }

  @Override
  public int hashCode() {
    return Objects.hash(srcPort, dstPort, seq, ack, flags, window, mss, Arrays.hashCode(payload));
  }

  @Override
  public String toString() {
    StringBuilder f = new StringBuilder();
    String[] names = {"FIN", "SYN", "RST", "PSH", "ACK", "URG"};
    for (int i = 0; i < names.length; i++) {
      if ((flags & (1 << i)) != 0) {
        f.append(f.length() > 0 ? "|" : "").append(names[i]);
      }
    }
    return "Seg[" + srcPort + "->" + dstPort + " " + f + " seq=" + Integer.toUnsignedString(seq)
        + ((flags & ACK) != 0 ? " ack=" + Integer.toUnsignedString(ack) : "") + " win=" + window
        + (mss >= 0 ? " mss=" + mss : "") + (timestamps ? " TS val " + Integer.toUnsignedString(tsVal) + " ecr "
        + Integer.toUnsignedString(tsEcr) : "") + " len=" + payload.length + "]";
  }
}
