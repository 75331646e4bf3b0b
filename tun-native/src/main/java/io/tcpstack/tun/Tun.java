package io.tcpstack.tun;

import static io.tcpstack.tun.LinuxConstants.CAP_NET_ADMIN;
import static io.tcpstack.tun.LinuxConstants.O_CLOEXEC;
import static io.tcpstack.tun.LinuxConstants.O_NONBLOCK;
import static io.tcpstack.tun.LinuxConstants.O_RDWR;

import io.tcpstack.tun.TunException.Reason;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Whether this process can create TUN devices, in the style of Netty's {@code Epoll}: probed once,
 * then cached.
 *
 * <p>Available means: jnr-ffi binds libc, {@code /dev/net/tun} opens read-write, and the process
 * has CAP_NET_ADMIN in its effective set, which TUNSETIFF needs to create a device. The probe
 * creates nothing: a device made here would appear in the caller's network namespace. A process
 * for which this says unavailable may still attach to a persistent device prepared for its user
 * ({@code ip tuntap add dev NAME mode tun user $USER}).
 */
public final class Tun {

  private static final Path DEVICE = Path.of("/dev/net/tun");
  private static final Path PROC_SELF_STATUS = Path.of("/proc/self/status");
  private static final Throwable UNAVAILABILITY_CAUSE = probe(DEVICE, PROC_SELF_STATUS);

  /**
   * Whether this process can create TUN devices; probed once, when this class is initialized.
   *
   * @return true if TUN is available, false if not ({@link #unavailabilityCause()} says why)
   */
  public static boolean isAvailable() {
    return UNAVAILABILITY_CAUSE == null;
  }

  /**
   * Why TUN is not available.
   *
   * @return the cause (usually a {@link TunException}), or null if TUN is available
   */
  public static Throwable unavailabilityCause() {
    return UNAVAILABILITY_CAUSE;
  }

  /**
   * Throws unless TUN is available.
   *
   * @throws UnsupportedOperationException carrying {@link #unavailabilityCause()}, if unavailable
   */
  public static void ensureAvailability() {
    if (UNAVAILABILITY_CAUSE != null) {
      throw new UnsupportedOperationException(
          "TUN is not available: " + UNAVAILABILITY_CAUSE.getMessage(), UNAVAILABILITY_CAUSE);
    }
  }

  static Throwable probe(Path device, Path procStatus) {
    try {
      LibC libc = Native.libc();
      int fd = libc.open(device.toString(), O_RDWR | O_NONBLOCK | O_CLOEXEC);
      if (fd < 0) {
        return Diagnosis.openDevice(device, Native.errno());
      }
      libc.close(fd);
      long effective = effectiveCapabilities(procStatus);
      if ((effective & (1L << CAP_NET_ADMIN)) == 0) {
        return new TunException(Reason.NOT_PERMITTED, 0, "this process lacks CAP_NET_ADMIN (CapEff "
            + Long.toHexString(effective) + " in " + procStatus + "), which creating a TUN device needs."
            + " Run as root or grant the capability (setcap cap_net_admin+ep on the java binary, or"
            + " AmbientCapabilities=CAP_NET_ADMIN in a systemd unit); or have an admin create a"
            + " persistent device for this user (ip tuntap add dev NAME mode tun user $USER) and open"
            + " it by name.");
      }
      return null;
    } catch (Throwable t) {
      return t;
    }
  }

  /** The CapEff bit set of this process, from proc(5) {@code /proc/self/status}. */
  private static long effectiveCapabilities(Path procStatus) throws IOException {
    for (String line : Files.readAllLines(procStatus)) {
      if (line.startsWith("CapEff:")) {
        return Long.parseUnsignedLong(line.substring("CapEff:".length()).trim(), 16);
      }
    }
    throw new IOException("no CapEff line in " + procStatus);
  }

  private Tun() {}
}
