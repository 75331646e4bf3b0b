package io.tcpstack.testing;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.tcpstack.device.Device;
import java.io.IOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * An in-memory {@link Device} on a {@link VirtualClock}: the test puts packets in ({@link #inject})
 * and takes what was transmitted out ({@link #take}), each stamped with the virtual time it was
 * written. {@link #await} does not block: it records the timeout asked for and, standing in for the
 * sleep, advances the clock by it unless a packet is waiting (or the timeout is unlimited).
 */
public final class MemoryDevice implements Device {

  /** A packet the device was given to transmit, and when. */
  public record Sent(long atNs, byte[] bytes) {}

  private final int mtu;
  private final VirtualClock clock;
  private final ArrayDeque<byte[]> inbound = new ArrayDeque<>();
  private final List<Sent> sent = new ArrayList<>();
  private final List<Long> awaitTimeouts = new ArrayList<>();
  private boolean open = true;
  private int wakeups;
  private Runnable duringAwait;

  public MemoryDevice(int mtu, VirtualClock clock) {
    this.mtu = mtu;
    this.clock = clock;
  }

  /** Makes {@code packet} the next (after those already waiting) that {@link #receive} returns. */
  public MemoryDevice inject(byte[] packet) {
    inbound.addLast(packet.clone());
    return this;
  }

  /** Packets still waiting to be received. */
  public int waiting() {
    return inbound.size();
  }

  /** Everything transmitted since the last call, in order; forgets it. */
  public List<Sent> take() {
    List<Sent> copy = new ArrayList<>(sent);
    sent.clear();
    return copy;
  }

  /** The timeouts {@link #await} was called with, in order; forgets them. */
  public List<Long> takeAwaitTimeouts() {
    List<Long> copy = new ArrayList<>(awaitTimeouts);
    awaitTimeouts.clear();
    return copy;
  }

  /**
   * Runs {@code action} inside the next {@link #await} call, once: what another thread does while
   * the stack thread waits.
   */
  public void duringNextAwait(Runnable action) {
    duringAwait = action;
  }

  public int wakeups() {
    return wakeups;
  }

  @Override
  public int mtu() {
    return mtu;
  }

  @Override
  public int receive(ByteBuf dst) {
    if (!open) {
      return -1;
    }
    byte[] p = inbound.pollFirst();
    if (p == null) {
      return 0;
    }
    dst.writeBytes(p);
    return p.length;
  }

  @Override
  public void transmit(ByteBuf packet) throws IOException {
    if (!open) {
      throw new IOException("memory device closed");
    }
    if (packet.readableBytes() > mtu) {
      throw new IOException("packet of " + packet.readableBytes() + " bytes exceeds the MTU " + mtu);
    }
    sent.add(new Sent(clock.nowNs(), ByteBufUtil.getBytes(packet)));
  }

  @Override
  public boolean await(long timeoutNs) {
    awaitTimeouts.add(timeoutNs);
    Runnable during = duringAwait;
    duringAwait = null;
    if (during != null) {
      during.run();
    }
    if (!open) {
      return false;
    }
    if (!inbound.isEmpty()) {
      return true;
    }
    if (timeoutNs > 0 && timeoutNs != Long.MAX_VALUE) {
      clock.advance(timeoutNs);
    }
    return false;
  }

  @Override
  public void wakeup() {
    wakeups++;
  }

  @Override
  public boolean isOpen() {
    return open;
  }

  @Override
  public void close() {
    open = false;
  }
}
