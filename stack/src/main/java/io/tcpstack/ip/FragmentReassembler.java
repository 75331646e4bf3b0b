package io.tcpstack.ip;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.tcpstack.stats.CounterSet;
import io.tcpstack.stats.StackCounter;
import io.tcpstack.wire.Ipv4Header;
import io.tcpstack.wire.Ipv6Header;

/**
 * Reassembles fragmented IPv4 datagrams (RFC 791 §3.2 "Reassembly", with RFC 815's bookkeeping
 * simplified to a list of received ranges) and IPv6 packets (RFC 8200 §4.5), within fixed limits
 * on memory, slots and time shared by both families.
 *
 * <p>Policy (see {@code docs/architecture.md}):
 *
 * <ul>
 *   <li>A datagram is identified by (source, destination, protocol, identification) — RFC 791 §3.2;
 *       an IPv6 packet by (source, destination, Identification) — RFC 8200 §4.5.
 *   <li>At most {@code maxDatagrams} datagrams are under reassembly; a new one evicts the oldest.
 *       All buffers together hold at most {@code maxBytes}; a fragment that would exceed it drops its
 *       datagram.
 *   <li>A fragment that overlaps one already held without being its exact duplicate drops the whole
 *       datagram (overlaps are only ever an attack or a broken sender; RFC 5722 §4 requires it for
 *       IPv6). An exact duplicate is ignored (RFC 8200 §4.5 allows that).
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
  /**
   * Room kept in front of the data for the header of the first fragment: an IPv4 header (IHL at
   * most 15 words, 60 bytes) or an IPv6 Unfragmentable Part (the 40-byte header and its extension
   * headers before the Fragment header; a longer one is dropped as invalid).
   */
  static final int HEADROOM = 256;
  static final int IPV4 = 4;
  static final int IPV6 = 6;
  /** The largest IP payload: 65535 less the minimal header. */
  static final int MAX_PAYLOAD = 65_535 - Ipv4Header.MIN_LENGTH;
  /** The most data of one datagram of either family: an IPv6 payload of 65535 bytes (RFC 8200 §3). */
  private static final int MAX_DATA = 65_535;
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
  private final Ipv6Header completed6 = new Ipv6Header();
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
   * Takes one IPv4 fragment.
   *
   * @return the complete datagram — header at the reader index, checksum valid, MF and offset clear —
   *     owned by the caller, who must release it; or null while fragments are missing or when this
   *     one was dropped (counted)
   */
  ByteBuf accept(Ipv4Header fragment, long nowNs) {
    int offset = fragment.fragmentOffset();
    int length = fragment.payloadLength();
    boolean last = !fragment.moreFragments();
    ByteBuf src = fragment.buffer();
    return accept(IPV4, 0, Integer.toUnsignedLong(fragment.source()), 0, Integer.toUnsignedLong(fragment.destination()),
        fragment.protocol(), fragment.identification(), offset, length, last, src, fragment.payloadIndex(),
        fragment.offset(), fragment.headerLength(), -1, MAX_PAYLOAD, nowNs);
  }

  /**
   * Takes one IPv6 fragment (RFC 8200 §4.5): {@code ip} wraps its fixed header, the Fragment
   * header is at {@code fragmentHeaderIndex}, and the Unfragmentable Part (the fixed header and
   * any extension headers before the Fragment header) is {@code unfragmentableLength} bytes, the
   * last of whose Next Header fields is at {@code nextHeaderFieldIndex} (absolute). A datagram is
   * identified by source, destination and Identification.
   *
   * @return the reassembled packet — the first fragment's Unfragmentable Part with that Next Header
   *     field set to the Fragment header's and the Payload Length recomputed, then the data — at the
   *     reader index, owned by the caller; or null while fragments are missing or when this one was
   *     dropped (counted)
   */
  ByteBuf acceptIpv6(Ipv6Header ip, int fragmentHeaderIndex, int unfragmentableLength, int nextHeaderFieldIndex,
      int fragmentEnd, long nowNs) {
    ByteBuf src = ip.buffer();
    int word = src.getUnsignedShort(fragmentHeaderIndex + Ipv6Header.FRAGMENT_OFFSET_FIELD_OFFSET);
    int offset = word & Ipv6Header.FRAGMENT_OFFSET_MASK;
    boolean last = (word & Ipv6Header.FRAGMENT_FLAG_MORE) == 0;
    int dataIndex = fragmentHeaderIndex + Ipv6Header.FRAGMENT_HEADER_LENGTH;
    int length = fragmentEnd - dataIndex;
    if (unfragmentableLength > HEADROOM) {
      counters.increment(StackCounter.IP_REASM_REQDS);
      counters.increment(StackCounter.IP_REASM_INVALID); // more extension headers than we keep room for
      return null;
    }
    // RFC 8200 §4.5: the reassembled Payload Length may not exceed 65,535.
    int maxPayload = Ipv4Header.MAX_TOTAL_LENGTH - (unfragmentableLength - Ipv6Header.LENGTH);
    return accept(IPV6, ip.sourceHi(), ip.sourceLo(), ip.destinationHi(), ip.destinationLo(),
        src.getUnsignedByte(fragmentHeaderIndex + Ipv6Header.EXTENSION_NEXT_HEADER_OFFSET),
        src.getInt(fragmentHeaderIndex + Ipv6Header.FRAGMENT_IDENTIFICATION_OFFSET), offset, length, last, src,
        dataIndex, ip.offset(), unfragmentableLength, nextHeaderFieldIndex - ip.offset(), maxPayload, nowNs);
  }

  private ByteBuf accept(int family, long sourceHi, long sourceLo, long destinationHi, long destinationLo,
      int protocol, int identification, int offset, int length, boolean last, ByteBuf src, int dataIndex,
      int headerIndex, int headerLength, int nextHeaderOffset, int maxPayload, long nowNs) {
    counters.increment(StackCounter.IP_REASM_REQDS);
    int end = offset + length;
    if (end > maxPayload || (!last && (length == 0 || length % FRAGMENT_UNIT != 0))) {
      counters.increment(StackCounter.IP_REASM_INVALID);
      return null;
    }
    if (slots.length == 0) {
      counters.increment(StackCounter.IP_REASM_OVER_LIMIT);
      return null;
    }
    Slot slot = find(family, sourceHi, sourceLo, destinationHi, destinationLo, protocol, identification);
    if (slot == null) {
      slot = claim(nowNs);
      slot.start(family, sourceHi, sourceLo, destinationHi, destinationLo, protocol, identification,
          nowNs + timeoutNs);
    }
    switch (slot.overlap(offset, end)) {
      case DUPLICATE:
        // RFC 8200 §4.5 lets an exact duplicate be dropped alone, keeping the datagram.
        counters.increment(StackCounter.IP_REASM_DUPLICATES);
        return null;
      case PARTIAL:
        // RFC 5722 §4: an overlapping fragment discards the whole datagram, silently.
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
    slot.data.setBytes(HEADROOM + offset, src, dataIndex, length);
    if (offset == 0) {
      slot.headerLength = headerLength;
      slot.nextHeaderOffset = nextHeaderOffset;
      slot.data.setBytes(HEADROOM - headerLength, src, headerIndex, headerLength);
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

  private Slot find(int family, long sourceHi, long sourceLo, long destinationHi, long destinationLo, int protocol,
      int identification) {
    for (Slot slot : slots) {
      if (slot.inUse
          && slot.identification == identification
          && slot.family == family
          && slot.sourceLo == sourceLo
          && slot.destinationLo == destinationLo
          && slot.sourceHi == sourceHi
          && slot.destinationHi == destinationHi
          && (family == IPV6 || slot.protocol == protocol)) {
        return slot;
      }
    }
    return null;
  }

  private Slot claim(long nowNs) {
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
    return victim;
  }

  private boolean ensureCapacity(Slot slot, int needed) {
    int current = slot.data == null ? 0 : slot.data.capacity();
    if (needed <= current) {
      return true;
    }
    int wanted = Math.min(HEADROOM + MAX_DATA, Math.max(needed, Math.max(INITIAL_CAPACITY, current * 2)));
    if (bytesHeld - current + wanted > maxBytes) {
      wanted = needed; // try the exact size before giving up
      if (bytesHeld - current + wanted > maxBytes) {
        return false;
      }
    }
    if (slot.data == null) {
      slot.data = allocator.directBuffer(wanted, HEADROOM + MAX_DATA);
    } else {
      slot.data.capacity(wanted);
    }
    bytesHeld += wanted - current;
    return true;
  }

  private ByteBuf complete(Slot slot) {
    ByteBuf data = slot.data;
    int headerIndex = HEADROOM - slot.headerLength;
    if (slot.family == IPV4) {
      completed.wrap(data, headerIndex);
      completed.setTotalLength(slot.headerLength + slot.totalLength);
      completed.setFlagsAndFragmentOffset(completed.dontFragment(), false, 0);
      completed.fillChecksum();
    } else {
      // RFC 8200 §4.5 "reassembled original packet": the Unfragmentable Part of fragment zero, its
      // last Next Header taken from the Fragment header, and the Payload Length recomputed.
      completed6.wrap(data, headerIndex);
      completed6.setPayloadLength(slot.headerLength - Ipv6Header.LENGTH + slot.totalLength);
      data.setByte(headerIndex + slot.nextHeaderOffset, slot.protocol);
    }
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
    /** {@link #IPV4} or {@link #IPV6}. */
    int family;
    /** Addresses as two longs each (IPv4: the address in the low 32 bits of the low long). */
    long sourceHi;
    long sourceLo;
    long destinationHi;
    long destinationLo;
    /** IPv4: the protocol, part of the key; IPv6: the Fragment header's Next Header (from fragment zero). */
    int protocol;
    int identification;
    long deadlineNs;
    ByteBuf data;
    /** Header length of fragment zero (IPv6: its Unfragmentable Part); 0 until it arrives. */
    int headerLength;
    /** IPv6: where, from the header's start, the Next Header field to restore is; -1 for IPv4. */
    int nextHeaderOffset;
    /** Payload length, known once the last fragment (MF clear) arrived; -1 before. */
    int totalLength;
    /** Largest end seen so far. */
    int maxEnd;
    /** Payload bytes held; ranges never overlap, so complete when this equals totalLength. */
    int received;
    final int[] starts = new int[MAX_RANGES];
    final int[] ends = new int[MAX_RANGES];
    int rangeCount;

    void start(int family, long sourceHi, long sourceLo, long destinationHi, long destinationLo, int protocol,
        int identification, long deadline) {
      inUse = true;
      this.family = family;
      this.sourceHi = sourceHi;
      this.sourceLo = sourceLo;
      this.destinationHi = destinationHi;
      this.destinationLo = destinationLo;
      this.protocol = protocol;
      this.identification = identification;
      deadlineNs = deadline;
      headerLength = 0;
      nextHeaderOffset = -1;
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
