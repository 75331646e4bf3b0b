package io.tcpstack.tcp;

import static io.tcpstack.testing.Seg.ACK;
import static io.tcpstack.testing.Seg.FIN;
import static io.tcpstack.testing.Seg.PSH;
import static io.tcpstack.testing.Seg.RST;
import static io.tcpstack.testing.Seg.SYN;
import static io.tcpstack.testing.TcpHarness.LOCAL_PORT;
import static io.tcpstack.testing.TcpHarness.MSS;
import static io.tcpstack.testing.TcpHarness.PEER_PORT;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tcpstack.ip.Offload;
import io.tcpstack.stats.StackCounter;
import io.tcpstack.testing.Packets;
import io.tcpstack.testing.Seg;
import io.tcpstack.testing.TcpHarness;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/**
 * RFC 7323 §3–§5, the Timestamps option, segment by segment: negotiated only when both SYNs carry
 * it (§3.2); then on every segment we send but a RST, echoing TS.Recent by the rules of §4.3; an old
 * duplicate recognised by its TSval is acknowledged and dropped (PAWS, §5.3), a segment without the
 * option dropped (§3.2); a retransmission's RTT measured from the TSecr of its ACK (§4.1), where
 * Karn's rule (RFC 6298 §3) leaves our clock without a sample — the handshake included; 12 bytes of
 * every segment go to the option (RFC 6691 §3).
 *
 * <p>Our TS clock ticks every millisecond from a per-connection offset: a test reads the offset
 * from the first segment we send at t=0 ({@link #ourTs}). The peer's SYN is not scaled, so our
 * window field says min(buffer, 65535).
 */
class TcpTimestampsTest {

  static final int PEER_ISS = 10_000;
  /** The peer's TS clock in its SYN. */
  static final int PEER_TS = 1_000_000;
  static final int WINDOW = 65535;
  static final long MS = 1_000_000L;
  /** MSS 1460 less the 12 bytes of the option (RFC 6691 §3), Linux's 1448 at MTU 1500. */
  static final int TS_MSS = MSS - 12;
  static final TcpConfig NO_DELAYED_ACK = TcpConfig.builder().delayedAck(Duration.ZERO).build();

  TcpHarness h = new TcpHarness();
  TcpListener listener;
  TcpConnection conn;
  int iss;
  /** Our TS clock's offset: the TSval of what we sent at t=0. */
  int offset;
  /** The peer's TS clock: the TSval its next segment carries. */
  int peerTs = PEER_TS;

  @AfterEach
  void close() {
    if (conn != null) {
      conn.dispose();
    }
    h.close();
  }

  static Seg peer() {
    return new Seg(PEER_PORT, LOCAL_PORT, PEER_ISS + 1, 0, 0, WINDOW, -1, new byte[0], null);
  }

  static Seg local() {
    return new Seg(LOCAL_PORT, PEER_PORT, 0, 0, 0, WINDOW, -1, new byte[0], null);
  }

  /** Our TSval for a segment sent at {@code atMs}. */
  int ourTs(long atMs) {
    return offset + (int) atMs;
  }

  /** The one segment emitted since the last check. */
  Seg one() {
    List<Seg> out = h.take();
    assertEquals(1, out.size(), "one segment: " + out);
    return out.get(0);
  }

  static void assertTs(Seg s, int tsVal, int tsEcr) {
    assertTrue(s.timestamps, "RFC 7323 §3.2: TSopt on " + s);
    assertEquals(tsVal, s.tsVal, "TSval of " + s);
    assertEquals(tsEcr, s.tsEcr, "TSecr of " + s);
  }

  /** Data from the peer at {@code offset} into its stream, with TSval {@code tsVal}. */
  Seg data(int off, byte[] bytes, int tsVal) {
    return peer().seq(PEER_ISS + 1 + off).ack(iss + 1).flags(ACK | PSH).payload(bytes).ts(tsVal, ourTs(0));
  }

