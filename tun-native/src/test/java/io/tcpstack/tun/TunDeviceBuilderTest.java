package io.tcpstack.tun;

import static io.tcpstack.tun.TestPackets.ipv4;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Argument checks that need neither root nor TUN. */
class TunDeviceBuilderTest {

  @ParameterizedTest
  @ValueSource(strings = {"", "abcdefghijklmnop", "a/b", "a b", "a\tb", "a\nb", ".", "..", "a:b", "éééééééé"})
  void rejectsNamesTheKernelWouldRejectAndSaysWhatIsAllowed(String name) {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> TunDevice.builder().name(name));
    assertTrue(e.getMessage().contains("1 to 15 bytes"), e.getMessage());
    assertTrue(e.getMessage().contains("'/'"), e.getMessage());
  }

  @ParameterizedTest
  @ValueSource(strings = {"a", "abcdefghijklmno", "tcps0", "tcps%d", "tun-x_1.2"})
  void acceptsValidNamesAndTemplates(String name) {
    TunDevice.builder().name(name);
  }

  @Test
  void nullNameLetsTheKernelPick() {
    TunDevice.builder().name(null);
  }

  @ParameterizedTest
  @ValueSource(ints = {0, 67, 65536, -1})
  void rejectsMtuOutsideWhatATunDeviceAccepts(int mtu) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TunDevice.builder().mtu(mtu));
    assertTrue(e.getMessage().contains("68..65535"), e.getMessage());
  }

  @ParameterizedTest
  @ValueSource(ints = {-1, 33})
  void rejectsPrefixLengthOutside0To32(int prefixLength) {
    assertThrows(IllegalArgumentException.class,
        () -> TunDevice.builder().hostAddress(ipv4("198.18.0.1"), prefixLength));
  }

  @Test
  void refusesLoopbackUpWithoutANamespace() {
    IllegalStateException e =
        assertThrows(IllegalStateException.class, () -> TunDevice.builder().loopbackUp(true).open());
    assertTrue(e.getMessage().contains("netns"), e.getMessage());
  }

  @Test
  void refusesOffloadsWithoutTheVnetHeader() {
    IllegalStateException e = assertThrows(IllegalStateException.class,
        () -> TunDevice.builder().offloads(TunDevice.TUN_F_CSUM).open());
    assertTrue(e.getMessage().contains("vnetHeader(true)"), e.getMessage());
  }

  @Test
  void upDefaultsToTrueOnlyWithAHostAddress() {
    assertEquals(false, TunDevice.builder().up());
    assertEquals(true, TunDevice.builder().hostAddress(ipv4("198.18.0.1"), 24).up());
    assertEquals(false, TunDevice.builder().hostAddress(ipv4("198.18.0.1"), 24).up(false).up());
  }

  @Test
  void prepareCommandsNameEverythingTheBuilderWouldSet() {
    String commands = TunDevice.builder().name("tcps0").hostAddress(ipv4("198.18.0.1"), 24).mtu(1400)
        .prepareCommands("tcps0");
    assertEquals("ip tuntap add dev tcps0 mode tun user $USER && ip addr add 198.18.0.1/24 dev tcps0"
        + " && ip link set dev tcps0 mtu 1400 up", commands);
  }

  @Test
  void awaitTimeoutRoundsUpToMilliseconds() {
    assertEquals(0, TunDevice.timeoutMillis(0));
    assertEquals(0, TunDevice.timeoutMillis(-5));
    assertEquals(1, TunDevice.timeoutMillis(1));
    assertEquals(1, TunDevice.timeoutMillis(1_000_000));
    assertEquals(2, TunDevice.timeoutMillis(1_000_001));
    assertEquals(-1, TunDevice.timeoutMillis(Long.MAX_VALUE));
    assertEquals(Integer.MAX_VALUE, TunDevice.timeoutMillis(TimeUnit.DAYS.toNanos(1000)));
  }

  @Test
  void netmaskOfPrefixLength() {
    assertEquals("0.0.0.0", ipString(Ifconfig.netmask(0)));
    assertEquals("255.255.255.0", ipString(Ifconfig.netmask(24)));
    assertEquals("255.255.255.254", ipString(Ifconfig.netmask(31)));
    assertEquals("255.255.255.255", ipString(Ifconfig.netmask(32)));
    assertEquals("255.240.0.0", ipString(Ifconfig.netmask(12)));
  }

  private static String ipString(byte[] address) {
    return (address[0] & 0xff) + "." + (address[1] & 0xff) + "." + (address[2] & 0xff) + "." + (address[3] & 0xff);
  }
}
