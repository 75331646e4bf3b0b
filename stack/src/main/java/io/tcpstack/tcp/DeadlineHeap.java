package io.tcpstack.tcp;

import java.util.Arrays;

/**
 * The TCP layer's timer queue: an indexed binary min-heap of entries ordered by a deadline in
 * nanoseconds.
 *
 * <p><b>Why a heap.</b> The layer needs two things of its timers: the next deadline, to know how
 * long the stack loop may sleep, and the entries that are due when it wakes. A heap answers the
 * first in O(1) ({@link #peekDeadline}) and hands out each due entry in O(log n) ({@link
 * #pollDue}), so idle connections cost nothing per wake-up, where scanning every connection costs
 * O(n) each time. Connections re-arm often (most ACKs move the retransmission timer), so a re-arm
 * must be cheap too: each entry carries its own slot in the heap ({@link Entry#heapIndex}), which
 * lets {@link #schedule} move it and {@link #cancel} remove it in O(log n) without searching.
 *
 * <p><b>What it guarantees.</b>
 *
 * <ul>
 *   <li>{@link #pollDue} returns the due entries earliest deadline first. Entries with equal
 *       deadlines come out in an unspecified order, but the same sequence of operations always
 *       gives the same order: there is no randomness and no identity hashing.
 *   <li>An entry is in at most one slot: scheduling a scheduled entry moves it. {@link
 *       Entry#isScheduled()} is true exactly while it is in the heap; removal ({@link #cancel},
 *       {@link #pollDue}, scheduling at {@link #NEVER}) sets its {@link Entry#heapIndex} back to
 *       -1.
 *   <li>No allocation and no boxing, except when the backing array grows (it doubles, from 16
 *       slots); it never shrinks.
 * </ul>
 *
 * <p><b>Deadlines.</b> They are {@link System#nanoTime()}-style values, which may have any origin
 * and may wrap past {@link Long#MAX_VALUE}. They are compared only by subtraction ({@code a - b <
 * 0} means {@code a} is earlier), as {@link SeqNum} does for sequence numbers, so the order is
 * right across the wrap as long as all scheduled deadlines and the {@code nowNs} given to {@link
 * #pollDue} lie within 2^63 - 1 ns (about 292 years) of each other. {@link #NEVER} is not a time:
 * scheduling at it cancels, so it is never in the heap, and {@link #peekDeadline} returns it only
 * when the heap is empty. A consequence: on a clock that reaches {@link Long#MAX_VALUE}, a deadline
 * landing exactly on it is read as "never"; a caller for whom that matters moves it by a
 * nanosecond.
 *
 * <p>Not thread-safe: one heap belongs to the stack thread. An entry belongs to at most one heap at
 * a time; {@link #schedule} and {@link #cancel} check that it is not in another one.
 *
 * @param <T> the entries' type, such as {@link TcpConnection}
 */
public final class DeadlineHeap<T extends DeadlineHeap.Entry> {

  /**
   * What a heap entry carries: its slot in the heap and its deadline. Both belong to the heap; the
   * entry's class reads them but does not write them.
   */
  public abstract static class Entry {

    /** The entry's slot in the heap's array, or -1 when it is not scheduled. */
    int heapIndex = -1;

    /** The deadline the entry is scheduled at; meaningless while it is not scheduled. */
    long heapDeadlineNs;

    /** Whether the entry is in a heap, waiting for its deadline. */
    public final boolean isScheduled() {
      return heapIndex >= 0;
    }
  }

  /** The deadline that never comes: scheduling at it cancels, and an empty heap's next deadline. */
  public static final long NEVER = Long.MAX_VALUE;

  private static final int INITIAL_CAPACITY = 16;

  /** Slots 0 to size - 1 hold the entries; the parent of slot i is slot (i - 1) / 2. */
  private Entry[] heap = new Entry[INITIAL_CAPACITY];

  private int size;

