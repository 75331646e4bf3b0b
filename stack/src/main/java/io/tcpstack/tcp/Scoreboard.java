package io.tcpstack.tcp;

import static io.tcpstack.tcp.SeqNum.diff;
import static io.tcpstack.tcp.SeqNum.ge;
import static io.tcpstack.tcp.SeqNum.gt;
import static io.tcpstack.tcp.SeqNum.le;
import static io.tcpstack.tcp.SeqNum.lt;

/**
 * The sender's record of what it has in flight, one record per segment as it was sent, for a
 * connection that negotiated SACK: the SACK scoreboard of RFC 6675 §3 (which octets the peer holds,
 * which are lost, which were retransmitted — its {@code pipe} and {@code NextSeg()}), and the
 * transmission times RACK needs (RFC 8985 §6: a segment is lost once a segment sent after it was
 * delivered and a reordering window has passed).
 *
 * <p>Records are kept in sequence order in a ring (index 0 is the oldest unacknowledged), and those
 * still in flight and not yet found lost also in a second, doubly linked list in the order they were
 * last transmitted — RACK's "time-ordered list" (RFC 8985 §6.2), so that loss detection looks only
 * at the oldest few, never the whole queue: a record leaves that list when it is SACKed,
 * acknowledged or marked lost, and goes back at its tail when it is retransmitted.
 *
 * <p>Costs: sending, acknowledging and marking are O(1) per record; a SACK block is found by binary
 * search. No allocation except when the ring grows (doubling). Sequence numbers compare through
 * {@link SeqNum}. Stack thread only.
 */
final class Scoreboard {

  /** The peer holds it (RFC 2018): it counts no longer in the pipe. */
  static final int SACKED = 1;
  /** Lost (RFC 6675 IsLost, or RACK): it left the network. */
  static final int LOST = 2;
  /** Retransmitted since it was last found lost (or probed): the retransmission is in the pipe. */
  static final int RETRANSMITTED = 4;
  /** Ever sent more than once: its delivery says nothing certain about RTT (Karn, RFC 8985 §6.2 step 2). */
  static final int EVER_RETRANSMITTED = 8;
  /** The record is our FIN (one sequence number, no data). */
  static final int FIN = 16;

  private static final int NONE = -1;

  private int capacity;
  private int[] starts;
  private int[] ends;
  private int[] flags;
  private long[] sentNs;
  /**
   * The order of each record's latest transmission (a counter, not a time): RACK's "sent after"
   * (RFC 8985 §6.2). Transmit times alone cannot order what one turn of the loop sends, since the
   * loop reads its clock once per turn; the counter does.
   */
  private long[] order;
  private long nextOrder;
  /** The time-ordered list, by slot: previous and next record, or {@link #NONE}. */
  private int[] prev;
  private int[] next;
  private boolean[] linked;
  private int timeHead = NONE;
  private int timeTail = NONE;

  /** Slot of the oldest record. */
  private int head;
  private int count;

  /** Octets in records, SACKed, lost, and retransmitted-not-SACKed: the parts of RFC 6675's pipe. */
  private long outstandingBytes;
  private long sackedBytes;
  private long lostBytes;
  private long retransmittedBytes;
  /** Record index from which {@link #nextLost} looks (no lost record not yet retransmitted before it). */
  private int lostCursor;
  /** The highest SACKed sequence number's end (RFC 6675 HighACK's counterpart), valid if {@link #sackedBytes} > 0. */
  private int highestSacked;
  /** Segments (or their retransmissions) found lost so far, for the counters. */
  private long lossMarks;
  /** Retransmissions found lost so far (RFC 5681 §4.3: each is a further sign of congestion). */
  private long lostRetransmissions;

  Scoreboard(int initialCapacity) {
    int c = Integer.highestOneBit(Math.max(16, initialCapacity - 1)) << 1;
    allocate(c);
  }

  private void allocate(int c) {
    capacity = c;
    starts = new int[c];
    ends = new int[c];
    flags = new int[c];
    sentNs = new long[c];
    order = new long[c];
    prev = new int[c];
    next = new int[c];
    linked = new boolean[c];
  }

  // ---------------------------------------------------------------- queries

  int size() {
    return count;
  }

  boolean isEmpty() {
    return count == 0;
  }

  /** Slot of the record at index {@code i} (0 = the oldest). */
  private int slot(int i) {
    return (head + i) & (capacity - 1);
  }

  int start(int i) {
    return starts[slot(i)];
  }

  int end(int i) {
    return ends[slot(i)];
  }

  int flags(int i) {
    return flags[slot(i)];
  }

