package io.tcpstack.api;

import io.tcpstack.runtime.StackRuntime;
import io.tcpstack.tcp.TcpError;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.UncheckedIOException;
import java.net.SocketTimeoutException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;

/**
 * How an application thread waits for a socket: it asks the stack thread (the only one that may
 * touch the core) with {@link #call}, and if the answer is "not yet", sleeps until the connection
 * signals a change. A generation counter read before asking closes the race between the answer and
 * the sleep: a change in between is never missed.
 */
final class StackCall {

  private final StackRuntime runtime;
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition changed = lock.newCondition();
  private long generation;

  StackCall(StackRuntime runtime) {
    this.runtime = runtime;
  }

  StackRuntime runtime() {
    return runtime;
  }

  /** Something about the connection changed. Called on the stack thread. */
  void signal() {
    lock.lock();
    try {
      generation++;
      changed.signalAll();
    } finally {
      lock.unlock();
    }
  }

  /** Runs {@code work} on the stack thread and returns its result; rethrows what it threw. */
  <T> T call(Supplier<T> work) throws IOException {
    if (runtime.inStackThread()) {
      throw new IllegalStateException("blocking socket calls cannot be made on the stack thread: it would wait for itself");
    }
    try {
      return runtime.call(work).get();
    } catch (RejectedExecutionException e) {
      throw new SocketClosedException("the stack is closed");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while waiting for the stack");
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
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

  /**
   * Repeats {@code attempt} on the stack thread until it returns non-null, sleeping between tries
   * until a signal; {@code deadlineNs} (System.nanoTime terms; {@link Long#MAX_VALUE}: none) ends
   * the wait with {@link SocketTimeoutException}.
   */
  <T> T await(Supplier<T> attempt, long deadlineNs, String timeoutMessage) throws IOException {
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
          if (deadlineNs == Long.MAX_VALUE) {
            changed.await();
          } else {
            long left = deadlineNs - System.nanoTime();
            if (left <= 0) {
              throw new SocketTimeoutException(timeoutMessage);
            }
            changed.awaitNanos(left);
          }
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new InterruptedIOException("interrupted while waiting");
      } finally {
        lock.unlock();
      }
    }
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
        return new ConnectionTimedOutException(message);
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
