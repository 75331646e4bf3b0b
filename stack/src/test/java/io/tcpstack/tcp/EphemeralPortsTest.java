package io.tcpstack.tcp;

import static io.tcpstack.testing.Seg.ACK;
import static io.tcpstack.testing.Seg.FIN;
import static io.tcpstack.testing.Seg.SYN;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tcpstack.StackConfig;
import io.tcpstack.testing.Packets;
import io.tcpstack.testing.Seg;
import io.tcpstack.testing.TcpHarness;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Ephemeral ports by RFC 6056 §3.3.4 (algorithm 4, double hash): the function itself, and active
 * opens through the TCP layer — each destination its own secret sequence, consecutive connections
 * to one destination different ports, listeners, live connections and TIME-WAIT 4-tuples skipped,
 * and "no free ephemeral port" when the range is used up. The harness fixes the key with {@code
 * ephemeralPortSeed(0)}; a twin {@link EphemeralPorts} with the same key predicts its choices.
 */
class EphemeralPortsTest {

  private static final int FIRST = TcpLayer.EPHEMERAL_FIRST;
  private static final int LAST = TcpLayer.EPHEMERAL_LAST;
  private static final int COUNT = LAST - FIRST + 1;
  private static final int HTTP = 80;
  private static final int HTTPS = 443;

  private final TcpHarness h = new TcpHarness();
  private final List<TcpConnection> opened = new ArrayList<>();

  @AfterEach
  void close() {
    for (TcpConnection c : opened) {
      c.dispose();
    }
    h.close();
  }

  /** The key the harness's stack uses ({@code ephemeralPortSeed(0)}). */
  private static byte[] harnessKey() {
    return StackConfig.builder().address(Packets.STACK, 24).ephemeralPortSeed(0).build().ephemeralPortKey();
  }

  /** A fresh selector with the harness's key: the same table, so the same choices. */
  private static EphemeralPorts twin() {
    return new EphemeralPorts(harnessKey(), FIRST, LAST);
  }

  /** An active open to the peer's {@code remotePort}; returns the local port its SYN came from. */
  private int connect(int remotePort) {
    TcpConnection c = h.connect(remotePort, TcpConfig.DEFAULT);
    opened.add(c);
    List<Seg> out = h.take();
    assertEquals(1, out.size(), "one SYN");
    Seg syn = out.get(0);
    assertEquals(SYN, syn.flags);
    assertEquals(remotePort, syn.dstPort);
    assertEquals(c.localPort(), syn.srcPort);
    return syn.srcPort;
  }

  // ------------------------------------------------------------------ the function

  @Test
  void theDestinationHashIsSipHashOfBothAddressesThenTheRemotePortInNetworkOrder() {
    SplittableRandom random = new SplittableRandom(6056);
    for (int i = 0; i < 10_000; i++) {
      long k0 = random.nextLong();
      long k1 = random.nextLong();
      int local = random.nextInt();
      int remote = random.nextInt();
      int port = random.nextInt(0, 65536);
      byte[] message = ByteBuffer.allocate(EphemeralPorts.MESSAGE_LENGTH).putInt(local).putInt(remote)
          .putShort((short) port).array();
      assertEquals(IsnGenerator.sipHash24(k0, k1, message, 0, message.length),
          EphemeralPorts.destinationHash(k0, k1, local, remote, port));
    }
  }

  @Test
  void portsFollowAlgorithmFourOffsetPlusTheDestinationsCounter() {
    EphemeralPorts ports = twin();
    EphemeralPorts reference = twin();
    int offset = reference.f(Packets.STACK, Packets.HOST, HTTP);
    int index = reference.g(Packets.STACK, Packets.HOST, HTTP);
    int counter = reference.counter(index);
    for (int i = 0; i < 100; i++) {
      int expected = FIRST + (int) ((Integer.toUnsignedLong(offset) + ((counter + i) & 0xFFFF)) % COUNT);
      assertEquals(expected, ports.pick(Packets.STACK, Packets.HOST, HTTP, p -> true), "connection " + i);
    }
    assertEquals((counter + 100) & 0xFFFF, ports.counter(index), "table[index]++ once per candidate");
  }

