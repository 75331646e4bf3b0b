package io.tcpstack.tcp;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** The peer's window field read as the unsigned 16-bit number it is (RFC 9293 §3.1). */
class UnsignedWindowTest extends ConnectionFixture {

  @Test
  void aWindowFieldAbove32767IsALargeWindowNotANegativeOne() {
    // RFC 9293 MUST-1: the window is unsigned; the fixture's peer offers no window scaling.
    established();
    h.send(peer().ack(iss + 1).window(0x8000).payload("a"));
    assertEquals(32768, conn.info().sendWindow());
    h.send(peer().seq(PEER_ISS + 2).ack(iss + 1).window(0xFFFF).payload("b"));
    assertEquals(65535, conn.info().sendWindow());
  }
}
