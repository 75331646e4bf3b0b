package io.tcpstack.tcp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

class RttEstimatorTest {

  private static final long NS = 1;
  private static final long US = 1_000 * NS;
  private static final long MS = 1_000 * US;
  private static final long S = 1_000 * MS;

  /** Bounds wide enough that no test of the formulas hits them. */
  private static RttEstimator unclamped() {
    return new RttEstimator(1, 1_000 * S, 1 * S);
  }

  @Test
  void constantsAreRfc6298s() {
    assertEquals(1 * S, RttEstimator.INITIAL_RTO_NS); // §2.1
    assertEquals(1 * S, RttEstimator.RFC_MIN_RTO_NS); // §2.4
    assertEquals(60 * S, RttEstimator.RFC_LOWEST_MAX_RTO_NS); // §2.5
    assertEquals(4, RttEstimator.K); // §2.2
    assertEquals(8, RttEstimator.ALPHA_DIVISOR); // §2.3, alpha = 1/8
    assertEquals(4, RttEstimator.BETA_DIVISOR); // §2.3, beta = 1/4
    assertEquals(3 * S, RttEstimator.RTO_AFTER_SYN_TIMEOUT_NS); // §5.7
    assertEquals(1 * MS, RttEstimator.CLOCK_GRANULARITY_NS);
  }

  @Nested
  class BeforeAnySample {

    @Test
    void rtoIsTheInitialValue() {
      RttEstimator rtt = new RttEstimator(200 * MS, 60 * S, RttEstimator.INITIAL_RTO_NS);
      assertEquals(1 * S, rtt.rtoNs());
      assertFalse(rtt.hasSample());
      assertEquals(0, rtt.srttNs());
      assertEquals(0, rtt.rttvarNs());
      assertEquals(0, rtt.backoffCount());
      assertEquals(200 * MS, rtt.minRtoNs());
      assertEquals(60 * S, rtt.maxRtoNs());
    }

    @Test
    void theInitialValueBacksOffToo() {
      // §2.1: the backing off of §5.5 applies before the first measurement as well.
      RttEstimator rtt = new RttEstimator(1 * S, 60 * S, 1 * S);
      rtt.backoff();
      assertEquals(2 * S, rtt.rtoNs());
      rtt.resetBackoff();
      assertEquals(1 * S, rtt.rtoNs());
    }
  }

  @Nested
  class Formulas {

    @Test
    void firstSampleSetsSrttToRAndRttvarToHalfR() {
      RttEstimator rtt = unclamped();
      rtt.sample(100 * MS);
      assertTrue(rtt.hasSample());
      assertEquals(100 * MS, rtt.srttNs());
      assertEquals(50 * MS, rtt.rttvarNs());
      // RTO = SRTT + max(G, 4 * RTTVAR) = 100 + 200 ms.
      assertEquals(300 * MS, rtt.rtoNs());
    }

    @Test
    void laterSamplesFollowTheSmoothingFormulasComputedByHand() {
      RttEstimator rtt = unclamped();
      rtt.sample(100 * MS);

      // R' = 120 ms. RTTVAR = 3/4 * 50 + 1/4 * |100 - 120| = 37.5 + 5 = 42.5 ms (from the old
      // SRTT), then SRTT = 7/8 * 100 + 1/8 * 120 = 87.5 + 15 = 102.5 ms.
      rtt.sample(120 * MS);
      assertEquals(42_500 * US, rtt.rttvarNs());
      assertEquals(102_500 * US, rtt.srttNs());
      assertEquals(102_500 * US + 4 * 42_500 * US, rtt.rtoNs()); // 272.5 ms

      // R' = 80 ms. RTTVAR = 3/4 * 42.5 + 1/4 * |102.5 - 80| = 31.875 + 5.625 = 37.5 ms;
      // SRTT = 7/8 * 102.5 + 1/8 * 80 = 89.6875 + 10 = 99.6875 ms.
      rtt.sample(80 * MS);
      assertEquals(37_500 * US, rtt.rttvarNs());
      assertEquals(99_687_500 * NS, rtt.srttNs());
      assertEquals(249_687_500 * NS, rtt.rtoNs()); // 99.6875 + 150

      // R' = 99.6875 ms, exactly SRTT: RTTVAR decays by a quarter, SRTT holds.
      rtt.sample(99_687_500 * NS);
      assertEquals(28_125 * US, rtt.rttvarNs());
      assertEquals(99_687_500 * NS, rtt.srttNs());
      assertEquals(99_687_500 * NS + 112_500 * US, rtt.rtoNs());
    }

