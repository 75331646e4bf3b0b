package io.tcpstack.metrics;

import io.tcpstack.NetworkStack;
import io.tcpstack.runtime.StackRuntime;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;

/**
 * How code on another thread reads what lives in the single-threaded core: a query runs on the
 * stack thread and its (immutable) result comes back. The counters need none of this ({@link
 * io.tcpstack.stats.CounterSet} is readable from any thread); the gauges and the TCP table do.
 */
public interface StackAccess {

  /**
   * Runs {@code query} on the stack thread and returns its result.
   *
   * @param <T> the type of the result
   * @param query what to read, given the stack; it should return something immutable (or a copy), as
   *     the result leaves the stack thread
   * @return what {@code query} returned
   * @throws IllegalStateException if the stack is closed, the query failed, or no answer came in time
   */
  <T> T read(Function<NetworkStack, T> query);

  /**
   * Through {@link StackRuntime#call}, waiting at most {@code timeout}; directly when already on
   * the stack thread.
   *
   * @param runtime the running stack, not null
   * @param timeout how long a read from another thread waits for the stack thread, not null
   * @return an access whose reads throw {@link IllegalStateException} after {@code timeout}, when the
   *     runtime is closed, or when the reading thread is interrupted
   * @throws NullPointerException if {@code runtime} or {@code timeout} is null
   */
  static StackAccess of(StackRuntime runtime, Duration timeout) {
    Objects.requireNonNull(runtime, "runtime");
    long timeoutNs = timeout.toNanos();
    return new StackAccess() {
      @Override
      public <T> T read(Function<NetworkStack, T> query) {
        if (runtime.inStackThread()) {
          return query.apply(runtime.stack());
        }
        try {
          return runtime.call(() -> query.apply(runtime.stack())).get(timeoutNs, TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new IllegalStateException("interrupted while waiting for the stack thread", e);
        } catch (ExecutionException e) {
          throw new IllegalStateException("the stack could not answer: " + e.getCause(), e.getCause());
        } catch (TimeoutException e) {
          throw new IllegalStateException("the stack thread did not answer within " + timeout, e);
        } catch (java.util.concurrent.RejectedExecutionException e) {
          throw new IllegalStateException("the stack is closed", e);
        }
      }
    };
  }

  /**
   * Runs queries at once on the caller's thread: for code on the stack thread, and tests driving a
   * stack themselves.
   *
   * @param stack the stack, not null
   * @return an access that calls each query directly
   * @throws NullPointerException if {@code stack} is null
   */
  static StackAccess direct(NetworkStack stack) {
    Objects.requireNonNull(stack, "stack");
    return new StackAccess() {
      @Override
      public <T> T read(Function<NetworkStack, T> query) {
        return query.apply(stack);
      }
    };
  }
}
