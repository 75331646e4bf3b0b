package io.tcpstack.tcp;

import io.netty.buffer.ByteBuf;
import java.util.Objects;

/**
 * The send or receive buffer of a connection, as chunks taken from a {@link BufferPool} only while
 * they hold data: the contract the fixed rings it replaced had, but memory follows the data.
 *
 * <p>Why chunks: a ring allocated at open holds its whole capacity for the life of the connection,
 * idle or not. Here {@link #capacity()} is only a logical limit (what the window may advertise);
 * a chunk is taken when bytes are written into it and given back as soon as the head has passed
 * all of it, so an idle connection holds no payload memory, while a busy one can still fill the
 * configured capacity. The pool's budget bounds what all connections hold together.
 *
 * <p>Guarantees:
 *
 * <ul>
 *   <li>Bytes are appended at the tail and consumed from the head; they can also be read, and
 *       written, at an offset from the head without moving it (retransmission; out-of-order data
 *       placed beyond the readable bytes, later taken in with {@link #commit}). Offsets are from
 *       the head; {@code offset + n} must not exceed {@link #capacity()}.
 *   <li>Every chunk that holds a byte up to the furthest one placed (by {@link #writeAt} or an
 *       append) is kept until the head passes it; only chunks wholly behind the head are given back.
 *   <li>When no readable byte is left and nothing is placed ahead, no chunk is held.
 *   <li>Writes that need a chunk the pool refuses fail cleanly: {@link #append(ByteBuf, int)}
 *       appends fewer bytes, {@link #append(ByteBuf, int, int)} and {@link #writeAt} return false
 *       having written nothing and taken nothing.
 *   <li>No allocation per call besides taking chunks (and, rarely, doubling the small array that
 *       lists them).
 * </ul>
 *
 * <p>{@link #free()} is counted against the capacity, not the budget: a write it allows may still be
 * refused when the pool is short (all connections together then hold the budget), so a caller that
 * advertises {@code free()} as a window must cope with data it cannot take (drop it, unacknowledged,
 * and let the peer retransmit).
 *
 * <p>Ownership: the pool owns the budget; this buffer owns the chunks it has taken until it gives
 * them back (when consumed past, or at {@link #release()}). Nothing outside sees a chunk: reads and
 * writes copy. Call {@link #release()} once when the connection is gone; using the buffer after
 * that is a bug (taking a chunk then throws {@link IllegalStateException}).
 *
 * <p>Caller bugs — an offset or count outside what the call may address (beyond the capacity,
 * before the head, more than is readable or placed) — throw {@link IndexOutOfBoundsException}.
 * Stack thread only.
 */
final class SegmentedBuffer {

  private static final int INITIAL_SLOTS = 4;

  private final BufferPool pool;
  private final int chunkSize;
  private final int capacity;

  /** The chunks held, as a ring: {@code count} of them from {@code first}; length a power of two. */
  private ByteBuf[] chunks = new ByteBuf[INITIAL_SLOTS];

  private int first;
  private int count;
  /** Offset of the first live byte in the first chunk; 0 when no chunk is held. */
  private int head;
  /** Readable bytes, from the head. */
  private int length;
  /** End (from the head) of the furthest byte written; at least {@code length}. */
  private int placedEnd;

  private boolean released;

  /**
   * @param pool where chunks come from and go back to
   * @param capacity the logical limit in bytes (no memory is taken for it)
   */
  SegmentedBuffer(BufferPool pool, int capacity) {
    this.pool = Objects.requireNonNull(pool, "pool");
    this.chunkSize = pool.chunkSize();
    if (capacity <= 0 || capacity > Integer.MAX_VALUE - chunkSize) {
      throw new IllegalArgumentException("capacity must be between 1 and "
          + (Integer.MAX_VALUE - chunkSize) + " bytes, got " + capacity);
    }
    this.capacity = capacity;
  }

  int capacity() {
    return capacity;
  }