    @Test
    void rttvarIsUpdatedWithTheSrttFromBeforeTheSample() {
      // If SRTT were updated first, RTTVAR would use |62.5 - 400| instead of |100 - 400|.
      RttEstimator rtt = unclamped();
      rtt.sample(100 * MS); // SRTT 100, RTTVAR 50
      rtt.sample(400 * MS);
      assertEquals((3 * 50 * MS + 300 * MS) / 4, rtt.rttvarNs()); // 112.5 ms
      assertEquals((7 * 100 * MS + 400 * MS) / 8, rtt.srttNs()); // 137.5 ms
    }

    @Test
    void theClockGranularityKeepsRtoAboveSrttWhenTheRttIsSteady() {
      RttEstimator rtt = unclamped();
      for (int i = 0; i < 200; i++) {
        rtt.sample(10 * MS);
      }
      // RTTVAR shrinks by a quarter per sample and reaches 0; RTO = SRTT + max(G, 0) = SRTT + G.
      assertEquals(0, rtt.rttvarNs());
      assertEquals(10 * MS, rtt.srttNs());
      assertEquals(10 * MS + RttEstimator.CLOCK_GRANULARITY_NS, rtt.rtoNs());
    }

    @Test
    void aZeroSampleIsAllowed() {
      RttEstimator rtt = unclamped();
      rtt.sample(0);
      assertEquals(0, rtt.srttNs());
      assertEquals(0, rtt.rttvarNs());
      assertEquals(RttEstimator.CLOCK_GRANULARITY_NS, rtt.rtoNs());
    }

    @Test
    void aNegativeSampleIsACallerBug() {
      RttEstimator rtt = unclamped();
      IllegalArgumentException e =
          assertThrows(IllegalArgumentException.class, () -> rtt.sample(-1));
      assertTrue(e.getMessage().contains("negative"), e.getMessage());
      assertFalse(rtt.hasSample());
    }

    @Test
    void hugeSamplesSaturateWithoutOverflow() {
      RttEstimator rtt = new RttEstimator(1, Long.MAX_VALUE, 1 * S);
      rtt.sample(Long.MAX_VALUE);
      assertEquals(RttEstimator.MAX_SAMPLE_NS, rtt.srttNs());
      for (int i = 0; i < 10; i++) {
        rtt.sample(i % 2 == 0 ? 0 : Long.MAX_VALUE);
        assertTrue(rtt.srttNs() >= 0 && rtt.srttNs() <= RttEstimator.MAX_SAMPLE_NS);
        assertTrue(rtt.rttvarNs() >= 0 && rtt.rttvarNs() <= RttEstimator.MAX_SAMPLE_NS);
        assertTrue(rtt.rtoNs() > 0, rtt.toString());
      }
    }

    @Test
    void seededRandomSamplesStayWithinNanosecondsOfExactArithmetic() {
      SplittableRandom random = new SplittableRandom(0x6298L);
      for (int run = 0; run < 200; run++) {
        RttEstimator rtt = unclamped();
        double srtt = 0;
        double rttvar = 0;
        for (int i = 0; i < 500; i++) {
          long r = random.nextLong(0, 2 * S);
          if (i == 0) {
            srtt = r;
            rttvar = r / 2.0;
          } else {
            rttvar = 0.75 * rttvar + 0.25 * Math.abs(srtt - r);
            srtt = 0.875 * srtt + 0.125 * r;
          }
          rtt.sample(r);
          // Truncation loses under 1 ns per update, and old errors decay: a few ns at most.
          assertEquals(srtt, rtt.srttNs(), 16, "SRTT after sample " + i);
          assertEquals(rttvar, rtt.rttvarNs(), 16, "RTTVAR after sample " + i);
          double rto = srtt + Math.max(RttEstimator.CLOCK_GRANULARITY_NS, 4 * rttvar);
          assertEquals(rto, rtt.rtoNs(), 100, "RTO after sample " + i);
        }
      }
    }
  }

