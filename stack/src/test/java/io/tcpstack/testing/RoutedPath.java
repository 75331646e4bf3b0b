package io.tcpstack.testing;

import java.io.IOException;
import java.util.Map;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

/**
 * A routed path between a Linux client and the stack, with random loss made by a router in
 * between (the kernels here have no netem): three hosts in two fresh namespaces.
 *
 * <pre>
 *   client namespace C                 router namespace R (the TunStack's)              the stack
 *   to-router 198.18.1.2/24  ==veth==  to-client 198.18.1.1/24 | tun 198.18.0.1/24  ==TUN==  198.18.0.2
 *   default via 198.18.1.1             net.ipv4.ip_forward=1, nftables forward chain
 * </pre>
 *
 * <p>R is the {@link TunStack}'s namespace: the stack's TUN peer is R's kernel, which forwards
 * between the TUN device and the veth. A packet R's forward chain drops is lost between the two
 * ends — neither the stack nor C's TCP sees it go, as on a real network. Every TCP segment is its
 * own packet in that chain: the stack runs on a plain TUN device ({@link TunStack#startPlain()}:
 * no super-segments), and both veth ends have TSO, GSO and GRO off ({@code ethtool -K}), so C's
 * kernel cuts its TCP's 64 KiB sends into packets before they cross the link (with the offloads on
 * R would forward, and drop, a super-segment whole: a burst of up to 44 lost segments).
 *
 * <p>The forward chain (table {@code inet tcps_path}, replaced by {@link #loss}) counts the packets
 * each way, the stack's segments by TCP option, and the drops: {@link #counters()}. Skips (or,
 * with CI=true, fails) without root, TUN, {@code nft}, {@code ethtool} or {@code sysctl}.
 * {@link #close()} removes both namespaces with everything in them, also when a test fails.
 */
public final class RoutedPath implements AutoCloseable {

  /** Linux's address in the client namespace. */
  public static final String CLIENT = "198.18.1.2";
  /** The router's address on the client's link, C's default gateway. */
  public static final String ROUTER = "198.18.1.1";
  /** The stack's address, {@link TunStack#STACK}. */
  public static final String STACK = TunStack.STACK;
  /** The veth end in C. */
  public static final String CLIENT_DEVICE = "to-router";
  /** The veth end in R. */
  public static final String ROUTER_DEVICE = "to-client";

  /** nftables table in R holding the forward chain. */
  static final String TABLE = "tcps_path";
  /** A drop rate is in tenths of a per cent: {@code numgen random mod 1000 < N}. */
  public static final int PER_MILLE = 1000;

  private final TunStack stack;
  private final TestNamespace client;

  private RoutedPath(TunStack stack, TestNamespace client) {
    this.stack = stack;
    this.client = client;
  }

  /** The stack behind a router, no loss yet (the forward chain only counts). */
  public static RoutedPath start() throws IOException {
    Privileged.assumeRootAndTun();
    assumeOnPath("nft", "ethtool", "sysctl");
    TunStack stack = TunStack.startPlain();
    TestNamespace client = null;
    try {
      client = TestNamespace.create();
      TestNamespace router = stack.ns();
      router.exec("sysctl", "-q", "-w", "net.ipv4.ip_forward=1").assertSuccess();
      // Both ends are created inside the namespaces: nothing appears in the root namespace.
      router.ip("link", "add", ROUTER_DEVICE, "type", "veth", "peer", "name", CLIENT_DEVICE, "netns", client.name())
          .assertSuccess();
      // One segment per packet on the link. (Not gso_max_segs 1: that makes Linux's TCP build one
      // segment per skb, which cost it 95% of its throughput here; with GSO off the device cuts.)
      router.exec("ethtool", "-K", ROUTER_DEVICE, "tso", "off", "gso", "off", "gro", "off").assertSuccess();
      client.exec("ethtool", "-K", CLIENT_DEVICE, "tso", "off", "gso", "off", "gro", "off").assertSuccess();
      router.ip("addr", "add", ROUTER + "/24", "dev", ROUTER_DEVICE).assertSuccess();
      client.ip("addr", "add", CLIENT + "/24", "dev", CLIENT_DEVICE).assertSuccess();
      router.ip("link", "set", "dev", ROUTER_DEVICE, "up").assertSuccess();
      client.ip("link", "set", "dev", CLIENT_DEVICE, "up").assertSuccess();
      client.ip("route", "add", "default", "via", ROUTER).assertSuccess();
      RoutedPath path = new RoutedPath(stack, client);
      path.loss(0, 0);
      return path;
    } catch (RuntimeException | Error e) {
      if (client != null) {
        client.close();
      }
      stack.close();
      throw e;
    }
  }

