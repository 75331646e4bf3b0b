package io.tcpstack.udp;

import io.netty.buffer.ByteBuf;
import java.nio.ByteBuffer;

/**
 * A socket's receive queue: whole datagrams, first in first out, in one ring of {@code capacity}
 * bytes allocated when the socket is bound — so queueing a datagram allocates nothing, and the
 * byte limit ({@code SO_RCVBUF}'s role) is the ring's size. Each datagram takes a {@link
 * #RECORD_HEADER_IPV4}-byte record (sender and length; {@link #RECORD_HEADER_IPV6} from an IPv6
 * sender) plus its data; one that does not fit is refused whole, never cut (RFC 768 datagrams are
 * atomic).
 *
 * <p>Record: {@code length} (2 bytes), sender port (2), sender address (a family byte and 4 or 16
 * bytes, {@link UdpPeer#write}), then the data; a record may wrap around the ring's end. Stack
 * thread only.
 */
final class DatagramQueue {

  /** Bytes of bookkeeping per datagram from an IPv4 sender: length, port and the sender's address. */
  static final int RECORD_HEADER_IPV4 = 4 + UdpPeer.IPV4_RECORD_BYTES;
  /** Bytes of bookkeeping per datagram from an IPv6 sender. */
  static final int RECORD_HEADER_IPV6 = 4 + UdpPeer.IPV6_RECORD_BYTES;

  private final byte[] ring;
  private int head;
  private int used;
  private int count;

  DatagramQueue(int capacity) {
    this.ring = new byte[capacity];
  }

  int capacity() {
    return ring.length;
  }

  /** Bytes taken by the records queued now. */
  int used() {
    return used;
  }

  /** Datagrams queued. */
  int size() {
    return count;
  }

  boolean isEmpty() {
    return count == 0;
  }

  /**
   * Queues the {@code length} bytes at {@code index} of {@code src} from {@code hi, lo} (see {@link
   * UdpPeer}) port {@code port}; false, and nothing queued, if the record does not fit.
   */
  boolean offer(ByteBuf src, int index, int length, long hi, long lo, int port) {
    int record = 4 + UdpPeer.recordBytes(hi, lo) + length;
    if (record > ring.length - used) {
      return false;
    }
    int tail = wrap(head + used);
    tail = putShort(tail, length);
    tail = putShort(tail, port);
    tail = UdpPeer.write(this, tail, hi, lo);
    int first = Math.min(length, ring.length - tail);
    src.getBytes(index, ring, tail, first);
    if (first < length) {
      src.getBytes(index + first, ring, 0, length - first);
    }
    used += record;
    count++;
    return true;
  }

  /** The length of the first datagram; queue not empty. */
  int peekLength() {
    return getShort(head);
  }

  /** The port of the first datagram's sender; queue not empty. */
  int peekPort() {
    return getShort(wrap(head + 2));
  }

  /** The high long of the first datagram's sender; queue not empty. */
  long peekHi() {
    return UdpPeer.readHi(this, wrap(head + 4));
  }

  /** The low long of the first datagram's sender; queue not empty. */
  long peekLo() {
    return UdpPeer.readLo(this, wrap(head + 4));
  }

  /** The first record's bookkeeping bytes, before its data. */
  private int recordHeader() {
    return 4 + UdpPeer.readLength(this, wrap(head + 4));
  }

  /**
   * Removes the first datagram, copying as much of it as {@code dst} has room for (the rest is
   * discarded, as {@code recv} truncates); returns the bytes copied.
   */
  int poll(ByteBuf dst) {
    int length = peekLength();
    int n = Math.min(length, dst.writableBytes());
    int header = recordHeader();
    int data = wrap(head + header);
    int first = Math.min(n, ring.length - data);
    dst.writeBytes(ring, data, first);
    dst.writeBytes(ring, 0, n - first);
    remove(header + length);
    return n;
  }

  /** As {@link #poll(ByteBuf)}, into {@code dst[off, off + len)}. */
  int poll(byte[] dst, int off, int len) {
    int length = peekLength();
    int n = Math.min(length, len);
    int header = recordHeader();
    int data = wrap(head + header);
    int first = Math.min(n, ring.length - data);
    System.arraycopy(ring, data, dst, off, first);
    System.arraycopy(ring, 0, dst, off + first, n - first);
    remove(header + length);
    return n;
  }

  /** As {@link #poll(ByteBuf)}, into {@code dst}'s remaining room, advancing its position. */
  int poll(ByteBuffer dst) {
    int length = peekLength();
    int n = Math.min(length, dst.remaining());
    int header = recordHeader();
    int data = wrap(head + header);
    int first = Math.min(n, ring.length - data);
    dst.put(ring, data, first);
    dst.put(ring, 0, n - first);
    remove(header + length);
    return n;
  }

  /** Drops every datagram queued. */
  void clear() {
    head = 0;
    used = 0;
    count = 0;
  }

  private void remove(int record) {
    head = wrap(head + record);
    used -= record;
    count--;
    if (count == 0) {
      head = 0; // keeps records contiguous while the queue drains faster than it fills
    }
  }

  int wrap(int i) {
    return i >= ring.length ? i - ring.length : i;
  }

  int putByte(int at, int value) {
    ring[at] = (byte) value;
    return wrap(at + 1);
  }

  int getByte(int at) {
    return ring[at] & 0xFF;
  }

  private int putShort(int at, int value) {
    return putByte(putByte(at, value >>> 8), value);
  }

  private int getShort(int at) {
    return getByte(at) << 8 | getByte(wrap(at + 1));
  }
}
