package io.tcpstack.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tcpstack.device.FaultInjector;
import io.tcpstack.device.Impairment;
import io.tcpstack.device.ImpairmentCounter;
import io.tcpstack.stats.StackCounter;
import io.tcpstack.testing.LinkSnapshot;
import io.tcpstack.testing.Nftables;
import io.tcpstack.testing.Nstat;
import io.tcpstack.testing.ProcessResult;
import io.tcpstack.testing.TunStack;
import io.tcpstack.testing.TunTransfers;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * TCP between the stack and Linux over an impaired path, through a TUN device in a fresh
 * namespace: every transfer arrives byte-exact (SHA-256) and ends within {@link #LIMIT}, in both
 * directions — Linux sending to the stack ({@code tcp_peer.py send}), and the stack, as the client,
 * sending to Linux ({@code tcp_peer.py recv}).
 *
 * <p>The path is impaired in two ways. The stack's own {@link FaultInjector} around the TUN device
 * (what {@code ./tcpstack serve --impair} gives) drops, delays, reorders, duplicates or corrupts
 * packets in both directions. nftables rules in the namespace impair the kernel's side of the device
 * (the kernels here have no netem): random drops of what Linux sends to the stack (output hook) and
 * of what it receives from it (input hook), and random duplicates of what it sends. A drop in the
 * output hook is not a silent wire loss: Linux's TCP sees the send fail and tries again, so silent
 * loss toward the stack is what the fault injector's receive direction covers.
 *
 * <p>Each test also proves that the impairment was real — the injector's counters, or the counters
 * of the nftables rules, show packets were hit — and where it is certain, that the protocol noticed:
 * retransmissions after loss, out-of-order segments after reordering, checksum drops on both sides
 * after corruption, duplicates arriving. Last, the stack's loop must have caught no exception on
 * the way ({@link StackCounter#LOOP_ERRORS}): the transfer may survive one, but it is a bug.
 */
class TcpUnderImpairmentIntegrationTest {

  /**
   * {@code -Dtcpstack.impairedBytes=N} makes every transfer N bytes; 100000000 is the full
   * 100 MB everywhere, which all twelve pass (measured: 13 minutes for the class on the 2-vCPU
   * development machine, 4 of them on each 5% loss test, and 3.7 on the stack sending through
   * 10 ms ± 5 ms with reordering: without SACK or timestamps it cannot tell reordering from loss).
   */
  private static final Integer ALL_BYTES = Integer.getInteger("tcpstack.impairedBytes");

  /** Per transfer; a hang fails the test after it instead of blocking the build. */
  private static final Duration LIMIT = Duration.ofSeconds(ALL_BYTES == null ? 120 : 900);

  // By default, 100 MB where an impairment costs little time (duplication, corruption) and less
  // where it costs much: the class runs in CI, whose whole run must stay under 20 minutes, and
  // with a 64 KiB window (no scaling yet) a transfer under 5% loss or 10 ms of delay is bound by
  // round trips, not by the machine. These sizes still put thousands of packets through each
  // impairment. 100 MB under 2% loss, where fast retransmit must do the repairs, is in
  // TcpFlowControlIntegrationTest.
  /** From the stack through 5% loss: fast retransmit and NewReno repair most losses (~14 s). */
  private static final int LOSSY_BYTES_FROM_STACK = bytes(16 << 20);
  /**
   * From Linux through 5% loss: Linux repairs with fast retransmit but without SACK (the stack
   * does not offer it yet), one hole per round trip, so this direction is the slow one (16 MiB
   * took 46 s on the development machine; 8 MiB about half of that).
   */
  private static final int LOSSY_BYTES_FROM_KERNEL = bytes(8 << 20);
  /** Through 10 ms ± 5 ms of delay each way with 10% reordering: window-bound (~4 s). */
  private static final int DELAYED_BYTES = bytes(8 << 20);
  /** Through 1% duplication: nothing lost, nearly full speed (~10-12 s). */
  private static final int DUPLICATED_BYTES = bytes(100_000_000);
  /**
   * Through 0.1% corruption: every corrupted packet is a loss once the checksum catches it (~10-15
   * s). Each direction carries well over the 491 packets by which {@link Injected#CORRUPTION}'s
   * seed has corrupted two in each.
   */
  private static final int CORRUPTED_BYTES = bytes(100_000_000);

  private static int bytes(int byDefault) {
    return ALL_BYTES != null ? ALL_BYTES : byDefault;
  }

  /** What the stack's fault injector does to both directions, and how many bytes go through it. */
  enum Injected {
    LOSS("loss=5%,seed=1", LOSSY_BYTES_FROM_KERNEL, LOSSY_BYTES_FROM_STACK),
    DELAY_JITTER_REORDER("delay=10ms,jitter=5ms,reorder=10%,seed=2", DELAYED_BYTES, DELAYED_BYTES),
    DUPLICATION("dup=1%,seed=3", DUPLICATED_BYTES, DUPLICATED_BYTES),
    /**
     * Seed 11 corrupts the 129th and 293rd packet the stack sends and the 106th and 491st it
     * receives, whatever the timing (one decision per packet from a seeded stream), so both
     * directions are certainly hit.
     */
    CORRUPTION("corrupt=0.1%,seed=11", CORRUPTED_BYTES, CORRUPTED_BYTES);

    final Impairment impairment;
    final int fromKernel;
    final int fromStack;

    Injected(String spec, int fromKernel, int fromStack) {
      this.impairment = Impairment.parse(spec);
      this.fromKernel = fromKernel;
      this.fromStack = fromStack;
    }
  }

  /** What the nftables rules in the namespace do, and how many bytes go through them. */
  enum Nft {
    LOSS(LOSSY_BYTES_FROM_KERNEL, LOSSY_BYTES_FROM_STACK, "to-stack", "from-stack"),
    DUPLICATION(DUPLICATED_BYTES, DUPLICATED_BYTES, "dup-to-stack");

    final int fromKernel;
    final int fromStack;
    /** The comments of the rules that must have matched packets. */
    final List<String> rules;

    Nft(int fromKernel, int fromStack, String... rules) {
      this.fromKernel = fromKernel;
      this.fromStack = fromStack;
      this.rules = List.of(rules);
    }

    String ruleset(String tun) {
      return switch (this) {
        case LOSS -> "table inet tcps_impair {\n"
            + "  chain out {\n"
            + "    type filter hook output priority 0; policy accept;\n"
            + "    oifname \"" + tun + "\" numgen random mod 100 < 5 counter drop comment \"to-stack\"\n"
            + "  }\n"
            + "  chain in {\n"
            + "    type filter hook input priority 0; policy accept;\n"
            + "    iifname \"" + tun + "\" numgen random mod 100 < 5 counter drop comment \"from-stack\"\n"
            + "  }\n"
            + "}\n";
        case DUPLICATION -> "table ip tcps_impair {\n"
            + "  chain out {\n"
            + "    type filter hook output priority 0; policy accept;\n"
            + "    ip daddr " + TunStack.STACK + " numgen random mod 100 < 1 counter dup to " + TunStack.STACK
            + " device \"" + tun + "\" comment \"dup-to-stack\"\n"
            + "  }\n"
            + "}\n";
      };
    }
  }

  private TunStack net;
  private ExecutorService threads;
  private Path peer;

  @BeforeEach
  void setUp() throws IOException {
    threads = Executors.newCachedThreadPool();
    peer = TunStack.script("/tun/tcp_peer.py");
  }

  @AfterEach
  void tearDown() throws InterruptedException {
    threads.shutdownNow();
    if (net != null) {
      net.close(); // stops the stack (failing blocked socket calls), removes namespace and rules
    }
    threads.awaitTermination(10, TimeUnit.SECONDS);
  }

  // ---------------------------------------------------------------- the stack's fault injector

  @ParameterizedTest(name = "{0}")
  @EnumSource(Injected.class)
  void kernelToStackThroughTheFaultInjector(Injected fault) throws Exception {
    net = TunStack.start(fault.impairment);
    kernelToStack(fault.fromKernel, 42);
    Map<String, Long> kernel = kernelCounters();
    LinkSnapshot s = LinkSnapshot.of(net);
    String why = fault.impairment + ": " + s + "; kernel " + kernel;
    assertInjectorHit(fault, s, why);
    switch (fault) {
      case LOSS -> assertTrue(kernel.get("TcpRetransSegs") > 0, "Linux resent what was lost on the way to the stack: " + why);
      case DELAY_JITTER_REORDER -> assertTrue(s.stack(StackCounter.TCP_OUT_OF_ORDER) > 0,
          "the stack kept segments that arrived ahead of a gap: " + why);
      case DUPLICATION -> { }
      case CORRUPTION -> assertCorruptionCaught(s, kernel, why);
    }
    s.assertNoLoopErrors(why);
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(Injected.class)
  void stackToKernelThroughTheFaultInjectorWithTheStackAsClient(Injected fault) throws Exception {
    net = TunStack.start(fault.impairment);
    stackToKernel(fault.fromStack, 7);
    Map<String, Long> kernel = kernelCounters();
    LinkSnapshot s = LinkSnapshot.of(net);
    String why = fault.impairment + ": " + s + "; kernel " + kernel;
    assertInjectorHit(fault, s, why);
    switch (fault) {
      case LOSS -> assertTrue(s.stack(StackCounter.TCP_RETRANS_SEGS) > 0, "the stack resent what was lost: " + why);
      case DELAY_JITTER_REORDER -> assertTrue(kernel.get("TcpExtTCPOFOQueue") > 0,
          "Linux queued segments that arrived ahead of a gap: " + why);
      case DUPLICATION -> { }
      case CORRUPTION -> assertCorruptionCaught(s, kernel, why);
    }
    s.assertNoLoopErrors(why);
  }

  /** Each impaired direction of the injector really did its work. */
  private static void assertInjectorHit(Injected fault, LinkSnapshot s, String why) {
    List<ImpairmentCounter> expected = switch (fault) {
      case LOSS -> List.of(ImpairmentCounter.DROPPED);
      case DELAY_JITTER_REORDER -> List.of(ImpairmentCounter.DELAYED, ImpairmentCounter.REORDERED);
      case DUPLICATION -> List.of(ImpairmentCounter.DUPLICATED);
      case CORRUPTION -> List.of(ImpairmentCounter.CORRUPTED);
    };
    for (ImpairmentCounter c : expected) {
      assertTrue(s.sent().get(c) > 0, "the injector " + c + " packets the stack sent: " + why);
      assertTrue(s.received().get(c) > 0, "the injector " + c + " packets the stack received: " + why);
    }
  }

  /**
   * A flipped bit never gets through: one bit changes a 16-bit ones' complement sum, so the IP or
   * TCP checksum (or an earlier header check) drops every corrupted packet, on both sides.
   */
  private static void assertCorruptionCaught(LinkSnapshot s, Map<String, Long> kernel, String why) {
    long corruptedIn = s.received().get(ImpairmentCounter.CORRUPTED);
    assertTrue(s.stackDrops() >= corruptedIn,
        "the stack dropped each of the " + corruptedIn + " corrupted packets it read (drops: " + s.stackDrops() + "): " + why);
    assertTrue(s.stack(StackCounter.TCP_IN_BAD_CHECKSUM) + s.stack(StackCounter.IP_IN_BAD_CHECKSUM) > 0,
        "the stack's TCP or IP checksum caught corruption: " + why);
    assertTrue(kernel.get("TcpInCsumErrors") + kernel.get("IpExtInCsumErrors") > 0,
        "Linux's TCP or IP checksum caught the corrupted packets the stack sent: " + why);
  }

  // ---------------------------------------------------------------- nftables on the kernel's side

  @ParameterizedTest(name = "{0}")
  @EnumSource(Nft.class)
  void kernelToStackThroughNftables(Nft rules) throws Exception {
    net = TunStack.startPlain(); // nftables and tc count and drop single packets
    nft(rules);
    kernelToStack(rules.fromKernel, 43);
    Map<String, Long> matched = assertNftRulesMatched(rules);
    Map<String, Long> kernel = kernelCounters();
    LinkSnapshot s = LinkSnapshot.of(net);
    String why = s + "; kernel " + kernel + "; rules " + matched;
    if (rules == Nft.DUPLICATION) {
      assertDuplicatesReachedTheStack(s, kernel, why);
    }
    s.assertNoLoopErrors(why);
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(Nft.class)
  void stackToKernelThroughNftablesWithTheStackAsClient(Nft rules) throws Exception {
    net = TunStack.startPlain(); // nftables and tc count and drop single packets
    nft(rules);
    stackToKernel(rules.fromStack, 8);
    Map<String, Long> matched = assertNftRulesMatched(rules);
    Map<String, Long> kernel = kernelCounters();
    LinkSnapshot s = LinkSnapshot.of(net);
    String why = s + "; kernel " + kernel + "; rules " + matched;
    switch (rules) {
      case LOSS -> assertTrue(s.stack(StackCounter.TCP_RETRANS_SEGS) > 0, "the stack resent what Linux's input hook dropped: " + why);
      case DUPLICATION -> assertDuplicatesReachedTheStack(s, kernel, why);
    }
    s.assertNoLoopErrors(why);
  }

  /**
   * The stack received more TCP segments than Linux sent: Linux counts each segment once in
   * {@code TcpOutSegs} (new data) or {@code TcpRetransSegs}, and the {@code dup} rule's copies go
   * out behind its back. (The rule sees packets before segmentation, so one match may copy several
   * segments.) Linux's counters must be read before the stack's.
   */
  private static void assertDuplicatesReachedTheStack(LinkSnapshot s, Map<String, Long> kernel, String why) {
    long sent = kernel.get("TcpOutSegs") + kernel.get("TcpRetransSegs");
    assertTrue(s.stack(StackCounter.TCP_IN_SEGS) > sent,
        "the stack received the duplicates besides the " + sent + " segments Linux sent: " + why);
  }

  private void nft(Nft rules) {
    net.ns().exec("nft", rules.ruleset(net.device())).assertSuccess();
  }

  /** Every rule of {@code rules} counted packets: the impairment happened. */
  private Map<String, Long> assertNftRulesMatched(Nft rules) {
    ProcessResult listing = net.ns().exec("nft", "list", "ruleset").assertSuccess();
    Map<String, Long> matched = Nftables.ruleCounters(listing.stdout());
    for (String rule : rules.rules) {
      assertTrue(matched.getOrDefault(rule, 0L) > 0, "the nftables rule \"" + rule + "\" matched packets:\n" + listing.stdout());
    }
    return matched;
  }

  // ---------------------------------------------------------------- the transfers

  /** Linux connects to the stack and sends {@code bytes}; the stack reads them all. */
  private void kernelToStack(int bytes, int seed) throws Exception {
    TunTransfers.kernelToStack(net, net.ns(), bytes, seed, threads, LIMIT, this::diagnostics);
  }

  /** The stack connects to Linux and sends {@code bytes}, then closes; Linux reads them all. */
  private void stackToKernel(int bytes, int seed) throws Exception {
    TunTransfers.stackToKernel(net, net.ns(), TunStack.HOST, bytes, seed, threads, LIMIT, this::diagnostics);
  }

  private String diagnostics() {
    StringBuilder s = new StringBuilder();
    try {
      s.append("counters: ").append(LinkSnapshot.of(net));
    } catch (Exception e) {
      s.append("counters: unavailable (").append(e).append(")\n  stack counters: ").append(net.runtime().counters());
    }
    s.append("\nkernel sockets:\n").append(net.ns().exec("ss", "-tnoi").stdout());
    s.append("nftables:\n").append(net.ns().exec("nft", "list", "ruleset").stdout());
    return s.toString();
  }

  /** Linux's SNMP counters in the namespace. */
  private Map<String, Long> kernelCounters() {
    return Nstat.read(net.ns(), "TcpRetransSegs", "TcpOutSegs", "TcpInCsumErrors",
        "IpExtInCsumErrors", "IpInHdrErrors", "TcpExtTCPOFOQueue");
  }
}
