package io.tcpstack.ip;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.tcpstack.stats.CounterSet;
import io.tcpstack.stats.StackCounter;
import io.tcpstack.wire.Ipv4Header;

/**
 * Reassembles fragmented IPv4 datagrams (RFC 791 §3.2 "Reassembly", with RFC 815's bookkeeping
 * simplified to a list of received ranges), within fixed limits on memory, slots and time.
 *
 * <p>Policy (see {@code docs/architecture.md}):
 *
 * <ul>
 *   <li>A datagram is identified by (source, destination, protocol, identification) — RFC 791 §3.2.
 *   <li>At most {@code maxDatagrams} datagrams are under reassembly; a new one evicts the oldest.
 *       All buffers together hold at most {@code maxBytes}; a fragment that would exceed it drops its
 *       datagram.
 *   <li>A fragment that overlaps one already held without being its exact duplicate drops the whole
 *       datagram (overlaps are only ever an attack or a broken sender; RFC 5722 takes the same line
 *       for IPv6). An exact duplicate is ignored.
 *   <li>A fragment other than the last must carry a multiple of 8 bytes (RFC 791 §3.1 "Fragment
 *       Offset"), and no datagram may exceed 65535 bytes (the "ping of death").
 *   <li>After {@code timeoutNs} from its first fragment a datagram is discarded; if its first fragment
 *       had arrived, the IP layer sends ICMP Time Exceeded, code 1 (RFC 1122 §3.3.2).
 * </ul>
 *
 * <p>Buffers come from the configured allocator when a datagram starts and go back when it
 * completes (ownership passes to the caller) or is dropped. Stack thread only.
 */
final class FragmentReassembler {

  /** RFC 791 §3.1: fragment offsets count 8-octet units. */
  static final int FRAGMENT_UNIT = 8;
  /** Room kept in front of the data for the header of the first fragment (IHL at most 15 words). */
  static final int HEADROOM = 60;
  /** The largest IP payload: 65535 less the minimal header. */
  static final int MAX_PAYLOAD = 65_535 - Ipv4Header.MIN_LENGTH;
  /** Distinct ranges one datagram may arrive in; more is treated as an attack. */
  static final int MAX_RANGES = 64;
  private static final int INITIAL_CAPACITY = 2048;

  /** Called for a datagram whose reassembly timed out after its first fragment arrived. */
  interface TimeoutListener {
    /**
     * @param buf holds the first fragment's header at {@code headerIndex} and at least 8 bytes of data
     *     right after it
     */
    void onTimeout(ByteBuf buf, int headerIndex, int headerLength);
  }

  private final Slot[] slots;
  private final int maxBytes;
  private final long timeoutNs;
  private final ByteBufAllocator allocator;
  private final CounterSet<StackCounter> counters;
  private final Ipv4Header completed = new Ipv4Header();
  private int bytesHeld;

  FragmentReassembler(
      int maxDatagrams, int maxBytes, long timeoutNs, ByteBufAllocator allocator, CounterSet<StackCounter> counters) {
    this.slots = new Slot[maxDatagrams];
    for (int i = 0; i < maxDatagrams; i++) {
      slots[i] = new Slot();
    }
    this.maxBytes = maxBytes;
    this.timeoutNs = timeoutNs;
    this.allocator = allocator;
    this.counters = counters;
  }

