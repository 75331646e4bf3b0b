package io.tcpstack;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tcpstack.api.TcpServerSocket;
import io.tcpstack.runtime.StackRuntime;
import io.tcpstack.testing.PipeDevice;
import io.tcpstack.wire.Ipv4Address;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@link TcpStack.Provider}, {@link TcpStack#of} and {@link TcpStack#awaitTermination}: how a
 * launcher hands a program its stack, over a pipe device (no TUN, no privilege).
 */
class TcpStackProviderTest {

  @AfterEach
  void noProvider() {
    TcpStack.provide(null);
  }

  private static StackRuntime runtime() {
    StackConfig config = StackConfig.builder().address(Ipv4Address.parse("198.18.0.2"), 24).mtu(1500).build();
    return StackRuntime.start(config, PipeDevice.pair(1500)[0]);
  }

  @Test
  void anInstalledProviderAnswersOpenWithItsStackAndIsToldAboutOwnThread() throws Exception {
    List<Boolean> asked = new ArrayList<>();
    AtomicInteger closed = new AtomicInteger();
    TcpStack.provide(ownThread -> {
      asked.add(ownThread);
      return TcpStack.of(runtime(), "pipe0", "ns1", "stack on pipe0", 16, closed::incrementAndGet);
    });
    // The program's own settings (no address at all here) do not matter: the provider's stack is the one.
    try (TcpStack stack = TcpStack.builder().ownThread(false).open()) {
      assertEquals(List.of(false), asked);
      assertEquals("stack on pipe0", stack.toString());
      assertEquals("pipe0", stack.deviceName());
      assertEquals("ns1", stack.netns());
      assertEquals(16, stack.backlog());
      try (TcpServerSocket server = stack.listen(7)) {
        assertEquals(7, server.port());
      }
      stack.close();
      stack.close(); // idempotent: the provider's clean-up runs once
      assertFalse(stack.runtime().isRunning());
    }
    assertEquals(1, closed.get());
  }

  @Test
  void whatTheProviderThrowsReachesTheProgramAndRemovingItRestoresTheBuilder() {
    IOException refused = new IOException("no TUN here");
    TcpStack.provide(ownThread -> {
      throw refused;
    });
    assertSame(refused, assertThrows(IOException.class, () -> TcpStack.builder().address("198.18.0.2/24").open()));
    TcpStack.provide(null);
    IllegalStateException noAddress = assertThrows(IllegalStateException.class, () -> TcpStack.builder().open());
    assertTrue(noAddress.getMessage().contains("address("), noAddress.getMessage());
  }

  @Test
  void awaitTerminationReturnsOnceAnotherThreadCloses() throws Exception {
    try (TcpStack stack = TcpStack.of(runtime(), "pipe0", null, "stack", 4096, null)) {
      CompletableFuture<Void> waiting = CompletableFuture.runAsync(() -> {
        try {
          stack.awaitTermination();
        } catch (IOException | InterruptedException e) {
          throw new IllegalStateException(e);
        }
      });
      assertFalse(waiting.isDone());
      stack.close();
      waiting.get(10, TimeUnit.SECONDS); // returned, and without an exception: an orderly stop
    }
  }

  @Test
  void builderRefusesABacklogBelowOne() {
    assertThrows(IllegalArgumentException.class, () -> TcpStack.builder().backlog(0));
  }
}
