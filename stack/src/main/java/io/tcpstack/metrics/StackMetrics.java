package io.tcpstack.metrics;

import io.tcpstack.metrics.PrometheusText.Type;
import io.tcpstack.stats.StackCounter;
import io.tcpstack.tcp.TcpState;
import java.util.Map;

/**
 * The stack's metrics in the Prometheus text format ({@link PrometheusText}): every {@link
 * StackCounter} as a counter {@code tcpstack_<name>_total} with its {@link StackCounter#description()}
 * as HELP, then the {@link StackGauges}. What {@code GET /metrics} of {@code ./tcpstack serve} returns.
 */
public final class StackMetrics {

  /** The prefix of every metric name. */
  public static final String PREFIX = "tcpstack_";
  /** The family of connections by state; label {@value #STATE_LABEL}. */
  public static final String CONNECTIONS = PREFIX + "tcp_connections";
  /** The label of {@link #CONNECTIONS} whose value is a TCP state's name, e.g. {@code ESTABLISHED}. */
  public static final String STATE_LABEL = "state";

  private StackMetrics() {}

  /**
   * The metric name of {@code counter}: {@code tcpstack_tcp_in_segs_total} for TCP_IN_SEGS.
   *
   * @param counter the counter, not null
   * @return its name in {@link #prometheus}'s output
   */
  public static String metricName(StackCounter counter) {
    return PREFIX + counter.name().toLowerCase(java.util.Locale.ROOT) + "_total";
  }

  /**
   * The exposition of {@code counters} (a {@code CounterSet.snapshot()}) and {@code gauges}.
   *
   * @param counters each counter's value, not null; read on any thread
   * @param gauges the gauges, not null; collected on the stack thread ({@link StackGauges#collect})
   * @return the text, to be served with {@link PrometheusText#CONTENT_TYPE}
   */
  public static String prometheus(Map<StackCounter, Long> counters, StackGauges gauges) {
    PrometheusText text = new PrometheusText(new StringBuilder(32 * 1024));
    text.counters(PREFIX, counters, StackCounter::description);
    text.family(CONNECTIONS, "TCP connections by state now: LISTEN counts listeners, TIME_WAIT the TIME-WAIT "
        + "records, CLOSED closed connections not yet disposed of by the application.", Type.GAUGE);
    for (TcpState s : TcpState.values()) {
      text.sample(CONNECTIONS, STATE_LABEL, s.name(), gauges.connections(s));
    }
    text.single(PREFIX + "tcp_half_open", "Connections in SYN-RECEIVED of all listeners (at most "
        + "StackConfig.maxHalfOpen).", Type.GAUGE, gauges.halfOpen());
    text.single(PREFIX + "tcp_buffer_memory_bytes", "Bytes of send and receive buffers held by connections now.",
        Type.GAUGE, gauges.bufferMemoryInUse());
    text.single(PREFIX + "tcp_buffer_memory_budget_bytes", "The most buffer memory all connections may hold "
        + "together (--buffer-memory).", Type.GAUGE, gauges.bufferMemoryBudget());
    text.single(PREFIX + "tcp_buffer_memory_peak_bytes", "The highest buffer memory held at once so far.",
        Type.GAUGE, gauges.bufferMemoryPeak());
    text.single(PREFIX + "tcp_buffer_spare_chunks", "Buffer chunks kept for reuse rather than released.",
        Type.GAUGE, gauges.bufferSpareChunks());
    text.single(PREFIX + "tcp_buffer_refusals_total", "Times a connection was refused a buffer chunk because the "
        + "budget was spent.", Type.COUNTER, gauges.bufferRefusals());
    text.single(PREFIX + "ip_reassemblies_in_progress", "IP datagrams whose fragments are being reassembled.",
        Type.GAUGE, gauges.reassembliesInProgress());
    return text.toString();
  }
}
