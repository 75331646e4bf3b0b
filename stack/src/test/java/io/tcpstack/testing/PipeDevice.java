package io.tcpstack.testing;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.tcpstack.device.Device;
import java.io.IOException;
import java.util.ArrayDeque;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * One end of an in-memory link between two {@link io.tcpstack.runtime.StackRuntime}s running on
 * their own threads ({@link #pair}): what one end transmits, the other receives, in order, at once.
 * Thread-safe, and {@link #await} really blocks (unlike {@link MemoryDevice}, which is for a
 * virtual clock). A test can make an end drop what it transmits ({@link #drop}) to play a dead
 * peer or a cut cable, and can {@link #inject} hand-made packets as if the other end had sent them.
 */
public final class PipeDevice implements Device {

  private final int mtu;
  private final String name;
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition changed = lock.newCondition();
  private final ArrayDeque<byte[]> inbound = new ArrayDeque<>();
  private final AtomicLong transmitted = new AtomicLong();
  private final AtomicLong dropped = new AtomicLong();
  private PipeDevice peer;
  private volatile boolean dropping;
  private boolean woken;
  private volatile boolean open = true;

  private PipeDevice(int mtu, String name) {
    this.mtu = mtu;
    this.name = name;
  }

  /** Two ends of one link with the given MTU: {@code [0]} and {@code [1]}. */
  public static PipeDevice[] pair(int mtu) {
    PipeDevice a = new PipeDevice(mtu, "pipe-a");
    PipeDevice b = new PipeDevice(mtu, "pipe-b");
    a.peer = b;
    b.peer = a;
    return new PipeDevice[] {a, b};
  }

  /** From now on, what this end transmits is lost ({@code true}) or carried again ({@code false}). */
  public PipeDevice drop(boolean on) {
    dropping = on;
    return this;
  }

  /** Packets this end transmitted (dropped ones included). */
  public long transmitted() {
    return transmitted.get();
  }

  /** Packets this end transmitted while dropping. */
  public long dropped() {
    return dropped.get();
  }

  /** Makes {@code packet} arrive at this end as if the other end had sent it. Any thread. */
  public void inject(byte[] packet) {
    deliver(packet.clone());
  }

  private void deliver(byte[] packet) {
    lock.lock();
    try {
      if (open) {
        inbound.addLast(packet);
        changed.signalAll();
      }
    } finally {
      lock.unlock();
    }
  }

  @Override
  public int mtu() {
    return mtu;
  }

  @Override
  public int receive(ByteBuf dst) {
    byte[] p;
    lock.lock();
    try {
      if (!open) {
        return -1;
      }
      p = inbound.pollFirst();
    } finally {
      lock.unlock();
    }
    if (p == null) {
      return 0;
    }
    dst.writeBytes(p);
    return p.length;
  }

  @Override
  public void transmit(ByteBuf packet) throws IOException {
    if (!open) {
      throw new IOException(name + " is closed");
    }
    if (packet.readableBytes() > mtu) {
      throw new IOException("packet of " + packet.readableBytes() + " bytes exceeds the MTU " + mtu);
    }
    transmitted.incrementAndGet();
    if (dropping) {
      dropped.incrementAndGet();
      return;
    }
    peer.deliver(ByteBufUtil.getBytes(packet));
  }

  @Override
  public boolean await(long timeoutNs) throws IOException {
    lock.lock();
    try {
      long left = timeoutNs;
      while (open && inbound.isEmpty() && !woken && left > 0) {
        if (left == Long.MAX_VALUE) {
          changed.await();
        } else {
          left = changed.awaitNanos(left);
        }
      }
      woken = false;
      return open && !inbound.isEmpty();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new java.io.InterruptedIOException("interrupted while waiting on " + name);
    } finally {
      lock.unlock();
    }
  }

  @Override
  public void wakeup() {
    lock.lock();
    try {
      woken = true;
      changed.signalAll();
    } finally {
      lock.unlock();
    }
  }

  @Override
  public boolean isOpen() {
    return open;
  }

  @Override
  public void close() {
    lock.lock();
    try {
      open = false;
      inbound.clear();
      changed.signalAll();
    } finally {
      lock.unlock();
    }
  }

  @Override
  public String toString() {
    return name + "[mtu " + mtu + (dropping ? ", dropping" : "") + (open ? "" : ", closed") + "]";
  }
}
