package io.tcpstack.examples.launcher;

import io.tcpstack.StackConfig;
import io.tcpstack.device.Impairment;
import io.tcpstack.tcp.cc.CongestionAlgorithm;
import io.tcpstack.wire.IpAddress;
import io.tcpstack.wire.Ipv4Address;
import io.tcpstack.wire.Ipv6Header;
import java.util.List;

/**
 * The options of {@code ./tcpstack serve}, parsed and checked. The defaults put the stack in
 * 198.18.0.0/24, part of the range RFC 2544 §C.2.2 sets aside for benchmarking — not used by home
 * or office LANs, so it rarely clashes with a user's network.
 */
public final class ServeOptions {

  public static final String DEFAULT_STACK_ADDRESS = "198.18.0.2";
  public static final int DEFAULT_PREFIX = 24;
  /**
   * The stack's IPv6 address by default: in fd00:7463:7073::/64, a unique-local prefix (RFC 4193
   * §3.1: fd00::/8 with a 40-bit Global ID, here the ASCII of "tcps") — routed nowhere beyond the
   * host, so it never clashes with a real network. The host side takes ::1.
   */
  public static final String DEFAULT_STACK_ADDRESS6 = "fd00:7463:7073::2";
  public static final int DEFAULT_PREFIX6 = 64;
  public static final int DEFAULT_MTU = 1500;
  /** The largest {@code --backlog}: Linux's {@code somaxconn} cannot go higher either (a 16-bit field before 5.4). */
  public static final int MAX_BACKLOG = 65_535;
  /** The largest {@code --buffer-memory}: 1 TiB. */
  public static final long MAX_BUFFER_MEMORY = 1L << 40;

  /** Network namespace to run in, or null for the caller's. */
  public final String netns;
  /** TUN device name, or null to let the kernel pick one. */
  public final String tun;
  public final int stackAddress;
  public final int prefixLength;
  public final int hostAddress;
  /** The stack's IPv6 address ({@code --address6}), or null with {@code --address6 off}. */
  public final IpAddress stackAddress6;
  /** The prefix length of {@link #stackAddress6}. */
  public final int prefixLength6;
  /** The kernel side's IPv6 address ({@code --host-address6}), or null without IPv6. */
  public final IpAddress hostAddress6;
  /**
   * Whether IPv6 was asked for ({@code --address6} or {@code --host-address6} given), rather than
   * on by default: only then is a device that may not get its IPv6 address an error.
   */
  public final boolean address6Explicit;
  public final int mtu;
  /** What the link does wrong, both ways ({@code --impair}); {@link Impairment#NONE} by default. */
  public final Impairment impairment;
  /** Connections that may wait to be accepted, per listening port ({@code --backlog}). */
  public final int backlog;
  /** Connections at once, stack-wide ({@code --max-connections}, {@link StackConfig#maxConnections()}). */
  public final int maxConnections;
  /** Bytes of TCP buffers all connections may hold ({@code --buffer-memory}, {@link StackConfig#bufferMemory()}). */
  public final long bufferMemory;
  /**
   * Whether to ask the kernel for TUN offloads ({@code --offload on|off}, default on): checksums
   * and TCP super-segments both ways (see io.tcpstack.ip.Offload and TunLink).
   */
  public final boolean offload;
  /**
   * The congestion control of the stack's connections ({@code --congestion cubic|newreno}, {@link
   * StackConfig#congestionControl()}; CUBIC by default).
   */
  public final CongestionAlgorithm congestion;
  /** The packet capture ({@code --pcap FILE}, {@code --pcap-limit}, {@code --pcap-files}), or null. */
  public final CaptureOptions capture;

  private ServeOptions(String netns, String tun, int stackAddress, int prefixLength, int hostAddress,
      IpAddress stackAddress6, int prefixLength6, IpAddress hostAddress6, boolean address6Explicit, int mtu,
      Impairment impairment, int backlog, int maxConnections, long bufferMemory, boolean offload,
      CongestionAlgorithm congestion, CaptureOptions capture) {
    this.capture = capture;
    this.address6Explicit = address6Explicit;
    this.stackAddress6 = stackAddress6;
    this.prefixLength6 = prefixLength6;
    this.hostAddress6 = hostAddress6;
    this.offload = offload;
    this.congestion = congestion;
    this.netns = netns;
    this.tun = tun;
    this.stackAddress = stackAddress;
    this.prefixLength = prefixLength;
    this.hostAddress = hostAddress;
    this.mtu = mtu;
    this.impairment = impairment;
    this.backlog = backlog;
    this.maxConnections = maxConnections;
    this.bufferMemory = bufferMemory;
  }

