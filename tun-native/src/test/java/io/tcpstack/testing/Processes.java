package io.tcpstack.testing;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assertions;

/**
 * Runs external commands for tests: output captured completely, a hard timeout, and process trees
 * killed by PID, never by name.
 */
public final class Processes {

  private static final Duration KILL_GRACE = Duration.ofSeconds(10);

  /**
   * Runs {@code command} to completion and returns its exit code and output.
   *
   * <p>Output goes to temporary files rather than pipes, so a grandchild that keeps a pipe open
   * cannot hang the caller. On timeout the whole process tree is killed and the test fails with
   * a message naming the command, the timeout and the output so far.
   */
  public static ProcessResult run(Duration timeout, List<String> command) {
    Path out = null;
    Path err = null;
    try {
      out = Files.createTempFile("tcps-proc-", ".out");
      err = Files.createTempFile("tcps-proc-", ".err");
      Process process = new ProcessBuilder(command)
          .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
          .redirectOutput(out.toFile())
          .redirectError(err.toFile())
          .start();
      boolean exited = waitFor(process, timeout);
      if (!exited) {
        killTree(process.toHandle());
        Assertions.fail("timed out after " + timeout + " and killed the process tree of: "
            + new ProcessResult(command, -1, read(out), read(err)));
      }
      return new ProcessResult(command, process.exitValue(), read(out), read(err));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot run " + String.join(" ", command), e);
    } finally {
      deleteQuietly(out);
      deleteQuietly(err);
    }
  }

  /**
   * Kills a process and all its descendants by PID (SIGKILL), and waits for them to exit.
   * Descendants are listed before anything is killed: an orphan is reparented and lost from view.
   */
  public static void killTree(ProcessHandle root) {
    List<ProcessHandle> tree = root.descendants().toList();
    root.destroyForcibly();
    tree.forEach(ProcessHandle::destroyForcibly);
    for (ProcessHandle handle : tree) {
      awaitExit(handle);
    }
    awaitExit(root);
  }

  private static void awaitExit(ProcessHandle handle) {
    try {
      handle.onExit().get(KILL_GRACE.toMillis(), TimeUnit.MILLISECONDS);
    } catch (Exception e) {
      // Unkillable (e.g. stuck in the kernel): nothing more a test can do; the caller reports.
    }
  }

  private static boolean waitFor(Process process, Duration timeout) {
    try {
      return process.waitFor(timeout.toNanos(), TimeUnit.NANOSECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false; // handled as a timeout: the process tree is killed, not left running
    }
  }

  private static String read(Path file) throws IOException {
    return Files.readString(file, StandardCharsets.UTF_8);
  }

  private static void deleteQuietly(Path file) {
    if (file != null) {
      try {
        Files.deleteIfExists(file);
      } catch (IOException e) {
        // a leftover temporary file is harmless
      }
    }
  }

  private Processes() {}
}
