package io.tcpstack.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.tcpstack.stats.StackCounter;
import io.tcpstack.tcp.TcpConfig;
import io.tcpstack.tcp.TcpError;
import io.tcpstack.tcp.TcpState;
import io.tcpstack.testing.Packets;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The event API's lifetime limits — {@link TcpChannel#close(Duration)} and {@link
 * TcpChannel#setUserTimeout} — between two stacks on {@link TcpChannelTest.Net}'s virtual clock.
 * The server's channel never reads (a peer whose window closes and stays closed, though it answers
 * every probe), or reads to the end and closes.
 */
class ChannelLifetimeTest {

  private static final int PORT = 7;
  private static final long MS = 1_000_000L;
  private static final long LIMIT = 600_000 * MS;
  private static final TcpConfig SMALL = TcpConfig.builder().sendBufferSize(4096).receiveBufferSize(4096).build();

  private TcpChannelTest.Net net;
  private final List<TcpChannel> accepted = new ArrayList<>();
  private final List<String> clientEvents = new ArrayList<>();

  @BeforeEach
  void open() throws IOException {
    net = new TcpChannelTest.Net(MS);
  }

  private ByteBuf toRelease;

  @AfterEach
  void close() {
    net.close();
    if (toRelease != null) {
      toRelease.release();
    }
  }

  /** A server whose channels read to the end and then close ({@code reads}), or never read. */
  private void serve(boolean reads) {
    net.server.execute(() -> TcpServerChannel.bind(net.server.stack(), PORT, 4, SMALL, ch -> {
      accepted.add(ch);
      if (reads) {
        ch.subscribe(new TcpChannelHandler() {
          @Override
          public void onReadable(TcpChannel c) {
            ByteBuf buf = Unpooled.buffer(4096);
            try {
              int n;
              while ((n = c.read(buf.clear())) > 0) {
                // discard
              }
              if (n < 0) {
                c.close();
              }
            } finally {
              buf.release();
            }
          }
        });
      }
    }));
  }

  /** Connects, writes {@code bytes} (what fits) once established, and records the client's events. */
  private TcpChannel connectAndWrite(int bytes) throws IOException {
    TcpChannel[] client = new TcpChannel[1];
    ByteBuf data = Unpooled.wrappedBuffer(Packets.pattern(bytes));
    net.client.execute(() -> client[0] = TcpChannel.connect(net.client.stack(), Packets.STACK, PORT, SMALL,
        new TcpChannelHandler() {
          @Override
          public void onConnected(TcpChannel c) {
            c.write(data);
          }

          @Override
          public void onWritable(TcpChannel c) {
            if (data.isReadable() && c.isWritable()) {
              c.write(data);
            }
          }

          @Override
          public void onClosed(TcpChannel c) {
            clientEvents.add("closed " + c.error());
          }
        }));
    net.turn();
    assertNotNull(client[0]);
    assertTrue(net.runUntil(() -> client[0].state() == TcpState.ESTABLISHED && data.readableBytes() < bytes, LIMIT));
    toRelease = data;
    return client[0];
  }

  private long clientCounter(StackCounter c) {
    return net.client.counters().get(c);
  }

  @Test
  void aLingeringCloseNotAcknowledgedInTimeAbortsWithRst() throws IOException {
    serve(false);
    TcpChannel client = connectAndWrite(12_000); // more than the peer's window: it closes and stays closed
    assertTrue(net.runUntil(() -> client.writableBytes() == 0 && accepted.size() == 1, LIMIT));
    net.client.execute(() -> client.close(Duration.ofSeconds(2)));
    assertTrue(net.runUntil(() -> !clientEvents.isEmpty(), LIMIT));
    assertEquals(List.of("closed " + TcpError.ABORTED), clientEvents);
    assertEquals(1, clientCounter(StackCounter.TCP_LINGER_TIMEOUTS));
    assertTrue(net.runUntil(() -> accepted.get(0).state() == TcpState.CLOSED, LIMIT));
    assertEquals(TcpError.RESET, accepted.get(0).error(), "the RST reached the peer");
  }

  @Test
  void aLingeringCloseAcknowledgedInTimeIsAnOrdinaryClose() throws IOException {
    serve(true);
    TcpChannel client = connectAndWrite(3_000);
    net.client.execute(() -> client.close(Duration.ofSeconds(2)));
    assertTrue(net.runUntil(() -> !clientEvents.isEmpty() && !accepted.get(0).isOpen(), LIMIT));
    assertEquals(List.of("closed null"), clientEvents);
    assertNull(accepted.get(0).error());
    assertEquals(0, clientCounter(StackCounter.TCP_LINGER_TIMEOUTS));
  }

  @Test
  void theUserTimeoutEndsAConnectionStuckBehindAClosedWindow() throws IOException {
    serve(false);
    TcpChannel client = connectAndWrite(12_000);
    // The peer's window closes on 4 KiB, 4 KiB more wait in the send buffer, probing.
    assertTrue(net.runUntil(() -> client.writableBytes() == 0 && accepted.size() == 1, LIMIT));
    net.client.execute(() -> client.setUserTimeout(Duration.ofSeconds(3)));
    assertTrue(net.runUntil(() -> !clientEvents.isEmpty(), LIMIT));
    assertEquals(List.of("closed " + TcpError.TIMED_OUT), clientEvents);
    assertEquals(1, clientCounter(StackCounter.TCP_USER_TIMEOUTS));
    assertTrue(net.runUntil(() -> accepted.get(0).state() == TcpState.CLOSED, LIMIT));
    assertEquals(TcpError.RESET, accepted.get(0).error());
  }
}