  long sentNs(int i) {
    return sentNs[slot(i)];
  }

  long sackedBytes() {
    return sackedBytes;
  }

  /** How many times a segment or a retransmission was found lost, over the connection's life. */
  long lossMarks() {
    return lossMarks;
  }

  /** How many retransmissions were found lost, over the connection's life. */
  long lostRetransmissions() {
    return lostRetransmissions;
  }

  long lostBytes() {
    return lostBytes;
  }

  boolean anySacked() {
    return sackedBytes > 0;
  }

  int highestSacked() {
    return highestSacked;
  }

  /**
   * RFC 6675 §4 SetPipe(): the octets the network holds — every outstanding octet neither SACKed
   * nor lost counts once, and once more if it was retransmitted (a lost one that was retransmitted
   * counts once: its retransmission is in flight).
   */
  int pipe() {
    long pipe = outstandingBytes - sackedBytes - lostBytes + retransmittedBytes;
    return (int) Math.max(0, Math.min(Integer.MAX_VALUE, pipe));
  }

  // ---------------------------------------------------------------- sending

  /**
   * A segment [start, end) was sent for the first time at {@code nowNs}; it follows the last
   * record. {@code fin} marks our FIN (end = start + 1).
   */
  void sent(int start, int end, boolean fin, long nowNs) {
    if (count > 0) {
      // Records stay contiguous whatever a caller missed: what overlaps the last is not recorded
      // twice, and a gap (sent by a path that did not record it) becomes a record of its own.
      int last = ends[slot(count - 1)];
      if (le(end, last)) {
        return;
      }
      if (lt(start, last)) {
        start = last;
      } else if (gt(start, last)) {
        append(last, start, false, nowNs);
      }
    }
    append(start, end, fin, nowNs);
  }

  private void append(int start, int end, boolean fin, long nowNs) {
    if (count == capacity) {
      grow();
    }
    int s = slot(count);
    starts[s] = start;
    ends[s] = end;
    flags[s] = fin ? FIN : 0;
    sentNs[s] = nowNs;
    order[s] = nextOrder++;
    linked[s] = false;
    count++;
    outstandingBytes += diff(end, start);
    linkTail(s);
  }

  /**
   * RFC 6675 §4 NextSeg() rule 1: the index of the first record that is lost and not retransmitted
   * since, or -1 if none.
   */
  int nextLost() {
    for (int i = lostCursor; i < count; i++) {
      int f = flags[slot(i)];
      if ((f & (LOST | RETRANSMITTED | SACKED)) == LOST) {
        lostCursor = i;
        return i;
      }
    }
    lostCursor = count;
    return NONE;
  }

  /** Record {@code i} was sent again at {@code nowNs} (a loss repaired, or a probe). */
  void retransmitted(int i, long nowNs) {
    int s = slot(i);
    if ((flags[s] & RETRANSMITTED) == 0) {
      retransmittedBytes += length(s);
    }
    flags[s] |= RETRANSMITTED | EVER_RETRANSMITTED;
    sentNs[s] = nowNs;
    order[s] = nextOrder++;
    unlink(s);
    linkTail(s); // RFC 8985 §6.2: the list is by the time of the latest transmission
  }

  /** The index of the last record, or -1 (a tail loss probe resends it, RFC 8985 §7.3). */
  int lastIndex() {
    return count - 1;
  }

  // ---------------------------------------------------------------- acknowledgment

  /** What {@link #acknowledge} and {@link #sack} report for each record the peer newly holds. */
  interface Delivered {
    void delivered(int start, int end, int flags, long sentNs, long order);
  }

  /**
   * The cumulative ACK reached {@code ack}: forget every record below it (a record the ACK cuts is
   * trimmed). Each record delivered by this ACK — not SACKed before — is reported.
   */
  void acknowledge(int ack, Delivered delivered) {
    while (count > 0) {
      int s = head;
      if (le(ends[s], ack)) {
        if ((flags[s] & SACKED) == 0) {
          delivered.delivered(starts[s], ends[s], flags[s], sentNs[s], order[s]);
        }
        forget(s, length(s));
        unlink(s);
        head = (head + 1) & (capacity - 1);
        count--;
        lostCursor = Math.max(0, lostCursor - 1);
      } else {
        if (gt(ack, starts[s])) {
          // Cut inside a record (the peer trimmed a segment to its window): the rest stays.
          int cut = diff(ack, starts[s]);
          forget(s, cut);
          starts[s] = ack;
        }
        break;
      }
    }
  }

