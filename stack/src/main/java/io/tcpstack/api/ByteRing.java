package io.tcpstack.api;

/**
 * A bounded ring of bytes between exactly one producer thread and one consumer thread, with no lock:
 * the producer alone moves {@code tail}, the consumer alone moves {@code head}, and each publishes
 * its move by a volatile write after the bytes are copied, so whoever sees the new index sees the
 * bytes. The indices count bytes since the start and never wrap (a {@code long} would take centuries
 * at line rate); the position in the array is the index modulo the power-of-two capacity.
 *
 * <p>Both sides may copy with {@code byte[]}s ({@link #put}, {@link #take}) or work in place on the
 * array through the contiguous regions ({@link #writeIndex}/{@link #contiguousFree}/{@link
 * #produced}, {@link #readIndex}/{@link #contiguousReadable}/{@link #consumed}), which is how the
 * stack thread moves bytes to and from a connection without an intermediate copy.
 *
 * <p>The indices are volatile, not merely release/acquire, because the socket pairs them with flags
 * in Dekker's pattern (write my index, then read your flag) to decide when a hand-off or a wake-up
 * is needed; that needs the sequential consistency of volatile.
 */
final class ByteRing {

  private final byte[] array;
  private final int mask;
  /** The next byte to read; written by the consumer only. */
  private volatile long head;
  /** The next byte to write; written by the producer only. */
  private volatile long tail;

  /** @param capacity a power of two */
  ByteRing(int capacity) {
    if (capacity <= 0 || Integer.bitCount(capacity) != 1) {
      throw new IllegalArgumentException("capacity must be a power of two, got " + capacity);
    }
    this.array = new byte[capacity];
    this.mask = capacity - 1;
  }

  int capacity() {
    return array.length;
  }

  /** The backing array, for in-place access through the region methods. */
  byte[] array() {
    return array;
  }

  /** Bytes written and not yet read. Any thread; exact on either side for its own purpose. */
  int readable() {
    return (int) (tail - head);
  }

  /** Room for bytes. Any thread. */
  int free() {
    return array.length - readable();
  }

  // ---------------------------------------------------------------- producer side

  /** Copies up to {@code len} bytes of {@code src} in, as many as fit; returns how many. Producer. */
  int put(byte[] src, int off, int len) {
    long t = tail;
    int n = Math.min(len, array.length - (int) (t - head));
    if (n <= 0) {
      return 0;
    }
    int at = (int) t & mask;
    int first = Math.min(n, array.length - at);
    System.arraycopy(src, off, array, at, first);
    System.arraycopy(src, off + first, array, 0, n - first);
    tail = t + n;
    return n;
  }

  /** Where the next byte goes in {@link #array()}. Producer. */
  int writeIndex() {
    return (int) tail & mask;
  }

  /** Free bytes from {@link #writeIndex()} up to the array's end or the unread data. Producer. */
  int contiguousFree() {
    return Math.min(free(), array.length - writeIndex());
  }

  /** {@code n} bytes were written in place at {@link #writeIndex()}: publish them. Producer. */
  void produced(int n) {
    tail += n; // one writer: the read-modify-write is not a race
  }

  // ---------------------------------------------------------------- consumer side

  /** Copies up to {@code len} bytes out; returns how many (0 when empty). Consumer. */
  int take(byte[] dst, int off, int len) {
    long h = head;
    int n = Math.min(len, (int) (tail - h));
    if (n <= 0) {
      return 0;
    }
    int at = (int) h & mask;
    int first = Math.min(n, array.length - at);
    System.arraycopy(array, at, dst, off, first);
    System.arraycopy(array, 0, dst, off + first, n - first);
    head = h + n;
    return n;
  }

  /** Where the next byte to read is in {@link #array()}. Consumer. */
  int readIndex() {
    return (int) head & mask;
  }

  /** Readable bytes from {@link #readIndex()} up to the array's end or the free space. Consumer. */
  int contiguousReadable() {
    return Math.min(readable(), array.length - readIndex());
  }

  /** {@code n} bytes at {@link #readIndex()} were used: their room is free. Consumer. */
  void consumed(int n) {
    head += n; // one writer: the read-modify-write is not a race
  }

  /** Drops every readable byte. Consumer. */
  void clear() {
    head = tail;
  }

  @Override
  public String toString() {
    return "ByteRing[" + readable() + "/" + array.length + "]";
  }
}
