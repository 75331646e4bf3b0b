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
    assertEquals("protocol 58", IpProtocol.name(58));
  }
}
