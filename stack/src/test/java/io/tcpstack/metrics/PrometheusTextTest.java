package io.tcpstack.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tcpstack.metrics.PrometheusText.Type;
import io.tcpstack.stats.StackCounter;
import io.tcpstack.tcp.TcpState;
import java.util.EnumMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class PrometheusTextTest {

  enum Small {
    SEGS_IN,
    ODD_ONE
  }

  @Test
  void writesEachCounterAsAFamilyWithHelpTypeAndTotalSample() {
    Map<Small, Long> values = new EnumMap<>(Small.class);
    values.put(Small.SEGS_IN, 42L);
    values.put(Small.ODD_ONE, 0L);
    String text = new PrometheusText()
        .counters("x_", values, c -> c == Small.SEGS_IN ? "Segments received." : "A back\\slash\nand a line.")
        .toString();
    assertEquals("""
        # HELP x_segs_in_total Segments received.
        # TYPE x_segs_in_total counter
        x_segs_in_total 42
        # HELP x_odd_one_total A back\\\\slash\\nand a line.
        # TYPE x_odd_one_total counter
        x_odd_one_total 0
        """, text);
  }

  @Test
  void escapesLabelValuesBackslashQuoteAndLineFeed() {
    String text = new PrometheusText()
        .family("g", "Quotes \"stay\" in HELP.", Type.GAUGE)
        .sample("g", "state", "a\"b\\c\nd", 7)
        .toString();
    assertEquals("# HELP g Quotes \"stay\" in HELP.\n# TYPE g gauge\ng{state=\"a\\\"b\\\\c\\nd\"} 7\n", text);
  }

  @Test
  void rejectsNamesOutsideTheGrammar() {
    PrometheusText text = new PrometheusText();
    assertThrows(IllegalArgumentException.class, () -> text.sample("1abc", 1));
    assertThrows(IllegalArgumentException.class, () -> text.sample("a-b", 1));
    assertThrows(IllegalArgumentException.class, () -> text.sample("ok", "bad-label", "v", 1));
    assertThrows(IllegalArgumentException.class, () -> text.sample("ok", "__reserved", "v", 1));
  }

  @Test
  void stackMetricsHaveEveryCounterWithItsHelpAndTypeThenTheGauges() {
    Map<StackCounter, Long> counters = new EnumMap<>(StackCounter.class);
    for (StackCounter c : StackCounter.values()) {
      counters.put(c, (long) c.ordinal() * 3);
    }
    Map<TcpState, Integer> byState = new EnumMap<>(TcpState.class);
    for (TcpState s : TcpState.values()) {
      byState.put(s, s.ordinal() + 100);
    }
    StackGauges gauges = new StackGauges(byState, 5, 8192, 1 << 20, 16384, 3, 2, 1);
    String text = StackMetrics.prometheus(counters, gauges);

    for (StackCounter c : StackCounter.values()) {
      String name = StackMetrics.metricName(c);
      StringBuilder help = new StringBuilder();
      PrometheusText.escapeHelp(c.description(), help);
      assertTrue(text.contains("# HELP " + name + " " + help + "\n# TYPE " + name + " counter\n" + name + " "
          + c.ordinal() * 3 + "\n"), c + " missing or malformed");
    }
    assertTrue(text.contains("# TYPE tcpstack_tcp_connections gauge\n"));
    for (TcpState s : TcpState.values()) {
      String sample = "tcpstack_tcp_connections{state=\"" + s.name() + "\"} " + (s.ordinal() + 100) + "\n";
      assertTrue(text.contains(sample), s.name());
    }
    assertTrue(text.contains("\ntcpstack_tcp_half_open 5\n"));
    assertTrue(text.contains("\ntcpstack_tcp_buffer_memory_bytes 8192\n"));
    assertTrue(text.contains("\ntcpstack_tcp_buffer_memory_budget_bytes 1048576\n"));
    assertTrue(text.contains("\ntcpstack_ip_reassemblies_in_progress 1\n"));

    // Every line is a comment of the two kinds or a sample, and every sample's family was declared before it.
    Pattern sample = Pattern.compile("([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{[^}]*})? -?[0-9]+");
    String declared = null;
    for (String line : text.split("\n", -1)) {
      if (line.isEmpty()) {
        continue;
      }
      if (line.startsWith("# TYPE ")) {
        declared = line.split(" ")[2];
      } else if (!line.startsWith("# HELP ")) {
        Matcher m = sample.matcher(line);
        assertTrue(m.matches(), "not a sample line: " + line);
        assertEquals(declared, m.group(1), line);
      }
    }
    assertTrue(text.endsWith("\n"));
  }
}
