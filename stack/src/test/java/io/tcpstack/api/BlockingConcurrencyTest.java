package io.tcpstack.api;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.tcpstack.tcp.TcpConfig;
import io.tcpstack.testing.Interrupter;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The blocking API under concurrent readers and writers and interrupts: no byte lost or duplicated,
 * and an interrupted read leaves its data readable. Two stacks on their own threads over an
 * in-memory link ({@link SocketPair}); every stream is compared byte for byte against the generator
 * that wrote it. The random sizes come from a seed printed with each run (thread timing still
 * varies). Nothing is asserted on time.
 */
class BlockingConcurrencyTest {

  /** Bytes streamed each way in the concurrent test. */
  private static final int STREAM_BYTES = 4 << 20;

  /** The connection's buffer sizes, and so the rings' ({@link SocketBuffers#ringCapacity}). */
  enum Buffers {
    /** 4 KiB: rings and windows fill at once, so every path that waits or kicks is taken often. */
    SMALL(TcpConfig.builder().sendBufferSize(4096).receiveBufferSize(4096).build()),
    /** The defaults: 64 KiB rings before 256 KiB buffers. */
    DEFAULT(TcpConfig.DEFAULT);

    final TcpConfig config;

    Buffers(TcpConfig config) {
      this.config = config;
    }

    /** The largest read or write: three rings, so that some calls span several fills. */
    int maxChunk() {
      return 3 * SocketBuffers.ringCapacity(config.sendBufferSize());
    }
  }

  private final List<Thread> threads = new ArrayList<>();
  private SocketPair pair;

  @AfterEach
  void stop() throws InterruptedException {
    if (pair != null) {
      pair.close();
    }
    for (Thread t : threads) {
      t.interrupt();
      t.join(SocketPair.GUARD.toMillis());
    }
    Thread.interrupted(); // this thread may have been interrupted by a test on purpose
  }

  // ------------------------------------------------------------------ streams both ways at once

  @ParameterizedTest
  @EnumSource(Buffers.class)
  void concurrentReadersAndWritersBothWaysUnderRepeatedInterruptsLoseAndDuplicateNothing(Buffers buffers) throws Exception {
    long seed = System.nanoTime();
    System.out.println("BlockingConcurrencyTest " + buffers + ": seed " + seed);
    pair = SocketPair.open(buffers.config);
    Stream up = new Stream("client to server", pair.client, pair.server, seed, buffers.maxChunk());
    Stream down = new Stream("server to client", pair.server, pair.client, seed + 1, buffers.maxChunk());

    up.start();
    down.start();
    for (Stream s : new Stream[] {up, down}) {
      result(s.sent, s.name + ": writing");
      long received = result(s.received, s.name + ": reading");
      assertEquals(STREAM_BYTES, received, s.name + ": every byte arrived once, then the end of the stream");
      System.out.printf(Locale.ROOT, "BlockingConcurrencyTest %s %s: %d bytes; interrupts sent to the reader %d,"
              + " to the writer %d; reads interrupted %d, writes interrupted %d (%d bytes taken before)%n",
          buffers, s.name, received, s.readerInterrupts.get(), s.writerInterrupts.get(), s.interruptedReads.get(),
          s.interruptedWrites.get(), s.bytesBeforeInterrupt.get());
    }
    pair.assertNoLoopErrors();
  }

  /**
   * One direction: a writer of {@link #STREAM_BYTES} in random-sized writes, a reader with random
   * sizes that checks every byte against the generator, and a thread interrupting each of them
   * again and again. An interrupted read must have taken nothing; an interrupted write continues
   * after the bytes it says were taken.
   */
  private final class Stream {
    final String name;
    final TcpSocket from;
    final TcpSocket to;
    final long seed;
    final int maxChunk;
    final AtomicLong readerInterrupts = new AtomicLong();
    final AtomicLong writerInterrupts = new AtomicLong();
    final AtomicLong interruptedReads = new AtomicLong();
    final AtomicLong interruptedWrites = new AtomicLong();
    final AtomicLong bytesBeforeInterrupt = new AtomicLong();
    final CompletableFuture<Long> sent = new CompletableFuture<>();
    final CompletableFuture<Long> received = new CompletableFuture<>();
    private Interrupter atWriter;
    private Interrupter atReader;