  /** Our ACK of the peer's stream up to {@code upTo}. */
  Seg ourAck(int upTo) {
    return local().seq(iss + 1).ack(PEER_ISS + 1 + upTo).flags(ACK);
  }

  // ------------------------------------------------------------------ fixtures

  /** LISTEN, the peer's SYN with timestamps at t=0, our SYN-ACK: SYN-RECEIVED. */
  Seg synReceived(TcpConfig config) {
    listener = h.listen(LOCAL_PORT, 8, config);
    h.send(peer().seq(PEER_ISS).flags(SYN).mss(MSS).ts(peerTs++, 0));
    Seg synAck = one();
    iss = synAck.seq;
    assertEquals(local().seq(iss).ack(PEER_ISS + 1).flags(SYN | ACK).mss(MSS), synAck);
    offset = synAck.tsVal;
    return synAck;
  }

  /** Passive open with timestamps on both sides, the handshake's ACK at 50 ms: ESTABLISHED, SRTT 50 ms. */
  void established(TcpConfig config) {
    Seg synAck = synReceived(config);
    assertTs(synAck, ourTs(0), PEER_TS);
    h.atMs(50).send(peer().ack(iss + 1).ts(peerTs++, ourTs(0)));
    h.expectNothing();
    conn = listener.accept();
    assertNotNull(conn);
    assertTrue(conn.timestamps.enabled);
  }

  void established() {
    established(TcpConfig.DEFAULT);
  }

  // ------------------------------------------------------------------ negotiation

  @Nested
  class Negotiation {

    @Test
    void aSynWithTimestampsGetsThemBackAndBothSidesUseThem() {
      established();
      assertEquals(TS_MSS, conn.sendMss());
      h.atMs(60).send(data(0, Packets.pattern(100), peerTs));
      h.atMs(100);
      assertTs(one(), ourTs(100), peerTs);
    }

    @Test
    void aSynWithoutTimestampsGetsASynAckWithoutThemAndNoSegmentCarriesThem() {
      listener = h.listen(LOCAL_PORT, 8, NO_DELAYED_ACK);
      h.send(peer().seq(PEER_ISS).flags(SYN).mss(MSS));
      Seg synAck = one();
      assertFalse(synAck.timestamps, "RFC 7323 §3.2: a SYN-ACK carries TSopt only if the SYN did");
      iss = synAck.seq;
      h.send(peer().ack(iss + 1));
      conn = listener.accept();
      assertFalse(conn.timestamps.enabled);
      assertEquals(MSS, conn.sendMss(), "no option: the whole MSS is payload");
      h.send(peer().ack(iss + 1).flags(ACK | PSH).payload("abc"));
      Seg ack = one();
      assertEquals(ourAck(3), ack);
      assertFalse(ack.timestamps);
    }

    @Test
    void withTimestampsTurnedOffWeAnswerWithoutThemAndIgnoreThePeers() {
      Seg synAck = synReceived(TcpConfig.builder().timestamps(false).delayedAck(Duration.ZERO).build());
      assertFalse(synAck.timestamps);
      h.send(peer().ack(iss + 1).ts(peerTs++, 0));
      conn = listener.accept();
      assertFalse(conn.timestamps.enabled);
      // RFC 7323 §3.2: TSopt on a connection that did not negotiate it is ignored, the segment
      // processed as if it had none — even with an "old" TSval.
      h.send(data(0, Packets.pattern(10), 5));
      Seg ack = one();
      assertEquals(ourAck(10), ack);
      assertFalse(ack.timestamps);
      assertEquals(10, conn.readable());
    }

