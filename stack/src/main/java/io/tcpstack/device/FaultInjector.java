package io.tcpstack.device;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.tcpstack.stats.CounterSet;
import java.io.IOException;
import java.util.Objects;
import java.util.function.LongSupplier;

/**
 * A {@link Device} that wraps another and impairs what crosses it, in both directions
 * independently: the packets the stack transmits, and the packets it receives. What happens to a
 * packet is described by an {@link Impairment}; the decisions come from random streams seeded by
 * it, so a run with the same packets at the same times makes the same decisions.
 *
 * <p>Time comes from the {@code nanoClock} given at construction ({@code System::nanoTime} in the
 * runtime, a virtual clock in tests); nothing here reads the system clock. Packets that leave later
 * (delayed, reordered, waiting for the rate limiter, duplicates) are copied into buffers from the
 * given allocator and held, at most {@code maxHeld} per direction.
 *
 * <p>No thread of its own. Held transmit-direction packets go out from whichever call comes first
 * after they are due: {@link #transmit}, {@link #receive}, {@link #await} or {@link #flushDue}; and
 * {@link #await} never sleeps past the next due packet of either direction. So {@code
 * StackRuntime}, which alternates {@code receive} and {@code await}, delivers delayed packets on
 * time with no change. A held transmit packet the wrapped device refuses when its time comes is
 * counted ({@link ImpairmentCounter#DEVICE_ERRORS}) and dropped, not thrown, because the call that
 * found it due may be a {@code receive} that should not fail for it.
 *
 * <p>Threads: one thread calls {@code receive} and {@code await}; {@code transmit} may come from
 * that thread or one other (the runtime's transmit thread, {@code StackConfig.transmitThread}). A
 * packet transmitted while the first thread waits, and held to leave before that wait would end,
 * wakes it ({@link Device#wakeup} of the wrapped device), so it is not sent late. Any thread may
 * call {@link #wakeup} and {@link #close}. The counters may be read from any thread.
 */
public final class FaultInjector implements Device {

  /** Packets held per direction at most, by default; beyond it they are dropped (a safety bound). */
  public static final int DEFAULT_MAX_HELD = 65_536;
  /** Packets read from the wrapped device per {@link #receive} call, to find one not dropped. */
  static final int MAX_READS_PER_RECEIVE = 64;

  /** Random stream of the transmit direction; the receive direction takes the next one. */
  static final int TRANSMIT_STREAM = 0;
  static final int RECEIVE_STREAM = 1;

  private final Device inner;
  private final LongSupplier nanoClock;
  private final ImpairedPath transmit;
  private final ImpairedPath receive;
  /** Guards the two paths: close() may come from another thread while the stack thread uses them. */
  private final Object lock = new Object();
  private volatile boolean closed;
  /**
   * Whether a thread is in {@link #await}, and until when (a time of the {@code nanoClock}) it
   * waits. Guarded by {@link #lock}. A packet another thread transmits meanwhile and that is held
   * to leave before then wakes the waiter, which would otherwise sleep past its due time.
   */
  private boolean waiting;
  private long waitingUntilNs;

  /**
   * Impairs both directions alike (with independent random streams), holding at most {@link
   * #DEFAULT_MAX_HELD} packets per direction.
   *
   * @param inner the device to wrap; not null; closed by {@link #close}
   * @param impairment what happens to the packets of each direction; not null
   * @param nanoClock the time in nanoseconds (e.g. {@code System::nanoTime}); not null
   * @param allocator where held packets are copied to; not null
   * @throws NullPointerException if any argument is null
   */
  public FaultInjector(Device inner, Impairment impairment, LongSupplier nanoClock, ByteBufAllocator allocator) {
    this(inner, impairment, impairment, nanoClock, allocator, DEFAULT_MAX_HELD);
  }

