package io.tcpstack.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.tcpstack.StackConfig;
import io.tcpstack.runtime.StackRuntime;
import io.tcpstack.tcp.TcpConfig;
import io.tcpstack.tcp.TcpState;
import io.tcpstack.testing.MemoryDevice;
import io.tcpstack.testing.Packets;
import io.tcpstack.testing.PipeDevice;
import io.tcpstack.testing.VirtualClock;
import io.tcpstack.wire.Ipv4Address;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.Inet4Address;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A thread blocked in the socket API is woken, with the exception that says why, when the
 * connection or the stack under it ends: two {@link StackRuntime}s on their own threads, joined by
 * an in-memory link ({@link PipeDevice}) that the test can cut, so no TUN device or privilege is
 * needed. No timing is asserted: the limits below only keep a lost wake-up from hanging the build.
 */
class BlockingWakeupTest {

  /** How long a woken thread may take to finish: a hang guard, not a measurement. */
  private static final Duration HANG_GUARD = Duration.ofSeconds(10);
  private static final int CLIENT = Packets.HOST;
  private static final int SERVER = Packets.STACK;
  private static final int PORT = 7;
  private static final int BUFFER = 4096;

  /** Small buffers so a writer fills them quickly; short timers so a dead peer is found in well under a second. */
  private static final TcpConfig CONFIG = TcpConfig.builder()
      .sendBufferSize(BUFFER)
      .receiveBufferSize(BUFFER)
      .rto(Duration.ofMillis(10), Duration.ofMillis(50), Duration.ofMillis(100))
      .retries(2, 3)
      .build();

  /** Which call the application thread is blocked in. */
  enum Blocked {
    READ,
    WRITE
  }

  private PipeDevice[] link;
  private StackRuntime client;
  private StackRuntime server;
  private final List<Thread> threads = new ArrayList<>();

  @BeforeEach
  void start() {
    link = PipeDevice.pair(1500);
    client = StackRuntime.start(config(CLIENT), link[0]);
    server = StackRuntime.start(config(SERVER), link[1]);
  }

  @AfterEach
  void stop() throws InterruptedException {
    for (Thread t : threads) {
      t.interrupt(); // only a thread that was never woken is still there
    }
    client.close();
    server.close();
    for (Thread t : threads) {
      t.join(HANG_GUARD.toMillis());
    }
  }

  private static StackConfig config(int address) {
    return StackConfig.builder().address(address, 24).mtu(1500).build();
  }

  /** A connected pair: the client's socket, and the server's accepted one. */
  private TcpSocket[] connect() throws IOException {
    try (TcpServerSocket listening = TcpServerSocket.bind(server, PORT, 4, CONFIG)) {
      TcpSocket c = TcpSocket.connect(client, (Inet4Address) Ipv4Address.toInet(SERVER), PORT, HANG_GUARD, CONFIG);
      TcpSocket s = listening.accept(HANG_GUARD);
      return new TcpSocket[] {c, s};
    }
  }

  // ------------------------------------------------------------------ a blocked call on a socket

  /** A call running on an application thread of its own, and how it ended. */
  private final class Call {
    final String what;
    final Thread thread;
    final CompletableFuture<Object> outcome = new CompletableFuture<>();

    Call(String what, IoCall body) {
      this.what = what;
      this.thread = new Thread(() -> {
        try {
          outcome.complete(body.run());
        } catch (Throwable t) {
          outcome.completeExceptionally(t);
        }
      }, "blocked-" + what);
      this.thread.setDaemon(true);
      threads.add(thread);
      thread.start();
    }

    /**
     * Waits until the thread sleeps in the call and {@code stuck} holds: it is blocked, not still
     * working. A thread also sleeps while the stack thread runs its attempt, so once it sleeps a
     * task is put through {@code runtime}'s queue behind that attempt: when the task is done, so is
     * the attempt, and the thread is left waiting for a wake-up.
     */
    Call blockedWhen(StackRuntime runtime, BooleanSupplier stuck) throws Exception {
      awaitWaiting(stuck);
      runtime.call(() -> Boolean.TRUE).get(HANG_GUARD.toSeconds(), TimeUnit.SECONDS);
      awaitWaiting(stuck);
      return this;
    }

