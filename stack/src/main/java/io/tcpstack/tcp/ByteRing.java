package io.tcpstack.tcp;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;

/**
 * A fixed-capacity byte ring over one direct {@link ByteBuf}: the send and receive buffers of a
 * connection. Bytes are appended at the tail and consumed from the head; bytes can also be read and
 * written at an offset from the head without moving it (for retransmission, and for out-of-order
 * data placed beyond the readable bytes). No allocation after construction. Stack thread only.
 */
final class ByteRing {

  private final ByteBuf storage;
  private final int capacity;
  private int head;
  private int length;

  ByteRing(ByteBufAllocator allocator, int capacity) {
    this.capacity = capacity;
    this.storage = allocator.directBuffer(capacity, capacity);
    this.storage.writerIndex(capacity);
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

  /** Appends up to {@link #free()} readable bytes of {@code src}, consuming them; returns how many. */
  int append(ByteBuf src, int max) {
    int n = Math.min(Math.min(max, src.readableBytes()), free());
    writeAt(length, src, src.readerIndex(), n);
    src.skipBytes(n);
    length += n;
    return n;
  }

  /** Appends {@code n} bytes of {@code src} at {@code index}, which must fit. */
  void append(ByteBuf src, int index, int n) {
    writeAt(length, src, index, n);
    length += n;
  }

  /**
   * Writes {@code n} bytes from {@code src} at {@code offset} from the head, without changing the
   * length (for data that arrives ahead of a gap). {@code offset + n} must not exceed the capacity.
   */
  void writeAt(int offset, ByteBuf src, int srcIndex, int n) {
    int pos = (head + offset) % capacity;
    int first = Math.min(n, capacity - pos);
    storage.setBytes(pos, src, srcIndex, first);
    if (first < n) {
      storage.setBytes(0, src, srcIndex + first, n - first);
    }
  }

  /** Extends the length by {@code n} bytes already written past the tail with {@link #writeAt}. */
  void commit(int n) {
    length += n;
  }

  /** Copies {@code n} bytes at {@code offset} from the head into {@code dst}'s writer index. */
  void copyTo(int offset, ByteBuf dst, int n) {
    int pos = (head + offset) % capacity;
    int first = Math.min(n, capacity - pos);
    dst.writeBytes(storage, pos, first);
    if (first < n) {
      dst.writeBytes(storage, 0, n - first);
    }
  }

  /**
   * Drops {@code n} bytes from the head. The head only ever moves forward by what is consumed: bytes
   * placed beyond the tail with {@link #writeAt} (out-of-order data) keep their position.
   */
  void consume(int n) {
    head = (head + n) % capacity;
    length -= n;
  }

  void release() {
    storage.release();
  }
}
