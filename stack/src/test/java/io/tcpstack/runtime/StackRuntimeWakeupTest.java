package io.tcpstack.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.tcpstack.StackConfig;
import io.tcpstack.device.Device;
import io.tcpstack.testing.Packets;
import io.tcpstack.testing.PipeDevice;
import io.tcpstack.testing.VirtualClock;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@link StackRuntime#execute} wakes the loop's device only when the loop waits, and once per wait:
 * the wake-up is a system call (an eventfd write on TUN), so handing tasks to a busy or already
 * woken loop must cost none. Counted on a device that counts its wake-ups; no timing is asserted.
 */
class StackRuntimeWakeupTest {

  /** Only a hang guard. */
  private static final long GUARD_S = 10;
  private static final int TASKS = 1_000;

  private StackRuntime runtime;

  @AfterEach
  void stop() {
    if (runtime != null) {
      runtime.close();
    }
  }

  @Test
  void tasksHandedToABusyLoopSendNoWakeUp() throws Exception {
    CountingDevice device = new CountingDevice(PipeDevice.pair(1500)[0]);
    runtime = StackRuntime.start(config(), device);
    CountDownLatch running = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    runtime.execute(() -> {
      running.countDown();
      await(release); // the loop is busy in this task: awake, and will look at the queue again
    });
    assertTrue(running.await(GUARD_S, TimeUnit.SECONDS));
    long before = device.wakeups.get();

    List<Integer> ran = new ArrayList<>(); // touched on the stack thread only
    try {
      for (int i = 0; i < TASKS; i++) {
        int n = i;
        runtime.execute(() -> ran.add(n));
      }
      assertEquals(before, device.wakeups.get(), "no wake-up while the loop is awake");
    } finally {
      release.countDown();
    }
    List<Integer> expected = new ArrayList<>();
    for (int i = 0; i < TASKS; i++) {
      expected.add(i);
    }
    assertEquals(expected, runtime.call(() -> new ArrayList<>(ran)).get(GUARD_S, TimeUnit.SECONDS),
        "every task ran, once, in order");
  }

  @Test
  void aWaitingLoopIsWokenOnceHoweverManyTasksArrive() throws Exception {
    CountingDevice device = new CountingDevice(PipeDevice.pair(1500)[0]);
    // The loop, once woken, is held inside the device's await: it stays "woken" while every
    // further task arrives.
    device.holdAfterWakeUp();
    runtime = StackRuntime.start(config(), device);
    device.awaitWaiting();
    long before = device.wakeups.get();
    AtomicInteger ran = new AtomicInteger();
    for (int i = 0; i < TASKS; i++) {
      runtime.execute(ran::incrementAndGet);
    }
    try {
      assertEquals(before + 1, device.wakeups.get(), "one wake-up for " + TASKS + " tasks");
    } finally {
      device.release();
    }
    assertEquals(TASKS, runtime.call(ran::get).get(GUARD_S, TimeUnit.SECONDS), "every task ran");
  }

  @Test
  void aLoopDrivenFromOutsideIsWokenForEveryTaskSinceItMayWaitAnywhere() {
    VirtualClock clock = new VirtualClock();
    CountingDevice device = new CountingDevice(PipeDevice.pair(1500)[0]);
    runtime = StackRuntime.open(config(), device, clock);
    for (int i = 0; i < 3; i++) {
      runtime.execute(() -> { });
    }
    assertEquals(3, device.wakeups.get());
  }

  private static StackConfig config() {
    return StackConfig.builder().address(Packets.STACK, 24).mtu(1500).build();
  }

  private static void await(CountDownLatch latch) {
    try {
      latch.await(GUARD_S, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** A device that counts {@link #wakeup()} calls and can hold the loop inside {@link #await}. */
  private static final class CountingDevice implements Device {
    final AtomicInteger wakeups = new AtomicInteger();
    private final Device inner;
    private final CountDownLatch waiting = new CountDownLatch(1);
    private volatile CountDownLatch hold;

    CountingDevice(Device inner) {
      this.inner = inner;
    }

    /** Returns once the loop has entered {@link #await} (it is idle). */
    void awaitWaiting() throws InterruptedException {
      assertTrue(waiting.await(GUARD_S, TimeUnit.SECONDS), "the loop waits on the device");
    }

    void holdAfterWakeUp() {
      hold = new CountDownLatch(1);
    }

    void release() {
      hold.countDown();
    }

    @Override
    public boolean await(long timeoutNs) throws IOException {
      waiting.countDown();
      boolean packet = inner.await(timeoutNs);
      CountDownLatch h = hold;
      if (h != null) {
        StackRuntimeWakeupTest.await(h);
      }
      return packet;
    }

    @Override
    public void wakeup() {
      wakeups.incrementAndGet();
      inner.wakeup();
    }

    @Override
    public int mtu() {
      return inner.mtu();
    }

    @Override
    public int receive(ByteBuf dst) throws IOException {
      return inner.receive(dst);
    }

    @Override
    public void transmit(ByteBuf packet) throws IOException {
      inner.transmit(packet);
    }

    @Override
    public boolean isOpen() {
      return inner.isOpen();
    }

    @Override
    public void close() throws IOException {
      CountDownLatch h = hold;
      if (h != null) {
        h.countDown();
      }
      inner.close();
    }
  }
}