  @Test
  void whenNoPortIsSuitableThePickFailsAfterTryingEachOnce() {
    EphemeralPorts ports = twin();
    int index = ports.g(Packets.STACK, Packets.HOST, HTTP);
    int before = ports.counter(index);
    Set<Integer> tried = new HashSet<>();
    assertEquals(-1, ports.pick(Packets.STACK, Packets.HOST, HTTP, p -> {
      assertTrue(p >= FIRST && p <= LAST, "in the range: " + p);
      assertTrue(tried.add(p), "tried twice: " + p);
      return false;
    }));
    assertEquals(COUNT, tried.size(), "every port of the range tried");
    assertEquals((before + COUNT) & 0xFFFF, ports.counter(index));
  }

  @Test
  void aShortKeyIsRejected() {
    assertThrows(IllegalArgumentException.class, () -> new EphemeralPorts(new byte[15], FIRST, LAST));
    assertThrows(IllegalArgumentException.class,
        () -> StackConfig.builder().ephemeralPortKey(new byte[8]));
  }

  // ------------------------------------------------------------------ active opens

  @Test
  void consecutiveConnectsToOnePeerGetDifferentPortsInTheKeyedSequence() {
    EphemeralPorts predicted = twin();
    Set<Integer> seen = new HashSet<>();
    for (int i = 0; i < 50; i++) {
      int port = connect(HTTP);
      assertTrue(port >= FIRST && port <= LAST, "RFC 6335 §6 dynamic range: " + port);
      assertTrue(seen.add(port), "port " + port + " given twice");
      assertEquals(predicted.pick(Packets.STACK, Packets.HOST, HTTP, p -> true), port, "connection " + i);
    }
  }

  @Test
  void twoPeersGetUnrelatedSequencesAndOneDoesNotMoveTheOther() {
    EphemeralPorts probe = twin();
    // The two destinations step different counters of the table (true for this key; checked).
    assertNotEquals(probe.g(Packets.STACK, Packets.HOST, HTTP), probe.g(Packets.STACK, Packets.HOST, HTTPS));

    // Alone, toward HTTP only.
    EphemeralPorts alone = twin();
    List<Integer> httpAlone = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      httpAlone.add(alone.pick(Packets.STACK, Packets.HOST, HTTP, p -> true));
    }

