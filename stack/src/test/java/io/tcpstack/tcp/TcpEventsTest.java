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
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.tcpstack.testing.Packets;
import io.tcpstack.testing.Seg;
import io.tcpstack.testing.TcpHarness;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/**
 * Segment-level tests of connection events ({@link TcpConnection#subscribe}, {@link
 * TcpListener#subscribe}): what a subscriber is told, when, how often, and that what it does from
 * inside an event leaves exactly the right segments on the wire.
 */
class TcpEventsTest {

  static final int PEER_ISS = 10_000;
  static final int WINDOW = 65535;
  static final int PEER_WINDOW = 29200;

  /** Made per test, not at construction: a disabled test's instance is built but never closed. */
  TcpHarness h;
  final List<TcpConnection> owned = new ArrayList<>();
  TcpListener listener;
  TcpConnection conn;
  int iss;

  @BeforeEach
  void open() {
    h = new TcpHarness();
  }

  @AfterEach
  void close() {
    for (TcpConnection c : owned) {
      c.dispose();
    }
    h.close();
  }

  static Seg peer() {
    return new Seg(PEER_PORT, LOCAL_PORT, PEER_ISS + 1, 0, 0, PEER_WINDOW, -1, new byte[0], null);
  }

  static Seg local() {
    return new Seg(LOCAL_PORT, PEER_PORT, 0, 0, 0, WINDOW, -1, new byte[0], null);
  }

