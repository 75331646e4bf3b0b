package io.tcpstack.tun;

import io.tcpstack.testing.TestNamespace;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** What {@code ip link show} says about an interface in a test namespace. */
final class Links {

  private static final Pattern FLAGS = Pattern.compile("<([^>]*)>");
  private static final Pattern MTU = Pattern.compile(" mtu (\\d+) ");

  static boolean exists(TestNamespace ns, String name) {
    return ns.ip("link", "show", "dev", name).succeeded();
  }

  /** The flags between angle brackets, e.g. POINTOPOINT, NOARP, UP, LOWER_UP. */
  static Set<String> flags(TestNamespace ns, String name) {
    String out = ns.ip("-o", "link", "show", "dev", name).assertSuccess().stdout();
    Matcher m = FLAGS.matcher(out);
    if (!m.find()) {
      throw new AssertionError("no flags in: " + out);
    }
    return Set.of(m.group(1).split(","));
  }

  static int mtu(TestNamespace ns, String name) {
    String out = ns.ip("-o", "link", "show", "dev", name).assertSuccess().stdout();
    Matcher m = MTU.matcher(out);
    if (!m.find()) {
      throw new AssertionError("no mtu in: " + out);
    }
    return Integer.parseInt(m.group(1));
  }

  /** The IPv4 addresses with prefix, e.g. "198.18.0.1/24", from {@code ip -o -4 addr show}. */
  static Set<String> ipv4Addresses(TestNamespace ns, String name) {
    String out = ns.ip("-o", "-4", "addr", "show", "dev", name).assertSuccess().stdout();
    Matcher m = Pattern.compile(" inet (\\S+) ").matcher(out);
    Set<String> addresses = new TreeSet<>();
    while (m.find()) {
      addresses.add(m.group(1));
    }
    return addresses;
  }

  private Links() {}
}
