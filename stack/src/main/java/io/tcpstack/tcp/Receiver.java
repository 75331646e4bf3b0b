package io.tcpstack.tcp;

import static io.tcpstack.tcp.SeqNum.add;
import static io.tcpstack.tcp.SeqNum.diff;
import static io.tcpstack.tcp.SeqNum.gt;
import static io.tcpstack.tcp.SeqNum.inWindow;
import static io.tcpstack.tcp.SeqNum.le;

import io.netty.buffer.ByteBuf;
import io.tcpstack.stats.StackCounter;

/**
 * The receive side of a connection (RFC 9293 §3.3.1 RCV.*): the receive buffer and its
 * out-of-order ranges, the window we advertise (with receiver-side silly-window avoidance), and the
 * decision when an ACK is owed — at once or delayed (RFC 5681 §4.2). Stack thread only.
 *
 * <p>Invariants: the buffer holds the in-order bytes the application has not read, followed by
 * space into which out-of-order bytes are placed at their offset from {@code rcvNxt} (their ranges
 * are in {@code outOfOrder}); {@code advertisedEdge} (RCV.NXT + RCV.WND as last sent) never moves
 * left.
 */
final class Receiver {

  /** RFC 9293 §3.8.6.2.1 / 3.7.1: without window scaling the window field tops out at 65535. */
  static final int MAX_UNSCALED_WINDOW = 0xFFFF;

  /**
   * RFC 7323 §2.3 Rcv.Wind.Shift: our window fields are the window shifted right by this (0: no
   * scaling, the window at most 65535).
   */
  int rcvShift;

  private final TcpConnection conn;
  final SegmentedBuffer buffer;
  private final Assembler outOfOrder = new Assembler();

  int irs;
  /** RCV.NXT: the next sequence number expected. */
  int rcvNxt;
  /** RCV.UP (RFC 9293 §3.3.1), valid once {@link #urgentSeen}: the octet after the peer's urgent data. */
  private int rcvUp;
  private boolean urgentSeen;
  boolean finReceived;
  /** The peer's FIN arrived ahead of missing data; handled once rcvNxt reaches it. */
  boolean pendingFin;
  int pendingFinSeq;
  /** RCV.NXT + RCV.WND as last advertised: the right edge we offered, which never moves left. */
  int advertisedEdge;
  /** An ACK is owed now. */
  boolean ackNeeded;
  /** The ACK owed may not wait for the end of a batch of segments (see {@link TcpLayer#batching()}). */
  boolean ackUrgent;
  /** In-order bytes received since our last ACK: every second full-sized segment is acknowledged. */
  private int unackedBytes;
  /** The largest segment the peer sent so far (its effective MSS as far as we can tell). */
  int peerMss = TcpOptions.DEFAULT_MSS;

  /**
   * Quick ACKs (Linux's quickack mode): after data arrived out of order, the next this many in-order
   * segments are acknowledged at once, each, not delayed nor held for the end of a batch — the
   * sender is recovering, and its clock (and RTT) is our ACKs.
   */
  static final int QUICK_ACKS_AFTER_A_HOLE = 16;
  private int quickAcks;

  /** SACK was negotiated (RFC 2018 §2): our ACKs carry SACK blocks while data is out of order. */
  boolean sackEnabled;
  /**
   * A sequence number inside each of the blocks most recently changed, the most recent first: the
   * order in which RFC 2018 §4 wants blocks reported (the first holds the latest segment).
   */
  private final int[] recentBlocks = new int[TcpOptions.MAX_SACK_BLOCKS];
  private int recentCount;
  /** RFC 2883 §4: a duplicate segment to report in the next ACK's first block (D-SACK). */
  private boolean dsackPending;
  private int dsackLeft;
  private int dsackRight;

  Receiver(TcpConnection conn, SegmentedBuffer buffer) {
    this.conn = conn;
    this.buffer = buffer;
  }

  /** The peer's SYN (its ISN) arrived. */
  void synchronize(int peerIsn) {
    irs = peerIsn;
    rcvNxt = add(peerIsn, 1);
    advertisedEdge = rcvNxt; // nothing offered yet
  }

