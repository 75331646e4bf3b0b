package io.tcpstack.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tcpstack.device.FaultInjector;
import io.tcpstack.device.Impairment;
import io.tcpstack.device.ImpairmentCounter;
import io.tcpstack.stats.StackCounter;
import io.tcpstack.tcp.TcpInfo;
import io.tcpstack.testing.Await;
import io.tcpstack.testing.LinkSnapshot;
import io.tcpstack.testing.Nftables;
import io.tcpstack.testing.Nstat;
import io.tcpstack.testing.SeededStream;
import io.tcpstack.testing.TunStack;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Flow and congestion control of the stack as a sender, against Linux through a TUN device in a
 * fresh namespace; every transfer is checked byte-exact (SHA-256 on both sides).
 *
 * <ul>
 *   <li>A slow reader on the kernel's side, with a small receive buffer, closes its window again
 *       and again: the stack must wait it out with zero-window probes (the persist timer, RFC 9293
 *       §3.8.6.1) and lose nothing.
 *   <li>2% random loss, once by the stack's own {@link FaultInjector} and once by nftables rules on
 *       the kernel's side: the stack must repair most losses by fast retransmit on the third
 *       duplicate ACK (RFC 5681 §3.2, NewReno partial ACKs per RFC 6582), not only by its
 *       retransmission timeout.
 *   <li>A 20 Mbit/s token bucket on the kernel's side of the device (tbf on an ifb device that the
 *       device's ingress is redirected to): the stack must not collapse at the bottleneck.
 * </ul>
 *
 * <p>Rates are measured and printed ({@code =>} lines) for information; nothing is asserted on wall
 * time, which depends on the machine. Last, the stack's loop must have caught no exception on the
 * way ({@link StackCounter#LOOP_ERRORS}).
 */
class TcpFlowControlIntegrationTest {

  /** Per transfer; a hang fails the test after it instead of blocking the build. */
  private static final Duration LIMIT = Duration.ofSeconds(120);
  private static final int PORT = 5001;

  /**
   * The kernel's TCP receive buffer in the slow-reader test (min, default, max): small, so a reader
   * that falls behind closes the window at once instead of after megabytes. {@code tcp_rmem} is
   * per network namespace (since Linux 4.15), so this stays inside the test's namespace.
   */
  private static final String SMALL_TCP_RMEM = "4096 8192 16384";
  /** What the slow reader reads on average: bytes per second. */
  private static final int SLOW_READER_RATE = 400_000;
  /**
   * How long the slow reader stops between bursts of {@link #SLOW_READER_RATE} × pause bytes: longer
   * than the stack's minimum RTO (200 ms), which is when its persist timer first fires. (A reader
   * that pauses for less never sees a probe: Linux reopens the window before the timer expires. That
   * is why this is not {@code pv -L}, which wakes every 100 ms.)
   */
  private static final int SLOW_READER_PAUSE_MS = 500;
  /** About 10 s at {@link #SLOW_READER_RATE}: some 20 pauses. */
  private static final int SLOW_READER_BYTES = 4_000_000;

  /**
   * Through 2% loss, each way: some 1,400 segments lost (measured: 25-34 s per test on the
   * development machine, about 30 Mbit/s).
   */
  private static final int LOSSY_BYTES = 100_000_000;
  private static final String LOSS_PERCENT = "2";

  /**
   * The bottleneck's rate, in bit/s. Not the 100 Mbit/s of {@code ExamplesIT}'s bottleneck test,
   * where the stack runs in the launcher: in this JVM every buffer is tracked by Netty's paranoid
   * leak detector, and the stack sends only about 60 Mbit/s (measured on the 2-vCPU development
   * machine), so a 100 Mbit/s bucket never held a packet back. At 20 Mbit/s it is the bottleneck.
   */
  private static final long BOTTLENECK_BITS_PER_SECOND = 20_000_000;
  /** Through the bottleneck: 10 s at {@link #BOTTLENECK_BITS_PER_SECOND}. */
  private static final int BOTTLENECK_BYTES = (int) (BOTTLENECK_BITS_PER_SECOND / 8 * 10);
  /** The ifb device the tun device's ingress is redirected to, so that tbf can shape it (egress only). */
  private static final String IFB = "ifbtcps";
  /**
   * At most this many retransmission timeouts at the bottleneck. Every drop there is a tail drop of
   * a queue the stack's own window overflowed, with ACKs still flowing back, so fast retransmit
   * repairs it. A timeout still happens when one window lost more holes than NewReno's "impatient"
   * partial-ACK recovery (one hole per round trip, the timer reset only by the first partial ACK,
   * RFC 6582 §3.2) repairs within one RTO, or when a retransmission is dropped again. Measured: 0-3
   * timeouts against 25-30 fast retransmits and 62-69 drops. A sender that collapsed would time
   * out on most of its losses.
   */
  private static final long MAX_RTO_EXPIRIES_AT_BOTTLENECK = 10;

  private static final Pattern QDISC_STATS =
      Pattern.compile("qdisc (\\S+) .*? dev (\\S+) [^\\n]*\\n\\s*Sent (\\d+) bytes (\\d+) pkt \\(dropped (\\d+), overlimits (\\d+)");

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
      net.close(); // stops the stack (failing blocked socket calls), removes namespace, rules and devices
    }
    threads.awaitTermination(10, TimeUnit.SECONDS);
  }

  // ---------------------------------------------------------------- zero window

  /**
   * The stack sends to a reader that reads in bursts and pauses ({@code tcp_peer.py slowrecv}),
   * through a kernel receive buffer of at most 16 KiB: in each pause Linux's buffer fills and it
   * advertises a zero window, and the stack probes it until it opens again.
   */
  @Test
  void slowReaderClosesTheWindowAndTheStackProbesIt() throws Exception {
    net = TunStack.start();
    net.ns().exec("sysctl", "-w", "net.ipv4.tcp_rmem=" + SMALL_TCP_RMEM).assertSuccess();
    assertEquals(SMALL_TCP_RMEM, net.ns().exec("sysctl", "-n", "net.ipv4.tcp_rmem").assertSuccess()
        .stdout().trim().replaceAll("\\s+", " "), "tcp_rmem took effect in the namespace");
    Process reader = net.ns().start("python3", peer.toString(), "slowrecv", TunStack.HOST, Integer.toString(PORT),
        Integer.toString(SLOW_READER_RATE), Integer.toString(SLOW_READER_PAUSE_MS));
    Sent sent = stackSends(reader, SLOW_READER_BYTES, 21);
    assertEquals("received " + SLOW_READER_BYTES + " " + sent.digest, sent.kernelLine,
        "Linux read exactly what the stack sent (length and SHA-256)");

    Map<String, Long> kernel = kernelCounters();
    LinkSnapshot s = LinkSnapshot.of(net);
    String why = sent.info + "; " + s + "; kernel " + kernel;
    report("slow reader", sent, s, kernel);
    assertTrue(kernel.getOrDefault("TcpExtTCPToZeroWindowAdv", 0L) > 0,
        "Linux advertised a zero window (its receive buffer filled): " + why);
    assertTrue(sent.info.windowProbes() > 0, "the stack probed the zero window: " + why);
    assertEquals(sent.info.windowProbes(), s.stack(StackCounter.TCP_WINDOW_PROBES),
        "the connection's and the stack's probe counts agree (one connection): " + why);
    s.assertNoLoopErrors(why);
  }

  // ---------------------------------------------------------------- 2% loss

  @Test
  void twoPercentLossThroughTheFaultInjectorIsRepairedByFastRetransmit() throws Exception {
    net = TunStack.start(Impairment.parse("loss=" + LOSS_PERCENT + "%,seed=5"));
    Sent sent = stackSendsToRecv(LOSSY_BYTES, 31);

    Map<String, Long> kernel = kernelCounters();
    LinkSnapshot s = LinkSnapshot.of(net);
    String why = sent.info + "; " + s + "; kernel " + kernel;
    report("2% loss, fault injector", sent, s, kernel);
    assertTrue(s.sent().get(ImpairmentCounter.DROPPED) > 0, "the injector dropped segments the stack sent: " + why);
    assertTrue(s.received().get(ImpairmentCounter.DROPPED) > 0, "the injector dropped ACKs Linux sent: " + why);
    assertRepairedMostlyByFastRetransmit(s, why);
    s.assertNoLoopErrors(why);
  }

  /**
   * The same loss made by nftables in the namespace: 2% of what arrives from the stack is dropped in
   * the input hook (silent loss: Linux never sees it), 2% of what Linux sends to the stack — ACKs —
   * in the output hook. The latter is not a silent wire loss: Linux's TCP sees the send fail (and
   * may send again); either way fewer ACKs reach the stack.
   */
  @Test
  void twoPercentLossThroughNftablesIsRepairedByFastRetransmit() throws Exception {
    net = TunStack.startPlain(); // nftables and tc count and drop single packets
    String tun = net.device();
    net.ns().exec("nft", "table inet tcps_loss {\n"
        + "  chain in {\n"
        + "    type filter hook input priority 0; policy accept;\n"
        + "    iifname \"" + tun + "\" numgen random mod 100 < " + LOSS_PERCENT + " counter drop comment \"from-stack\"\n"
        + "  }\n"
        + "  chain out {\n"
        + "    type filter hook output priority 0; policy accept;\n"
        + "    oifname \"" + tun + "\" numgen random mod 100 < " + LOSS_PERCENT + " counter drop comment \"to-stack\"\n"
        + "  }\n"
        + "}\n").assertSuccess();
    Sent sent = stackSendsToRecv(LOSSY_BYTES, 32);

    Map<String, Long> rules = Nftables.ruleCounters(net.ns());
    Map<String, Long> kernel = kernelCounters();
    LinkSnapshot s = LinkSnapshot.of(net);
    String why = sent.info + "; " + s + "; kernel " + kernel + "; rules " + rules;
    report("2% loss, nftables", sent, s, kernel);
    System.out.println("=> 2% loss, nftables: rules " + rules);
    assertTrue(rules.getOrDefault("from-stack", 0L) > 0, "the input rule dropped segments from the stack: " + why);
    assertTrue(rules.getOrDefault("to-stack", 0L) > 0, "the output rule dropped packets to the stack: " + why);
    assertRepairedMostlyByFastRetransmit(s, why);
    s.assertNoLoopErrors(why);
  }

  /** Fast retransmits happened, and outnumber the retransmission timeouts. */
  private static void assertRepairedMostlyByFastRetransmit(LinkSnapshot s, String why) {
    long fast = s.stack(StackCounter.TCP_FAST_RETRANSMITS);
    long timeouts = s.stack(StackCounter.TCP_RTO_EXPIRIES);
    assertTrue(s.stack(StackCounter.TCP_RETRANS_SEGS) > 0, "the stack resent what was lost: " + why);
    assertTrue(fast > 0, "the stack repaired losses by fast retransmit: " + why);
    assertTrue(fast > timeouts, "fast retransmits (" + fast + ") outnumber retransmission timeouts (" + timeouts + "): " + why);
  }

  // ---------------------------------------------------------------- bottleneck

  /**
   * What the stack sends is shaped to {@link #BOTTLENECK_BITS_PER_SECOND} on the kernel's side: tbf
   * shapes only egress, so the tun device's ingress is redirected (u32 match-all filter, mirred) to
   * an ifb device in the namespace (deleted with it), whose root qdisc is the token bucket: 64 KiB
   * of burst (tbf needs at least rate/HZ to reach its rate), a queue of 20 ms. The stack must get through
   * byte-exact without collapsing: few timeouts, losses (if the queue overflowed) repaired by fast
   * retransmit, a congestion window of more than a couple of segments at the end.
   */
  @Test
  void tokenBucketBottleneckOnTheKernelSide() throws Exception {
    net = TunStack.startPlain(); // nftables and tc count and drop single packets
    String tun = net.device();
    net.ns().exec("ip", "link", "add", IFB, "type", "ifb").assertSuccess();
    net.ns().exec("ip", "link", "set", IFB, "up").assertSuccess();
    net.ns().exec("tc", "qdisc", "add", "dev", tun, "handle", "ffff:", "ingress").assertSuccess();
    net.ns().exec("tc", "filter", "add", "dev", tun, "parent", "ffff:", "protocol", "ip", "u32", "match", "u32", "0", "0",
        "action", "mirred", "egress", "redirect", "dev", IFB).assertSuccess();
    net.ns().exec("tc", "qdisc", "add", "dev", IFB, "root", "tbf", "rate", BOTTLENECK_BITS_PER_SECOND + "bit", "burst", "64kb",
        "latency", "20ms").assertSuccess();
    Sent sent = stackSendsToRecv(BOTTLENECK_BYTES, 41);

    String qdiscs = net.ns().exec("tc", "-s", "qdisc", "show").assertSuccess().stdout();
    Map<String, Long> kernel = kernelCounters();
    LinkSnapshot s = LinkSnapshot.of(net);
    long tbfSent = 0;
    long tbfDropped = -1;
    long tbfOverlimits = -1;
    Matcher m = QDISC_STATS.matcher(qdiscs);
    while (m.find()) {
      if (m.group(1).equals("tbf") && m.group(2).equals(IFB)) {
        tbfSent = Long.parseLong(m.group(4));
        tbfDropped = Long.parseLong(m.group(5));
        tbfOverlimits = Long.parseLong(m.group(6));
      }
    }
    String why = sent.info + "; " + s + "; kernel " + kernel + "\n" + qdiscs;
    report("bottleneck " + BOTTLENECK_BITS_PER_SECOND / 1_000_000 + " Mbit/s", sent, s, kernel);
    System.out.println("=> bottleneck " + BOTTLENECK_BITS_PER_SECOND / 1_000_000 + " Mbit/s: tbf on " + IFB + " passed " + tbfSent
        + " packets, held back " + tbfOverlimits + " (overlimits), dropped " + tbfDropped + "\n" + qdiscs);
    assertTrue(tbfSent > BOTTLENECK_BYTES / 1500, "the stack's traffic went through the token bucket: " + why);
    assertTrue(tbfOverlimits > 0, "the token bucket held packets back: it was the bottleneck: " + why);
    if (tbfDropped > 0) { // the queue overflowed (it holds 20 ms at this rate: 50 KB, less than the 64 KiB window)
      assertRepairedMostlyByFastRetransmit(s, why);
    }
    assertTrue(s.stack(StackCounter.TCP_RTO_EXPIRIES) <= MAX_RTO_EXPIRIES_AT_BOTTLENECK,
        "at most " + MAX_RTO_EXPIRIES_AT_BOTTLENECK + " retransmission timeouts at the bottleneck: " + why);
    assertTrue(sent.info.cwnd() > 2 * sent.info.sendMss(),
        "the congestion window ended above two segments (" + sent.info.cwnd() + " bytes): " + why);
    s.assertNoLoopErrors(why);
  }

  // ---------------------------------------------------------------- the transfers

  /**
   * One transfer from the stack: what it sent, the connection's {@link TcpInfo} once Linux had
   * everything (FIN included) and before the socket closed, the time from connect until Linux
   * reported, and Linux's report.
   */
  private record Sent(String digest, TcpInfo info, long elapsedNs, long bytes, String kernelLine) {

    double megabytesPerSecond() {
      return bytes / (elapsedNs / 1e9) / 1e6;
    }
  }

  /** {@link #stackSends} to {@code tcp_peer.py recv}, checking its report (length and SHA-256). */
  private Sent stackSendsToRecv(int bytes, int seed) throws Exception {
    Process listener = net.ns().start("python3", peer.toString(), "recv", TunStack.HOST, Integer.toString(PORT));
    Sent sent = stackSends(listener, bytes, seed);
    assertEquals("received " + bytes + " " + sent.digest, sent.kernelLine,
        "Linux read exactly what the stack sent (length and SHA-256)");
    return sent;
  }

  /**
   * Waits for {@code listener} to print "listening", then the stack connects to it, sends {@code
   * bytes} of a seeded stream and shuts its output down (FIN); once the listener prints its next
   * line (it has read everything), takes the connection's info and closes it.
   */
  private Sent stackSends(Process listener, int bytes, int seed) throws Exception {
    BufferedReader out = new BufferedReader(new InputStreamReader(listener.getInputStream(), StandardCharsets.UTF_8));
    assertEquals("listening", await(CompletableFuture.supplyAsync(() -> Await.readLine(out), threads), "the listener starting"));
    long start = System.nanoTime();
    long[] reported = new long[1];
    CompletableFuture<String> result = CompletableFuture.supplyAsync(() -> {
      String line = Await.readLine(out);
      reported[0] = System.nanoTime();
      return line;
    }, threads);
    TcpSocket c = TcpSocket.connect(net.runtime(), (Inet4Address) InetAddress.getByName(TunStack.HOST), PORT, Duration.ofSeconds(10));
    try {
      CompletableFuture<String> sending = CompletableFuture.supplyAsync(() -> {
        MessageDigest sha = SeededStream.sha256();
        // Not SeededStream (one SHA-256 per 32 bytes: some 6 MB/s, slower than the stack): Linux's
        // side only hashes what arrives, so any seeded bytes do, and these come at memory speed.
        SplittableRandom stream = new SplittableRandom(seed);
        byte[] buf = new byte[256 * 1024];
        try {
          for (int left = bytes; left > 0; ) {
            int n = Math.min(left, buf.length);
            stream.nextBytes(buf);
            sha.update(buf, 0, n);
            c.write(buf, 0, n);
            left -= n;
          }
          c.shutdownOutput(); // FIN after the last byte
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
        return SeededStream.hex(sha.digest());
      }, threads);
      String digest = await(sending, "the stack sending " + bytes + " bytes");
      String line = await(result, "Linux reading " + bytes + " bytes");
      TcpInfo info = c.info();
      Sent sent = new Sent(digest, info, reported[0] - start, bytes, line);
      assertTrue(listener.waitFor(LIMIT.toSeconds(), TimeUnit.SECONDS), "the listener exits after reporting");
      return sent;
    } finally {
      c.close();
    }
  }

  /** The result of {@code work}, or a failure that says what hung and what state everything was in. */
  private <T> T await(CompletableFuture<T> work, String what) throws InterruptedException {
    return Await.result(work, what, LIMIT, this::diagnostics);
  }

  private String diagnostics() {
    StringBuilder s = new StringBuilder();
    try {
      s.append("counters: ").append(LinkSnapshot.of(net));
    } catch (Exception e) {
      s.append("counters: unavailable (").append(e).append(")\n  stack counters: ").append(net.runtime().counters());
    }
    s.append("\nkernel sockets:\n").append(net.ns().exec("ss", "-tnmoi").stdout());
    s.append("kernel counters: ").append(kernelCounters());
    s.append("\nnftables:\n").append(net.ns().exec("nft", "list", "ruleset").stdout());
    s.append("qdiscs:\n").append(net.ns().exec("tc", "-s", "qdisc", "show").stdout());
    return s.toString();
  }

  private static void report(String what, Sent sent, LinkSnapshot s, Map<String, Long> kernel) {
    TcpInfo i = sent.info;
    System.out.printf(Locale.ROOT, "=> %s: %d bytes in %.2f s = %.1f MB/s (%.0f Mbit/s); connection: fast retransmits %d,"
            + " timeouts %d, retransmitted segments %d, dup ACKs %d, window probes %d, cwnd %d, ssthresh %d, srtt %.2f ms,"
            + " rto %.0f ms, segments out %d%n   %s%n   kernel %s%n",
        what, sent.bytes, sent.elapsedNs / 1e9, sent.megabytesPerSecond(), sent.megabytesPerSecond() * 8,
        i.fastRetransmits(), i.timeoutRetransmits(), i.retransmittedSegments(), i.duplicateAcks(), i.windowProbes(),
        i.cwnd(), i.ssthresh(), i.srttNs() / 1e6, i.rtoNs() / 1e6, i.segmentsOut(), s, kernel);
  }


  /** Linux's SNMP counters in the namespace. */
  private Map<String, Long> kernelCounters() {
    return Nstat.read(net.ns(), "TcpInSegs", "TcpOutSegs", "TcpRetransSegs", "TcpExtTCPOFOQueue",
        "TcpExtTCPToZeroWindowAdv", "TcpExtTCPFromZeroWindowAdv", "TcpExtTCPWantZeroWindowAdv",
        "TcpExtTCPZeroWindowDrop", "TcpExtTCPRcvQDrop", "TcpExtTCPRcvCollapsed", "TcpExtPruneCalled");
  }
}