  /**
   * Impairs each direction as its own {@link Impairment} says.
   *
   * @param inner the device to wrap; not null; closed by {@link #close}
   * @param transmit what happens to the packets the stack sends; not null
   * @param receive what happens to the packets the stack reads; not null
   * @param nanoClock the time in nanoseconds (e.g. {@code System::nanoTime}); not null
   * @param allocator where held packets are copied to; not null
   * @param maxHeld packets held per direction at most, at least 1; beyond it they are dropped
   * @throws NullPointerException if any object argument is null
   * @throws IllegalArgumentException if {@code maxHeld} is less than 1
   */
  public FaultInjector(Device inner, Impairment transmit, Impairment receive, LongSupplier nanoClock,
      ByteBufAllocator allocator, int maxHeld) {
    this.inner = Objects.requireNonNull(inner, "inner");
    this.nanoClock = Objects.requireNonNull(nanoClock, "nanoClock");
    Objects.requireNonNull(allocator, "allocator");
    this.transmit = new ImpairedPath(Objects.requireNonNull(transmit, "transmit"), TRANSMIT_STREAM, allocator, maxHeld);
    this.receive = new ImpairedPath(Objects.requireNonNull(receive, "receive"), RECEIVE_STREAM, allocator, maxHeld);
  }

  /**
   * The device this wraps.
   *
   * @return the wrapped device
   */
  public Device inner() {
    return inner;
  }

  /**
   * What happens to the packets the stack sends.
   *
   * @return the transmit direction's impairment
   */
  public Impairment transmitImpairment() {
    return transmit.impairment();
  }

  /**
   * What happens to the packets the stack reads.
   *
   * @return the receive direction's impairment
   */
  public Impairment receiveImpairment() {
    return receive.impairment();
  }

  /**
   * What happened to the packets the stack sent. Any thread.
   *
   * @return the live counters of the transmit direction
   */
  public CounterSet<ImpairmentCounter> transmitCounters() {
    return transmit.counters();
  }

  /**
   * What happened to the packets read from the wrapped device. Any thread.
   *
   * @return the live counters of the receive direction
   */
  public CounterSet<ImpairmentCounter> receiveCounters() {
    return receive.counters();
  }

  /**
   * Packets held now, both directions.
   *
   * @return the number of packets delayed, reordered, rate-limited or duplicated and not yet out
   */
  public int heldPackets() {
    synchronized (lock) {
      return transmit.held() + receive.held();
    }
  }

  /**
   * When the next held packet of either direction is due (a time of the {@code nanoClock}), or
   * {@link Long#MAX_VALUE} if none is held.
   *
   * @return the due time in nanoseconds of the {@code nanoClock}, or {@link Long#MAX_VALUE}
   */
  public long nextDeadlineNs() {
    synchronized (lock) {
      return earlier(transmit.nextReleaseNs(), receive.nextReleaseNs());
    }
  }

  /** Sends the held transmit-direction packets that are due now. */
  public void flushDue() {
    long nowNs = nanoClock.getAsLong();
    synchronized (lock) {
      if (!closed) {
        flushTransmit(nowNs);
      }
    }
  }

  @Override
  public int mtu() {
    return inner.mtu();
  }

  /**
   * Hands over the next received packet: a held one that is due, else the next one read from the
   * wrapped device that is neither dropped nor held. Also sends the transmit-direction packets due.
   */
  @Override
  public int receive(ByteBuf dst) throws IOException {
    long nowNs = nanoClock.getAsLong();
    synchronized (lock) {
      if (closed) {
        return -1;
      }
      flushTransmit(nowNs);
      for (int reads = 0; ; ) {
        ByteBuf due = receive.poll(nowNs);
        if (due != null) {
          try {
            int n = due.readableBytes();
            dst.writeBytes(due);
            return n;
          } finally {
            due.release();
          }
        }
        if (reads == MAX_READS_PER_RECEIVE) {
          return 0; // the caller's await returns at once: more is waiting in the wrapped device
        }
        int start = dst.writerIndex();
        int n = inner.receive(dst);
        if (n <= 0) {
          return n;
        }
        reads++;
        if (receive.offer(dst, start, n, nowNs, true, true)) {
          return n;
        }
        dst.writerIndex(start);
      }
    }
  }

