package io.tcpstack.testing;

import java.util.List;
import org.junit.jupiter.api.Assertions;

/**
 * How a finished process ended: its exit code and everything it wrote.
 *
 * @param command the command line, for messages
 * @param exitCode the exit status
 * @param stdout what it wrote to standard output (UTF-8)
 * @param stderr what it wrote to standard error (UTF-8)
 */
public record ProcessResult(List<String> command, int exitCode, String stdout, String stderr) {

  public ProcessResult {
    command = List.copyOf(command);
  }

  public boolean succeeded() {
    return exitCode == 0;
  }

  /** Fails the test, showing the command and its output, unless the exit code was 0. */
  public ProcessResult assertSuccess() {
    if (exitCode != 0) {
      Assertions.fail("command failed: " + this);
    }
    return this;
  }

  /** Fails the test, showing the command and its output, if the exit code was 0. */
  public ProcessResult assertFailure() {
    if (exitCode == 0) {
      Assertions.fail("command succeeded but was expected to fail: " + this);
    }
    return this;
  }

  @Override
  public String toString() {
    return String.join(" ", command) + "\n  exit code: " + exitCode
        + "\n  stdout: " + indent(stdout) + "\n  stderr: " + indent(stderr);
  }

  private static String indent(String text) {
    return text.isEmpty() ? "(empty)" : text.strip().replace("\n", "\n          ");
  }
}
