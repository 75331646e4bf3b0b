package io.tcpstack.tun;

import static org.junit.jupiter.api.Assertions.fail;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.PooledByteBufAllocator;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.function.Predicate;

/** IPv4 packets built and read by hand, so that TUN tests need neither the stack nor ping. */
final class TestPackets {

  static final int IPV4_HEADER = 20;
  static final int PROTOCOL_ICMP = 1;
  static final int PROTOCOL_UDP = 17;
  static final int ICMP_ECHO_REPLY = 0;
  static final int ICMP_ECHO_REQUEST = 8;

  /** An ICMP echo request (RFC 792) in an IPv4 header (RFC 791), both checksums filled in. */
  static byte[] icmpEchoRequest(Inet4Address source, Inet4Address destination, int id, int sequence, byte[] payload) {
    int icmpLength = 8 + payload.length;
    byte[] packet = new byte[IPV4_HEADER + icmpLength];
    packet[0] = 0x45; // version 4, IHL 5 words
    putShort(packet, 2, packet.length); // total length
    putShort(packet, 4, id); // identification
    putShort(packet, 6, 0x4000); // don't fragment
    packet[8] = 64; // TTL
    packet[9] = PROTOCOL_ICMP;
    System.arraycopy(source.getAddress(), 0, packet, 12, 4);
    System.arraycopy(destination.getAddress(), 0, packet, 16, 4);
    putShort(packet, 10, checksum(packet, 0, IPV4_HEADER));

    int icmp = IPV4_HEADER;
    packet[icmp] = ICMP_ECHO_REQUEST;
    putShort(packet, icmp + 4, id);
    putShort(packet, icmp + 6, sequence);
    System.arraycopy(payload, 0, packet, icmp + 8, payload.length);
    putShort(packet, icmp + 2, checksum(packet, icmp, icmpLength));
    return packet;
  }

  /** Whether {@code packet} is an IPv4 ICMP echo reply with that id and sequence number. */
  static boolean isEchoReply(byte[] packet, int id, int sequence) {
    return isIpv4(packet, PROTOCOL_ICMP)
        && packet[headerLength(packet)] == ICMP_ECHO_REPLY
        && getShort(packet, headerLength(packet) + 4) == id
        && getShort(packet, headerLength(packet) + 6) == sequence;
  }

  /** Whether {@code packet} is an IPv4 UDP datagram to that port. */
  static boolean isUdpTo(byte[] packet, int port) {
    return isIpv4(packet, PROTOCOL_UDP) && getShort(packet, headerLength(packet) + 2) == port;
  }

  static boolean isIpv4(byte[] packet, int protocol) {
    return packet.length >= IPV4_HEADER && (packet[0] >> 4) == 4 && (packet[9] & 0xff) == protocol;
  }

  static int headerLength(byte[] packet) {
    return (packet[0] & 0x0f) * 4;
  }

  static Inet4Address source(byte[] packet) {
    return address(packet, 12);
  }

  static Inet4Address destination(byte[] packet) {
    return address(packet, 16);
  }

  /** RFC 1071 Internet checksum; 0 when computed over data that includes a correct checksum. */
  static int checksum(byte[] data, int offset, int length) {
    long sum = 0;
    for (int i = 0; i + 1 < length; i += 2) {
      sum += getShort(data, offset + i);
    }
    if ((length & 1) != 0) {
      sum += (data[offset + length - 1] & 0xff) << 8;
    }
    while ((sum >> 16) != 0) {
      sum = (sum & 0xffff) + (sum >> 16);
    }
    return (int) (~sum & 0xffff);
  }

  static int getShort(byte[] data, int offset) {
    return ((data[offset] & 0xff) << 8) | (data[offset + 1] & 0xff);
  }

  static Inet4Address ipv4(String dotted) {
    try {
      return (Inet4Address) InetAddress.getByName(dotted);
    } catch (UnknownHostException e) {
      throw new IllegalArgumentException(dotted, e);
    }
  }

  /**
   * Reads packets until one matches, skipping others (IPv6 router solicitations, MLD reports
   * and the like arrive once a device is up). Fails the test if none matched within
   * {@code limit}: a safety net against hanging, not a timing assertion.
   */
  static byte[] readMatching(TunDevice device, Predicate<byte[]> match, Duration limit) throws TunException {
    ByteBuf buffer = PooledByteBufAllocator.DEFAULT.directBuffer(device.mtu());
    List<String> skipped = new ArrayList<>();
    try {
      long deadlineNs = System.nanoTime() + limit.toNanos();
      while (true) {
        long leftNs = deadlineNs - System.nanoTime();
        if (leftNs <= 0) {
          fail("no matching packet from " + device + " within " + limit + "; skipped: " + skipped);
        }
        if (!device.await(leftNs)) {
          continue;
        }
        buffer.clear();
        if (device.read(buffer) <= 0) {
          continue;
        }
        byte[] packet = ByteBufUtil.getBytes(buffer);
        if (match.test(packet)) {
          return packet;
        }
        skipped.add(HexFormat.of().formatHex(packet, 0, Math.min(packet.length, 40)));
      }
    } finally {
      buffer.release();
    }
  }

  private static Inet4Address address(byte[] packet, int offset) {
    try {
      return (Inet4Address) InetAddress.getByAddress(Arrays.copyOfRange(packet, offset, offset + 4));
    } catch (UnknownHostException e) {
      throw new AssertionError(e);
    }
  }

  private static void putShort(byte[] data, int offset, int value) {
    data[offset] = (byte) (value >>> 8);
    data[offset + 1] = (byte) value;
  }

  private TestPackets() {}
}
