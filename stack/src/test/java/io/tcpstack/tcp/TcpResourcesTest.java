package io.tcpstack.tcp;

import static io.tcpstack.testing.Seg.ACK;
import static io.tcpstack.testing.Seg.FIN;
import static io.tcpstack.testing.Seg.PSH;
import static io.tcpstack.testing.Seg.RST;
import static io.tcpstack.testing.Seg.SYN;
import static io.tcpstack.testing.TcpHarness.LOCAL_PORT;
import static io.tcpstack.testing.TcpHarness.PEER_PORT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tcpstack.stats.StackCounter;
import io.tcpstack.testing.Seg;
import io.tcpstack.testing.TcpHarness;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/**
 * What a connection costs, on a virtual clock: buffer memory taken only while data waits and given
 * back on drain, close, abort and TIME-WAIT; TIME-WAIT kept as a record; the timer heap touching
 * only what is due; and the stack's limits (connections, buffer memory, the listener's queues).
 */
class TcpResourcesTest {

  static final int PEER_ISS = TcpConnectionTest.PEER_ISS;
  static final long MS = TcpConnectionTest.MS;
  static final int CHUNK = TcpLayer.BUFFER_CHUNK;

  TcpHarness h = new TcpHarness();
  TcpListener listener;
  TcpConnection conn;
  int iss;

  @AfterEach
  void close() {
    if (conn != null) {
      conn.dispose();
    }
    h.close();
    assertEquals(0, h.stack().tcp().pool().inUse(), "every chunk is back in the pool");
  }

  static Seg peer() {
    return TcpConnectionTest.peer();
  }

  static Seg peer(int port) {
    return peer().ports(port, LOCAL_PORT);
  }

  /** A segment from the stack to the peer's usual port. */
  static Seg local() {
    return TcpConnectionTest.local();
  }

  BufferPool pool() {
    return h.stack().tcp().pool();
  }

  void established() {
    listener = h.listen(LOCAL_PORT, 8, TcpConfig.DEFAULT);
    h.send(peer().seq(PEER_ISS).flags(SYN).mss(1460));
    iss = h.take().get(0).seq;
    h.send(peer().ack(iss + 1));
    conn = listener.accept();
    assertNotNull(conn);
  }

  @Nested
  class MemoryFollowsData {
    @Test
    void anIdleEstablishedConnectionHoldsNoBufferMemory() {
      established();
      assertEquals(0, pool().inUse());
    }

    @Test
    void receivedBytesTakeChunksUntilTheApplicationReadsThem() {
      established();
      h.send(peer().ack(iss + 1).flags(PSH | ACK).payload(new byte[1000]));
      assertEquals(CHUNK, pool().inUse());
      assertEquals(1000, h.read(conn, 4000).length);
      assertEquals(0, pool().inUse(), "drained: the chunk went back");
    }

    @Test
    void sentBytesHoldChunksUntilAcknowledged() {
      established();
      h.write(conn, new byte[3000]);
      h.take();
      assertEquals(CHUNK, pool().inUse());
      h.send(peer().ack(iss + 1 + 3000));
      assertEquals(0, pool().inUse(), "acknowledged: the chunk went back");
    }

    @Test
    void outOfOrderBytesHoldTheirChunksUntilDelivered() {
      established();
      h.send(peer().ack(iss + 1).seq(PEER_ISS + 1 + 20_000).payload(new byte[100]));
      assertTrue(pool().inUse() >= 2 * CHUNK, "the chunks up to the out-of-order bytes");
      h.send(peer().ack(iss + 1).payload(new byte[20_000]));
      assertEquals(20_100, h.read(conn, 30_000).length);
      assertEquals(0, pool().inUse());
    }

    @Test
    void abortGivesEverythingBack() {
      established();
      h.write(conn, new byte[5000]);
      h.send(peer().ack(iss + 1).payload(new byte[700]));
      assertTrue(pool().inUse() > 0);
      h.abort(conn);
      conn.dispose();
      conn = null;
      assertEquals(0, pool().inUse());
    }

    @Test
    void aConnectionResetBeforeAcceptIsReleasedAtOnce() {
      listener = h.listen(LOCAL_PORT, 8, TcpConfig.DEFAULT);
      h.send(peer().seq(PEER_ISS).flags(SYN));
      iss = h.take().get(0).seq;
      h.send(peer().ack(iss + 1).payload(new byte[500]));
      assertEquals(CHUNK, pool().inUse());
      h.send(peer().seq(PEER_ISS + 501).flags(RST));
      assertEquals(0, pool().inUse());
      assertEquals(null, listener.accept());
    }

