package io.tcpstack.api;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.tcpstack.StackConfig;
import io.tcpstack.runtime.StackRuntime;
import io.tcpstack.tcp.TcpConfig;
import io.tcpstack.tcp.TcpState;
import io.tcpstack.testing.Interrupter;
import io.tcpstack.testing.Packets;
import io.tcpstack.testing.PipeDevice;
import io.tcpstack.wire.Ipv4Address;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.Inet4Address;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Cancelling each blocking call — {@code read}, {@code write}, {@code connect}, {@code accept} —
 * by interrupt and by timeout leaves the connection consistent: a read's bytes are returned or still
 * readable, a write says how much it queued, and a cancelled connect or accept leaves no connection
 * without an owner (the stacks' connection counts and the accept queue say so). Two stacks on their
 * own threads over an in-memory link ({@link PipeDevice}), no TUN. Streams are compared byte for
 * byte; the random points of interruption come from a seed (thread timing still varies). Timeouts
 * are asserted by their outcome, never their duration; the waits below are hang guards.
 */
class CancellationTest {

  private static final Duration GUARD = SocketPair.GUARD;
  private static final int CLIENT = Packets.HOST;
  private static final int SERVER = Packets.STACK;
  private static final int PORT = 7;
  private static final int BUFFER = 4096;
  /** Small buffers: rings and windows fill at once, so writers wait and time out often. */
  private static final TcpConfig SMALL = TcpConfig.builder().sendBufferSize(BUFFER).receiveBufferSize(BUFFER).build();

  private PipeDevice[] link;
  private StackRuntime client;
  private StackRuntime server;
  private TcpServerSocket listening;
  private final List<Thread> threads = new CopyOnWriteArrayList<>();

  @BeforeEach
  void start() throws IOException {
    link = PipeDevice.pair(1500);
    client = StackRuntime.start(config(CLIENT), link[0]);
    server = StackRuntime.start(config(SERVER), link[1]);
    listening = TcpServerSocket.bind(server, PORT, 128, SMALL);
  }

  @AfterEach
  void stop() throws InterruptedException {
    for (Thread t : threads) {
      t.interrupt();
    }
    client.close();
    server.close();
    for (Thread t : threads) {
      t.join(GUARD.toMillis());
    }
    Thread.interrupted(); // a test may have interrupted this thread on purpose
  }

  private static StackConfig config(int address) {
    return StackConfig.builder().address(address, 24).mtu(1500).build();
  }

  private TcpSocket connect() throws IOException {
    return TcpSocket.connect(client, (Inet4Address) Ipv4Address.toInet(SERVER), PORT, GUARD, SMALL);
  }

  private static int openConnections(StackRuntime runtime) throws Exception {
    return runtime.call(() -> runtime.stack().tcp().openConnectionCount()).get(GUARD.toSeconds(), TimeUnit.SECONDS);
  }

  /** Waits (hang guard) until {@code condition} holds; for states the stacks reach on their own. */
  private static void eventually(String what, Check condition) throws Exception {
    long deadline = System.nanoTime() + GUARD.toNanos();
    while (!condition.holds()) {
      if (System.nanoTime() - deadline > 0) {
        fail(what + ": not so within " + GUARD.toSeconds() + " s");
      }
      Thread.sleep(1);
    }
  }

  @FunctionalInterface
  private interface Check {
    boolean holds() throws Exception;
  }

  /**
   * Occupies {@code runtime}'s stack thread until the returned latch is counted down: a call handed
   * over meanwhile waits in the queue, so a thread can be interrupted while the stack thread is
   * about to run its work.
   */
  private static CountDownLatch occupy(StackRuntime runtime) throws InterruptedException {
    CountDownLatch busy = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    runtime.execute(() -> {
      busy.countDown();
      try {
        release.await();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    });
    assertTrue(busy.await(GUARD.toSeconds(), TimeUnit.SECONDS));
    return release;
  }

  // ------------------------------------------------------------------ a call on a thread of its own

  /** A blocking call on an application thread of its own; its outcome and its interrupt flag after. */
  private final class Call<T> {
    final Thread thread;
    final CompletableFuture<T> outcome = new CompletableFuture<>();
    volatile boolean interruptedAfter;

    Call(String name, IoCall<T> body) {
      thread = new Thread(() -> {
        try {
          T result = body.run();
          interruptedAfter = Thread.interrupted();
          outcome.complete(result);
        } catch (Throwable t) {
          interruptedAfter = Thread.interrupted();
          outcome.completeExceptionally(t);
        }
      }, name);
      thread.setDaemon(true);
      threads.add(thread);
      thread.start();
    }

    /** Waits until the thread sleeps (in the call: it has nothing else to sleep on) and {@code also} holds. */
    Call<T> whenWaiting(BooleanSupplier also) throws Exception {
      eventually(thread.getName() + " waiting", () -> {
        if (outcome.isDone()) {
          fail(thread.getName() + " ended instead of waiting: " + describe());
        }
        Thread.State s = thread.getState();
        return (s == Thread.State.WAITING || s == Thread.State.TIMED_WAITING) && also.getAsBoolean();
      });
      return this;
    }

    Call<T> whenWaiting() throws Exception {
      return whenWaiting(() -> true);
    }

    T result() throws Exception {
      try {
        return outcome.get(GUARD.toSeconds(), TimeUnit.SECONDS);
      } catch (ExecutionException e) {
        throw new AssertionError(thread.getName() + " failed", e.getCause());
      }
    }

    Throwable thrown() throws Exception {
      try {
        T r = outcome.get(GUARD.toSeconds(), TimeUnit.SECONDS);
        return fail(thread.getName() + " returned " + r + " instead of failing");
      } catch (ExecutionException e) {
        return e.getCause();
      } catch (TimeoutException e) {
        return fail(thread.getName() + " still blocked after " + GUARD.toSeconds() + " s");
      }
    }

    private String describe() {
      try {
        return String.valueOf(outcome.getNow(null));
      } catch (Exception e) {
        return e.getCause().toString();
      }
    }
  }

  @FunctionalInterface
  private interface IoCall<T> {
    T run() throws Exception;
  }

  private static byte[] pattern(long seed, long from, int len) {
    byte[] b = new byte[len];
    for (int i = 0; i < len; i++) {
      b[i] = at(seed, from + i);
    }
    return b;
  }

  /** Byte {@code pos} of the stream {@code seed}: a mix of both, so a shifted stream differs. */
  private static byte at(long seed, long pos) {
    long x = (pos + seed) * 0x9E3779B97F4A7C15L;
    x ^= x >>> 29;
    return (byte) (x ^ (x >>> 17));
  }

  private static void readFully(TcpSocket s, byte[] b) throws IOException {
    int done = 0;
    while (done < b.length) {
      int n = s.read(b, done, b.length - done);
      if (n < 0) {
        fail("end of stream after " + done + " of " + b.length + " bytes");
      }
      done += n;
    }
  }

  // ================================================================== accept

  @Test
  void anAcceptInterruptedWhileTheStackThreadHandsItAConnectionReturnsIt() throws Exception {
    TcpSocket c = connect();
    eventually("the connection waits to be accepted", () -> listening.pending() == 1);
    CountDownLatch release = occupy(server);
    Call<TcpSocket> accept;
    try {
      accept = new Call<>("accept", () -> listening.accept(GUARD)).whenWaiting();
      accept.thread.interrupt(); // while its attempt waits for the stack thread, which will take the connection
    } finally {
      release.countDown();
    }
    TcpSocket s = accept.result();
    assertNotNull(s, "the connection the stack thread took is returned, not dropped");
    assertTrue(accept.interruptedAfter, "and the interrupt flag is still set");
    assertEquals(0, listening.pending());
    assertEquals(1, openConnections(server));
    c.write(new byte[] {1, 2, 3}, 0, 3);
    byte[] got = new byte[3];
    readFully(s, got);
    assertArrayEquals(new byte[] {1, 2, 3}, got, "the accepted connection works");
  }

  @Test
  void anAcceptInterruptedWhileWaitingTakesNothingAndTheNextAcceptGetsTheConnection() throws Exception {
    Call<TcpSocket> accept = new Call<>("accept", () -> listening.accept()).whenWaiting();
    accept.thread.interrupt();
    Throwable t = accept.thrown();
    assertInstanceOf(InterruptedIOException.class, t);
    assertFalse(t instanceof SocketTimeoutException, t.toString());
    assertTrue(accept.interruptedAfter, "the interrupt flag is set");

    connect();
    TcpSocket s = listening.accept(GUARD);
    assertNotNull(s);
    assertEquals(0, listening.pending());
    assertEquals(1, openConnections(server));
  }

  @Test
  void anAcceptThatTimesOutTakesNothingAndTheNextAcceptGetsTheConnection() throws Exception {
    Call<TcpSocket> accept = new Call<>("accept", () -> listening.accept(Duration.ofMillis(20)));
    Throwable t = accept.thrown();
    assertInstanceOf(SocketTimeoutException.class, t);
    assertFalse(accept.interruptedAfter, "a timeout does not touch the interrupt flag");

    connect();
    assertNotNull(listening.accept(GUARD));
    assertEquals(0, listening.pending());
  }

  @Test
  void anAlreadyInterruptedThreadStillAcceptsAWaitingConnectionAndKeepsItsFlag() throws Exception {
    connect();
    eventually("the connection waits to be accepted", () -> listening.pending() == 1);
    Thread.currentThread().interrupt();
    TcpSocket s = listening.accept(GUARD);
    assertTrue(Thread.interrupted(), "the flag is still set");
    assertNotNull(s);
    assertEquals(0, listening.pending());
  }

  /**
   * Connections arrive while one thread accepts under random interrupts and random short timeouts:
   * every connection is accepted exactly once (each sends its number), none is left in the queue or
   * held by nobody.
   */
  @ParameterizedTest
  @ValueSource(longs = {1, 2, 3})
  void acceptsUnderRandomInterruptsAndTimeoutsLoseNoConnection(long seed) throws Exception {
    int n = 100;
    AtomicLong interrupts = new AtomicLong();
    AtomicLong cancelled = new AtomicLong();
    Interrupter interrupter = new Interrupter(interrupts, seed, threads);
    Call<List<TcpSocket>> acceptor = new Call<>("acceptor", () -> {
      SplittableRandom random = new SplittableRandom(seed);
      List<TcpSocket> accepted = new ArrayList<>();
      while (accepted.size() < n) {
        Duration timeout = random.nextBoolean() ? Duration.ZERO : Duration.ofNanos(1 + random.nextInt(2_000_000));
        try {
          accepted.add(listening.accept(timeout));
        } catch (InterruptedIOException e) { // a timeout or an interrupt: nothing was taken
          Thread.interrupted();
          cancelled.incrementAndGet();
        }
      }
      interrupter.stopAndJoin();
      return accepted;
    });
    interrupter.target(acceptor.thread);
    List<TcpSocket> clients = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      TcpSocket c = connect();
      c.write(ByteBuffer.allocate(4).putInt(i).array(), 0, 4);
      clients.add(c);
    }
    List<TcpSocket> accepted = acceptor.result();
    Set<Integer> numbers = new HashSet<>();
    for (TcpSocket s : accepted) {
      byte[] b = new byte[4];
      readFully(s, b);
      assertTrue(numbers.add(ByteBuffer.wrap(b).getInt()), "a connection accepted twice");
    }
    assertEquals(n, numbers.size(), "every connection accepted once");
    assertEquals(0, listening.pending(), "nothing left in the accept queue");
    assertEquals(n, openConnections(server), "no connection on the server without its socket");
    System.out.printf(Locale.ROOT, "CancellationTest accepts seed %d: %d connections, %d interrupts sent,"
        + " %d accepts cancelled%n", seed, n, interrupts.get(), cancelled.get());
  }

  // ================================================================== connect

  @Test
  void aConnectInterruptedWhileTheStackThreadOpensItsConnectionAbortsIt() throws Exception {
    link[1].drop(true); // the server's answers are lost: the handshake cannot complete
    CountDownLatch release = occupy(client);
    Call<TcpSocket> connect;
    try {
      connect = new Call<>("connect", this::connect).whenWaiting();
      connect.thread.interrupt(); // while the stack thread is about to open the connection
    } finally {
      release.countDown();
    }
    Throwable t = connect.thrown();
    assertInstanceOf(InterruptedIOException.class, t);
    assertFalse(t instanceof SocketTimeoutException, t.toString());
    assertTrue(connect.interruptedAfter, "the interrupt flag is set");
    assertEquals(0, openConnections(client), "the attempt the stack thread made is aborted, not orphaned");
  }

  @Test
  void aConnectInterruptedWhileWaitingForTheHandshakeAbortsIt() throws Exception {
    link[1].drop(true);
    Call<TcpSocket> connect = new Call<>("connect", this::connect).whenWaiting(() -> {
      try {
        return openConnections(client) == 1;
      } catch (Exception e) {
        throw new AssertionError(e);
      }
    });
    connect.thread.interrupt();
    Throwable t = connect.thrown();
    assertInstanceOf(InterruptedIOException.class, t);
    assertTrue(connect.interruptedAfter, "the interrupt flag is set");
    assertEquals(0, openConnections(client));
  }

  @Test
  void aConnectThatTimesOutAbortsItsAttemptAndTheNextConnectWorks() throws Exception {
    link[1].drop(true);
    Call<TcpSocket> connect = new Call<>("connect",
        () -> TcpSocket.connect(client, (Inet4Address) Ipv4Address.toInet(SERVER), PORT, Duration.ofMillis(20), SMALL));
    assertInstanceOf(SocketTimeoutException.class, connect.thrown());
    assertFalse(connect.interruptedAfter, "a timeout does not touch the interrupt flag");
    assertEquals(0, openConnections(client));

    link[1].drop(false);
    TcpSocket c = connect();
    TcpSocket s = listening.accept(GUARD);
    c.write(new byte[] {7}, 0, 1);
    byte[] b = new byte[1];
    readFully(s, b);
    assertEquals(7, b[0]);
  }

  /**
   * Connects under random interrupts and random short timeouts while the server accepts everything:
   * each either returns a working socket or fails having aborted its attempt, so in the end both
   * stacks hold exactly the connections that connect returned.
   */
  @ParameterizedTest
  @ValueSource(longs = {1, 2, 3})
  void connectsUnderRandomInterruptsAndTimeoutsLeaveNoConnectionBehind(long seed) throws Exception {
    int n = 100;
    AtomicLong interrupts = new AtomicLong();
    AtomicLong cancelled = new AtomicLong();
    List<TcpSocket> accepted = new CopyOnWriteArrayList<>();
    Call<Integer> acceptor = new Call<>("acceptor", () -> {
      while (true) {
        try {
          accepted.add(listening.accept());
        } catch (SocketClosedException e) {
          return accepted.size();
        }
      }
    });
    Interrupter interrupter = new Interrupter(interrupts, seed, threads);
    Call<List<TcpSocket>> connector = new Call<>("connector", () -> {
      SplittableRandom random = new SplittableRandom(seed);
      List<TcpSocket> connected = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        Duration timeout = random.nextBoolean() ? GUARD : Duration.ofNanos(1 + random.nextInt(2_000_000));
        try {
          connected.add(TcpSocket.connect(client, (Inet4Address) Ipv4Address.toInet(SERVER), PORT, timeout, SMALL));
        } catch (InterruptedIOException e) { // a timeout or an interrupt: the attempt is aborted
          cancelled.incrementAndGet();
        }
        Thread.interrupted();
      }
      interrupter.stopAndJoin();
      Thread.interrupted();
      return connected;
    });
    interrupter.target(connector.thread);
    List<TcpSocket> connected = connector.result();
    assertEquals(connected.size(), openConnections(client), "the client holds only the connections connect returned");
    eventually("the server holds exactly the connections connect returned (others reset)",
        () -> openConnections(server) == connected.size() && listening.pending() == 0);
    List<TcpSocket> live = new ArrayList<>();
    eventually("the acceptor holds every live connection", () -> {
      live.clear();
      for (TcpSocket s : accepted) {
        if (s.state() != TcpState.CLOSED) { // CLOSED: an attempt aborted after the server had established it (reset)
          live.add(s);
        }
      }
      return live.size() == connected.size();
    });
    // Each returned socket works: its number reaches one accepted socket.
    for (int i = 0; i < connected.size(); i++) {
      connected.get(i).write(ByteBuffer.allocate(4).putInt(i).array(), 0, 4);
    }
    Set<Integer> numbers = new HashSet<>();
    for (TcpSocket s : live) {
      byte[] b = new byte[4];
      readFully(s, b);
      assertTrue(numbers.add(ByteBuffer.wrap(b).getInt()));
    }
    assertEquals(connected.size(), numbers.size(), "every connection connect returned is live at the server");
    System.out.printf(Locale.ROOT, "CancellationTest connects seed %d: %d attempts, %d returned, %d cancelled,"
        + " %d interrupts sent%n", seed, n, connected.size(), cancelled.get(), interrupts.get());
    listening.close();
    acceptor.result();
  }

  // ================================================================== read

  @Test
  void aReadThatTimesOutTakesNothingAndTheNextReadGetsEveryByte() throws Exception {
    TcpSocket c = connect();
    TcpSocket s = listening.accept(GUARD);
    s.setReadTimeout(Duration.ofMillis(20));
    Call<Integer> read = new Call<>("read", () -> s.read(new byte[10], 0, 10));
    Throwable t = read.thrown();
    assertInstanceOf(SocketTimeoutException.class, t);
    assertEquals(0, ((SocketTimeoutException) t).bytesTransferred);
    assertFalse(read.interruptedAfter, "a timeout does not touch the interrupt flag");

    c.write(pattern(1, 0, 1000), 0, 1000);
    s.setReadTimeout(Duration.ZERO);
    byte[] got = new byte[1000];
    readFully(s, got);
    assertArrayEquals(pattern(1, 0, 1000), got);
  }

  @Test
  void aReadInterruptedWhileWaitingTakesNothingAndTheNextReadGetsEveryByte() throws Exception {
    TcpSocket c = connect();
    TcpSocket s = listening.accept(GUARD);
    Call<Integer> read = new Call<>("read", () -> s.read(new byte[10], 0, 10)).whenWaiting();
    read.thread.interrupt();
    Throwable t = read.thrown();
    assertInstanceOf(InterruptedIOException.class, t);
    assertEquals(0, ((InterruptedIOException) t).bytesTransferred);
    assertTrue(read.interruptedAfter, "the interrupt flag is set");

    c.write(pattern(2, 0, 1000), 0, 1000);
    byte[] got = new byte[1000];
    readFully(s, got);
    assertArrayEquals(pattern(2, 0, 1000), got);
  }

  @Test
  void anAlreadyInterruptedThreadStillReadsWhatIsThereAndKeepsItsFlag() throws Exception {
    TcpSocket c = connect();
    TcpSocket s = listening.accept(GUARD);
    c.write(pattern(3, 0, 100), 0, 100);
    eventually("the bytes arrived", () -> s.available() == 100);
    Thread.currentThread().interrupt();
    byte[] got = new byte[100];
    int n = s.read(got, 0, 100);
    assertTrue(Thread.interrupted(), "the flag is still set");
    assertEquals(100, n);
    assertArrayEquals(pattern(3, 0, 100), got);
  }

  // ================================================================== write

  /** The server does not read: the client's write fills both buffers and waits. */
  private void aWriteCancelledReportsWhatItQueuedAndTheStreamStaysExact(boolean byTimeout) throws Exception {
    TcpSocket c = connect();
    TcpSocket s = listening.accept(GUARD);
    int total = 1 << 20;
    byte[] data = pattern(4, 0, total);
    if (byTimeout) {
      c.setWriteTimeout(Duration.ofMillis(20));
    }
    Call<Integer> write = new Call<>("write", () -> {
      c.write(data, 0, total);
      return total;
    });
    if (!byTimeout) {
      write.whenWaiting(() -> true).thread.interrupt();
    }
    Throwable t = write.thrown();
    InterruptedIOException x = assertInstanceOf(InterruptedIOException.class, t);
    assertEquals(byTimeout, t instanceof SocketTimeoutException, t.toString());
    assertEquals(!byTimeout, write.interruptedAfter, "the interrupt flag is set by an interrupt, not by a timeout");
    int queued = x.bytesTransferred;
    assertTrue(queued > 0 && queued < total, "part of the write was queued: " + queued);

    // The rest follows on from exactly where the write stopped; the reader sees one exact stream.
    c.setWriteTimeout(Duration.ZERO);
    Call<Integer> rest = new Call<>("rest", () -> {
      c.write(data, queued, total - queued);
      return total - queued;
    });
    byte[] got = new byte[total];
    readFully(s, got);
    assertEquals(total - queued, rest.result());
    assertArrayEquals(data, got, "no byte lost or duplicated around the cancelled write");
  }

  @Test
  void aWriteThatTimesOutReportsWhatItQueuedAndTheStreamStaysExact() throws Exception {
    aWriteCancelledReportsWhatItQueuedAndTheStreamStaysExact(true);
  }

  @Test
  void aWriteInterruptedWhileWaitingReportsWhatItQueuedAndTheStreamStaysExact() throws Exception {
    aWriteCancelledReportsWhatItQueuedAndTheStreamStaysExact(false);
  }

  // ================================================================== streams under both

  /**
   * A writer and a reader of 2 MiB, both interrupted again and again at random points and both
   * with random short timeouts: the reader retries after every cancelled read, the writer
   * continues after the bytes each cancelled write reports, and the stream arrives byte-exact.
   */
  @ParameterizedTest
  @ValueSource(longs = {11, 12, 13})
  void aStreamWhoseReaderAndWriterAreInterruptedAndTimedOutArrivesByteExact(long seed) throws Exception {
    int total = 2 << 20;
    TcpSocket c = connect();
    TcpSocket s = listening.accept(GUARD);
    AtomicLong interrupts = new AtomicLong();
    AtomicLong cancelledWrites = new AtomicLong();
    AtomicLong cancelledReads = new AtomicLong();
    AtomicLong timeouts = new AtomicLong();
    Interrupter atWriter = new Interrupter(interrupts, seed ^ 1, threads);
    Interrupter atReader = new Interrupter(interrupts, seed ^ 2, threads);
    Call<Long> writer = new Call<>("writer", () -> {
      SplittableRandom random = new SplittableRandom(seed);
      long pos = 0;
      while (pos < total) {
        int len = (int) Math.min(1 + random.nextInt(3 * BUFFER), total - pos);
        byte[] chunk = pattern(seed, pos, len);
        int done = 0;
        while (done < len) {
          c.setWriteTimeout(random.nextBoolean() ? Duration.ZERO : Duration.ofNanos(1 + random.nextInt(500_000)));
          try {
            c.write(chunk, done, len - done);
            done = len;
          } catch (InterruptedIOException e) {
            Thread.interrupted();
            if (e instanceof SocketTimeoutException) {
              timeouts.incrementAndGet();
            }
            cancelledWrites.incrementAndGet();
            assertTrue(e.bytesTransferred >= 0 && e.bytesTransferred <= len - done);
            done += e.bytesTransferred;
          }
        }
        pos += len;
      }
      atWriter.stopAndJoin();
      Thread.interrupted();
      c.setWriteTimeout(Duration.ZERO);
      c.shutdownOutput();
      return pos;
    });
    Call<Long> reader = new Call<>("reader", () -> {
      SplittableRandom random = new SplittableRandom(~seed);
      byte[] chunk = new byte[3 * BUFFER];
      long pos = 0;
      while (true) {
        s.setReadTimeout(random.nextBoolean() ? Duration.ZERO : Duration.ofNanos(1 + random.nextInt(500_000)));
        int n;
        try {
          n = s.read(chunk, 0, 1 + random.nextInt(chunk.length));
        } catch (InterruptedIOException e) {
          Thread.interrupted();
          if (e instanceof SocketTimeoutException) {
            timeouts.incrementAndGet();
          }
          assertEquals(0, e.bytesTransferred, "a cancelled read takes nothing");
          cancelledReads.incrementAndGet();
          continue;
        }
        if (n < 0) {
          break;
        }
        for (int i = 0; i < n; i++) {
          if (chunk[i] != at(seed, pos + i)) {
            fail("byte " + (pos + i) + " differs from what was sent (lost, duplicated or reordered)");
          }
        }
        pos += n;
      }
      atReader.stopAndJoin();
      return pos;
    });
    atWriter.target(writer.thread);
    atReader.target(reader.thread);
    assertEquals(total, writer.result());
    assertEquals(total, reader.result(), "every byte, once, in order");
    System.out.printf(Locale.ROOT, "CancellationTest stream seed %d: %d bytes; %d interrupts sent; writes cancelled %d,"
        + " reads cancelled %d, of them by timeout %d%n", seed, total, interrupts.get(), cancelledWrites.get(),
        cancelledReads.get(), timeouts.get());
  }
}
