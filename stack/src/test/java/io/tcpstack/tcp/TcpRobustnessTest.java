package io.tcpstack.tcp;

import static io.tcpstack.testing.Seg.ACK;
import static io.tcpstack.testing.Seg.FIN;
import static io.tcpstack.testing.Seg.PSH;
import static io.tcpstack.testing.Seg.RST;
import static io.tcpstack.testing.Seg.SYN;
import static io.tcpstack.testing.Seg.URG;
import static io.tcpstack.testing.TcpHarness.LOCAL_PORT;
import static io.tcpstack.testing.TcpHarness.MSS;
import static io.tcpstack.testing.TcpHarness.PEER_PORT;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.tcpstack.ip.Offload;
import io.tcpstack.stats.StackCounter;
import io.tcpstack.testing.Packets;
import io.tcpstack.testing.Seg;
import io.tcpstack.testing.TcpHarness;
import java.nio.ByteBuffer;
import java.util.List;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/**
 * Segment-level tests of what a blind attacker or a scanner can send: RFC 5961's checks (§3 RST,
 * §4 SYN, §5 ACK value) with their challenge ACKs and §7's stack-wide budget, and the unusual
 * segments of the table in docs/rfc-coverage.md ("Unusual segments"), each in the states where it
 * matters, with the exact segments the stack answers.
 */
class TcpRobustnessTest extends ConnectionFixture {

  static final long SECOND = 1_000_000_000L;
  /** Control bits ECE and CWR (RFC 3168 §6.1); Seg writes the whole flags byte. */
  static final int ECE = 0x40;
  static final int CWR = 0x80;
  static final int ALL_FLAGS = 0xFF;
  /** nmap's "Xmas" scan: FIN, PSH and URG. */
  static final int XMAS = FIN | PSH | URG;

  /** A stack with the challenge-ACK budget {@code limit} per second, drawn from {@code seed}. */
  void limitedTo(int limit, long seed) {
    h.close();
    h = new TcpHarness(b -> b.challengeAckLimit(limit).challengeAckSeed(seed));
  }

  /** A segment from the peer to a port nothing listens on. */
  static Seg toClosedPort() {
    return peer().ports(PEER_PORT, 8);
  }

  /** The stack's answer from that port. */
  static Seg fromClosedPort(int seq, int ack, int flags) {
    return new Seg(8, PEER_PORT, seq, ack, flags, 0, -1, new byte[0], null);
  }

  void listening() {
    listener = h.listen(LOCAL_PORT, 8, TcpConfig.DEFAULT);
  }

  void established(int peerWindow) {
    listening();
    h.send(peer().seq(PEER_ISS).flags(SYN).mss(1460).window(peerWindow));
    List<Seg> out = h.take();
    assertEquals(1, out.size());
    iss = out.get(0).seq;
    h.send(peer().ack(iss + 1).window(peerWindow));
    h.expectNothing();
    conn = listener.accept();
    assertNotNull(conn);
    assertEquals(TcpState.ESTABLISHED, conn.state());
  }

  /** The peer closed first: CLOSE-WAIT, RCV.NXT = PEER_ISS + 2. */
  void closeWait() {
    established();
    h.send(peer().ack(iss + 1).flags(FIN | ACK));
    h.expect(local().seq(iss + 1).ack(PEER_ISS + 2));
    assertEquals(TcpState.CLOSE_WAIT, conn.state());
  }

  /** We closed first and the peer's FIN came: TIME-WAIT, our SND.MAX = iss + 2, RCV.NXT = PEER_ISS + 2. */
  void timeWait() {
    established();
    h.shutdownOutput(conn);
    h.take();
    h.send(peer().ack(iss + 2).flags(FIN | ACK));
    h.expect(local().seq(iss + 2).ack(PEER_ISS + 2));
    assertEquals(TcpState.TIME_WAIT, conn.state());
  }

  /** What the stack sends when it challenges in ESTABLISHED with nothing sent: {@code <SEQ=ISS+1><ACK=RCV.NXT>}. */
  Seg challenge() {
    return local().seq(iss + 1).ack(PEER_ISS + 1);
  }