  static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.US_ASCII);
  }

  /** LISTEN on port 7, then a passive open completed at t=0: {@link #conn} is ESTABLISHED and accepted. */
  void established(TcpConfig config) {
    listener = h.listen(LOCAL_PORT, 8, config);
    h.send(peer().seq(PEER_ISS).flags(SYN).mss(1460));
    List<Seg> out = h.take();
    assertEquals(1, out.size());
    iss = out.get(0).seq;
    int window = Math.min(config.receiveBufferSize(), WINDOW);
    assertEquals(local().seq(iss).ack(PEER_ISS + 1).flags(SYN | ACK).mss(MSS).window(window), out.get(0));
    h.send(peer().ack(iss + 1));
    h.expectNothing();
    conn = adopt(listener.accept());
    assertEquals(TcpState.ESTABLISHED, conn.state());
  }

  void established() {
    established(TcpConfig.DEFAULT);
  }

  TcpConnection adopt(TcpConnection c) {
    assertNotNull(c);
    owned.add(c);
    return c;
  }

  /** A subscriber that writes what it hears to a shared log as "name:event", and may act on it. */
  static final class Recorder implements TcpEvents {
    final String name;
    final List<String> log;
    Consumer<TcpConnection> onEstablished = c -> {};
    Consumer<TcpConnection> onReadable = c -> {};
    Consumer<TcpConnection> onWritable = c -> {};
    Consumer<TcpConnection> onClosed = c -> {};

    Recorder(String name, List<String> log) {
      this.name = name;
      this.log = log;
    }

    @Override
    public void onEstablished(TcpConnection c) {
      log.add(name + ":established");
      onEstablished.accept(c);
    }

    @Override
    public void onReadable(TcpConnection c) {
      log.add(name + ":readable");
      onReadable.accept(c);
    }

    @Override
    public void onWritable(TcpConnection c) {
      log.add(name + ":writable");
      onWritable.accept(c);
    }

    @Override
    public void onClosed(TcpConnection c) {
      log.add(name + ":closed " + c.error());
      onClosed.accept(c);
    }

    /** This subscriber's entries, without its name. */
    List<String> events() {
      String prefix = name + ":";
      return log.stream().filter(e -> e.startsWith(prefix)).map(e -> e.substring(prefix.length()))
          .collect(Collectors.toList());
    }
  }

  // ------------------------------------------------------------------ acting from inside an event

  @Nested
  class ActingFromInsideAnEvent {

    @Test
    void aHandlerThatReadsRepliesAndShutsDownSeesTheSegmentFullyProcessedAndItsSegmentsFollowTheAck() {
      // Every in-order segment is acknowledged at once, so the ACK for the data is a segment of its own.
      established(TcpConfig.DEFAULT.toBuilder().delayedAck(Duration.ZERO).build());
      List<String> log = new ArrayList<>();
      List<String> inside = new ArrayList<>();
      Recorder r = new Recorder("app", log);
      r.onReadable = c -> {
        inside.add(c.state() + " rcvNxt=+" + (c.rcvNxt() - (PEER_ISS + 1)) + " readable=" + c.readable()
            + " sndNxt=+" + (c.sndNxt() - (iss + 1)) + " open=" + h.stack().tcp().connectionCount());
        assertArrayEquals(ascii("ping"), h.read(c, 100));
        assertEquals(5, h.write(c, ascii("pong!")));
        h.shutdownOutput(c);
        inside.add(c.state().toString());
      };
      conn.subscribe(r);

      h.send(peer().ack(iss + 1).flags(PSH | ACK).payload("ping"));

      assertEquals(List.of("ESTABLISHED rcvNxt=+4 readable=4 sndNxt=+0 open=1", "FIN_WAIT_1"), inside,
          "the handler ran after the segment was processed: RCV.NXT already covers it");
      h.expect(
          local().seq(iss + 1).ack(PEER_ISS + 5), // the ACK, sent by the segment's own processing
          local().seq(iss + 1).ack(PEER_ISS + 5).flags(PSH | ACK).payload("pong!"), // the reply
          local().seq(iss + 6).ack(PEER_ISS + 5).flags(FIN | ACK)); // the shutdown
      assertEquals(List.of("app:readable"), log);
      assertEquals(TcpState.FIN_WAIT_1, conn.state());
      h.atMs(100).expectNothing(); // nothing owed, nothing repeated
    }

    @Test
    void aReplyFromOnReadableCarriesTheDelayedAckAndNoSeparateAckFollows() {
      established();
      List<String> log = new ArrayList<>();
      Recorder r = new Recorder("app", log);
      r.onReadable = c -> {
        assertEquals(PEER_ISS + 5, c.rcvNxt());
        assertArrayEquals(ascii("ping"), h.read(c, 100));
        h.write(c, ascii("pong!"));
        h.shutdownOutput(c);
      };
      conn.subscribe(r);

      h.send(peer().ack(iss + 1).flags(PSH | ACK).payload("ping"));

      h.expect(
          local().seq(iss + 1).ack(PEER_ISS + 5).flags(PSH | ACK).payload("pong!"),
          local().seq(iss + 6).ack(PEER_ISS + 5).flags(FIN | ACK));
      h.atMs(40).expectNothing(); // the delayed ACK was settled by the reply
      h.send(peer().seq(PEER_ISS + 5).ack(iss + 7));
      h.expectNothing();
      assertEquals(TcpState.FIN_WAIT_2, conn.state());
      assertEquals(List.of("app:readable", "app:writable"), log);
    }

    @Test
    void aHandlerAnsweringDataWithFinSeesCloseWaitAndEndOfStreamAndClosesInLastAck() {
      established();
      List<String> log = new ArrayList<>();
      List<String> inside = new ArrayList<>();
      Recorder r = new Recorder("app", log);
      r.onReadable = c -> {
        inside.add(c.state() + " rcvNxt=+" + (c.rcvNxt() - (PEER_ISS + 1)) + " readable=" + c.readable());
        assertArrayEquals(ascii("last"), h.read(c, 100));
        inside.add("eof=" + c.isEndOfStream() + " canSend=" + c.canSend());
        h.write(c, ascii("bye"));
        h.shutdownOutput(c);
        inside.add(c.state().toString());
      };
      conn.subscribe(r);

      h.send(peer().ack(iss + 1).flags(PSH | ACK | FIN).payload("last"));

      assertEquals(List.of("CLOSE_WAIT rcvNxt=+5 readable=4", "eof=true canSend=true", "LAST_ACK"), inside);
      h.expect(
          local().seq(iss + 1).ack(PEER_ISS + 6), // the FIN is acknowledged at once
          local().seq(iss + 1).ack(PEER_ISS + 6).flags(PSH | ACK).payload("bye"),
          local().seq(iss + 4).ack(PEER_ISS + 6).flags(FIN | ACK));
      h.send(peer().seq(PEER_ISS + 6).ack(iss + 5));
      h.expectNothing();
      assertEquals(TcpState.CLOSED, conn.state());
      assertEquals(List.of("app:readable", "app:writable", "app:closed null"), log);
    }

    @Test
    void aHandlerThatAbortsFromOnReadableSendsOneRstAndHearsOnClosedOnceWithAborted() {
      established();
      List<String> log = new ArrayList<>();
      Recorder r = new Recorder("app", log);
      List<String> inside = new ArrayList<>();
      r.onReadable = c -> {
        inside.add(c.state() + " readable=" + c.readable());
        h.abort(c);
        inside.add(c.state() + " " + c.error());
      };
      conn.subscribe(r);

      h.send(peer().ack(iss + 1).flags(PSH | ACK).payload("hello"));

      h.expect(local().seq(iss + 1).flags(RST).window(0)); // RFC 9293 §3.10.5: <SEQ=SND.NXT><CTL=RST>
      assertEquals(List.of("ESTABLISHED readable=5", "CLOSED ABORTED"), inside);
      assertEquals(List.of("app:readable", "app:closed ABORTED"), log);
      assertEquals(TcpState.CLOSED, conn.state());
      assertEquals(TcpError.ABORTED, conn.error());
      assertEquals(0, h.stack().tcp().connectionCount());

      // Nothing more: no delayed ACK, no retransmission, no event; the peer's next segment finds no
      // connection and draws the RST for that (RFC 9293 §3.10.7.1), not another event.
      h.atMs(1000).expectNothing();
      h.send(peer().seq(PEER_ISS + 6).ack(iss + 1).flags(PSH | ACK).payload("more"));
      h.expect(local().seq(iss + 1).flags(RST).window(0));
      h.atMs(120_000).expectNothing();
      h.abort(conn); // idempotent: nothing sent, nothing told
      h.expectNothing();
      assertEquals(List.of("app:readable", "app:closed ABORTED"), log);
    }

    @Test
    void aSubscriberAfterTheOneThatAbortsStillHearsTheCurrentDeliveryThenOnClosedOnce() {
      established();
      List<String> log = new ArrayList<>();
      Recorder first = new Recorder("first", log);
      first.onReadable = h::abort;
      Recorder second = new Recorder("second", log);
      conn.subscribe(first);
      conn.subscribe(second);

      h.send(peer().ack(iss + 1).flags(PSH | ACK).payload("hello"));

      h.expect(local().seq(iss + 1).flags(RST).window(0));
      assertEquals(List.of("readable", "closed ABORTED"), first.events());
      assertEquals(List.of("readable", "closed ABORTED"), second.events());
      h.atMs(1000).expectNothing();
      assertEquals(4, log.size());
    }
  }

  // ------------------------------------------------------------------ subscribers

  @Nested
  class Subscribers {

    /** The subscribers told of {@code event}, in the order they were told. */
    List<String> told(List<String> log, String event) {
      return log.stream().filter(e -> e.endsWith(":" + event)).map(e -> e.substring(0, e.indexOf(':')))
          .collect(Collectors.toList());
    }

    @Test
    void everySubscriberHearsEveryEventOnceInSubscriptionOrder() {
      List<String> log = new ArrayList<>();
      conn = adopt(h.connect(8080, TcpConfig.DEFAULT));
      Seg syn = h.take().get(0);
      Recorder[] rs = new Recorder[5];
      for (int i = 0; i < rs.length; i++) {
        rs[i] = new Recorder("s" + i, log);
        conn.subscribe(rs[i]);
      }
      List<String> order = List.of("s0", "s1", "s2", "s3", "s4");
      Seg fromPeer = new Seg(8080, conn.localPort(), PEER_ISS, 0, 0, PEER_WINDOW, -1, new byte[0], null);

      h.send(fromPeer.flags(SYN).ack(syn.seq + 1).mss(1460));
      assertEquals(order, told(log, "established"));
      assertEquals(5, log.size());

      // One segment that both acknowledges our data and carries data: two events in one delivery.
      h.write(conn, Packets.pattern(100));
      h.send(fromPeer.seq(PEER_ISS + 1).ack(syn.seq + 101).flags(PSH | ACK).payload("x"));
      assertEquals(order, told(log, "readable"));
      assertEquals(order, told(log, "writable"));
      for (Recorder r : rs) {
        assertEquals(List.of("established", "readable", "writable"),
            r.events().stream().sorted((a, b) -> rank(a) - rank(b)).collect(Collectors.toList()));
        assertEquals(3, r.events().size(), r.name + " heard each event once: " + r.events());
      }

      h.send(fromPeer.seq(PEER_ISS + 2).flags(RST));
      assertEquals(order, told(log, "closed RESET"));
      assertEquals(5 * 4, log.size());
    }

    private int rank(String event) {
      return List.of("established", "readable", "writable").indexOf(event);
    }

    @Test
    void cancellingOneSubscriptionStopsOnlyItsEvents() {
      established();
      List<String> log = new ArrayList<>();
      Recorder a = new Recorder("a", log);
      Recorder b = new Recorder("b", log);
      Recorder c = new Recorder("c", log);
      conn.subscribe(a);
      Runnable cancelB = conn.subscribe(b);
      conn.subscribe(c);

      h.send(peer().ack(iss + 1).payload("1"));
      assertEquals(List.of("a", "b", "c"), told(log, "readable"));

      log.clear();
      cancelB.run();
      cancelB.run(); // idempotent
      h.send(peer().seq(PEER_ISS + 2).ack(iss + 1).payload("2"));
      assertEquals(List.of("a", "c"), told(log, "readable"));

      log.clear();
      h.send(peer().seq(PEER_ISS + 3).flags(RST));
      assertEquals(List.of("a:closed RESET", "c:closed RESET"), log);
    }

    @Test
    void theSameHandlerSubscribedTwiceHearsTwiceAndCancellingOneLeavesTheOther() {
      established();
      List<String> log = new ArrayList<>();
      Recorder a = new Recorder("a", log);
      Runnable first = conn.subscribe(a);
      conn.subscribe(a);
      h.send(peer().ack(iss + 1).payload("1"));
      assertEquals(List.of("a:readable", "a:readable"), log);
      log.clear();
      first.run();
      h.send(peer().seq(PEER_ISS + 2).ack(iss + 1).payload("2"));
      assertEquals(List.of("a:readable"), log);
    }

    @Test
    void aSubscriptionMadeInsideAnEventTakesEffectFromTheNextDelivery() {
      established();
      List<String> log = new ArrayList<>();
      Recorder a = new Recorder("a", log);
      Recorder late = new Recorder("late", log);
      Recorder b = new Recorder("b", log);
      boolean[] subscribed = new boolean[1];
      a.onReadable = c -> {
        if (!subscribed[0]) {
          subscribed[0] = true;
          c.subscribe(late);
        }
      };
      conn.subscribe(a);
      conn.subscribe(b);
      h.write(conn, Packets.pattern(10));
      h.take();

      // Readable and writable in one delivery: the subscription made during it hears neither.
      h.send(peer().ack(iss + 11).payload("1"));
      assertEquals(List.of("readable", "writable"), a.events());
      assertEquals(List.of("readable", "writable"), b.events());
      assertEquals(List.of(), late.events());

      log.clear();
      h.send(peer().seq(PEER_ISS + 2).ack(iss + 11).payload("2"));
      assertEquals(List.of("a", "b", "late"), told(log, "readable"), "the new subscriber comes last");
    }

    @Test
    void noSubscriberMeansNoDeliveryAndNothingIsHeldForALaterSubscriber() {
      established();
      h.send(peer().ack(iss + 1).payload("early"));
      List<String> log = new ArrayList<>();
      conn.subscribe(new Recorder("late", log));
      h.atMs(40).take();
      assertEquals(List.of(), log, "events are edge-triggered: nothing is replayed on subscribe");
      assertEquals(5, conn.readable(), "the data itself waits to be read");
      h.send(peer().seq(PEER_ISS + 6).ack(iss + 1).payload("later"));
      assertEquals(List.of("late:readable"), log);
    }
  }

  // ------------------------------------------------------------------ each event

  @Nested
  class EachEvent {

    @Test
    void onEstablishedForAnActiveOpenSeesEstablishedAndComesOnce() {
      List<String> log = new ArrayList<>();
      conn = adopt(h.connect(8080, TcpConfig.DEFAULT));
      Seg syn = h.take().get(0);
      assertEquals(TcpState.SYN_SENT, conn.state());
      Recorder r = new Recorder("app", log);
      List<TcpState> seen = new ArrayList<>();
      r.onEstablished = c -> seen.add(c.state());
      conn.subscribe(r);
      Seg fromPeer = new Seg(8080, conn.localPort(), PEER_ISS, 0, 0, PEER_WINDOW, -1, new byte[0], null);
      Seg toPeer = new Seg(conn.localPort(), 8080, 0, 0, 0, WINDOW, -1, new byte[0], null);

      h.atMs(30).send(fromPeer.flags(SYN).ack(syn.seq + 1).mss(1460));
      h.expect(toPeer.seq(syn.seq + 1).ack(PEER_ISS + 1));
      assertEquals(List.of(TcpState.ESTABLISHED), seen);

      // The SYN-ACK again (our ACK was lost): answered, but the connection was established once.
      h.send(fromPeer.flags(SYN).ack(syn.seq + 1).mss(1460));
      h.expect(toPeer.seq(syn.seq + 1).ack(PEER_ISS + 1));
      assertEquals(List.of("app:established"), log);
    }

    @Test
    void onEstablishedIsNotToldForAPassiveOpenAcceptedAfterTheHandshake() {
      established();
      List<String> log = new ArrayList<>();
      conn.subscribe(new Recorder("app", log));
      h.atMs(1000).expectNothing();
      assertEquals(List.of(), log);
    }

    @Test
    void onWritableWhenAnAckFreesSendBufferSpaceAndNotForAnAckThatFreesNothing() {
      established(TcpConfig.DEFAULT.toBuilder().sendBufferSize(4096).build());
      List<String> log = new ArrayList<>();
      List<Integer> room = new ArrayList<>();
      Recorder r = new Recorder("app", log);
      r.onWritable = c -> room.add(c.writable());
      conn.subscribe(r);
      assertEquals(4096, h.write(conn, Packets.pattern(5000)), "the send buffer takes what fits");
      assertEquals(0, conn.writable());
      assertEquals(3, h.take().size()); // 1460 + 1460 + 1176

      h.send(peer().ack(iss + 1).window(PEER_WINDOW)); // acknowledges nothing
      h.send(peer().ack(iss + 1).window(PEER_WINDOW + 1)); // a window update: still nothing freed
      assertEquals(List.of(), log);

      h.send(peer().ack(iss + 1 + 1460));
      assertEquals(List.of("app:writable"), log);
      assertEquals(List.of(1460), room, "the space is there when the event comes");

      h.send(peer().ack(iss + 1 + 4096));
      assertEquals(List.of("app:writable", "app:writable"), log);
      assertEquals(List.of(1460, 4096), room);
    }

    @Test
    void onClosedWithResetForAnExactRstAndNoEventForAnInexactOne() {
      established();
      List<String> log = new ArrayList<>();
      conn.subscribe(new Recorder("app", log));

      h.send(peer().seq(PEER_ISS + 100).flags(RST)); // in the window but not at RCV.NXT
      h.expect(local().seq(iss + 1).ack(PEER_ISS + 1)); // challenge ACK (RFC 5961 §3.2)
      assertEquals(List.of(), log);

      h.send(peer().flags(RST));
      h.expectNothing();
      assertEquals(List.of("app:closed RESET"), log);
      assertEquals(TcpError.RESET, conn.error());
      h.atMs(1000).expectNothing();
      assertEquals(1, log.size());
    }

    @Test
    void onClosedWithTimedOutAfterTheRetransmissionLimit() {
      established(TcpConfig.DEFAULT.toBuilder().retries(6, 2).build());
      List<String> log = new ArrayList<>();
      List<TcpState> seen = new ArrayList<>();
      Recorder r = new Recorder("app", log);
      r.onClosed = c -> seen.add(c.state());
      conn.subscribe(r);
      h.write(conn, Packets.pattern(100));
      Seg data = local().seq(iss + 1).ack(PEER_ISS + 1).flags(PSH | ACK).payload(Packets.pattern(100));
      h.expect(data);

      List<Seg> sent = new ArrayList<>();
      for (long t = 0; t <= 30_000 && log.isEmpty(); t += 50) {
        sent.addAll(h.atMs(t).take());
      }
      assertEquals(List.of(data, data), sent, "two retransmissions, then the connection gives up silently");
      assertEquals(List.of("app:closed TIMED_OUT"), log);
      assertEquals(List.of(TcpState.CLOSED), seen);
      h.atMs(60_000).expectNothing();
      assertEquals(1, log.size());
    }

    @Test
    void onClosedWithNullAfterAnOrderlyPassiveClose() {
      established();
      List<String> log = new ArrayList<>();
      conn.subscribe(new Recorder("app", log));
      h.send(peer().ack(iss + 1).flags(FIN | ACK));
      h.expect(local().seq(iss + 1).ack(PEER_ISS + 2));
      assertEquals(List.of("app:readable"), log, "the end of the stream is readable");
      assertTrue(conn.isEndOfStream());

      h.shutdownOutput(conn);
      h.expect(local().seq(iss + 1).ack(PEER_ISS + 2).flags(FIN | ACK));
      h.send(peer().seq(PEER_ISS + 2).ack(iss + 2));
      assertEquals(List.of("app:readable", "app:closed null"), withoutWritable(log));
      assertNull(conn.error());
    }

    @Test
    void onClosedWithNullWhenTimeWaitBegins() {
      established(TcpConfig.DEFAULT.toBuilder().msl(Duration.ofSeconds(1)).build());
      List<String> log = new ArrayList<>();
      conn.subscribe(new Recorder("app", log));
      h.shutdownOutput(conn);
      h.expect(local().seq(iss + 1).ack(PEER_ISS + 1).flags(FIN | ACK));
      h.send(peer().ack(iss + 2).flags(FIN | ACK));
      h.expect(local().seq(iss + 2).ack(PEER_ISS + 2));
      assertEquals(TcpState.TIME_WAIT, conn.state());
      // For the application the connection is over: only the layer's TIME-WAIT record remains.
      assertEquals(List.of("app:readable", "app:closed null"), withoutWritable(log));
      h.atMs(2000).expectNothing();
      assertEquals(TcpState.CLOSED, conn.state());
      assertEquals(List.of("app:readable", "app:closed null"), withoutWritable(log), "told once");
    }

    @Test
    void onWritableIsNotToldWhenAnAckCoversOnlyOurFin() {
      established();
      List<String> log = new ArrayList<>();
      conn.subscribe(new Recorder("app", log));
      h.shutdownOutput(conn);
      h.expect(local().seq(iss + 1).ack(PEER_ISS + 1).flags(FIN | ACK));
      h.send(peer().ack(iss + 2));
      assertEquals(TcpState.FIN_WAIT_2, conn.state());
      assertEquals(0, conn.writable());
      assertEquals(List.of(), log, "no send-buffer space was freed: there was no data, and output is shut down");
    }

    @Test
    void aPureAckAtRcvNxtIsProcessedWhileOurWindowIsZeroAndTellsOnWritable() {
      established(TcpConfig.DEFAULT.toBuilder().receiveBufferSize(1024).build());
      List<String> log = new ArrayList<>();
      conn.subscribe(new Recorder("app", log));
      h.write(conn, Packets.pattern(100));
      h.take();
      h.send(peer().ack(iss + 1).payload(Packets.pattern(1024))); // fills our receive buffer: window 0
      h.atMs(40).expect(local().seq(iss + 101).ack(PEER_ISS + 1025).window(0)); // the delayed ACK
      log.clear(); // the data was readable

      h.atMs(100).send(peer().seq(PEER_ISS + 1025).ack(iss + 101));

      assertEquals(iss + 101, conn.sndUna());
      assertEquals(List.of("app:writable"), log);
      h.atMs(5_000).expectNothing(); // nothing to retransmit
    }

    @Test
    void anAckRidingOnAZeroWindowProbeIsProcessedAndTellsOnWritable() {
      established(TcpConfig.DEFAULT.toBuilder().receiveBufferSize(1024).build());
      List<String> log = new ArrayList<>();
      conn.subscribe(new Recorder("app", log));
      h.write(conn, Packets.pattern(100));
      h.take();
      h.send(peer().ack(iss + 1).payload(Packets.pattern(1024))); // fills our receive buffer: window 0
      h.atMs(40).expect(local().seq(iss + 101).ack(PEER_ISS + 1025).window(0)); // the delayed ACK
      log.clear(); // the data was readable

      // The peer has our 100 bytes; it probes our zero window with one byte, acknowledging them.
      h.atMs(100).send(peer().seq(PEER_ISS + 1025).ack(iss + 101).payload("p"));

      h.expect(local().seq(iss + 101).ack(PEER_ISS + 1025).window(0)); // the probe's byte is refused
      assertEquals(iss + 101, conn.sndUna(), "the probe's ACK was processed");
      assertEquals(List.of("app:writable"), log);
      h.atMs(5_000).expectNothing(); // nothing to retransmit
    }

    /** The log without onWritable, which an ACK of our FIN alone raises today (see the test above). */
    private List<String> withoutWritable(List<String> log) {
      return log.stream().filter(e -> !e.endsWith(":writable")).collect(Collectors.toList());
    }
  }

  // ------------------------------------------------------------------ listener

  @Nested
  class Listener {

    /** Processes a segment from the peer without delivering events: the middle of a batch. */
    void receiveWithoutDelivery(Seg s) {
      byte[] packet = Packets.ipv4(Packets.HOST, Packets.STACK, 6, 0x4242, true, false, 0, 64,
          s.toBytes(Packets.HOST, Packets.STACK));
      ByteBuf b = Unpooled.directBuffer(packet.length);
      try {
        b.writeBytes(packet);
        h.stack().ip().receive(b, h.now());
      } finally {
        b.release();
      }
    }

    /** Sends SYNs from {@code ports} and returns the ISS of each SYN-ACK. */
    int[] halfOpen(int... ports) {
      int[] isses = new int[ports.length];
      for (int i = 0; i < ports.length; i++) {
        h.send(peer().seq(PEER_ISS).flags(SYN).mss(1460).ports(ports[i], LOCAL_PORT));
        List<Seg> out = h.take();
        assertEquals(1, out.size());
        assertEquals(SYN | ACK, out.get(0).flags);
        isses[i] = out.get(0).seq;
      }
      return isses;
    }

    @Test
    void toldOncePerDeliveryWhenSeveralHandshakesCompleteInOneBatchAndAcceptsUntilNull() {
      listener = h.listen(LOCAL_PORT, 16, TcpConfig.DEFAULT);
      List<String> log = new ArrayList<>();
      List<TcpConnection> accepted = new ArrayList<>();
      List<Integer> pendingWhenTold = new ArrayList<>();
      listener.subscribe(() -> {
        log.add("first");
        pendingWhenTold.add(listener.pending());
        TcpConnection c;
        while ((c = listener.accept()) != null) {
          accepted.add(adopt(c));
        }
      });
      listener.subscribe(() -> log.add("second"));
      int[] ports = {40001, 40002, 40003};
      int[] isses = halfOpen(ports);
      assertEquals(List.of(), log);

      for (int i = 0; i < ports.length; i++) {
        receiveWithoutDelivery(peer().ack(isses[i] + 1).ports(ports[i], LOCAL_PORT));
      }
      assertEquals(List.of(), log, "nothing is told while the batch is processed");
      assertEquals(3, listener.pending());
      h.stack().tcp().deliverEvents();

      assertEquals(List.of("first", "second"), log, "each subscriber is told once for the batch");
      assertEquals(List.of(3), pendingWhenTold);
      assertEquals(3, accepted.size());
      for (int i = 0; i < ports.length; i++) {
        assertEquals(ports[i], accepted.get(i).remotePort(), "accepted in the order they were established");
        assertEquals(TcpState.ESTABLISHED, accepted.get(i).state());
      }
      assertNull(listener.accept());
      assertEquals(0, listener.pending());

      h.stack().tcp().deliverEvents();
      assertEquals(2, log.size(), "nothing new, nothing told");

      // The next handshake, in a delivery of its own, is told again.
      int[] next = halfOpen(40004);
      h.send(peer().ack(next[0] + 1).ports(40004, LOCAL_PORT));
      assertEquals(List.of("first", "second", "first", "second"), log);
      assertEquals(4, accepted.size());
    }

    @Test
    void aSubscriberThatDoesNotAcceptIsToldAgainOnlyWhenAnotherHandshakeCompletes() {
      listener = h.listen(LOCAL_PORT, 16, TcpConfig.DEFAULT);
      int[] told = new int[1];
      listener.subscribe(() -> told[0]++);
      int[] isses = halfOpen(40001, 40002);
      h.send(peer().ack(isses[0] + 1).ports(40001, LOCAL_PORT));
      assertEquals(1, told[0]);
      h.atMs(1000).take();
      assertEquals(1, told[0], "edge-triggered: not repeated while the connection waits");
      h.send(peer().ack(isses[1] + 1).ports(40002, LOCAL_PORT));
      assertEquals(2, told[0]);
      assertEquals(2, listener.pending());
      TcpConnection a = adopt(listener.accept());
      TcpConnection b = adopt(listener.accept());
      assertEquals(40001, a.remotePort());
      assertEquals(40002, b.remotePort());
      assertNull(listener.accept());
    }

    @Test
    void aCancelledListenerSubscriptionIsNotTold() {
      listener = h.listen(LOCAL_PORT, 16, TcpConfig.DEFAULT);
      List<String> log = new ArrayList<>();
      Runnable cancel = listener.subscribe(() -> log.add("a"));
      listener.subscribe(() -> log.add("b"));
      cancel.run();
      int[] isses = halfOpen(40001);
      h.send(peer().ack(isses[0] + 1).ports(40001, LOCAL_PORT));
      assertEquals(List.of("b"), log);
      adopt(listener.accept());
    }

    @Test
    void aConnectionResetBeforeItIsAcceptedIsSkippedByAccept() {
      listener = h.listen(LOCAL_PORT, 16, TcpConfig.DEFAULT);
      int[] told = new int[1];
      listener.subscribe(() -> told[0]++);
      int[] isses = halfOpen(40001, 40002);
      h.send(peer().ack(isses[0] + 1).ports(40001, LOCAL_PORT));
      h.send(peer().ack(isses[1] + 1).ports(40002, LOCAL_PORT));
      h.send(peer().flags(RST).ports(40001, LOCAL_PORT)); // the first goes away while it waits
      assertEquals(2, told[0]);
      TcpConnection c = adopt(listener.accept());
      assertEquals(40002, c.remotePort());
      assertSame(null, listener.accept());
    }
  }
}