  /** Subtracts {@code octets} of slot {@code s} from the byte counts its flags add it to. */
  private void forget(int s, int octets) {
    outstandingBytes -= octets;
    int f = flags[s];
    if ((f & SACKED) != 0) {
      sackedBytes -= octets;
    } else {
      if ((f & LOST) != 0) {
        lostBytes -= octets;
      }
      if ((f & RETRANSMITTED) != 0) {
        retransmittedBytes -= octets;
      }
    }
  }

  /**
   * A SACK block [left, right) (RFC 2018 §3), already checked to lie within SND.UNA..SND.MAX: marks
   * the records it wholly covers as SACKed and reports those newly SACKed. A record only partly
   * covered stays unSACKed (its data reaches the peer in whole segments anyway). Returns the octets
   * newly SACKed.
   */
  int sack(int left, int right, Delivered delivered) {
    int newly = 0;
    for (int i = firstEndingAfter(left); i < count; i++) {
      int s = slot(i);
      if (ge(starts[s], right)) {
        break;
      }
      if ((flags[s] & SACKED) != 0 || lt(starts[s], left) || gt(ends[s], right)) {
        continue;
      }
      int len = length(s);
      int f = flags[s];
      if ((f & LOST) != 0) {
        lostBytes -= len;
      }
      if ((f & RETRANSMITTED) != 0) {
        retransmittedBytes -= len;
      }
      flags[s] = (f | SACKED) & ~(LOST | RETRANSMITTED);
      sackedBytes += len;
      newly += len;
      unlink(s);
      if (sackedBytes == len || gt(ends[s], highestSacked)) {
        highestSacked = ends[s];
      }
      delivered.delivered(starts[s], ends[s], f, sentNs[s], order[s]);
    }
    return newly;
  }

  /** Whether the record [start, end) ... is SACKed already: for D-SACK's "inside a SACKed block" (RFC 2883 §4). */
  boolean isSacked(int left, int right) {
    int i = firstEndingAfter(left);
    if (i >= count) {
      return false;
    }
    int s = slot(i);
    return (flags[s] & SACKED) != 0 && le(starts[s], left) && ge(ends[s], right);
  }

  /** Binary search: the index of the first record whose end lies beyond {@code seq}. */
  private int firstEndingAfter(int seq) {
    int lo = 0;
    int hi = count;
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      if (le(ends[slot(mid)], seq)) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    return lo;
  }

  // ---------------------------------------------------------------- loss marking

  /** Marks record {@code i} lost (if it was retransmitted, that retransmission is the one lost). */
  void markLost(int i) {
    int s = slot(i);
    markLostSlot(s);
  }

  private void markLostSlot(int s) {
    int f = flags[s];
    if ((f & SACKED) != 0) {
      return;
    }
    int len = length(s);
    if ((f & LOST) == 0) {
      lostBytes += len;
      lossMarks++;
    }
    if ((f & RETRANSMITTED) != 0) {
      retransmittedBytes -= len;
      lossMarks++; // its retransmission is lost too
      lostRetransmissions++;
    }
    flags[s] = (f | LOST) & ~RETRANSMITTED;
    unlink(s);
    int i = (s - head) & (capacity - 1);
    if (i < lostCursor) {
      lostCursor = i;
    }
  }

  /**
   * RFC 6675 §4 IsLost(), applied to every record: one is lost when at least {@code dupThresh}
   * SACKed records lie above it (the RFC's discontiguous-blocks test, counted in segments as sent).
   * Only records below the {@code dupThresh}-th SACKed record from the top qualify; those are
   * marked. Returns how many were newly marked.
   */
  int markLostByDupThresh(int dupThresh) {
    if (sackedBytes == 0) {
      return 0;
    }
    int seen = 0;
    int i = count - 1;
    for (; i >= 0; i--) {
      if ((flags[slot(i)] & SACKED) != 0 && ++seen == dupThresh) {
        break;
      }
    }
    int marked = 0;
    for (int j = 0; j < i; j++) {
      int s = slot(j);
      if ((flags[s] & (SACKED | LOST)) == 0) {
        markLostSlot(s);
        marked++;
      }
    }
    return marked;
  }

  /**
   * RACK's detection (RFC 8985 §6.2 step 5): walks the time-ordered list from its oldest record and
   * marks lost each record sent before the most recently sent one delivered (transmission order
   * {@code rackOrder}) once {@code rtt + reorderWindow} has passed since it was sent. Returns the
   * time at which the first record not yet due would be lost (for the reordering timer), or {@link
   * Long#MAX_VALUE}; stops there, since every later record was sent later still.
   */
  long rackDetectLoss(long rackOrder, long rttNs, long reorderWindowNs, long nowNs) {
    int s = timeHead;
    while (s != NONE) {
      int after = next[s];
      if (order[s] >= rackOrder) {
        return Long.MAX_VALUE; // sent with or after the segment delivered: nothing to infer
      }
      long dueNs = sentNs[s] + rttNs + reorderWindowNs;
      if (dueNs - nowNs > 0) {
        return dueNs;
      }
      markLostSlot(s);
      s = after;
    }
    return Long.MAX_VALUE;
  }

