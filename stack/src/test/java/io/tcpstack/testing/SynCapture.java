package io.tcpstack.testing;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code tcpdump} on one device of a namespace, capturing every SYN and SYN-ACK that passes, with
 * the TCP options as tcpdump prints them ({@code options [mss 1460,sackOK,TS val 1 ecr 0,nop,wscale
 * 7]}): what the two ends offered and answered, seen on the wire. Skips (or, with CI=true, fails)
 * without tcpdump. {@link #close()} stops tcpdump (by PID); the namespace's close would too.
 */
public final class SynCapture implements AutoCloseable {

  /** {@code 198.18.1.2.45678 > 198.18.0.2.9: Flags [S], seq 1, win 64240, options [...], length 0}. */
  private static final Pattern SYN_LINE = Pattern.compile(
      "IP (\\d+\\.\\d+\\.\\d+\\.\\d+)\\.(\\d+) > (\\d+\\.\\d+\\.\\d+\\.\\d+)\\.(\\d+): Flags \\[(S[^\\]]*)\\],"
          + ".*?(?:options \\[([^\\]]*)\\])?, length");

  private final Process tcpdump;
  private final List<String> lines = new ArrayList<>(); // guarded by itself
  private final String where;

  private SynCapture(Process tcpdump, String where) {
    this.tcpdump = tcpdump;
    this.where = where;
  }

  /** Starts tcpdump on {@code device} in {@code ns} and returns once it is capturing. */
  public static SynCapture start(TestNamespace ns, String device) throws IOException, InterruptedException {
    RoutedPath.assumeOnPath("tcpdump");
    // -l: a line per packet as it comes; -nn: addresses and ports as numbers; -t: no time stamps.
    Process p = ns.start("tcpdump", "-i", device, "-nn", "-t", "-l", "tcp[tcpflags] & tcp-syn != 0");
    SynCapture capture = new SynCapture(p, device + " in " + ns.name());
    BufferedReader in = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
    Thread reader = new Thread(() -> {
      try {
        for (String line; (line = in.readLine()) != null; ) {
          synchronized (capture.lines) {
            capture.lines.add(line);
            capture.lines.notifyAll();
          }
        }
      } catch (IOException e) {
        // tcpdump was stopped
      }
    }, "SynCapture-" + device);
    reader.setDaemon(true);
    reader.start();
    // tcpdump says "listening on DEV, link-type ..." (on stderr, merged) once the capture is open.
    capture.awaitLine(line -> line.startsWith("listening on"), Duration.ofSeconds(20), "tcpdump to start capturing");
    return capture;
  }

  /**
   * The first SYN ({@code ack} false) or SYN-ACK ({@code ack} true) sent from {@code source}, waiting
   * up to {@code limit} for it to be captured; fails with everything captured if none comes.
   */
  public Syn await(String source, boolean ack, Duration limit) throws InterruptedException {
    String line = awaitLine(l -> parse(l).filter(s -> s.source().equals(source) && s.ack() == ack).isPresent(), limit,
        "a " + (ack ? "SYN-ACK" : "SYN") + " from " + source);
    return parse(line).orElseThrow();
  }

  /** Every SYN and SYN-ACK captured so far, in order. */
  public List<Syn> syns() {
    synchronized (lines) {
      return lines.stream().map(SynCapture::parse).flatMap(Optional::stream).toList();
    }
  }

  private String awaitLine(java.util.function.Predicate<String> wanted, Duration limit, String what)
      throws InterruptedException {
    long deadlineNs = System.nanoTime() + limit.toNanos();
    synchronized (lines) {
      while (true) {
        for (String line : lines) {
          if (wanted.test(line)) {
            return line;
          }
        }
        long leftNs = deadlineNs - System.nanoTime();
        if (leftNs <= 0 || (!tcpdump.isAlive() && lines.stream().noneMatch(wanted))) {
          return fail("tcpdump on " + where + " did not capture " + what + " within " + limit.toSeconds() + " s"
              + (tcpdump.isAlive() ? "" : " (tcpdump exited)") + "; it printed:\n  " + String.join("\n  ", lines));
        }
        lines.wait(Math.max(1, leftNs / 1_000_000));
      }
    }
  }

  /** The SYN or SYN-ACK on one line of tcpdump's output, if it shows one. */
  static Optional<Syn> parse(String line) {
    Matcher m = SYN_LINE.matcher(line);
    if (!m.find()) {
      return Optional.empty();
    }
    List<String> options = m.group(6) == null ? List.of() : List.of(m.group(6).split(","));
    return Optional.of(new Syn(m.group(1), Integer.parseInt(m.group(2)), m.group(3), Integer.parseInt(m.group(4)),
        m.group(5).contains("."), options.stream().map(String::strip).toList(), line));
  }

  @Override
  public void close() {
    Processes.killTree(tcpdump.toHandle());
  }

  /**
   * A SYN or SYN-ACK as tcpdump showed it.
   *
   * @param options the TCP options in order, as tcpdump names them: {@code mss 1460}, {@code
   *     sackOK}, {@code TS val 1 ecr 0}, {@code nop}, {@code wscale 7}
   * @param line tcpdump's line, for messages
   */
  public record Syn(String source, int sourcePort, String destination, int destinationPort, boolean ack,
      List<String> options, String line) {

    /** RFC 2018 §2: SACK-permitted. */
    public boolean sackPermitted() {
      return options.contains("sackOK");
    }

    /** RFC 7323 §3: the timestamps option. */
    public boolean timestamps() {
      return options.stream().anyMatch(o -> o.startsWith("TS val"));
    }

    /** RFC 7323 §2: the window scale option's shift, if present. */
    public OptionalInt windowScale() {
      return number("wscale ");
    }

    /** RFC 9293 §3.7.1: the MSS option, if present. */
    public OptionalInt mss() {
      return number("mss ");
    }

    private OptionalInt number(String prefix) {
      return options.stream().filter(o -> o.startsWith(prefix))
          .mapToInt(o -> Integer.parseInt(o.substring(prefix.length()).strip())).findFirst();
    }

    @Override
    public String toString() {
      return line;
    }
  }
}