  @Nested
  class Clamping {

    @Test
    void rtoIsRaisedToTheMinimum() {
      RttEstimator rtt = new RttEstimator(200 * MS, 60 * S, 1 * S);
      rtt.sample(1 * MS); // 1 + 4 * 0.5 = 3 ms
      assertEquals(200 * MS, rtt.rtoNs());
      assertEquals(1 * MS, rtt.srttNs(), "SRTT itself is not clamped");
    }

    @Test
    void rtoOfOneSecondAsRfc6298RecommendsByDefault() {
      RttEstimator rtt =
          new RttEstimator(
              RttEstimator.RFC_MIN_RTO_NS,
              RttEstimator.RFC_LOWEST_MAX_RTO_NS,
              RttEstimator.INITIAL_RTO_NS);
      rtt.sample(30 * MS);
      assertEquals(1 * S, rtt.rtoNs());
    }

    @Test
    void rtoIsLoweredToTheMaximum() {
      RttEstimator rtt = new RttEstimator(200 * MS, 2 * S, 1 * S);
      rtt.sample(10 * S); // 10 + 4 * 5 = 30 s
      assertEquals(2 * S, rtt.rtoNs());
    }

    @Test
    void boundsMustBeOrdered() {
      assertThrows(IllegalArgumentException.class, () -> new RttEstimator(0, 60 * S, 1 * S));
      assertThrows(IllegalArgumentException.class, () -> new RttEstimator(-1, 60 * S, 1 * S));
      assertThrows(IllegalArgumentException.class, () -> new RttEstimator(2 * S, 60 * S, 1 * S));
      IllegalArgumentException e =
          assertThrows(IllegalArgumentException.class, () -> new RttEstimator(1, 60 * S, 61 * S));
      assertTrue(e.getMessage().contains("min <= initial <= max"), e.getMessage());
      // Equal bounds are allowed: a fixed RTO.
      RttEstimator fixed = new RttEstimator(1 * S, 1 * S, 1 * S);
      fixed.sample(5 * S);
      assertEquals(1 * S, fixed.rtoNs());
      fixed.backoff();
      assertEquals(1 * S, fixed.rtoNs());
    }
  }

  @Nested
  class Backoff {

    @Test
    void eachBackoffDoublesRtoUntilTheMaximum() {
      RttEstimator rtt = new RttEstimator(200 * MS, 60 * S, 1 * S);
      long[] expected = {2 * S, 4 * S, 8 * S, 16 * S, 32 * S, 60 * S, 60 * S, 60 * S};
      for (int i = 0; i < expected.length; i++) {
        rtt.backoff();
        assertEquals(expected[i], rtt.rtoNs(), "after backoff " + (i + 1));
        assertEquals(i + 1, rtt.backoffCount());
      }
    }

    @Test
    void resetBackoffReturnsToTheComputedRto() {
      RttEstimator rtt = new RttEstimator(200 * MS, 60 * S, 1 * S);
      rtt.sample(100 * MS); // RTO 300 ms
      rtt.backoff();
      rtt.backoff();
      assertEquals(1_200 * MS, rtt.rtoNs());
      rtt.resetBackoff();
      assertEquals(300 * MS, rtt.rtoNs());
      assertEquals(0, rtt.backoffCount());
      assertEquals(100 * MS, rtt.srttNs(), "the estimates are untouched");
      assertEquals(50 * MS, rtt.rttvarNs());
    }