    @Test
    void anActiveOpenOffersTimestampsAndUsesThemWhenTheSynAckAnswers() {
      conn = h.connect(PEER_PORT, TcpConfig.DEFAULT);
      Seg syn = one();
      offset = syn.tsVal;
      iss = syn.seq;
      assertTs(syn, offset, 0); // RFC 7323 §3.2: TSecr 0 without ACK
      h.atMs(20).send(new Seg(PEER_PORT, conn.localPort(), PEER_ISS, iss + 1, SYN | ACK, WINDOW, MSS, new byte[0], null)
          .ts(PEER_TS, ourTs(0)));
      Seg ack = one();
      assertEquals(new Seg(conn.localPort(), PEER_PORT, iss + 1, PEER_ISS + 1, ACK, WINDOW, -1, new byte[0], null), ack);
      assertTs(ack, ourTs(20), PEER_TS);
      assertTrue(conn.timestamps.enabled);
      assertEquals(TS_MSS, conn.sendMss());
      assertEquals(20 * MS, conn.info().srttNs(), "the SYN's RTT, from our clock (never retransmitted)");
    }

    @Test
    void anActiveOpenDropsTimestampsWhenTheSynAckHasNone() {
      conn = h.connect(PEER_PORT, TcpConfig.DEFAULT);
      Seg syn = one();
      assertTrue(syn.timestamps);
      iss = syn.seq;
      h.atMs(20).send(new Seg(PEER_PORT, conn.localPort(), PEER_ISS, iss + 1, SYN | ACK, WINDOW, MSS, new byte[0], null));
      assertFalse(one().timestamps);
      assertFalse(conn.timestamps.enabled);
      assertEquals(MSS, conn.sendMss());
      h.write(conn, Packets.pattern(10));
      assertFalse(one().timestamps);
    }

    @Test
    void anActiveOpenWithTimestampsTurnedOffDoesNotOfferThem() {
      conn = h.connect(PEER_PORT, TcpConfig.builder().timestamps(false).build());
      Seg syn = one();
      assertFalse(syn.timestamps);
      iss = syn.seq;
      h.send(new Seg(PEER_PORT, conn.localPort(), PEER_ISS, iss + 1, SYN | ACK, WINDOW, MSS, new byte[0], null)
          .ts(PEER_TS, 0));
      assertFalse(one().timestamps, "a SYN-ACK may not bring what our SYN did not offer");
      assertFalse(conn.timestamps.enabled);
    }
  }

  // ------------------------------------------------------------------ every segment

  @Nested
  class EverySegment {

    @Test
    void dataRetransmissionsAcksAndFinCarryTimestampsAndRstDoesNot() {
      established();
      h.atMs(100).write(conn, "hello".getBytes());
      Seg data = one();
      assertEquals(local().seq(iss + 1).ack(PEER_ISS + 1).flags(ACK | PSH).payload("hello"), data);
      assertTs(data, ourTs(100), PEER_TS + 1);
      // RTO 200 ms (SRTT 50 ms from the handshake): the retransmission carries the clock of its time.
      h.atMs(300);
      Seg again = one();
      assertEquals(data, again);
      assertTs(again, ourTs(300), PEER_TS + 1);
      // The peer acknowledges and sends data: our delayed ACK echoes it.
      h.atMs(330).send(peer().ack(iss + 6).flags(ACK | PSH).payload("world").ts(peerTs, ourTs(300)));
      h.expectNothing();
      h.atMs(370);
      Seg ack = one();
      assertEquals(ourAck(5).seq(iss + 6), ack);
      assertTs(ack, ourTs(370), peerTs);
      h.atMs(400).shutdownOutput(conn);
      Seg fin = one();
      assertEquals(local().seq(iss + 6).ack(PEER_ISS + 6).flags(FIN | ACK), fin);
      assertTs(fin, ourTs(400), peerTs);
      h.atMs(450).abort(conn);
      Seg rst = one();
      assertEquals(local().seq(iss + 7).flags(RST).window(0), rst);
      assertFalse(rst.timestamps, "RFC 7323 §3.2: a RST carries none");
    }

