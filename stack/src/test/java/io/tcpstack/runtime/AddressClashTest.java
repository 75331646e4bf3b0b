package io.tcpstack.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.tcpstack.wire.IpAddress;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@link AddressClash#find}: which other interface's subnet overlaps the stack's, as {@code ip -o addr} lists them. */
class AddressClashTest {

  private static final IpAddress HOST = IpAddress.parse("198.18.0.1");
  private static final IpAddress HOST6 = IpAddress.parse("fd00:7463:7073::1");

  private static String clash(String device, String address) {
    return AddressClash.find(List.<String[]>of(new String[] {device, address}), HOST, 24, "mine");
  }

  private static String clash6(String device, String address) {
    return AddressClash.find(List.<String[]>of(new String[] {device, address}), HOST6, 64, "mine");
  }

  @Test
  void theSameSubnetOnAnotherDeviceClashes() {
    assertEquals("tun0 has 198.18.0.1/24", clash("tun0", "198.18.0.1/24"));
    assertEquals("eth0 has 198.18.0.77/24", clash("eth0", "198.18.0.77/24"));
  }

  @Test
  void aWiderOrNarrowerOverlappingSubnetClashes() {
    assertEquals("br0 has 198.18.5.1/16", clash("br0", "198.18.5.1/16"));
    assertEquals("eth0 has 198.18.200.5/15", clash("eth0", "198.18.200.5/15"));
    assertEquals("eth0 has 198.18.0.200/30", clash("eth0", "198.18.0.200/30"));
  }

  @Test
  void otherSubnetsLoopbackTheOtherFamilyAndTheOwnPreparedDeviceDoNot() {
    assertNull(clash("lo", "127.0.0.1/8"));
    assertNull(clash("eth0", "198.18.1.1/24"));
    assertNull(clash("eth0", "10.0.0.5/8"));
    assertNull(clash("mine", "198.18.0.1/24")); // a prepared persistent device carries the host address already
    assertNull(clash("odd", "not-an-address"));
    assertNull(clash("tun0", "fd00:7463:7073::1/64"));
  }

  @Test
  void anOverlappingIpv6PrefixClashesAndOthersDoNot() {
    assertEquals("tun0 has fd00:7463:7073::1/64", clash6("tun0", "fd00:7463:7073::1/64"));
    assertEquals("eth0 has fd00:7463::5/32", clash6("eth0", "fd00:7463::5/32"));
    assertNull(clash6("eth0", "fd00:7463:7073:1::1/64"));
    assertNull(clash6("mine", "fd00:7463:7073::1/64"));
    assertNull(clash6("odd", "nonsense/64"));
    assertNull(clash6("tun0", "198.18.0.1/24"));
  }
}
