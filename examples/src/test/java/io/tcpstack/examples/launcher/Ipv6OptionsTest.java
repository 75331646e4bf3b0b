package io.tcpstack.examples.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tcpstack.StackConfig;
import io.tcpstack.wire.IpAddress;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@code --address6} and {@code --host-address6} of {@code serve} and {@code run}. */
class Ipv6OptionsTest {

  private static ServeOptions parse(String... args) throws UsageException {
    return ServeOptions.parse(List.of(args));
  }

  private static String refused(String... args) {
    return assertThrows(UsageException.class, () -> parse(args)).getMessage();
  }

  @Test
  void aUniqueLocalPairByDefault() throws UsageException {
    ServeOptions o = parse();
    assertEquals(IpAddress.parse("fd00:7463:7073::2"), o.stackAddress6);
    assertEquals(64, o.prefixLength6);
    assertEquals(IpAddress.parse("fd00:7463:7073::1"), o.hostAddress6);
    StackConfig c = o.stackConfig().build();
    assertEquals(IpAddress.parse("fd00:7463:7073::2"), c.address6());
    assertEquals(64, c.prefixLength6());
  }

  @Test
  void chosenAddresses() throws UsageException {
    ServeOptions o = parse("--address6", "2001:db8:1::1/48", "--host-address6=2001:db8:1:ff::7");
    assertEquals(IpAddress.parse("2001:db8:1::1"), o.stackAddress6);
    assertEquals(48, o.prefixLength6);
    assertEquals(IpAddress.parse("2001:db8:1:ff::7"), o.hostAddress6);
    assertEquals(IpAddress.parse("2001:db8:1::2"), parse("--address6", "2001:db8:1::1/48").hostAddress6,
        "::1 is the stack's: the host takes ::2");
  }

  @Test
  void offMeansIpv4Only() throws UsageException {
    ServeOptions o = parse("--address6", "off");
    assertNull(o.stackAddress6);
    assertNull(o.stackConfig().build().address6());
    assertNull(parse("--mtu", "1000").stackAddress6, "below 1280 IPv6 is off unless asked for");
  }

  @Test
  void badValuesAreOneLine() {
    assertTrue(refused("--address6", "fd00::2").contains("needs IP6/PREFIX"));
    assertTrue(refused("--address6", "198.18.0.2/24").contains("is not an IPv6 address"));
    assertTrue(refused("--address6", "fd00::zz/64").contains("is not an IPv6 address"));
    assertTrue(refused("--address6", "fd00::2/0").contains("1 to 126"));
    assertTrue(refused("--address6", "fd00::2/127").contains("1 to 126"));
    assertTrue(refused("--address6", "ff02::2/64").contains("not a usable address"));
    assertTrue(refused("--address6", "fe80::2/64").contains("not a usable address"));
    assertTrue(refused("--address6", "::1/64").contains("not a usable address"));
    assertTrue(refused("--host-address6", "fd00:7463:7073::2").contains("must differ"));
    assertTrue(refused("--host-address6", "fd00:1::1").contains("is not in the stack's prefix fd00:7463:7073::/64"));
    assertTrue(refused("--address6", "fd00:7463:7073::/64").contains("Subnet-Router anycast"));
    assertTrue(refused("--address6", "fd00::2/64", "--mtu", "1000").contains("at least 1280"));
    assertTrue(refused("--address6", "off", "--host-address6", "fd00::1").contains("needs IPv6"));
    for (String m : new String[] {refused("--address6", "x"), refused("--host-address6", "1.2.3.4")}) {
      assertTrue(!m.contains("\n"), m);
    }
  }
}
