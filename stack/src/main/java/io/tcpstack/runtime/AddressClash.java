package io.tcpstack.runtime;

import io.tcpstack.wire.IpAddress;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Whether another interface of a network namespace already has the subnet a stack is about to
 * take. Linux accepts a second address in the same subnet, but keeps routing the subnet to the
 * first interface, so the new stack would never hear a thing: {@link io.tcpstack.TcpStack} and the
 * {@code ./tcpstack} launcher refuse to start instead, with a message that names the interface.
 */
public final class AddressClash {

  private AddressClash() {}

  /**
   * Looks for a clash in namespace {@code netns}. Best effort: without the {@code ip} command (from
   * iproute2) there is no check, and null is returned.
   *
   * @param netns the namespace's name ({@code ip netns}), or null for the caller's own
   * @param ownDevice the stack's own TUN device, skipped (a prepared persistent device already
   *     carries the kernel side's address), or null
   * @param address the kernel side's or the stack's address: only its subnet matters
   * @param prefix the subnet's prefix length
   * @return "{@code 198.18.0.0/24 is already in use in network namespace NS: tun0 has
   *     198.18.0.1/24}", or null when no other interface overlaps
   */
  public static String check(String netns, String ownDevice, IpAddress address, int prefix) {
    List<String[]> addresses;
    try {
      addresses = addresses(netns);
    } catch (IOException e) {
      return null;
    }
    String clash = find(addresses, address, prefix, ownDevice);
    if (clash == null) {
      return null;
    }
    String where = netns == null ? "this network namespace" : "network namespace " + netns;
    return network(address, prefix) + "/" + prefix + " is already in use in " + where + ": " + clash;
  }

  /** The network of {@code address/prefix}; an IPv4 prefix counts from the first bit of the IPv4 address. */
  private static IpAddress network(IpAddress address, int prefix) {
    return address.network(address.isIpv4() ? IpAddress.IPV6_BITS - 32 + prefix : prefix);
  }

  /**
   * The first of {@code addresses} of {@code address}'s family whose subnet overlaps {@code
   * address/prefix}, as "DEV has A/P"; or null.
   *
   * @param addresses {device, address/prefix} pairs as {@code ip -o addr} lists them; entries that
   *     do not parse are skipped
   * @param address an address of the subnet to look for, IPv4 or IPv6
   * @param prefix the subnet's prefix length
   * @param ownDevice a device to skip, or null
   * @return the first overlapping entry, or null
   */
  public static String find(List<String[]> addresses, IpAddress address, int prefix, String ownDevice) {
    int bits = address.isIpv4() ? 32 : IpAddress.IPV6_BITS;
    for (String[] a : addresses) {
      if (a[0].equals(ownDevice)) {
        continue;
      }
      int slash = a[1].indexOf('/');
      IpAddress other;
      int otherPrefix;
      try {
        other = IpAddress.parse(a[1].substring(0, slash));
        otherPrefix = Integer.parseInt(a[1].substring(slash + 1));
      } catch (RuntimeException e) {
        continue; // not an address we understand: no opinion
      }
      if (other.isIpv4() != address.isIpv4() || otherPrefix < 0 || otherPrefix > bits) {
        continue;
      }
      int common = Math.min(otherPrefix, prefix);
      if (network(other, common).equals(network(address, common))) {
        return a[0] + " has " + a[1];
      }
    }
    return null;
  }

  /** {device, address/prefix} of each global address in {@code netns} (null: the caller's), from {@code ip -o addr}. */
  private static List<String[]> addresses(String netns) throws IOException {
    List<String> command = new ArrayList<>(List.of("ip"));
    if (netns != null) {
      command.addAll(List.of("-n", netns));
    }
    command.addAll(List.of("-o", "addr", "show", "scope", "global"));
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    String out;
    try {
      out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
        p.destroyForcibly();
        throw new IOException(String.join(" ", command) + " failed: " + out);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted", e);
    }
    List<String[]> addresses = new ArrayList<>();
    for (String line : out.split("\n")) {
      // "5: tun0    inet 198.18.0.1/24 scope global tun0\       valid_lft forever ..."
      String[] f = line.trim().split("\\s+");
      if (f.length >= 4 && (f[2].equals("inet") || f[2].equals("inet6"))) {
        addresses.add(new String[] {f[1], f[3]});
      }
    }
    return addresses;
  }
}
