package io.tcpstack.tun;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.tcpstack.testing.RequiresTun;
import io.tcpstack.testing.TestNamespace;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Waking a thread blocked in {@link TunDevice#await}. No timing assertions: a generous join
 * limit only turns a hang into a failure.
 */
@RequiresTun
class TunDeviceWakeupTest {

  private static final Duration HANG = Duration.ofSeconds(10);

  @Test
  void closeWakesAThreadBlockedInAwaitAndReturns() throws Exception {
    try (TestNamespace ns = TestNamespace.create()) {
      TunDevice device = TunDevice.builder().name("tcps0").netns(ns.path()).open(); // down: no packets
      Waiter waiter = Waiter.start(device);
      waiter.awaitInPoll();

      Thread closer = new Thread(device::close, "closer");
      closer.start();
      closer.join(HANG.toMillis());
      assertFalse(closer.isAlive(), "close() must return while another thread is in await()");

      assertEquals(Boolean.FALSE, waiter.result());
      assertFalse(device.isOpen());
      assertFalse(Links.exists(ns, "tcps0"));
    }
  }

  @Test
  void wakeupEndsAwaitWithoutClosing() throws Exception {
    try (TestNamespace ns = TestNamespace.create();
        TunDevice device = TunDevice.builder().name("tcps0").netns(ns.path()).open()) {
      Waiter waiter = Waiter.start(device);
      waiter.awaitInPoll();
      device.wakeup();
      assertEquals(Boolean.FALSE, waiter.result());
      assertTrue(device.isOpen());
      assertFalse(device.await(0), "the wakeup was consumed");
    }
  }

  @Test
  void wakeupBeforeAwaitEndsTheNextAwait() throws Exception {
    try (TestNamespace ns = TestNamespace.create();
        TunDevice device = TunDevice.builder().name("tcps0").netns(ns.path()).open()) {
      device.wakeup();
      device.wakeup(); // wakeups do not accumulate into several early returns
      assertEquals(Boolean.FALSE, Waiter.start(device).result());
      assertFalse(device.await(0));
    }
  }

  @Test
  void awaitReturnsTrueWhenAPacketIsWaiting() throws Exception {
    try (TestNamespace ns = TestNamespace.create();
        TunDevice device = TunDevice.builder().name("tcps0").netns(ns.path())
            .hostAddress(TestPackets.ipv4("198.18.0.1"), 24).open()) {
      ByteBuf request = Unpooled.wrappedBuffer(TestPackets.icmpEchoRequest(
          TestPackets.ipv4("198.18.0.2"), TestPackets.ipv4("198.18.0.1"), 1, 1, new byte[8]));
      try {
        device.write(request);
      } finally {
        request.release();
      }
      assertEquals(Boolean.TRUE, Waiter.start(device).result());
    }
  }

  /** A thread calling {@code await(Long.MAX_VALUE)} once. */
  private static final class Waiter {
    private final Thread thread;
    private final CompletableFuture<Boolean> result = new CompletableFuture<>();

    private Waiter(TunDevice device) {
      thread = new Thread(() -> {
        try {
          result.complete(device.await(Long.MAX_VALUE));
        } catch (Throwable t) {
          result.completeExceptionally(t);
        }
      }, "waiter");
      thread.setDaemon(true);
    }

    static Waiter start(TunDevice device) {
      Waiter waiter = new Waiter(device);
      waiter.thread.start();
      return waiter;
    }

    /**
     * Waits until the thread is inside the native poll(2), so that the test exercises waking a
     * blocked thread rather than one that has not started waiting yet.
     */
    void awaitInPoll() {
      long deadlineNs = System.nanoTime() + HANG.toNanos();
      while (!inPoll()) {
        assertNull(result.getNow(null), "await returned before it was woken");
        assertTrue(System.nanoTime() - deadlineNs < 0, "waiter never reached poll(2)");
        Thread.onSpinWait();
      }
    }

    private boolean inPoll() {
      StackTraceElement[] stack = thread.getStackTrace();
      return stack.length > 0 && Arrays.stream(stack).limit(8).anyMatch(f -> f.getMethodName().equals("poll"));
    }

    Boolean result() throws Exception {
      return result.get(HANG.toMillis(), TimeUnit.MILLISECONDS);
    }
  }
}
