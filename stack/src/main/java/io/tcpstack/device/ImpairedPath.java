package io.tcpstack.device;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.tcpstack.stats.CounterSet;
import java.util.ArrayDeque;
import java.util.PriorityQueue;
import java.util.SplittableRandom;

/**
 * One direction of an impaired link: decides each packet's fate as its {@link Impairment} says and
 * holds the packets that leave later. The one implementation of the impairment semantics, shared by
 * {@link FaultInjector} and {@link SimulatedNetwork}.
 *
 * <p>Time is passed in; nothing here reads a clock. {@link #offer} takes a packet at {@code nowNs};
 * {@link #poll} hands over, in order, the held packets due at {@code nowNs}; {@link
 * #nextReleaseNs()} says when the next one is due. Held packets are copies in buffers from the
 * allocator; whoever polls one releases it, and {@link #close()} releases the rest. Not
 * thread-safe.
 *
 * <p>Held packets live in three places: {@code scheduled}, a priority queue by (release time,
 * arrival order); {@code heldBack}, the reordered packets waiting for a later one to overtake them,
 * in arrival order with non-decreasing deadlines; {@code ready}, packets released by an overtaking
 * packet and handed over right after it.
 */
final class ImpairedPath implements AutoCloseable {

  private final Impairment impairment;
  private final SplittableRandom random;
  private final ByteBufAllocator allocator;
  private final int maxHeld;
  private final CounterSet<ImpairmentCounter> counters = new CounterSet<>(ImpairmentCounter.class);

  private final PriorityQueue<Held> scheduled = new PriorityQueue<>(ImpairedPath::compare);
  private final ArrayDeque<Held> heldBack = new ArrayDeque<>();
  private final ArrayDeque<Held> ready = new ArrayDeque<>();
  /** Spent {@link Held} records, reused so that holding a packet allocates only its buffer. */
  private final ArrayDeque<Held> spare = new ArrayDeque<>();
  private int held;
  /** Arrival order of every packet that got past loss; ties in release time go by it. */
  private long nextSeq;
  private long lastHoldDeadlineNs;

  /** Departure times of the packets in the rate limiter (queued or on the wire), oldest first. */
  private long[] departures = new long[16];
  private int departuresHead;
  private int departuresSize;
  /** The fraction of a nanosecond carried between transmission times, so rounding never drifts. */
  private long rateRemainder;
  /** Set by {@link #place} when the packet forwarded now must get a bit flipped, after copies are made. */
  private long pendingFlipBit = -1;

  /**
   * @param stream which of the impairment's random streams this direction uses (0, 1, ...): two
   *     directions of one link take different streams
   * @param maxHeld packets held at most; more are dropped and counted as {@link
   *     ImpairmentCounter#OVERFLOW_DROPPED}
   */
  ImpairedPath(Impairment impairment, int stream, ByteBufAllocator allocator, int maxHeld) {
    if (maxHeld < 1) {
      throw new IllegalArgumentException("maxHeld must be at least 1, got " + maxHeld);
    }
    this.impairment = impairment;
    this.random = impairment.random(stream);
    this.allocator = allocator;
    this.maxHeld = maxHeld;
  }

  Impairment impairment() {
    return impairment;
  }

  CounterSet<ImpairmentCounter> counters() {
    return counters;
  }

  /** Packets held now. */
  int held() {
    return held;
  }

  /**
   * Decides the fate of the {@code length} bytes at {@code index} of {@code packet}, arriving at
   * {@code nowNs}. The caller keeps the buffer; this copies what it holds.
   *
   * @param mayForward whether the caller can send the packet on at once; if not, even a packet due
   *     now is copied and held, to be {@link #poll}ed
   * @param mayModify whether a packet forwarded at once may be corrupted in place; if not, a
   *     corrupted packet is held as a corrupted copy
   * @return whether the caller must send the packet on now (after which it should {@link #poll}:
   *     a duplicate, or packets it overtook, may be due)
   */
  boolean offer(ByteBuf packet, int index, int length, long nowNs, boolean mayForward, boolean mayModify) {
    counters.increment(ImpairmentCounter.PACKETS_IN);
    if (hit(impairment.loss())) {
      counters.increment(ImpairmentCounter.DROPPED);
      return false;
    }
    boolean duplicate = hit(impairment.duplicate());
    pendingFlipBit = -1;
    boolean forward = place(packet, index, length, nowNs, mayForward, mayModify);
    if (duplicate) {
      counters.increment(ImpairmentCounter.DUPLICATED);
      place(packet, index, length, nowNs, false, false); // copies the bytes before the flip below
    }
    if (forward && pendingFlipBit >= 0) {
      flip(packet, index, pendingFlipBit);
    }
    return forward;
  }