    private void awaitWaiting(BooleanSupplier stuck) throws InterruptedException {
      long deadline = System.nanoTime() + HANG_GUARD.toNanos();
      while (!(isWaiting() && stuck.getAsBoolean())) {
        if (outcome.isDone()) {
          fail(what + " was expected to block but ended: " + describe());
        }
        if (System.nanoTime() - deadline > 0) {
          fail(what + " did not block within " + HANG_GUARD.toSeconds() + " s: " + thread.getState());
        }
        Thread.sleep(1);
      }
    }

    private boolean isWaiting() {
      Thread.State s = thread.getState();
      return s == Thread.State.WAITING || s == Thread.State.TIMED_WAITING;
    }

    /** What the woken call threw; fails if it is still blocked after the hang guard, or returned. */
    Throwable thrown() throws InterruptedException {
      try {
        Object result = outcome.get(HANG_GUARD.toSeconds(), TimeUnit.SECONDS);
        return fail(what + " returned " + result + " instead of failing");
      } catch (TimeoutException e) {
        return fail(what + " was not woken: still blocked after " + HANG_GUARD.toSeconds() + " s\n" + stackOf(thread));
      } catch (ExecutionException e) {
        thread.join(HANG_GUARD.toMillis());
        assertTrue(!thread.isAlive(), what + ": the thread ended");
        return e.getCause();
      }
    }

    private String describe() {
      try {
        return String.valueOf(outcome.getNow(null));
      } catch (Exception e) {
        return e.toString();
      }
    }
  }

  @FunctionalInterface
  private interface IoCall {
    Object run() throws Exception;
  }

  private static String stackOf(Thread t) {
    return Arrays.stream(t.getStackTrace()).map(f -> "\tat " + f).collect(Collectors.joining("\n"));
  }

  /**
   * Blocks a thread in {@code which} on the client's socket {@code c}, whose peer {@code s} neither
   * sends nor reads: a reader waits for data; a writer has filled its send buffer and the peer's
   * receive buffer, and the peer's window is closed, so nothing will wake it but the cause under test.
   */
  private Call block(Blocked which, TcpSocket c, TcpSocket s) throws Exception {
    switch (which) {
      case READ:
        return new Call("read", () -> c.read(new byte[100], 0, 100)).blockedWhen(client, () -> true);
      case WRITE:
        return new Call("write", () -> {
          c.write(new byte[1 << 20], 0, 1 << 20);
          return "wrote 1 MiB";
        }).blockedWhen(client, () -> available(s) == BUFFER && info(c).sendWindow() == 0);
      default:
        throw new AssertionError(which);
    }
  }