  /**
   * RFC 9293 §3.10.7.4 first check, the four cases. RCV.WND here is the room we have, which is
   * never less than what we offered (the window does not shrink).
   */
  boolean acceptable(int seq, int segLen) {
    int window = Math.max(roomWindow(), offeredWindow());
    if (segLen == 0) {
      // RFC 9293 §3.10.7.4 says RCV.NXT =< SEG.SEQ < RCV.NXT+RCV.WND. We also accept SEG.SEQ at the
      // right edge itself, as Linux does: a peer that has filled our window sends its pure ACKs with
      // SEQ=SND.NXT=RCV.NXT+RCV.WND, and dropping them deadlocks two senders that each filled the
      // other's window (found by TcpSimulationTest). With a zero window this is SEG.SEQ = RCV.NXT.
      return le(rcvNxt, seq) && le(seq, add(rcvNxt, window));
    }
    return window != 0 && (inWindow(seq, rcvNxt, window) || inWindow(add(seq, segLen - 1), rcvNxt, window));
  }

  /**
   * Segment text (RFC 9293 §3.10.7.4 seventh step): in-order bytes go to the buffer; bytes beyond a
   * gap are placed and remembered. Returns true when in-order data was delivered.
   */
  boolean receiveText(int seq, ByteBuf buf, int index, int length, long nowNs) {
    int offset = diff(seq, rcvNxt);
    if (offset < 0) { // starts before RCV.NXT: trim what we already have
      if (sackEnabled && length > 0) {
        duplicate(seq, offset + length < 0 ? add(seq, length) : rcvNxt); // RFC 2883 §4: D-SACK it
      }
      index -= offset;
      length += offset;
      offset = 0;
    }
    int room = buffer.free();
    if (length <= 0 || offset >= room) {
      ackNow();
      return false;
    }
    length = Math.min(length, room - offset); // trim to the window
    // A super-segment from the link counts as full-sized segments: at most our MSS less the options
    // every segment carries (1448 with timestamps), so that two of them are acknowledged at once.
    peerMss = Math.max(peerMss, Math.min(length, conn.receiveMss()));
    if (offset == 0) {
      boolean gap = !outOfOrder.isEmpty();
      if (!buffer.append(buf, index, length)) {
        // The stack's buffer memory is exhausted: drop it as if the window were closed; the peer
        // retransmits, and our window shrinks until memory is back.
        conn.layer.counters().increment(StackCounter.TCP_RCV_MEMORY_DROPS);
        ackNow();
        return false;
      }
      int ready = outOfOrder.advance(length);
      buffer.commit(ready);
      rcvNxt = add(rcvNxt, length + ready);
      conn.countIn(length + ready);
      ackInOrderData(length + ready, gap, nowNs);
      return true;
    }
    // RFC 5681 §4.2: out-of-order data is acknowledged at once (a duplicate ACK).
    if (sackEnabled && outOfOrder.covers(offset, offset + length)) {
      duplicate(add(rcvNxt, offset), add(rcvNxt, offset + length)); // RFC 2883 §4
    } else if (outOfOrder.wouldAdd(offset, offset + length)) {
      if (buffer.writeAt(buffer.length() + offset, buf, index, length)) {
        outOfOrder.add(offset, offset + length);
        conn.layer.counters().increment(StackCounter.TCP_OUT_OF_ORDER);
        if (sackEnabled) {
          recentBlock(add(rcvNxt, offset));
        }
      } else {
        conn.layer.counters().increment(StackCounter.TCP_RCV_MEMORY_DROPS);
      }
    } else {
      conn.layer.counters().increment(StackCounter.TCP_OUT_OF_ORDER_QUEUE_FULL);
    }
    ackNow();
    return false;
  }

  /**
   * An ACK that must not wait even for the end of a batch of segments: a duplicate ACK for data out
   * of order or out of the window, so that the sender counts one per segment (RFC 5681 §4.2, §3.2).
   */
  private void ackNow() {
    ackNeeded = true;
    ackUrgent = true;
  }