  /**
   * Takes one fragment.
   *
   * @return the complete datagram — header at the reader index, checksum valid, MF and offset clear —
   *     owned by the caller, who must release it; or null while fragments are missing or when this
   *     one was dropped (counted)
   */
  ByteBuf accept(Ipv4Header fragment, long nowNs) {
    counters.increment(StackCounter.IP_REASM_REQDS);
    int offset = fragment.fragmentOffset();
    int length = fragment.payloadLength();
    boolean last = !fragment.moreFragments();
    int end = offset + length;
    if (end > MAX_PAYLOAD || (!last && (length == 0 || length % FRAGMENT_UNIT != 0))) {
      counters.increment(StackCounter.IP_REASM_INVALID);
      return null;
    }
    if (slots.length == 0) {
      counters.increment(StackCounter.IP_REASM_OVER_LIMIT);
      return null;
    }
    Slot slot = find(fragment);
    if (slot == null) {
      slot = claim(fragment, nowNs);
    }
    switch (slot.overlap(offset, end)) {
      case DUPLICATE:
        counters.increment(StackCounter.IP_REASM_DUPLICATES);
        return null;
      case PARTIAL:
        drop(slot, StackCounter.IP_REASM_INVALID);
        return null;
      default:
        break;
    }
    if (last ? (slot.totalLength >= 0 && slot.totalLength != end) || slot.maxEnd > end
        : slot.totalLength >= 0 && end > slot.totalLength) {
      drop(slot, StackCounter.IP_REASM_INVALID); // the end of the datagram moved: inconsistent
      return null;
    }
    if (slot.rangeCount == MAX_RANGES || !ensureCapacity(slot, HEADROOM + end)) {
      drop(slot, StackCounter.IP_REASM_OVER_LIMIT);
      return null;
    }
    ByteBuf src = fragment.buffer();
    slot.data.setBytes(HEADROOM + offset, src, fragment.payloadIndex(), length);
    if (offset == 0) {
      slot.headerLength = fragment.headerLength();
      slot.data.setBytes(HEADROOM - slot.headerLength, src, fragment.offset(), slot.headerLength);
    }
    slot.addRange(offset, end);
    if (last) {
      slot.totalLength = end;
    }
    if (slot.totalLength < 0 || slot.received != slot.totalLength) {
      return null;
    }
    return complete(slot);
  }

  /** When {@link #expire} next has work: the earliest deadline, or {@link Long#MAX_VALUE}. */
  long pollAt() {
    long earliest = Long.MAX_VALUE;
    for (Slot slot : slots) {
      if (slot.inUse && (earliest == Long.MAX_VALUE || slot.deadlineNs - earliest < 0)) {
        earliest = slot.deadlineNs;
      }
    }
    return earliest;
  }

  /** Discards every datagram whose deadline has passed, telling {@code listener} of each. */
  void expire(long nowNs, TimeoutListener listener) {
    for (Slot slot : slots) {
      if (slot.inUse && slot.deadlineNs - nowNs <= 0) {
        // RFC 1122 §3.3.2: Time Exceeded only "if fragment zero has been received".
        if (slot.headerLength > 0 && slot.covers(0, FRAGMENT_UNIT)) {
          listener.onTimeout(slot.data, HEADROOM - slot.headerLength, slot.headerLength);
        }
        drop(slot, StackCounter.IP_REASM_TIMEOUT);
      }
    }
  }

  /** Datagrams under reassembly now. */
  int inProgress() {
    int n = 0;
    for (Slot slot : slots) {
      n += slot.inUse ? 1 : 0;
    }
    return n;
  }

  /** Bytes of buffer held now. */
  int bytesHeld() {
    return bytesHeld;
  }

  /** Releases every buffer. */
  void close() {
    for (Slot slot : slots) {
      if (slot.inUse) {
        free(slot);
      }
    }
  }

  private Slot find(Ipv4Header f) {
    for (Slot slot : slots) {
      if (slot.inUse
          && slot.identification == f.identification()
          && slot.source == f.source()
          && slot.destination == f.destination()
          && slot.protocol == f.protocol()) {
        return slot;
      }
    }
    return null;
  }

  private Slot claim(Ipv4Header f, long nowNs) {
    Slot victim = null;
    for (Slot slot : slots) {
      if (!slot.inUse) {
        victim = slot;
        break;
      }
      if (victim == null || slot.deadlineNs - victim.deadlineNs < 0) {
        victim = slot;
      }
    }
    if (victim.inUse) {
      drop(victim, StackCounter.IP_REASM_OVER_LIMIT); // evict the oldest
    }
    victim.start(f, nowNs + timeoutNs);
    return victim;
  }