  long counter(StackCounter c) {
    return h.counter(c);
  }

  /**
   * {@code s} as the peer's IP packet, with the header's 4 reserved bits (RFC 9293 §3.1; the lowest
   * is RFC 3540's NS, now AccECN's AE) and the urgent pointer set as given, and the data offset
   * replaced when {@code dataOffsetWords} is not -1 (the checksum stays right).
   */
  static byte[] raw(Seg s, int reserved, int urgentPointer, int dataOffsetWords) {
    byte[] t = s.toBytes(Packets.HOST, Packets.STACK);
    int offset = dataOffsetWords >= 0 ? dataOffsetWords : (t[12] & 0xF0) >>> 4;
    t[12] = (byte) ((offset << 4) | (reserved & 0x0F));
    t[18] = (byte) (urgentPointer >>> 8);
    t[19] = (byte) urgentPointer;
    t[16] = 0;
    t[17] = 0;
    byte[] pseudo = new byte[12 + t.length];
    ByteBuffer.wrap(pseudo).putInt(Packets.HOST).putInt(Packets.STACK).put((byte) 0).put((byte) 6)
        .putShort((short) t.length).put(t);
    int c = Packets.checksum(pseudo, 0, pseudo.length);
    t[16] = (byte) (c >>> 8);
    t[17] = (byte) c;
    return Packets.ipv4(Packets.HOST, Packets.STACK, 6, t);
  }

  void sendRaw(byte[] packet) {
    h.send(packet, Offload.NONE);
  }

  // ================================================================== RFC 5961 §3: RST

  @Nested
  class Rfc5961Rst {
    @Test
    void rstAtRcvNxtResets() {
      established();
      h.send(peer().flags(RST));
      h.expectNothing();
      assertEquals(TcpError.RESET, conn.error());
      assertEquals(0, counter(StackCounter.TCP_CHALLENGE_ACKS));
    }

    @Test
    void rstInTheWindowButNotAtRcvNxtDrawsAChallengeAckAndIsCounted() {
      established();
      h.send(peer().seq(PEER_ISS + 2).flags(RST)); // one past RCV.NXT
      h.expect(challenge());
      h.send(peer().seq(PEER_ISS + 1 + 29_000).flags(RST | ACK).ack(iss + 1)); // near the right edge
      h.expect(challenge());
      assertEquals(TcpState.ESTABLISHED, conn.state());
      assertEquals(2, counter(StackCounter.TCP_CHALLENGE_ACKS));
    }

    @Test
    void theChallengeAckLetsTheRealPeerResetWithTheExactSequenceNumber() {
      // RFC 5961 §3.2: a peer that really lost the connection answers the challenge ACK with a RST
      // at its ACK field, which is RCV.NXT: that one is believed.
      established();
      h.send(peer().seq(PEER_ISS + 500).flags(RST));
      Seg ack = h.take().get(0);
      h.send(peer().seq(ack.ack).flags(RST));
      assertEquals(TcpError.RESET, conn.error());
    }

    @Test
    void rstOutsideTheWindowIsDroppedSilently() {
      established();
      h.send(peer().seq(PEER_ISS - 100).flags(RST));
      h.send(peer().seq(PEER_ISS + 1 + 70_000).flags(RST));
      h.expectNothing();
      assertEquals(TcpState.ESTABLISHED, conn.state());
      assertEquals(0, counter(StackCounter.TCP_CHALLENGE_ACKS));
    }

    @Test
    void rstAtRcvNxtMinusOneAfterThePeersFinResetsAsOnLinux() {
      closeWait();
      h.send(peer().seq(PEER_ISS + 1).flags(RST)); // the sequence number of the peer's FIN
      h.expectNothing();
      assertEquals(TcpState.CLOSED, conn.state());
      assertEquals(TcpError.RESET, conn.error());
    }

    @Test
    void rstAtRcvNxtMinusOneBeforeAnyFinIsJustOutOfWindow() {
      established();
      h.send(peer().seq(PEER_ISS).flags(RST));
      h.expectNothing();
      assertEquals(TcpState.ESTABLISHED, conn.state());
    }