    @Test
    void keepAliveProbesCarryTimestamps() {
      established(TcpConfig.builder().keepAlive(Duration.ofSeconds(1), Duration.ofSeconds(1), 3).build());
      h.atMs(1050);
      Seg probe = one();
      assertEquals(local().seq(iss).ack(PEER_ISS + 1).flags(ACK), probe);
      assertTs(probe, ourTs(1050), PEER_TS + 1);
    }

    @Test
    void timeWaitAcksCarryTimestampsEchoingTheLatestFin() {
      established();
      h.atMs(100).shutdownOutput(conn);
      assertTs(one(), ourTs(100), PEER_TS + 1);
      h.atMs(150).send(peer().ack(iss + 2).flags(FIN | ACK).ts(peerTs, ourTs(100)));
      Seg ack = one();
      assertEquals(TcpState.TIME_WAIT, conn.state());
      assertEquals(local().seq(iss + 2).ack(PEER_ISS + 2).flags(ACK), ack);
      assertTs(ack, ourTs(150), peerTs);
      // Our ACK was lost: the peer's FIN again, with its clock of now. The TIME-WAIT record answers.
      h.atMs(400).send(peer().ack(iss + 2).flags(FIN | ACK).ts(peerTs + 250, ourTs(100)));
      Seg again = one();
      assertEquals(ack, again);
      assertTs(again, ourTs(400), peerTs + 250);
      // A RST is ignored in TIME-WAIT (RFC 1337) and nothing answers it.
      h.send(peer().seq(PEER_ISS + 2).flags(RST));
      h.expectNothing();
    }
  }

  // ------------------------------------------------------------------ TIME-WAIT reuse

  @Nested
  class TimeWaitReuse {

    /** Our FIN at 100 ms, the peer's FIN at 150 ms: TIME-WAIT, TS.Recent = the FIN's TSval. */
    int timeWait() {
      established();
      h.atMs(100).shutdownOutput(conn);
      one();
      int finTs = peerTs;
      h.atMs(150).send(peer().ack(iss + 2).flags(FIN | ACK).ts(finTs, ourTs(100)));
      one();
      assertEquals(TcpState.TIME_WAIT, conn.state());
      return finTs;
    }

    @Test
    void aSynWithANewerTimestampReopensTheTupleWhateverItsSequenceNumber() {
      int finTs = timeWait();
      // RFC 6191 §2: the new incarnation's ISN is below the old RCV.NXT, its TSval newer.
      h.atMs(1000).send(peer().seq(PEER_ISS - 5000).flags(SYN).mss(MSS).ts(finTs + 850, 0));
      Seg synAck = one();
      assertEquals(SYN | ACK, synAck.flags);
      assertEquals(PEER_ISS - 4999, synAck.ack);
      assertTs(synAck, ourTs(1000), finTs + 850);
      assertEquals(TcpState.CLOSED, conn.state(), "the old incarnation is gone");
    }

    @Test
    void aSynWithNeitherANewerTimestampNorAHigherSequenceNumberIsAnsweredByTimeWait() {
      int finTs = timeWait();
      h.atMs(1000).send(peer().seq(PEER_ISS - 5000).flags(SYN).mss(MSS).ts(finTs, 0));
      Seg ack = one();
      assertEquals(local().seq(iss + 2).ack(PEER_ISS + 2).flags(ACK), ack, "an unacceptable segment's ACK");
      assertEquals(TcpState.TIME_WAIT, conn.state());
    }
  }

  // ------------------------------------------------------------------ which timestamp we echo

  @Nested
  class Echo {

