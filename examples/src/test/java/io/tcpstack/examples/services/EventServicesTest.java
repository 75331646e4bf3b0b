package io.tcpstack.examples.services;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tcpstack.examples.SimulatedClients;
import io.tcpstack.examples.SimulatedClients.Client;
import io.tcpstack.stats.StackCounter;
import io.tcpstack.tcp.TcpConfig;
import io.tcpstack.tcp.TcpError;
import io.tcpstack.tcp.TcpState;
import io.tcpstack.testing.SeededStream;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.tcpstack.api.UdpChannel;
import io.tcpstack.api.UdpChannelHandler;
import io.tcpstack.testing.Packets;
import io.tcpstack.wire.Ipv4Address;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The event-driven services on a stack in virtual time ({@link SimulatedClients}): what a client
 * gets, and what the services hold meanwhile — the server stack's buffers are counted, so holding
 * more than one buffer per connection, or keeping one after it is drained, fails.
 */
class EventServicesTest {

  private static final long SECOND = SimulatedClients.SECOND;
  private static final int SEND_BUFFER = TcpConfig.DEFAULT.sendBufferSize();

  private static byte[] random(long seed, int n) {
    byte[] b = new byte[n];
    new SeededStream(seed).next(b, 0, n);
    return b;
  }

  @Test
  void echoReturnsAByteExactStreamLargerThanTheSendBufferToASlowReader() {
    byte[] data = random(1, 4 * SEND_BUFFER + 12_345);
    try (SimulatedClients sim = new SimulatedClients()) {
      EchoService echo = EchoService.bind(sim.server(), EchoService.PORT, 8);
      Client client = sim.connect(EchoService.PORT, data, true);
      client.readPerMs = 2_000; // 2 MB/s: far slower than the link, so the echo has to wait for it
      assertTrue(sim.runUntil(() -> client.channel().state() == TcpState.ESTABLISHED, SECOND));
      sim.runFor(SimulatedClients.MS); // the server accepted and is idle: its baseline
      long baseline = sim.serverHeld();
      long[] most = {baseline};
      int[] unread = {0};
      assertTrue(sim.runUntil(() -> {
        most[0] = Math.max(most[0], sim.serverHeld());
        echo.forEachChannel(c -> unread[0] = Math.max(unread[0], c.readableBytes()));
        return client.endOfStream();
      }, 60 * SECOND), "the echo ends after the client's end: " + client.receivedBytes() + " of " + data.length);

      assertArrayEquals(data, client.received(), "every byte back, none dropped or reordered");
      assertNull(client.channel().error());
      assertTrue(unread[0] >= SEND_BUFFER / 2,
          "the echo left bytes unread while it could not write them (back-pressure): at most " + unread[0]);
      assertTrue(most[0] <= baseline + 1, "at most one buffer beyond the connection's own: " + most[0] + " vs " + baseline);
      assertTrue(sim.runUntil(() -> sim.server().tcp().openConnectionCount() == 0, 10 * SECOND), "the server's side closed");
      assertTrue(sim.runUntil(() -> sim.serverHeld() == baseline && sim.serverChunks() == 0, SECOND),
          "its buffers' chunks all back, nothing else held");
    }
  }

  @Test
  void udpEchoSendsEveryDatagramBackToItsSenderAndHoldsNoBufferBetweenThem() {
    try (SimulatedClients sim = new SimulatedClients()) {
      UdpEchoService echo = UdpEchoService.bind(sim.server(), UdpEchoService.PORT);
      sim.runFor(SimulatedClients.MS);
      long baseline = sim.serverHeld();
      List<byte[]> echoes = new ArrayList<>();
      List<InetSocketAddress> senders = new ArrayList<>();
      UdpChannel client = UdpChannel.open(sim.net.a().stack(), new UdpChannelHandler() {
        @Override
        public void onReadable(UdpChannel channel) {
          ByteBuf b = Unpooled.buffer(70_000);
          try {
            InetSocketAddress from;
            while ((from = channel.receive(b)) != null) {
              senders.add(from);
              echoes.add(ByteBufUtil.getBytes(b));
              b.clear();
            }
          } finally {
            b.release();
          }
        }
      });
      InetSocketAddress server = new InetSocketAddress(Ipv4Address.toInet(Packets.STACK), UdpEchoService.PORT);
      List<byte[]> sent = List.of(random(3, 1), new byte[0], random(4, 1472), random(5, 9000));
      for (byte[] d : sent) {
        client.send(Unpooled.wrappedBuffer(d), server);
      }
      assertTrue(sim.runUntil(() -> echoes.size() == sent.size(), SECOND), echoes.size() + " echoes");
      for (int i = 0; i < sent.size(); i++) {
        assertArrayEquals(sent.get(i), echoes.get(i), "datagram " + i + " whole, in order on this loss-free link");
        assertEquals(server, senders.get(i), "from port 7");
      }
      assertEquals(baseline, sim.serverHeld(), "the echo's buffer is released after each event");
      assertEquals(sent.size(), sim.server().counters().get(StackCounter.UDP_OUT_DATAGRAMS));
      echo.close();
      client.close();
    }
  }

