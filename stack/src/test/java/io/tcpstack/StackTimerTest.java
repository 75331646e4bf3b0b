package io.tcpstack;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tcpstack.testing.TcpHarness;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Applications' timers on the stack's clock: filed with the stack's deadline, run once in poll. */
class StackTimerTest {

  static final long MS = 1_000_000L;

  final TcpHarness h = new TcpHarness();
  final NetworkStack stack = h.stack();
  final List<String> ran = new ArrayList<>();

  @AfterEach
  void close() {
    h.close();
  }

  @Test
  void runsOnceInTheFirstPollAtOrAfterItsDeadlineAndSetsTheStacksNextDeadline() {
    StackTimer t = stack.timer(() -> ran.add("t at " + stack.nowNs() / MS));
    assertEquals(Long.MAX_VALUE, stack.pollAt(), "not armed: no deadline");
    t.schedule(30 * MS);
    assertTrue(t.isScheduled());
    assertEquals(30 * MS, stack.pollAt());
    h.atMs(29);
    assertEquals(List.of(), ran);
    h.atMs(31);
    assertEquals(List.of("t at 31"), ran);
    assertFalse(t.isScheduled());
    h.atMs(100);
    assertEquals(List.of("t at 31"), ran, "once");
  }

  @Test
  void reschedulingMovesItAndCancelTakesItOut() {
    StackTimer a = stack.timer(() -> ran.add("a"));
    StackTimer b = stack.timer(() -> ran.add("b"));
    a.schedule(10 * MS);
    b.schedule(20 * MS);
    a.schedule(40 * MS); // later now: b first
    assertEquals(20 * MS, stack.pollAt());
    h.atMs(50);
    assertEquals(List.of("b", "a"), ran);
    a.schedule(60 * MS);
    a.cancel();
    a.cancel(); // idempotent
    h.atMs(100);
    assertEquals(List.of("b", "a"), ran);
  }

  @Test
  void aTaskMayRearmItsOwnTimer() {
    StackTimer[] t = new StackTimer[1];
    t[0] = stack.timer(() -> {
      ran.add("tick " + stack.nowNs() / MS);
      if (ran.size() < 3) {
        t[0].schedule(stack.nowNs() + 10 * MS);
      }
    });
    t[0].schedule(10 * MS);
    for (long ms = 10; ms <= 60; ms += 10) {
      h.atMs(ms);
    }
    assertEquals(List.of("tick 10", "tick 20", "tick 30"), ran);
  }
}