  /** One copy of a packet through corruption, rate, delay and reordering; true if it goes now. */
  private boolean place(ByteBuf packet, int index, int length, long nowNs, boolean mayForward, boolean mayModify) {
    long departureNs = nowNs;
    if (impairment.rateBitsPerSecond() > 0) {
      forgetDeparted(nowNs);
      if (departuresSize >= impairment.limit()) {
        counters.increment(ImpairmentCounter.RATE_DROPPED);
        return false;
      }
      departureNs = departure(nowNs, length, false);
    }
    long flipBit = length > 0 && hit(impairment.corrupt()) ? random.nextLong(8L * length) : -1;
    long delayNs = impairment.delayNs();
    long jitterNs = impairment.jitterNs();
    if (jitterNs > 0) {
      delayNs = Math.max(0, delayNs + random.nextLong(-jitterNs, jitterNs + 1));
    }
    boolean reorder = hit(impairment.reorder());
    long dueNs = departureNs + delayNs;

    boolean now = !reorder && mayForward && dueNs - nowNs <= 0 && (flipBit < 0 || mayModify);
    if (!now && held >= maxHeld) {
      counters.increment(ImpairmentCounter.OVERFLOW_DROPPED);
      return false;
    }
    if (impairment.rateBitsPerSecond() > 0) {
      departure(nowNs, length, true);
    }
    if (flipBit >= 0) {
      counters.increment(ImpairmentCounter.CORRUPTED);
    }
    if (delayNs > 0) {
      counters.increment(ImpairmentCounter.DELAYED);
    }
    long seq = nextSeq++;
    if (now) {
      pendingFlipBit = flipBit;
      counters.increment(ImpairmentCounter.PACKETS_OUT);
      overtake(seq, nowNs);
      return true;
    }
    Held h = hold(packet, index, length, seq);
    if (flipBit >= 0) {
      flip(h.buffer, 0, flipBit);
    }
    if (reorder) {
      counters.increment(ImpairmentCounter.REORDERED);
      h.dueNs = dueNs;
      // Deadlines never decrease, so the head of heldBack is always the first to time out.
      long deadlineNs = dueNs + Impairment.REORDER_HOLD_NS;
      if (!heldBack.isEmpty() && deadlineNs - lastHoldDeadlineNs < 0) {
        deadlineNs = lastHoldDeadlineNs;
      }
      lastHoldDeadlineNs = deadlineNs;
      h.releaseNs = deadlineNs;
      heldBack.addLast(h);
    } else {
      h.releaseNs = dueNs;
      scheduled.add(h);
    }
    return false;
  }

  /**
   * The next held packet due at {@code nowNs}, or null. The caller owns the buffer (its readable
   * bytes are the packet) and must release it.
   */
  ByteBuf poll(long nowNs) {
    Held h = ready.pollFirst();
    if (h == null) {
      Held s = scheduled.peek();
      Held b = heldBack.peekFirst();
      boolean scheduledDue = s != null && s.releaseNs - nowNs <= 0;
      boolean heldBackDue = b != null && b.releaseNs - nowNs <= 0;
      if (scheduledDue && (!heldBackDue || s.releaseNs - b.releaseNs <= 0)) {
        h = scheduled.poll();
        overtake(h.seq, h.releaseNs);
      } else if (heldBackDue) {
        h = heldBack.pollFirst(); // waited long enough for a successor
      } else {
        return null;
      }
    }
    held--;
    counters.increment(ImpairmentCounter.PACKETS_OUT);
    ByteBuf buffer = h.buffer;
    h.buffer = null;
    spare.addLast(h);
    return buffer;
  }

