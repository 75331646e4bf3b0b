package io.tcpstack.tun;

import static io.tcpstack.tun.TestPackets.ipv4;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.tcpstack.testing.Privileged;
import io.tcpstack.testing.TestNamespace;
import io.tcpstack.tun.TunException.Reason;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Failures that can be produced without harming the machine; each says what to do. */
class TunDeviceErrorsTest {

  @Test
  void missingDeviceNodeIsNotAvailableWithTheFix() {
    // Fails at open(2), before anything is created: safe in the caller's namespace, and unprivileged.
    TunException e = assertThrows(TunException.class,
        () -> TunDevice.builder().devicePath(Path.of("/nonexistent/net/tun")).open());
    assertEquals(Reason.NOT_AVAILABLE, e.reason());
    assertEquals(Errno.ENOENT, e.errno());
    assertTrue(e.getMessage().contains("/nonexistent/net/tun"), e.getMessage());
    assertTrue(e.getMessage().contains("modprobe tun"), e.getMessage());
    assertTrue(e.getMessage().contains("mkdir -p /dev/net && mknod /dev/net/tun c 10 200"), e.getMessage());
  }

  @Test
  void sameNameTwiceInOneNamespaceIsBusy() throws Exception {
    Privileged.assumeRootAndTun();
    try (TestNamespace ns = TestNamespace.create();
        TunDevice first = TunDevice.builder().name("tcps0").netns(ns.path()).open()) {
      TunException e = assertThrows(TunException.class,
          () -> TunDevice.builder().name("tcps0").netns(ns.path()).open());
      assertEquals(Reason.BUSY, e.reason());
      assertEquals(Errno.EBUSY, e.errno());
      assertTrue(e.getMessage().contains("tcps0"), e.getMessage());
      assertTrue(first.isOpen());
    }
  }

  @Test
  void missingNamespaceSaysHowToCreateIt() {
    Privileged.assumeRootAndTun();
    String name = "tcps-t-missing-" + ProcessHandle.current().pid();
    TunException e = assertThrows(TunException.class,
        () -> TunDevice.builder().name("tcps0").netns(Path.of("/run/netns", name)).open());
    assertEquals(Reason.NAMESPACE, e.reason());
    assertEquals(Errno.ENOENT, e.errno());
    assertTrue(e.getMessage().contains("ip netns add " + name), e.getMessage());
  }

  @Test
  void fileThatIsNotANetworkNamespaceIsRejected(@TempDir Path dir) throws Exception {
    Privileged.assumeRootAndTun();
    Path notANamespace = Files.writeString(dir.resolve("netns"), "not a namespace");
    TunException e = assertThrows(TunException.class,
        () -> TunDevice.builder().name("tcps0").netns(notANamespace).open());
    assertEquals(Reason.NAMESPACE, e.reason());
    assertEquals(Errno.EINVAL, e.errno());
    assertTrue(e.getMessage().contains("not a network namespace"), e.getMessage());
  }

  @Test
  void nameTheKernelRejectsIsInvalidName() throws Exception {
    Privileged.assumeRootAndTun();
    try (TestNamespace ns = TestNamespace.create()) {
      // Passes the Java checks; the kernel allows only one %d in a name template.
      TunException e = assertThrows(TunException.class,
          () -> TunDevice.builder().name("a%db%d").netns(ns.path()).open());
      assertEquals(Reason.INVALID_NAME, e.reason());
      assertEquals(Errno.EINVAL, e.errno());
      assertTrue(e.getMessage().contains("1 to 15 bytes"), e.getMessage());
    }
  }

  @Test
  void persistentTapDeviceIsFlagsMismatch() throws Exception {
    assertFlagsMismatch("tap");
  }

  @Test
  void persistentMultiQueueDeviceIsFlagsMismatch() throws Exception {
    assertFlagsMismatch("tun", "multi_queue");
  }

  @Test
  void nonTunInterfaceIsFlagsMismatch() throws Exception {
    Privileged.assumeRootAndTun();
    try (TestNamespace ns = TestNamespace.create()) {
      TunException e = assertThrows(TunException.class,
          () -> TunDevice.builder().name("lo").netns(ns.path()).open());
      assertEquals(Reason.FLAGS_MISMATCH, e.reason());
      assertTrue(Links.flags(ns, "lo").contains("UP"), "lo untouched");
    }
  }

  /**
   * Observed: the kernel does not refuse a persistent device made with {@code pi}. TUNSETIFF on an
   * existing device replaces its feature flags (IFF_NO_PI, IFF_VNET_HDR, ...) with the caller's
   * (tun_set_iff in drivers/net/tun.c), so the device is attached and from then on carries no
   * packet information, and packets flow.
   */
  @Test
  void persistentDeviceWithPacketInfoIsAttachedAndSwitchedToNoPacketInfo() throws Exception {
    Privileged.assumeRootAndTun();
    try (TestNamespace ns = TestNamespace.create()) {
      ns.ip("tuntap", "add", "dev", "tcpspi", "mode", "tun", "pi", "vnet_hdr").assertSuccess();
      try (TunDevice device = TunDevice.builder().name("tcpspi").netns(ns.path())
          .hostAddress(ipv4("198.18.0.1"), 24).open()) {
        String details = ns.ip("-d", "link", "show", "dev", "tcpspi").assertSuccess().stdout();
        assertTrue(details.contains("pi off"), details);
        assertTrue(details.contains("vnet_hdr off"), details);
        ByteBuf request = Unpooled.wrappedBuffer(
            TestPackets.icmpEchoRequest(ipv4("198.18.0.2"), ipv4("198.18.0.1"), 5, 5, new byte[8]));
        try {
          device.write(request);
        } finally {
          request.release();
        }
        TestPackets.readMatching(device, p -> TestPackets.isEchoReply(p, 5, 5), Duration.ofSeconds(20));
      }
      assertTrue(Links.exists(ns, "tcpspi"));
    }
  }

  private static void assertFlagsMismatch(String... mode) throws Exception {
    Privileged.assumeRootAndTun();
    try (TestNamespace ns = TestNamespace.create()) {
      List<String> add = new ArrayList<>(List.of("tuntap", "add", "dev", "tcpsx", "mode"));
      add.addAll(List.of(mode));
      ns.ip(add.toArray(String[]::new)).assertSuccess();
      TunException e = assertThrows(TunException.class,
          () -> TunDevice.builder().name("tcpsx").netns(ns.path()).open());
      assertEquals(Reason.FLAGS_MISMATCH, e.reason());
      assertEquals(Errno.EINVAL, e.errno());
      assertTrue(e.getMessage().contains("ip -n " + ns.name() + " -d link show tcpsx"), e.getMessage());
      assertTrue(Links.exists(ns, "tcpsx"), "a failed attach leaves the device alone");
    }
  }
}
