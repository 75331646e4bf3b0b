package io.tcpstack.tcp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class DeadlineHeapTest {

  private static final long NEVER = DeadlineHeap.NEVER;

  /** A heap entry with a name, for messages. */
  private static final class Timer extends DeadlineHeap.Entry {
    final int id;

    Timer(int id) {
      this.id = id;
    }

    @Override
    public String toString() {
      return "Timer" + id + (isScheduled() ? "@" + heapDeadlineNs : "");
    }
  }

  private static Timer[] timers(int n) {
    Timer[] t = new Timer[n];
    for (int i = 0; i < n; i++) {
      t[i] = new Timer(i);
    }
    return t;
  }

  /** Polls until nothing is due at {@code nowNs}, returning what came out in order. */
  private static List<Timer> drain(DeadlineHeap<Timer> heap, long nowNs) {
    List<Timer> out = new ArrayList<>();
    for (Timer t; (t = heap.pollDue(nowNs)) != null; ) {
      assertFalse(t.isScheduled(), "a polled entry is no longer scheduled");
      assertEquals(-1, t.heapIndex);
      out.add(t);
    }
    return out;
  }

  /**
   * Checks the heap's structure from the outside, through the slots the entries claim: the
   * scheduled entries occupy slots 0 to size - 1 once each, no parent's deadline is after its
   * child's (by subtraction), and the head's deadline is {@link DeadlineHeap#peekDeadline()}.
   */
  private static void assertHeapInvariant(DeadlineHeap<Timer> heap, Timer[] all) {
    Timer[] slots = new Timer[heap.size()];
    for (Timer t : all) {
      if (!t.isScheduled()) {
        assertEquals(-1, t.heapIndex, t.toString());
        continue;
      }
      assertTrue(t.heapIndex < slots.length, () -> t + " claims slot " + t.heapIndex);
      assertNull(slots[t.heapIndex], () -> "two entries claim slot " + t.heapIndex);
      slots[t.heapIndex] = t;
    }
    for (int i = 0; i < slots.length; i++) {
      assertNotNull(slots[i], "slot " + i + " is claimed by no entry");
    }
    for (int i = 1; i < slots.length; i++) {
      Timer parent = slots[(i - 1) / 2];
      Timer child = slots[i];
      if (child.heapDeadlineNs - parent.heapDeadlineNs < 0) {
        fail("parent " + parent + " is after its child " + child + " in slot " + i);
      }
    }
    assertEquals(slots.length == 0 ? NEVER : slots[0].heapDeadlineNs, heap.peekDeadline());
    assertEquals(slots.length == 0, heap.isEmpty());
  }

  @Nested
  class Empty {

    @Test
    void hasNoDeadlineAndNothingDue() {
      DeadlineHeap<Timer> heap = new DeadlineHeap<>();
      assertEquals(NEVER, heap.peekDeadline());
      assertTrue(heap.isEmpty());
      assertEquals(0, heap.size());
      assertNull(heap.pollDue(0));
      assertNull(heap.pollDue(Long.MAX_VALUE));
      assertNull(heap.pollDue(Long.MIN_VALUE));
    }

    @Test
    void anEntryStartsUnscheduled() {
      Timer t = new Timer(0);
      assertFalse(t.isScheduled());
      assertEquals(-1, t.heapIndex);
    }
  }

  @Nested
  class Expiry {

    @Test
    void entriesComeOutEarliestFirstWhateverTheOrderTheyWereScheduledIn() {
      DeadlineHeap<Timer> heap = new DeadlineHeap<>();
      Timer[] t = timers(5);
      heap.schedule(t[0], 30);
      heap.schedule(t[1], 10);
      heap.schedule(t[2], 50);
      heap.schedule(t[3], 20);
      heap.schedule(t[4], 40);
      assertEquals(5, heap.size());
      assertEquals(10, heap.peekDeadline());
      assertEquals(List.of(t[1], t[3], t[0], t[4], t[2]), drain(heap, 1_000));
      assertTrue(heap.isEmpty());
      assertEquals(NEVER, heap.peekDeadline());
    }

    @Test
    void pollDueReturnsNullWhenNothingIsDue() {
      DeadlineHeap<Timer> heap = new DeadlineHeap<>();
      Timer t = new Timer(0);
      heap.schedule(t, 100);
      assertNull(heap.pollDue(99));
      assertNull(heap.pollDue(-1_000));
      // Nothing changed.
      assertEquals(1, heap.size());
      assertTrue(t.isScheduled());
      assertEquals(100, heap.peekDeadline());
    }

    @Test
    void aDeadlineEqualToNowIsDue() {
      DeadlineHeap<Timer> heap = new DeadlineHeap<>();
      Timer t = new Timer(0);
      heap.schedule(t, 100);
      assertSame(t, heap.pollDue(100));
      assertNull(heap.pollDue(100));
    }

    @Test
    void pollDueTakesOnlyTheDueEntriesAndLeavesTheRest() {
      DeadlineHeap<Timer> heap = new DeadlineHeap<>();
      Timer[] t = timers(4);
      heap.schedule(t[0], 10);
      heap.schedule(t[1], 20);
      heap.schedule(t[2], 30);
      heap.schedule(t[3], 40);
      assertEquals(List.of(t[0], t[1]), drain(heap, 25));
      assertEquals(2, heap.size());
      assertEquals(30, heap.peekDeadline());
      assertTrue(t[2].isScheduled());
      assertTrue(t[3].isScheduled());
      assertEquals(List.of(t[2], t[3]), drain(heap, 40));
    }

    @Test
    void aDeadlineAlreadyPastIsDueAtOnce() {
      DeadlineHeap<Timer> heap = new DeadlineHeap<>();
      Timer t = new Timer(0);
      heap.schedule(t, -5);
      assertSame(t, heap.pollDue(0));
    }

    @Test
    void equalDeadlinesComeOutInTheSameOrderEveryTime() {
      List<Integer> first = null;
      for (int run = 0; run < 3; run++) {
        DeadlineHeap<Timer> heap = new DeadlineHeap<>();
        Timer[] t = timers(40);
        for (int i = 0; i < t.length; i++) {
          heap.schedule(t[i], i % 3 == 0 ? 7 : 5);
        }
        heap.cancel(t[11]);
        heap.schedule(t[20], 5);
        List<Integer> ids = new ArrayList<>();
        for (Timer x : drain(heap, 7)) {
          ids.add(x.id);
        }
        assertEquals(39, ids.size());
        if (first == null) {
          first = ids;
        } else {
          assertEquals(first, ids);
        }
      }
    }

    @Test
    void theHeapGrowsPastItsInitialCapacity() {
      DeadlineHeap<Timer> heap = new DeadlineHeap<>();
      Timer[] t = timers(1_000);
      for (int i = 0; i < t.length; i++) {
        heap.schedule(t[i], 1_000 - i); // the worst case for sift-up: each new one is earliest
      }
      assertEquals(1_000, heap.size());
      assertHeapInvariant(heap, t);
      List<Timer> out = drain(heap, 1_000);
      assertEquals(1_000, out.size());
      for (int i = 0; i < out.size(); i++) {
        assertSame(t[t.length - 1 - i], out.get(i));
      }
    }
  }

  @Nested
  class Cancellation {

    @Test
    void cancellingTheHeadMakesTheNextOneTheHead() {
      DeadlineHeap<Timer> heap = new DeadlineHeap<>();
      Timer[] t = timers(3);
      heap.schedule(t[0], 10);
      heap.schedule(t[1], 20);
      heap.schedule(t[2], 30);
      heap.cancel(t[0]);
      assertFalse(t[0].isScheduled());
      assertEquals(-1, t[0].heapIndex);
      assertEquals(2, heap.size());
      assertEquals(20, heap.peekDeadline());
      assertHeapInvariant(heap, t);
      assertEquals(List.of(t[1], t[2]), drain(heap, 100));
    }

    @Test
    void cancellingAMiddleEntryKeepsTheOthersInOrder() {
      DeadlineHeap<Timer> heap = new DeadlineHeap<>();
      Timer[] t = timers(15);
      for (int i = 0; i < t.length; i++) {
        heap.schedule(t[i], 10 * (i + 1));
      }
      // Slot 1 is an inner node with children; slot 9 is a leaf in another subtree.
      Timer inner = t[1];
      assertEquals(1, inner.heapIndex);
      heap.cancel(inner);
      heap.cancel(t[9]);
      assertHeapInvariant(heap, t);
      List<Timer> expected = new ArrayList<>(Arrays.asList(t));
      expected.remove(t[9]);
      expected.remove(inner);
      assertEquals(expected, drain(heap, 1_000));
    }

    @Test
    void cancellingTheEntryInTheLastSlot() {
      DeadlineHeap<Timer> heap = new DeadlineHeap<>();
      Timer[] t = timers(4);
      for (int i = 0; i < t.length; i++) {
        heap.schedule(t[i], i);
      }
      assertEquals(3, t[3].heapIndex);
      heap.cancel(t[3]);
      assertHeapInvariant(heap, t);
      assertEquals(List.of(t[0], t[1], t[2]), drain(heap, 10));
    }

    @Test
    void theLastEntryCanMoveUpIntoTheHole() {
      // Removing a leaf from one subtree fills its hole with the last entry, from another subtree,
      // whose deadline may be earlier than the hole's new parent: it has to move up.
      DeadlineHeap<Timer> heap = new DeadlineHeap<>();
      Timer[] t = timers(7);
      long[] deadlines = {0, 100, 1, 101, 102, 2, 3}; // slot i holds t[i]
      for (int i = 0; i < t.length; i++) {
        heap.schedule(t[i], deadlines[i]);
        assertEquals(i, t[i].heapIndex);
      }
      heap.cancel(t[4]); // its parent is t[1] at 100; the last entry t[6] at 3 replaces it
      assertHeapInvariant(heap, t);
      assertEquals(List.of(t[0], t[2], t[5], t[6], t[1], t[3]), drain(heap, 1_000));
    }

    @Test
    void cancellingAnUnscheduledEntryDoesNothing() {
      DeadlineHeap<Timer> heap = new DeadlineHeap<>();
      Timer[] t = timers(2);
      heap.schedule(t[0], 10);
      heap.cancel(t[1]);
      assertEquals(1, heap.size());
      assertEquals(-1, t[1].heapIndex);
      assertEquals(0, t[0].heapIndex);
      assertEquals(10, heap.peekDeadline());
    }

    @Test
    void cancellingTwiceDoesNothingTheSecondTime() {
      DeadlineHeap<Timer> heap = new DeadlineHeap<>();
      Timer[] t = timers(3);
      heap.schedule(t[0], 10);
      heap.schedule(t[1], 20);
      heap.schedule(t[2], 30);
      heap.cancel(t[1]);
      heap.cancel(t[1]);
      assertEquals(2, heap.size());
      assertHeapInvariant(heap, t);
      assertEquals(List.of(t[0], t[2]), drain(heap, 100));
    }

    @Test
    void everyWayOutResetsTheSlotToMinusOne() {
      DeadlineHeap<Timer> heap = new DeadlineHeap<>();
      Timer[] t = timers(3);
      heap.schedule(t[0], 10);
      heap.schedule(t[1], 20);
      heap.schedule(t[2], 30);
      assertTrue(t[0].isScheduled() && t[1].isScheduled() && t[2].isScheduled());

      assertSame(t[0], heap.pollDue(10));
      assertEquals(-1, t[0].heapIndex);
      heap.cancel(t[1]);
      assertEquals(-1, t[1].heapIndex);
      heap.schedule(t[2], NEVER);
      assertEquals(-1, t[2].heapIndex);

      for (Timer x : t) {
        assertFalse(x.isScheduled());
      }
      assertTrue(heap.isEmpty());
    }

    @Test
    void anEntryCanBeScheduledAgainAfterItWasRemoved() {
      DeadlineHeap<Timer> heap = new DeadlineHeap<>();
      Timer t = new Timer(0);
      heap.schedule(t, 10);
      assertSame(t, heap.pollDue(10));
      heap.schedule(t, 20);
      assertTrue(t.isScheduled());
      assertEquals(20, heap.peekDeadline());
      heap.cancel(t);
      heap.schedule(t, 30);
      assertEquals(1, heap.size());
      assertSame(t, heap.pollDue(30));
    }

    @Test
    void anEntryInAnotherHeapIsRefused() {
      DeadlineHeap<Timer> mine = new DeadlineHeap<>();
      DeadlineHeap<Timer> other = new DeadlineHeap<>();
      Timer t = new Timer(0);
      mine.schedule(t, 10);
      assertThrows(IllegalStateException.class, () -> other.schedule(t, 5));
      assertThrows(IllegalStateException.class, () -> other.cancel(t));
      // Neither heap was changed.
      assertTrue(other.isEmpty());
      assertEquals(1, mine.size());
      assertEquals(10, mine.peekDeadline());
      assertSame(t, mine.pollDue(10));
    }
  }

  @Nested
  class Rescheduling {

    @Test
    void movingAnEntryEarlierBringsItOutSooner() {
      DeadlineHeap<Timer> heap = new DeadlineHeap<>();
      Timer[] t = timers(4);
      heap.schedule(t[0], 10);
      heap.schedule(t[1], 20);
      heap.schedule(t[2], 30);
      heap.schedule(t[3], 40);
      heap.schedule(t[3], 5);
      assertEquals(4, heap.size());
      assertEquals(5, heap.peekDeadline());
      assertEquals(5, t[3].heapDeadlineNs);
      assertHeapInvariant(heap, t);
      assertEquals(List.of(t[3], t[0], t[1], t[2]), drain(heap, 100));
    }

    @Test
    void movingAnEntryLaterBringsItOutLater() {
      DeadlineHeap<Timer> heap = new DeadlineHeap<>();
      Timer[] t = timers(4);
      heap.schedule(t[0], 10);
      heap.schedule(t[1], 20);
      heap.schedule(t[2], 30);
      heap.schedule(t[3], 40);
      heap.schedule(t[0], 35);
      assertEquals(4, heap.size());
      assertEquals(20, heap.peekDeadline());
      assertHeapInvariant(heap, t);
      assertEquals(List.of(t[1], t[2]), drain(heap, 30));
      assertNull(heap.pollDue(34));
      assertEquals(List.of(t[0], t[3]), drain(heap, 40));
    }

    @Test
    void reArmingAtTheSameDeadlineChangesNothing() {
      DeadlineHeap<Timer> heap = new DeadlineHeap<>();
      Timer[] t = timers(3);
      heap.schedule(t[0], 10);
      heap.schedule(t[1], 20);
      heap.schedule(t[2], 30);
      int[] before = {t[0].heapIndex, t[1].heapIndex, t[2].heapIndex};
      heap.schedule(t[1], 20);
      assertEquals(3, heap.size());
      assertEquals(before[0], t[0].heapIndex);
      assertEquals(before[1], t[1].heapIndex);
      assertEquals(before[2], t[2].heapIndex);
    }

    @Test
    void schedulingAtNeverCancels() {
      DeadlineHeap<Timer> heap = new DeadlineHeap<>();
      Timer[] t = timers(2);
      heap.schedule(t[0], 10);
      heap.schedule(t[1], 20);
      heap.schedule(t[0], NEVER);
      assertFalse(t[0].isScheduled());
      assertEquals(1, heap.size());
      assertEquals(20, heap.peekDeadline());
      assertEquals(List.of(t[1]), drain(heap, Long.MAX_VALUE - 1));
    }

    @Test
    void schedulingAnUnscheduledEntryAtNeverDoesNothing() {
      DeadlineHeap<Timer> heap = new DeadlineHeap<>();
      Timer t = new Timer(0);
      heap.schedule(t, NEVER);
      assertFalse(t.isScheduled());
      assertTrue(heap.isEmpty());
      assertEquals(NEVER, heap.peekDeadline());
      assertNull(heap.pollDue(NEVER));
    }
  }

  @Nested
  class WrapAround {

    @Test
    void deadlinesThatOverflowIntoNegativeNumbersComeAfterThoseBeforeTheWrap() {
      long now = Long.MAX_VALUE - 1_000;
      DeadlineHeap<Timer> heap = new DeadlineHeap<>();
      Timer[] t = timers(5);
      heap.schedule(t[0], now + 3_000); // wraps: negative
      heap.schedule(t[1], now + 500); // positive, just before the wrap
      heap.schedule(t[2], now + 1_500); // wraps: negative
      heap.schedule(t[3], now - 10); // already past
      heap.schedule(t[4], now + 999); // Long.MAX_VALUE - 1, the last value before NEVER
      assertTrue(t[0].heapDeadlineNs < 0 && t[2].heapDeadlineNs < 0, "the deadlines did wrap");
      assertHeapInvariant(heap, t);

      assertEquals(List.of(t[3]), drain(heap, now));
      assertEquals(now + 500, heap.peekDeadline());
      assertNull(heap.pollDue(now + 499));
      assertEquals(List.of(t[1]), drain(heap, now + 500));
      assertEquals(List.of(t[4]), drain(heap, now + 999));
      assertEquals(now + 1_500, heap.peekDeadline());
      assertNull(heap.pollDue(now + 1_499)); // a negative now, still before t[2]
      assertEquals(List.of(t[2]), drain(heap, now + 1_500));
      assertNull(heap.pollDue(now + 2_999));
      assertEquals(List.of(t[0]), drain(heap, now + 3_000));
      assertTrue(heap.isEmpty());
    }

    @Test
    void aWrappedDeadlineIsNotDueBeforeItsTimeThoughItIsANegativeNumber() {
      long now = Long.MAX_VALUE - 100;
      DeadlineHeap<Timer> heap = new DeadlineHeap<>();
      Timer t = new Timer(0);
      heap.schedule(t, now + 200); // Long.MIN_VALUE + 99
      assertNull(heap.pollDue(now));
      assertNull(heap.pollDue(Long.MAX_VALUE - 1));
      assertNull(heap.pollDue(Long.MIN_VALUE));
      assertSame(t, heap.pollDue(Long.MIN_VALUE + 99));
    }

    @Test
    void aClockThatStartedNearLongMinValueOrdersDeadlinesFromBeforeIt() {
      long now = Long.MIN_VALUE + 10;
      DeadlineHeap<Timer> heap = new DeadlineHeap<>();
      Timer[] t = timers(3);
      heap.schedule(t[0], now + 5);
      heap.schedule(t[1], now - 20); // Long.MAX_VALUE - 9: positive and huge, but in the past
      heap.schedule(t[2], now);
      assertEquals(now - 20, heap.peekDeadline());
      assertEquals(List.of(t[1], t[2]), drain(heap, now));
      assertEquals(List.of(t[0]), drain(heap, now + 5));
    }

    @Test
    void aDeadlineThatLandsExactlyOnLongMaxValueIsNever() {
      // The documented limit of NEVER as a sentinel: on a clock that passes Long.MAX_VALUE, a
      // deadline equal to it cancels instead of scheduling.
      DeadlineHeap<Timer> heap = new DeadlineHeap<>();
      Timer t = new Timer(0);
      long now = Long.MAX_VALUE - 10;
      heap.schedule(t, now + 5);
      heap.schedule(t, now + 10);
      assertFalse(t.isScheduled());
      assertTrue(heap.isEmpty());
    }
  }

  @Nested
  class AgainstASortedReference {

    /**
     * Random schedules, re-schedules and cancels of 10,000 entries, interleaved with clock
     * advances that poll every due entry; each drain is compared with the due entries of a plain
     * map of what should be scheduled, sorted. The clock starts at {@code originNs}: the runs near
     * {@link Long#MAX_VALUE} and {@link Long#MIN_VALUE} carry deadlines across the wrap.
     */
    @ParameterizedTest
    @ValueSource(longs = {0L, Long.MAX_VALUE - 2_000_000_000L, Long.MIN_VALUE, -1L})
    void pollDueReturnsExactlyTheDueEntriesInOrder(long originNs) {
      SplittableRandom rnd = new SplittableRandom(0x5EEDL ^ originNs);
      int n = 10_000;
      Timer[] t = timers(n);
      DeadlineHeap<Timer> heap = new DeadlineHeap<>();
      // The reference: whether each entry should be scheduled, and at what deadline.
      boolean[] scheduled = new boolean[n];
      long[] deadline = new long[n];
      long now = originNs;
      int drains = 0;
      int polled = 0;

      for (int step = 0; step < 200_000; step++) {
        int op = rnd.nextInt(100);
        if (op < 80) {
          // Schedule or re-arm, mostly in the next 10 ms, sometimes in the past, sometimes on a
          // coarse grid so that equal deadlines are common.
          int i = rnd.nextInt(n);
          long offset = rnd.nextLong(-1_000_000, 10_000_000);
          if (rnd.nextInt(4) == 0) {
            offset = offset / 1_000_000 * 1_000_000;
          }
          long d = now + offset;
          heap.schedule(t[i], d);
          // A deadline landing on NEVER cancels (the run near the wrap may hit it, rarely).
          scheduled[i] = d != NEVER;
          deadline[i] = d;
        } else if (op < 97) {
          int i = rnd.nextInt(n);
          heap.cancel(t[i]);
          scheduled[i] = false;
        } else {
          now += rnd.nextLong(0, 1_500_000);
          List<Timer> out = drain(heap, now);
          checkDrain(out, scheduled, deadline, now);
          drains++;
          polled += out.size();
          checkHead(heap, scheduled, deadline, now);
        }
        if (step % 997 == 0) {
          assertHeapInvariant(heap, t);
          checkSize(heap, scheduled);
        }
      }
      assertHeapInvariant(heap, t);
      checkSize(heap, scheduled);
      assertTrue(drains > 1_000 && polled > 10_000, "the run exercised polling: " + polled);

      // The rest, at a time after every deadline.
      now += 1_000_000_000L;
      checkDrain(drain(heap, now), scheduled, deadline, now);
      assertTrue(heap.isEmpty());
      assertEquals(NEVER, heap.peekDeadline());
      for (Timer x : t) {
        assertEquals(-1, x.heapIndex, x.toString());
      }
    }

    /**
     * The polled entries must be exactly those the reference has due at {@code now}, in order of
     * deadline (any order among equal deadlines); marks them unscheduled in the reference.
     */
    private void checkDrain(List<Timer> out, boolean[] scheduled, long[] deadline, long now) {
      List<Long> expectedOffsets = new ArrayList<>();
      Set<Integer> expectedIds = new HashSet<>();
      for (int i = 0; i < scheduled.length; i++) {
        if (scheduled[i] && deadline[i] - now <= 0) {
          expectedOffsets.add(deadline[i] - now);
          expectedIds.add(i);
        }
      }
      expectedOffsets.sort(null);
      List<Long> offsets = new ArrayList<>();
      Set<Integer> ids = new HashSet<>();
      for (Timer x : out) {
        assertTrue(scheduled[x.id], () -> x + " came out but was not scheduled");
        assertEquals(deadline[x.id], x.heapDeadlineNs, x.toString());
        offsets.add(x.heapDeadlineNs - now);
        assertTrue(ids.add(x.id), () -> x + " came out twice");
        scheduled[x.id] = false;
      }
      assertEquals(expectedOffsets, offsets);
      assertEquals(expectedIds, ids);
    }

    /** Nothing left is due, and the next deadline is the reference's earliest. */
    private void checkHead(
        DeadlineHeap<Timer> heap, boolean[] scheduled, long[] deadline, long now) {
      long earliest = NEVER;
      for (int i = 0; i < scheduled.length; i++) {
        if (scheduled[i] && (earliest == NEVER || deadline[i] - earliest < 0)) {
          earliest = deadline[i];
        }
      }
      assertEquals(earliest, heap.peekDeadline());
      if (earliest != NEVER) {
        assertTrue(earliest - now > 0, "a due entry was left behind");
      }
    }

    private void checkSize(DeadlineHeap<Timer> heap, boolean[] scheduled) {
      int count = 0;
      for (boolean s : scheduled) {
        count += s ? 1 : 0;
      }
      assertEquals(count, heap.size());
    }
  }
}