    @Test
    void rstInSynReceivedOnlyAtRcvNxt() {
      listening();
      h.send(peer().seq(PEER_ISS).flags(SYN).mss(1460));
      iss = h.take().get(0).seq;
      h.send(peer().seq(PEER_ISS + 10).flags(RST));
      h.expect(local().seq(iss + 1).ack(PEER_ISS + 1)); // challenge ACK (in SYN-RECEIVED, SND.MAX = ISS + 1)
      h.send(peer().seq(PEER_ISS + 1).flags(RST));
      h.expectNothing();
      assertNull(listener.accept());
      assertEquals(0, h.stack().tcp().connectionCount());
    }
  }

  // ================================================================== RFC 5961 §4: SYN

  @Nested
  class Rfc5961Syn {
    @Test
    void synInTheWindowDrawsAChallengeAck() {
      established();
      h.send(peer().seq(PEER_ISS + 100).flags(SYN).mss(1460));
      h.expect(challenge());
      assertEquals(TcpState.ESTABLISHED, conn.state());
      assertEquals(1, counter(StackCounter.TCP_CHALLENGE_ACKS));
    }

    @Test
    void synOutsideTheWindowDrawsAChallengeAckToo() {
      // §4.2: "If the SYN bit is set, irrespective of the sequence number, TCP MUST send an ACK".
      established();
      h.send(peer().seq(PEER_ISS - 5000).flags(SYN).mss(1460));
      h.expect(challenge());
      h.send(peer().seq(PEER_ISS + 1_000_000).flags(SYN).mss(1460));
      h.expect(challenge());
      assertEquals(2, counter(StackCounter.TCP_CHALLENGE_ACKS));
      assertEquals(TcpState.ESTABLISHED, conn.state());
    }

    @Test
    void synAckInEstablishedDrawsAChallengeAck() {
      established();
      h.send(peer().seq(PEER_ISS).flags(SYN | ACK).ack(iss + 1).mss(1460));
      h.expect(challenge());
      assertEquals(TcpState.ESTABLISHED, conn.state());
    }

    @Test
    void synInCloseWaitDrawsAChallengeAck() {
      closeWait();
      h.send(peer().seq(PEER_ISS + 2).flags(SYN));
      h.expect(local().seq(iss + 1).ack(PEER_ISS + 2));
      assertEquals(TcpState.CLOSE_WAIT, conn.state());
    }

    @Test
    void synInTimeWaitsWindowDrawsAChallengeAckWithinTheBudget() {
      limitedTo(1, 3); // a budget of exactly 1 each second (half = 1, + random(1) = 0)
      timeWait();
      h.send(peer().seq(PEER_ISS + 2).flags(SYN)); // not beyond RCV.NXT: not a new incarnation
      h.expect(local().seq(iss + 2).ack(PEER_ISS + 2));
      h.send(peer().seq(PEER_ISS + 2).flags(SYN));
      h.expectNothing(); // the budget is spent
      assertEquals(1, counter(StackCounter.TCP_CHALLENGE_ACKS));
      assertEquals(1, counter(StackCounter.TCP_CHALLENGE_ACKS_SUPPRESSED));
      assertEquals(TcpState.TIME_WAIT, conn.state());
    }
  }

  // ================================================================== RFC 5961 §5: ACK value

  @Nested
  class Rfc5961AckValue {
    @Test
    void anAckOlderThanAnythingSentIsChallengedAndItsDataDropped() {
      established();
      h.write(conn, TcpConnectionTest.bytes(100));
      h.take();
      h.send(peer().ack(iss + 101));
      h.expectNothing();
      // SND.UNA - MAX.SND.WND would lie before our ISS: the edge is the ISS (nothing before it was sent).
      h.send(peer().ack(iss - 1).flags(ACK | PSH).payload("blind"));
      h.expect(local().seq(iss + 101).ack(PEER_ISS + 1));
      assertEquals(0, conn.readable(), "the text of a segment with an unacceptable ACK is dropped");
      assertEquals(1, counter(StackCounter.TCP_ACK_REJECTS));
      assertEquals(1, counter(StackCounter.TCP_CHALLENGE_ACKS));
    }