  /**
   * RFC 5681 §4.2 and RFC 1122 §4.2.3.2: in-order data may wait up to the delayed-ACK time, but
   * every second full-sized segment is acknowledged at once, and so is data that fills (part of) a
   * gap, so the sender's fast recovery learns of it.
   */
  private void ackInOrderData(int bytes, boolean filledGap, long nowNs) {
    unackedBytes += bytes;
    if (filledGap) {
      quickAcks = QUICK_ACKS_AFTER_A_HOLE;
      ackNow();
    } else if (quickAcks > 0) {
      quickAcks--;
      ackNow();
    } else if (conn.config.delayedAckNs == 0 || unackedBytes >= 2 * peerMss) {
      ackNeeded = true;
    } else {
      conn.timers.setIfIdle(TcpTimers.DELAYED_ACK, nowNs + conn.config.delayedAckNs);
    }
  }

  /** The peer's FIN is in order now: RCV.NXT covers it. */
  void acceptFin() {
    finReceived = true;
    pendingFin = false;
    rcvNxt = add(rcvNxt, 1);
    ackNow();
  }

  /**
   * A segment of {@code length} octets at {@code seq} was not acceptable (RFC 9293 §3.10.7.4): if it
   * lies wholly below RCV.NXT it is a duplicate, which the ACK it draws reports (RFC 2883 §4).
   */
  void unacceptable(int seq, int length) {
    if (sackEnabled && length > 0 && le(add(seq, length), rcvNxt)) {
      duplicate(seq, add(seq, length));
    }
  }

  /** RFC 2883 §4: [left, right) arrived again; the next ACK reports it first. */
  private void duplicate(int left, int right) {
    dsackPending = true;
    dsackLeft = left;
    dsackRight = right;
    conn.layer.counters().increment(StackCounter.TCP_DSACKS_OUT);
  }

  /** The block holding {@code seq} changed: it goes first in the next ACK (RFC 2018 §4). */
  private void recentBlock(int seq) {
    int n = Math.min(recentCount, recentBlocks.length - 1);
    System.arraycopy(recentBlocks, 0, recentBlocks, 1, n);
    recentBlocks[0] = seq;
    recentCount = n + 1;
  }

  /**
   * The SACK blocks for the ACK about to leave (RFC 2018 §4), into {@code left}/{@code right}, at
   * most {@code max}; returns how many. A pending D-SACK goes first (RFC 2883 §4); then the block
   * with the most recently received segment, then the other recently changed blocks, then the rest
   * from the lowest — so a block reported once is repeated in the next ACKs while room allows.
   */
  int sackBlocks(int[] left, int[] right, int max) {
    if (!sackEnabled) {
      return 0;
    }
    int n = 0;
    if (dsackPending && max > 0) {
      left[0] = dsackLeft;
      right[0] = dsackRight;
      n = 1;
    }
    for (int r = 0; r < recentCount && n < max; r++) {
      int offset = diff(recentBlocks[r], rcvNxt);
      int i = offset < 0 ? -1 : outOfOrder.indexOf(offset);
      if (i >= 0) {
        n = addBlock(left, right, n, i);
      }
    }
    for (int i = 0; i < outOfOrder.rangeCount() && n < max; i++) {
      n = addBlock(left, right, n, i);
    }
    return n;
  }

  private int addBlock(int[] left, int[] right, int n, int range) {
    int l = add(rcvNxt, outOfOrder.start(range));
    int r = add(rcvNxt, outOfOrder.end(range));
    for (int k = dsackPending ? 1 : 0; k < n; k++) {
      if (left[k] == l) {
        return n;
      }
    }
    left[n] = l;
    right[n] = r;
    return n + 1;
  }

  /** How many SACK blocks the next ACK would carry if room allowed: a D-SACK and each out-of-order range. */
  int sackBlocksPending() {
    return sackEnabled ? (dsackPending ? 1 : 0) + outOfOrder.rangeCount() : 0;
  }

  /** An ACK left (any segment with ACK set carries RCV.NXT): nothing is owed any more. */
  void ackSent() {
    dsackPending = false;
    ackNeeded = false;
    ackUrgent = false;
    unackedBytes = 0;
    conn.timers.cancel(TcpTimers.DELAYED_ACK);
  }