  /**
   * The stack built for these options: address, MTU, connections, buffer memory, congestion
   * control.
   */
  public StackConfig.Builder stackConfig() {
    StackConfig.Builder b = StackConfig.builder()
        .address(stackAddress, prefixLength);
    if (stackAddress6 != null) {
      b.address6(stackAddress6, prefixLength6);
    }
    return b
        .mtu(mtu)
        .maxConnections(maxConnections)
        .bufferMemory(bufferMemory)
        .congestionControl(congestion);
  }

  public static final String USAGE =
      "  serve [--netns NAME] [--tun DEV] [--address STACK_IP/PREFIX] [--host-address HOST_IP]\n"
          + "        [--address6 STACK_IP6/PREFIX|off] [--host-address6 HOST_IP6] [--mtu N] [--impair SPEC]\n"
          + "        [--pcap FILE [--pcap-limit SIZE] [--pcap-files N]]\n"
          + "        [--backlog N] [--max-connections N] [--buffer-memory SIZE] [--offload on|off]\n"
          + "        [--congestion cubic|newreno] [--log SPEC]\n"
          + "      Runs the stack on a TUN device; ping STACK_IP from the host side.\n"
          + "      --netns NAME            run in network namespace NAME (created if absent, removed on exit if created)\n"
          + "      --tun DEV               TUN device name (default: the kernel picks tunN); an existing persistent\n"
          + "                              device (ip tuntap add dev DEV mode tun user $USER) is attached to\n"
          + "      --address IP/PREFIX     the stack's address (default " + DEFAULT_STACK_ADDRESS + "/" + DEFAULT_PREFIX + ")\n"
          + "      --host-address IP       the kernel side's address (default: the first other address of the subnet)\n"
          + "      --address6 IP6/PREFIX   the stack's IPv6 address, beside the IPv4 one (default " + DEFAULT_STACK_ADDRESS6
          + "/" + DEFAULT_PREFIX6 + ";\n"
          + "                              off: IPv4 only); needs an MTU of at least 1280\n"
          + "      --host-address6 IP6     the kernel side's IPv6 address (default: ::1 of the prefix, or ::2 if that\n"
          + "                              is the stack's)\n"
          + "      --mtu N                 MTU of the link, " + StackConfig.MIN_MTU + ".." + StackConfig.MAX_DATAGRAM
          + " (default " + DEFAULT_MTU + ")\n"
          + "      --impair SPEC           impair both directions of the link, e.g. loss=5%,delay=10ms,jitter=5ms:\n"
          + "                              loss dup reorder corrupt (0-100%), delay jitter (us ms s),\n"
          + "                              rate (bit kbit mbit gbit), limit (packets queued at rate), seed\n"
          + "      --backlog N             connections waiting to be accepted, per port, 1.." + MAX_BACKLOG
          + " (default " + StackConfig.DEFAULT_BACKLOG + ")\n"
          + "      --max-connections N     connections at once, at least 1 (default " + StackConfig.DEFAULT_MAX_CONNECTIONS
          + ")\n"
          + "      --buffer-memory SIZE    TCP buffer memory of all connections together, e.g. 256m, 1g, or bytes;\n"
          + "                              at least 1m (default " + (StackConfig.DEFAULT_BUFFER_MEMORY >> 20) + "m)\n"
          + "      --offload on|off        TUN offloads: the kernel checksums and cuts 64 KiB TCP super-segments\n"
          + "                              both ways (default on; off: one packet per system call). Where the\n"
          + "                              kernel or a prepared device refuses, one log line says so and plain\n"
          + "                              TUN is used\n"
          + "      --pcap FILE             record every packet the stack reads from and writes to the device in FILE\n"
          + "                              (pcap, nanosecond timestamps, raw IP; tshark -r FILE, Wireshark)\n"
          + "      --pcap-limit SIZE       largest size of one capture file, e.g. 10m, 1g (default "
          + human(CaptureOptions.DEFAULT_LIMIT) + "); when full, FILE\n"
          + "                              becomes FILE.1 (FILE.1 becomes FILE.2, ...) and a new FILE begins\n"
          + "      --pcap-files N          capture files kept, FILE included, 1.." + CaptureOptions.MAX_FILES
          + " (default " + CaptureOptions.DEFAULT_FILES + ")\n"
          + "      --congestion NAME       congestion control of every connection: cubic (RFC 9438, with HyStart++,\n"
          + "                              RFC 9406) or newreno (RFC 5681, RFC 6582) (default "
          + CongestionAlgorithm.DEFAULT.id() + ")\n"
          + "      --log SPEC              log levels (default info): LEVEL or LOGGER=LEVEL items, comma-separated;\n"
          + "                              levels trace debug info warn error off; loggers: a package or class, or\n"
          + "                              tcp ip udp netty runtime tun, drops (every dropped packet and why, debug),\n"
          + "                              packets (every packet in and out, trace); e.g. --log tcp=debug\n";