    @Test
    void aNewSampleCollapsesTheBackedOffRto() {
      // RFC 6298 §5, the note after (5.7): a new measurement recomputes RTO from §2.
      RttEstimator rtt = new RttEstimator(200 * MS, 60 * S, 1 * S);
      rtt.sample(100 * MS);
      for (int i = 0; i < 5; i++) {
        rtt.backoff();
      }
      assertEquals(9_600 * MS, rtt.rtoNs());
      rtt.sample(100 * MS); // RTTVAR 37.5, SRTT 100: RTO 250 ms
      assertEquals(250 * MS, rtt.rtoNs());
      assertEquals(0, rtt.backoffCount());
    }

    @Test
    void backoffSaturatesAtTheLargestMaximumWithoutOverflow() {
      RttEstimator rtt = new RttEstimator(1, Long.MAX_VALUE, 1 * S);
      for (int i = 0; i < 100; i++) {
        rtt.backoff();
        assertTrue(rtt.rtoNs() > 0, "after backoff " + (i + 1));
      }
      assertEquals(Long.MAX_VALUE, rtt.rtoNs());
      assertEquals(100, rtt.backoffCount());
    }

    @Test
    void anOddMaximumIsReachedExactly() {
      RttEstimator rtt = new RttEstimator(1, 7 * S, 3 * S);
      rtt.backoff();
      assertEquals(6 * S, rtt.rtoNs());
      rtt.backoff();
      assertEquals(7 * S, rtt.rtoNs());
    }
  }

  @Nested
  class SynTimeout {

    @Test
    void anRtoBelowThreeSecondsBecomesThreeSecondsWhenDataTransmissionBegins() {
      // RFC 6298 §5.7: the SYN was retransmitted once (RTO 2 s), then the handshake completed.
      RttEstimator rtt = new RttEstimator(200 * MS, 60 * S, 1 * S);
      rtt.backoff();
      assertEquals(2 * S, rtt.rtoNs());
      rtt.afterSynTimeout();
      assertEquals(3 * S, rtt.rtoNs());
      rtt.resetBackoff();
      assertEquals(3 * S, rtt.rtoNs(), "3 s is the new base, not a backoff");
      rtt.sample(100 * MS);
      assertEquals(300 * MS, rtt.rtoNs(), "the first sample replaces it");
    }

    @Test
    void anRtoOfThreeSecondsOrMoreIsKept() {
      RttEstimator rtt = new RttEstimator(200 * MS, 60 * S, 1 * S);
      rtt.backoff();
      rtt.backoff();
      rtt.backoff();
      rtt.afterSynTimeout();
      assertEquals(8 * S, rtt.rtoNs());
      rtt.resetBackoff();
      assertEquals(3 * S, rtt.rtoNs());
    }

    @Test
    void theMaximumStillApplies() {
      RttEstimator rtt = new RttEstimator(200 * MS, 2 * S, 1 * S);
      rtt.afterSynTimeout();
      assertEquals(2 * S, rtt.rtoNs());
    }
  }

  @Test
  void clearSamplesMakesTheNextSampleTheFirst() {
    // RFC 6298 §5: SRTT and RTTVAR may be cleared after repeated backoffs.
    RttEstimator rtt = unclamped();
    rtt.sample(100 * MS);
    rtt.sample(300 * MS);
    rtt.backoff();
    long rto = rtt.rtoNs();
    rtt.clearSamples();
    assertFalse(rtt.hasSample());
    assertEquals(0, rtt.srttNs());
    assertEquals(rto, rtt.rtoNs(), "RTO and its backoff are kept until the next sample");
    rtt.sample(40 * MS);
    assertEquals(40 * MS, rtt.srttNs());
    assertEquals(20 * MS, rtt.rttvarNs());
    assertEquals(120 * MS, rtt.rtoNs());
  }

  @Test
  void toStringShowsTheState() {
    RttEstimator rtt = new RttEstimator(200 * MS, 60 * S, 1 * S);
    assertTrue(rtt.toString().contains("srtt none"), rtt.toString());
    rtt.sample(100 * MS);
    rtt.backoff();
    assertEquals(
        "RttEstimator{rto 600000000 ns (base 300000000, 1 backoffs), srtt 100000000 ns, rttvar"
            + " 50000000 ns, bounds [200000000, 60000000000] ns}",
        rtt.toString());
  }
}