  /** Bytes between head and tail. */
  int length() {
    return length;
  }

  int free() {
    return capacity - length;
  }

  boolean isEmpty() {
    return length == 0;
  }

  /** Chunks held now. */
  int chunksHeld() {
    return count;
  }

  /** Bytes of chunks held now. */
  long bytesHeld() {
    return (long) count * chunkSize;
  }

  /**
   * Appends up to {@code min(max, src.readableBytes(), free())} bytes of {@code src}, consuming them;
   * returns how many. Fewer (possibly 0) when the pool refuses a chunk.
   */
  int append(ByteBuf src, int max) {
    int n = Math.min(Math.min(max, src.readableBytes()), free());
    if (n <= 0) {
      return 0;
    }
    n = (int) Math.min(n, takeUpTo(length + n) - length);
    if (n <= 0) {
      return 0;
    }
    write(length, src, src.readerIndex(), n);
    src.skipBytes(n);
    length += n;
    placedEnd = Math.max(placedEnd, length);
    return n;
  }

  /**
   * Appends {@code n} bytes of {@code src} from {@code index} (its indices unchanged), or returns
   * false, with nothing written, when the pool refuses a chunk they need.
   *
   * @throws IndexOutOfBoundsException if {@code n} is negative or more than {@link #free()}, or
   *     {@code src} has no such bytes
   */
  boolean append(ByteBuf src, int index, int n) {
    Objects.checkFromIndexSize(length, n, capacity);
    Objects.checkFromIndexSize(index, n, src.capacity()); // before a chunk is taken for it
    if (!takeAll(length + n)) {
      return false;
    }
    write(length, src, index, n);
    length += n;
    placedEnd = Math.max(placedEnd, length);
    return true;
  }

  /**
   * Writes {@code n} bytes of {@code src} from {@code srcIndex} at {@code offset} from the head,
   * without changing the length (for data that arrives ahead of a gap), taking the chunks up to
   * there; or returns false, with nothing written, when the pool refuses one of them. The chunks
   * are kept until the head passes them.
   *
   * @throws IndexOutOfBoundsException if {@code offset} or {@code n} is negative, {@code offset + n}
   *     is beyond the capacity, or {@code src} has no such bytes
   */
  boolean writeAt(int offset, ByteBuf src, int srcIndex, int n) {
    Objects.checkFromIndexSize(offset, n, capacity);
    Objects.checkFromIndexSize(srcIndex, n, src.capacity()); // before a chunk is taken for it
    if (n == 0) {
      return true;
    }
    int end = offset + n;
    if (!takeAll(end)) {
      return false;
    }
    write(offset, src, srcIndex, n);
    placedEnd = Math.max(placedEnd, end);
    return true;
  }

  /**
   * Extends the length by {@code n} bytes already written past the tail with {@link #writeAt}.
   *
   * @throws IndexOutOfBoundsException if {@code n} is negative or reaches past the furthest byte
   *     placed
   */
  void commit(int n) {
    Objects.checkFromIndexSize(length, n, placedEnd);
    length += n;
  }

  /**
   * Copies {@code n} bytes at {@code offset} from the head to {@code dst}'s writer index (advancing
   * it), across chunk boundaries.
   *
   * @throws IndexOutOfBoundsException if the range reaches past the furthest byte placed
   */
  void copyTo(int offset, ByteBuf dst, int n) {
    Objects.checkFromIndexSize(offset, n, placedEnd);
    int pos = head + offset;
    int c = pos / chunkSize;
    int at = pos - c * chunkSize;
    int mask = chunks.length - 1;
    while (n > 0) {
      int k = Math.min(n, chunkSize - at);
      dst.writeBytes(chunks[(first + c) & mask], at, k);
      n -= k;
      c++;
      at = 0;
    }
  }

