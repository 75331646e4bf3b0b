package io.tcpstack.runtime;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.tcpstack.device.Device;
import io.tcpstack.stats.CounterSet;
import io.tcpstack.stats.StackCounter;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A thread that writes the stack's packets to the device, for a link without segmentation offload
 * ({@link io.tcpstack.StackConfig.Builder#transmitThread}). Writing a packet to a TUN device runs
 * the kernel's whole receive path for it — IP, TCP, waking the reader — inside the write(2), a few
 * microseconds per 1500-byte packet that the stack thread would otherwise spend instead of reading
 * and building the next ones. With offloads one write carries up to 64 KiB and this is not needed.
 *
 * <p>A single-producer, single-consumer ring of fixed slots (each {@code slotSize} bytes of one
 * direct buffer, allocated once): the stack thread copies each packet into the next slot and goes
 * on; this thread writes the slots in order. A full ring makes the stack thread wait — the
 * backpressure a blocking write would give. The writer spins briefly when the ring is empty, then
 * parks until the next packet. Failed writes are counted as {@link StackCounter#DEVICE_TX_ERRORS}.
 */
final class TransmitThread {

  private static final Logger log = LoggerFactory.getLogger(TransmitThread.class);
  private static final int SPINS_BEFORE_PARK = 200;
  private static final long PARK_NS = TimeUnit.MILLISECONDS.toNanos(10);

  private final Device device;
  private final CounterSet<StackCounter> counters;
  private final int slots;
  private final int slotSize;
  private final ByteBuf ring;
  private final ByteBuf writerView;
  private final int[] lengths;
  /** Slots written by the stack thread (producer index); read by the writer. */
  private final AtomicLong tail = new AtomicLong();
  /** Slots written to the device (consumer index); read by the stack thread. */
  private final AtomicLong head = new AtomicLong();
  private final Thread writer;
  private volatile boolean sleeping;
  private volatile boolean running = true;

  TransmitThread(Device device, CounterSet<StackCounter> counters, int slots, int slotSize) {
    this.device = device;
    this.counters = counters;
    this.slots = slots;
    this.slotSize = slotSize;
    // A JDK direct buffer, freed by the collector: the writer may still be in a write when the
    // runtime gives up waiting for it at close.
    this.ring = Unpooled.wrappedBuffer(ByteBuffer.allocateDirect(slots * slotSize));
    this.writerView = ring.duplicate();
    this.lengths = new int[slots];
    this.writer = new Thread(this::run, "tcpstack-tx");
    writer.setDaemon(true);
    writer.start();
  }

  /** Whether a packet of {@code length} bytes fits a slot. */
  boolean fits(int length) {
    return length <= slotSize;
  }

  /** Queues a copy of {@code packet}'s readable bytes (at most {@code slotSize}). Stack thread. */
  void offer(ByteBuf packet) {
    long t = tail.get();
    while (t - head.get() >= slots) {
      waitForRoom();
    }
    int slot = (int) (t % slots);
    int length = packet.readableBytes();
    ring.setBytes(slot * slotSize, packet, packet.readerIndex(), length);
    lengths[slot] = length;
    tail.lazySet(t + 1);
    if (sleeping) {
      LockSupport.unpark(writer);
    }
  }

  /** Waits until everything queued has been written (or the writer stopped). Stack thread. */
  void drain() {
    while (head.get() < tail.get() && writer.isAlive()) {
      waitForRoom();
    }
  }

  private void waitForRoom() {
    if (sleeping) {
      LockSupport.unpark(writer);
    }
    Thread.onSpinWait();
  }

  /** Writes what is queued, then stops the writer. Any thread but the writer. */
  void close() {
    running = false;
    LockSupport.unpark(writer);
    try {
      writer.join(TimeUnit.SECONDS.toMillis(5));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (writer.isAlive()) {
      log.warn("the transmit thread did not stop within 5 s");
    }
  }

  private void run() {
    int idle = 0;
    while (true) {
      long h = head.get();
      if (h == tail.get()) {
        if (!running) {
          return; // everything queued before close is written
        }
        if (++idle < SPINS_BEFORE_PARK) {
          Thread.onSpinWait();
          continue;
        }
        sleeping = true;
        if (h == tail.get() && running) {
          LockSupport.parkNanos(this, PARK_NS);
        }
        sleeping = false;
        idle = 0;
        continue;
      }
      idle = 0;
      int slot = (int) (h % slots);
      writerView.setIndex(slot * slotSize, slot * slotSize + lengths[slot]);
      try {
        device.transmit(writerView);
      } catch (IOException | RuntimeException e) {
        counters.increment(StackCounter.DEVICE_TX_ERRORS);
        if (running) {
          log.debug("transmit failed: {}", e.toString());
        }
      }
      head.lazySet(h + 1);
    }
  }
}
