package io.tcpstack.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tcpstack.stats.StackCounter;
import io.tcpstack.testing.ProcessResult;
import io.tcpstack.testing.TestNamespace;
import io.tcpstack.testing.TunStack;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The stack on a real TUN device in a fresh network namespace, reached by Linux's own tools from the
 * kernel side. Needs root and /dev/net/tun: skipped with the reason otherwise, failed under CI=true.
 */
class TunPingIntegrationTest {

  private static final String HOST = "198.18.0.1";
  private static final String STACK = "198.18.0.2";
  private static final Duration LIMIT = Duration.ofSeconds(60);

  private TunStack stack;
  private TestNamespace ns;
  private StackRuntime runtime;
  private String device;

  @BeforeEach
  void start() throws IOException {
    stack = TunStack.start();
    ns = stack.ns();
    runtime = stack.runtime();
    device = stack.device();
  }

  @AfterEach
  void stop() {
    if (stack != null) {
      stack.close();
    }
  }

  @Test
  void pingGetsEveryReply() {
    ProcessResult r = ns.exec(LIMIT, "ping", "-n", "-c", "5", "-i", "0.2", "-W", "5", STACK);
    assertEquals(0, r.exitCode(), r.toString());
    assertTrue(r.stdout().contains("5 packets transmitted, 5 received, 0% packet loss"), r.toString());
    assertEquals(5, runtime.counters().get(StackCounter.ICMP_OUT_ECHO_REPS));
  }

  @Test
  void fragmentedPingIsReassembledAndAnsweredInFragments() {
    // 4000 data bytes exceed the 1500-byte MTU: Linux fragments the request, the stack reassembles
    // it, and fragments its reply, which Linux reassembles in turn.
    ProcessResult r = ns.exec(LIMIT, "ping", "-n", "-c", "3", "-i", "0.2", "-W", "5", "-s", "4000", "-M", "dont", STACK);
    assertEquals(0, r.exitCode(), r.toString());
    assertTrue(r.stdout().contains("3 packets transmitted, 3 received, 0% packet loss"), r.toString());
    assertTrue(r.stdout().contains("4008 bytes from " + STACK), r.toString());
    assertEquals(3, runtime.counters().get(StackCounter.IP_REASM_OKS));
    assertEquals(3, runtime.counters().get(StackCounter.IP_FRAG_OKS));
  }

  @Test
  void malformedPacketsAreDroppedAndCountedAndStackKeepsAnswering() throws IOException {
    Path script = TunStack.script("/tun/send_malformed.py");
    Map<StackCounter, Long> before = runtime.counters().snapshot();
    ProcessResult sent = ns.exec(LIMIT, "python3", script.toString(), device, HOST, STACK);
    assertEquals(0, sent.exitCode(), sent.toString());
    assertEquals(11, sent.stdout().lines().filter(l -> l.startsWith("sent ")).count(), sent.toString());

    Map<StackCounter, Long> expected = Map.ofEntries(
        Map.entry(StackCounter.IP_IN_TRUNCATED, 1L),
        Map.entry(StackCounter.IP_IN_BAD_VERSION, 1L),
        Map.entry(StackCounter.IP_IN_BAD_HEADER_LENGTH, 1L),
        Map.entry(StackCounter.IP_IN_BAD_TOTAL_LENGTH, 1L),
        Map.entry(StackCounter.IP_IN_BAD_CHECKSUM, 1L),
        Map.entry(StackCounter.IP_IN_NOT_FOR_US, 1L),
        Map.entry(StackCounter.IP_IN_BAD_SOURCE, 1L),
        Map.entry(StackCounter.IP_IN_UNKNOWN_PROTOCOL, 1L),
        Map.entry(StackCounter.ICMP_IN_BAD_CHECKSUM, 1L),
        Map.entry(StackCounter.ICMP_IN_TRUNCATED, 1L),
        Map.entry(StackCounter.IP6_IN_NOT_FOR_US, 1L));
    // The device queue is FIFO and the stack thread handles packets in order: once a ping sent
    // after the malformed packets is answered, all of them have been processed.
    ProcessResult ping = ns.exec(LIMIT, "ping", "-n", "-c", "3", "-i", "0.2", "-W", "5", STACK);
    assertTrue(ping.stdout().contains("3 packets transmitted, 3 received, 0% packet loss"), ping.toString());

    Map<StackCounter, Long> after = runtime.counters().snapshot();
    for (Map.Entry<StackCounter, Long> e : expected.entrySet()) {
      long delta = after.get(e.getKey()) - before.get(e.getKey());
      // The kernel may add its own IPv6 or multicast chatter to some counters, never less.
      assertTrue(delta >= e.getValue(), e.getKey() + " rose by " + delta + ", expected " + e.getValue());
    }
    assertEquals(0, after.get(StackCounter.LOOP_ERRORS), "no exception reached the stack loop");
    assertEquals(3, after.get(StackCounter.ICMP_OUT_ECHO_REPS) - before.get(StackCounter.ICMP_OUT_ECHO_REPS),
        "only the three good pings were answered");
  }
}