  /** The stack, on its TUN device in R. */
  public TunStack stack() {
    return stack;
  }

  /** The router namespace R (the stack's TUN device is there). */
  public TestNamespace router() {
    return stack.ns();
  }

  /** The client namespace C, where Linux's TCP talks to the stack through R. */
  public TestNamespace client() {
    return client;
  }

  /**
   * Drops packets at random in R's forward chain: {@code towardStack} and {@code fromStack} of every
   * 1000 each way ({@code numgen random mod 1000 < N}; 10 is 1%, 0 none). Replaces the previous
   * setting in one nftables transaction, which also sets every counter of {@link #counters()} to 0.
   */
  public void loss(int towardStack, int fromStack) {
    if (towardStack < 0 || towardStack > PER_MILLE || fromStack < 0 || fromStack > PER_MILLE) {
      throw new IllegalArgumentException("a drop rate is 0.." + PER_MILLE + " per mille, got " + towardStack
          + " and " + fromStack);
    }
    router().exec("nft", ruleset(towardStack, fromStack)).assertSuccess();
  }

  /**
   * The forward chain: counters first (they see every packet, dropped or not), then the drops. The
   * option counters tell what the stack put on the wire: {@code tcp option X exists} matches a
   * segment that carries option X.
   */
  static String ruleset(int towardStack, int fromStack) {
    String to = "ip daddr " + STACK;
    String from = "ip saddr " + STACK;
    // "add" then "delete" makes the delete safe when the table is not there yet; all in one transaction.
    return "add table inet " + TABLE + "\n"
        + "delete table inet " + TABLE + "\n"
        + "table inet " + TABLE + " {\n"
        + "  chain forward {\n"
        + "    type filter hook forward priority 0; policy accept;\n"
        + "    " + to + " counter comment \"" + Counters.TO_STACK + "\"\n"
        + "    " + from + " counter comment \"" + Counters.FROM_STACK + "\"\n"
        + "    " + to + " tcp option sack exists counter comment \"" + Counters.TO_STACK_SACK + "\"\n"
        + "    " + to + " tcp option timestamp exists counter comment \"" + Counters.TO_STACK_TIMESTAMP + "\"\n"
        + "    " + from + " tcp option sack exists counter comment \"" + Counters.FROM_STACK_SACK + "\"\n"
        + "    " + from + " tcp option sack-perm exists counter comment \"" + Counters.FROM_STACK_SACK_PERMITTED + "\"\n"
        + "    " + from + " tcp option timestamp exists counter comment \"" + Counters.FROM_STACK_TIMESTAMP + "\"\n"
        + "    " + from + " tcp option window exists counter comment \"" + Counters.FROM_STACK_WINDOW_SCALE + "\"\n"
        + "    " + to + " numgen random mod " + PER_MILLE + " < " + towardStack
        + " counter drop comment \"" + Counters.TO_STACK_DROPPED + "\"\n"
        + "    " + from + " numgen random mod " + PER_MILLE + " < " + fromStack
        + " counter drop comment \"" + Counters.FROM_STACK_DROPPED + "\"\n"
        + "  }\n"
        + "}\n";
  }

  /** What R's forward chain has counted since the last {@link #loss}. */
  public Counters counters() {
    String listing = router().exec("nft", "list", "table", "inet", TABLE).assertSuccess().stdout();
    return new Counters(Nftables.ruleCounters(listing), Nftables.ruleBytes(listing));
  }

  /**
   * The packets R's forward chain saw, by rule.
   *
   * @param packets packets matched, by rule comment
   * @param bytes bytes matched (IP datagrams, headers included), by rule comment
   */
  public record Counters(Map<String, Long> packets, Map<String, Long> bytes) {
    static final String TO_STACK = "to-stack";
    static final String FROM_STACK = "from-stack";
    static final String TO_STACK_DROPPED = "to-stack-dropped";
    static final String FROM_STACK_DROPPED = "from-stack-dropped";
    static final String TO_STACK_SACK = "to-stack-sack";
    static final String TO_STACK_TIMESTAMP = "to-stack-timestamp";
    static final String FROM_STACK_SACK = "from-stack-sack";
    static final String FROM_STACK_SACK_PERMITTED = "from-stack-sack-permitted";
    static final String FROM_STACK_TIMESTAMP = "from-stack-timestamp";
    static final String FROM_STACK_WINDOW_SCALE = "from-stack-window-scale";

