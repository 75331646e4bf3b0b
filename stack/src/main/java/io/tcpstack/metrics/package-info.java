/**
 * The stack seen from outside while it runs: its counters and gauges in the Prometheus text format
 * ({@link io.tcpstack.metrics.StackMetrics}), its TCP table as {@code ss}-like text or JSON ({@link
 * io.tcpstack.metrics.ConnectionTable}), and both as a JMX MBean ({@link
 * io.tcpstack.metrics.StackMBean}). Counters are read on any thread; what lives in the
 * single-threaded core is read on the stack thread ({@link io.tcpstack.metrics.StackAccess}).
 */
package io.tcpstack.metrics;