    @Test
    void aFullPoolLimitsWritesTheWindowsOfferedAndWhatIsAccepted() {
      h.close();
      h = new TcpHarness(b -> b.bufferMemory(1 << 20)); // 64 chunks for the whole stack
      listener = h.listen(LOCAL_PORT, 8, TcpConfig.builder().sendBufferSize(4 << 20).build());
      TcpConnection other = open(PEER_PORT + 1); // established while memory was plentiful: offered 65535
      conn = open(PEER_PORT);
      // Nothing is acknowledged, so everything written stays: the pool, not the 4 MiB buffer, limits it.
      int taken = h.write(conn, new byte[4 << 20]);
      h.take();
      assertEquals(1 << 20, taken, "writes take only what the pool can hold");
      assertEquals(pool().maxBytes(), pool().inUse());
      // A new connection is offered no window while there is no memory for it.
      h.send(peer(PEER_PORT + 2).seq(PEER_ISS).flags(SYN).mss(1460));
      assertEquals(0, h.take().get(0).window, "no memory, no window");
      // Data inside a window offered earlier (it never moves left) is dropped and counted, for the
      // peer to send again.
      h.send(peer(PEER_PORT + 1).ack(otherIss + 1).payload(new byte[100]));
      assertEquals(1, h.counter(StackCounter.TCP_RCV_MEMORY_DROPS));
      assertEquals(0, other.readable());
      // The writer goes away: memory is back, and so are windows and data.
      h.abort(conn);
      conn.dispose();
      conn = null;
      h.send(peer(PEER_PORT + 1).ack(otherIss + 1).payload(new byte[100]));
      assertEquals(100, other.readable());
      h.send(peer(PEER_PORT + 3).seq(PEER_ISS).flags(SYN).mss(1460));
      assertEquals(65535, h.take().get(0).window);
      h.abort(other);
      other.dispose();
    }

    @Test
    void aWriterRefusedForWantOfMemoryHearsOnWritableWhenMemoryIsBack() {
      h.close();
      h = new TcpHarness(b -> b.bufferMemory(1 << 20));
      listener = h.listen(LOCAL_PORT, 8, TcpConfig.builder().sendBufferSize(4 << 20).build());
      TcpConnection waiter = open(PEER_PORT + 1);
      conn = open(PEER_PORT);
      h.write(conn, new byte[4 << 20]); // takes the whole pool
      h.take();
      java.util.List<String> heard = new java.util.ArrayList<>();
      waiter.subscribe(new TcpEvents() {
        @Override
        public void onWritable(TcpConnection c) {
          heard.add("writable " + c.writable());
        }
      });
      assertEquals(0, h.write(waiter, new byte[1000]), "no memory: nothing taken, though its own buffer is empty");
      h.atMs(1);
      assertEquals(List.of(), heard, "no acknowledgment of its own will ever say so");
      h.abort(conn); // memory comes back
      conn.dispose();
      conn = null;
      h.atMs(2);
      assertEquals(List.of("writable " + (4 << 20)), heard);
      assertEquals(1000, h.write(waiter, new byte[1000]));
      h.abort(waiter);
      waiter.dispose();
    }

    int otherIss;

    private TcpConnection open(int port) {
      h.send(peer(port).seq(PEER_ISS).flags(SYN).mss(1460));
      int synAck = h.take().get(0).seq;
      if (port == PEER_PORT) {
        iss = synAck;
      } else {
        otherIss = synAck;
      }
      h.send(peer(port).ack(synAck + 1));
      return listener.accept();
    }
  }

  @Nested
  class TimeWait {
    void intoTimeWait() {
      established();
      h.shutdownOutput(conn);
      h.take();
      h.send(peer().ack(iss + 2).flags(FIN | ACK));
      h.take();
      assertEquals(TcpState.TIME_WAIT, conn.state());
    }

    @Test
    void aConnectionInTimeWaitIsARecordNotAConnection() {
      intoTimeWait();
      assertEquals(1, h.stack().tcp().timeWaitCount());
      assertEquals(1, h.stack().tcp().connectionCount(), "the record still counts");
      assertEquals(1, h.counter(StackCounter.TCP_TIME_WAITS));
      conn.dispose();
      conn = null;
      assertEquals(0, pool().inUse());
      h.atMs(60_000);
      assertEquals(0, h.stack().tcp().connectionCount());
    }

