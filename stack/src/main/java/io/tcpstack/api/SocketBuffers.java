package io.tcpstack.api;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.tcpstack.tcp.TcpConnection;
import io.tcpstack.tcp.TcpError;
import io.tcpstack.tcp.TcpState;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.SocketTimeoutException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The data path of a {@link TcpSocket}: a send ring and a receive ring ({@link ByteRing}) between
 * the application's threads and the stack thread, so that a read or a write crosses to the stack
 * thread only to wait, or to kick it into moving bytes — never once per call. The connection itself
 * stays the stack thread's alone (the core is single-threaded); the rings are the only memory both
 * sides touch.
 *
 * <ul>
 *   <li><b>Write</b>: the application copies into the send ring and returns. If the stack thread is
 *       not already due to come back to the ring on its own (it is, while the connection's send
 *       buffer is full: {@code onWritable} will drain), it is kicked: this object, a preallocated
 *       task, is handed to the loop unless it is queued already. The stack thread moves the ring
 *       into the connection ({@link TcpConnection#send}) on the kick and on every {@code
 *       onWritable}. A writer blocks only while the ring is full.
 *   <li><b>Read</b>: the application takes from the receive ring. The stack thread fills it from the
 *       connection ({@link TcpConnection#receive}, which reopens the window) on every {@code
 *       onReadable}; if the ring was full with more waiting in the connection, the reader kicks it
 *       once it has freed a quarter of the ring. A reader blocks only while the ring is empty.
 * </ul>
 *
 * <p>Each ring is allocated on the first write or read, so a socket that only sends never holds a
 * receive ring; its size is the connection's buffer size rounded up to a power of two, between
 * {@link #MIN_RING} and {@link #MAX_RING}. While a reader has a ring, the stack keeps it filled, so
 * up to the ring's size more than the receive buffer can wait unread (the window stays open for
 * it), as Linux's socket buffers hold more than the window they advertise.
 *
 * <p>Whether a hand-off or a wake-up is needed is decided with Dekker's pattern on volatiles: one
 * side writes its index, then reads the other's flag; the other writes its flag, then reads the
 * index; one of the two sees the other. The steady path allocates nothing: no lambda, future or
 * buffer per call; a kick costs one node in the loop's task queue, at most one per drain or fill
 * cycle, however many calls it covers.
 *
 * <p>Cancelling (interrupts and timeouts) never loses or repeats a byte. The application's thread
 * alone moves bytes between its array and a ring, and it throws only from a wait, where it has
 * moved nothing it does not report: a thread interrupted while it waits gets {@link
 * InterruptedIOException} with its interrupt flag set again, one whose timeout passed {@link
 * SocketTimeoutException} (flag untouched). A read takes nothing before it throws, so every byte
 * stays for the next read; and it does not throw while bytes are on their way from the connection
 * into the ring ({@link #awaitData}). A write keeps what it already put in the ring (it will be
 * sent) and says how much in {@link InterruptedIOException#bytesTransferred}; the rest of the array
 * was not written. A thread that is already interrupted still reads or writes what is there
 * without waiting.
 */
final class SocketBuffers implements Runnable {

  /** The smallest ring: a few segments. */
  static final int MIN_RING = 4 * 1024;
  /**
   * The largest ring: enough that a reader or writer streaming data crosses to the stack thread
   * about once per 16 KiB (a quarter ring) rather than per call, small enough that a thousand
   * blocking sockets, both ways, cost 128 MiB of heap at most.
   */
  static final int MAX_RING = 64 * 1024;

  private final StackCall stack;
  private final String peer;
  private final int sendCapacity;
  private final int receiveCapacity;
  /** This task is in the loop's queue: a kick needs no second one. */
  private final AtomicBoolean queued = new AtomicBoolean();
  /** One reader at a time: the receive ring has one consumer. Held for the whole read. */
  private final ReentrantLock readLock = new ReentrantLock();
  /** One writer at a time: the send ring has one producer, and one write's bytes stay together. */
  private final ReentrantLock writeLock = new ReentrantLock();
  private final byte[] readOne = new byte[1];
  private final byte[] writeOne = new byte[1];

  /** Created by the first writer, then fixed. */
  private volatile ByteRing sendRing;
  /** Created by the first reader, then fixed. */
  private volatile ByteRing receiveRing;
  /** The application closed the socket ({@link TcpSocket#close} or {@link TcpSocket#abort}). */
  private volatile boolean closed;
  /** The application shut output down (or closed): writes fail from now on. */
  private volatile boolean outputShut;
  /** Room a waiting writer needs before it is worth waking. */
  private volatile int writeWant = 1;

  // Published by the stack thread, read by application threads.
  /** The stack thread will drain the send ring on its own ({@code onWritable}): no kick needed. */
  private volatile boolean drainArmed;
  /** The receive ring filled up with more in the connection: a reader that makes room kicks. */
  private volatile boolean fillStalled;
  /** Received bytes still in the connection, not yet in the receive ring. */
  private volatile int backlog;
  /**
   * Bytes the stack thread is moving from the connection into the receive ring right now: counted
   * neither in {@link #backlog} (already lowered) nor in the ring (not yet produced).
   */
  private volatile int moving;
  private volatile TcpError inputError;
  /** No more bytes will come into the receive ring: the peer's FIN, or the connection is over. */
  private volatile boolean inputEnded;
  private volatile TcpError outputError;
  /** The connection takes no more data: the send ring was dropped, writes fail. */
  private volatile boolean outputEnded;
  /** Kicks run on the stack thread (written there only). */
  private volatile long loopTasks;

  // The stack thread's alone.
  private TcpConnection conn;
  private ByteBuf sendView;
  private ByteBuf receiveView;
  /** FIN once the send ring is empty: shutdownOutput or close was called. */
  private boolean finWanted;

  SocketBuffers(StackCall stack, String peer, int sendBufferSize, int receiveBufferSize) {
    this.stack = stack;
    this.peer = peer;
    this.sendCapacity = ringCapacity(sendBufferSize);
    this.receiveCapacity = ringCapacity(receiveBufferSize);
  }

  /** The connection's buffer size rounded up to a power of two, within [MIN_RING, MAX_RING]. */
  static int ringCapacity(int bufferSize) {
    if (bufferSize >= MAX_RING) {
      return MAX_RING;
    }
    return Math.max(MIN_RING, Integer.highestOneBit(Math.max(1, bufferSize - 1)) << 1);
  }

  // ================================================================ application threads

  /**
   * Reads up to {@code len} bytes, blocking until at least one is there; -1 at the end of the
   * peer's stream. {@code timeoutNs} > 0 bounds the wait.
   */
  int read(byte[] b, int off, int len, long timeoutNs) throws IOException {
    ensureOpen();
    if (len == 0) {
      return 0;
    }
    lock(readLock, "read");
    try {
      ByteRing ring = receiveRing;
      if (ring == null) {
        receiveRing = ring = new ByteRing(receiveCapacity);
        kick(); // the stack thread fills it from what the connection holds already
      }
      long deadlineNs = StackCall.deadline(timeoutNs);
      while (true) {
        boolean ended = inputEnded; // before the ring: the stack moves every byte in, then says so
        int n = ring.take(b, off, len);
        if (n > 0) {
          if (fillStalled && ring.free() >= refillRoom(ring)) {
            kickQuietly(); // the window reopens as the stack moves the rest in
          }
          return n;
        }
        if (ended) {
          TcpError error = inputError;
          if (error != null) {
            throw StackCall.exceptionFor(error, "reading from " + peer);
          }
          return -1;
        }
        ensureOpen();
        awaitData(ring, deadlineNs, timeoutNs);
      }
    } finally {
      readLock.unlock();
    }
  }

  /** One byte, or -1 at the end of the stream. */
  int read(long timeoutNs) throws IOException {
    lock(readLock, "read");
    try {
      int n = read(readOne, 0, 1, timeoutNs);
      return n < 0 ? -1 : readOne[0] & 0xFF;
    } finally {
      readLock.unlock();
    }
  }

  /**
   * Waits until the receive ring has bytes, the input ended or the socket closed. The deadline and
   * interrupts end the wait only while nothing is there to read: bytes the connection holds but the
   * stack thread has not yet moved into the ring (the first read's, or the rest after a full ring;
   * {@link #backlog}) are waited for however long that takes — a fill is queued, and this makes
   * sure of it — so a read never fails with bytes {@link #available()}. An interrupt that came
   * meanwhile is kept in the flag.
   */
  private void awaitData(ByteRing ring, long deadlineNs, long timeoutNs) throws IOException {
    boolean interrupted = false;
    stack.beginWait();
    try {
      while (ring.readable() == 0 && !inputEnded && !closed) {
        boolean dataComing = backlog > 0;
        if (dataComing) {
          kick(); // normally queued already (first read, or the refill kick); a no-op then
        }
        try {
          if (!stack.awaitSignal(dataComing ? Long.MAX_VALUE : deadlineNs)) {
            throw new SocketTimeoutException("read from " + peer + " timed out after " + timeoutNs / 1_000_000 + " ms");
          }
        } catch (InterruptedException e) {
          // in this order: backlog, then bytes being moved, then the ring — bytes moving between
          // the two are in one of them (fill lowers backlog before it produces, and says so)
          if (backlog == 0 && moving == 0 && ring.readable() == 0) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while waiting to read from " + peer);
          }
          interrupted = true; // take the bytes on their way first; the flag is set again below
        }
      }
    } finally {
      stack.endWait();
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /**
   * Writes all of {@code b[off, off+len)}, blocking while the send ring is full; {@code timeoutNs}
   * > 0 bounds the whole call's waiting.
   */
  void write(byte[] b, int off, int len, long timeoutNs) throws IOException {
    ensureOpen();
    if (len == 0) {
      return;
    }
    lock(writeLock, "write");
    try {
      ByteRing ring = sendRing;
      if (ring == null) {
        sendRing = ring = new ByteRing(sendCapacity);
      }
      long deadlineNs = StackCall.deadline(timeoutNs);
      int done = 0;
      while (true) {
        ensureWritable();
        int n = ring.put(b, off + done, len - done);
        if (n > 0) {
          done += n;
          if (!drainArmed) {
            kick();
          }
        }
        if (done == len) {
          return;
        }
        awaitRoom(ring, len - done, done, deadlineNs, timeoutNs);
      }
    } finally {
      writeLock.unlock();
    }
  }

  /** One byte. */
  void write(int b, long timeoutNs) throws IOException {
    lock(writeLock, "write");
    try {
      writeOne[0] = (byte) b;
      write(writeOne, 0, 1, timeoutNs);
    } finally {
      writeLock.unlock();
    }
  }

  private void awaitRoom(ByteRing ring, int remaining, int done, long deadlineNs, long timeoutNs) throws IOException {
    // Waking for a few bytes at a time would cost a park and unpark per acknowledgment.
    int want = Math.min(remaining, ring.capacity() / 4);
    writeWant = want; // before counting in as a waiter: the stack thread reads it after draining
    stack.beginWait();
    try {
      while (ring.free() < want && !outputEnded && !outputShut && !closed) {
        if (!stack.awaitSignal(deadlineNs)) {
          if (ring.free() > 0) {
            return; // room for part of the rest: the caller puts it in, then waits again (and times out)
          }
          SocketTimeoutException x = new SocketTimeoutException("write to " + peer + " timed out after "
              + timeoutNs / 1_000_000 + " ms, after " + done + " bytes of this write");
          x.bytesTransferred = done;
          throw x;
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      InterruptedIOException x = new InterruptedIOException(
          "interrupted while waiting to write to " + peer + ", after " + done + " bytes of this write");
      x.bytesTransferred = done;
      throw x;
    } finally {
      stack.endWait();
    }
  }

  /**
   * Bytes a read returns now without blocking: those in the receive ring and those the connection
   * still holds. Never more than that (the stack publishes the connection's count before the ring's
   * new end, and this reads them in the other order).
   */
  int available() {
    if (closed) {
      return 0;
    }
    ByteRing ring = receiveRing;
    int inRing = ring == null ? 0 : ring.readable();
    return inRing + backlog;
  }

  /**
   * Bytes in the receive ring that the application has not read: after {@link #markClosed}, those
   * it never will (a close with data unread resets the connection, RFC 2525 §2.17).
   */
  int unread() {
    ByteRing ring = receiveRing;
    return ring == null ? 0 : ring.readable();
  }

  /** Writes fail from now on; the stack thread is told separately. */
  void shutOutput() {
    outputShut = true;
    stack.signal(); // a writer waiting for room fails now
  }

  /** Marks the socket closed and wakes its waiting threads; false if it already was. */
  boolean markClosed() {
    if (closed) {
      return false;
    }
    closed = true;
    outputShut = true;
    stack.signal();
    return true;
  }

  boolean isClosed() {
    return closed;
  }

  /** Kicks run on the stack thread so far: how often a read or write had to hand work over. */
  long loopTasks() {
    return loopTasks;
  }

  private void ensureOpen() throws SocketClosedException {
    if (stack.runtime().inStackThread()) {
      throw new IllegalStateException("blocking socket calls cannot be made on the stack thread: it would wait for itself");
    }
    if (closed) {
      throw new SocketClosedException("socket to " + peer + " is closed");
    }
  }

  private void ensureWritable() throws IOException {
    ensureOpen();
    if (outputEnded) {
      TcpError error = outputError;
      if (error != null) {
        throw StackCall.exceptionFor(error, "writing to " + peer);
      }
      throw new SocketClosedException("output to " + peer + " is shut down");
    }
    if (outputShut) {
      throw new SocketClosedException("output to " + peer + " is shut down");
    }
  }

  /**
   * Takes {@code lock}; an uncontended lock ignores the interrupt flag, so an interrupted thread
   * still gets what is there.
   */
  private static void lock(ReentrantLock lock, String what) throws InterruptedIOException {
    if (lock.tryLock()) {
      return;
    }
    try {
      lock.lockInterruptibly();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while waiting for another thread's " + what + " to finish");
    }
  }

  /** Hands this task to the loop unless it is queued already. */
  private void kick() throws SocketClosedException {
    if (queued.get() || !queued.compareAndSet(false, true)) {
      return;
    }
    try {
      stack.runtime().execute(this);
    } catch (RejectedExecutionException e) {
      queued.set(false);
      throw new SocketClosedException("the stack is closed");
    }
  }

  /** A kick after a read that already has its bytes: a closed stack is the next read's news. */
  private void kickQuietly() {
    try {
      kick();
    } catch (SocketClosedException e) {
      // the connection was aborted with the stack: the next read says so
    }
  }

  private static int refillRoom(ByteRing ring) {
    return ring.capacity() / 4;
  }

  // ================================================================ the stack thread

  /** The kick: move what can move, both ways. */
  @Override
  public void run() {
    queued.set(false); // first: a kick from now on queues this again, so none is lost
    loopTasks++;
    drain();
    fill();
  }

  /** The connection to serve, once it exists; publishes what it holds already. */
  void attach(TcpConnection c) {
    conn = c;
    fill();
  }

  /** Moves the send ring into the connection while it takes bytes; FIN after the last if wanted. */
  void drain() {
    ByteRing ring = sendRing;
    boolean freed = false;
    if (ring != null) {
      long nowNs = stack.runtime().nowNs();
      if (sendView == null) {
        sendView = Unpooled.wrappedBuffer(ring.array()); // heap, one per socket: nothing to release
      }
      while (true) {
        boolean stalled = false;
        int n;
        while ((n = ring.contiguousReadable()) > 0) {
          if (!conn.canSend()) {
            publishOutputEnded(); // before dropping: a writer stops adding
            ring.clear();
            freed = true;
            break;
          }
          int at = ring.readIndex();
          sendView.setIndex(at, at + n);
          int taken = conn.send(sendView, n, nowNs);
          if (taken > 0) {
            ring.consumed(taken);
            freed = true;
          }
          if (taken < n) {
            stalled = true; // the send buffer (or the stack's memory) is full: onWritable follows
            break;
          }
        }
        if (stalled) {
          drainArmed = true;
          break;
        }
        drainArmed = false;
        if (ring.readable() == 0) {
          break; // checked after disarming: a writer that saw it armed did not kick
        }
      }
    }
    if (finWanted && (ring == null || ring.readable() == 0)) {
      finWanted = false;
      conn.shutdownOutput(stack.runtime().nowNs()); // RFC 9293 §3.10.4: the FIN follows every byte written
    }
    boolean ended = !outputEnded && !conn.canSend();
    if (ended) {
      publishOutputEnded();
    }
    if (ended || (freed && ring.free() >= writeWant)) {
      stack.signal();
    }
  }

  private void publishOutputEnded() {
    if (!outputEnded) {
      outputError = conn.error();
      outputEnded = true;
    }
  }

  /** Moves what the connection received into the receive ring, and publishes the input's state. */
  void fill() {
    ByteRing ring = receiveRing;
    boolean moved = false;
    if (ring != null) {
      if (receiveView == null) {
        receiveView = Unpooled.wrappedBuffer(ring.array()); // heap, one per socket: nothing to release
      }
      long nowNs = stack.runtime().nowNs();
      while (true) {
        int n;
        while ((n = ring.contiguousFree()) > 0) {
          int at = ring.writeIndex();
          receiveView.setIndex(at, at);
          int got = conn.receive(receiveView, n, nowNs); // reopens the window
          if (got == 0) {
            break;
          }
          moved = true;
          moving = got; // a reader that finds backlog 0 and the ring empty knows bytes are on their way
          backlog = conn.readable(); // before the ring's end moves: available() never counts twice
          ring.produced(got);
          moving = 0;
        }
        if (conn.readable() == 0) {
          fillStalled = false; // onReadable brings us back when more arrives
          break;
        }
        fillStalled = true;
        if (ring.free() < refillRoom(ring)) {
          break; // checked after stalling: a reader that frees that much from now on kicks
        }
      }
    }
    backlog = conn.readable();
    boolean ended = false;
    if (!inputEnded && backlog == 0 && (conn.isEndOfStream() || conn.state() == TcpState.CLOSED)) {
      inputError = conn.isEndOfStream() ? null : conn.error(); // after a FIN: end of stream, even if reset later
      inputEnded = true;
      ended = true;
    }
    if (moved || ended) {
      stack.signal();
    }
  }

  /** shutdownOutput or close: FIN once the send ring has drained into the connection. */
  void finishOutput() {
    finWanted = true;
    drain();
  }

  /** abort: what waits in the send ring is dropped with the connection. */
  void discardOutput() {
    finWanted = false;
    ByteRing ring = sendRing;
    if (ring != null) {
      publishOutputEnded();
      ring.clear();
    }
  }

  /** The rings and flags now, for diagnostics; any thread. */
  @Override
  public String toString() {
    return "SocketBuffers[" + peer + ", send " + sendRing + (drainArmed ? " armed" : "")
        + (outputEnded ? " ended(" + outputError + ")" : "") + (outputShut ? " shut" : "") + ", receive " + receiveRing
        + " backlog=" + backlog + (fillStalled ? " stalled" : "") + (inputEnded ? " ended(" + inputError + ")" : "")
        + (queued.get() ? ", kick queued" : "") + ", loop tasks " + loopTasks + (closed ? ", closed" : "") + "]";
  }
}
