package io.tcpstack.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.netty.buffer.AbstractByteBufAllocator;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.UnpooledByteBufAllocator;
import java.util.ArrayList;
import java.util.List;

/**
 * An allocator that remembers every buffer it hands out, so a test can check at once (not at the
 * next garbage collection, as the leak detector does) that each was released. Not thread-safe.
 */
public final class TrackingAllocator extends AbstractByteBufAllocator {

  private final List<ByteBuf> buffers = new ArrayList<>();

  public TrackingAllocator() {
    super(true);
  }

  @Override
  protected ByteBuf newHeapBuffer(int initialCapacity, int maxCapacity) {
    return track(UnpooledByteBufAllocator.DEFAULT.heapBuffer(initialCapacity, maxCapacity));
  }

  @Override
  protected ByteBuf newDirectBuffer(int initialCapacity, int maxCapacity) {
    return track(UnpooledByteBufAllocator.DEFAULT.directBuffer(initialCapacity, maxCapacity));
  }

  private ByteBuf track(ByteBuf b) {
    buffers.add(b);
    return b;
  }

  @Override
  public boolean isDirectBufferPooled() {
    return false;
  }

  /** Buffers handed out so far. */
  public int allocations() {
    return buffers.size();
  }

  /** Buffers handed out and not yet released. */
  public long live() {
    return buffers.stream().filter(b -> b.refCnt() > 0).count();
  }

  public void assertAllReleased() {
    assertEquals(0, live(), "buffers still held");
  }
}