    @Test
    void anOldDuplicateAckWithinTheWindowIsIgnoredAndItsDataTaken() {
      established();
      h.write(conn, TcpConnectionTest.bytes(100));
      h.take();
      h.send(peer().ack(iss + 101));
      h.send(peer().ack(iss + 50).flags(ACK | PSH).payload("late")); // RFC 9293: "can be ignored"
      assertArrayEquals("late".getBytes(), h.read(conn, 10));
      assertEquals(0, counter(StackCounter.TCP_ACK_REJECTS));
      assertEquals(iss + 101, conn.sndUna());
    }

    @Test
    void theLowerEdgeIsSndUnaMinusTheLargestWindowThePeerOffered() {
      established(1000); // MAX.SND.WND = 1000
      h.write(conn, TcpConnectionTest.bytes(3000));
      for (int k = 1; k <= 3; k++) {
        assertEquals(1, h.take().size());
        h.send(peer().ack(iss + 1 + 1000 * k).window(1000));
      }
      h.take();
      assertEquals(iss + 3001, conn.sndUna());
      h.send(peer().ack(iss + 2001).window(1000).flags(ACK | PSH).payload("a")); // SND.UNA - MAX.SND.WND: acceptable
      assertArrayEquals("a".getBytes(), h.read(conn, 10));
      h.take();
      h.send(peer().seq(PEER_ISS + 2).ack(iss + 2000).window(1000).flags(ACK | PSH).payload("b")); // one older
      h.expect(local().seq(iss + 3001).ack(PEER_ISS + 2));
      assertEquals(0, conn.readable());
      assertEquals(1, counter(StackCounter.TCP_ACK_REJECTS));
    }

    @Test
    void anAckOfWhatWasNeverSentIsAnsweredAndItsDataDropped() {
      established();
      h.send(peer().ack(iss + 5000).flags(ACK | PSH).payload("blind"));
      h.expect(challenge());
      assertEquals(0, conn.readable());
      assertEquals(iss + 1, conn.sndUna());
      assertEquals(1, counter(StackCounter.TCP_ACK_REJECTS));
    }

    @Test
    void anAckUpToSndMaxIsGoodAfterATimeoutWentBack() {
      established();
      h.write(conn, TcpConnectionTest.bytes(3 * MSS));
      assertEquals(3, h.take().size());
      h.atMs(200); // RTO: SND.NXT goes back to SND.UNA and the first segment goes again
      assertEquals(1, h.take().size());
      h.send(peer().ack(iss + 1 + 3 * MSS)); // acknowledges everything sent before the timeout
      assertEquals(iss + 1 + 3 * MSS, conn.sndUna());
      assertEquals(0, counter(StackCounter.TCP_ACK_REJECTS));
    }
  }

  // ================================================================== RFC 5961 §7: the budget

  @Nested
  class Rfc5961RateLimit {
    /** How many of {@code n} challenge ACKs at {@code atNs} a limiter with this limit and seed lets go. */
    int allowed(ChallengeAckLimiter l, int n, long atNs) {
      int k = 0;
      for (int i = 0; i < n; i++) {
        if (l.tryAcquire(atNs)) {
          k++;
        }
      }
      return k;
    }

    @Test
    void aBurstOfBadRstsGetsTheSecondsBudgetOfChallengeAcksAndTheNextSecondAFreshOne() {
      limitedTo(10, 42);
      ChallengeAckLimiter model = new ChallengeAckLimiter(10, 42);
      int first = allowed(model, 40, 0);
      int second = allowed(model, 40, SECOND);
      established();
      for (int i = 0; i < 40; i++) {
        h.send(peer().seq(PEER_ISS + 2 + i).flags(RST));
      }
      List<Seg> out = h.take();
      assertEquals(first, out.size());
      for (Seg s : out) {
        assertEquals(challenge(), s);
      }
      h.at(SECOND);
      for (int i = 0; i < 40; i++) {
        h.send(peer().seq(PEER_ISS + 2 + i).flags(RST));
      }
      assertEquals(second, h.take().size());
      assertEquals(first + second, counter(StackCounter.TCP_CHALLENGE_ACKS));
      assertEquals(80 - first - second, counter(StackCounter.TCP_CHALLENGE_ACKS_SUPPRESSED));
      assertEquals(TcpState.ESTABLISHED, conn.state());
    }