  /** Sends {@code packet} now, later, twice or never, as the transmit impairment decides. */
  @Override
  public void transmit(ByteBuf packet) throws IOException {
    long nowNs = nanoClock.getAsLong();
    synchronized (lock) {
      if (closed) {
        throw new IOException("the fault injector over " + inner + " is closed");
      }
      flushTransmit(nowNs);
      try {
        if (transmit.offer(packet, packet.readerIndex(), packet.readableBytes(), nowNs, true, false)) {
          inner.transmit(packet);
        }
      } finally {
        flushTransmit(nowNs); // a duplicate, or reordered packets this one overtook
        wakeWaiterIfDueSooner();
      }
    }
  }

  /**
   * A transmit from another thread than the one in {@link #await} (the runtime's transmit thread)
   * may hold a packet due before that wait ends: wake the waiter so that it shortens its wait. Under
   * {@link #lock}.
   */
  private void wakeWaiterIfDueSooner() {
    long next = transmit.nextReleaseNs();
    if (waiting && next != Long.MAX_VALUE && (waitingUntilNs == Long.MAX_VALUE || next - waitingUntilNs < 0)) {
      waitingUntilNs = next; // once per earlier deadline: the waiter recomputes when it wakes
      inner.wakeup();
    }
  }

  /**
   * Waits as the wrapped device does, but never past the next held packet's due time, and sends the
   * transmit-direction packets due before and after waiting.
   *
   * @return whether a packet is waiting: a due received packet, or one in the wrapped device (which
   *     may still be dropped)
   */
  @Override
  public boolean await(long timeoutNs) throws IOException {
    long nowNs = nanoClock.getAsLong();
    long waitNs = timeoutNs;
    synchronized (lock) {
      if (closed) {
        return false;
      }
      flushTransmit(nowNs);
      if (receive.hasDue(nowNs)) {
        return true;
      }
      long next = earlier(transmit.nextReleaseNs(), receive.nextReleaseNs());
      if (next != Long.MAX_VALUE && next - nowNs < waitNs) {
        waitNs = next - nowNs;
      }
      waiting = true;
      waitingUntilNs = waitNs == Long.MAX_VALUE ? Long.MAX_VALUE : nowNs + waitNs;
    }
    boolean ready;
    try {
      ready = inner.await(waitNs);
    } finally {
      synchronized (lock) {
        waiting = false;
      }
    }
    nowNs = nanoClock.getAsLong();
    synchronized (lock) {
      if (closed) {
        return false;
      }
      flushTransmit(nowNs);
      return ready || receive.hasDue(nowNs);
    }
  }

  @Override
  public void wakeup() {
    inner.wakeup();
  }

  @Override
  public boolean isOpen() {
    return !closed && inner.isOpen();
  }

  /** Closes the wrapped device and releases every held packet. Idempotent; any thread. */
  @Override
  public void close() throws IOException {
    closed = true;
    try {
      inner.close(); // wakes a waiting stack thread, which then sees closed
    } finally {
      synchronized (lock) {
        transmit.close();
        receive.close();
      }
    }
  }

  private void flushTransmit(long nowNs) {
    ByteBuf due;
    while ((due = transmit.poll(nowNs)) != null) {
      try {
        inner.transmit(due);
      } catch (IOException e) {
        transmit.counters().increment(ImpairmentCounter.DEVICE_ERRORS);
      } finally {
        due.release();
      }
    }
  }

  private static long earlier(long a, long b) {
    if (a == Long.MAX_VALUE) {
      return b;
    }
    if (b == Long.MAX_VALUE) {
      return a;
    }
    return a - b <= 0 ? a : b;
  }

  @Override
  public String toString() {
    String what = transmit.impairment().equals(receive.impairment())
        ? transmit.impairment().toString()
        : "transmit " + transmit.impairment() + ", receive " + receive.impairment();
    return inner + " impaired (" + what + ")";
  }
}
