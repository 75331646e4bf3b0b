package io.tcpstack.tun;

import static io.tcpstack.tun.Errno.EACCES;
import static io.tcpstack.tun.Errno.EBUSY;
import static io.tcpstack.tun.Errno.EINVAL;
import static io.tcpstack.tun.Errno.ENODEV;
import static io.tcpstack.tun.Errno.ENOENT;
import static io.tcpstack.tun.Errno.ENXIO;
import static io.tcpstack.tun.Errno.EPERM;

import io.tcpstack.tun.TunException.Reason;
import java.nio.file.Path;

/**
 * Turns a failed TUN system call into a {@link TunException} that says what happened and what to
 * do. The advice names the exact commands an administrator would run.
 */
final class Diagnosis {

  private static final Path IP_NETNS_DIR = Path.of("/run/netns");

  /** The {@code ip} command line that acts in {@code netns} (null: the current namespace). */
  static String ip(Path netns) {
    if (netns == null) {
      return "ip";
    }
    if (IP_NETNS_DIR.equals(netns.getParent())) {
      return "ip -n " + netns.getFileName();
    }
    return "nsenter --net=" + netns + " ip";
  }

  /** open(2) of /dev/net/tun failed. */
  static TunException openDevice(Path devicePath, int errno) {
    String what = "cannot open " + devicePath + ": " + Errno.describe(errno) + ". ";
    return switch (errno) {
      case ENOENT, ENODEV, ENXIO -> new TunException(Reason.NOT_AVAILABLE, errno, what
          + "The TUN driver is not available: load the tun module (modprobe tun), or create the"
          + " device node: mkdir -p /dev/net && mknod /dev/net/tun c 10 200 && chmod 0666 /dev/net/tun."
          + " In a container, pass it in (docker run --device /dev/net/tun --cap-add NET_ADMIN).");
      case EPERM, EACCES -> new TunException(Reason.NOT_PERMITTED, errno, what
          + "This user may not read and write it: its usual mode is 0666 (chmod 0666 " + devicePath
          + "), or run as root.");
      default -> new TunException(Reason.OTHER, errno, what + "See open(2).");
    };
  }

  /**
   * TUNSETIFF failed.
   *
   * @param name the name asked for, null if the kernel was to pick one
   * @param exists whether an interface of that name existed when the call failed
   */
  static TunException setIff(String name, int errno, boolean exists, Path netns) {
    String ip = ip(netns);
    String shown = name == null ? "tcps0" : name;
    String persistent = ip + " tuntap add dev " + shown + " mode tun user $USER";
    String device = name == null ? "a TUN device" : "TUN device " + name;
    return switch (errno) {
      case EPERM, EACCES -> exists
          ? new TunException(Reason.NOT_PERMITTED, errno, "not permitted to attach to the existing "
              + device + ": " + Errno.describe(errno) + ". It belongs to another user or group"
              + " (see: " + ip + " -d link show " + name + "). Run with CAP_NET_ADMIN, or recreate it"
              + " for this user: " + ip + " link del " + name + " && " + persistent)
          : new TunException(Reason.NOT_PERMITTED, errno, "not permitted to create " + device + ": "
              + Errno.describe(errno) + ". Creating one needs CAP_NET_ADMIN: run as root or grant"
              + " the capability (setcap cap_net_admin+ep on the java binary), or have an admin"
              + " create a persistent device for this user once and open it by name: " + persistent);
      case EBUSY -> new TunException(Reason.BUSY, errno, device + " is busy: " + Errno.describe(errno)
          + ". Another file descriptor (another process, or another TunDevice in this one) has this"
          + " single-queue device open. Close that one, or use another name.");
      case EINVAL -> {
        if (name != null && exists) {
          yield new TunException(Reason.FLAGS_MISMATCH, errno, "cannot attach to " + name + ": "
              + Errno.describe(errno) + ". An interface of that name exists but is not a TUN device"
              + " this can attach to: it is a TAP device, another kind of interface, or a TUN"
              + " device in multi_queue mode (this opens a single queue, IFF_TUN | IFF_NO_PI)."
              + " Inspect it with: " + ip + " -d link show " + name + "; or recreate it: " + ip
              + " link del " + name + " && " + persistent);
        }
        if (name != null) {
          yield new TunException(Reason.INVALID_NAME, errno, "the kernel rejected the device name '"
              + name + "': " + Errno.describe(errno) + ". " + TunDevice.NAME_RULES);
        }
        yield new TunException(Reason.OTHER, errno, "TUNSETIFF failed: " + Errno.describe(errno)
            + ". See Documentation/networking/tuntap.rst.");
      }
      default -> new TunException(Reason.OTHER, errno, "TUNSETIFF on " + device + " failed: "
          + Errno.describe(errno) + ". See Documentation/networking/tuntap.rst.");
    };
  }

  /** open(2) of a network namespace file failed. */
  static TunException openNamespace(Path netns, int errno) {
    String what = "cannot open network namespace " + netns + ": " + Errno.describe(errno) + ". ";
    return switch (errno) {
      case ENOENT -> new TunException(Reason.NAMESPACE, errno, what + "It does not exist: create it"
          + " with: ip netns add " + netns.getFileName());
      case EPERM, EACCES -> new TunException(Reason.NOT_PERMITTED, errno, what
          + "This user may not open it: run as root, or start the JVM inside the namespace"
          + " (ip netns exec NAME java ...) and leave netns unset.");
      default -> new TunException(Reason.NAMESPACE, errno, what + "See setns(2).");
    };
  }

  /** setns(2) into a network namespace failed. */
  static TunException enterNamespace(Path netns, int errno) {
    String what = "cannot enter network namespace " + netns + ": " + Errno.describe(errno) + ". ";
    return switch (errno) {
      case EPERM -> new TunException(Reason.NOT_PERMITTED, errno, what + "Entering a namespace needs"
          + " CAP_SYS_ADMIN: run as root, or start the JVM inside the namespace"
          + " (ip netns exec " + netns.getFileName() + " java ...) and leave netns unset.");
      case EINVAL -> new TunException(Reason.NAMESPACE, errno, what + "The file is not a network"
          + " namespace: pass /run/netns/NAME as made by ip netns add NAME, or /proc/PID/ns/net.");
      default -> new TunException(Reason.NAMESPACE, errno, what + "See setns(2).");
    };
  }

  private Diagnosis() {}
}