  /**
   * The path MTU fell (RFC 1191): every record not SACKed and longer than {@code mss} was dropped by
   * a router, and is lost. Returns how many were marked.
   */
  int markLongerThan(int mss) {
    int marked = 0;
    for (int i = 0; i < count; i++) {
      int s = slot(i);
      if ((flags[s] & SACKED) == 0 && length(s) > mss) {
        markLostSlot(s);
        marked++;
      }
    }
    return marked;
  }

  /**
   * After a retransmission timeout (RFC 6675 §5.1, RFC 8985 §6.3): every record not SACKed is
   * lost, and nothing retransmitted is in flight any more. The SACK information is kept, but for
   * the record at the left edge, which is lost whatever it was (RFC 2018 §8).
   */
  void markAllLost() {
    if (count > 0 && (flags[head] & SACKED) != 0) {
      // RFC 2018 §8: the segment at the left edge is resent after a timeout even if it was SACKed
      // (the peer may have reneged: a SACK is not an acknowledgment).
      flags[head] &= ~SACKED;
      sackedBytes -= length(head);
    }
    for (int i = 0; i < count; i++) {
      int s = slot(i);
      if ((flags[s] & SACKED) == 0) {
        if ((flags[s] & LOST) == 0) {
          lostBytes += length(s);
        }
        flags[s] = (flags[s] | LOST) & ~RETRANSMITTED;
      }
    }
    retransmittedBytes = 0;
    timeHead = NONE;
    timeTail = NONE;
    java.util.Arrays.fill(linked, false);
    lostCursor = 0;
  }

  /**
   * The peer reneged (RFC 2018 §8: SACKed data is not acknowledged for good) or the connection
   * restarts: forget every SACK, keep the records.
   */
  void clearSacks() {
    for (int i = 0; i < count; i++) {
      int s = slot(i);
      if ((flags[s] & SACKED) != 0) {
        flags[s] &= ~SACKED;
      }
    }
    sackedBytes = 0;
  }

  /** Forgets everything (the connection ends). */
  void clear() {
    count = 0;
    head = 0;
    timeHead = NONE;
    timeTail = NONE;
    outstandingBytes = 0;
    sackedBytes = 0;
    lostBytes = 0;
    retransmittedBytes = 0;
    lostCursor = 0;
  }

  // ---------------------------------------------------------------- internals

  private int length(int s) {
    return diff(ends[s], starts[s]);
  }

  private void linkTail(int s) {
    prev[s] = timeTail;
    next[s] = NONE;
    if (timeTail == NONE) {
      timeHead = s;
    } else {
      next[timeTail] = s;
    }
    timeTail = s;
    linked[s] = true;
  }

  private void unlink(int s) {
    if (!linked[s]) {
      return;
    }
    int p = prev[s];
    int n = next[s];
    if (p == NONE) {
      timeHead = n;
    } else {
      next[p] = n;
    }
    if (n == NONE) {
      timeTail = p;
    } else {
      prev[n] = p;
    }
    linked[s] = false;
  }

  private void grow() {
    int oldCapacity = capacity;
    int[] oStarts = starts;
    int[] oEnds = ends;
    int[] oFlags = flags;
    long[] oSent = sentNs;
    long[] oOrder = order;
    int[] oPrev = prev;
    int[] oNext = next;
    boolean[] oLinked = linked;
    int oHead = head;
    allocate(oldCapacity * 2);
    for (int i = 0; i < count; i++) {
      int o = (oHead + i) & (oldCapacity - 1);
      starts[i] = oStarts[o];
      ends[i] = oEnds[o];
      flags[i] = oFlags[o];
      sentNs[i] = oSent[o];
      order[i] = oOrder[o];
      linked[i] = oLinked[o];
      prev[i] = oPrev[o] == NONE ? NONE : (oPrev[o] - oHead) & (oldCapacity - 1);
      next[i] = oNext[o] == NONE ? NONE : (oNext[o] - oHead) & (oldCapacity - 1);
    }
    if (timeHead != NONE) {
      timeHead = (timeHead - oHead) & (oldCapacity - 1);
      timeTail = (timeTail - oHead) & (oldCapacity - 1);
    }
    head = 0;
  }
}
