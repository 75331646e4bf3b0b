package io.tcpstack;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tcpstack.tun.TunException;
import io.tcpstack.wire.IpAddress;
import io.tcpstack.wire.Ipv4Address;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** {@link TcpStack}'s checks and failures that need no privilege: each message says what to do. */
class TcpStackTest {

  private static final int STACK = Ipv4Address.parse("198.18.0.2");
  private static final IpAddress STACK6 = IpAddress.parse("fd00:7463:7073::2");

  @Test
  void noTunDriverSaysHowToLoadIt(@org.junit.jupiter.api.io.TempDir Path dir) {
    // A clone device that does not exist, as on a machine without the tun module: nothing is created.
    TunException e = assertThrows(TunException.class, () -> TcpStack.builder().address("198.18.0.2/24")
        .devicePath(dir.resolve("no-such-tun")).open());
    assertEquals(TunException.Reason.NOT_AVAILABLE, e.reason());
    assertTrue(e.getMessage().contains("modprobe tun"), e.getMessage());
    assertTrue(e.getMessage().contains("--device /dev/net/tun"), e.getMessage());
  }

  @Test
  void missingNamespaceSaysHowToCreateIt() {
    String name = "tcps-none-" + ProcessHandle.current().pid();
    TunException e = assertThrows(TunException.class,
        () -> TcpStack.builder().address("198.18.0.2/24").netns(name).open());
    assertEquals(TunException.Reason.NAMESPACE, e.reason());
    assertTrue(e.getMessage().contains("ip netns add " + name), e.getMessage());
  }

  @Test
  void addressIsRequiredAndChecked() {
    IllegalStateException none = assertThrows(IllegalStateException.class, () -> TcpStack.builder().open());
    assertTrue(none.getMessage().contains("address(\"198.18.0.2/24\")"), none.getMessage());
    assertThrows(IllegalArgumentException.class, () -> TcpStack.builder().address("198.18.0.2"));
    assertThrows(IllegalArgumentException.class, () -> TcpStack.builder().address("198.18.0.2/31"));
    assertThrows(IllegalArgumentException.class, () -> TcpStack.builder().address6("198.18.0.2/24"));
    IllegalArgumentException outside = assertThrows(IllegalArgumentException.class,
        () -> TcpStack.builder().address("198.18.0.2/24").hostAddress("198.18.1.1").open());
    assertTrue(outside.getMessage().contains("198.18.0.0/24"), outside.getMessage());
    assertThrows(IllegalArgumentException.class, () -> TcpStack.builder().address("198.18.0.2/24")
        .hostAddress6("fd00:7463:7073::1").open()); // no address6
    assertThrows(IllegalArgumentException.class, () -> TcpStack.builder().address("198.18.0.2/24")
        .address6("fd00:7463:7073::2/64").hostAddress6("fd00:7463:7074::1").open());
  }

  @Test
  void hostSideTakesTheLowestOtherAddress() {
    assertEquals(Ipv4Address.parse("198.18.0.1"), TcpStack.defaultHost(STACK, 24));
    assertEquals(Ipv4Address.parse("198.18.0.2"), TcpStack.defaultHost(Ipv4Address.parse("198.18.0.1"), 24));
    assertEquals(IpAddress.parse("fd00:7463:7073::1"), TcpStack.defaultHost6(STACK6, 64));
  }
}
