package io.tcpstack.tun;

import static io.tcpstack.tun.LinuxConstants.IFF_UP;
import static io.tcpstack.tun.LinuxConstants.SIOCGIFADDR;
import static io.tcpstack.tun.LinuxConstants.SIOCGIFFLAGS;
import static io.tcpstack.tun.LinuxConstants.SIOCGIFINDEX;
import static io.tcpstack.tun.LinuxConstants.SIOCGIFMTU;
import static io.tcpstack.tun.LinuxConstants.SIOCGIFNETMASK;
import static io.tcpstack.tun.LinuxConstants.SIOCSIFADDR;
import static io.tcpstack.tun.LinuxConstants.SIOCSIFFLAGS;
import static io.tcpstack.tun.LinuxConstants.SIOCSIFMTU;
import static io.tcpstack.tun.LinuxConstants.SIOCSIFNETMASK;
import static io.tcpstack.tun.LinuxConstants.SIOCGIFTXQLEN;
import static io.tcpstack.tun.LinuxConstants.SIOCSIFTXQLEN;

import io.tcpstack.tun.TunException.Reason;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.util.Arrays;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads and ensures an interface's IPv4 address, netmask, MTU and up flag with the classic
 * interface ioctls on a control socket (netdevice(7)). They act in the socket's network namespace.
 *
 * <p>Every {@code ensure} reads the current value first and sets only what differs: reads need no
 * privilege, so a process without CAP_NET_ADMIN can attach to a device an administrator already
 * configured. When a change is needed and not permitted, the exception names the {@code ip}
 * commands that would prepare the device.
 */
final class Ifconfig {

  private static final Logger LOG = LoggerFactory.getLogger(Ifconfig.class);

  private final LibC libc;
  private final int socketFd;
  private final IfReq ifr;
  private final String prepareCommands;

  /**
   * @param prepareCommands the {@code ip} commands that would prepare the device so that no change
   *     is needed, for the advice in a NOT_PERMITTED exception
   */
  Ifconfig(LibC libc, int socketFd, IfReq ifr, String prepareCommands) {
    this.libc = libc;
    this.socketFd = socketFd;
    this.ifr = ifr;
    this.prepareCommands = prepareCommands;
  }

  /** Whether an interface of that name exists in the namespace of {@code socketFd}. */
  static boolean exists(LibC libc, int socketFd, IfReq ifr, String name) {
    return libc.ioctl(socketFd, SIOCGIFINDEX, ifr.reset(name).address()) == 0;
  }

  int mtu(String name) throws TunException {
    get(SIOCGIFMTU, name, "MTU");
    return ifr.mtu();
  }

  /**
   * Makes {@code address/prefixLength} the interface's primary IPv4 address, replacing a different
   * primary address as ifconfig does (SIOCSIFADDR).
   */
  void ensureAddress(String name, Inet4Address address, int prefixLength) throws TunException {
    String what = "the IPv4 address of " + name + " to " + address.getHostAddress() + "/" + prefixLength;
    byte[] wanted = address.getAddress();
    if (!getAddress(SIOCGIFADDR, name, wanted)) {
      set(SIOCSIFADDR, ifr.reset(name).inet4(wanted), what);
    }
    // SIOCSIFADDR gives a point-to-point device a /32; the netmask always needs its own check.
    byte[] mask = netmask(prefixLength);
    if (!getAddress(SIOCGIFNETMASK, name, mask)) {
      set(SIOCSIFNETMASK, ifr.reset(name).inet4(mask), what);
    }
  }

