package io.tcpstack;

import io.tcpstack.api.TcpServerSocket;
import io.tcpstack.api.TcpSocket;
import io.tcpstack.api.UdpSocket;
import io.tcpstack.runtime.StackRuntime;
import io.tcpstack.runtime.TunLink;
import io.tcpstack.tun.TunDevice;
import io.tcpstack.tun.TunException;
import io.tcpstack.wire.IpAddress;
import io.tcpstack.wire.Ipv4Address;
import java.io.IOException;
import java.net.Inet6Address;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The stack as a library, in one call: opens a TUN device (optionally inside a named network
 * namespace), gives the kernel side its address and MTU, starts the stack loop on a thread of its
 * own, and returns this handle.
 *
 * <pre>{@code
 * try (TcpStack stack = TcpStack.builder().address("198.18.0.2/24").netns("demo").open()) {
 *   TcpServerSocket server = stack.listen(7);
 *   ...
 * }
 * }</pre>
 *
 * <p>The namespace ({@link Builder#netns}) must exist already ({@code ip netns add NAME}): this
 * never creates or removes one. {@link #close()} stops the loop and closes the device, which
 * removes a device this created (a persistent one, {@code ip tuntap add}, stays).
 *
 * <p>Failures to open are {@link IOException}s whose message says what to do: a {@link
 * TunException} for a missing {@code /dev/net/tun} ({@link TunException.Reason#NOT_AVAILABLE}) or
 * missing privilege ({@link TunException.Reason#NOT_PERMITTED}), an {@link AddressInUseException}
 * when another interface in the namespace already has the subnet.
 */
public final class TcpStack implements AutoCloseable {

  /** How long {@link #connect(InetSocketAddress)} waits for the handshake. */
  public static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(30);
  /** The backlog of {@link #listen(int)}: connections that may wait to be accepted. */
  public static final int BACKLOG = 128;

  private final StackRuntime runtime;
  private final String deviceName;
  private final String netns;

  private TcpStack(StackRuntime runtime, String deviceName, String netns) {
    this.runtime = runtime;
    this.deviceName = deviceName;
    this.netns = netns;
  }

  public static Builder builder() {
    return new Builder();
  }

  /** The running stack: its core, counters and the event API ({@link io.tcpstack.api.TcpChannel} etc.). */
  public StackRuntime runtime() {
    return runtime;
  }

  /** The TUN device's name, e.g. {@code tun0}. */
  public String deviceName() {
    return deviceName;
  }

  /** The network namespace the device is in, or null for the caller's. */
  public String netns() {
    return netns;
  }

  /** Listens on TCP {@code port} of the stack's addresses ({@link TcpServerSocket#bind}). */
  public TcpServerSocket listen(int port) throws IOException {
    return TcpServerSocket.bind(runtime, port, BACKLOG);
  }

  /** Opens a TCP connection from the stack to {@code remote} ({@link TcpSocket#connect}). */
  public TcpSocket connect(InetSocketAddress remote) throws IOException {
    if (remote.isUnresolved()) {
      throw new IOException("unresolved address " + remote + ": the stack has no resolver, pass an IP address");
    }
    return TcpSocket.connect(runtime, remote.getAddress(), remote.getPort(), CONNECT_TIMEOUT);
  }

  /** Binds UDP {@code port} of the stack's addresses ({@link UdpSocket#bind}). */
  public UdpSocket bindUdp(int port) throws IOException {
    return UdpSocket.bind(runtime, port);
  }

  /** Stops the stack loop and closes the TUN device (a device created by {@link Builder#open} is gone). Idempotent. */
  @Override
  public void close() {
    runtime.close();
  }

  @Override
  public String toString() {
    return "TcpStack[" + deviceName + (netns == null ? "" : " in netns " + netns) + "]";
  }

  /** Another interface in the namespace has the subnet already: the kernel would route it there, not to the stack. */
  public static final class AddressInUseException extends IOException {
    public AddressInUseException(String message) {
      super(message);
    }
  }

  /** Options of {@link TcpStack}; only {@link #address} is required. */
  public static final class Builder {

    private int address;
    private int prefixLength;
    private int hostAddress;
    private boolean addressSet;
    private IpAddress address6;
    private int prefixLength6;
    private IpAddress hostAddress6;
    private String netns;
    private String tun;
    private int mtu = 1500;
    private boolean offloads = true;
    private Path devicePath;

    private Builder() {}

    /**
     * The stack's IPv4 address and prefix, e.g. {@code "198.18.0.2/24"}. The kernel side takes the
     * lowest other host address of the subnet (here 198.18.0.1) unless {@link #hostAddress} says.
     */
    public Builder address(String addressSlashPrefix) {
      int slash = addressSlashPrefix.indexOf('/');
      if (slash < 0) {
        throw new IllegalArgumentException("address needs IP/PREFIX, e.g. 198.18.0.2/24; got '" + addressSlashPrefix + "'");
      }
      address = Ipv4Address.parse(addressSlashPrefix.substring(0, slash));
      prefixLength = Integer.parseInt(addressSlashPrefix.substring(slash + 1));
      if (prefixLength < 1 || prefixLength > 30) {
        throw new IllegalArgumentException("prefix must be 1..30, got " + prefixLength);
      }
      addressSet = true;
      return this;
    }

    /** The kernel side's IPv4 address on the device; in the stack's subnet. */
    public Builder hostAddress(String ip) {
      hostAddress = Ipv4Address.parse(ip);
      return this;
    }

    /**
     * The stack's IPv6 address and prefix beside the IPv4 one, e.g. {@code
     * "fd00:7463:7073::2/64"}; the kernel side takes ::1 of the prefix (::2 if that is the
     * stack's). Unset: IPv4 only.
     */
    public Builder address6(String addressSlashPrefix) {
      int slash = addressSlashPrefix.indexOf('/');
      if (slash < 0) {
        throw new IllegalArgumentException("address6 needs IP6/PREFIX, e.g. fd00:7463:7073::2/64; got '"
            + addressSlashPrefix + "'");
      }
      IpAddress a = IpAddress.parse(addressSlashPrefix.substring(0, slash));
      if (a.isIpv4()) {
        throw new IllegalArgumentException("address6 needs an IPv6 address, got " + a);
      }
      address6 = a;
      prefixLength6 = Integer.parseInt(addressSlashPrefix.substring(slash + 1));
      if (prefixLength6 < 1 || prefixLength6 > 126) {
        throw new IllegalArgumentException("IPv6 prefix must be 1..126, got " + prefixLength6);
      }
      return this;
    }

    /** The kernel side's IPv6 address on the device; in the stack's IPv6 prefix ({@link #address6}). */
    public Builder hostAddress6(String ip) {
      IpAddress a = IpAddress.parse(ip);
      if (a.isIpv4()) {
        throw new IllegalArgumentException("hostAddress6 needs an IPv6 address, got " + a);
      }
      hostAddress6 = a;
      return this;
    }

    /**
     * Runs the device in network namespace {@code name}, which must exist ({@code ip netns add
     * NAME}); needs root. Unset: the caller's namespace.
     */
    public Builder netns(String name) {
      this.netns = name;
      return this;
    }

    /**
     * The TUN device's name; unset lets the kernel pick one. An existing persistent TUN device of
     * that name ({@code ip tuntap add dev NAME mode tun user $USER}) is attached to.
     */
    public Builder tun(String name) {
      this.tun = name;
      return this;
    }

    /** The link's MTU, both the stack's and the device's (1500 by default). */
    public Builder mtu(int mtu) {
      this.mtu = mtu;
      return this;
    }

    /** Whether to ask the kernel for TUN checksum and TSO offloads (on by default; negotiated, falls back). */
    public Builder offloads(boolean offloads) {
      this.offloads = offloads;
      return this;
    }

    /** The TUN clone device, {@code /dev/net/tun} by default (tests point it elsewhere). */
    Builder devicePath(Path devicePath) {
      this.devicePath = devicePath;
      return this;
    }

    /**
     * Opens the device, configures its kernel side and starts the stack.
     *
     * @throws TunException no {@code /dev/net/tun}, no privilege, no such namespace: the message says what to do
     * @throws AddressInUseException another interface in the namespace has the subnet already
     * @throws IllegalStateException no {@link #address} was given
     */
    public TcpStack open() throws IOException {
      if (!addressSet) {
        throw new IllegalStateException("address(...) is required, e.g. address(\"198.18.0.2/24\")");
      }
      int host = hostAddress != 0 ? hostAddress : defaultHost(address, prefixLength);
      if (host == address || !Ipv4Address.sameSubnet(host, address, prefixLength)) {
        throw new IllegalArgumentException("the host address " + Ipv4Address.toString(host)
            + " must differ from the stack's and be in its subnet " + network(address, prefixLength));
      }
      IpAddress host6 = address6 == null ? null : hostAddress6 != null ? hostAddress6 : defaultHost6(address6, prefixLength6);
      if (hostAddress6 != null && (address6 == null || hostAddress6.equals(address6)
          || !hostAddress6.network(prefixLength6).equals(address6.network(prefixLength6)))) {
        throw new IllegalArgumentException("the host IPv6 address " + hostAddress6
            + " needs address6(...) and must differ from it and be in its prefix");
      }
      if (netns != null && !Files.exists(Path.of("/run/netns", netns))) {
        throw new TunException(TunException.Reason.NAMESPACE, 0, "network namespace " + netns
            + " does not exist: create it first with: ip netns add " + netns);
      }
      refuseAddressClash(netns, tun, address, prefixLength, address6, prefixLength6);
      TunDevice.Builder b = TunDevice.builder()
          .hostAddress(Ipv4Address.toInet(host), prefixLength)
          .mtu(mtu)
          .txQueueLength(TunLink.TX_QUEUE_PACKETS)
          .up(true);
      if (offloads) {
        b.vnetHeader(true).offloads(TunLink.TUN_OFFLOADS);
      }
      if (host6 != null) {
        b.hostAddress6((Inet6Address) host6.toInet(), prefixLength6);
      }
      if (tun != null) {
        b.name(tun);
      }
      if (netns != null) {
        b.netns(Path.of("/run/netns", netns)).loopbackUp(true);
      }
      if (devicePath != null) {
        b.devicePath(devicePath);
      }
      TunDevice device = b.open();
      try {
        StackConfig.Builder config = StackConfig.builder().address(address, prefixLength).mtu(mtu)
            .transmitThread(device.vnetHeaderSize() == 0); // as serve: a plain device writes from a thread of its own
        if (address6 != null) {
          config.address6(address6, prefixLength6);
        }
        StackRuntime runtime = StackRuntime.start(config.build(), new TunLink(device));
        return new TcpStack(runtime, device.name(), netns);
      } catch (RuntimeException e) {
        device.close();
        throw e;
      }
    }
  }

  /** The lowest host address of the subnet that is not the stack's. */
  static int defaultHost(int stack, int prefix) {
    int network = stack & Ipv4Address.netmask(prefix);
    return network + 1 == stack ? network + 2 : network + 1;
  }

  static IpAddress defaultHost6(IpAddress stack, int prefix) {
    IpAddress network = stack.network(prefix);
    IpAddress first = IpAddress.ofIpv6(network.hi(), network.lo() + 1);
    return first.equals(stack) ? IpAddress.ofIpv6(network.hi(), network.lo() + 2) : first;
  }

  private static String network(int address, int prefix) {
    return Ipv4Address.toString(address & Ipv4Address.netmask(prefix)) + "/" + prefix;
  }

  /**
   * Refuses a subnet another interface of the namespace has (as {@code ./tcpstack serve} does):
   * Linux would accept the address, but keep routing the subnet to the first interface, and the
   * stack would never hear a thing. Best effort: without the {@code ip} command there is no check.
   */
  static void refuseAddressClash(String netns, String ownDevice, int address, int prefix, IpAddress address6,
      int prefix6) throws AddressInUseException {
    List<String[]> addresses;
    try {
      addresses = addresses(netns);
    } catch (IOException e) {
      return;
    }
    String clash = clash(addresses, address, prefix, address6, prefix6, ownDevice);
    if (clash != null) {
      String where = netns == null ? "this network namespace" : "network namespace " + netns;
      throw new AddressInUseException("the stack's subnet is already in use in " + where + ": " + clash
          + " (another tcpstack still running?); pick another subnet, e.g. address(\"198.18.1.2/24\"),"
          + " or remove that address");
    }
  }

  /**
   * The first of {@code addresses} ({device, address/prefix}, IPv4 or IPv6) whose subnet overlaps
   * the stack's, as "DEV has A/P"; or null. The stack's own device (a prepared persistent one) is skipped.
   */
  static String clash(List<String[]> addresses, int address, int prefix, IpAddress address6, int prefix6,
      String ownDevice) {
    for (String[] a : addresses) {
      if (a[0].equals(ownDevice)) {
        continue;
      }
      int slash = a[1].indexOf('/');
      IpAddress other;
      int otherPrefix;
      try {
        other = IpAddress.parse(a[1].substring(0, slash));
        otherPrefix = Integer.parseInt(a[1].substring(slash + 1));
      } catch (RuntimeException e) {
        continue; // not an address we understand: no opinion
      }
      if (other.isIpv4()) {
        if (otherPrefix >= 0 && otherPrefix <= 32
            && Ipv4Address.sameSubnet(Ipv4Address.parse(other.toString()), address, Math.min(otherPrefix, prefix))) {
          return a[0] + " has " + a[1];
        }
      } else if (address6 != null && otherPrefix >= 0 && otherPrefix <= IpAddress.IPV6_BITS) {
        int common = Math.min(otherPrefix, prefix6);
        if (other.network(common).equals(address6.network(common))) {
          return a[0] + " has " + a[1];
        }
      }
    }
    return null;
  }

  /** {device, address/prefix} of each global address in {@code netns} (null: the caller's), from {@code ip -o addr}. */
  private static List<String[]> addresses(String netns) throws IOException {
    List<String> command = new ArrayList<>(List.of("ip"));
    if (netns != null) {
      command.addAll(List.of("-n", netns));
    }
    command.addAll(List.of("-o", "addr", "show", "scope", "global"));
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    String out;
    try {
      out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
        p.destroyForcibly();
        throw new IOException(String.join(" ", command) + " failed: " + out);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted", e);
    }
    List<String[]> addresses = new ArrayList<>();
    for (String line : out.split("\n")) {
      // "5: tun0    inet 198.18.0.1/24 scope global tun0\       valid_lft forever ..."
      String[] f = line.trim().split("\\s+");
      if (f.length >= 4 && (f[2].equals("inet") || f[2].equals("inet6"))) {
        addresses.add(new String[] {f[1], f[3]});
      }
    }
    return addresses;
  }
}
