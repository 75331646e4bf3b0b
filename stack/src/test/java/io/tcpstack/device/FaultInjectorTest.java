package io.tcpstack.device;

import static io.tcpstack.device.ImpairmentCounter.CORRUPTED;
import static io.tcpstack.device.ImpairmentCounter.DELAYED;
import static io.tcpstack.device.ImpairmentCounter.DEVICE_ERRORS;
import static io.tcpstack.device.ImpairmentCounter.DROPPED;
import static io.tcpstack.device.ImpairmentCounter.DUPLICATED;
import static io.tcpstack.device.ImpairmentCounter.OVERFLOW_DROPPED;
import static io.tcpstack.device.ImpairmentCounter.PACKETS_IN;
import static io.tcpstack.device.ImpairmentCounter.PACKETS_OUT;
import static io.tcpstack.device.ImpairmentCounter.RATE_DROPPED;
import static io.tcpstack.device.ImpairmentCounter.REORDERED;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.tcpstack.NetworkStack;
import io.tcpstack.StackConfig;
import io.tcpstack.stats.CounterSet;
import io.tcpstack.stats.StackCounter;
import io.tcpstack.testing.MemoryDevice;
import io.tcpstack.testing.MemoryDevice.Sent;
import io.tcpstack.testing.Packets;
import io.tcpstack.testing.TrackingAllocator;
import io.tcpstack.testing.VirtualClock;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The fault injector over an in-memory device on a virtual clock: each impairment's exact effect in
 * both directions, the timing of held packets, reproducibility, counters and buffer ownership.
 */
@Timeout(60) // virtual time: a test either ends at once or loops forever
class FaultInjectorTest {

  private static final int MTU = 1500;
  private static final long US = 1_000L;
  private static final long MS = 1_000_000L;

  private final VirtualClock clock = new VirtualClock(1_000 * MS); // any origin works
  private final MemoryDevice device = new MemoryDevice(MTU, clock);
  private final TrackingAllocator allocator = new TrackingAllocator();
  private final ByteBuf rx = UnpooledByteBufAllocator.DEFAULT.directBuffer(MTU, MTU);
  private FaultInjector injector;

  @AfterEach
  void closeAndCheckBuffers() throws IOException {
    rx.release();
    if (injector != null) {
      injector.close();
    }
    allocator.assertAllReleased();
  }

  private FaultInjector inject(String spec) {
    injector = new FaultInjector(device, Impairment.parse(spec), clock, allocator);
    return injector;
  }

  /** A packet whose first four bytes are its id, then bytes derived from it. */
  private static byte[] packet(int id, int length) {
    byte[] p = new byte[length];
    for (int i = 0; i < length; i++) {
      p[i] = (byte) (id * 31 + i);
    }
    ByteBuffer.wrap(p).putInt(id);
    return p;
  }

  private static int id(byte[] p) {
    return ByteBuffer.wrap(p).getInt();
  }

  private void transmit(byte[] p) throws IOException {
    ByteBuf b = UnpooledByteBufAllocator.DEFAULT.directBuffer(p.length);
    try {
      b.writeBytes(p);
      injector.transmit(b);
      assertEquals(0, b.readerIndex(), "the caller's indices are untouched");
      assertEquals(p.length, b.writerIndex());
      assertArrayEquals(p, ByteBufUtil.getBytes(b), "the caller's bytes are untouched");
    } finally {
      b.release();
    }
  }

  /** Everything {@link FaultInjector#receive} hands over now, until it says 0. */
  private List<byte[]> receiveAll() throws IOException {
    List<byte[]> out = new ArrayList<>();
    for (;;) {
      rx.clear();
      int n = injector.receive(rx);
      if (n <= 0) {
        assertEquals(0, n);
        return out;
      }
      assertEquals(n, rx.readableBytes());
      out.add(ByteBufUtil.getBytes(rx));
    }
  }

  /**
   * Moves the clock from deadline to deadline, flushing, until nothing is held (no received packet
   * may be held: only transmit packets are flushed); returns everything sent.
   */
  private List<Sent> drainTransmit() {
    for (long next; (next = injector.nextDeadlineNs()) != Long.MAX_VALUE; ) {
      assertEquals(0, injector.receiveCounters().get(PACKETS_IN) - injector.receiveCounters().get(PACKETS_OUT)
          - injector.receiveCounters().get(DROPPED), "drainTransmit with received packets held");
      clock.set(Math.max(next, clock.nowNs()));
      injector.flushDue();
    }
    return device.take();
  }

