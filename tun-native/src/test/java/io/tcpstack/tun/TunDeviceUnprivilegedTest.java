package io.tcpstack.tun;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tcpstack.testing.Privileged;
import io.tcpstack.testing.ProcessResult;
import io.tcpstack.testing.RequiresTun;
import io.tcpstack.testing.TestNamespace;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A process without capabilities: {@link TunOpenProbe} in a child JVM started inside the test
 * namespace under {@code setpriv --bounding-set=-all --inh-caps=-all}. Its uid stays 0, so files
 * stay readable, but CAP_NET_ADMIN is gone.
 */
@RequiresTun
class TunDeviceUnprivilegedTest {

  private static final Duration CHILD_JVM_LIMIT = Duration.ofSeconds(120);

  @BeforeEach
  void needsSetpriv() {
    Assumptions.assumeTrue(Privileged.onPath("setpriv"), "setpriv (util-linux) is not on the PATH");
  }

  @Test
  void creatingADeviceWithoutCapNetAdminIsNotPermitted() {
    try (TestNamespace ns = TestNamespace.create()) {
      String out = probe(ns, "tcpsu0");
      assertTrue(out.contains("FAILED NOT_PERMITTED "), out);
      assertTrue(out.contains("CAP_NET_ADMIN"), out);
      assertTrue(out.contains("ip tuntap add dev tcpsu0 mode tun user $USER"), out);
      assertTrue(!Links.exists(ns, "tcpsu0"));
    }
  }

  @Test
  void attachingToADevicePreparedByAnAdminNeedsNoCapability() {
    try (TestNamespace ns = TestNamespace.create()) {
      ns.ip("tuntap", "add", "dev", "tcpsu0", "mode", "tun", "user", "0").assertSuccess();
      ns.ip("addr", "add", "198.18.0.1/24", "dev", "tcpsu0").assertSuccess();
      ns.ip("link", "set", "dev", "tcpsu0", "mtu", "1400", "up").assertSuccess();

      String out = probe(ns, "tcpsu0", "198.18.0.1/24", "1400");
      assertTrue(out.contains("OPENED tcpsu0 1400"), out);
      assertEquals(Set.of("198.18.0.1/24"), Links.ipv4Addresses(ns, "tcpsu0"));
    }
  }

  @Test
  void attachingToAnUnconfiguredDeviceWithoutCapabilityNamesTheIpCommands() {
    try (TestNamespace ns = TestNamespace.create()) {
      ns.ip("tuntap", "add", "dev", "tcpsu0", "mode", "tun").assertSuccess();

      String out = probe(ns, "tcpsu0", "198.18.0.1/24", "1400");
      assertTrue(out.contains("FAILED NOT_PERMITTED not permitted to set the IPv4 address of tcpsu0"), out);
      assertTrue(out.contains("ip tuntap add dev tcpsu0 mode tun user $USER && ip addr add 198.18.0.1/24 dev tcpsu0"
          + " && ip link set dev tcpsu0 mtu 1400 up"), out);
      assertTrue(Links.exists(ns, "tcpsu0"));
    }
  }

  @Test
  void attachingToADeviceOfAnotherUserIsNotPermitted() {
    try (TestNamespace ns = TestNamespace.create()) {
      ns.ip("tuntap", "add", "dev", "tcpsu0", "mode", "tun", "user", "4242").assertSuccess();

      String out = probe(ns, "tcpsu0");
      assertTrue(out.contains("FAILED NOT_PERMITTED not permitted to attach to the existing TUN device tcpsu0"), out);
    }
  }

  /** Runs the probe without capabilities inside {@code ns}; returns its output after checking CapEff is 0. */
  private static String probe(TestNamespace ns, String... args) {
    List<String> command = new ArrayList<>(List.of("setpriv", "--bounding-set=-all", "--inh-caps=-all",
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", System.getProperty("java.class.path"), TunOpenProbe.class.getName()));
    command.addAll(List.of(args));
    ProcessResult result = ns.exec(CHILD_JVM_LIMIT, command.toArray(String[]::new)).assertSuccess();
    assertTrue(result.stdout().contains("CapEff 0000000000000000"), "the probe must run without capabilities: " + result);
    return result.stdout();
  }
}
