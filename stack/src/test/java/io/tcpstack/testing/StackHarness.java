package io.tcpstack.testing;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.tcpstack.NetworkStack;
import io.tcpstack.StackConfig;
import io.tcpstack.stats.StackCounter;
import java.util.List;

/**
 * Drives a {@link NetworkStack} on a virtual clock: feed it a packet at a time, collect exactly what
 * it emits. In the style of smoltcp's {@code send!}/{@code recv!}.
 */
public final class StackHarness implements AutoCloseable {

  private final CapturingSink sink = new CapturingSink();
  private final NetworkStack stack;
  private long nowNs;

  public StackHarness(StackConfig config) {
    this.stack = new NetworkStack(config, sink);
  }

  /** A stack at 198.18.0.2/24, MTU 1500. */
  public static StackHarness standard() {
    return new StackHarness(StackConfig.builder().address(Packets.STACK, 24).mtu(1500).build());
  }

  /** A stack at 198.18.0.2/24 and fd00:7463:7073::2/64 ({@link Packets6#STACK6}), MTU 1500. */
  public static StackHarness dualStack() {
    return new StackHarness(StackConfig.builder().address(Packets.STACK, 24)
        .address6(Packets6.STACK6, 64).mtu(1500).build());
  }

  public NetworkStack stack() {
    return stack;
  }

  /** Moves the virtual clock to {@code atNs} (never backwards). */
  public StackHarness at(long atNs) {
    if (atNs < nowNs) {
      throw new IllegalArgumentException("time goes forward: " + atNs + " < " + nowNs);
    }
    nowNs = atNs;
    return this;
  }

  /** Delivers {@code packet} at the current time and returns what the stack emitted in response. */
  public List<byte[]> send(byte[] packet) {
    ByteBuf b = Unpooled.directBuffer(packet.length);
    try {
      b.writeBytes(packet);
      stack.receive(b, nowNs);
    } finally {
      b.release();
    }
    return sink.take();
  }

  /** Runs the stack's timers at the current time and returns what it emitted. */
  public List<byte[]> poll() {
    stack.poll(nowNs);
    return sink.take();
  }

  public long counter(StackCounter c) {
    return stack.counters().get(c);
  }

  @Override
  public void close() {
    stack.close();
  }
}
