package io.tcpstack.device;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ImpairmentTest {

  private static final long MS = 1_000_000L;

  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource(delimiter = '|', textBlock = """
      loss=5%                                                                      | loss=5%
      loss=5%,dup=1%,reorder=10%,delay=10ms,jitter=5ms,corrupt=0.1%,rate=100mbit,seed=42 | loss=5%,dup=1%,reorder=10%,delay=10ms,jitter=5ms,corrupt=0.1%,rate=100mbit,seed=42
      seed=42,rate=100mbit,corrupt=0.1%,jitter=5ms,delay=10ms,reorder=10%,dup=1%,loss=5% | loss=5%,dup=1%,reorder=10%,delay=10ms,jitter=5ms,corrupt=0.1%,rate=100mbit,seed=42
      ' LOSS=5% , Delay=10MS '                                                     | loss=5%,delay=10ms
      loss=0%                                                                      | none
      loss=100%                                                                    | loss=100%
      loss=100.000%                                                                | loss=100%
      loss=0.5%                                                                    | loss=0.5%
      corrupt=0.001%                                                               | corrupt=0.001%
      dup=33.3%                                                                    | dup=33.3%
      delay=1500us                                                                 | delay=1.5ms
      delay=0.5us                                                                  | delay=0.5us
      delay=0.001us                                                                | delay=0.001us
      delay=2000ms                                                                 | delay=2s
      delay=1.000000001s                                                           | delay=1.000000001s
      delay=3600s                                                                  | delay=3600s
      delay=0ms                                                                    | none
      jitter=5ms                                                                   | jitter=5ms
      rate=1.5mbit                                                                 | rate=1.5mbit
      rate=1000kbit                                                                | rate=1mbit
      rate=999bit                                                                  | rate=999bit
      rate=1bit                                                                    | rate=1bit
      rate=10gbit                                                                  | rate=10gbit
      rate=1000gbit                                                                | rate=1000gbit
      rate=10mbit,limit=50                                                         | rate=10mbit,limit=50
      limit=1000,rate=10mbit                                                       | rate=10mbit
      seed=-5                                                                      | seed=-5
      seed=0                                                                       | none
      none                                                                         | none
      NONE                                                                         | none
      """)
  void parsesAndPrintsTheCanonicalSpec(String spec, String canonical) {
    Impairment i = Impairment.parse(spec);
    assertEquals(canonical, i.toString());
    assertEquals(i, Impairment.parse(i.toString()), "round trip");
    assertEquals(i.hashCode(), Impairment.parse(i.toString()).hashCode());
  }

  @Test
  void parsesEveryValueIntoItsUnit() {
    Impairment i = Impairment.parse("loss=5%,dup=1%,reorder=10%,delay=10ms,jitter=5ms,corrupt=0.1%,rate=100mbit,limit=7,seed=42");
    assertEquals(0.05, i.loss());
    assertEquals(0.01, i.duplicate());
    assertEquals(0.10, i.reorder());
    assertEquals(0.001, i.corrupt());
    assertEquals(10 * MS, i.delayNs());
    assertEquals(5 * MS, i.jitterNs());
    assertEquals(100_000_000L, i.rateBitsPerSecond());
    assertEquals(7, i.limit());
    assertEquals(42, i.seed());
    assertEquals(2_500_000L, Impairment.parse("rate=2.5mbit").rateBitsPerSecond());
    assertEquals(1_000_000_000L, Impairment.parse("rate=1gbit").rateBitsPerSecond());
    assertEquals(3_000L, Impairment.parse("rate=3kbit").rateBitsPerSecond());
    assertEquals(1_000_000_001L, Impairment.parse("delay=1.000000001s").delayNs());
    assertEquals(1_500L, Impairment.parse("delay=1.5us").delayNs());
  }

  @ParameterizedTest(name = "[{index}] ''{0}''")
  @CsvSource(delimiter = '|', quoteCharacter = '"', textBlock = """
      loss=150%                 | impairment 'loss=150%': a percentage must be 0..100
      loss=100.01%              | impairment 'loss=100.01%': a percentage must be 0..100
      bogus=1                   | impairment 'bogus=1': unknown key 'bogus' (allowed: loss, dup, reorder, delay, jitter, corrupt, rate, limit, seed)
      los=1%                    | impairment 'los=1%': unknown key 'los'
      =5%                       | impairment '=5%': unknown key ''
      delay=10parsecs           | impairment 'delay=10parsecs': a time is a number followed by us, ms or s (e.g. 10ms)
      delay=10                  | impairment 'delay=10': a time is a number followed by us, ms or s
      delay=10ns                | impairment 'delay=10ns': a time is a number followed by us, ms or s
      delay=-1ms                | impairment 'delay=-1ms': a time is a number
      delay=3600.001s           | impairment 'delay=3600.001s': a time must be at most 3600s
      delay=0.0001us            | impairment 'delay=0.0001us': a time must be a whole number of nanoseconds
      jitter=1h                 | impairment 'jitter=1h': a time is a number
      loss=5                    | impairment 'loss=5': a percentage is a number followed by % (e.g. 5% or 0.1%)
      loss=-1%                  | impairment 'loss=-1%': a percentage is a number
      loss=1e2%                 | impairment 'loss=1e2%': a percentage is a number
      loss=.5%                  | impairment 'loss=.5%': a percentage is a number
      loss=%                    | impairment 'loss=%': a percentage is a number
      loss=                     | impairment 'loss=': a percentage is a number
      loss=5%%                  | impairment 'loss=5%%': a percentage is a number
      rate=0bit                 | impairment 'rate=0bit': a rate must be 1bit..1000gbit
      rate=0.5bit               | impairment 'rate=0.5bit': a rate must be 1bit..1000gbit
      rate=1001gbit             | impairment 'rate=1001gbit': a rate must be 1bit..1000gbit
      rate=1.5bit               | impairment 'rate=1.5bit': a rate must be a whole number of bits per second
      rate=100mbps              | impairment 'rate=100mbps': a rate is a number followed by bit, kbit, mbit or gbit (e.g. 100mbit)
      rate=100                  | impairment 'rate=100': a rate is a number followed by bit
      limit=10                  | impairment 'limit=10': limit is the rate limiter's queue; give rate= too
      rate=1mbit,limit=0        | impairment 'limit=0': limit is a number of packets from 1 to 1000000
      rate=1mbit,limit=1000001  | impairment 'limit=1000001': limit is a number of packets
      rate=1mbit,limit=abc      | impairment 'limit=abc': limit is a number of packets
      seed=abc                  | impairment 'seed=abc': a seed is a whole number (e.g. 42)
      seed=99999999999999999999 | impairment 'seed=99999999999999999999': a seed is a whole number
      seed=1.5                  | impairment 'seed=1.5': a seed is a whole number
      loss=1%,loss=2%           | impairment 'loss=2%': loss is given twice
      loss=1%,,dup=1%           | impairment 'loss=1%,,dup=1%': empty item (two commas, or one at an end)
      loss=1%,                  | impairment 'loss=1%,': empty item
      ",loss=1%"                | impairment ',loss=1%': empty item
      loss                      | impairment 'loss': expected key=value (e.g. loss=5%)
      none,loss=1%              | impairment 'none': expected key=value
      "  "                      | impairment '  ': empty; give key=value items (e.g. loss=5%,delay=10ms) or none
      """)
  void rejectsMistakesWithOneLineNamingTheItem(String spec, String message) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Impairment.parse(spec));
    assertTrue(e.getMessage().startsWith(message), "message: " + e.getMessage());
    assertFalse(e.getMessage().contains("\n"), "one line: " + e.getMessage());
  }

  @Test
  void rejectsAnEmptySpec() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Impairment.parse(""));
    assertEquals("impairment '': empty; give key=value items (e.g. loss=5%,delay=10ms) or none", e.getMessage());
  }

  @Test
  void builtValuesSurviveTheRoundTripThroughTheirSpec() {
    Impairment i = Impairment.builder()
        .loss(0.123456789)
        .duplicate(1.0 / 3)
        .reorder(0.5)
        .corrupt(1e-9)
        .delayNs(1_234_567)
        .jitterNs(7)
        .rateBitsPerSecond(123_456_789)
        .limit(3)
        .seed(Long.MIN_VALUE)
        .build();
    assertEquals(i, Impairment.parse(i.toString()), i.toString());
    assertEquals("loss=12.3456789%,dup=33.33333333333333%,reorder=50%,delay=1.234567ms,jitter=0.007us,"
        + "corrupt=0.0000001%,rate=123.456789mbit,limit=3,seed=-9223372036854775808", i.toString());
  }

  @Test
  void builderRejectsValuesOutOfRange() {
    assertThrows(IllegalArgumentException.class, () -> Impairment.builder().loss(1.5));
    assertThrows(IllegalArgumentException.class, () -> Impairment.builder().loss(-0.1));
    assertThrows(IllegalArgumentException.class, () -> Impairment.builder().duplicate(Double.NaN));
    assertThrows(IllegalArgumentException.class, () -> Impairment.builder().delayNs(-1));
    assertThrows(IllegalArgumentException.class, () -> Impairment.builder().jitterNs(Impairment.MAX_TIME_NS + 1));
    assertThrows(IllegalArgumentException.class, () -> Impairment.builder().rateBitsPerSecond(-1));
    assertThrows(IllegalArgumentException.class, () -> Impairment.builder().limit(0));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Impairment.builder().loss(5));
    assertTrue(e.getMessage().contains("not a percentage"), e.getMessage());
  }

  @Test
  void noneChangesNothingAndTheSeedAloneChangesNothing() {
    assertTrue(Impairment.NONE.isNone());
    assertTrue(Impairment.parse("seed=7").isNone());
    assertFalse(Impairment.parse("delay=1us").isNone());
    assertSame(Impairment.NONE, Impairment.parse("none"));
    assertEquals(Impairment.NONE, Impairment.builder().loss(-0.0).build(), "-0.0 is 0");
    assertEquals(Impairment.NONE.hashCode(), Impairment.builder().loss(-0.0).build().hashCode());
  }

  @Test
  void toBuilderKeepsEveryValue() {
    Impairment i = Impairment.parse("loss=5%,dup=1%,reorder=10%,delay=10ms,jitter=5ms,corrupt=0.1%,rate=100mbit,limit=9,seed=42");
    assertEquals(i, i.toBuilder().build());
    assertEquals("loss=6%,dup=1%,reorder=10%,delay=10ms,jitter=5ms,corrupt=0.1%,rate=100mbit,limit=9,seed=42",
        i.toBuilder().loss(0.06).build().toString());
  }

  @Test
  void randomStreamsAreReproducibleAndIndependent() {
    Impairment i = Impairment.parse("seed=42");
    assertEquals(i.random(0).nextLong(), i.random(0).nextLong(), "same seed, same stream: same numbers");
    assertNotEquals(i.random(0).nextLong(), i.random(1).nextLong(), "two directions differ");
    assertNotEquals(i.random(0).nextLong(), Impairment.parse("seed=43").random(0).nextLong(), "another seed differs");
  }
}
