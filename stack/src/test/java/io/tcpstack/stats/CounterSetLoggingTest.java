package io.tcpstack.stats;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.slf4j.Marker;
import org.slf4j.event.Level;
import org.slf4j.helpers.AbstractLogger;
import org.slf4j.helpers.MessageFormatter;

/** Drops logged at DEBUG with their reason, thinned out under a flood. */
class CounterSetLoggingTest {

  /** A logger that keeps what is logged at DEBUG, when {@code debug} is on. */
  private static final class Recording extends AbstractLogger {
    final List<String> lines = new ArrayList<>();
    boolean debug = true;

    @Override
    protected String getFullyQualifiedCallerName() {
      return null;
    }

    @Override
    protected void handleNormalizedLoggingCall(Level level, Marker marker, String pattern, Object[] args, Throwable t) {
      lines.add(level + " " + MessageFormatter.arrayFormat(pattern, args).getMessage());
    }

    @Override public boolean isTraceEnabled() { return false; }
    @Override public boolean isTraceEnabled(Marker m) { return false; }
    @Override public boolean isDebugEnabled() { return debug; }
    @Override public boolean isDebugEnabled(Marker m) { return debug; }
    @Override public boolean isInfoEnabled() { return debug; }
    @Override public boolean isInfoEnabled(Marker m) { return debug; }
    @Override public boolean isWarnEnabled() { return true; }
    @Override public boolean isWarnEnabled(Marker m) { return true; }
    @Override public boolean isErrorEnabled() { return true; }
    @Override public boolean isErrorEnabled(Marker m) { return true; }
  }

  @Test
  void dropsAreLoggedWithTheirReasonAndOthersAreNot() {
    Recording log = new Recording();
    CounterSet<StackCounter> counters = new CounterSet<>(StackCounter.class, StackCounter::isDrop, log);
    counters.increment(StackCounter.IP_IN_RECEIVES); // not a drop
    counters.increment(StackCounter.IP_IN_BAD_CHECKSUM);
    counters.increment(StackCounter.IP_IN_BAD_CHECKSUM);
    assertEquals(List.of("DEBUG " + CounterSet.describe(StackCounter.IP_IN_BAD_CHECKSUM) + " (#1)",
        "DEBUG " + CounterSet.describe(StackCounter.IP_IN_BAD_CHECKSUM) + " (#2)"), log.lines);
    assertEquals(2, counters.get(StackCounter.IP_IN_BAD_CHECKSUM));
  }

  @Test
  void aFloodIsLoggedInFullThenAtPowersOfTwo() {
    Recording log = new Recording();
    CounterSet<StackCounter> counters = new CounterSet<>(StackCounter.class, StackCounter::isDrop, log);
    for (int i = 0; i < 1000; i++) {
      counters.increment(StackCounter.TCP_IN_ERRS);
    }
    // 1..16 each, then 32, 64, 128, 256, 512.
    assertEquals(CounterSet.LOGGED_IN_FULL + 5, log.lines.size());
    assertEquals("DEBUG " + CounterSet.describe(StackCounter.TCP_IN_ERRS) + " (#512; logging only at powers of two from #16 on)",
        log.lines.get(log.lines.size() - 1));
  }

  @Test
  void nothingIsLoggedWhenDebugIsOff() {
    Recording log = new Recording();
    log.debug = false;
    CounterSet<StackCounter> counters = new CounterSet<>(StackCounter.class, StackCounter::isDrop, log);
    counters.increment(StackCounter.IP_IN_BAD_CHECKSUM);
    assertEquals(List.of(), log.lines);
    assertEquals(1, counters.get(StackCounter.IP_IN_BAD_CHECKSUM));
  }
}