    public Counters {
      packets = Map.copyOf(packets);
      bytes = Map.copyOf(bytes);
    }

    private long packets(String rule) {
      Long n = packets.get(rule);
      if (n == null) {
        throw new IllegalStateException("no counter \"" + rule + "\" in the forward chain: " + packets);
      }
      return n;
    }

    /** Packets Linux sent toward the stack (before the drops). */
    public long toStack() {
      return packets(TO_STACK);
    }

    /** Packets the stack sent toward Linux (before the drops). */
    public long fromStack() {
      return packets(FROM_STACK);
    }

    /** Packets toward the stack that R dropped. */
    public long toStackDropped() {
      return packets(TO_STACK_DROPPED);
    }

    /** Packets from the stack that R dropped. */
    public long fromStackDropped() {
      return packets(FROM_STACK_DROPPED);
    }

    /** The largest average packet either way, in bytes: at most the MTU when no super-segment passed. */
    public long largestAveragePacket() {
      long to = toStack() == 0 ? 0 : bytes.get(TO_STACK) / toStack();
      long from = fromStack() == 0 ? 0 : bytes.get(FROM_STACK) / fromStack();
      return Math.max(to, from);
    }

    /** Linux's segments toward the stack that carried SACK blocks (RFC 2018 §3). */
    public long toStackWithSack() {
      return packets(TO_STACK_SACK);
    }

    /** Linux's segments toward the stack that carried the timestamps option (RFC 7323 §3). */
    public long toStackWithTimestamps() {
      return packets(TO_STACK_TIMESTAMP);
    }

    /** The stack's segments that carried SACK blocks (RFC 2018 §3). */
    public long fromStackWithSack() {
      return packets(FROM_STACK_SACK);
    }

    /** The stack's segments that carried SACK-permitted (RFC 2018 §2: a SYN or SYN-ACK). */
    public long fromStackWithSackPermitted() {
      return packets(FROM_STACK_SACK_PERMITTED);
    }

    /** The stack's segments that carried the timestamps option (RFC 7323 §3). */
    public long fromStackWithTimestamps() {
      return packets(FROM_STACK_TIMESTAMP);
    }

    /** The stack's segments that carried window scale (RFC 7323 §2.2: a SYN or SYN-ACK). */
    public long fromStackWithWindowScale() {
      return packets(FROM_STACK_WINDOW_SCALE);
    }

    @Override
    public String toString() {
      return "forward chain packets " + new java.util.TreeMap<>(packets);
    }
  }

  /** Sets a sysctl in the client namespace, e.g. {@code clientSysctl("net.ipv4.tcp_sack", "0")}. */
  public void clientSysctl(String name, String value) {
    client.exec("sysctl", "-q", "-w", name + "=" + value).assertSuccess();
  }

  /** A sysctl's value in the client namespace. */
  public String clientSysctl(String name) {
    return client.exec("sysctl", "-n", name).assertSuccess().stdout().strip();
  }

  /** The state of everything, for a failure message: the stack's counters, R's rules, C's sockets. */
  public String diagnostics() {
    StringBuilder s = new StringBuilder();
    try {
      s.append("stack counters: ").append(LinkSnapshot.of(stack));
    } catch (Exception e) {
      s.append("stack counters: unavailable (").append(e).append(")");
    }
    s.append("\nclient sockets (ss -tnoi in C):\n").append(client.exec("ss", "-tnoi").stdout());
    s.append("router forward chain:\n").append(router().exec("nft", "list", "table", "inet", TABLE).stdout());
    return s.toString();
  }

  /**
   * Skips the calling test (or, with CI=true, fails it) unless every command is on the PATH — the
   * policy of {@link Privileged#assumeRootAndTun()} for the tools a test drives.
   */
  public static void assumeOnPath(String... commands) {
    for (String command : commands) {
      if (!Privileged.onPath(command)) {
        String reason = "needs " + command + " on the PATH (.ci/packages lists the Debian packages the tests use)";
        if ("true".equals(System.getenv("CI"))) {
          Assertions.fail(reason + " (failing instead of skipping because CI=true)");
        }
        System.err.println("SKIPPED: " + reason);
        Assumptions.abort(reason);
      }
    }
  }

  /** Removes C, then stops the stack and removes R; never throws. */
  @Override
  public void close() {
    try {
      client.close();
    } finally {
      stack.close();
    }
  }
}