  /**
   * When the next held packet is due: a time at or before now if one is due already, {@link
   * Long#MAX_VALUE} if none is held.
   */
  long nextReleaseNs() {
    Held r = ready.peekFirst();
    if (r != null) {
      return r.releaseNs;
    }
    Held s = scheduled.peek();
    Held b = heldBack.peekFirst();
    if (s == null) {
      return b == null ? Long.MAX_VALUE : b.releaseNs;
    }
    return b == null || s.releaseNs - b.releaseNs <= 0 ? s.releaseNs : b.releaseNs;
  }

  /** Whether a held packet is due at {@code nowNs}. */
  boolean hasDue(long nowNs) {
    return held > 0 && nextReleaseNs() - nowNs <= 0;
  }

  /** Releases every held packet. Idempotent; the path holds nothing afterwards. */
  @Override
  public void close() {
    releaseAll(ready);
    releaseAll(heldBack);
    Held h;
    while ((h = scheduled.poll()) != null) {
      h.buffer.release();
      h.buffer = null;
    }
    held = 0;
  }

  private static void releaseAll(ArrayDeque<Held> queue) {
    Held h;
    while ((h = queue.pollFirst()) != null) {
      h.buffer.release();
      h.buffer = null;
    }
  }

  /**
   * Packet {@code seq} leaves at {@code atNs}: the reordered packets that arrived before it have now
   * been overtaken. Those already due follow it at once; the others go when due.
   */
  private void overtake(long seq, long atNs) {
    Held b;
    while ((b = heldBack.peekFirst()) != null && b.seq < seq) {
      heldBack.pollFirst();
      if (b.dueNs - atNs <= 0) {
        b.releaseNs = atNs;
        ready.addLast(b);
      } else {
        b.releaseNs = b.dueNs;
        scheduled.add(b);
      }
    }
  }

  private Held hold(ByteBuf packet, int index, int length, long seq) {
    Held h = spare.pollFirst();
    if (h == null) {
      h = new Held();
    }
    h.buffer = allocator.directBuffer(length, length);
    h.buffer.writeBytes(packet, index, length);
    h.seq = seq;
    held++;
    return h;
  }

  private static void flip(ByteBuf buffer, int index, long bit) {
    int at = index + (int) (bit >>> 3);
    buffer.setByte(at, buffer.getByte(at) ^ (1 << (int) (bit & 7)));
  }

  private boolean hit(double probability) {
    // No draw at probability 0: an impairment that does not use a feature costs nothing for it.
    return probability > 0 && random.nextDouble() < probability;
  }

  /** Drops from the rate limiter the packets fully sent by {@code nowNs}. */
  private void forgetDeparted(long nowNs) {
    while (departuresSize > 0 && departures[departuresHead] - nowNs <= 0) {
      departuresHead = (departuresHead + 1) % departures.length;
      departuresSize--;
    }
  }

  /**
   * When a packet of {@code length} bytes arriving at {@code nowNs} has been sent at the rate: after
   * the packets before it, {@code 8 * length / rate} later. Records it if {@code commit}.
   */
  private long departure(long nowNs, int length, boolean commit) {
    long startNs = nowNs;
    if (departuresSize > 0) {
      long last = departures[(departuresHead + departuresSize - 1) % departures.length];
      if (last - nowNs > 0) {
        startNs = last;
      }
    }
    long rate = impairment.rateBitsPerSecond();
    long scaled = 8L * length * 1_000_000_000L + rateRemainder;
    long departureNs = startNs + scaled / rate;
    if (commit) {
      rateRemainder = scaled % rate;
      if (departuresSize == departures.length) {
        long[] grown = new long[departures.length * 2];
        for (int i = 0; i < departuresSize; i++) {
          grown[i] = departures[(departuresHead + i) % departures.length];
        }
        departures = grown;
        departuresHead = 0;
      }
      departures[(departuresHead + departuresSize) % departures.length] = departureNs;
      departuresSize++;
    }
    return departureNs;
  }

  private static int compare(Held a, Held b) {
    long d = a.releaseNs - b.releaseNs;
    if (d != 0) {
      return d < 0 ? -1 : 1;
    }
    return Long.compare(a.seq, b.seq);
  }

  @Override
  public String toString() {
    return impairment + " (" + held + " held)";
  }

  /** A held packet. */
  private static final class Held {
    ByteBuf buffer;
    long seq;
    /** When it leaves: due time, reorder deadline, or (in ready) when it was overtaken. */
    long releaseNs;
    /** For a reordered packet: when it would have left had it not been held back. */
    long dueNs;
  }
}