    Stream(String name, TcpSocket from, TcpSocket to, long seed, int maxChunk) {
      this.name = name;
      this.from = from;
      this.to = to;
      this.seed = seed;
      this.maxChunk = maxChunk;
    }

    void start() {
      atWriter = new Interrupter(writerInterrupts, seed ^ 1, threads);
      atReader = new Interrupter(readerInterrupts, seed ^ 2, threads);
      sent.whenComplete((r, t) -> atWriter.stop());
      received.whenComplete((r, t) -> atReader.stop());
      atWriter.target(thread(name + " writer", sent, this::write));
      atReader.target(thread(name + " reader", received, this::read));
    }

    private long write() throws IOException, InterruptedException {
      SplittableRandom random = new SplittableRandom(seed);
      byte[] chunk = new byte[maxChunk];
      long pos = 0;
      while (pos < STREAM_BYTES) {
        int len = (int) Math.min(size(random, maxChunk), STREAM_BYTES - pos);
        fill(chunk, seed, pos, len);
        int done = 0;
        while (done < len) {
          try {
            from.write(chunk, done, len - done);
            done = len;
          } catch (InterruptedIOException e) {
            assertTrue(Thread.interrupted(), "the interrupt flag is set again");
            interruptedWrites.incrementAndGet();
            bytesBeforeInterrupt.addAndGet(e.bytesTransferred);
            done += e.bytesTransferred; // those were taken; the rest was not
          }
        }
        pos += len;
      }
      atWriter.stopAndJoin(); // shutdownOutput waits for the stack thread: not to be interrupted
      Thread.interrupted();
      from.shutdownOutput(); // FIN after every byte
      return pos;
    }

    private long read() throws IOException, InterruptedException {
      SplittableRandom random = new SplittableRandom(~seed);
      byte[] chunk = new byte[maxChunk];
      long pos = 0;
      while (true) {
        int n;
        try {
          n = to.read(chunk, 0, size(random, maxChunk));
        } catch (InterruptedIOException e) {
          assertTrue(Thread.interrupted(), "the interrupt flag is set again");
          assertEquals(0, e.bytesTransferred, "an interrupted read takes nothing");
          interruptedReads.incrementAndGet();
          continue;
        }
        if (n < 0) {
          break;
        }
        for (int i = 0; i < n; i++) {
          if (chunk[i] != at(seed, pos + i)) {
            fail(name + ": byte " + (pos + i) + " differs from what was sent (a byte lost, duplicated or reordered)");
          }
        }
        pos += n;
        if (pos > STREAM_BYTES) {
          fail(name + ": " + pos + " bytes received, more than the " + STREAM_BYTES + " sent");
        }
      }
      return pos;
    }
  }


  // ------------------------------------------------------------------ several writers on one socket

  @Test
  void concurrentWritersEachKeepTheirWritesWholeAndTheReaderGetsEveryRecordOnce() throws Exception {
    int writers = 3;
    int records = 1500;
    long seed = System.nanoTime();
    System.out.println("BlockingConcurrencyTest writers: seed " + seed);
    pair = SocketPair.open(Buffers.SMALL.config);
    List<CompletableFuture<Long>> written = new ArrayList<>();
    for (int w = 0; w < writers; w++) {
      int id = w;
      CompletableFuture<Long> done = new CompletableFuture<>();
      written.add(done);
      thread("writer " + w, done, () -> {
        SplittableRandom random = new SplittableRandom(seed + id);
        for (int k = 0; k < records; k++) {
          byte[] record = record(seed, id, k, random.nextInt(3 * 4096));
          pair.client.write(record, 0, record.length); // one write, one record: writes never interleave
        }
        return (long) records;
      });
    }
    CompletableFuture<Long> read = new CompletableFuture<>();
    AtomicLong interrupts = new AtomicLong();
    Interrupter atReader = new Interrupter(interrupts, seed, threads);
    read.whenComplete((r, t) -> atReader.stop());
    atReader.target(thread("reader", read, () -> {
      int[] next = new int[writers];
      long total = 0;
      byte[] header = new byte[12];
      while (readFully(pair.server, header, header.length, true)) {
        ByteBuffer h = ByteBuffer.wrap(header);
        int id = h.getInt();
        int k = h.getInt();
        int length = h.getInt();
        assertTrue(id >= 0 && id < writers && length >= 0 && length < 3 * 4096, "a record header, not the middle of a record");
        assertEquals(next[id], k, "writer " + id + "'s records in order, none lost or repeated");
        byte[] payload = new byte[length];
        readFully(pair.server, payload, length, false);
        assertArrayEquals(record(seed, id, k, length), concat(header, payload), "record " + k + " of writer " + id);
        next[id]++;
        total++;
      }
      for (int w = 0; w < writers; w++) {
        assertEquals(records, next[w], "every record of writer " + w);
      }
      return total;
    }));

    for (CompletableFuture<Long> w : written) {
      result(w, "a writer");
    }
    pair.client.close(); // graceful: FIN after every record, however many are still in the rings
    assertEquals((long) writers * records, result(read, "the reader"));
    System.out.println("BlockingConcurrencyTest writers: " + interrupts.get() + " interrupts sent to the reader");
    pair.assertNoLoopErrors();
  }

