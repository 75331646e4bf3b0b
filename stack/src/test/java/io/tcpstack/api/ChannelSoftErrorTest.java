package io.tcpstack.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tcpstack.tcp.TcpConfig;
import io.tcpstack.tcp.TcpError;
import io.tcpstack.testing.Packets;
import io.tcpstack.testing.Seg;
import io.tcpstack.testing.TcpHarness;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The event API's face of the soft-error reports (RFC 9293 §3.9.1.8, MUST-47): {@link
 * TcpChannelHandler#onSoftError} hears an ICMP error about the channel's segments while the channel
 * stays open. Segment level ({@link TcpHarness}); a router at 198.18.0.254 sends the ICMP message.
 */
class ChannelSoftErrorTest {

  private static final int ROUTER = Packets.address(198, 18, 0, 254);
  private static final int PEER_PORT = 8080;

  private final TcpHarness h = new TcpHarness();
  private TcpChannel channel;

  @AfterEach
  void close() {
    if (channel != null) {
      channel.close();
    }
    h.close();
  }

  @Test
  void aHandlerHearsAnIcmpSoftErrorAndTheChannelStaysOpen() {
    // RFC 9293 MUST-47: soft errors reach the application asynchronously, here as an upcall to the
    // channel's handler; SHLD-25: Destination Unreachable code 1 (host unreachable) is made known.
    List<TcpError> heard = new ArrayList<>();
    List<Boolean> openWhenTold = new ArrayList<>();
    channel = TcpChannel.connect(h.stack(), Packets.HOST, PEER_PORT, TcpConfig.DEFAULT, new TcpChannelHandler() {
      @Override
      public void onSoftError(TcpChannel c, TcpError error) {
        heard.add(error);
        openWhenTold.add(c.isOpen());
      }
    });
    Seg syn = h.take().get(0);
    byte[] datagram = Packets.ipv4(Packets.STACK, Packets.HOST, 6, 0x1111, true, false, 0, 63,
        syn.toBytes(Packets.STACK, Packets.HOST));
    byte[] quoted = Arrays.copyOf(datagram, 28); // the IP header and 8 bytes (RFC 792)
    h.atMs(5).send(Packets.ipv4(ROUTER, Packets.STACK, 1, Packets.icmp(3, 1, 0, 0, quoted)));
    assertEquals(List.of(TcpError.HOST_UNREACHABLE), heard);
    assertEquals(List.of(true), openWhenTold);
    assertTrue(channel.isOpen(), "a soft error does not end the connection");
    assertEquals(null, channel.error());
  }

  @Test
  void aHandlerThatLeavesOnSoftErrorAloneIsNotDisturbedByTheReports() {
    // RFC 9293 SHLD-20: an application that does not want the soft-error reports leaves the
    // default (a no-op) in place; it hears nothing of them, and its connection goes on.
    List<String> heard = new ArrayList<>();
    channel = TcpChannel.connect(h.stack(), Packets.HOST, PEER_PORT, TcpConfig.DEFAULT, new TcpChannelHandler() {
      @Override
      public void onConnected(TcpChannel c) {
        heard.add("connected");
      }

      @Override
      public void onReadable(TcpChannel c) {
        heard.add("readable");
      }

      @Override
      public void onWritable(TcpChannel c) {
        heard.add("writable");
      }

      @Override
      public void onClosed(TcpChannel c) {
        heard.add("closed");
      }
    });
    Seg syn = h.take().get(0);
    byte[] datagram = Packets.ipv4(Packets.STACK, Packets.HOST, 6, 0x1111, true, false, 0, 63,
        syn.toBytes(Packets.STACK, Packets.HOST));
    h.atMs(5).send(Packets.ipv4(ROUTER, Packets.STACK, 1, Packets.icmp(3, 1, 0, 0, Arrays.copyOf(datagram, 28))));
    assertEquals(List.of(), heard);
    assertTrue(channel.isOpen());
    // The handshake then completes as if nothing had been said.
    h.atMs(10).send(new Seg(PEER_PORT, syn.srcPort, 5000, syn.seq + 1, Seg.SYN | Seg.ACK, 29200, 1460,
        new byte[0], null));
    assertEquals(List.of("connected"), heard);
    assertTrue(channel.isOpen());
  }
}