  private static io.tcpstack.tcp.TcpInfo info(TcpSocket s) {
    try {
      return s.info();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static int available(TcpSocket s) {
    try {
      return s.available();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  // ------------------------------------------------------------------ the tests

  @ParameterizedTest
  @EnumSource(Blocked.class)
  void aBlockedCallIsWokenWithConnectionResetWhenThePeerResets(Blocked which) throws Exception {
    TcpSocket[] pair = connect();
    Call call = block(which, pair[0], pair[1]);

    pair[1].abort(); // RST, <SEQ=SND.NXT>: exactly what the client expects next

    Throwable t = call.thrown();
    assertInstanceOf(ConnectionResetException.class, t, "what " + call.what + " threw: " + t);
    assertEquals(TcpState.CLOSED, pair[0].state());
  }

  @ParameterizedTest
  @EnumSource(Blocked.class)
  void aBlockedCallIsWokenWithConnectionTimedOutWhenThePeerStopsAnswering(Blocked which) throws Exception {
    TcpSocket[] pair = connect();
    Call call = block(which, pair[0], pair[1]);

    link[0].drop(true); // the cable is cut: nothing the client sends arrives ...
    link[1].drop(true); // ... and nothing comes back
    if (which == Blocked.READ) {
      // An idle connection never times out; data that goes unacknowledged does (RFC 1122 §4.2.3.5).
      pair[0].write(new byte[10], 0, 10);
    }

    Throwable t = call.thrown();
    assertInstanceOf(ConnectionTimedOutException.class, t, "what " + call.what + " threw: " + t);
    assertEquals(TcpState.CLOSED, pair[0].state());
  }

  @ParameterizedTest
  @EnumSource(Blocked.class)
  void aBlockedCallIsWokenWithSocketClosedWhenTheStackIsClosed(Blocked which) throws Exception {
    TcpSocket[] pair = connect();
    Call call = block(which, pair[0], pair[1]);

    client.close();

    Throwable t = call.thrown();
    assertInstanceOf(SocketClosedException.class, t, "what " + call.what + " threw: " + t);
  }

  @Test
  void aBlockedAcceptIsWokenWithSocketClosedWhenTheServerSocketIsClosed() throws Exception {
    TcpServerSocket listening = TcpServerSocket.bind(server, PORT, 4, CONFIG);
    Call call = new Call("accept", listening::accept).blockedWhen(server, () -> true);

    listening.close();

    Throwable t = call.thrown();
    assertInstanceOf(SocketClosedException.class, t, "what accept threw: " + t);
  }

  @Test
  void aBlockedAcceptIsWokenWithSocketClosedWhenTheStackIsClosed() throws Exception {
    TcpServerSocket listening = TcpServerSocket.bind(server, PORT, 4, CONFIG);
    Call call = new Call("accept", listening::accept).blockedWhen(server, () -> true);

    server.close();

    Throwable t = call.thrown();
    assertInstanceOf(SocketClosedException.class, t, "what accept threw: " + t);
  }

  @Test
  void aCallStillWaitingForTheStackThreadWhenTheRuntimeClosesFailsWithSocketClosed() throws Exception {
    // A runtime driven from this thread runs tasks only when told, so the accept's first attempt
    // is certainly still queued (not yet run) when the runtime closes.
    VirtualClock clock = new VirtualClock();
    StackRuntime driven = StackRuntime.open(config(SERVER), new MemoryDevice(1500, clock), clock);
    try {
      driven.doWork(); // this thread is the stack thread from now on
      CompletableFuture<TcpServerSocket> bound = CompletableFuture.supplyAsync(() -> {
        try {
          return TcpServerSocket.bind(driven, PORT, 4, CONFIG);
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      });
      long deadline = System.nanoTime() + HANG_GUARD.toNanos();
      while (!bound.isDone() && System.nanoTime() - deadline < 0) {
        driven.doWork();
        Thread.yield();
      }
      TcpServerSocket listening = bound.get(HANG_GUARD.toSeconds(), TimeUnit.SECONDS);
      Call call = new Call("accept", listening::accept);
      call.awaitWaiting(() -> true); // waiting for its attempt, which nobody runs

      driven.close();

      Throwable t = call.thrown();
      assertInstanceOf(SocketClosedException.class, t, "what accept threw: " + t);
    } finally {
      driven.close();
    }
  }

  @Test
  void theLinkCarriesAConnectionBothWaysSoTheCausesAboveAreTheOnlyOnes() throws Exception {
    // The control case: with nothing done to it, a blocked read returns the data the peer sends.
    TcpSocket[] pair = connect();
    Call call = new Call("read", () -> pair[0].read(new byte[100], 0, 100)).blockedWhen(client, () -> true);
    pair[1].write(new byte[] {1, 2, 3}, 0, 3);
    assertEquals(3, call.outcome.get(HANG_GUARD.toSeconds(), TimeUnit.SECONDS));
    pair[1].close();
    assertEquals(-1, pair[0].read(new byte[100], 0, 100));
  }
}