  /**
   * Schedules {@code e} at {@code deadlineNs}, or moves it there if it is already scheduled. O(log
   * n).
   *
   * @param deadlineNs a time on the caller's clock; {@link #NEVER} cancels instead
   * @throws IllegalStateException if {@code e} is scheduled in another heap
   */
  public void schedule(T e, long deadlineNs) {
    if (deadlineNs == NEVER) {
      cancel(e);
      return;
    }
    int i = e.heapIndex;
    if (i < 0) {
      if (size == heap.length) {
        heap = Arrays.copyOf(heap, heap.length * 2);
      }
      e.heapDeadlineNs = deadlineNs;
      siftUp(size++, e);
      return;
    }
    checkOwned(e, i);
    long old = e.heapDeadlineNs;
    e.heapDeadlineNs = deadlineNs;
    if (deadlineNs - old < 0) {
      siftUp(i, e);
    } else {
      siftDown(i, e);
    }
  }

  /**
   * Removes {@code e} if it is scheduled; does nothing otherwise. O(log n).
   *
   * @throws IllegalStateException if {@code e} is scheduled in another heap
   */
  public void cancel(T e) {
    int i = e.heapIndex;
    if (i < 0) {
      return;
    }
    checkOwned(e, i);
    removeAt(i);
  }

  /** The earliest deadline, or {@link #NEVER} when the heap is empty. O(1). */
  public long peekDeadline() {
    return size == 0 ? NEVER : heap[0].heapDeadlineNs;
  }

  /**
   * Removes and returns the entry with the earliest deadline if that deadline is due at {@code
   * nowNs} ({@code deadline - nowNs <= 0}); otherwise returns null and changes nothing. Call it
   * until it returns null to take every due entry, earliest first. O(log n).
   */
  @SuppressWarnings("unchecked")
  public T pollDue(long nowNs) {
    if (size == 0) {
      return null;
    }
    Entry head = heap[0];
    if (head.heapDeadlineNs - nowNs > 0) {
      return null;
    }
    removeAt(0);
    return (T) head;
  }

  /** How many entries are scheduled. */
  public int size() {
    return size;
  }

  /** Whether no entry is scheduled. */
  public boolean isEmpty() {
    return size == 0;
  }

  /** The heap's state, for logs and test failures: the size and the next deadline. */
  @Override
  public String toString() {
    return "DeadlineHeap{"
        + size
        + " scheduled"
        + (size == 0 ? "" : ", next at " + heap[0].heapDeadlineNs + " ns")
        + "}";
  }

  private void checkOwned(Entry e, int i) {
    if (i >= size || heap[i] != e) {
      throw new IllegalStateException(
          "entry claims slot " + i + " but is not in this heap (scheduled in another one?)");
    }
  }

  /** Takes the entry in slot {@code i} out and fills the hole with the last entry. */
  private void removeAt(int i) {
    Entry removed = heap[i];
    int last = --size;
    Entry moved = heap[last];
    heap[last] = null;
    removed.heapIndex = -1;
    if (i == last) {
      return;
    }
    // The last entry may belong above the hole (it came from another subtree) or below it.
    if (i > 0 && moved.heapDeadlineNs - heap[(i - 1) / 2].heapDeadlineNs < 0) {
      siftUp(i, moved);
    } else {
      siftDown(i, moved);
    }
  }

  /** Puts {@code e} into the hole at slot {@code i}, moving the hole up past later parents. */
  private void siftUp(int i, Entry e) {
    long d = e.heapDeadlineNs;
    while (i > 0) {
      int parent = (i - 1) / 2;
      Entry p = heap[parent];
      if (d - p.heapDeadlineNs >= 0) {
        break;
      }
      heap[i] = p;
      p.heapIndex = i;
      i = parent;
    }
    heap[i] = e;
    e.heapIndex = i;
  }

  /** Puts {@code e} into the hole at slot {@code i}, moving the hole down past earlier children. */
  private void siftDown(int i, Entry e) {
    long d = e.heapDeadlineNs;
    int half = size / 2; // slots below this have at least one child
    while (i < half) {
      int child = 2 * i + 1;
      Entry c = heap[child];
      int right = child + 1;
      if (right < size && heap[right].heapDeadlineNs - c.heapDeadlineNs < 0) {
        child = right;
        c = heap[child];
      }
      if (c.heapDeadlineNs - d >= 0) {
        break;
      }
      heap[i] = c;
      c.heapIndex = i;
      i = child;
    }
    heap[i] = e;
    e.heapIndex = i;
  }
}