  /** Parses the arguments that follow {@code serve}. */
  public static ServeOptions parse(List<String> args) throws UsageException {
    return parse(args, null);
  }

  /**
   * Parses the device and namespace options in {@code args}; every other argument is added to
   * {@code rest} in order (for {@code run EXAMPLE}), or is an error if {@code rest} is null.
   */
  public static ServeOptions parse(List<String> args, List<String> rest) throws UsageException {
    String netns = null;
    String tun = null;
    String address = DEFAULT_STACK_ADDRESS + "/" + DEFAULT_PREFIX;
    String host = null;
    String address6 = null;
    String host6 = null;
    String mtu = String.valueOf(DEFAULT_MTU);
    Impairment impairment = Impairment.NONE;
    int backlog = StackConfig.DEFAULT_BACKLOG;
    int maxConnections = StackConfig.DEFAULT_MAX_CONNECTIONS;
    long bufferMemory = StackConfig.DEFAULT_BUFFER_MEMORY;
    boolean offload = true;
    String pcap = null;
    String pcapLimit = null;
    String pcapFiles = null;
    CongestionAlgorithm congestion = CongestionAlgorithm.DEFAULT;
    for (int i = 0; i < args.size(); i++) {
      String arg = args.get(i);
      String name = arg;
      String value = null;
      int eq = arg.indexOf('=');
      if (arg.startsWith("--") && eq > 0) {
        name = arg.substring(0, eq);
        value = arg.substring(eq + 1);
      }
      switch (name) {
        case "--netns":
        case "--tun":
        case "--address":
        case "--host-address":
        case "--address6":
        case "--host-address6":
        case "--mtu":
        case "--impair":
        case "--backlog":
        case "--max-connections":
        case "--buffer-memory":
        case "--pcap":
        case "--pcap-limit":
        case "--pcap-files":
        case "--offload":
        case "--congestion":
        case "--log":
          if (value == null) {
            if (i + 1 >= args.size()) {
              throw new UsageException(name + " needs a value");
            }
            value = args.get(++i);
          }
          break;
        default:
          if (rest == null) {
            throw new UsageException("unknown option '" + arg + "'");
          }
          rest.add(arg);
          continue;
      }
      switch (name) {
        case "--netns":
          netns = checkNetns(value);
          break;
        case "--tun":
          tun = checkTun(value);
          break;
        case "--address":
          address = value;
          break;
        case "--host-address":
          host = value;
          break;
        case "--address6":
          address6 = value;
          break;
        case "--host-address6":
          host6 = value;
          break;
        case "--impair":
          impairment = parseImpairment(value);
          break;
        case "--backlog":
          backlog = parseInt("--backlog", value, 1, MAX_BACKLOG);
          break;
        case "--max-connections":
          maxConnections = parseInt("--max-connections", value, 1, Integer.MAX_VALUE);
          break;
        case "--buffer-memory":
          bufferMemory = parseSize("--buffer-memory", value, 1L << 20, MAX_BUFFER_MEMORY);
          break;
        case "--pcap":
          pcap = value;
          break;
        case "--pcap-limit":
          pcapLimit = value;
          break;
        case "--pcap-files":
          pcapFiles = value;
          break;
        case "--offload":
          if (!value.equals("on") && !value.equals("off")) {
            throw new UsageException("--offload takes on or off, got '" + value + "'");
          }
          offload = value.equals("on");
          break;
        case "--congestion":
          congestion = parseCongestion(value);
          break;
        case "--log":
          LogOption.parse(value); // applied by the launcher before anything logs (LogOption.applyEarly)
          break;
        default:
          mtu = value;
          break;
      }
    }
    int slash = address.indexOf('/');
    if (slash < 0) {
      throw new UsageException("--address needs IP/PREFIX, e.g. " + DEFAULT_STACK_ADDRESS + "/" + DEFAULT_PREFIX + "; got '" + address + "'");
    }
    int stackIp = parseAddress("--address", address.substring(0, slash));
    int prefix = parseInt("--address prefix", address.substring(slash + 1), 1, 30);
    int hostIp = host == null ? defaultHost(stackIp, prefix) : parseAddress("--host-address", host);
    if (hostIp == stackIp) {
      throw new UsageException("--host-address must differ from the stack's address " + Ipv4Address.toString(stackIp));
    }
    if (!Ipv4Address.sameSubnet(stackIp, hostIp, prefix)) {
      throw new UsageException("--host-address " + Ipv4Address.toString(hostIp) + " is not in the stack's subnet "
          + Ipv4Address.toString(stackIp & Ipv4Address.netmask(prefix)) + "/" + prefix);
    }
    int mask = Ipv4Address.netmask(prefix);
    for (int ip : new int[] {stackIp, hostIp}) {
      int hostPart = ip & ~mask;
      if (hostPart == 0 || hostPart == ~mask) {
        throw new UsageException(Ipv4Address.toString(ip) + " is the network or broadcast address of /" + prefix + ": pick a host address");
      }
    }
    int mtuValue = parseInt("--mtu", mtu, StackConfig.MIN_MTU, StackConfig.MAX_DATAGRAM);
    IpAddress stack6 = null;
    IpAddress hostIp6 = null;
    int prefix6 = 0;
    boolean ipv6 = address6 == null ? mtuValue >= Ipv6Header.MIN_MTU : !address6.equals("off");
    if (!ipv6 && host6 != null) {
      throw new UsageException("--host-address6 needs IPv6: drop --address6 off (or --host-address6)");
    }
    if (ipv6) {
      if (mtuValue < Ipv6Header.MIN_MTU) {
        throw new UsageException("--address6 needs an MTU of at least " + Ipv6Header.MIN_MTU
            + " (RFC 8200 §5), got --mtu " + mtuValue + "; or use --address6 off");
      }
      String a6 = address6 == null ? DEFAULT_STACK_ADDRESS6 + "/" + DEFAULT_PREFIX6 : address6;
      int slash6 = a6.indexOf('/');
      if (slash6 < 0) {
        throw new UsageException("--address6 needs IP6/PREFIX, e.g. " + DEFAULT_STACK_ADDRESS6 + "/" + DEFAULT_PREFIX6
            + ", or off; got '" + a6 + "'");
      }
      stack6 = parseAddress6("--address6", a6.substring(0, slash6));
      prefix6 = parseInt("--address6 prefix", a6.substring(slash6 + 1), 1, 126);
      hostIp6 = host6 == null ? defaultHost6(stack6, prefix6) : parseAddress6("--host-address6", host6);
      if (hostIp6.equals(stack6)) {
        throw new UsageException("--host-address6 must differ from the stack's IPv6 address " + stack6);
      }
      if (!hostIp6.network(prefix6).equals(stack6.network(prefix6))) {
        throw new UsageException("--host-address6 " + hostIp6 + " is not in the stack's prefix "
            + stack6.network(prefix6) + "/" + prefix6);
      }
      for (IpAddress a : new IpAddress[] {stack6, hostIp6}) {
        if (a.equals(a.network(prefix6))) {
          throw new UsageException(a + " is the Subnet-Router anycast address of /" + prefix6
              + " (RFC 4291 §2.6.1): pick another");
        }
      }
    }
    return new ServeOptions(netns, tun, stackIp, prefix, hostIp, stack6, prefix6, hostIp6,
        address6 != null || host6 != null, mtuValue, impairment, backlog, maxConnections, bufferMemory, offload,
        congestion, CaptureOptions.parse(pcap, pcapLimit, pcapFiles));
  }

