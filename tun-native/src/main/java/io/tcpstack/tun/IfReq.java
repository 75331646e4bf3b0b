package io.tcpstack.tun;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import jnr.ffi.Memory;
import jnr.ffi.Pointer;

/**
 * A reusable view over one native {@code struct ifreq}, the argument of TUNSETIFF and the
 * SIOC[GS]IF* ioctls ({@code <linux/if.h>}, netdevice(7)). Allocated once per device.
 *
 * <pre>
 *  0                16                                  40
 *  +----------------+-----------------------------------+
 *  | ifr_name[16]   | union (24 bytes):                 |
 *  | NUL-terminated |  short ifr_flags  (at 16)         |
 *  |                |  int   ifr_mtu    (at 16)         |
 *  |                |  struct sockaddr_in ifr_addr:     |
 *  |                |    u16 sin_family (at 16, host order)
 *  |                |    u16 sin_port   (at 18)         |
 *  |                |    u8  sin_addr[4] (at 20, network order)
 *  +----------------+-----------------------------------+
 * </pre>
 */
final class IfReq {

  static final int SIZE = 40;
  private static final int NAME_OFFSET = 0;
  private static final int FLAGS_OFFSET = 16;
  private static final int MTU_OFFSET = 16;
  private static final int SIN_FAMILY_OFFSET = 16;
  private static final int SIN_ADDR_OFFSET = 20;

  // Kept as a field: jnr frees the native memory when this Pointer is collected.
  private final Pointer memory = Memory.allocateDirect(Native.runtime(), SIZE, true);

  /** Address to pass to ioctl(2). */
  long address() {
    return memory.address();
  }

  /** Clears the struct and sets {@code ifr_name}; {@code name} must fit IFNAMSIZ - 1 bytes. */
  IfReq reset(String name) {
    memory.setMemory(0, SIZE, (byte) 0);
    if (name != null) {
      byte[] bytes = name.getBytes(StandardCharsets.UTF_8);
      memory.put(NAME_OFFSET, bytes, 0, bytes.length);
    }
    return this;
  }

  String name() {
    byte[] bytes = new byte[LinuxConstants.IFNAMSIZ];
    memory.get(NAME_OFFSET, bytes, 0, bytes.length);
    int length = 0;
    while (length < bytes.length && bytes[length] != 0) {
      length++;
    }
    return new String(bytes, 0, length, StandardCharsets.UTF_8);
  }

  short flags() {
    return memory.getShort(FLAGS_OFFSET);
  }

  IfReq flags(short flags) {
    memory.putShort(FLAGS_OFFSET, flags);
    return this;
  }

  int mtu() {
    return memory.getInt(MTU_OFFSET);
  }

  IfReq mtu(int mtu) {
    memory.putInt(MTU_OFFSET, mtu);
    return this;
  }

  /** {@code ifr_addr} as an IPv4 address (for SIOCGIFADDR and SIOCGIFNETMASK). */
  Inet4Address inet4() {
    byte[] bytes = new byte[4];
    memory.get(SIN_ADDR_OFFSET, bytes, 0, 4);
    try {
      return (Inet4Address) InetAddress.getByAddress(bytes);
    } catch (UnknownHostException e) {
      throw new AssertionError("4 bytes are always an IPv4 address", e);
    }
  }

  /** {@code ifr_ifindex} (after SIOCGIFINDEX; it shares the union's start with ifr_flags). */
  int ifindex() {
    return memory.getInt(FLAGS_OFFSET);
  }

  /** Sets {@code ifr_addr} to an AF_INET address given in network order. */
  IfReq inet4(byte[] address) {
    memory.putShort(SIN_FAMILY_OFFSET, (short) LinuxConstants.AF_INET);
    memory.put(SIN_ADDR_OFFSET, address, 0, 4);
    return this;
  }
}