  /**
   * Gives the interface the IPv6 address {@code address/prefixLength} (SIOCSIFADDR on an AF_INET6
   * socket with a {@code struct in6_ifreq}, as ifconfig does; the kernel adds the prefix route),
   * unless it has it already (EEXIST), after making sure IPv6 is not disabled on it ({@code
   * /proc/sys/net/ipv6/conf/NAME/disable_ipv6}, read and written in the calling thread's network
   * namespace). A TUN device is IFF_NOARP: the kernel does no duplicate address detection on it,
   * so the address is usable at once.
   */
  void ensureAddress6(String name, Inet6Address address, int prefixLength) throws TunException {
    String what = "the IPv6 address of " + name + " to " + address.getHostAddress() + "/" + prefixLength;
    if (hasAddress6(name, address, prefixLength)) {
      return; // reads need no privilege: a prepared device is left alone
    }
    java.nio.file.Path disable = java.nio.file.Path.of("/proc/sys/net/ipv6/conf", name, "disable_ipv6");
    try {
      if (!java.nio.file.Files.exists(disable)) {
        throw new TunException(Reason.OTHER, 0, "cannot set " + what + ": IPv6 is not available in this kernel"
            + " or namespace (" + disable + " is missing; is ipv6.disable=1 on the kernel command line?)");
      }
      if (!java.nio.file.Files.readString(disable).trim().equals("0")) {
        java.nio.file.Files.writeString(disable, "0");
        LOG.debug("enabled IPv6 on {}", name);
      }
    } catch (java.io.IOException e) {
      throw new TunException(Reason.NOT_PERMITTED, 0, "cannot enable IPv6 on " + name + " (" + disable + "): "
          + e.getMessage() + ". Run with CAP_NET_ADMIN, or prepare the device: " + prepareCommands);
    }
    get(io.tcpstack.tun.LinuxConstants.SIOCGIFINDEX, name, "index");
    int ifindex = ifr.ifindex();
    int fd6 = libc.socket(LinuxConstants.AF_INET6, LinuxConstants.SOCK_DGRAM | LinuxConstants.SOCK_CLOEXEC, 0);
    if (fd6 < 0) {
      int errno = Native.errno();
      throw new TunException(Reason.OTHER, errno, "cannot set " + what + ": socket(AF_INET6) failed: "
          + Errno.describe(errno) + " (IPv6 disabled?)");
    }
    jnr.ffi.Pointer req = jnr.ffi.Memory.allocateDirect(Native.runtime(), LinuxConstants.IN6_IFREQ_SIZE, true);
    try {
      req.put(0, address.getAddress(), 0, 16);
      req.putInt(LinuxConstants.IN6_IFREQ_PREFIXLEN_OFFSET, prefixLength);
      req.putInt(LinuxConstants.IN6_IFREQ_IFINDEX_OFFSET, ifindex);
      if (libc.ioctl(fd6, SIOCSIFADDR, req.address()) == 0) {
        LOG.debug("set {}", what);
        return;
      }
      int errno = Native.errno();
      if (errno == Errno.EEXIST) {
        return; // already there
      }
      if (errno == Errno.EPERM || errno == Errno.EACCES) {
        throw new TunException(Reason.NOT_PERMITTED, errno, "not permitted to set " + what + ": "
            + Errno.describe(errno) + ". That needs CAP_NET_ADMIN: run with it, or have an admin"
            + " prepare the device once so that nothing needs changing: " + prepareCommands);
      }
      throw new TunException(Reason.OTHER, errno, "cannot set " + what + ": " + Errno.describe(errno)
          + ". See netdevice(7).");
    } finally {
      libc.close(fd6);
    }
  }

  /**
   * Whether {@code name} has {@code address/prefixLength}, from {@code /proc/thread-self/net/if_inet6}
   * (the calling thread's namespace: the thread that entered the device's; lines are "address
   * (32 hex digits) ifindex prefix scope flags name"). False when it cannot be read.
   */
  static boolean hasAddress6(String name, Inet6Address address, int prefixLength) {
    StringBuilder hex = new StringBuilder(32);
    for (byte b : address.getAddress()) {
      hex.append(Character.forDigit((b >> 4) & 0xF, 16)).append(Character.forDigit(b & 0xF, 16));
    }
    try {
      for (String line : java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/thread-self/net/if_inet6"))) {
        String[] f = line.trim().split("\\s+");
        if (f.length >= 6 && f[5].equals(name) && f[0].equalsIgnoreCase(hex.toString())
            && Integer.parseInt(f[2], 16) == prefixLength) {
          return true;
        }
      }
    } catch (java.io.IOException | RuntimeException e) {
      LOG.debug("cannot read the IPv6 addresses: {}", e.toString());
    }
    return false;
  }

