package io.tcpstack.tcp;

import static io.tcpstack.testing.Seg.ACK;
import static io.tcpstack.testing.Seg.PSH;
import static io.tcpstack.testing.Seg.URG;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.tcpstack.NetworkStack;
import io.tcpstack.StackConfig;
import io.tcpstack.device.SimulatedNetwork;
import io.tcpstack.testing.Packets;
import io.tcpstack.testing.Seg;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The urgent mechanism of RFC 9293 §3.8.5: urgent data sent with SND.UP and URG, of any length;
 * RCV.UP kept from the peer's pointer, the application told when it appears or moves on and able to
 * ask how much urgent data is left to read. The urgent octets stay in the stream (RFC 6093).
 */
class UrgentDataTest extends ConnectionFixture {

  private static final long SECOND = 1_000_000_000L;

  /** Counts {@link TcpEvents#onUrgent} and notes what was left to read each time. */
  static final class UrgentEvents implements TcpEvents {
    final List<Integer> remainingWhenTold = new ArrayList<>();

    @Override
    public void onUrgent(TcpConnection c) {
      remainingWhenTold.add(c.urgentRemaining());
    }
  }

  private void sendUrgentSegment(Seg s, int urgentPointer) {
    h.send(TcpRobustnessTest.raw(s, 0, urgentPointer, -1), io.tcpstack.ip.Offload.NONE);
  }

  @Test
  void theApplicationIsToldWhenAnUrgentPointerArrivesAndWhenItMovesOnOnly() {
    // RFC 9293 MUST-32: told when an urgent pointer arrives with none pending, and when it advances.
    established();
    UrgentEvents events = new UrgentEvents();
    conn.subscribe(events);
    sendUrgentSegment(peer().ack(iss + 1).flags(ACK | URG | PSH).payload("abc!"), 4);
    assertEquals(List.of(4), events.remainingWhenTold);
    // The same pointer again (from the next segment, pointing at the same octet): not told again.
    sendUrgentSegment(peer().seq(PEER_ISS + 5).ack(iss + 1).flags(ACK | URG).payload("d"), 0);
    assertEquals(List.of(4), events.remainingWhenTold);
    // The pointer moves on, to the octet after "ef": told again, seven left to read ("abc!def").
    sendUrgentSegment(peer().seq(PEER_ISS + 6).ack(iss + 1).flags(ACK | URG).payload("ef"), 2);
    assertEquals(List.of(4, 7), events.remainingWhenTold);
    assertArrayEquals("abc!def".getBytes(), h.read(conn, 100), "the urgent octets stay in the stream, in order");
  }

  @Test
  void howMuchUrgentDataIsLeftFollowsWhatTheApplicationReads() {
    // RFC 9293 MUST-33: the application can learn how much urgent data remains to be read.
    established();
    assertEquals(0, conn.urgentRemaining());
    h.send(peer().ack(iss + 1).flags(ACK).payload("xy"));
    sendUrgentSegment(peer().seq(PEER_ISS + 3).ack(iss + 1).flags(ACK | URG).payload("abcd"), 3);
    assertEquals(5, conn.urgentRemaining(), "xy and abc: up to the octet the pointer names");
    assertArrayEquals("xya".getBytes(), h.read(conn, 3));
    assertEquals(2, conn.urgentRemaining());
    assertArrayEquals("bcd".getBytes(), h.read(conn, 100));
    assertEquals(0, conn.urgentRemaining());
  }

  @Test
  void aPointerBeyondTheDataReceivedCountsTheUrgentOctetsStillToCome() {
    // RFC 9293 MUST-31, MUST-33: urgent data of any length; the pointer may lie beyond the segment.
    established();
    sendUrgentSegment(peer().ack(iss + 1).flags(ACK | URG).payload("ab"), 60_000);
    assertEquals(60_000, conn.urgentRemaining());
    assertArrayEquals("ab".getBytes(), h.read(conn, 100));
    assertEquals(59_998, conn.urgentRemaining());
  }

  @Test
  void noUrgentPointerIsTakenAfterThePeersFin() {
    // RFC 9293 §3.10.7.4 sixth step: in CLOSE-WAIT the URG bit is ignored.
    established();
    UrgentEvents events = new UrgentEvents();
    conn.subscribe(events);
    h.send(peer().ack(iss + 1).flags(ACK | Seg.FIN));
    sendUrgentSegment(peer().seq(PEER_ISS + 2).ack(iss + 1).flags(ACK | URG), 5);
    assertEquals(List.of(), events.remainingWhenTold);
    assertEquals(0, conn.urgentRemaining());
  }