    @Test
    void aDelayedAckEchoesTheEarliestUnacknowledgedSegment() {
      established();
      // RFC 7323 §4.3 case (A): two full-sized segments, one ACK (every second one at once, RFC
      // 5681 §4.2, with 1448-byte segments): it echoes the first's TSval.
      h.atMs(60).send(data(0, Packets.pattern(TS_MSS), peerTs + 1));
      h.expectNothing();
      h.atMs(61).send(data(TS_MSS, Packets.pattern(TS_MSS), peerTs + 2));
      Seg ack = one();
      assertEquals(ourAck(2 * TS_MSS), ack);
      assertTs(ack, ourTs(61), peerTs + 1);
      // One more, ACKed by the delayed-ACK timer: it echoes its own.
      h.atMs(70).send(data(2 * TS_MSS, Packets.pattern(100), peerTs + 10));
      h.expectNothing();
      h.atMs(110);
      Seg delayed = one();
      assertEquals(ourAck(2 * TS_MSS + 100), delayed);
      assertTs(delayed, ourTs(110), peerTs + 10);
    }

    @Test
    void aDuplicateAckEchoesTheSegmentThatLastAdvancedTheWindowUntilTheGapIsFilled() {
      established(NO_DELAYED_ACK);
      byte[] a = Packets.pattern(100);
      h.atMs(60).send(data(0, a, peerTs));
      assertTs(one(), ourTs(60), peerTs);
      // RFC 7323 §4.3 case (B): B (100..199) is lost, C arrives: the duplicate ACK echoes A, not C,
      // so that the sender's RTT covers the delay the loss caused.
      h.atMs(61).send(data(200, Packets.pattern(100), peerTs + 2));
      Seg dup = one();
      assertEquals(ourAck(100), dup);
      assertTs(dup, ourTs(61), peerTs);
      // B retransmitted fills the gap: its TSval is echoed.
      h.atMs(90).send(data(100, Packets.pattern(100), peerTs + 30));
      Seg filled = one();
      assertEquals(ourAck(300), filled);
      assertTs(filled, ourTs(90), peerTs + 30);
      assertEquals(300, conn.readable());
    }
  }

  // ------------------------------------------------------------------ PAWS and segments without timestamps

  @Nested
  class Paws {

    @Test
    void anOldDuplicateIsAcknowledgedAndDropped() {
      established(NO_DELAYED_ACK);
      // TS.Recent is PEER_TS + 1 (the handshake's ACK); data with an older TSval, in the window.
      h.atMs(60).send(data(0, Packets.pattern(100), PEER_TS));
      Seg ack = one();
      assertEquals(ourAck(0), ack, "RFC 7323 §5.3 R1: acknowledged");
      assertTs(ack, ourTs(60), PEER_TS + 1);
      assertEquals(0, conn.readable(), "and dropped");
      assertEquals(1, h.counter(StackCounter.TCP_PAWS_DROPS));
      // The same bytes with a current TSval are taken.
      h.atMs(61).send(data(0, Packets.pattern(100), PEER_TS + 2));
      assertTs(one(), ourTs(61), PEER_TS + 2);
      assertEquals(100, conn.readable());
    }

    @Test
    void aRstIsNotCheckedByPaws() {
      established();
      h.atMs(60).send(peer().flags(RST).ts(PEER_TS - 100, 0));
      h.expectNothing();
      assertEquals(TcpState.CLOSED, conn.state());
      assertEquals(TcpError.RESET, conn.error());
      assertEquals(0, h.counter(StackCounter.TCP_PAWS_DROPS));
    }

    @Test
    void afterTwentyFourDaysIdleTsRecentIsNoLongerTrusted() {
      established(NO_DELAYED_ACK);
      long day = 24L * 60 * 60 * 1000;
      int older = PEER_TS - 1000;
      // 23 days idle: TS.Recent still holds, the older TSval is an old duplicate.
      h.atMs(23 * day).send(data(0, Packets.pattern(100), older));
      assertEquals(ourAck(0), one());
      assertEquals(1, h.counter(StackCounter.TCP_PAWS_DROPS));
      // 25 days idle (RFC 7323 §5.5): the peer's clock may have wrapped half-way since; its TSval
      // is taken as the new TS.Recent and the segment accepted.
      h.atMs(25 * day).send(data(0, Packets.pattern(100), older));
      Seg ack = one();
      assertEquals(ourAck(100), ack);
      assertTs(ack, ourTs(25 * day), older);
      assertEquals(1, h.counter(StackCounter.TCP_PAWS_DROPS));
      assertEquals(100, conn.readable());
    }