    // Through the stack, interleaved with connections toward HTTPS.
    List<Integer> http = new ArrayList<>();
    List<Integer> https = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      http.add(connect(HTTP));
      https.add(connect(HTTPS));
      https.add(connect(HTTPS));
    }
    assertEquals(httpAlone, http,
        "connections elsewhere do not move a destination's sequence: its gaps reveal nothing (RFC 6056 §3.3.4)");
    // Unrelated: HTTPS's ports start at their own secret offset, not where HTTP's left off, as the
    // sequential allocator before did; and a different key moves both.
    int httpsStart = FIRST + (int) (Integer.toUnsignedLong(probe.f(Packets.STACK, Packets.HOST, HTTPS)
        + probe.counter(probe.g(Packets.STACK, Packets.HOST, HTTPS))) % COUNT);
    assertEquals(httpsStart, https.get(0));
    for (int i = 0; i < http.size(); i++) {
      assertNotEquals(http.get(i) + 1, (int) https.get(2 * i), "HTTPS's port follows HTTP's");
    }
    int gap = Math.floorMod(https.get(0) - http.get(0), COUNT);
    assertTrue(gap > 100 && gap < COUNT - 100, "the two sequences lie far apart in the range: " + gap);
    byte[] otherKey = harnessKey();
    otherKey[0] ^= 1;
    EphemeralPorts other = new EphemeralPorts(otherKey, FIRST, LAST);
    assertNotEquals(http.get(0), other.pick(Packets.STACK, Packets.HOST, HTTP, p -> true), "another key, another start");
  }

  @Test
  void aPortWithAListenerIsSkipped() {
    EphemeralPorts predicted = twin();
    int first = predicted.pick(Packets.STACK, Packets.HOST, HTTP, p -> true);
    int second = predicted.pick(Packets.STACK, Packets.HOST, HTTP, p -> true);
    h.listen(first, 1, TcpConfig.DEFAULT);
    assertEquals(second, connect(HTTP));
  }

  @Test
  void aFourTupleInTimeWaitIsSkippedButTheSamePortServesAnotherDestination() {
    EphemeralPorts predicted = twin();
    int first = predicted.pick(Packets.STACK, Packets.HOST, HTTP, p -> true);
    int second = predicted.pick(Packets.STACK, Packets.HOST, HTTP, p -> true);

    // Put the 4-tuple (stack:first, peer:80) in TIME-WAIT: the peer connects to a listener on
    // `first` from its port 80, the stack closes first, and the listener goes away.
    TcpListener listener = h.listen(first, 1, TcpConfig.DEFAULT);
    int peerIss = 5000;
    h.send(new Seg(HTTP, first, peerIss, 0, SYN, 29200, 1460, new byte[0], null));
    int iss = h.take().get(0).seq;
    h.send(new Seg(HTTP, first, peerIss + 1, iss + 1, ACK, 29200, -1, new byte[0], null));
    TcpConnection accepted = listener.accept();
    assertNotNull(accepted);
    opened.add(accepted);
    h.shutdownOutput(accepted);
    h.take(); // our FIN
    h.send(new Seg(HTTP, first, peerIss + 1, iss + 2, FIN | ACK, 29200, -1, new byte[0], null));
    h.take(); // the ACK of theirs
    assertEquals(TcpState.TIME_WAIT, accepted.state());
    listener.close(h.now());
    assertEquals(1, h.stack().tcp().timeWaitCount());

    assertEquals(second, connect(HTTP), "the TIME-WAIT 4-tuple is not reused (RFC 6056 §3.3's check_suitable_port)");
    assertEquals(1, h.stack().tcp().timeWaitCount(), "the record is still there");
  }

  @Test
  void whenEveryPortIsTakenConnectFailsWithNoFreeEphemeralPort() {
    // Listeners on every ephemeral port but one: the connection gets that one, the next none.
    EphemeralPorts predicted = twin();
    int last = predicted.pick(Packets.STACK, Packets.HOST, HTTP, p -> true);
    for (int port = FIRST; port <= LAST; port++) {
      if (port != last) {
        h.listen(port, 1, TcpConfig.DEFAULT);
      }
    }
    assertEquals(last, connect(HTTP));
    IllegalStateException e = assertThrows(IllegalStateException.class,
        () -> h.stack().tcp().connect(Packets.HOST, HTTP, TcpConfig.DEFAULT, h.now()));
    assertTrue(e.getMessage().contains("no free ephemeral port"), e.getMessage());
    assertEquals(1, h.stack().tcp().openConnectionCount(), "the failed attempt left nothing behind");
    // Another destination may use the same local port: the 4-tuple differs.
    assertEquals(last, connect(HTTPS));
  }

  @Test
  void anActiveOpenStartsAtTheRfc6528IsnOfItsFourTuple() {
    // RFC 6528 §3 kept with the new ports: ISN = M + F(local, local port, remote, remote port, key).
    int port = connect(HTTP);
    TcpConnection c = opened.get(0);
    int expected = new IsnGenerator(new byte[16]).isn(Packets.STACK, port, Packets.HOST, HTTP, h.now());
    assertEquals(expected, c.sndUna(), "the SYN's sequence number");
  }
}
