package io.tcpstack.tcp;

import static io.tcpstack.testing.Seg.SYN;
import static io.tcpstack.testing.TcpHarness.LOCAL_PORT;
import static io.tcpstack.testing.TcpHarness.MSS;
import static io.tcpstack.testing.TcpHarness.PEER_PORT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tcpstack.stats.StackCounter;
import io.tcpstack.testing.Packets;
import io.tcpstack.testing.Packets6;
import io.tcpstack.testing.Seg;
import io.tcpstack.testing.TcpHarness;
import io.tcpstack.wire.IpAddress;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * RFC 1122 §4.2.3.10: an active open to an address that is not one host — broadcast, multicast,
 * unspecified — is refused as an error, and nothing is sent.
 */
class TcpConnectAddressTest {

  TcpHarness h;

  @AfterEach
  void close() {
    h.close();
  }

  void assertRefused(String address) {
    long opens = h.counter(StackCounter.TCP_ACTIVE_OPENS);
    IpAddress a = IpAddress.parse(address);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> h.stack().tcp().connect(a, PEER_PORT, TcpConfig.DEFAULT, h.now()), address);
    assertTrue(e.getMessage().contains("not a unicast address"), e.getMessage());
    assertEquals(opens, h.counter(StackCounter.TCP_ACTIVE_OPENS), "no connection was made");
    assertTrue(h.take().isEmpty(), "no SYN was sent");
  }

  @Test
  void ipv4BroadcastMulticastAndUnspecifiedAddressesAreRefused() {
    h = new TcpHarness(); // the stack is 198.18.0.2/24
    assertRefused("255.255.255.255");
    assertRefused("198.18.0.255"); // our subnet's broadcast address
    assertRefused("224.0.0.1");
    assertRefused("239.1.2.3");
    assertRefused("0.0.0.0");
  }

  @Test
  void ipv6MulticastAndUnspecifiedAddressesAreRefused() {
    h = TcpHarness.ipv6();
    assertRefused("ff02::1");
    assertRefused("ff0e::1234");
    assertRefused("::");
  }

  @Test
  void aSynFromABroadcastOrMulticastSourceIsIgnored() {
    h = new TcpHarness();
    h.listen(LOCAL_PORT, 8, TcpConfig.DEFAULT);
    int[] sources = {Packets.address(198, 18, 0, 255), Packets.address(255, 255, 255, 255), Packets.address(224, 0, 0, 9)};
    for (int source : sources) {
      Seg syn = new Seg(PEER_PORT, LOCAL_PORT, 1000, 0, SYN, 65535, MSS, new byte[0], null);
      h.send(Packets.ipv4(source, Packets.STACK, 6, syn.toBytes(source, Packets.STACK)));
      assertTrue(h.take().isEmpty(), "no SYN-ACK to " + source);
    }
    assertEquals(sources.length, h.counter(StackCounter.IP_IN_BAD_SOURCE));
    assertEquals(0, h.counter(StackCounter.TCP_PASSIVE_OPENS));
  }

  @Test
  void unicastAddressesAreStillReached() {
    h = new TcpHarness();
    h.connect(PEER_PORT, TcpConfig.DEFAULT);
    assertEquals(1, h.take().size(), "the SYN to " + Packets.HOST);
    h.close();
    h = TcpHarness.ipv6();
    h.connect(PEER_PORT, TcpConfig.DEFAULT);
    assertEquals(1, h.take().size(), "the SYN to " + Packets6.HOST6);
  }
}
