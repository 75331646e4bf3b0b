package io.tcpstack.examples.launcher;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * Named network namespaces as iproute2 keeps them ({@code /run/netns/NAME}). Creating one is left
 * to {@code ip netns add}, which also sets up the shared mount iproute2 expects, so namespaces made
 * here are ordinary to every other tool.
 */
public final class Netns {

  private static final Path DIR = Path.of("/run/netns");

  private Netns() {}

  public static Path path(String name) {
    return DIR.resolve(name);
  }

  public static boolean exists(String name) {
    return Files.exists(path(name));
  }

  public static void add(String name) throws IOException {
    ip("netns", "add", name);
  }

  public static void delete(String name) throws IOException {
    ip("netns", "delete", name);
  }

  private static String ip(String... args) throws IOException {
    String[] command = new String[args.length + 1];
    command[0] = "ip";
    System.arraycopy(args, 0, command, 1, args.length);
    Process p;
    try {
      p = new ProcessBuilder(command).redirectErrorStream(true).start();
    } catch (IOException e) {
      throw new IOException("cannot run 'ip' (from iproute2), needed for --netns: install it (apt-get install iproute2)", e);
    }
    try {
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
      if (!p.waitFor(30, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new IOException("'" + String.join(" ", command) + "' did not finish");
      }
      if (p.exitValue() != 0) {
        throw new IOException("'" + String.join(" ", command) + "' failed: " + out);
      }
      return out;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while running 'ip'", e);
    }
  }
}
