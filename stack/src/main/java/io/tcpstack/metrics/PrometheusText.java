package io.tcpstack.metrics;

import java.util.Map;
import java.util.Objects;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * A writer of the Prometheus text exposition format, version 0.0.4: one {@code # HELP} and one
 * {@code # TYPE} line per metric family, then its samples, one per line, each line ended by a line
 * feed. HELP text escapes backslash and line feed; label values escape backslash, double quote and
 * line feed (the format's only escapes). Names are checked against the format's grammar, so a typo
 * fails at once rather than in a scraper.
 *
 * <p>Not thread-safe; cheap to make, one per scrape.
 */
public final class PrometheusText {

  /** The {@code Content-Type} of a response in this format. */
  public static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

  private static final Pattern METRIC_NAME = Pattern.compile("[a-zA-Z_:][a-zA-Z0-9_:]*");
  private static final Pattern LABEL_NAME = Pattern.compile("[a-zA-Z_][a-zA-Z0-9_]*");

  /** The metric types of the format (only those this stack uses). */
  public enum Type {
    /** A value that only goes up (and restarts from 0 with the process); its name ends in {@code _total}. */
    COUNTER,
    /** A value that goes up and down: what is held now. */
    GAUGE;

    String token() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  private final StringBuilder out;

  /** A writer into a new buffer; {@link #toString()} gives what was written. */
  public PrometheusText() {
    this(new StringBuilder());
  }

  /**
   * A writer that appends to {@code out}, as when one buffer of a known size is to be reused.
   *
   * @param out where to append, not null
   * @throws NullPointerException if {@code out} is null
   */
  public PrometheusText(StringBuilder out) {
    this.out = Objects.requireNonNull(out, "out");
  }

  /**
   * Begins the family {@code name}: its HELP and TYPE lines. Its samples follow.
   *
   * @param name the metric family's name, matching {@code [a-zA-Z_:][a-zA-Z0-9_:]*}
   * @param help the HELP text, not null; any characters (escaped as the format wants)
   * @param type the family's type, not null
   * @return this writer
   * @throws IllegalArgumentException if {@code name} is not a metric name
   */
  public PrometheusText family(String name, String help, Type type) {
    checkName(name);
    out.append("# HELP ").append(name).append(' ');
    escapeHelp(help, out);
    out.append('\n').append("# TYPE ").append(name).append(' ').append(type.token()).append('\n');
    return this;
  }

  /**
   * A sample without labels: {@code name value}.
   *
   * @param name the metric's name, matching {@code [a-zA-Z_:][a-zA-Z0-9_:]*}
   * @param value the sample's value
   * @return this writer
   * @throws IllegalArgumentException if {@code name} is not a metric name
   */
  public PrometheusText sample(String name, long value) {
    checkName(name);
    out.append(name).append(' ').append(value).append('\n');
    return this;
  }

  /**
   * A sample with one label: {@code name{label="value"} value}.
   *
   * @param name the metric's name, matching {@code [a-zA-Z_:][a-zA-Z0-9_:]*}
   * @param label the label's name, matching {@code [a-zA-Z_][a-zA-Z0-9_]*} and not beginning with
   *     {@code __} (reserved by Prometheus)
   * @param labelValue the label's value, not null; any characters (escaped as the format wants)
   * @param value the sample's value
   * @return this writer
   * @throws IllegalArgumentException if {@code name} is not a metric name or {@code label} not a label
   *     name
   */
  public PrometheusText sample(String name, String label, String labelValue, long value) {
    checkName(name);
    if (!LABEL_NAME.matcher(label).matches() || label.startsWith("__")) {
      throw new IllegalArgumentException("not a label name: " + label);
    }
    out.append(name).append('{').append(label).append("=\"");
    escapeLabelValue(labelValue, out);
    out.append("\"} ").append(value).append('\n');
    return this;
  }

  /**
   * A family of one sample: HELP, TYPE and {@code name value}.
   *
   * @param name the metric's name, matching {@code [a-zA-Z_:][a-zA-Z0-9_:]*}
   * @param help the HELP text, not null
   * @param type the metric's type, not null
   * @param value the sample's value
   * @return this writer
   * @throws IllegalArgumentException if {@code name} is not a metric name
   */
  public PrometheusText single(String name, String help, Type type, long value) {
    return family(name, help, type).sample(name, value);
  }

  /**
   * Every counter of {@code values} as a family of its own, in the map's order, named {@code
   * prefix + lower-case constant name + "_total"}, with {@code help} as its HELP text.
   *
   * @param <E> the enum of the counters
   * @param prefix what every name begins with, e.g. {@code "tcpstack_"}
   * @param values each counter's value, not null (a {@code CounterSet.snapshot()}, say)
   * @param help gives a counter's HELP text, not null
   * @return this writer
   * @throws IllegalArgumentException if {@code prefix} makes a name that is not a metric name
   */
  public <E extends Enum<E>> PrometheusText counters(String prefix, Map<E, Long> values, Function<E, String> help) {
    values.forEach((counter, value) -> {
      String name = prefix + counter.name().toLowerCase(java.util.Locale.ROOT) + "_total";
      single(name, help.apply(counter), Type.COUNTER, value);
    });
    return this;
  }

  /** The text written so far. */
  @Override
  public String toString() {
    return out.toString();
  }

  /** HELP text: {@code \} as {@code \\}, a line feed as {@code \n}. */
  static void escapeHelp(String s, StringBuilder out) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '\\' -> out.append("\\\\");
        case '\n' -> out.append("\\n");
        default -> out.append(c);
      }
    }
  }

  /** A label value: {@code \} as {@code \\}, {@code "} as {@code \"}, a line feed as {@code \n}. */
  static void escapeLabelValue(String s, StringBuilder out) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '\\' -> out.append("\\\\");
        case '"' -> out.append("\\\"");
        case '\n' -> out.append("\\n");
        default -> out.append(c);
      }
    }
  }

  private static void checkName(String name) {
    if (!METRIC_NAME.matcher(name).matches()) {
      throw new IllegalArgumentException("not a metric name: " + name);
    }
  }
}
