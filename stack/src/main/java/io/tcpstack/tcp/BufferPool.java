package io.tcpstack.tcp;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.util.Objects;

/**
 * A budgeted source of fixed-size direct chunks for the connection buffers ({@link
 * SegmentedBuffer}): the stack-wide memory limit for payload, like Linux's {@code tcp_mem}.
 *
 * <p>{@link #take()} hands out a chunk of exactly {@link #chunkSize()} bytes as long as the bytes in
 * use stay within {@link #maxBytes()}; past that it refuses (returns null) and counts the refusal.
 * {@link #give(ByteBuf)} releases a chunk and uncounts it. The budget is counted in chunk bytes, as
 * handed out; what the allocator really reserves for them (its own pooling and rounding) is its
 * business.
 *
 * <p>Ownership: the pool owns the budget, not the chunks. A chunk taken belongs to the taker until
 * it is given back, to this pool and exactly once (giving releases it). A chunk is never to be
 * released directly, or the count stays high for good.
 *
 * <p>Threads: {@link #take()} and {@link #give(ByteBuf)} are for the stack thread only. The counters
 * have that single writer and are volatile, so any thread may read {@link #inUse()}, {@link
 * #peakInUse()}, {@link #refusals()} and {@link #available()} for metrics and see recent values
 * (each one consistent on its own, not a snapshot of all of them together).
 */
public final class BufferPool {

  private final ByteBufAllocator allocator;
  private final int chunkSize;
  private final long maxBytes;
  /**
   * Chunks given back and kept for the next takes instead of being released (at most {@code
   * spares.length}): a connection streaming data frees a chunk per acknowledged 4 KiB and takes one
   * per 4 KiB written, and the allocator's own pool would build and drop a page descriptor for that
   * churn — garbage per packet. Kept chunks do not count as in use.
   */
  private final ByteBuf[] spares;
  private int spareCount;

  // Written only by the stack thread, so read-modify-write on a volatile is safe here; volatile only
  // so that metrics read from other threads see whole, recent values.
  private volatile long inUse;
  private volatile long peakInUse;
  private volatile long refusals;

  /**
   * @param allocator where the chunks come from ({@code directBuffer(chunkSize, chunkSize)})
   * @param chunkSize bytes per chunk, at least 1
   * @param maxBytes the budget: the most bytes of chunks out at once, at least one chunk
   */
  public BufferPool(ByteBufAllocator allocator, int chunkSize, long maxBytes) {
    this(allocator, chunkSize, maxBytes, 0);
  }

  /**
   * As {@link #BufferPool(ByteBufAllocator, int, long)}, keeping up to {@code spareChunks} chunks
   * given back for the next takes instead of releasing them ({@link #close()} releases them).
   */
  public BufferPool(ByteBufAllocator allocator, int chunkSize, long maxBytes, int spareChunks) {
    if (spareChunks < 0) {
      throw new IllegalArgumentException("spareChunks must be 0 or more, got " + spareChunks);
    }
    this.spares = new ByteBuf[spareChunks];
    this.allocator = Objects.requireNonNull(allocator, "allocator");
    if (chunkSize <= 0) {
      throw new IllegalArgumentException(
          "chunkSize must be at least 1 byte, got " + chunkSize + " (a few KiB suits TCP buffers)");
    }
    if (maxBytes < chunkSize) {
      throw new IllegalArgumentException("maxBytes must allow at least one chunk of " + chunkSize
          + " bytes, got " + maxBytes + "; raise maxBytes or lower chunkSize");
    }
    this.chunkSize = chunkSize;
    this.maxBytes = maxBytes;
  }

  /**
   * A direct buffer of exactly {@link #chunkSize()} bytes capacity (indices at 0), or null, with
   * the refusal counted, if taking it would put more than {@link #maxBytes()} in use. An allocator
   * failure propagates and leaves the counts as they were.
   */
  public ByteBuf take() {
    long after = inUse + chunkSize;
    if (after > maxBytes) {
      refusals = refusals + 1;
      return null;
    }
    ByteBuf chunk;
    if (spareCount > 0) {
      chunk = spares[--spareCount];
      spares[spareCount] = null;
      chunk.clear();
    } else {
      chunk = allocator.directBuffer(chunkSize, chunkSize);
    }
    inUse = after;
    if (after > peakInUse) {
      peakInUse = after;
    }
    return chunk;
  }

  /**
   * Whether {@code chunks} more chunks fit in the budget now; if not, counts a refusal, as a
   * {@link #take()} that fails would. For callers that need several chunks or none, so that they
   * neither take some and give them back nor count a refusal per chunk.
   */
  boolean affords(int chunks) {
    if (inUse + (long) chunks * chunkSize > maxBytes) {
      refusals = refusals + 1;
      return false;
    }
    return true;
  }

  /**
   * Releases a chunk that {@link #take()} returned, and uncounts it.
   *
   * @throws IllegalArgumentException if {@code chunk} is not of this pool's chunk size
   */
  public void give(ByteBuf chunk) {
    if (chunk.capacity() != chunkSize) {
      throw new IllegalArgumentException("not a chunk of this pool: capacity " + chunk.capacity()
          + ", chunk size " + chunkSize + "; give chunks back to the pool that handed them out");
    }
    if (spareCount < spares.length && chunk.refCnt() == 1) {
      spares[spareCount++] = chunk; // kept for the next take (see spares)
    } else {
      // Release first: a chunk given twice fails here (IllegalReferenceCountException) uncounted.
      chunk.release();
    }
    inUse = inUse - chunkSize;
  }

  /** Chunks kept for the next takes (not in use; at most the {@code spareChunks} given at construction). */
  public int spareCount() {
    return spareCount;
  }

  /** Releases the chunks kept for the next takes. Chunks still out are their takers' to give back. */
  public void close() {
    while (spareCount > 0) {
      ByteBuf chunk = spares[--spareCount];
      spares[spareCount] = null;
      chunk.release();
    }
  }

  /** Bytes of chunks out now. */
  public long inUse() {
    return inUse;
  }

  /** The budget: the most bytes of chunks out at once. */
  public long maxBytes() {
    return maxBytes;
  }

  /** {@code maxBytes() - inUse()}, never negative. */
  public long available() {
    return Math.max(0, maxBytes - inUse);
  }

  public int chunkSize() {
    return chunkSize;
  }

  /** How many times {@link #take()} returned null because of the budget. */
  public long refusals() {
    return refusals;
  }

  /** The highest {@link #inUse()} so far. */
  public long peakInUse() {
    return peakInUse;
  }

  @Override
  public String toString() {
    return "BufferPool[chunk=" + chunkSize + " inUse=" + inUse + "/" + maxBytes + " peak="
        + peakInUse + " refusals=" + refusals + "]";
  }
}