  private boolean ensureCapacity(Slot slot, int needed) {
    int current = slot.data == null ? 0 : slot.data.capacity();
    if (needed <= current) {
      return true;
    }
    int wanted = Math.min(HEADROOM + MAX_PAYLOAD, Math.max(needed, Math.max(INITIAL_CAPACITY, current * 2)));
    if (bytesHeld - current + wanted > maxBytes) {
      wanted = needed; // try the exact size before giving up
      if (bytesHeld - current + wanted > maxBytes) {
        return false;
      }
    }
    if (slot.data == null) {
      slot.data = allocator.directBuffer(wanted, HEADROOM + MAX_PAYLOAD);
    } else {
      slot.data.capacity(wanted);
    }
    bytesHeld += wanted - current;
    return true;
  }

  private ByteBuf complete(Slot slot) {
    ByteBuf data = slot.data;
    int headerIndex = HEADROOM - slot.headerLength;
    completed.wrap(data, headerIndex);
    completed.setTotalLength(slot.headerLength + slot.totalLength);
    completed.setFlagsAndFragmentOffset(completed.dontFragment(), false, 0);
    completed.fillChecksum();
    data.setIndex(headerIndex, HEADROOM + slot.totalLength);
    bytesHeld -= data.capacity();
    slot.data = null; // ownership passes to the caller
    slot.clear();
    counters.increment(StackCounter.IP_REASM_OKS);
    return data;
  }

  private void drop(Slot slot, StackCounter reason) {
    counters.increment(reason);
    free(slot);
  }

  private void free(Slot slot) {
    if (slot.data != null) {
      bytesHeld -= slot.data.capacity();
      slot.data.release();
      slot.data = null;
    }
    slot.clear();
  }

  private enum Overlap {
    NONE,
    DUPLICATE,
    PARTIAL
  }

  /** One datagram under reassembly. Reused: no allocation but its buffer. */
  private static final class Slot {
    boolean inUse;
    int source;
    int destination;
    int protocol;
    int identification;
    long deadlineNs;
    ByteBuf data;
    /** Header length of fragment zero; 0 until it arrives. */
    int headerLength;
    /** Payload length, known once the last fragment (MF clear) arrived; -1 before. */
    int totalLength;
    /** Largest end seen so far. */
    int maxEnd;
    /** Payload bytes held; ranges never overlap, so complete when this equals totalLength. */
    int received;
    final int[] starts = new int[MAX_RANGES];
    final int[] ends = new int[MAX_RANGES];
    int rangeCount;

    void start(Ipv4Header f, long deadline) {
      inUse = true;
      source = f.source();
      destination = f.destination();
      protocol = f.protocol();
      identification = f.identification();
      deadlineNs = deadline;
      headerLength = 0;
      totalLength = -1;
      maxEnd = 0;
      received = 0;
      rangeCount = 0;
    }

    Overlap overlap(int start, int end) {
      for (int i = 0; i < rangeCount; i++) {
        if (start == starts[i] && end == ends[i]) {
          return Overlap.DUPLICATE;
        }
        if (start < ends[i] && starts[i] < end) {
          return Overlap.PARTIAL;
        }
      }
      return Overlap.NONE;
    }

    boolean covers(int start, int end) {
      for (int i = 0; i < rangeCount; i++) {
        if (starts[i] <= start && end <= ends[i]) {
          return true;
        }
      }
      return false;
    }

    void addRange(int start, int end) {
      starts[rangeCount] = start;
      ends[rangeCount] = end;
      rangeCount++;
      received += end - start;
      maxEnd = Math.max(maxEnd, end);
    }

    void clear() {
      inUse = false;
      rangeCount = 0;
      headerLength = 0;
      totalLength = -1;
    }
  }
}