  @Test
  void urgentDataIsSentWithUrgAndPlainDataAfterItWithout() {
    // RFC 9293 MUST-30: a SEND with the urgent flag; segments before SND.UP carry URG.
    established();
    h.write(conn, "plain".getBytes());
    assertEquals(ACK | PSH, h.take().get(0).flags);
    h.send(peer().ack(iss + 1 + 5));
    ByteBuf b = Unpooled.wrappedBuffer("URGENT".getBytes());
    try {
      assertEquals(6, conn.sendUrgent(b, 6, h.now()));
    } finally {
      b.release();
    }
    List<Seg> out = h.take();
    assertEquals(1, out.size());
    assertEquals(ACK | PSH | URG, out.get(0).flags);
    assertArrayEquals("URGENT".getBytes(), out.get(0).payload);
    h.send(peer().ack(iss + 1 + 11));
    h.write(conn, "after".getBytes());
    assertEquals(ACK | PSH, h.take().get(0).flags, "past SND.UP, and acknowledged: no URG");
  }

  @Test
  void urgentDataOfAnyLengthIsPointedAtCorrectlyInEverySegmentAndTheReceiverCountsItExactly() {
    // RFC 9293 MUST-30, MUST-31 (any length, beyond the 16-bit pointer), MUST-62 (the pointer names
    // the octet after the urgent data), MUST-32/33 at the receiving stack; two stacks, no impairment.
    StackConfig ca = StackConfig.builder().address(Packets.HOST, 24).isnKey(new byte[16]).ephemeralPortSeed(1).build();
    StackConfig cb = StackConfig.builder().address(Packets.STACK, 24).isnKey(new byte[16]).ephemeralPortSeed(2).build();
    int plainBefore = 5_000;
    int urgent = 100_000;
    int plainAfter = 3_000;
    byte[] data = Packets.pattern(plainBefore + urgent + plainAfter);
    List<int[]> segments = new ArrayList<>(); // seq, flags, urgent pointer, payload length
    try (SimulatedNetwork net = SimulatedNetwork.builder(ca, cb).build()) {
      NetworkStack a = net.a().stack();
      NetworkStack b = net.b().stack();
      net.observe(new SimulatedNetwork.Observer() {
        @Override
        public void sent(SimulatedNetwork.Endpoint from, long atNs, ByteBuf packet) {
          if (from == net.a()) {
            byte[] p = new byte[packet.readableBytes()];
            packet.getBytes(packet.readerIndex(), p);
            byte[] t = Packets.payload(p);
            int payload = t.length - (Packets.u8(t, 12) >>> 4) * 4;
            if (payload > 0) {
              segments.add(new int[] {Packets.u32(t, 4), Packets.u8(t, 13), Packets.u16(t, 18), payload});
            }
          }
        }
      });
      TcpListener listener = b.tcp().listen(7, 4, TcpConfig.DEFAULT);
      TcpConnection sender = a.tcp().connect(Packets.STACK, 7, TcpConfig.DEFAULT, net.nowNs());
      assertTrue(net.runUntil(() -> sender.state() == TcpState.ESTABLISHED, 10 * SECOND));
      TcpConnection receiver = null;
      net.runFor(SECOND);
      receiver = listener.accept();
      UrgentEvents events = new UrgentEvents();
      receiver.subscribe(events);
      ByteBuf src = Unpooled.wrappedBuffer(data);
      try {
        assertEquals(plainBefore, sender.send(src, plainBefore, net.nowNs()));
        assertEquals(urgent, sender.sendUrgent(src, urgent, net.nowNs()));
        assertEquals(plainAfter, sender.send(src, plainAfter, net.nowNs()));
      } finally {
        src.release();
      }
      TcpConnection r = receiver;
      assertTrue(net.runUntil(() -> r.readable() == data.length && sender.sndUna() == sender.sndNxt(), 60 * SECOND));
      int iss = sender.sndUna() - data.length - 1;
      int sndUp = iss + 1 + plainBefore + urgent;
      for (int[] s : segments) {
        if (s[0] - (iss + 1) < plainBefore) {
          continue; // sent before the urgent SEND: plain data
        }
        int offset = sndUp - s[0];
        if (offset > 0) {
          assertEquals(URG, s[1] & URG, "a segment before SND.UP carries URG");
          assertEquals(Math.min(offset, 0xFFFF), s[2], "the pointer names the octet after the urgent data");
        } else {
          assertEquals(0, s[1] & URG, "no URG at or past SND.UP");
        }
      }
      assertTrue(segments.stream().anyMatch(s -> s[2] == 0xFFFF), "urgent data longer than the 16-bit pointer");
      assertTrue(!events.remainingWhenTold.isEmpty(), "the receiving application was told");
      assertEquals(plainBefore + urgent, receiver.urgentRemaining());
      ByteBuf dst = Unpooled.buffer(data.length);
      try {
        assertEquals(plainBefore + 1, receiver.receive(dst, plainBefore + 1, net.nowNs()));
        assertEquals(urgent - 1, receiver.urgentRemaining());
        receiver.receive(dst, data.length, net.nowNs());
        assertEquals(0, receiver.urgentRemaining());
        byte[] got = new byte[dst.readableBytes()];
        dst.readBytes(got);
        assertArrayEquals(data, got, "byte-exact: the urgent octets are in the stream in order");
      } finally {
        dst.release();
      }
      sender.dispose();
      receiver.dispose();
    }
  }
}
