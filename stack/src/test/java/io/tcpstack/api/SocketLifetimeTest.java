package io.tcpstack.api;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tcpstack.stats.StackCounter;
import io.tcpstack.tcp.TcpConfig;
import io.tcpstack.tcp.TcpState;
import io.tcpstack.testing.SeededStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;

/**
 * The blocking API's lifetime limits between two stacks on an in-memory link ({@link SocketPair}):
 * the user timeout, the lingering close, and the resets a close sends when data is lost (RFC 9293
 * §3.6, RFC 2525 §2.17). Outcomes only — exceptions, counters, bytes — never how long things took.
 */
class SocketLifetimeTest {

  private static final Duration GUARD = SocketPair.GUARD;

  private static byte[] random(long seed, int n) {
    byte[] b = new byte[n];
    new SeededStream(seed).next(b, 0, n);
    return b;
  }

  /** Waits until {@code condition} holds; a hang guard, not a measurement. */
  private static void await(BooleanSupplier condition, String what) throws InterruptedException {
    long deadline = System.nanoTime() + GUARD.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() - deadline > 0) {
        throw new AssertionError("never happened: " + what);
      }
      Thread.sleep(1);
    }
  }

  private static TcpState state(TcpSocket s) {
    try {
      return s.state();
    } catch (IOException e) {
      throw new AssertionError(e);
    }
  }

  @Test
  void theUserTimeoutFailsTheConnectionWhenThePeerStopsAcknowledging() throws Exception {
    try (SocketPair p = SocketPair.open(TcpConfig.DEFAULT)) {
      assertEquals(Duration.ZERO, p.client.getUserTimeout());
      p.client.setUserTimeout(Duration.ofMillis(300));
      assertEquals(Duration.ofMillis(300), p.client.getUserTimeout());
      p.link[0].drop(true); // the peer hears nothing more from the client: nothing is acknowledged
      p.client.write(random(1, 1000), 0, 1000);
      p.client.setReadTimeout(GUARD);
      // Without it the retries would take ~15 minutes (RFC 1122 §4.2.3.5 R2, as Linux).
      assertThrows(ConnectionTimedOutException.class, () -> p.client.read(new byte[10], 0, 10));
      assertThrows(ConnectionTimedOutException.class, () -> p.client.write(new byte[1], 0, 1));
      assertEquals(1, p.clientStack.counters().get(StackCounter.TCP_USER_TIMEOUTS));
      assertEquals(0, p.clientStack.counters().get(StackCounter.TCP_TIMEOUTS));
      p.assertNoLoopErrors();
    }
  }

  @Test
  void theUserTimeoutOfTheConfigIsTheSocketsFromTheStart() throws Exception {
    try (SocketPair p = SocketPair.open(TcpConfig.builder().userTimeout(Duration.ofSeconds(7)).build())) {
      assertEquals(Duration.ofSeconds(7), p.client.getUserTimeout());
      assertEquals(Duration.ofSeconds(7), p.server.getUserTimeout());
    }
  }

  @Test
  void aLingeringCloseReturnsOnceThePeerAcknowledgedEveryByteAndTheFin() throws Exception {
    try (SocketPair p = SocketPair.open(TcpConfig.DEFAULT)) {
      byte[] data = random(2, 300_000);
      CompletableFuture<byte[]> received = CompletableFuture.supplyAsync(() -> {
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        byte[] buf = new byte[16 * 1024];
        try {
          int n;
          while ((n = p.server.read(buf, 0, buf.length)) > 0) {
            all.write(buf, 0, n);
          }
        } catch (IOException e) {
          throw new AssertionError(e);
        }
        return all.toByteArray();
      });
      p.client.write(data, 0, data.length);
      p.client.close(GUARD); // returns: delivered
      assertTrue(Set.of(TcpState.FIN_WAIT_2, TcpState.TIME_WAIT, TcpState.CLOSED).contains(state(p.client)),
          "the FIN was acknowledged, not " + state(p.client));
      assertArrayEquals(data, received.get());
      assertEquals(0, p.clientStack.counters().get(StackCounter.TCP_LINGER_TIMEOUTS));
      assertThrows(SocketClosedException.class, () -> p.client.close(GUARD), "closed already");
      p.assertNoLoopErrors();
    }
  }

  @Test
  void aLingeringCloseThatRunsOutOfTimeResetsTheConnection() throws Exception {
    TcpConfig small = TcpConfig.builder().sendBufferSize(4096).receiveBufferSize(4096).build();
    try (SocketPair p = SocketPair.open(small)) {
      // The server never reads: its window closes, and the last bytes and the FIN cannot go.
      p.client.write(random(3, 8192), 0, 8192);
      SocketTimeoutException e = assertThrows(SocketTimeoutException.class, () -> p.client.close(Duration.ofMillis(200)));
      assertTrue(e.getMessage().contains("reset"), e.getMessage());
      assertEquals(1, p.clientStack.counters().get(StackCounter.TCP_LINGER_TIMEOUTS));
      // The RST reached the server: what it had received it may still read, then the reset.
      p.server.setReadTimeout(GUARD);
      byte[] buf = new byte[8192];
      assertThrows(ConnectionResetException.class, () -> {
        while (p.server.read(buf, 0, buf.length) >= 0) {
          // drain
        }
      });
      p.assertNoLoopErrors();
    }
  }

  @Test
  void lingerZeroIsAnAbort() throws Exception {
    try (SocketPair p = SocketPair.open(TcpConfig.DEFAULT)) {
      p.client.close(Duration.ZERO);
      assertTrue(p.client.isClosed());
      p.server.setReadTimeout(GUARD);
      assertThrows(ConnectionResetException.class, () -> p.server.read(new byte[1], 0, 1));
    }
  }

  @Test
  void aCloseWithReceivedDataUnreadResetsThePeer() throws Exception {
    try (SocketPair p = SocketPair.open(TcpConfig.DEFAULT)) {
      p.server.write("you will not read this".getBytes(), 0, 22);
      await(() -> {
        try {
          return p.client.available() > 0;
        } catch (IOException e) {
          throw new AssertionError(e);
        }
      }, "the data arrived at the client");
      p.client.close(); // RFC 2525 §2.17: RST, not FIN
      p.server.setReadTimeout(GUARD);
      assertThrows(ConnectionResetException.class, () -> p.server.read(new byte[1], 0, 1));
      assertEquals(1, p.clientStack.counters().get(StackCounter.TCP_ABORT_ON_CLOSE));
      p.assertNoLoopErrors();
    }
  }

  @Test
  void aCloseAfterReadingSomeIntoTheRingStillCountsWhatTheRingHolds() throws Exception {
    try (SocketPair p = SocketPair.open(TcpConfig.DEFAULT)) {
      p.server.write("ab".getBytes(), 0, 2);
      p.client.setReadTimeout(GUARD);
      assertEquals('a', p.client.getInputStream().read()); // the ring now holds "b"
      p.client.close();
      p.server.setReadTimeout(GUARD);
      assertThrows(ConnectionResetException.class, () -> p.server.read(new byte[1], 0, 1));
      assertEquals(1, p.clientStack.counters().get(StackCounter.TCP_ABORT_ON_CLOSE));
    }
  }

  @Test
  void dataSentAfterThePeerClosedIsAnsweredWithRst() throws Exception {
    try (SocketPair p = SocketPair.open(TcpConfig.DEFAULT)) {
      p.client.close(); // nothing unread: FIN
      p.server.setReadTimeout(GUARD);
      assertEquals(-1, p.server.read(new byte[1], 0, 1));
      p.server.write("anyone there?".getBytes(), 0, 13); // CLOSE-WAIT may still send
      await(() -> state(p.server) == TcpState.CLOSED, "the server's connection reset");
      assertEquals(1, p.clientStack.counters().get(StackCounter.TCP_ABORT_ON_DATA));
      assertThrows(ConnectionResetException.class, () -> p.server.write(new byte[1], 0, 1));
      p.assertNoLoopErrors();
    }
  }

  @Test
  void aHalfClosedSocketStillReceives() throws Exception {
    try (SocketPair p = SocketPair.open(TcpConfig.DEFAULT)) {
      p.client.shutdownOutput();
      p.server.setReadTimeout(GUARD);
      assertEquals(-1, p.server.read(new byte[1], 0, 1));
      byte[] data = random(4, 50_000);
      p.server.write(data, 0, data.length);
      p.server.close();
      p.client.setReadTimeout(GUARD);
      assertArrayEquals(data, p.client.getInputStream().readAllBytes());
      assertEquals(0, p.clientStack.counters().get(StackCounter.TCP_ABORT_ON_DATA));
    }
  }
}
