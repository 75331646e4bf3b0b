package io.tcpstack.wire;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class IpProtocolTest {

  @Test
  void numbersAreIanasAndNamesAreShort() {
    assertEquals(1, IpProtocol.ICMP);
    assertEquals(6, IpProtocol.TCP);
    assertEquals(17, IpProtocol.UDP);
    assertEquals("ICMP", IpProtocol.name(IpProtocol.ICMP));
    assertEquals("TCP", IpProtocol.name(IpProtocol.TCP));
    assertEquals("UDP", IpProtocol.name(IpProtocol.UDP));
    assertEquals(58, IpProtocol.ICMPV6);
    assertEquals("ICMPv6", IpProtocol.name(IpProtocol.ICMPV6));
    assertEquals(0, IpProtocol.IPV6_HOP_BY_HOP);
    assertEquals(43, IpProtocol.IPV6_ROUTING);
    assertEquals(44, IpProtocol.IPV6_FRAGMENT);
    assertEquals(59, IpProtocol.IPV6_NO_NEXT_HEADER);
    assertEquals(60, IpProtocol.IPV6_DESTINATION_OPTIONS);
    assertEquals("protocol 253", IpProtocol.name(253));
  }
}