    @Test
    void theBudgetIsTheStacksNotTheConnections() {
      limitedTo(4, 9);
      int budget = allowed(new ChallengeAckLimiter(4, 9), 100, 0);
      established();
      TcpConnection first = conn;
      h.send(peer().ports(PEER_PORT + 1, LOCAL_PORT).seq(PEER_ISS).flags(SYN).mss(1460));
      int iss2 = h.take().get(0).seq;
      h.send(peer().ports(PEER_PORT + 1, LOCAL_PORT).ack(iss2 + 1));
      TcpConnection other = listener.accept();
      try {
        for (int i = 0; i < 10; i++) {
          h.send(peer().seq(PEER_ISS + 2).flags(RST));
          h.send(peer().ports(PEER_PORT + 1, LOCAL_PORT).seq(PEER_ISS + 2).flags(SYN));
        }
        assertEquals(budget, h.take().size());
        assertEquals(20 - budget, counter(StackCounter.TCP_CHALLENGE_ACKS_SUPPRESSED));
        assertEquals(TcpState.ESTABLISHED, first.state());
        assertEquals(TcpState.ESTABLISHED, other.state());
      } finally {
        other.dispose();
      }
    }

    @Test
    void ackValueChallengesShareTheBudget() {
      limitedTo(1, 5);
      established();
      h.send(peer().ack(iss + 9999));
      h.expect(challenge());
      h.send(peer().ack(iss + 9999));
      h.send(peer().seq(PEER_ISS + 3).flags(RST));
      h.expectNothing();
      assertEquals(2, counter(StackCounter.TCP_ACK_REJECTS));
      assertEquals(2, counter(StackCounter.TCP_CHALLENGE_ACKS_SUPPRESSED));
    }

    @Test
    void withoutALimitEveryChallengeIsAnswered() {
      h.close();
      h = new TcpHarness(b -> b.challengeAckLimit(Integer.MAX_VALUE));
      established();
      for (int i = 0; i < 3000; i++) {
        h.send(peer().seq(PEER_ISS + 2).flags(RST));
      }
      assertEquals(3000, h.take().size());
      assertEquals(0, counter(StackCounter.TCP_CHALLENGE_ACKS_SUPPRESSED));
    }
  }

  // ================================================================== unusual segments

  @Nested
  class SynFin {
    @Test
    void closedPortAnswersRstAcknowledgingBoth() {
      h.send(toClosedPort().seq(PEER_ISS).flags(SYN | FIN));
      h.expect(fromClosedPort(0, PEER_ISS + 2, RST | ACK));
    }

    @Test
    void listenerDropsItAndCountsIt() {
      listening();
      h.send(peer().seq(PEER_ISS).flags(SYN | FIN).mss(1460));
      h.expectNothing();
      assertEquals(1, counter(StackCounter.TCP_IN_BAD_FLAGS));
      assertEquals(0, h.stack().tcp().connectionCount());
      h.send(peer().seq(PEER_ISS).flags(SYN).mss(1460)); // a real SYN still opens
      assertEquals(SYN | ACK, h.take().get(0).flags);
    }

    @Test
    void synAckWithFinInSynSentEstablishesAndLeavesTheFinForLater() {
      conn = h.connect(8080, TcpConfig.DEFAULT);
      int connIss = h.take().get(0).seq;
      h.send(new Seg(8080, conn.localPort(), PEER_ISS, connIss + 1, SYN | ACK | FIN, 29200, 1460, new byte[0], null));
      // As Linux: the FIN is not taken with the SYN (the ACK covers the SYN only); the peer sends it again.
      h.expect(new Seg(conn.localPort(), 8080, connIss + 1, PEER_ISS + 1, ACK, 65535, -1, new byte[0], null));
      assertEquals(TcpState.ESTABLISHED, conn.state());
    }