  @Test
  void echoFlushesWhatIsPendingBeforeClosingAfterTheClientsEnd() {
    // the client sends everything and half-closes at once, then reads nothing for a while: the echo
    // sees the end of the stream while its send buffer is full, and must not close before the rest
    byte[] data = random(2, 2 * SEND_BUFFER);
    try (SimulatedClients sim = new SimulatedClients()) {
      EchoService.bind(sim.server(), EchoService.PORT, 8);
      Client client = sim.connect(EchoService.PORT, data, true);
      client.reading(false);
      sim.runFor(5 * SECOND);
      assertTrue(client.allSent() || client.sendBlocked);
      client.reading(true);
      assertTrue(sim.runUntil(client::endOfStream, 60 * SECOND));
      assertArrayEquals(data, client.received());
      assertNull(client.channel().error());
    }
  }

  @Test
  void echoServesManyClientsAtOnceAndReleasesEverything() {
    try (SimulatedClients sim = new SimulatedClients()) {
      EchoService.bind(sim.server(), EchoService.PORT, 64);
      long before = sim.serverHeld();
      Client[] clients = new Client[20];
      for (int i = 0; i < clients.length; i++) {
        clients[i] = sim.connect(EchoService.PORT, random(100 + i, 1000 * (i + 1)), true);
      }
      assertTrue(sim.runUntil(() -> java.util.Arrays.stream(clients).allMatch(Client::endOfStream), 30 * SECOND));
      for (int i = 0; i < clients.length; i++) {
        assertArrayEquals(random(100 + i, 1000 * (i + 1)), clients[i].received(), "client " + i);
      }
      assertTrue(sim.runUntil(() -> sim.server().tcp().openConnectionCount() == 0, 10 * SECOND));
      assertEquals(before, sim.serverHeld(), "every connection's buffers went back");
    }
  }

  @Test
  void discardReadsEverythingSendsNothingAndClosesAfterTheClient() {
    try (SimulatedClients sim = new SimulatedClients()) {
      DiscardService.bind(sim.server(), DiscardService.PORT, 8);
      long before = sim.serverHeld();
      Client client = sim.connect(DiscardService.PORT, random(3, 3 * SEND_BUFFER), true);
      assertTrue(sim.runUntil(client::endOfStream, 30 * SECOND));
      assertEquals(0, client.receivedBytes());
      assertNull(client.channel().error(), "an orderly close");
      assertTrue(sim.runUntil(() -> sim.server().tcp().openConnectionCount() == 0, 10 * SECOND));
      assertEquals(before, sim.serverHeld());
    }
  }

  @Test
  void chargenSendsThePatternAcrossManyWritesAndStopsWhenTheClientCloses() {
    try (SimulatedClients sim = new SimulatedClients()) {
      ChargenService.bind(sim.server(), ChargenService.PORT, 8);
      long before = sim.serverHeld();
      Client client = sim.connect(ChargenService.PORT, new byte[0], false);
      int enough = 3 * SEND_BUFFER + 5; // many onWritable rounds, ending mid-line
      assertTrue(sim.runUntil(() -> client.receivedBytes() >= enough, 30 * SECOND));
      byte[] got = client.received();
      for (int i = 0; i < got.length; i++) {
        if (got[i] != ChargenService.PATTERN[i % ChargenService.PATTERN.length]) {
          throw new AssertionError("byte " + i + " is not the pattern's: the position was lost");
        }
      }
      assertEquals(' ' + 1, got[ChargenService.LINE_CHARS + 2], "RFC 864: each line starts one character further");

      // The client is done: FIN. (Its close() would be a RST, the pattern being unread: RFC 2525 §2.17.)
      client.channel().shutdownOutput();
      assertTrue(sim.runUntil(() -> sim.server().tcp().openConnectionCount() == 0, 10 * SECOND),
          "the server stopped at the client's end");
      assertTrue(sim.runUntil(() -> client.channel().state() == TcpState.CLOSED, 10 * SECOND));
      assertEquals(TcpError.RESET, client.channel().error(), "aborted, as the blocking chargen did");
      long sent = sim.server().counters().get(StackCounter.TCP_OUT_BYTES);
      sim.runFor(5 * SECOND);
      assertEquals(sent, sim.server().counters().get(StackCounter.TCP_OUT_BYTES),
          "not one more byte of the pattern (only RSTs answer the client's last ACKs)");
      assertEquals(before, sim.serverHeld(), "nothing held after the abort");
    }
  }

  @Test
  void closingAServiceCutsOffItsClientsAndReleasesTheirBuffers() {
    try (SimulatedClients sim = new SimulatedClients()) {
      long before = sim.serverHeld();
      ChargenService chargen = ChargenService.bind(sim.server(), ChargenService.PORT, 8);
      Client client = sim.connect(ChargenService.PORT, new byte[0], false);
      assertTrue(sim.runUntil(() -> client.receivedBytes() > 100_000, 10 * SECOND));
      assertEquals(1, sim.server().tcp().connectionCount());
      sim.onServer(chargen::close);
      assertEquals(0, sim.server().tcp().connectionCount(), "aborted at once");
      assertEquals(before, sim.serverHeld(), "no listener, no connection, nothing held");
      assertTrue(sim.runUntil(() -> client.channel().state() == TcpState.CLOSED, 10 * SECOND));
      assertEquals(TcpError.RESET, client.channel().error(), "the client learns by a RST");
    }
  }
}
