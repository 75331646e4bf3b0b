package io.tcpstack.wire;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class Ipv4AddressTest {

  @ParameterizedTest
  @CsvSource({
    "0.0.0.0,         0x00000000",
    "198.18.0.1,      0xc6120001",
    "127.0.0.1,       0x7f000001",
    "127.255.255.255, 0x7fffffff",
    "128.0.0.0,       0x80000000",
    "10.0.0.255,      0x0a0000ff",
    "255.255.255.255, 0xffffffff",
  })
  void parsesAndFormatsDottedQuads(String dotted, String hex) {
    int address = Integer.parseUnsignedInt(hex.substring(2), 16);
    assertEquals(address, Ipv4Address.parse(dotted));
    assertEquals(dotted, Ipv4Address.toString(address));
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "",
        "1.2.3",
        "1.2.3.4.5",
        "1.2.3.4.",
        ".1.2.3",
        "1..2.3",
        "256.0.0.1",
        "1.2.3.256",
        "1000.0.0.1",
        "99999999999.1.1.1",
        "01.2.3.4",
        "1.2.3.00",
        "0x1.2.3.4",
        "a.b.c.d",
        " 1.2.3.4",
        "1.2.3.4 ",
        "-1.2.3.4",
        "+1.2.3.4",
        "1.2.3.4/24",
        "1,2,3,4",
        "１.2.3.4",
        "16909060",
        "::1",
      })
  void rejectsAnythingButAStrictDottedQuadAndSaysWhy(String input) {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> Ipv4Address.parse(input));
    assertTrue(e.getMessage().contains("\"" + input + "\""), e.getMessage());
    assertTrue(e.getMessage().contains("like 198.18.0.1"), e.getMessage());
  }

  @Test
  void parseMessagesNameTheProblem() {
    assertMessage("256.0.0.1", "number 1 is greater than 255");
    assertMessage("1.2.3", "only 3 of 4 numbers");
    assertMessage("010.0.0.1", "leading zero");
    assertMessage("1.2.3.4.5", "after the fourth number");
    assertMessage("1.2.x.4", "expected a decimal number at position 4");
    assertMessage("1.2.3.4444", "more than 3 digits");
  }

  private static void assertMessage(String input, String fragment) {
    String message =
        assertThrows(IllegalArgumentException.class, () -> Ipv4Address.parse(input)).getMessage();
    assertTrue(message.contains(fragment), message);
  }

  @Test
  void parseOfNullIsANullPointerException() {
    assertThrows(NullPointerException.class, () -> Ipv4Address.parse(null));
  }

  @Test
  void formatsAndParsesRandomAddressesBothWays() throws Exception {
    Random random = new Random(791);
    for (int i = 0; i < 10_000; i++) {
      int address = random.nextInt();
      String dotted = Ipv4Address.toString(address);
      assertEquals(address, Ipv4Address.parse(dotted));
      // The JDK agrees on both the text and the bytes.
      Inet4Address inet = (Inet4Address) InetAddress.getByName(dotted);
      assertEquals(address, Ipv4Address.fromInet(inet));
      assertEquals(inet, Ipv4Address.toInet(address));
    }
  }

  @Test
  void convertsToAndFromInet4Address() throws Exception {
    Inet4Address broadcast = (Inet4Address) InetAddress.getByName("255.255.255.255");
    assertEquals(-1, Ipv4Address.fromInet(broadcast));
    assertEquals(broadcast, Ipv4Address.toInet(Ipv4Address.LIMITED_BROADCAST));
    assertEquals("198.18.0.1", Ipv4Address.toInet(0xc6120001).getHostAddress());
    assertEquals(0, Ipv4Address.fromInet((Inet4Address) InetAddress.getByName("0.0.0.0")));
  }

  @Test
  void netmaskHasPrefixLengthLeadingOnes() {
    assertEquals(0, Ipv4Address.netmask(0));
    assertEquals(0x8000_0000, Ipv4Address.netmask(1));
    assertEquals(0xFF00_0000, Ipv4Address.netmask(8));
    assertEquals(0xFFFF_FF00, Ipv4Address.netmask(24));
    assertEquals(0xFFFF_FFFE, Ipv4Address.netmask(31));
    assertEquals(0xFFFF_FFFF, Ipv4Address.netmask(32));
    for (int prefix = 0; prefix <= 32; prefix++) {
      assertEquals(prefix, Integer.bitCount(Ipv4Address.netmask(prefix)));
      assertEquals(prefix, Integer.numberOfLeadingZeros(~Ipv4Address.netmask(prefix)));
    }
  }

  @ParameterizedTest
  @ValueSource(ints = {-1, 33, Integer.MIN_VALUE, Integer.MAX_VALUE})
  void netmaskRejectsPrefixLengthsOutside0To32(int prefix) {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> Ipv4Address.netmask(prefix));
    assertTrue(e.getMessage().contains("0 to 32"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> Ipv4Address.sameSubnet(0, 0, prefix));
  }

  @Test
  void sameSubnetComparesOnlyThePrefix() {
    int a = Ipv4Address.parse("198.18.0.1");
    assertTrue(Ipv4Address.sameSubnet(a, Ipv4Address.parse("198.18.0.254"), 24));
    assertFalse(Ipv4Address.sameSubnet(a, Ipv4Address.parse("198.18.1.1"), 24));
    assertTrue(Ipv4Address.sameSubnet(a, Ipv4Address.parse("198.18.1.1"), 23));
    assertTrue(Ipv4Address.sameSubnet(a, Ipv4Address.parse("198.19.255.255"), 15));
    assertFalse(Ipv4Address.sameSubnet(a, Ipv4Address.parse("198.20.0.0"), 15));
    assertTrue(Ipv4Address.sameSubnet(a, a, 32));
    assertFalse(Ipv4Address.sameSubnet(a, a + 1, 32));
    assertTrue(Ipv4Address.sameSubnet(a, Ipv4Address.parse("1.2.3.4"), 0));
    // The sign bit is an address bit like any other.
    assertFalse(Ipv4Address.sameSubnet(0x8000_0000, 0, 1));
    assertTrue(Ipv4Address.sameSubnet(0xFFFF_FFFF, 0x8000_0000, 1));
  }
}