  void ensureMtu(String name, int mtu) throws TunException {
    if (mtu(name) != mtu) {
      set(SIOCSIFMTU, ifr.reset(name).mtu(mtu), "the MTU of " + name + " to " + mtu);
    }
  }

  /**
   * Raises the device's transmit queue (the packets the kernel queues for the reader of a TUN
   * device) to at least {@code length}; never lowers it. Best effort: without the right to change
   * it (a prepared device) the queue stays as it is, and that is logged, not fatal.
   */
  void ensureTxQueueLength(String name, int length) throws TunException {
    get(SIOCGIFTXQLEN, name, "transmit queue length");
    int current = ifr.mtu(); // ifr_qlen shares ifr_mtu's place in the union
    if (current >= length) {
      return;
    }
    if (libc.ioctl(socketFd, SIOCSIFTXQLEN, ifr.reset(name).mtu(length).address()) == 0) {
      LOG.debug("set the transmit queue of {} to {}", name, length);
    } else {
      LOG.info("could not raise the transmit queue of {} from {} to {} packets ({}); bursts may be dropped",
          name, current, length, Errno.describe(Native.errno()));
    }
  }

  void ensureUp(String name) throws TunException {
    get(SIOCGIFFLAGS, name, "flags");
    short flags = ifr.flags();
    if ((flags & IFF_UP) == 0) {
      set(SIOCSIFFLAGS, ifr.reset(name).flags((short) (flags | IFF_UP)), name + " up");
    }
  }

  /** Whether the address read with {@code request} equals {@code wanted}; false if none is set. */
  private boolean getAddress(long request, String name, byte[] wanted) throws TunException {
    if (libc.ioctl(socketFd, request, ifr.reset(name).address()) != 0) {
      int errno = Native.errno();
      if (errno == Errno.EADDRNOTAVAIL) {
        return false; // no IPv4 address yet
      }
      throw new TunException(Reason.OTHER, errno,
          "cannot read the IPv4 address of " + name + ": " + Errno.describe(errno));
    }
    return Arrays.equals(ifr.inet4().getAddress(), wanted);
  }

  private void get(long request, String name, String what) throws TunException {
    if (libc.ioctl(socketFd, request, ifr.reset(name).address()) != 0) {
      int errno = Native.errno();
      throw new TunException(Reason.OTHER, errno,
          "cannot read the " + what + " of " + name + ": " + Errno.describe(errno));
    }
  }

  private void set(long request, IfReq filled, String what) throws TunException {
    if (libc.ioctl(socketFd, request, filled.address()) == 0) {
      LOG.debug("set {}", what);
      return;
    }
    int errno = Native.errno();
    if (errno == Errno.EPERM || errno == Errno.EACCES) {
      throw new TunException(Reason.NOT_PERMITTED, errno, "not permitted to set " + what + ": "
          + Errno.describe(errno) + ". That needs CAP_NET_ADMIN: run with it, or have an admin"
          + " prepare the device once so that nothing needs changing: " + prepareCommands);
    }
    throw new TunException(Reason.OTHER, errno, "cannot set " + what + ": " + Errno.describe(errno)
        + ". See netdevice(7).");
  }

  /** The IPv4 netmask of a prefix length, in network order: 24 → 255.255.255.0. */
  static byte[] netmask(int prefixLength) {
    int mask = prefixLength == 0 ? 0 : -1 << (32 - prefixLength);
    return new byte[] {(byte) (mask >>> 24), (byte) (mask >>> 16), (byte) (mask >>> 8), (byte) mask};
  }
}
