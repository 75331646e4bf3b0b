package io.tcpstack;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tcpstack.testing.Privileged;
import io.tcpstack.testing.ProcessResult;
import io.tcpstack.testing.TestNamespace;
import io.tcpstack.tun.TunDevice;
import io.tcpstack.tun.TunException;
import io.tcpstack.wire.Ipv4Address;
import java.io.File;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@link TcpStack}'s failures on a real system, in namespaces this test makes: an address clash,
 * and a process without privileges. Needs root and TUN: skipped with the reason otherwise, failed
 * under CI=true.
 */
class TcpStackIntegrationTest {

  private static final Duration LIMIT = Duration.ofSeconds(60);

  @Test
  void subnetOnAnotherInterfaceIsRefusedBeforeAnyDeviceIsMade() throws Exception {
    Privileged.assumeRootAndTun();
    try (TestNamespace ns = TestNamespace.create();
        // the subnet's other holder: a TUN device as another stack still running there would have
        TunDevice other = TunDevice.builder().netns(ns.path()).name("other0")
            .hostAddress(Ipv4Address.toInet(Ipv4Address.parse("198.18.0.1")), 24).up(true).open()) {
      TcpStack.AddressInUseException e = assertThrows(TcpStack.AddressInUseException.class,
          () -> TcpStack.builder().address("198.18.0.2/24").netns(ns.name()).open());
      assertTrue(e.getMessage().contains("network namespace " + ns.name() + ": other0 has 198.18.0.1/24"), e.getMessage());
      assertTrue(e.getMessage().contains("pick another subnet"), e.getMessage());
      assertEquals("other0", tunDevices(ns), "a device was made");
      // another subnet opens, and closing removes its device
      try (TcpStack stack = TcpStack.builder().address("198.18.1.2/24").netns(ns.name()).open()) {
        assertEquals("other0 " + stack.deviceName(), tunDevices(ns));
      }
      assertEquals("other0", tunDevices(ns), "the device outlived close()");
    }
  }

  @Test
  void kernelSideGetsBothAddressesAndReachesTheStackOnEach() throws Exception {
    Privileged.assumeRootAndTun();
    try (TestNamespace ns = TestNamespace.create();
        TcpStack stack = TcpStack.builder().address("198.18.0.2/24").address6("fd00:7463:7073::2/64")
            .netns(ns.name()).tun("emb0").mtu(1400).offloads(false).open()) {
      assertEquals("emb0", stack.deviceName());
      String link = ns.ip("-o", "addr", "show", "dev", "emb0").assertSuccess().stdout();
      assertTrue(link.contains("inet 198.18.0.1/24"), link);
      assertTrue(link.contains("inet6 fd00:7463:7073::1/64"), link);
      assertTrue(ns.ip("-o", "link", "show", "dev", "emb0").assertSuccess().stdout().contains("mtu 1400"));
      ns.exec(LIMIT, "ping", "-n", "-c", "1", "-W", "5", "198.18.0.2").assertSuccess();
      ns.exec(LIMIT, "ping", "-6", "-n", "-c", "1", "-W", "5", "fd00:7463:7073::2").assertSuccess();
    }
  }

  @Test
  void withoutCapNetAdminTheMessageSaysHowToGetIt() throws Exception {
    Privileged.assumeRootAndTun();
    assertTrue(Privileged.onPath("setpriv"), "setpriv (util-linux) is needed");
    try (TestNamespace ns = TestNamespace.create()) {
      // Root's uid with every capability dropped (bounding set empty), inside the test's namespace:
      // TUNSETIFF needs CAP_NET_ADMIN, so the open fails there and nothing is made.
      List<String> command = new ArrayList<>(List.of("ip", "netns", "exec", ns.name(), "setpriv",
          "--bounding-set=-all", "--inh-caps=-all", "--ambient-caps=-all", "--",
          Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp", classpath(),
          OpenWithoutPrivilege.class.getName()));
      ProcessResult r = io.tcpstack.testing.Processes.run(LIMIT, command);
      assertEquals(0, r.exitCode(), r.toString());
      assertTrue(r.stdout().contains("NOT_PERMITTED"), r.toString());
      assertTrue(r.stdout().contains("CAP_NET_ADMIN"), r.toString());
      assertTrue(r.stdout().contains("ip tuntap add dev"), r.toString());
      assertEquals("", tunDevices(ns));
    }
  }

  /** Run by the test above in a process without capabilities: opens a stack, prints the failure. */
  public static final class OpenWithoutPrivilege {
    public static void main(String[] args) {
      try (TcpStack stack = TcpStack.builder().address("198.18.0.2/24").open()) {
        System.out.println("OPENED " + stack);
        System.exit(1);
      } catch (TunException e) {
        System.out.println(e.reason() + ": " + e.getMessage());
      } catch (Exception e) {
        System.out.println("UNEXPECTED " + e);
        System.exit(2);
      }
    }
  }

  private static String tunDevices(TestNamespace ns) {
    StringBuilder names = new StringBuilder();
    for (String line : ns.ip("-d", "-o", "link", "show").assertSuccess().stdout().split("\n")) {
      if (line.contains(" tun ")) {
        names.append(line.split(":")[1].trim()).append(' ');
      }
    }
    return names.toString().trim();
  }

  private static String classpath() throws Exception {
    List<String> entries = new ArrayList<>();
    for (Class<?> c : new Class<?>[] {TcpStackIntegrationTest.class, TcpStack.class, TunDevice.class,
        io.netty.buffer.ByteBuf.class, org.slf4j.Logger.class, jnr.ffi.LibraryLoader.class}) {
      entries.add(Path.of(c.getProtectionDomain().getCodeSource().getLocation().toURI()).toString());
    }
    // jnr-ffi's own dependencies (jffi, asm): every jar of the test class path
    for (String e : System.getProperty("java.class.path").split(File.pathSeparator)) {
      entries.add(e);
    }
    return String.join(File.pathSeparator, entries);
  }
}
