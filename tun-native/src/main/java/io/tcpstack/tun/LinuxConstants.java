package io.tcpstack.tun;

/**
 * Linux ABI numbers tun-native passes to the kernel, for x86_64 and aarch64 (generic ioctl
 * encoding, LP64). Each group names the header it comes from; the values were checked against
 * those headers.
 */
final class LinuxConstants {

  // <linux/if_tun.h>: ioctls on a /dev/net/tun file descriptor (_IOW('T', nr, int)).
  static final long TUNSETIFF = 0x400454caL;
  /** _IOW('T', 208, unsigned int); the argument is the TUN_F_* flags themselves, not a pointer. */
  static final long TUNSETOFFLOAD = 0x400454d0L;
  /** _IOW('T', 216, int); the argument points to the int size. */
  static final long TUNSETVNETHDRSZ = 0x400454d8L;
  /** _IOW('T', 220, int); the argument points to an int, nonzero: vnet header fields little-endian. */
  static final long TUNSETVNETLE = 0x400454dcL;
  // Later: TUNSETQUEUE = 0x400454d9.

  // <linux/if_tun.h>: ifr_flags for TUNSETIFF.
  static final short IFF_TUN = 0x0001;
  static final short IFF_TAP = 0x0002;
  static final short IFF_MULTI_QUEUE = 0x0100;
  static final short IFF_NO_PI = 0x1000;
  static final short IFF_VNET_HDR = 0x4000;

  // <linux/sockios.h>: interface ioctls on any socket; they act on the socket's network namespace.
  static final long SIOCGIFFLAGS = 0x8913;
  static final long SIOCSIFFLAGS = 0x8914;
  static final long SIOCGIFADDR = 0x8915;
  static final long SIOCSIFADDR = 0x8916;
  static final long SIOCGIFNETMASK = 0x891b;
  static final long SIOCSIFNETMASK = 0x891c;
  static final long SIOCGIFMTU = 0x8921;
  static final long SIOCSIFMTU = 0x8922;
  /** netdevice(7): get/set the transmit queue length ({@code ifr_qlen}). */
  static final long SIOCGIFTXQLEN = 0x8942;
  static final long SIOCSIFTXQLEN = 0x8943;
  static final long SIOCGIFINDEX = 0x8933;

  /** {@code <linux/ipv6.h>}: struct in6_ifreq {in6_addr ifr6_addr; u32 ifr6_prefixlen; int ifr6_ifindex;}. */
  static final int IN6_IFREQ_SIZE = 24;
  static final int IN6_IFREQ_PREFIXLEN_OFFSET = 16;
  static final int IN6_IFREQ_IFINDEX_OFFSET = 20;

  // <linux/if.h>: net_device_flags, the short ifr_flags of SIOCGIFFLAGS/SIOCSIFFLAGS.
  static final short IFF_UP = 0x1;

  // <linux/if.h>: IFNAMSIZ, including the terminating NUL.
  static final int IFNAMSIZ = 16;

  // <asm-generic/fcntl.h>
  static final int O_RDONLY = 0;
  static final int O_RDWR = 02;
  static final int O_NONBLOCK = 04000;
  static final int O_CLOEXEC = 02000000;

  // <sys/eventfd.h>: same bits as O_NONBLOCK / O_CLOEXEC.
  static final int EFD_NONBLOCK = O_NONBLOCK;
  static final int EFD_CLOEXEC = O_CLOEXEC;

  // <poll.h>
  static final short POLLIN = 0x1;
  static final short POLLERR = 0x8;
  static final short POLLHUP = 0x10;
  static final short POLLNVAL = 0x20;

  // <sys/socket.h>
  static final int AF_INET = 2;
  static final int AF_INET6 = 10;
  static final int SOCK_DGRAM = 2;
  static final int SOCK_CLOEXEC = O_CLOEXEC;

  // <sched.h>
  static final int CLONE_NEWNET = 0x40000000;

  // <linux/capability.h>
  static final int CAP_NET_ADMIN = 12;

  // <linux/if_link.h> / kernel limits for a TUN device's MTU (ETH_MIN_MTU .. MAX_MTU in tun.c).
  static final int TUN_MIN_MTU = 68;
  static final int TUN_MAX_MTU = 65535;

  private LinuxConstants() {}
}
