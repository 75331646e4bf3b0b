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
  private final UnpooledByteBufAllocator delegate;

  /** Buffers from Netty's default unpooled allocator: leak-tracked (at paranoid level in tests). */
  public TrackingAllocator() {
    this(UnpooledByteBufAllocator.DEFAULT);
  }

  /** Buffers from {@code delegate} (one without leak detection, say, where accesses are many). */
  public TrackingAllocator(UnpooledByteBufAllocator delegate) {
    super(true);
    this.delegate = delegate;
  }

  @Override
  protected ByteBuf newHeapBuffer(int initialCapacity, int maxCapacity) {
    return track(delegate.heapBuffer(initialCapacity, maxCapacity));
  }

  @Override
  protected ByteBuf newDirectBuffer(int initialCapacity, int maxCapacity) {
    return track(delegate.directBuffer(initialCapacity, maxCapacity));
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

  /** The capacity of the buffers handed out from allocation number {@code from} on and not yet released. */
  public long liveCapacity(int from) {
    long bytes = 0;
    for (int i = from; i < buffers.size(); i++) {
      ByteBuf b = buffers.get(i);
      bytes += b.refCnt() > 0 ? b.capacity() : 0;
    }
    return bytes;
  }

  public void assertAllReleased() {
    assertEquals(0, live(), "buffers still held");
  }
}