  /**
   * Drops {@code n} bytes from the head. Bytes placed beyond the tail (out-of-order data) keep their
   * position. Every chunk wholly behind the new head goes back to the pool at once; all of them when
   * nothing is left, readable or placed.
   *
   * @throws IndexOutOfBoundsException if {@code n} is negative or more than {@link #length()}
   */
  void consume(int n) {
    Objects.checkFromIndexSize(0, n, length);
    length -= n;
    placedEnd -= n;
    if (placedEnd == 0) {
      giveAll();
      return;
    }
    head += n;
    int mask = chunks.length - 1;
    while (head >= chunkSize) {
      pool.give(chunks[first]);
      chunks[first] = null;
      first = (first + 1) & mask;
      count--;
      head -= chunkSize;
    }
  }

  /**
   * Gives every chunk back and empties the buffer. Safe to call again; any other use after it is a
   * bug.
   */
  void release() {
    released = true;
    giveAll();
  }

  // ---------------------------------------------------------------------------------------------

  /** Writes {@code n > 0} bytes at {@code offset} from the head, into chunks already held. */
  private void write(int offset, ByteBuf src, int srcIndex, int n) {
    int pos = head + offset;
    int c = pos / chunkSize;
    int at = pos - c * chunkSize;
    int mask = chunks.length - 1;
    while (n > 0) {
      int k = Math.min(n, chunkSize - at);
      chunks[(first + c) & mask].setBytes(at, src, srcIndex, k);
      srcIndex += k;
      n -= k;
      c++;
      at = 0;
    }
  }

  /** Chunks needed to hold the bytes up to {@code end} (exclusive, from the head). */
  private int chunksFor(int end) {
    return (int) (((long) head + end + chunkSize - 1) / chunkSize);
  }

  /** Takes chunks until bytes up to {@code end} are held, or none if the pool refuses one. */
  private boolean takeAll(int end) {
    int had = count;
    int need = chunksFor(end);
    if (need <= had) {
      return true;
    }
    checkNotReleased();
    if (!pool.affords(need - had)) {
      return false;
    }
    while (count < need) { // cannot be refused after affords(), single-threaded; rolled back if so
      if (!takeOne()) {
        while (count > had) { // give back what this call took: all or nothing
          int last = (first + count - 1) & (chunks.length - 1);
          pool.give(chunks[last]);
          chunks[last] = null;
          count--;
        }
        return false;
      }
    }
    return true;
  }

  /**
   * Takes chunks towards holding the bytes up to {@code end}, stopping at the first refusal; returns
   * the end (from the head) of what is held now.
   */
  private long takeUpTo(int end) {
    int need = chunksFor(end);
    while (count < need && takeOne()) {
      // taken
    }
    return (long) count * chunkSize - head;
  }

  private void checkNotReleased() {
    if (released) {
      throw new IllegalStateException(
          "buffer used after release(): it would take chunks that no one gives back");
    }
  }

  private boolean takeOne() {
    checkNotReleased();
    if (count == chunks.length) {
      grow(); // first, so a chunk taken always has a slot
    }
    ByteBuf chunk = pool.take();
    if (chunk == null) {
      return false;
    }
    chunks[(first + count) & (chunks.length - 1)] = chunk;
    count++;
    return true;
  }

  private void grow() {
    ByteBuf[] bigger = new ByteBuf[chunks.length * 2];
    for (int i = 0; i < count; i++) {
      bigger[i] = chunks[(first + i) & (chunks.length - 1)];
    }
    chunks = bigger;
    first = 0;
  }

  private void giveAll() {
    int mask = chunks.length - 1;
    while (count > 0) {
      pool.give(chunks[first]);
      chunks[first] = null;
      first = (first + 1) & mask;
      count--;
    }
    first = 0;
    head = 0;
    length = 0;
    placedEnd = 0;
  }

  @Override
  public String toString() {
    return "SegmentedBuffer[length=" + length + " placed=" + placedEnd + " capacity=" + capacity
        + " chunks=" + count + "x" + chunkSize + " head=" + head + "]";
  }
}
