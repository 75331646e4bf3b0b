package io.tcpstack.api;

import io.tcpstack.runtime.StackRuntime;
import io.tcpstack.tcp.TcpError;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.UncheckedIOException;
import java.net.NoRouteToHostException;
import java.net.SocketTimeoutException;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;

/**
 * How an application thread waits for a socket. Two ways:
 *
 * <ul>
 *   <li>{@link #await}: it asks the stack thread (the only one that may touch the core) with {@link
 *       #call}, and if the answer is "not yet", sleeps until the connection signals a change. A
 *       generation counter read before asking closes the race between the answer and the sleep: a
 *       change in between is never missed. For the rare calls (connect, accept).
 *   <li>{@link #beginWait}/{@link #awaitSignal}/{@link #endWait}: it checks state the stack thread
 *       publishes in volatile fields (the socket's rings) itself, and sleeps until a signal. For
 *       reads and writes, which cross to the stack thread only to wait.
 * </ul>
 *
 * <p>A thread counts itself in {@link #waiters} before it looks at anything, and the stack thread
 * {@link #signal}s after it published its change, reading the count: with both volatile, one of the
 * two sees the other, so a signal is skipped — no lock taken on the stack thread — only when no one
 * can be about to sleep.
 */
final class StackCall {

  private final StackRuntime runtime;
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition changed = lock.newCondition();
  private long generation;
  /** Threads waiting or about to; changed under {@link #lock}, read by {@link #signal} without it. */
  private volatile int waiters;

  StackCall(StackRuntime runtime) {
    this.runtime = runtime;
  }

  StackRuntime runtime() {
    return runtime;
  }

  /**
   * Something about the connection changed (published before this call). Called on the stack
   * thread, and by an application thread that closes the socket.
   */
  void signal() {
    if (waiters == 0) {
      return;
    }
    lock.lock();
    try {
      generation++;
      changed.signalAll();
    } finally {
      lock.unlock();
    }
  }

  /**
   * Runs {@code work} on the stack thread and returns its result; rethrows what it threw.
   *
   * <p>Not interruptible: once handed over, the work runs (or the stack closes first and it never
   * does: {@link SocketClosedException}), and the caller waits for its outcome — a few microseconds
   * of the loop's time — whatever interrupts arrive meanwhile, then returns it with the interrupt
   * flag set again. Giving up the wait would be worse: the stack thread would still run the work, and
   * what it made or took — a connection from {@code connect}, one from the accept queue — would be
   * owned by nobody. Interrupts end waits for the network instead ({@link #await}, {@link
   * #awaitSignal}), where nothing has been taken.
   */
  <T> T call(Supplier<T> work) throws IOException {
    if (runtime.inStackThread()) {
      throw new IllegalStateException("blocking socket calls cannot be made on the stack thread: it would wait for itself");
    }
    CompletableFuture<T> result;
    try {
      result = runtime.call(work);
    } catch (RejectedExecutionException e) {
      throw new SocketClosedException("the stack is closed");
    }
    try {
      return result.join(); // uninterruptible; sets the interrupt flag again if one came meanwhile
    } catch (CompletionException | CancellationException e) {
      Throwable cause = e.getCause() != null ? e.getCause() : e;
      if (cause instanceof RejectedExecutionException) {
        throw new SocketClosedException("the stack is closed"); // it closed with this call still queued
      }
      if (cause instanceof UncheckedIOException) {
        throw ((UncheckedIOException) cause).getCause();
      }
      if (cause instanceof RuntimeException) {
        throw (RuntimeException) cause;
      }
      throw new IOException(cause);
    }
  }

  /** As {@link #await(Supplier, long, String, String)}, with a plain message for an interrupt. */
  <T> T await(Supplier<T> attempt, long deadlineNs, String timeoutMessage) throws IOException {
    return await(attempt, deadlineNs, timeoutMessage, "interrupted while waiting");
  }

  /**
   * Repeats {@code attempt} on the stack thread until it returns non-null, sleeping between tries
   * until a signal; {@code deadlineNs} (System.nanoTime terms; {@link Long#MAX_VALUE}: none) ends
   * the wait with {@link SocketTimeoutException}.
   *
   * <p>The deadline and interrupts are looked at only while sleeping, after an attempt returned
   * null — an attempt that took something never has it thrown away: its result is returned even if
   * the thread was interrupted meanwhile (the interrupt flag stays set), and a thread interrupted
   * before the call still gets what the first attempt finds. An interrupt while sleeping ends the
   * wait with {@link InterruptedIOException} and the interrupt flag set.
   */
  <T> T await(Supplier<T> attempt, long deadlineNs, String timeoutMessage, String interruptMessage) throws IOException {
    lock.lock();
    waiters++; // from now on every signal counts a generation
    lock.unlock();
    try {
      while (true) {
        long seen;
        lock.lock();
        try {
          seen = generation;
        } finally {
          lock.unlock();
        }
        T result = call(attempt);
        if (result != null) {
          return result;
        }
        lock.lock();
        try {
          while (generation == seen) {
            if (!awaitSignal(deadlineNs)) {
              throw new SocketTimeoutException(timeoutMessage);
            }
          }
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new InterruptedIOException(interruptMessage);
        } finally {
          lock.unlock();
        }
      }
    } finally {
      lock.lock();
      waiters--;
      lock.unlock();
    }
  }

  /**
   * Takes the lock and counts the caller as a waiter: from here on, any change the stack thread
   * publishes is followed by a signal the caller cannot miss. Check the state, then {@link
   * #awaitSignal} while it is not what you wait for, then {@link #endWait} in {@code finally}.
   */
  void beginWait() {
    lock.lock();
    waiters++;
  }

  /**
   * Sleeps until a signal (or a spurious wake-up), with the lock from {@link #beginWait}. Returns
   * false, at once, if {@code deadlineNs} (System.nanoTime terms; {@link Long#MAX_VALUE}: none) has
   * passed.
   */
  boolean awaitSignal(long deadlineNs) throws InterruptedException {
    if (deadlineNs == Long.MAX_VALUE) {
      changed.await();
      return true;
    }
    long left = deadlineNs - System.nanoTime();
    if (left <= 0) {
      return false;
    }
    changed.awaitNanos(left);
    return true;
  }

  /** Ends what {@link #beginWait} began. */
  void endWait() {
    waiters--;
    lock.unlock();
  }

  /** The exception an application sees for a connection that ended with {@code error}. */
  static IOException exceptionFor(TcpError error, String where) {
    String message = error.message() + " (" + where + ")";
    switch (error) {
      case REFUSED:
        return new ConnectionRefusedException(message);
      case RESET:
        return new ConnectionResetException(message);
      case TIMED_OUT:
      case PARAMETER_PROBLEM:
        return new ConnectionTimedOutException(message);
      case NET_UNREACHABLE:
      case HOST_UNREACHABLE:
      case ADMIN_PROHIBITED:
      case TTL_EXCEEDED:
        // Timed out after a router said so (RFC 1122 §4.2.3.9 soft errors): what java.net throws for
        // Linux's ENETUNREACH and EHOSTUNREACH, which Linux reports in the same case.
        return new NoRouteToHostException(message);
      default:
        return new SocketClosedException(message);
    }
  }

  static long deadline(long timeoutNs) {
    if (timeoutNs <= 0) {
      return Long.MAX_VALUE;
    }
    long d = System.nanoTime() + timeoutNs;
    return d == Long.MAX_VALUE ? d - 1 : d;
  }
}