  /** Reads exactly {@code n} bytes, going on after interrupts; false at a clean end of stream if allowed. */
  private static boolean readFully(TcpSocket s, byte[] b, int n, boolean endAllowed) throws IOException {
    int done = 0;
    while (done < n) {
      int r;
      try {
        r = s.read(b, done, n - done);
      } catch (InterruptedIOException e) {
        Thread.interrupted();
        assertEquals(0, e.bytesTransferred);
        continue;
      }
      if (r < 0) {
        if (done == 0 && endAllowed) {
          return false;
        }
        fail("the stream ended inside a record, after " + done + " of " + n + " bytes");
      }
      done += r;
    }
    return true;
  }

  private static byte[] record(long seed, int id, int k, int length) {
    ByteBuffer r = ByteBuffer.allocate(12 + length).putInt(id).putInt(k).putInt(length);
    long stream = seed ^ ((long) id << 40) ^ ((long) k << 8);
    for (int i = 0; i < length; i++) {
      r.put(at(stream, i));
    }
    return r.array();
  }

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] r = new byte[a.length + b.length];
    System.arraycopy(a, 0, r, 0, a.length);
    System.arraycopy(b, 0, r, a.length, b.length);
    return r;
  }

  // ------------------------------------------------------------------ one interrupt, exactly

  @Test
  void anInterruptedReadTakesNothingAndLeavesEveryByteForTheNextRead() throws Exception {
    pair = SocketPair.open(TcpConfig.DEFAULT);
    byte[] b = new byte[100];
    Thread me = Thread.currentThread();
    interruptWhenWaiting(me);

    InterruptedIOException e = assertThrowsInterrupted(() -> pair.client.read(b, 0, b.length));
    assertEquals(0, e.bytesTransferred, "nothing was read");
    assertTrue(me.isInterrupted(), "the interrupt flag is set again, as java.io does");

    byte[] hello = "hello, interrupted reader".getBytes(StandardCharsets.US_ASCII);
    pair.server.write(hello, 0, hello.length);
    awaitAvailable(pair.client, hello.length);
    // Still interrupted: a read that need not wait returns what is there all the same.
    assertEquals(5, pair.client.read(b, 0, 5));
    assertEquals(hello.length - 5, pair.client.read(b, 5, b.length - 5));
    assertArrayEquals(hello, Arrays.copyOf(b, hello.length));
    assertTrue(Thread.interrupted(), "the flag is still set (and now cleared)");

    // Interrupted while data is in flight: whatever arrives is read later, none of it lost.
    interruptWhenWaiting(me);
    assertThrowsInterrupted(() -> pair.client.read(b, 0, b.length));
    Thread.interrupted();
    pair.server.write(hello, 0, hello.length);
    pair.server.shutdownOutput();
    byte[] all = pair.client.getInputStream().readAllBytes();
    assertArrayEquals(hello, all, "every byte sent after the interrupt, then the end of the stream");
  }

  @Test
  void anInterruptedWriteSaysHowManyBytesItTookAndExactlyThoseArrive() throws Exception {
    pair = SocketPair.open(Buffers.SMALL.config);
    byte[] data = new byte[1 << 20];
    fill(data, 42, 0, data.length);
    Thread me = Thread.currentThread();
    interruptWhenWaiting(me); // the server reads nothing: the write fills every buffer, then waits

    InterruptedIOException e = assertThrowsInterrupted(() -> pair.client.write(data, 0, data.length));
    int taken = e.bytesTransferred;
    assertTrue(taken > 0 && taken < data.length, "part of the write was taken: " + taken);
    assertTrue(Thread.interrupted(), "the interrupt flag is set again");

    pair.client.shutdownOutput();
    byte[] arrived = pair.server.getInputStream().readAllBytes();
    assertEquals(taken, arrived.length, "exactly the bytes the write said it took");
    assertArrayEquals(Arrays.copyOf(data, taken), arrived);
  }

  /** Interrupts {@code target} once it waits (blocked in a socket call). */
  private void interruptWhenWaiting(Thread target) {
    Thread t = new Thread(() -> {
      long deadline = System.nanoTime() + SocketPair.GUARD.toNanos();
      while (target.getState() != Thread.State.WAITING && target.getState() != Thread.State.TIMED_WAITING) {
        if (System.nanoTime() - deadline > 0) {
          return; // the test fails on its own: the call never blocked
        }
        Thread.onSpinWait();
      }
      target.interrupt();
    }, "interrupt-when-waiting");
    t.setDaemon(true);
    threads.add(t);
    t.start();
  }

  @FunctionalInterface
  private interface IoCall {
    void run() throws IOException;
  }

  private static InterruptedIOException assertThrowsInterrupted(IoCall call) throws IOException {
    try {
      call.run();
    } catch (InterruptedIOException e) {
      return e;
    }
    return fail("expected an InterruptedIOException");
  }

  private static void awaitAvailable(TcpSocket s, int n) throws IOException {
    long deadline = System.nanoTime() + SocketPair.GUARD.toNanos();
    while (s.available() < n) {
      if (System.nanoTime() - deadline > 0) {
        fail("only " + s.available() + " of " + n + " bytes arrived");
      }
      Thread.onSpinWait();
    }
  }

  // ------------------------------------------------------------------ helpers

  @FunctionalInterface
  private interface Work {
    long run() throws Exception;
  }

  private Thread thread(String name, CompletableFuture<Long> outcome, Work work) {
    Thread t = new Thread(() -> {
      try {
        outcome.complete(work.run());
      } catch (Throwable e) {
        outcome.completeExceptionally(e);
      }
    }, name);
    t.setDaemon(true);
    threads.add(t);
    t.start();
    return t;
  }

  private long result(CompletableFuture<Long> f, String what) throws InterruptedException {
    try {
      return f.get(SocketPair.GUARD.toSeconds(), TimeUnit.SECONDS);
    } catch (TimeoutException e) {
      return fail(what + " did not finish within " + SocketPair.GUARD.toSeconds() + " s\n" + diagnostics());
    } catch (ExecutionException e) {
      if (e.getCause() instanceof UncheckedIOException || e.getCause() instanceof IOException) {
        return fail(what + " failed: " + e.getCause(), e.getCause());
      }
      if (e.getCause() instanceof AssertionError) {
        throw (AssertionError) e.getCause();
      }
      return fail(what + " failed: " + e.getCause(), e.getCause());
    }
  }

  /** Both sockets, and where each test thread is. */
  private String diagnostics() {
    StringBuilder d = new StringBuilder();
    d.append("client: ").append(pair.client.describe()).append('\n');
    d.append("server: ").append(pair.server.describe()).append('\n');
    for (Thread t : threads) {
      d.append(t.getName()).append(' ').append(t.getState()).append('\n');
      for (StackTraceElement f : t.getStackTrace()) {
        d.append("\tat ").append(f).append('\n');
      }
    }
    return d.toString();
  }

  /** Mostly small, sometimes large: 1 to {@code max}, log-uniform. */
  private static int size(SplittableRandom random, int max) {
    int bits = 32 - Integer.numberOfLeadingZeros(max);
    return Math.min(max, 1 + random.nextInt(1 << random.nextInt(bits + 1)));
  }

  private static void fill(byte[] b, long seed, long pos, int len) {
    for (int i = 0; i < len; i++) {
      b[i] = at(seed, pos + i);
    }
  }

  /** Byte {@code pos} of the stream {@code seed}: SplitMix64 of the position, so no period hides a slip. */
  static byte at(long seed, long pos) {
    long z = seed + pos * 0x9E3779B97F4A7C15L;
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return (byte) (z ^ (z >>> 31));
  }
}