    @Test
    void theApplicationKeepsUnreadBytesThroughTimeWait() {
      established();
      h.send(peer().ack(iss + 1).payload("last words"));
      h.shutdownOutput(conn);
      h.take();
      h.send(peer().seq(PEER_ISS + 11).ack(iss + 2).flags(FIN | ACK));
      assertEquals(TcpState.TIME_WAIT, conn.state());
      assertEquals("last words", new String(h.read(conn, 100)));
      assertTrue(conn.isEndOfStream());
    }

    @Test
    void theRecordAnswersAnAckForSomethingNeverSent() {
      intoTimeWait();
      h.send(peer().seq(PEER_ISS + 2).ack(iss + 999));
      h.expect(local().seq(iss + 2).ack(PEER_ISS + 2).flags(ACK));
    }

    @Test
    void aSynInTheWindowDrawsAChallengeAck() {
      intoTimeWait();
      h.send(peer().seq(PEER_ISS + 2).flags(SYN));
      h.expect(local().seq(iss + 2).ack(PEER_ISS + 2).flags(ACK));
      assertEquals(1, h.counter(StackCounter.TCP_CHALLENGE_ACKS));
    }

    @Test
    void recordsBeyondTheConnectionLimitAreNotKept() {
      h.close();
      h = new TcpHarness(b -> b.maxConnections(1));
      intoTimeWait(); // the first record
      conn.dispose();
      h.send(peer(PEER_PORT + 1).seq(PEER_ISS).flags(SYN));
      iss = h.take().get(0).seq;
      h.send(peer(PEER_PORT + 1).ack(iss + 1));
      conn = listener.accept();
      h.shutdownOutput(conn);
      h.take();
      h.send(peer(PEER_PORT + 1).ack(iss + 2).flags(FIN | ACK));
      assertEquals(TcpState.CLOSED, conn.state(), "no room for a second record: the 4-tuple is free at once");
      assertEquals(1, h.stack().tcp().timeWaitCount());
    }
  }

  @Nested
  class Timers {
    @Test
    void theNextDeadlineIsTheEarliestOfAllConnections() {
      listener = h.listen(LOCAL_PORT, 8, TcpConfig.DEFAULT);
      h.send(peer().seq(PEER_ISS).flags(SYN));
      h.atMs(100).send(peer(PEER_PORT + 1).seq(PEER_ISS).flags(SYN));
      h.take();
      // Both SYN-ACKs wait for their retransmission timers: 1 s after each was sent.
      assertEquals(1000 * MS, h.stack().pollAt());
      h.atMs(1000);
      assertEquals(1, h.take().size(), "only the first connection's SYN-ACK was due");
      assertEquals(1100 * MS, h.stack().pollAt());
    }

    @Test
    void aClosedConnectionLeavesTheTimerQueue() {
      established();
      h.write(conn, new byte[10]);
      h.take();
      assertTrue(h.stack().pollAt() != Long.MAX_VALUE);
      h.abort(conn);
      assertEquals(Long.MAX_VALUE, h.stack().pollAt());
    }
  }

  @Nested
  class Limits {
    @Test
    void aSynBeyondTheConnectionLimitIsRefusedWithRst() {
      h.close();
      h = new TcpHarness(b -> b.maxConnections(1));
      established();
      h.send(peer(PEER_PORT + 1).seq(PEER_ISS).flags(SYN));
      h.expect(local().ports(LOCAL_PORT, PEER_PORT + 1).ack(PEER_ISS + 1).flags(RST | ACK).window(0));
      assertEquals(1, h.counter(StackCounter.TCP_CONNECTION_LIMIT_RESETS));
    }

    @Test
    void connectBeyondTheLimitSaysWhatToRaise() {
      h.close();
      h = new TcpHarness(b -> b.maxConnections(1));
      established();
      IllegalStateException e = assertThrows(IllegalStateException.class, () -> h.connect(9, TcpConfig.DEFAULT));
      assertTrue(e.getMessage().contains("--max-connections"), e.getMessage());
    }

    @Test
    void aFullSynQueueDropsNewSynsWithCookiesOff() {
      h.close();
      h = new TcpHarness(b -> b.synBacklog(1).synCookies(false)); // with cookies: TcpSynCookiesTest
      listener = h.listen(LOCAL_PORT, 8, TcpConfig.DEFAULT);
      h.send(peer().seq(PEER_ISS).flags(SYN));
      assertEquals(1, h.take().size());
      h.send(peer(PEER_PORT + 1).seq(PEER_ISS).flags(SYN));
      h.expectNothing();
      assertEquals(1, h.counter(StackCounter.TCP_SYN_QUEUE_OVERFLOWS));
    }
  }
}