  private static List<Integer> ids(List<byte[]> packets) {
    List<Integer> ids = new ArrayList<>();
    packets.forEach(p -> ids.add(id(p)));
    return ids;
  }

  private static List<Integer> sentIds(List<Sent> sent) {
    List<Integer> ids = new ArrayList<>();
    sent.forEach(s -> ids.add(id(s.bytes())));
    return ids;
  }

  private static int differingBits(byte[] a, byte[] b) {
    assertEquals(a.length, b.length);
    int bits = 0;
    for (int i = 0; i < a.length; i++) {
      bits += Integer.bitCount((a[i] ^ b[i]) & 0xFF);
    }
    return bits;
  }

  @Nested
  class NoImpairment {
    @Test
    void passesEveryPacketThroughAtOnceInBothDirectionsWithoutCopying() throws IOException {
      inject("none");
      for (int i = 0; i < 5; i++) {
        transmit(packet(i, 100 + i));
        device.inject(packet(100 + i, 60));
      }
      List<Sent> sent = device.take();
      assertEquals(List.of(0, 1, 2, 3, 4), sentIds(sent));
      assertArrayEquals(packet(3, 103), sent.get(3).bytes());
      assertTrue(sent.stream().allMatch(s -> s.atNs() == clock.nowNs()));
      List<byte[]> received = receiveAll();
      assertEquals(List.of(100, 101, 102, 103, 104), ids(received));
      assertArrayEquals(packet(102, 60), received.get(2));
      assertEquals(0, allocator.allocations(), "nothing held, nothing copied");
      assertEquals(5, injector.transmitCounters().get(PACKETS_IN));
      assertEquals(5, injector.transmitCounters().get(PACKETS_OUT));
      assertEquals(5, injector.receiveCounters().get(PACKETS_OUT));
      assertEquals(Long.MAX_VALUE, injector.nextDeadlineNs());
    }

    @Test
    void delegatesMtuWakeupOpenAndClose() throws IOException {
      inject("loss=0%");
      assertEquals(MTU, injector.mtu());
      injector.wakeup();
      assertEquals(1, device.wakeups());
      assertTrue(injector.isOpen());
      injector.close();
      assertFalse(injector.isOpen());
      assertFalse(device.isOpen(), "closing the injector closes the device it wraps");
      rx.clear();
      assertEquals(-1, injector.receive(rx));
      assertThrows(IOException.class, () -> transmit(packet(1, 40)));
      injector.close(); // idempotent
    }
  }

  @Nested
  class Loss {
    @Test
    void lossOfAllDropsEveryPacketBothWays() throws IOException {
      inject("loss=100%");
      for (int i = 0; i < 10; i++) {
        transmit(packet(i, 80));
        device.inject(packet(i, 80));
      }
      assertEquals(List.of(), device.take());
      assertEquals(List.of(), receiveAll());
      assertEquals(0, device.waiting(), "received packets are read and dropped");
      for (CounterSet<ImpairmentCounter> c : List.of(injector.transmitCounters(), injector.receiveCounters())) {
        assertEquals(10, c.get(PACKETS_IN));
        assertEquals(10, c.get(DROPPED));
        assertEquals(0, c.get(PACKETS_OUT));
      }
    }

    @Test
    void lossOfNoneDropsNothing() throws IOException {
      inject("loss=0%,seed=3");
      for (int i = 0; i < 100; i++) {
        transmit(packet(i, 80));
        device.inject(packet(i, 80));
      }
      assertEquals(100, device.take().size());
      assertEquals(100, receiveAll().size());
      assertEquals(0, injector.transmitCounters().get(DROPPED) + injector.receiveCounters().get(DROPPED));
    }

    @Test
    void partialLossDropsAboutThatShareAndCountsEachDrop() throws IOException {
      inject("loss=30%,seed=11");
      for (int i = 0; i < 1000; i++) {
        transmit(packet(i, 80));
        device.inject(packet(i, 80));
      }
      int sent = device.take().size();
      int received = receiveAll().size();
      assertEquals(1000 - sent, injector.transmitCounters().get(DROPPED));
      assertEquals(1000 - received, injector.receiveCounters().get(DROPPED));
      assertTrue(sent > 600 && sent < 800, "about 70% pass: " + sent);
      assertTrue(received > 600 && received < 800, "about 70% pass: " + received);
    }

