package io.tcpstack.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.tcpstack.device.FaultInjector;
import io.tcpstack.device.ImpairmentCounter;
import io.tcpstack.stats.StackCounter;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The counters of a {@link TunStack} at one moment — the stack's, and its fault injector's in each
 * direction (null on a perfect link) — read on the stack thread, so they agree with each other.
 */
public record LinkSnapshot(Map<StackCounter, Long> stack, Map<ImpairmentCounter, Long> sent,
    Map<ImpairmentCounter, Long> received) {

  /** Reads the counters of {@code net} on its stack thread. */
  public static LinkSnapshot of(TunStack net) throws Exception {
    FaultInjector faults = net.faultsOrNull();
    return net.runtime().call(() -> new LinkSnapshot(net.runtime().counters().snapshot(),
            faults == null ? null : faults.transmitCounters().snapshot(),
            faults == null ? null : faults.receiveCounters().snapshot()))
        .get(10, TimeUnit.SECONDS);
  }

  public long stack(StackCounter c) {
    return stack.get(c);
  }

  /** Every packet the stack dropped, whatever the reason. */
  public long stackDrops() {
    return stack.entrySet().stream().filter(e -> e.getKey().isDrop()).mapToLong(Map.Entry::getValue).sum();
  }

  /** The stack loop caught no exception: the transfer may have survived one, but each is a bug. */
  public void assertNoLoopErrors(String why) {
    assertEquals(0, stack(StackCounter.LOOP_ERRORS),
        "the stack loop caught no exception (each is a bug, logged above with its stack trace): " + why);
  }

  @Override
  public String toString() {
    return "stack {" + nonZero(stack) + "}"
        + (sent == null ? "" : ", injector sent {" + nonZero(sent) + "}, received {" + nonZero(received) + "}");
  }

  private static String nonZero(Map<?, Long> counters) {
    StringBuilder s = new StringBuilder();
    counters.forEach((k, v) -> {
      if (v != 0) {
        s.append(s.length() == 0 ? "" : " ").append(k.toString().toLowerCase(Locale.ROOT)).append('=').append(v);
      }
    });
    return s.toString();
  }
}
