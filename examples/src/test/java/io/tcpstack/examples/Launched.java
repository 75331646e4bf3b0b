package io.tcpstack.examples;

import static org.junit.jupiter.api.Assertions.fail;

import io.tcpstack.testing.Processes;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * A program a test talks to while it runs — {@code ./tcpstack run ...}, or {@code nc} in a
 * namespace: lines typed on its standard input, lines awaited on its standard output. Standard
 * error is collected apart. {@link #close()} kills it (by PID, with its descendants) if it still
 * runs.
 */
final class Launched implements AutoCloseable {

  /** The repository root: the examples module's parent. */
  static final Path ROOT = Path.of(System.getProperty("user.dir")).getParent();
  /** The launcher script users run. */
  static final Path LAUNCHER = ROOT.resolve("tcpstack");
  /** Generous, for a loaded CI machine (the first use of the launcher may even build); a hang fails. */
  static final Duration LIMIT = Duration.ofSeconds(120);

  private final List<String> command;
  private final Process process;
  private final OutputStream stdin;
  private final List<String> lines = new ArrayList<>(); // guarded by itself; notified on change
  private boolean ended; // guarded by lines
  private final CompletableFuture<String> stderr;

  private Launched(List<String> command) {
    this.command = List.copyOf(command);
    try {
      this.process = new ProcessBuilder(command).start();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start " + String.join(" ", command), e);
    }
    this.stdin = process.getOutputStream();
    this.stderr = CompletableFuture.supplyAsync(() -> readAll(process.getErrorStream()));
    Thread reader = new Thread(this::readLines, "stdout-" + process.pid());
    reader.setDaemon(true);
    reader.start();
  }

  /** Starts {@code ./tcpstack args...}. */
  static Launched tcpstack(String... args) {
    List<String> command = new ArrayList<>();
    command.add(LAUNCHER.toString());
    command.addAll(List.of(args));
    return new Launched(command);
  }

  /** Starts any command (e.g. {@code ip netns exec NS nc ...}). */
  static Launched command(String... command) {
    return new Launched(List.of(command));
  }

  private void readLines() {
    try (BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
      for (String line; (line = out.readLine()) != null; ) {
        synchronized (lines) {
          lines.add(line);
          lines.notifyAll();
        }
      }
    } catch (IOException e) {
      // the process is gone
    } finally {
      synchronized (lines) {
        ended = true;
        lines.notifyAll();
      }
    }
  }

  private static String readAll(InputStream in) {
    try {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      return "<" + e + ">";
    }
  }

  /**
   * Waits for the first line at index {@code from} or later that matches, and returns its index.
   * Fails, showing everything printed, if the output ends or {@link #LIMIT} passes first.
   */
  int awaitLine(int from, Predicate<String> matches, String what) throws InterruptedException {
    long deadline = System.nanoTime() + LIMIT.toNanos();
    synchronized (lines) {
      for (int i = from; ; ) {
        for (; i < lines.size(); i++) {
          if (matches.test(lines.get(i))) {
            return i;
          }
        }
        long left = deadline - System.nanoTime();
        if (ended || left <= 0) {
          fail((ended ? "ended" : "timed out") + " before printing " + what + ": " + this);
        }
        TimeUnit.NANOSECONDS.timedWait(lines, left);
      }
    }
  }

  /** Waits for a line starting with {@code prefix}; returns it. */
  String awaitLineStarting(String prefix) throws InterruptedException {
    return line(awaitLine(0, l -> l.startsWith(prefix), "a line starting '" + prefix + "'"));
  }

  /** Waits for the line {@code ready: ...} servers print once they serve; returns it. */
  String awaitReady() throws InterruptedException {
    return awaitLineStarting("ready");
  }

  String line(int index) {
    synchronized (lines) {
      return lines.get(index);
    }
  }

  /** Every line printed so far. */
  List<String> lines() {
    synchronized (lines) {
      return List.copyOf(lines);
    }
  }

  /** Types {@code text} on its standard input. */
  void type(String text) throws IOException {
    stdin.write(text.getBytes(StandardCharsets.UTF_8));
    stdin.flush();
  }

  /** Ends its standard input (Ctrl-D). */
  void endInput() throws IOException {
    stdin.close();
  }

  /** Waits for it to exit on its own; returns the exit status. */
  int awaitExit() throws InterruptedException {
    if (!process.waitFor(LIMIT.toSeconds(), TimeUnit.SECONDS)) {
      fail("did not exit: " + this);
    }
    synchronized (lines) {
      while (!ended) {
        lines.wait(); // the rest of the output, already written
      }
    }
    return process.exitValue();
  }

  /** Sends SIGINT (Ctrl-C), waits for the exit; returns the exit status. */
  int interrupt() throws InterruptedException, IOException {
    new ProcessBuilder("kill", "-INT", Long.toString(process.pid())).start().waitFor();
    return awaitExit();
  }

  /** Sends SIGTERM, waits for the exit; returns the exit status. */
  int terminate() throws InterruptedException, IOException {
    new ProcessBuilder("kill", "-TERM", Long.toString(process.pid())).start().waitFor();
    return awaitExit();
  }

  /** Standard error, once it has exited. */
  String stderr() {
    return stderr.getNow("<still running>");
  }

  /** Standard error, waiting for the program to end. */
  String awaitStderr() throws Exception {
    return stderr.get(LIMIT.toSeconds(), TimeUnit.SECONDS);
  }

  @Override
  public void close() {
    if (process.isAlive()) {
      Processes.killTree(process.toHandle());
    }
  }

  @Override
  public String toString() {
    return String.join(" ", command) + "\n--- stdout:\n" + String.join("\n", lines()) + "\n--- stderr:\n" + stderr();
  }
}
