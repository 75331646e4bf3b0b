package io.tcpstack.metrics;

import io.tcpstack.NetworkStack;
import io.tcpstack.tcp.BufferPool;
import io.tcpstack.tcp.TcpLayer;
import io.tcpstack.tcp.TcpState;
import java.util.EnumMap;
import java.util.Map;

/**
 * The stack's gauges at one moment: what it holds now, where {@link io.tcpstack.stats.StackCounter}s
 * count what happened. Unlike the counters, these live in the single-threaded core, so they are
 * {@linkplain #collect read on the stack thread}; the snapshot itself is immutable and may then go
 * to any thread.
 *
 * @param connectionsByState connections by TCP state: LISTEN counts listeners, TIME_WAIT the
 *     TIME-WAIT records, CLOSED the closed connections the application has not disposed of yet
 * @param halfOpen connections in SYN-RECEIVED of all listeners ({@code StackConfig.maxHalfOpen} at most)
 * @param bufferMemoryInUse bytes of send and receive buffer chunks held by connections now
 * @param bufferMemoryBudget the most buffer memory all connections may hold together ({@code --buffer-memory})
 * @param bufferMemoryPeak the highest {@code bufferMemoryInUse} so far
 * @param bufferSpareChunks chunks kept for reuse rather than released
 * @param bufferRefusals times a connection was refused a chunk because the budget was spent (a counter)
 * @param reassembliesInProgress IP datagrams whose fragments are being reassembled
 */
public record StackGauges(
    Map<TcpState, Integer> connectionsByState,
    int halfOpen,
    long bufferMemoryInUse,
    long bufferMemoryBudget,
    long bufferMemoryPeak,
    int bufferSpareChunks,
    long bufferRefusals,
    int reassembliesInProgress) {

  /**
   * A snapshot of the given values; {@link #collect} is how one is usually made.
   *
   * @param connectionsByState connections by TCP state, not null; copied
   * @param halfOpen connections in SYN-RECEIVED of all listeners
   * @param bufferMemoryInUse bytes of buffer chunks held by connections now
   * @param bufferMemoryBudget the most buffer memory all connections may hold together
   * @param bufferMemoryPeak the highest {@code bufferMemoryInUse} so far
   * @param bufferSpareChunks chunks kept for reuse rather than released
   * @param bufferRefusals times a connection was refused a chunk because the budget was spent
   * @param reassembliesInProgress IP datagrams whose fragments are being reassembled
   */
  public StackGauges {
    connectionsByState = Map.copyOf(connectionsByState);
  }

  /**
   * Reads the gauges of {@code stack}. Stack thread only: scans the connections once (O(n)).
   *
   * @param stack the stack to read, not null
   * @return the snapshot, immutable
   */
  public static StackGauges collect(NetworkStack stack) {
    TcpLayer tcp = stack.tcp();
    int[] counts = tcp.stateCounts();
    Map<TcpState, Integer> byState = new EnumMap<>(TcpState.class);
    for (TcpState s : TcpState.values()) {
      byState.put(s, counts[s.ordinal()]);
    }
    BufferPool pool = tcp.pool();
    return new StackGauges(byState, tcp.halfOpenCount(), pool.inUse(), pool.maxBytes(), pool.peakInUse(),
        pool.spareCount(), pool.refusals(), stack.ip().reassembliesInProgress());
  }

  /**
   * Connections in {@code state} (0 for a state none is in).
   *
   * @param state the TCP state, not null
   * @return how many connections were in it
   */
  public int connections(TcpState state) {
    return connectionsByState.getOrDefault(state, 0);
  }
}
