package io.tcpstack;

import io.tcpstack.api.TcpServerSocket;
import io.tcpstack.api.TcpSocket;
import io.tcpstack.api.UdpSocket;
import io.tcpstack.runtime.AddressClash;
import io.tcpstack.runtime.StackRuntime;
import io.tcpstack.runtime.TunLink;
import io.tcpstack.tun.TunDevice;
import io.tcpstack.tun.TunException;
import io.tcpstack.wire.IpAddress;
import io.tcpstack.wire.Ipv4Address;
import java.io.IOException;
import java.net.Inet6Address;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The stack as a library, in one call: opens a TUN device (optionally inside a named network
 * namespace), gives the kernel side its address and MTU, starts the stack loop on a thread of its
 * own, and returns this handle.
 *
 * <pre>{@code
 * try (TcpStack stack = TcpStack.builder().address("198.18.0.2/24").netns("demo").open();
 *     TcpServerSocket server = stack.listen(7)) {
 *   TcpSocket client = server.accept();
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
 *
 * <p>A launcher may stand in for {@link Builder#open}: the {@code ./tcpstack run NAME} command
 * installs a {@link Provider}, so that the example program it runs gets the stack its command line
 * describes ({@code --netns}, {@code --address}, {@code --impair}, {@code --pcap}, ...) from the
 * same {@code TcpStack.builder()...open()} call the program makes when run on its own.
 */
public final class TcpStack implements AutoCloseable {

  /** How long {@link #connect(InetSocketAddress)} waits for the handshake. */
  public static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(30);

  private static volatile Provider provider;

  private final StackRuntime runtime;
  private final String deviceName;
  private final String netns;
  private final String description;
  private final int backlog;
  private final AutoCloseable onClose;
  private final AtomicBoolean closed = new AtomicBoolean();

  private TcpStack(StackRuntime runtime, String deviceName, String netns, String description, int backlog,
      AutoCloseable onClose) {
    this.runtime = runtime;
    this.deviceName = deviceName;
    this.netns = netns;
    this.description = description;
    this.backlog = backlog;
    this.onClose = onClose;
  }

  /**
   * Starts describing a stack to open.
   *
   * @return a builder with the defaults: no address yet, MTU 1500, offloads on, the loop on a
   *     thread of its own, backlog {@value StackConfig#DEFAULT_BACKLOG}
   */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Opens the stacks a program asks for with {@link Builder#open}, in its place: how a launcher
   * hands a program the stack its own command line describes. The builder's settings other than
   * {@link Builder#ownThread} are the program's defaults, which the launcher's options replace.
   */
  @FunctionalInterface
  public interface Provider {
    /**
     * Opens a stack for a program that called {@link Builder#open}.
     *
     * @param ownThread whether the program wants the loop on a thread of its own ({@link
     *     Builder#ownThread})
     * @return the running stack; closing it releases what the provider opened
     * @throws IOException if the stack cannot be opened; the message says what to do
     */
    TcpStack open(boolean ownThread) throws IOException;
  }

  /**
   * Installs (or, with null, removes) the provider that {@link Builder#open} defers to, for the
   * whole process.
   *
   * @param provider the launcher's provider, or null to open stacks as the builder says again
   */
  public static void provide(Provider provider) {
    TcpStack.provider = provider;
  }

  /**
   * A handle over a stack someone else opened — a launcher with its own device set-up.
   *
   * @param runtime the running stack
   * @param deviceName its device's name, for people
   * @param netns the network namespace the device is in, or null for the caller's
   * @param description one line saying where the stack is, returned by {@link #toString()}
   * @param backlog the backlog {@link #listen(int)} uses
   * @param onClose run by {@link #close()} after the runtime is closed (to remove what the opener
   *     created), or null
   * @return the handle; closing it closes {@code runtime}
   */
  public static TcpStack of(StackRuntime runtime, String deviceName, String netns, String description, int backlog,
      AutoCloseable onClose) {
    return new TcpStack(Objects.requireNonNull(runtime, "runtime"), deviceName, netns, description, backlog, onClose);
  }

  /**
   * The running stack: its core, counters and the event API ({@link io.tcpstack.api.TcpChannel},
   * {@link io.tcpstack.api.TcpServerChannel}, {@link io.tcpstack.api.UdpChannel}).
   *
   * @return the runtime; it is closed with this handle
   */
  public StackRuntime runtime() {
    return runtime;
  }

  /**
   * The TUN device's name.
   *
   * @return e.g. {@code tun0}
   */
  public String deviceName() {
    return deviceName;
  }

  /**
   * The network namespace the device is in.
   *
   * @return its name, or null for the caller's own namespace
   */
  public String netns() {
    return netns;
  }

  /**
   * The backlog {@link #listen(int)} gives a listening port ({@link Builder#backlog}).
   *
   * @return how many established connections may wait to be accepted on each port
   */
  public int backlog() {
    return backlog;
  }

  /**
   * Listens on TCP {@code port} of the stack's addresses (IPv4 and, if it has one, IPv6) with the
   * stack's backlog ({@link Builder#backlog}).
   *
   * @param port 1..65535
   * @return the listening socket; {@link TcpServerSocket#accept()} takes its connections
   * @throws IOException if the port is taken already
   */
  public TcpServerSocket listen(int port) throws IOException {
    return TcpServerSocket.bind(runtime, port, backlog);
  }

  /**
   * Listens on TCP {@code port}: up to {@code backlog} established connections wait to be accepted
   * (Linux's {@code listen(2)} backlog).
   *
   * @param port 1..65535
   * @param backlog at least 1
   * @return the listening socket
   * @throws IOException if the port is taken already
   */
  public TcpServerSocket listen(int port, int backlog) throws IOException {
    return TcpServerSocket.bind(runtime, port, backlog);
  }

  /**
   * Opens a TCP connection from the stack to {@code remote}, waiting up to {@link #CONNECT_TIMEOUT}
   * for the handshake.
   *
   * @param remote an IP address and port (no name resolution here)
   * @return the connected socket
   * @throws IOException if the peer refuses ({@link io.tcpstack.api.ConnectionRefusedException}),
   *     does not answer ({@link io.tcpstack.api.ConnectionTimedOutException}), or {@code remote} is
   *     unresolved
   */
  public TcpSocket connect(InetSocketAddress remote) throws IOException {
    if (remote.isUnresolved()) {
      throw new IOException("unresolved address " + remote + ": the stack has no resolver, pass an IP address");
    }
    return TcpSocket.connect(runtime, remote.getAddress(), remote.getPort(), CONNECT_TIMEOUT);
  }

  /**
   * Binds UDP {@code port} of the stack's addresses.
   *
   * @param port 1..65535
   * @return the bound socket
   * @throws IOException if the port is taken already
   */
  public UdpSocket bindUdp(int port) throws IOException {
    return UdpSocket.bind(runtime, port);
  }

  /**
   * Blocks until the stack stops: another thread closed it, or its loop failed (the device went
   * away, out of memory). A server's main thread can wait here while the event API serves.
   *
   * @throws IOException if the loop failed: the message says why
   * @throws InterruptedException if the waiting thread is interrupted (Ctrl-C under the launcher)
   */
  public void awaitTermination() throws IOException, InterruptedException {
    runtime.awaitTermination();
    Throwable failure = runtime.failure();
    if (failure != null) {
      throw new IOException("the stack stopped: " + (failure.getMessage() != null ? failure.getMessage() : failure),
          failure);
    }
  }

  /** Stops the stack loop and closes the TUN device (a device created by {@link Builder#open} is gone). Idempotent. */
  @Override
  public void close() {
    runtime.close();
    if (onClose != null && !closed.getAndSet(true)) {
      try {
        onClose.close();
      } catch (Exception e) {
        throw new IllegalStateException("closing " + description + " failed: " + e.getMessage(), e);
      }
    }
  }

  /**
   * Where the stack is, in one line for people.
   *
   * @return e.g. {@code stack 198.18.0.2 on tun0 in netns demo, host side 198.18.0.1/24, mtu 1500}
   */
  @Override
  public String toString() {
    return description;
  }

  /** Another interface in the namespace has the subnet already: the kernel would route it there, not to the stack. */
  public static final class AddressInUseException extends IOException {
    /**
     * Creates the exception.
     *
     * @param message which subnet, which interface has it, and what to do
     */
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
    private int backlog = StackConfig.DEFAULT_BACKLOG;
    private boolean ownThread = true;
    private Path devicePath;

    private Builder() {}

    /**
     * The stack's IPv4 address and prefix, e.g. {@code "198.18.0.2/24"}. The kernel side takes the
     * lowest other host address of the subnet (here 198.18.0.1) unless {@link #hostAddress} says.
     * Required.
     *
     * @param addressSlashPrefix {@code IP/PREFIX}, the prefix 1..30
     * @return this builder
     * @throws IllegalArgumentException if it is not an IPv4 address and prefix
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

    /**
     * The kernel side's IPv4 address on the device, in the stack's subnet; by default the lowest
     * other host address of the subnet.
     *
     * @param ip an IPv4 address, e.g. {@code "198.18.0.1"}
     * @return this builder
     * @throws IllegalArgumentException if it is not an IPv4 address
     */
    public Builder hostAddress(String ip) {
      hostAddress = Ipv4Address.parse(ip);
      return this;
    }

    /**
     * The stack's IPv6 address and prefix beside the IPv4 one, e.g. {@code
     * "fd00:7463:7073::2/64"}; the kernel side takes ::1 of the prefix (::2 if that is the
     * stack's). Unset: IPv4 only.
     *
     * @param addressSlashPrefix {@code IP6/PREFIX}, the prefix 1..126
     * @return this builder
     * @throws IllegalArgumentException if it is not an IPv6 address and prefix
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

    /**
     * The kernel side's IPv6 address on the device, in the stack's IPv6 prefix ({@link #address6}).
     *
     * @param ip an IPv6 address, e.g. {@code "fd00:7463:7073::1"}
     * @return this builder
     * @throws IllegalArgumentException if it is not an IPv6 address
     */
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
     *
     * @param name the namespace's name, as {@code ip netns list} shows it; null for the caller's
     * @return this builder
     */
    public Builder netns(String name) {
      this.netns = name;
      return this;
    }

    /**
     * The TUN device's name; unset lets the kernel pick one. An existing persistent TUN device of
     * that name ({@code ip tuntap add dev NAME mode tun user $USER}) is attached to.
     *
     * @param name at most 15 characters, e.g. {@code tun0}; null lets the kernel pick
     * @return this builder
     */
    public Builder tun(String name) {
      this.tun = name;
      return this;
    }

    /**
     * The link's MTU, both the stack's and the device's.
     *
     * @param mtu in bytes; 1500 by default (1280 at least with {@link #address6})
     * @return this builder
     */
    public Builder mtu(int mtu) {
      this.mtu = mtu;
      return this;
    }

    /**
     * Whether to ask the kernel for TUN checksum and TSO offloads: on by default; negotiated, so a
     * kernel that refuses gives a plain device.
     *
     * @param offloads false for a plain TUN device, one packet per read and write
     * @return this builder
     */
    public Builder offloads(boolean offloads) {
      this.offloads = offloads;
      return this;
    }

    /**
     * The backlog of {@link TcpStack#listen(int)}: how many established connections may wait to be
     * accepted on each listening port.
     *
     * @param backlog at least 1; {@value StackConfig#DEFAULT_BACKLOG} by default, as Linux's {@code somaxconn}
     * @return this builder
     */
    public Builder backlog(int backlog) {
      if (backlog < 1) {
        throw new IllegalArgumentException("backlog must be at least 1, got " + backlog);
      }
      this.backlog = backlog;
      return this;
    }

    /**
     * Whether the stack loop runs on a thread of its own (the default). With false nothing runs it
     * until the caller does: a Netty {@link io.tcpstack.netty.TcpStackEventLoop} over {@link
     * TcpStack#runtime()}, or {@link StackRuntime#doWork()} and {@link StackRuntime#awaitWork()} in
     * a loop of the caller's, whose thread becomes the stack thread.
     *
     * @param ownThread false to drive the loop from the caller's thread
     * @return this builder
     */
    public Builder ownThread(boolean ownThread) {
      this.ownThread = ownThread;
      return this;
    }

    /** The TUN clone device, {@code /dev/net/tun} by default (tests point it elsewhere). */
    Builder devicePath(Path devicePath) {
      this.devicePath = devicePath;
      return this;
    }

    /**
     * Opens the device, configures its kernel side and starts the stack — or, when a launcher has
     * installed a {@link Provider} ({@link TcpStack#provide}), returns the stack it opens instead.
     *
     * @return the running stack; close it to stop it and remove the device
     * @throws TunException no {@code /dev/net/tun}, no privilege, no such namespace: the message says what to do
     * @throws AddressInUseException another interface in the namespace has the subnet already
     * @throws IllegalStateException no {@link #address} was given
     */
    public TcpStack open() throws IOException {
      Provider p = provider;
      if (p != null) {
        return p.open(ownThread);
      }
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
      refuseAddressClash(netns, tun, IpAddress.ofIpv4(address), prefixLength, "address(\"198.18.1.2/24\")");
      if (address6 != null) {
        refuseAddressClash(netns, tun, address6, prefixLength6, "address6(\"fd00:7463:7073:1::2/64\")");
      }
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
        StackRuntime runtime = ownThread ? StackRuntime.start(config.build(), new TunLink(device))
            : StackRuntime.open(config.build(), new TunLink(device), System::nanoTime);
        String description = "stack " + Ipv4Address.toString(address) + (address6 == null ? "" : " and " + address6)
            + " on " + device.name() + (netns == null ? "" : " in netns " + netns)
            + ", host side " + Ipv4Address.toString(host) + "/" + prefixLength
            + (host6 == null ? "" : " and " + host6 + "/" + prefixLength6) + ", mtu " + mtu;
        return new TcpStack(runtime, device.name(), netns, description, backlog, null);
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

  /** Refuses a subnet another interface of the namespace has ({@link AddressClash}), naming {@code instead}. */
  private static void refuseAddressClash(String netns, String ownDevice, IpAddress address, int prefix,
      String instead) throws AddressInUseException {
    String clash = AddressClash.check(netns, ownDevice, address, prefix);
    if (clash != null) {
      throw new AddressInUseException(clash + " (another tcpstack still running?); pick another subnet, e.g. "
          + instead + ", or remove that address");
    }
  }
}