    @Test
    void establishedAnswersAChallengeAck() {
      established();
      h.send(peer().seq(PEER_ISS + 1).flags(SYN | FIN));
      h.expect(challenge());
      assertEquals(TcpState.ESTABLISHED, conn.state());
      assertEquals(0, conn.readable());
    }

    @Test
    void timeWaitAnswersAChallengeAck() {
      timeWait();
      h.send(peer().seq(PEER_ISS + 2).flags(SYN | FIN));
      h.expect(local().seq(iss + 2).ack(PEER_ISS + 2));
      assertEquals(TcpState.TIME_WAIT, conn.state());
    }
  }

  @Nested
  class SynRst {
    @Test
    void closedPortSendsNothing() {
      h.send(toClosedPort().seq(PEER_ISS).flags(SYN | RST));
      h.expectNothing();
    }

    @Test
    void listenerIgnoresIt() {
      listening();
      h.send(peer().seq(PEER_ISS).flags(SYN | RST).mss(1460));
      h.expectNothing();
      assertEquals(0, h.stack().tcp().connectionCount());
    }

    @Test
    void synSentIgnoresItWithoutAnAcceptableAck() {
      conn = h.connect(8080, TcpConfig.DEFAULT);
      int connIss = h.take().get(0).seq;
      h.send(new Seg(8080, conn.localPort(), PEER_ISS, 0, SYN | RST, 29200, -1, new byte[0], null));
      h.expectNothing();
      assertEquals(TcpState.SYN_SENT, conn.state());
      h.send(new Seg(8080, conn.localPort(), PEER_ISS, connIss + 1, SYN | RST | ACK, 29200, -1, new byte[0], null));
      h.expectNothing();
      assertEquals(TcpError.REFUSED, conn.error(), "RST is checked before SYN (RFC 9293 §3.10.7.3)");
    }

    @Test
    void establishedTreatsItAsARst() {
      established();
      h.send(peer().seq(PEER_ISS + 7).flags(SYN | RST));
      h.expect(challenge()); // in the window, not exact: RFC 5961 §3.2
      h.send(peer().seq(PEER_ISS + 1).flags(SYN | RST));
      h.expectNothing();
      assertEquals(TcpError.RESET, conn.error());
    }

    @Test
    void aSynRstBeyondTimeWaitsSequenceSpaceDoesNotEndIt() {
      timeWait();
      h.send(peer().seq(PEER_ISS + 1000).flags(SYN | RST));
      h.expectNothing();
      assertEquals(TcpState.TIME_WAIT, conn.state(), "RFC 1337: no assassination through a SYN+RST either");
      assertEquals(1, h.stack().tcp().timeWaitCount());
    }
  }

  @Nested
  class NoFlags {
    @Test
    void closedPortAnswersRstAcknowledgingTheData() {
      h.send(toClosedPort().seq(PEER_ISS).flags(0).payload("abc"));
      h.expect(fromClosedPort(0, PEER_ISS + 3, RST | ACK));
    }

    @Test
    void listenerDropsIt() {
      listening();
      h.send(peer().seq(PEER_ISS).flags(0).payload("abc"));
      h.expectNothing();
      assertEquals(0, h.stack().tcp().connectionCount());
    }

    @Test
    void synSentDropsIt() {
      conn = h.connect(8080, TcpConfig.DEFAULT);
      h.take();
      h.send(new Seg(8080, conn.localPort(), PEER_ISS, 0, 0, 29200, -1, new byte[0], null));
      h.expectNothing();
      assertEquals(TcpState.SYN_SENT, conn.state());
    }

    @Test
    void establishedDropsItInTheWindowAndAcksItOutside() {
      established();
      h.send(peer().flags(0).payload("abc"));
      h.expectNothing();
      assertEquals(0, conn.readable());
      h.send(peer().seq(PEER_ISS + 100_000).flags(0).payload("abc"));
      h.expect(challenge()); // an unacceptable segment draws an ACK (RFC 9293 §3.10.7.4 first step)
    }