    @Test
    void aReceiveCallReadsPastDroppedPacketsButStopsAfterABatch() throws IOException {
      inject("loss=100%");
      for (int i = 0; i < FaultInjector.MAX_READS_PER_RECEIVE + 10; i++) {
        device.inject(packet(i, 40));
      }
      rx.clear();
      assertEquals(0, injector.receive(rx));
      assertEquals(10, device.waiting(), "one call reads at most a batch, so the stack loop keeps its turn");
      assertEquals(0, rx.writerIndex(), "nothing of the dropped packets stays in the buffer");
    }
  }

  @Nested
  class Duplication {
    @Test
    void duplicationOfAllSendsEachPacketTwiceBothWays() throws IOException {
      inject("dup=100%");
      for (int i = 0; i < 3; i++) {
        transmit(packet(i, 90));
        device.inject(packet(10 + i, 90));
      }
      List<Sent> sent = device.take();
      assertEquals(List.of(0, 0, 1, 1, 2, 2), sentIds(sent));
      assertArrayEquals(sent.get(0).bytes(), sent.get(1).bytes());
      List<byte[]> received = receiveAll();
      assertEquals(List.of(10, 10, 11, 11, 12, 12), ids(received));
      assertArrayEquals(packet(11, 90), received.get(3));
      assertEquals(3, injector.transmitCounters().get(DUPLICATED));
      assertEquals(3, injector.transmitCounters().get(PACKETS_IN));
      assertEquals(6, injector.transmitCounters().get(PACKETS_OUT));
      assertEquals(3, injector.receiveCounters().get(DUPLICATED));
      assertEquals(6, injector.receiveCounters().get(PACKETS_OUT));
      assertEquals(0, injector.heldPackets());
    }
  }

  @Nested
  class Delay {
    @Test
    void transmittedPacketLeavesExactlyWhenDueAndNotBefore() throws IOException {
      inject("delay=10ms");
      long t0 = clock.nowNs();
      transmit(packet(1, 100));
      assertEquals(List.of(), device.take());
      assertEquals(t0 + 10 * MS, injector.nextDeadlineNs());
      clock.set(t0 + 10 * MS - 1);
      injector.flushDue();
      assertEquals(List.of(), device.take(), "1 ns early: still held");
      clock.set(t0 + 10 * MS);
      injector.flushDue();
      List<Sent> sent = device.take();
      assertEquals(1, sent.size());
      assertEquals(t0 + 10 * MS, sent.get(0).atNs());
      assertArrayEquals(packet(1, 100), sent.get(0).bytes());
      assertEquals(1, injector.transmitCounters().get(DELAYED));
      assertEquals(Long.MAX_VALUE, injector.nextDeadlineNs());
    }

    @Test
    void receivedPacketIsHandedOverExactlyWhenDue() throws IOException {
      inject("delay=10ms");
      long t0 = clock.nowNs();
      device.inject(packet(7, 64));
      assertEquals(List.of(), receiveAll());
      assertEquals(t0 + 10 * MS, injector.nextDeadlineNs());
      clock.set(t0 + 10 * MS - 1);
      assertEquals(List.of(), receiveAll());
      clock.set(t0 + 10 * MS);
      List<byte[]> got = receiveAll();
      assertEquals(1, got.size());
      assertArrayEquals(packet(7, 64), got.get(0));
      assertEquals(1, injector.receiveCounters().get(DELAYED));
    }

    @Test
    void heldTransmitPacketsGoOutFromReceiveAndTransmitCallsToo() throws IOException {
      inject("delay=1ms");
      long t0 = clock.nowNs();
      transmit(packet(1, 40));
      clock.set(t0 + 1 * MS);
      rx.clear();
      assertEquals(0, injector.receive(rx));
      assertEquals(List.of(1), sentIds(device.take()), "flushed by receive");
      transmit(packet(2, 40));
      clock.set(t0 + 2 * MS);
      transmit(packet(3, 40));
      assertEquals(List.of(2), sentIds(device.take()), "flushed by the next transmit, before it queues its own");
    }

