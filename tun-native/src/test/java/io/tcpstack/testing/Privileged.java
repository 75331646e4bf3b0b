package io.tcpstack.testing;

import io.tcpstack.tun.Tun;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

/**
 * Guards for tests that need root and TUN (they create network namespaces and devices).
 *
 * <p>Where the requirements are missing, a test is skipped with the reason, except on CI
 * (environment variable {@code CI=true}), where a silently skipped integration test would hide a
 * broken build machine: there it fails with the reason. See also {@link RequiresTun}.
 */
public final class Privileged {

  /** Skips (or on CI fails) the calling test unless it runs as root with TUN available. */
  public static void assumeRootAndTun() {
    String missing = missingRequirement();
    if (missing == null) {
      return;
    }
    String reason = "needs root and TUN: " + missing;
    if ("true".equals(System.getenv("CI"))) {
      Assertions.fail(reason + " (failing instead of skipping because CI=true)");
    }
    // Surefire shows the abort message for a skipped test; stderr makes it visible at a glance too.
    System.err.println("SKIPPED: " + reason);
    Assumptions.abort(reason);
  }

  /** Why the requirements are not met, or null when they are. */
  public static String missingRequirement() {
    long euid = effectiveUid();
    if (euid != 0) {
      return "running as uid " + euid + ", not root";
    }
    if (!Tun.isAvailable()) {
      return String.valueOf(Tun.unavailabilityCause());
    }
    if (!onPath("ip")) {
      return "the ip command (iproute2) is not on the PATH";
    }
    return null;
  }

  /** Whether an executable of that name is on the PATH. */
  public static boolean onPath(String command) {
    String path = System.getenv().getOrDefault("PATH", "");
    for (String dir : path.split(":")) {
      if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, command))) {
        return true;
      }
    }
    return false;
  }

  /** The effective uid, from proc(5) {@code /proc/self/status} ("Uid: real effective ..."). */
  private static long effectiveUid() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (line.startsWith("Uid:")) {
          return Long.parseLong(line.substring(4).trim().split("\\s+")[1]);
        }
      }
      throw new IllegalStateException("no Uid line in /proc/self/status");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private Privileged() {}
}
