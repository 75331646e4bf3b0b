package io.tcpstack.testing;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;

/** Waiting on background work in integration tests, failing with the state of everything when it hangs. */
public final class Await {

  private Await() {}

  /**
   * The result of {@code work}; or, if it takes longer than {@code limit} or fails, a test failure
   * that says what hung or failed, followed by {@code diagnostics} (counters, sockets, rules).
   */
  public static <T> T result(CompletableFuture<T> work, String what, Duration limit, Supplier<String> diagnostics)
      throws InterruptedException {
    try {
      return work.get(limit.toSeconds(), TimeUnit.SECONDS);
    } catch (TimeoutException e) {
      return fail(what + " did not finish within " + limit.toSeconds() + " s\n" + diagnostics.get());
    } catch (ExecutionException e) {
      return fail(what + " failed: " + e.getCause() + "\n" + diagnostics.get(), e.getCause());
    }
  }

  /** {@link BufferedReader#readLine()} for lambdas: an I/O error is unchecked. */
  public static String readLine(BufferedReader in) {
    try {
      return in.readLine();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