    @Test
    void timeWaitDropsItInTheWindow() {
      timeWait();
      h.send(peer().seq(PEER_ISS + 2).flags(0));
      h.expectNothing();
      assertEquals(TcpState.TIME_WAIT, conn.state());
    }
  }

  @Nested
  class AllFlags {
    @Test
    void closedPortSendsNothing() {
      h.send(toClosedPort().seq(PEER_ISS).flags(ALL_FLAGS).ack(1));
      h.expectNothing();
    }

    @Test
    void listenerSendsNothing() {
      listening();
      h.send(peer().seq(PEER_ISS).flags(ALL_FLAGS).ack(1));
      h.expectNothing();
      assertEquals(0, h.stack().tcp().connectionCount());
    }

    @Test
    void synSentTakesItAsARefusalOnlyWithAnAcceptableAck() {
      conn = h.connect(8080, TcpConfig.DEFAULT);
      int connIss = h.take().get(0).seq;
      h.send(new Seg(8080, conn.localPort(), PEER_ISS, connIss + 77, ALL_FLAGS, 29200, -1, new byte[0], null));
      h.expectNothing(); // an unacceptable ACK draws a RST, but never in answer to a RST
      assertEquals(TcpState.SYN_SENT, conn.state());
      h.send(new Seg(8080, conn.localPort(), PEER_ISS, connIss + 1, ALL_FLAGS, 29200, -1, new byte[0], null));
      assertEquals(TcpError.REFUSED, conn.error());
    }

    @Test
    void establishedChallengesItInTheWindowAndResetsAtRcvNxt() {
      established();
      h.send(peer().seq(PEER_ISS + 3).flags(ALL_FLAGS).ack(iss + 1).payload("x"));
      h.expect(challenge());
      assertEquals(0, conn.readable());
      h.send(peer().seq(PEER_ISS + 1).flags(ALL_FLAGS).ack(iss + 1));
      h.expectNothing();
      assertEquals(TcpError.RESET, conn.error());
    }

    @Test
    void timeWaitIgnoresIt() {
      timeWait();
      h.send(peer().seq(PEER_ISS + 2).flags(ALL_FLAGS).ack(iss + 2));
      h.expectNothing();
      assertEquals(TcpState.TIME_WAIT, conn.state());
    }
  }

  @Nested
  class Xmas {
    @Test
    void closedPortAnswersRstAcknowledgingTheFin() {
      h.send(toClosedPort().seq(PEER_ISS).flags(XMAS));
      h.expect(fromClosedPort(0, PEER_ISS + 1, RST | ACK));
    }

    @Test
    void listenerDropsIt() {
      listening();
      h.send(peer().seq(PEER_ISS).flags(XMAS));
      h.expectNothing();
    }

    @Test
    void establishedDropsItForWantOfAck() {
      established();
      h.send(peer().flags(XMAS).payload("x"));
      h.expectNothing();
      assertEquals(TcpState.ESTABLISHED, conn.state());
      assertEquals(0, conn.readable());
    }
  }

  @Nested
  class ReservedBits {
    @Test
    void aSynWithReservedBitsAndEcnBitsOpensAsUsual() {
      listening();
      sendRaw(raw(peer().seq(PEER_ISS).flags(SYN | ECE | CWR).mss(1460), 0x0F, 0, -1));
      List<Seg> out = h.take(); // Seg.parse asserts the reserved bits come back zero
      assertEquals(1, out.size());
      assertEquals(local().seq(out.get(0).seq).ack(PEER_ISS + 1).flags(SYN | ACK).mss(MSS), out.get(0),
          "no ECE in the SYN-ACK: this stack does not do ECN (RFC 3168 §6.1.1)");
    }

    @Test
    void dataWithReservedBitsIsDelivered() {
      established();
      sendRaw(raw(peer().ack(iss + 1).flags(ACK | PSH).payload("reserved"), 0x0E, 0, -1));
      assertArrayEquals("reserved".getBytes(), h.read(conn, 100));
    }
  }

