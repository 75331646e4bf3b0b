package io.tcpstack.api;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.tcpstack.tcp.TcpConfig;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Reads and writes of the blocking API do not hand a task to the stack thread per call: a write
 * that finds room copies into the send ring and at most kicks the loop once for any number of
 * writes; a read that finds bytes in the receive ring takes them with no hand-off at all. Counted
 * with the socket's count of tasks run on the stack thread ({@link TcpSocket#loopTasks()}), and the
 * calls' garbage with the JVM's count of bytes the calling thread allocated; no timing is asserted.
 */
class BlockingHandOffTest {

  private static final int CALLS = 1_000;
  private static final int SIZE = 10;
  /**
   * What {@link #CALLS} calls may allocate in all: less than a byte a call, so none allocates per
   * call (the one kick's queue node is 24 bytes). Generous for what the JVM itself may do meanwhile.
   */
  private static final long ALLOCATION_ALLOWANCE = CALLS / 2;

  private SocketPair pair;

  @AfterEach
  void stop() {
    if (pair != null) {
      pair.close();
    }
  }

  @Test
  void writesThatFindRoomHandTheLoopOneTaskHoweverManyThereAre() throws Exception {
    pair = SocketPair.open(TcpConfig.DEFAULT);
    byte[] sent = pattern(CALLS * SIZE);
    long before = pair.client.loopTasks();

    // The client's loop is busy with another task meanwhile, so the first write's kick is still
    // queued when the others come: they all ride on it.
    CountDownLatch busy = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    pair.clientStack.execute(() -> {
      busy.countDown();
      awaitQuietly(release);
    });
    assertTrue(busy.await(SocketPair.GUARD.toSeconds(), TimeUnit.SECONDS));
    long allocated;
    try {
      // The first write makes the ring and queues the kick; the rest only copy.
      pair.client.write(sent, 0, SIZE);
      long start = allocatedBytes();
      for (int i = 1; i < CALLS; i++) {
        pair.client.write(sent, i * SIZE, SIZE); // 10 KB in all: the 64 KiB ring has room for every write
      }
      allocated = allocatedBytes() - start;
    } finally {
      release.countDown();
    }

    byte[] received = new byte[sent.length];
    readFully(pair.server, received);
    assertArrayEquals(sent, received, "every write arrived, in order");
    assertEquals(1, pair.client.loopTasks() - before, CALLS + " writes, one task on the stack thread");
    assertAllocationFree(allocated, "writes");
    pair.assertNoLoopErrors();
  }

  @Test
  void readsThatFindBytesInTheRingHandTheLoopNothing() throws Exception {
    pair = SocketPair.open(TcpConfig.DEFAULT);
    byte[] sent = pattern(1 + CALLS * SIZE);
    pair.server.write(sent, 0, sent.length);
    byte[] received = new byte[sent.length];
    assertEquals(1, pair.client.read(received, 0, 1)); // the first read makes the ring (one kick)
    long deadline = System.nanoTime() + SocketPair.GUARD.toNanos();
    while (pair.client.available() < sent.length - 1) { // 10 KB: all of it fits in the 64 KiB ring
      if (System.nanoTime() - deadline > 0) {
        fail("only " + pair.client.available() + " bytes arrived");
      }
      Thread.onSpinWait();
    }
    long before = pair.client.loopTasks();

    long start = allocatedBytes();
    int total = 0;
    for (int i = 0; i < CALLS; i++) {
      total += pair.client.read(received, 1 + i * SIZE, SIZE);
    }
    long allocated = allocatedBytes() - start;

    assertEquals(CALLS * SIZE, total);
    assertEquals(0, pair.client.loopTasks() - before, CALLS + " reads of bytes already there, no task");
    assertArrayEquals(sent, received);
    assertAllocationFree(allocated, "reads");
    pair.assertNoLoopErrors();
  }

  /** Bytes this thread allocated so far (HotSpot's count), or -1 where the JVM does not count. */
  private static long allocatedBytes() {
    if (ManagementFactory.getThreadMXBean() instanceof com.sun.management.ThreadMXBean bean
        && bean.isThreadAllocatedMemorySupported() && bean.isThreadAllocatedMemoryEnabled()) {
      return bean.getCurrentThreadAllocatedBytes();
    }
    return -1;
  }

  /** What asking {@link #allocatedBytes()} allocates itself (the management call's objects). */
  private static long measuringCost() {
    allocatedBytes();
    long a = allocatedBytes();
    return allocatedBytes() - a;
  }

  private static void assertAllocationFree(long measured, String what) {
    if (allocatedBytes() < 0) {
      return; // this JVM does not count; the task counts above still hold
    }
    long allocated = measured - measuringCost();
    System.out.println("BlockingHandOffTest: " + CALLS + " " + what + " allocated " + allocated + " bytes");
    assertTrue(allocated < ALLOCATION_ALLOWANCE, CALLS + " " + what + " allocated " + allocated + " bytes: garbage per call");
  }

  private static byte[] pattern(int n) {
    byte[] b = new byte[n];
    for (int i = 0; i < n; i++) {
      b[i] = BlockingConcurrencyTest.at(7, i);
    }
    return b;
  }

  private static void readFully(TcpSocket s, byte[] b) throws IOException {
    int done = 0;
    while (done < b.length) {
      int n = s.read(b, done, b.length - done);
      assertTrue(n > 0, "more bytes, not the end of the stream");
      done += n;
    }
  }

  private static void awaitQuietly(CountDownLatch latch) {
    try {
      latch.await(SocketPair.GUARD.toSeconds(), TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
