package io.tcpstack.wire;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class IpAddressTest {

  /** RFC 5952 §4: the canonical text of each input. */
  @ParameterizedTest
  @CsvSource({
      "2001:db8:0:0:0:0:2:1, 2001:db8::2:1",           // §4.2.1: shorten as much as possible
      "2001:db8:0:1:1:1:1:1, 2001:db8:0:1:1:1:1:1",    // §4.2.2: not a single 16-bit 0 field
      "2001:0:0:1:0:0:0:1, 2001:0:0:1::1",             // §4.2.3: the longest run
      "2001:db8:0:0:1:0:0:1, 2001:db8::1:0:0:1",       // §4.2.3: the first of equal runs
      "2001:DB8::AAAA, 2001:db8::aaaa",                // §4.3: lower case
      "2001:0db8::0001, 2001:db8::1",                  // §4.1: no leading zeros
      "::, ::",
      "::1, ::1",
      "fd00:7463:7073::2, fd00:7463:7073::2",
      "ff02::1:ff00:2, ff02::1:ff00:2",
      "1::, 1::",
      "fe80::1:2:3:4:5:6, fe80:0:1:2:3:4:5:6"})
  void rfc5952Text(String in, String canonical) {
    IpAddress a = IpAddress.parse(in);
    assertEquals(canonical, a.toString());
    assertEquals(a, IpAddress.parse(canonical));
    assertFalse(a.isIpv4());
  }

  @Test
  void ipv4IsHeldIpv4Mapped() {
    IpAddress a = IpAddress.ofIpv4(Ipv4Address.parse("198.18.0.2"));
    assertTrue(a.isIpv4());
    assertEquals(0, a.hi());
    assertEquals(0x0000_FFFF_C612_0002L, a.lo());
    assertEquals(0xC6120002, a.ipv4());
    assertEquals("198.18.0.2", a.toString());
    assertEquals(a, IpAddress.parse("198.18.0.2"));
    assertEquals(a, IpAddress.parse("::ffff:198.18.0.2"), "the mapped form is the IPv4 address");
    assertThrows(IllegalStateException.class, () -> IpAddress.parse("::2").ipv4());
  }

  @Test
  void inetRoundTrips() throws Exception {
    IpAddress v6 = IpAddress.parse("fd00:7463:7073::2");
    InetAddress i6 = v6.toInet();
    assertTrue(i6 instanceof Inet6Address);
    assertEquals(InetAddress.getByName("fd00:7463:7073::2"), i6);
    assertEquals(v6, IpAddress.fromInet(i6));
    IpAddress v4 = IpAddress.parse("198.18.0.2");
    assertTrue(v4.toInet() instanceof Inet4Address);
    assertEquals(v4, IpAddress.fromInet(InetAddress.getByName("198.18.0.2")));
  }

  @Test
  void equalsAndHashCodeFollowTheBits() {
    assertEquals(IpAddress.parse("fd00::1").hashCode(), IpAddress.parse("fd00:0::0:1").hashCode());
    assertNotEquals(IpAddress.parse("fd00::1"), IpAddress.parse("fd00::2"));
    assertNotEquals(IpAddress.parse("::c612:2"), IpAddress.parse("198.18.0.2"), "IPv4-compatible is not IPv4");
  }

  @Test
  void networkClearsTheHostBits() {
    assertEquals(IpAddress.parse("fd00:7463:7073::"), IpAddress.parse("fd00:7463:7073::2").network(64));
    assertEquals(IpAddress.parse("fd00:7463:7073::2"), IpAddress.parse("fd00:7463:7073::2").network(128));
    assertEquals(IpAddress.parse("fd00:7400::"), IpAddress.parse("fd00:7463:7073::2").network(24));
  }

  @ParameterizedTest
  @ValueSource(strings = {"", ":", ":::", "1:2:3:4:5:6:7:8:9", "1::2::3", "12345::", "g::", "1:2:3:4:5:6:7",
      "fe80::1%eth0", "::1:", "1.2.3", "1:2:3:4:5:6:7:1.2.3.4", "::1.2.3.4:5"})
  void rejectsWhatIsNotAnAddress(String text) {
    assertThrows(IllegalArgumentException.class, () -> IpAddress.parse(text));
  }
}