    @Test
    void aSegmentWithoutTimestampsIsDroppedSilentlyAndCounted() {
      established(NO_DELAYED_ACK);
      h.atMs(60).send(peer().ack(iss + 1).flags(ACK | PSH).payload("abc"));
      h.expectNothing();
      assertEquals(0, conn.readable());
      assertEquals(1, h.counter(StackCounter.TCP_TS_MISSING_DROPS));
      assertEquals(TcpState.ESTABLISHED, conn.state());
    }

    @Test
    void aRstWithoutTimestampsStillResets() {
      established();
      h.atMs(60).send(peer().flags(RST));
      assertEquals(TcpState.CLOSED, conn.state());
      assertEquals(TcpError.RESET, conn.error());
      assertEquals(0, h.counter(StackCounter.TCP_TS_MISSING_DROPS));
    }
  }

  // ------------------------------------------------------------------ RTT

  @Nested
  class Rtt {

    /** Data at 100 ms, its retransmission at 300 ms (RTO 200 ms, then 400 ms), ACKed at 330 ms echoing {@code tsEcr}. */
    void retransmitThenAck(boolean timestamps) {
      h.atMs(100).write(conn, "hello".getBytes());
      assertEquals(1, h.take().size());
      assertEquals(200 * MS, conn.rtoNs());
      h.atMs(300);
      assertEquals(1, h.take().size());
      assertEquals(400 * MS, conn.rtoNs(), "RFC 6298 §5.5: backed off");
      Seg ack = peer().ack(iss + 6);
      h.atMs(330).send(timestamps ? ack.ts(peerTs, ourTs(300)) : ack);
    }

    @Test
    void theAckOfARetransmissionGivesASampleFromItsTsEcr() {
      established();
      assertEquals(50 * MS, conn.info().srttNs());
      retransmitThenAck(true);
      // RFC 7323 §4.1: 330 - 300 = 30 ms, where Karn forbids our clock. RFC 6298 §2.3: SRTT =
      // 7/8 * 50 + 1/8 * 30 ms; RTO = SRTT + 4 * RTTVAR = 47.5 + 4 * 23.75 ms, at least 200 ms:
      // the backoff is gone.
      assertEquals(47_500_000L, conn.info().srttNs());
      assertEquals(200 * MS, conn.rtoNs());
    }

    @Test
    void withoutTimestampsKarnTakesNoSampleAndTheBackoffStays() {
      listener = h.listen(LOCAL_PORT, 8, TcpConfig.DEFAULT);
      h.send(peer().seq(PEER_ISS).flags(SYN).mss(MSS));
      iss = one().seq;
      h.atMs(50).send(peer().ack(iss + 1));
      conn = listener.accept();
      retransmitThenAck(false);
      assertEquals(50 * MS, conn.info().srttNs(), "RFC 6298 §3: no sample from a retransmitted segment");
      assertEquals(400 * MS, conn.rtoNs());
    }

    @Test
    void anActiveOpenTimesARetransmittedSynByTheSynAcksTsEcr() {
      conn = h.connect(PEER_PORT, TcpConfig.DEFAULT);
      Seg syn = one();
      offset = syn.tsVal;
      iss = syn.seq;
      h.atMs(1000);
      Seg again = one();
      assertEquals(syn, again);
      assertTs(again, ourTs(1000), 0);
      // The SYN-ACK answers the second SYN: 50 ms, though the first left 1050 ms ago.
      h.atMs(1050).send(new Seg(PEER_PORT, conn.localPort(), PEER_ISS, iss + 1, SYN | ACK, WINDOW, MSS, new byte[0], null)
          .ts(PEER_TS, ourTs(1000)));
      assertTs(one(), ourTs(1050), PEER_TS);
      assertEquals(50 * MS, conn.info().srttNs());
      assertEquals(3000 * MS, conn.rtoNs(), "RFC 6298 §5.7 still: 3 s once the SYN timed out");
    }
  }

