package io.tcpstack.tcp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The out-of-order range set: merging, its cap of {@link Assembler#MAX_RANGES}, and rebasing as data arrives in order. */
class AssemblerTest {

  private final Assembler a = new Assembler();

  /** Ranges [10k+5, 10k+10) for k in 0..n-1: n disjoint ranges. */
  private void disjoint(int n) {
    for (int k = 0; k < n; k++) {
      assertTrue(a.add(10 * k + 5, 10 * k + 10), "range " + k);
    }
  }

  @Test
  void overlappingAndAdjacentRangesMergeIntoOne() {
    assertTrue(a.add(10, 20));
    assertTrue(a.add(30, 40));
    assertTrue(a.add(20, 30)); // adjacent to both: one range
    assertEquals(1, a.rangeCount());
    assertEquals(10, a.start(0));
    assertEquals(40, a.end(0));
    assertTrue(a.covers(15, 35));
    assertFalse(a.covers(5, 15));
  }

  @Test
  void aThirtyThirdDisjointRangeIsRefusedAndNothingChanges() {
    disjoint(Assembler.MAX_RANGES);
    assertEquals(32, Assembler.MAX_RANGES);
    assertFalse(a.wouldAdd(1000, 1010));
    assertFalse(a.add(1000, 1010));
    assertFalse(a.add(0, 2), "before the first range, not touching it");
    assertEquals(Assembler.MAX_RANGES, a.rangeCount());
    assertEquals(Assembler.MAX_RANGES * 10, a.end(Assembler.MAX_RANGES - 1));
  }

  @Test
  void atTheCapARangeThatMergesIsStillTakenAndOneThatBridgesTwoFreesASlot() {
    disjoint(Assembler.MAX_RANGES);
    assertTrue(a.wouldAdd(8, 12));
    assertTrue(a.add(10, 12)); // extends range 0 [5, 10) to [5, 12)
    assertTrue(a.add(12, 15)); // bridges [5, 12) and [15, 20)
    assertEquals(Assembler.MAX_RANGES - 1, a.rangeCount());
    assertTrue(a.add(1000, 1010), "the freed slot takes a new range");
    assertEquals(Assembler.MAX_RANGES, a.rangeCount());
  }

  @Test
  void advanceReturnsWhatBecameContiguousAndRebasesTheRest() {
    a.add(10, 20);
    a.add(30, 40);
    assertEquals(10, a.advance(10), "[10, 20) follows the 10 in-order bytes");
    assertEquals(1, a.rangeCount());
    assertEquals(10, a.start(0)); // [30, 40) rebased by 20
    assertEquals(20, a.end(0));
    assertEquals(0, a.advance(5), "a gap remains");
    assertEquals(5, a.start(0));
    assertEquals(10, a.advance(5));
    assertTrue(a.isEmpty());
  }
}