  /** These options with IPv6 off (a device that may not get its IPv6 address, when IPv6 was only the default). */
  public ServeOptions withoutIpv6() {
    return new ServeOptions(netns, tun, stackAddress, prefixLength, hostAddress, null, 0, null, false, mtu,
        impairment, backlog, maxConnections, bufferMemory, offload, congestion, capture);
  }

  /** The lowest host address of the subnet that is not the stack's: 198.18.0.1 by default. */
  static int defaultHost(int stackIp, int prefix) {
    int network = stackIp & Ipv4Address.netmask(prefix);
    return network + 1 == stackIp ? network + 2 : network + 1;
  }

  /** ::1 of the stack's prefix, or ::2 when that is the stack's own address. */
  static IpAddress defaultHost6(IpAddress stack, int prefix) {
    IpAddress network = stack.network(prefix);
    IpAddress first = IpAddress.ofIpv6(network.hi(), network.lo() + 1);
    return first.equals(stack) ? IpAddress.ofIpv6(network.hi(), network.lo() + 2) : first;
  }

  /**
   * A unicast IPv6 address the stack or the host may have on the link: not IPv4, multicast,
   * unspecified, loopback, IPv4-mapped or link-local (the stack has no link layer).
   */
  private static IpAddress parseAddress6(String option, String text) throws UsageException {
    IpAddress a;
    try {
      a = text.indexOf(':') < 0 ? null : IpAddress.parse(text);
    } catch (IllegalArgumentException e) {
      a = null;
    }
    if (a == null || a.isIpv4()) {
      throw new UsageException(option + " '" + text + "' is not an IPv6 address (like " + DEFAULT_STACK_ADDRESS6 + ")");
    }
    if (a.isMulticast() || a.equals(IpAddress.UNSPECIFIED) || a.equals(IpAddress.ofIpv6(0, 1))
        || (a.hi() >>> 54) == 0x3FA) {
      throw new UsageException(option + " " + a + " is not a usable address: take a global or unique-local"
          + " unicast one (like " + DEFAULT_STACK_ADDRESS6 + "), not multicast, loopback, unspecified or link-local");
    }
    return a;
  }