    @Test
    void awaitWaitsOnlyUntilTheNextDuePacketAndThenSendsIt() throws IOException {
      inject("delay=10ms");
      long t0 = clock.nowNs();
      transmit(packet(1, 40));
      clock.set(t0 + 4 * MS);
      device.inject(packet(2, 40));
      assertEquals(List.of(), receiveAll());
      assertFalse(injector.await(Long.MAX_VALUE));
      assertEquals(List.of(6 * MS), device.takeAwaitTimeouts(), "an unlimited wait shortened to the transmit deadline");
      assertEquals(t0 + 10 * MS, clock.nowNs());
      List<Sent> sent = device.take();
      assertEquals(1, sent.size(), "await sends what became due while it waited");
      assertEquals(t0 + 10 * MS, sent.get(0).atNs());

      assertTrue(injector.await(Long.MAX_VALUE), "the received packet is due at t0 + 14 ms");
      assertEquals(List.of(4 * MS), device.takeAwaitTimeouts());
      assertEquals(List.of(2), ids(receiveAll()));

      assertFalse(injector.await(3 * MS));
      assertEquals(List.of(3 * MS), device.takeAwaitTimeouts(), "nothing held: the caller's timeout stands");
    }

    @Test
    void aPacketTransmittedByAnotherThreadDuringAnUnlimitedWaitWakesTheWaiter() throws IOException {
      // The runtime's transmit thread hands packets to the injector while the stack thread waits in
      // await(MAX): a ping reply held for 50 ms must not wait for the next packet to arrive.
      inject("delay=10ms");
      long t0 = clock.nowNs();
      device.duringNextAwait(() -> {
        try {
          transmit(packet(1, 40));
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      });
      assertFalse(injector.await(Long.MAX_VALUE));
      assertEquals(1, device.wakeups(), "the held packet woke the waiting thread");
      assertFalse(injector.await(Long.MAX_VALUE));
      assertEquals(List.of(Long.MAX_VALUE, 10 * MS), device.takeAwaitTimeouts(), "the next wait ends when it is due");
      assertEquals(List.of(1), sentIds(device.take()));
      assertEquals(t0 + 10 * MS, clock.nowNs());
    }

    @Test
    void aPacketDueAfterTheWaitEndsDoesNotWakeTheWaiter() throws IOException {
      inject("delay=10ms");
      device.duringNextAwait(() -> {
        try {
          transmit(packet(1, 40));
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      });
      assertFalse(injector.await(5 * MS));
      assertEquals(0, device.wakeups(), "the wait ends before the packet is due anyway");
    }

    @Test
    void awaitReturnsAtOnceWhenAReceivedPacketIsAlreadyDue() throws IOException {
      inject("delay=1ms");
      device.inject(packet(1, 40));
      assertEquals(List.of(), receiveAll());
      clock.advance(2 * MS);
      assertTrue(injector.await(Long.MAX_VALUE));
      assertEquals(List.of(), device.takeAwaitTimeouts(), "did not wait on the device at all");
    }

    @Test
    void jitterKeepsEveryPacketWithinDelayPlusOrMinusJitter() throws IOException {
      inject("delay=10ms,jitter=5ms,seed=5");
      long t0 = clock.nowNs();
      for (int i = 0; i < 1000; i++) {
        transmit(packet(i, 40));
      }
      List<Sent> sent = drainTransmit();
      assertEquals(1000, sent.size());
      long min = Long.MAX_VALUE;
      long max = Long.MIN_VALUE;
      boolean reordered = false;
      for (int i = 0; i < sent.size(); i++) {
        long d = sent.get(i).atNs() - t0;
        assertTrue(d >= 5 * MS && d <= 15 * MS, "delay " + d + " within 10 ms ± 5 ms");
        min = Math.min(min, d);
        max = Math.max(max, d);
        reordered |= i > 0 && id(sent.get(i).bytes()) < id(sent.get(i - 1).bytes());
        if (i > 0) {
          assertTrue(sent.get(i).atNs() >= sent.get(i - 1).atNs(), "released in time order");
        }
      }
      assertTrue(min < 6 * MS && max > 14 * MS, "the whole range is used: " + min + ".." + max);
      assertTrue(reordered, "jitter reorders, as in netem");
    }

    @Test
    void jitterLargerThanTheDelayNeverSendsBeforeThePacketArrived() throws IOException {
      inject("delay=1ms,jitter=5ms,seed=2");
      long t0 = clock.nowNs();
      for (int i = 0; i < 200; i++) {
        transmit(packet(i, 40));
      }
      List<Sent> sent = new ArrayList<>(device.take()); // those whose delay came out as 0
      sent.addAll(drainTransmit());
      assertEquals(200, sent.size());
      assertTrue(sent.stream().allMatch(s -> s.atNs() >= t0 && s.atNs() <= t0 + 6 * MS));
      assertTrue(sent.stream().anyMatch(s -> s.atNs() == t0), "negative delays are clamped to 0");
    }
  }

  @Nested
  class Reordering {
    @Test
    void aReorderedPacketGoesRightAfterTheNextOne() throws IOException {
      inject("reorder=50%,seed=9");
      long t0 = clock.nowNs();
      for (int i = 0; i < 200; i++) {
        clock.set(t0 + i * US);
        transmit(packet(i, 40));
      }
      clock.set(t0 + 200 * US + Impairment.REORDER_HOLD_NS);
      injector.flushDue();
      List<Sent> sent = device.take();
      List<Integer> order = sentIds(sent);
      assertEquals(200, new HashSet<>(order).size(), "each packet exactly once");
      long reordered = injector.transmitCounters().get(REORDERED);
      assertTrue(reordered > 60 && reordered < 140, "about half: " + reordered);
      // A packet held back leaves right after the first later packet that was not, at the same time.
      int overtaken = 0;
      Set<Integer> seen = new HashSet<>();
      for (int i = 0; i < order.size(); i++) {
        int id = order.get(i);
        boolean laterAlreadySent = seen.stream().anyMatch(s -> s > id);
        if (laterAlreadySent) {
          overtaken++;
          assertEquals(sent.get(i - 1).atNs(), sent.get(i).atNs(), "follows its overtaker at once");
        }
        seen.add(id);
      }
      // Only a final run of held packets, with no successor, is never overtaken.
      assertTrue(overtaken <= reordered && overtaken >= reordered - 10, overtaken + " of " + reordered);
    }

    @Test
    void exactlyTheOrderTheDecisionsGive() throws IOException {
      // The oracle: with only reorder set, packet k's decision is the k-th draw of the transmit
      // stream. A held packet goes right after the next packet not held; the last ones time out.
      Impairment impairment = Impairment.parse("reorder=40%,seed=21");
      SplittableRandom decisions = impairment.random(FaultInjector.TRANSMIT_STREAM);
      List<Integer> expected = new ArrayList<>();
      List<Integer> waiting = new ArrayList<>();
      for (int i = 0; i < 50; i++) {
        if (decisions.nextDouble() < 0.4) {
          waiting.add(i);
        } else {
          expected.add(i);
          expected.addAll(waiting);
          waiting.clear();
        }
      }
      expected.addAll(waiting);
      injector = new FaultInjector(device, impairment, Impairment.NONE, clock, allocator, FaultInjector.DEFAULT_MAX_HELD);
      for (int i = 0; i < 50; i++) {
        clock.advance(1 * US);
        transmit(packet(i, 40));
      }
      assertEquals(expected, sentIds(drainTransmit()));
    }

    @Test
    void withNoSuccessorAHeldPacketLeavesAfterTheHoldTime() throws IOException {
      // reorder=100% holds every packet; the successor that overtakes is a packet sent without hold.
      injector = new FaultInjector(device, Impairment.parse("reorder=100%"), Impairment.NONE, clock, allocator,
          FaultInjector.DEFAULT_MAX_HELD);
      long t0 = clock.nowNs();
      transmit(packet(1, 40));
      transmit(packet(2, 40));
      assertEquals(List.of(), device.take());
      assertEquals(2, injector.transmitCounters().get(REORDERED));
      assertEquals(t0 + Impairment.REORDER_HOLD_NS, injector.nextDeadlineNs(), "no successor: released after the hold");
      clock.set(t0 + Impairment.REORDER_HOLD_NS - 1);
      injector.flushDue();
      assertEquals(List.of(), device.take());
      clock.set(t0 + Impairment.REORDER_HOLD_NS);
      injector.flushDue();
      List<Sent> sent = device.take();
      assertEquals(List.of(1, 2), sentIds(sent), "timed out in order");
      assertEquals(t0 + Impairment.REORDER_HOLD_NS, sent.get(1).atNs());
    }

    @Test
    void receivedPacketsAreReorderedToo() throws IOException {
      inject("reorder=50%,seed=4");
      for (int i = 0; i < 100; i++) {
        device.inject(packet(i, 40));
      }
      List<Integer> got = ids(receiveAll());
      clock.advance(Impairment.REORDER_HOLD_NS);
      got.addAll(ids(receiveAll()));
      assertEquals(100, new HashSet<>(got).size());
      List<Integer> sorted = new ArrayList<>(got);
      sorted.sort(null);
      assertNotEquals(sorted, got, "out of order");
      assertTrue(injector.receiveCounters().get(REORDERED) > 20);
    }
  }

  @Nested
  class Corruption {
    @Test
    void corruptionFlipsExactlyOneBitOfEachTransmittedPacketAndLeavesTheCallersBufferAlone() throws IOException {
      inject("corrupt=100%,seed=1");
      Set<Integer> positions = new HashSet<>();
      for (int i = 0; i < 50; i++) {
        transmit(packet(i, 64)); // also asserts the caller's bytes are unchanged
      }
      List<Sent> sent = device.take();
      assertEquals(50, sent.size());
      for (int i = 0; i < sent.size(); i++) {
        byte[] original = packet(i, 64);
        assertEquals(1, differingBits(original, sent.get(i).bytes()), "exactly one bit differs");
        positions.add(firstDifference(original, sent.get(i).bytes()));
      }
      assertTrue(positions.size() > 10, "bits chosen across the packet: " + positions);
      assertEquals(50, injector.transmitCounters().get(CORRUPTED));
      assertEquals(0, injector.heldPackets(), "a corrupted copy due now is sent at once");
    }

    @Test
    void corruptionFlipsExactlyOneBitOfEachReceivedPacket() throws IOException {
      inject("corrupt=100%,seed=1");
      for (int i = 0; i < 50; i++) {
        device.inject(packet(i, 64));
      }
      List<byte[]> got = receiveAll();
      assertEquals(50, got.size());
      for (int i = 0; i < got.size(); i++) {
        assertEquals(1, differingBits(packet(i, 64), got.get(i)));
      }
      assertEquals(50, injector.receiveCounters().get(CORRUPTED));
      assertEquals(0, allocator.allocations(), "received packets are corrupted in place");
    }

    @Test
    void aDuplicateIsCorruptedIndependentlyOfItsOriginal() throws IOException {
      inject("dup=100%,corrupt=50%,seed=3");
      for (int i = 0; i < 40; i++) {
        device.inject(packet(i, 64));
      }
      List<byte[]> got = receiveAll();
      assertEquals(80, got.size());
      int pairsDiffering = 0;
      for (int i = 0; i < got.size(); i += 2) {
        int a = differingBits(packet(i / 2, 64), got.get(i));
        int b = differingBits(packet(i / 2, 64), got.get(i + 1));
        assertTrue(a <= 1 && b <= 1, "at most one bit each, never two in one copy");
        pairsDiffering += a != b ? 1 : 0;
      }
      assertTrue(pairsDiffering > 5, "copies decided separately: " + pairsDiffering);
    }

    private int firstDifference(byte[] a, byte[] b) {
      for (int i = 0; i < a.length; i++) {
        if (a[i] != b[i]) {
          return i * 8 + Integer.numberOfTrailingZeros((a[i] ^ b[i]) & 0xFF);
        }
      }
      return -1;
    }
  }

  @Nested
  class RateLimit {
    @Test
    void packetsLeaveAtTheRate() throws IOException {
      // 8 mbit/s is one byte per microsecond: a 1000-byte packet takes exactly 1 ms.
      inject("rate=8mbit");
      long t0 = clock.nowNs();
      for (int i = 0; i < 10; i++) {
        transmit(packet(i, 1000));
      }
      List<Sent> sent = drainTransmit();
      assertEquals(10, sent.size());
      for (int i = 0; i < 10; i++) {
        assertEquals(t0 + (i + 1) * MS, sent.get(i).atNs(), "packet " + i + " done after " + (i + 1) + " ms");
      }
    }

    @Test
    void nBytesAreReleasedByNTimes8OverRateWithoutRoundingDrift() throws IOException {
      long rate = 3_000_000; // 1000 bytes take 2.666... ms: every packet has a fraction of a nanosecond
      inject("rate=3mbit");
      long t0 = clock.nowNs();
      for (int i = 0; i < 100; i++) {
        transmit(packet(i, 1000));
      }
      List<Sent> sent = drainTransmit();
      assertEquals(100, sent.size());
      for (int k = 1; k <= 100; k++) {
        long bytes = 1000L * k;
        assertEquals(t0 + bytes * 8 * 1_000_000_000L / rate, sent.get(k - 1).atNs(), "the " + k + "th packet");
      }
    }

    @Test
    void theLinkIdlesBetweenBursts() throws IOException {
      inject("rate=8mbit");
      long t0 = clock.nowNs();
      transmit(packet(1, 500));
      clock.set(t0 + 500 * US);
      injector.flushDue();
      clock.set(t0 + 5 * MS);
      transmit(packet(2, 500));
      List<Sent> sent = drainTransmit();
      assertEquals(2, sent.size());
      assertEquals(List.of(t0 + 500 * US, t0 + 5 * MS + 500 * US), List.of(sent.get(0).atNs(), sent.get(1).atNs()),
          "an idle link does not save up credit");
    }

    @Test
    void packetsBeyondTheLimitAreDropped() throws IOException {
      inject("rate=8mbit,limit=5");
      long t0 = clock.nowNs();
      for (int i = 0; i < 10; i++) {
        transmit(packet(i, 1000));
      }
      assertEquals(5, injector.transmitCounters().get(RATE_DROPPED));
      clock.set(t0 + 2 * MS); // two have left: room for two more
      injector.flushDue();
      transmit(packet(10, 1000));
      transmit(packet(11, 1000));
      transmit(packet(12, 1000));
      assertEquals(6, injector.transmitCounters().get(RATE_DROPPED));
      List<Sent> sent = new ArrayList<>(device.take());
      sent.addAll(drainTransmit());
      assertEquals(List.of(0, 1, 2, 3, 4, 10, 11), sentIds(sent));
      assertEquals(t0 + 7 * MS, sent.get(6).atNs());
    }

    @Test
    void rateThenDelay() throws IOException {
      inject("rate=8mbit,delay=10ms");
      long t0 = clock.nowNs();
      device.inject(packet(1, 1000)).inject(packet(2, 1000));
      assertEquals(List.of(), receiveAll());
      clock.set(t0 + 11 * MS - 1);
      assertEquals(List.of(), receiveAll());
      clock.set(t0 + 11 * MS);
      assertEquals(List.of(1), ids(receiveAll()));
      clock.set(t0 + 12 * MS);
      assertEquals(List.of(2), ids(receiveAll()));
    }
  }

  @Nested
  class Bounds {
    @Test
    void packetsBeyondTheHoldingLimitAreDroppedAndCounted() throws IOException {
      injector = new FaultInjector(device, Impairment.parse("delay=1s"), Impairment.parse("delay=1s"), clock, allocator, 3);
      for (int i = 0; i < 5; i++) {
        transmit(packet(i, 40));
      }
      assertEquals(2, injector.transmitCounters().get(OVERFLOW_DROPPED));
      assertEquals(3, injector.heldPackets());
      assertEquals(List.of(0, 1, 2), sentIds(drainTransmit()));
    }

    @Test
    void closeReleasesEveryHeldPacket() throws IOException {
      inject("delay=1s,reorder=30%,dup=50%,seed=8");
      for (int i = 0; i < 20; i++) {
        transmit(packet(i, 200));
        device.inject(packet(i, 200));
      }
      assertEquals(List.of(), receiveAll());
      assertTrue(injector.heldPackets() > 40, "held: " + injector.heldPackets());
      assertTrue(allocator.live() > 40);
      injector.close();
      assertEquals(0, allocator.live(), "every held buffer released");
      assertEquals(0, injector.heldPackets());
    }

    @Test
    void aHeldPacketTheDeviceRefusesIsCountedNotThrown() throws IOException {
      inject("delay=1ms");
      transmit(packet(1, 40));
      device.close();
      clock.advance(1 * MS);
      rx.clear();
      assertEquals(-1, injector.receive(rx), "the wrapped device is closed");
      assertEquals(1, injector.transmitCounters().get(DEVICE_ERRORS));
      assertEquals(0, allocator.live());
    }

    @Test
    void heldCopiesComeFromTheGivenAllocator() throws IOException {
      inject("delay=1ms");
      transmit(packet(1, 40));
      device.inject(packet(2, 40));
      receiveAll();
      assertEquals(2, allocator.allocations());
      clock.advance(1 * MS);
      assertEquals(1, receiveAll().size());
      assertEquals(1, device.take().size());
      assertEquals(0, allocator.live());
    }
  }

  @Nested
  class Reproducibility {
    private List<String> run(String spec) throws IOException {
      VirtualClock c = new VirtualClock();
      MemoryDevice d = new MemoryDevice(MTU, c);
      List<String> log = new ArrayList<>();
      try (FaultInjector f = new FaultInjector(d, Impairment.parse(spec), c, PooledByteBufAllocator.DEFAULT)) {
        ByteBuf in = UnpooledByteBufAllocator.DEFAULT.directBuffer(MTU);
        try {
          for (int i = 0; i < 300; i++) {
            c.set(i * 100 * US);
            in.clear().writeBytes(packet(i, 100));
            f.transmit(in);
            d.inject(packet(1000 + i, 100));
            for (int n; (n = f.receive(in.clear())) > 0; ) {
              log.add("rx " + c.nowNs() + " " + ByteBufUtil.hexDump(in));
            }
          }
          c.advance(1_000 * MS);
          f.flushDue();
          for (int n; (n = f.receive(in.clear())) > 0; ) {
            log.add("rx " + c.nowNs() + " " + ByteBufUtil.hexDump(in));
          }
        } finally {
          in.release();
        }
        for (Sent s : d.take()) {
          log.add("tx " + s.atNs() + " " + ByteBufUtil.hexDump(s.bytes()));
        }
        log.add("counters " + f.transmitCounters() + " / " + f.receiveCounters());
      }
      return log;
    }

    @Test
    void theSameSeedMakesTheSameDecisions() throws IOException {
      String spec = "loss=20%,dup=10%,reorder=15%,delay=3ms,jitter=2ms,corrupt=5%,rate=20mbit,limit=20,seed=42";
      List<String> first = run(spec);
      assertEquals(first, run(spec));
      assertNotEquals(first, run(spec.replace("seed=42", "seed=43")), "another seed, other decisions");
    }

    @Test
    void theTwoDirectionsDecideIndependently() throws IOException {
      inject("loss=50%,seed=1");
      for (int i = 0; i < 64; i++) {
        transmit(packet(i, 40));
        device.inject(packet(i, 40));
      }
      List<Integer> passedTx = sentIds(device.take());
      List<Integer> passedRx = ids(receiveAll());
      assertNotEquals(passedTx, passedRx, "same packets, same impairment, other random stream");
    }
  }

  @Nested
  class UnderAStackLoop {
    /**
     * A loop shaped like StackRuntime's (receive until 0, poll, await until the stack's deadline),
     * driven by the virtual clock: a ping delayed 10 ms each way is answered 20 ms after it arrived.
     */
    @Test
    void delayedPacketsAreDeliveredOnTimeByTheUsualLoop() throws IOException {
      inject("delay=10ms");
      StackConfig config = StackConfig.builder().address(Packets.STACK, 24).mtu(MTU).allocator(allocator).build();
      try (NetworkStack stack = new NetworkStack(config, packet -> {
        try {
          injector.transmit(packet);
        } catch (IOException e) {
          throw new AssertionError(e);
        }
      })) {
        long t0 = clock.nowNs();
        device.inject(Packets.ipv4(Packets.HOST, Packets.STACK, 1, Packets.echoRequest(1, 1, Packets.pattern(56))));
        List<Sent> sent = List.of();
        for (int turn = 0; turn < 10 && sent.isEmpty(); turn++) {
          long nowNs = clock.nowNs();
          rx.clear();
          while (injector.receive(rx) > 0) {
            stack.receive(rx, nowNs);
            rx.clear();
          }
          stack.poll(nowNs);
          long deadline = stack.pollAt();
          injector.await(deadline == Long.MAX_VALUE ? Long.MAX_VALUE : deadline - clock.nowNs());
          sent = device.take();
        }
        assertEquals(1, sent.size(), "the reply went out");
        assertEquals(t0 + 20 * MS, sent.get(0).atNs(), "10 ms in, 10 ms out");
        assertEquals(1, stack.counters().get(StackCounter.ICMP_OUT_ECHO_REPS));
      }
    }
  }
}
