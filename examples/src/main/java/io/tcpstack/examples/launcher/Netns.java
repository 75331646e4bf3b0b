package io.tcpstack.examples.launcher;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
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

  /**
   * The IPv4 addresses in namespace {@code name} (null: this process's own), as {@code ip -4 -o
   * addr show} prints them: one {@code {device, address/prefix}} pair per address.
   */
  public static List<String[]> ipv4Addresses(String name) throws IOException {
    String out = name == null ? ip("-4", "-o", "addr", "show") : ip("-n", name, "-4", "-o", "addr", "show");
    List<String[]> addresses = new ArrayList<>();
    for (String line : out.split("\n")) {
      // "5: tun0    inet 198.18.0.1/24 scope global tun0\       valid_lft forever preferred_lft forever"
      String[] f = line.trim().split("\\s+");
      if (f.length >= 4 && f[2].equals("inet")) {
        addresses.add(new String[] {f[1], f[3]});
      }
    }
    return addresses;
  }

  /**
   * The global IPv6 addresses in namespace {@code name} (null: the caller's), as {device,
   * address/prefix} pairs from {@code ip -6 -o addr show scope global}.
   */
  public static List<String[]> ipv6Addresses(String name) throws IOException {
    String out = name == null ? ip("-6", "-o", "addr", "show", "scope", "global")
        : ip("-n", name, "-6", "-o", "addr", "show", "scope", "global");
    List<String[]> addresses = new ArrayList<>();
    for (String line : out.split("\n")) {
      // "5: tun0    inet6 fd00:7463:7073::1/64 scope global \       valid_lft forever preferred_lft forever"
      String[] f = line.trim().split("\\s+");
      if (f.length >= 4 && f[2].equals("inet6")) {
        addresses.add(new String[] {f[1], f[3]});
      }
    }
    return addresses;
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
