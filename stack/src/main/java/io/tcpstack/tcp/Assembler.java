package io.tcpstack.tcp;

/**
 * Which byte ranges beyond the next expected byte have arrived out of order (offsets relative to
 * RCV.NXT). Disjoint, sorted, merged on insert; at most {@link #MAX_RANGES} ranges — a segment that
 * would need more is refused, and the peer retransmits it (the memory bound of RFC 9293 §3.10.7.4's
 * "segments with higher beginning sequence numbers may be held"). No allocation. Stack thread only.
 */
final class Assembler {

  static final int MAX_RANGES = 32;

  private final int[] starts = new int[MAX_RANGES];
  private final int[] ends = new int[MAX_RANGES];
  private int count;

  boolean isEmpty() {
    return count == 0;
  }

  int rangeCount() {
    return count;
  }

  int start(int i) {
    return starts[i];
  }

  int end(int i) {
    return ends[i];
  }

  /** The index of the range holding offset {@code offset}, or -1. */
  int indexOf(int offset) {
    for (int i = 0; i < count; i++) {
      if (starts[i] <= offset && offset < ends[i]) {
        return i;
      }
      if (starts[i] > offset) {
        break;
      }
    }
    return -1;
  }

  /** Whether [start, end) has arrived already, all of it. */
  boolean covers(int start, int end) {
    int i = indexOf(start);
    return i >= 0 && end <= ends[i];
  }

  /** Whether {@link #add} would record [start, end) (it refuses when the ranges would run out). */
  boolean wouldAdd(int start, int end) {
    if (start >= end || count < MAX_RANGES) {
      return true;
    }
    for (int i = 0; i < count; i++) {
      if (starts[i] <= end && ends[i] >= start) {
        return true; // merges with an existing range
      }
    }
    return false;
  }

  /**
   * Records [start, end) as received. Returns false (and records nothing) if that would need more
   * than {@link #MAX_RANGES} ranges.
   */
  boolean add(int start, int end) {
    if (start >= end) {
      return true;
    }
    int i = 0;
    while (i < count && ends[i] < start) {
      i++;
    }
    int j = i;
    int newStart = start;
    int newEnd = end;
    while (j < count && starts[j] <= end) {
      newStart = Math.min(newStart, starts[j]);
      newEnd = Math.max(newEnd, ends[j]);
      j++;
    }
    int merged = j - i;
    if (merged == 0 && count == MAX_RANGES) {
      return false;
    }
    int shift = 1 - merged;
    if (shift != 0) {
      System.arraycopy(starts, j, starts, j + shift, count - j);
      System.arraycopy(ends, j, ends, j + shift, count - j);
    }
    starts[i] = newStart;
    ends[i] = newEnd;
    count += shift;
    return true;
  }

  /**
   * The in-order data advanced by {@code n} bytes: removes and returns how many contiguous bytes
   * beyond those {@code n} are now ready (a range starting at or before offset {@code n}), and
   * rebases every offset.
   */
  int advance(int n) {
    int ready = 0;
    int removed = 0;
    for (int i = 0; i < count; i++) {
      if (starts[i] <= n + ready) {
        ready = Math.max(ready, ends[i] - n);
        removed++;
      } else {
        break;
      }
    }
    int base = n + ready;
    int k = 0;
    for (int i = removed; i < count; i++, k++) {
      starts[k] = starts[i] - base;
      ends[k] = ends[i] - base;
    }
    count = k;
    return ready;
  }

  void clear() {
    count = 0;
  }
}