  // ------------------------------------------------------------------ the handshake and Karn

  @Nested
  class HandshakeKarn {

    /**
     * A duplicate SYN (the peer's retransmission crossing our SYN-ACK) draws our SYN-ACK again: a
     * retransmitted SYN-ACK, whose ACK Karn's rule (RFC 6298 §3) forbids timing. The first data's
     * retransmission then comes after the initial RTO, 1 s — not 200 ms, as after the 10 ms sample
     * the first SYN-ACK's timing would have given.
     */
    @Test
    void anAckOfARepeatedSynAckGivesNoSample() {
      listener = h.listen(LOCAL_PORT, 8, TcpConfig.DEFAULT);
      Seg syn = peer().seq(PEER_ISS).flags(SYN).mss(MSS);
      h.send(syn);
      Seg synAck = one();
      iss = synAck.seq;
      h.atMs(5).send(syn);
      h.expect(synAck);
      h.atMs(10).send(peer().ack(iss + 1));
      conn = listener.accept();
      assertEquals(0, conn.info().srttNs(), "no RTT sample");
      h.write(conn, "hello".getBytes());
      Seg data = one();
      h.atMs(210).expectNothing();
      h.atMs(1009).expectNothing();
      h.atMs(1010).expect(data);
    }

    @Test
    void withTimestampsTheEchoTellsWhichSynAckWasAcknowledged() {
      synReceived(TcpConfig.DEFAULT);
      h.atMs(5).send(peer().seq(PEER_ISS).flags(SYN).mss(MSS).ts(PEER_TS + 5, 0));
      Seg again = one();
      assertEquals(local().seq(iss).ack(PEER_ISS + 1).flags(SYN | ACK).mss(MSS), again);
      assertTs(again, ourTs(5), PEER_TS + 5); // RFC 7323 §4.3: the newer SYN's TSval
      h.atMs(10).send(peer().ack(iss + 1).ts(PEER_TS + 10, ourTs(5)));
      conn = listener.accept();
      assertEquals(5 * MS, conn.info().srttNs(), "RFC 7323 §4.1: 10 - 5 ms, from the TSecr");
    }
  }

  // ------------------------------------------------------------------ MSS

  @Nested
  class Mss {

    @Test
    void segmentsCarry1448BytesWithTheOption() {
      established();
      byte[] bytes = Packets.pattern(4000);
      h.atMs(100).write(conn, bytes);
      List<Seg> out = h.take();
      assertEquals(3, out.size());
      assertArrayEquals(java.util.Arrays.copyOfRange(bytes, 0, TS_MSS), out.get(0).payload);
      assertArrayEquals(java.util.Arrays.copyOfRange(bytes, TS_MSS, 2 * TS_MSS), out.get(1).payload);
      assertArrayEquals(java.util.Arrays.copyOfRange(bytes, 2 * TS_MSS, 4000), out.get(2).payload);
      for (Seg s : out) {
        assertTs(s, ourTs(100), PEER_TS + 1);
      }
    }

    @Test
    void superSegmentsAreCutAt1448Bytes() {
      h.close();
      h = new TcpHarness(b -> b, Offload.TX_CHECKSUM | Offload.TX_SEGMENTATION);
      established();
      h.takeOffloads();
      h.atMs(100).write(conn, Packets.pattern(100_000));
      // RFC 6928: ten segments, one datagram; the link cuts it at 1448 bytes, so that each segment
      // with its 32-byte TCP header fills a 1500-byte datagram exactly.
      Seg superSegment = one();
      assertEquals(10 * TS_MSS, superSegment.payload.length);
      assertTs(superSegment, ourTs(100), PEER_TS + 1);
      assertEquals(List.of(Offload.partialChecksum(TS_MSS)), h.takeOffloads());
    }
  }
}