  @Nested
  class Urgent {
    @Test
    void urgentDataIsDeliveredInlineWithThePointerAccepted() {
      established();
      // RFC 6093 §3: the pointer points at the byte after the urgent data (here the last byte "!").
      sendRaw(raw(peer().ack(iss + 1).flags(ACK | URG | PSH).payload("abc!"), 0, 4, -1));
      sendRaw(raw(peer().seq(PEER_ISS + 5).ack(iss + 1).flags(ACK | PSH).payload("def"), 0, 0, -1));
      assertArrayEquals("abc!def".getBytes(), h.read(conn, 100));
      assertEquals(PEER_ISS + 8, conn.rcvNxt());
    }

    @Test
    void anUrgentPointerBeyondTheSegmentOrWithoutUrgIsHarmless() {
      established();
      sendRaw(raw(peer().ack(iss + 1).flags(ACK | URG).payload("ab"), 0, 60_000, -1));
      sendRaw(raw(peer().seq(PEER_ISS + 3).ack(iss + 1).flags(ACK).payload("cd"), 0, 1, -1));
      assertArrayEquals("abcd".getBytes(), h.read(conn, 100));
    }
  }

  @Nested
  class MalformedHeaders {
    @Test
    void optionLengthZeroOrOneIsDroppedAndCounted() {
      listening();
      h.send(peer().seq(PEER_ISS).flags(SYN).rawOptions(new byte[] {2, 0, 0, 0}));
      h.send(peer().seq(PEER_ISS).flags(SYN).rawOptions(new byte[] {8, 1, 0, 0}));
      h.expectNothing();
      assertEquals(2, counter(StackCounter.TCP_IN_ERRS));
    }

    @Test
    void anOptionOverrunningTheHeaderIsDroppedAndCounted() {
      established();
      // Timestamps (length 10) with only 8 bytes of options left; then a lone kind byte at the end.
      h.send(peer().ack(iss + 1).payload("x").rawOptions(new byte[] {1, 1, 1, 1, 8, 10, 0, 0, 0, 1, 0, 0}));
      h.send(peer().ack(iss + 1).payload("x").rawOptions(new byte[] {1, 1, 1, 3}));
      h.expectNothing();
      assertEquals(0, conn.readable());
      assertEquals(2, counter(StackCounter.TCP_IN_ERRS));
    }

    @Test
    void aKnownOptionOfTheWrongLengthIsIgnoredAndTheSegmentTaken() {
      listening();
      // MSS with length 3 (well delimited, wrong for MSS) then window scale with length 4.
      h.send(peer().seq(PEER_ISS).flags(SYN).rawOptions(new byte[] {2, 3, 5, 3, 4, 7, 0, 0}));
      List<Seg> out = h.take();
      assertEquals(1, out.size());
      assertEquals(SYN | ACK, out.get(0).flags);
      assertEquals(-1, out.get(0).windowScale, "no valid Window Scale in the SYN: none in the SYN-ACK");
      assertEquals(0, counter(StackCounter.TCP_IN_ERRS));
    }

    @Test
    void aDataOffsetBelowFiveOrBeyondTheSegmentIsDroppedAndCounted() {
      established();
      sendRaw(raw(peer().ack(iss + 1).payload("abcd"), 0, 0, 4));
      sendRaw(raw(peer().ack(iss + 1).payload("abcd"), 0, 0, 15));
      h.expectNothing();
      assertEquals(0, conn.readable());
      assertEquals(2, counter(StackCounter.TCP_IN_ERRS));
    }

    @Test
    void dataInASynIsNotTakenBeforeTheHandshake() {
      listening();
      h.send(peer().seq(PEER_ISS).flags(SYN).mss(1460).payload("early"));
      Seg synAck = h.take().get(0);
      assertEquals(PEER_ISS + 1, synAck.ack, "the SYN-ACK acknowledges the SYN only; the peer sends its data again");
    }
  }
}