  private static String checkNetns(String name) throws UsageException {
    if (!name.matches("[A-Za-z0-9_.-]{1,64}") || name.equals(".") || name.equals("..")) {
      throw new UsageException("--netns '" + name + "' is not a usable namespace name: use 1-64 of A-Z a-z 0-9 _ . -");
    }
    return name;
  }

  private static String checkTun(String name) throws UsageException {
    if (!name.matches("[A-Za-z0-9_.:-]{1,15}") || name.equals(".") || name.equals("..")) {
      throw new UsageException("--tun '" + name + "' is not a valid interface name: use 1-15 of A-Z a-z 0-9 _ . : -");
    }
    return name;
  }

  private static CongestionAlgorithm parseCongestion(String name) throws UsageException {
    try {
      return CongestionAlgorithm.byName(name);
    } catch (IllegalArgumentException e) {
      throw new UsageException("--congestion takes " + CongestionAlgorithm.names() + ", got '" + name + "'");
    }
  }

  private static Impairment parseImpairment(String spec) throws UsageException {
    try {
      return Impairment.parse(spec);
    } catch (IllegalArgumentException e) {
      throw new UsageException("--impair: " + e.getMessage());
    }
  }

  private static int parseAddress(String option, String text) throws UsageException {
    try {
      return Ipv4Address.parse(text);
    } catch (IllegalArgumentException e) {
      throw new UsageException(option + " '" + text + "' is not an IPv4 address (like 198.18.0.2)");
    }
  }

  /**
   * A size in bytes as {@code java -Xmx} writes one: digits, then optionally {@code k}, {@code m}
   * or {@code g} (binary: 1k is 1024 bytes; a trailing {@code b} or {@code ib} is allowed), case-insensitive.
   */
  static long parseSize(String option, String text, long min, long max) throws UsageException {
    java.util.regex.Matcher m = java.util.regex.Pattern.compile("(?i)([0-9]{1,19})(?:([kmg])(?:i?b)?|b)?").matcher(text);
    if (m.matches()) {
      int shift = m.group(2) == null ? 0 : switch (Character.toLowerCase(m.group(2).charAt(0))) {
        case 'k' -> 10;
        case 'm' -> 20;
        default -> 30;
      };
      try {
        long n = Long.parseLong(m.group(1));
        if (n <= max >> shift && n << shift >= min) {
          return n << shift;
        }
      } catch (NumberFormatException e) {
        // too many digits for a long: reported below
      }
    }
    throw new UsageException(option + " '" + text + "' must be a size from " + human(min) + " to " + human(max)
        + ", in bytes or with k, m or g (e.g. 256m, 1g)");
  }

  /** {@code bytes} in the largest binary unit that divides it: 1m, 256m, 1024g, 1500. */
  static String human(long bytes) {
    String[] units = {"g", "m", "k"};
    int[] shifts = {30, 20, 10};
    for (int i = 0; i < units.length; i++) {
      if (bytes != 0 && bytes % (1L << shifts[i]) == 0) {
        return (bytes >> shifts[i]) + units[i];
      }
    }
    return Long.toString(bytes);
  }

  private static int parseInt(String option, String text, int min, int max) throws UsageException {
    try {
      int v = Integer.parseInt(text);
      if (v >= min && v <= max) {
        return v;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw new UsageException(option + " '" + text + "' must be a whole number from " + min + " to " + max);
  }
}