  /**
   * Moves up to {@code max} received bytes into {@code dst} (RFC 9293 §3.10.3). Returns how many.
   * Sets {@link #ackNeeded} when the window grew enough to announce at once.
   */
  int read(ByteBuf dst, int max) {
    int n = Math.min(Math.min(max, dst.writableBytes()), buffer.length());
    if (n == 0) {
      return 0;
    }
    buffer.copyTo(0, dst, n);
    buffer.consume(n);
    if (!finReceived) {
      // RFC 9293 §3.8.6.2.2: the right edge moves only in steps of min(half the buffer, one MSS).
      // Once what is left of our last offer falls below half the largest window, announce each such
      // step at once, not with the next (possibly delayed) ACK: the sender may be waiting for it.
      int offered = offeredWindow();
      if (window() > offered && offered < maxWindow() / 2) {
        ackNeeded = true;
      }
    }
    return n;
  }

  // ---------------------------------------------------------------- window

  /** The largest window we can ever offer: the buffer, capped by what the window field can say. */
  int maxWindow() {
    return Math.min(buffer.capacity(), maxFieldWindow());
  }

  /** 65535, scaled (RFC 7323 §2.3). */
  private int maxFieldWindow() {
    return MAX_UNSCALED_WINDOW << rcvShift;
  }

  /**
   * Free receive space, capped by the unscaled window field and by what the stack's buffer memory
   * can still hold (so a stack short of memory offers less, rather than accepting data it drops).
   */
  int roomWindow() {
    return (int) Math.min(Math.min(buffer.free(), maxFieldWindow()), conn.layer.pool().available());
  }

  /** What is left of the window we last offered: the offered right edge minus RCV.NXT. */
  int offeredWindow() {
    return Math.max(0, Math.min(diff(advertisedEdge, rcvNxt), maxFieldWindow()));
  }

  /**
   * The window to offer now, with receiver-side silly-window avoidance (RFC 9293 §3.8.6.2.2): the
   * right edge moves only when it can move by at least min(half the buffer, one MSS); it never
   * moves left.
   */
  int window() {
    int offered = offeredWindow();
    int step = Math.min(buffer.capacity() / 2, peerMss);
    long free = Math.min(buffer.free(), conn.layer.pool().available());
    // RFC 9293 §3.8.6.2.2: RCV.BUFF - RCV.USER - RCV.WND >= min(Fr * RCV.BUFF, Eff.snd.MSS), Fr = 1/2.
    return free - offered >= step ? roomWindow() : offered;
  }

  /**
   * The window field for a segment about to leave, and remembers the right edge it offers. A SYN's
   * window is never scaled (RFC 7323 §2.2); otherwise the window is shifted right by {@link
   * #rcvShift}, rounded down — or up when the window is the one already offered and the buffer has
   * the room, so that the granularity does not move the right edge to the left (RFC 7323 §2.4); a
   * full buffer never offers more than it can hold.
   */
  int takeWindow(boolean syn) {
    int window = window();
    if (syn) {
      window = Math.min(window, MAX_UNSCALED_WINDOW);
      advertisedEdge = add(rcvNxt, window);
      return window;
    }
    int field;
    field = window >>> rcvShift;
    if ((field << rcvShift) < window && window == offeredWindow() && field < MAX_UNSCALED_WINDOW
        && (field + 1) << rcvShift <= roomWindow()) {
      field++;
    }
    advertisedEdge = add(rcvNxt, field << rcvShift);
    return field;
  }

  /** The application can read {@code n} bytes now. */
  int readable() {
    return buffer.length();
  }

  /** The sequence number of the next octet the application reads. */
  private int readSeq() {
    return add(rcvNxt, -(buffer.length() + (finReceived ? 1 : 0)));
  }

  /**
   * RFC 9293 §3.10.7.4 sixth step: a segment with URG at {@code seq} and Urgent Pointer {@code
   * pointer}: RCV.UP becomes max(RCV.UP, SEG.SEQ + SEG.UP). Returns whether the application is to be
   * told (MUST-32): the pointer is new or moved on, and urgent data is left to read.
   */
  boolean urgent(int seq, int pointer) {
    int up = add(seq, pointer);
    if (urgentSeen && !gt(up, rcvUp)) {
      return false;
    }
    rcvUp = up;
    urgentSeen = true;
    return urgentRemaining() > 0;
  }

  /** Octets of urgent data not yet read by the application (RFC 9293 §3.8.5, MUST-33); 0 when none. */
  int urgentRemaining() {
    int read = readSeq();
    return urgentSeen && gt(rcvUp, read) ? diff(rcvUp, read) : 0;
  }
}
