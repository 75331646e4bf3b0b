package io.tcpstack.ip;

import static io.tcpstack.testing.Packets.HOST;
import static io.tcpstack.testing.Packets.STACK;
import static io.tcpstack.testing.Packets.address;
import static io.tcpstack.testing.Packets.checksum;
import static io.tcpstack.testing.Packets.echoRequest;
import static io.tcpstack.testing.Packets.fragments;
import static io.tcpstack.testing.Packets.icmp;
import static io.tcpstack.testing.Packets.ipv4;
import static io.tcpstack.testing.Packets.pattern;
import static io.tcpstack.testing.Packets.payload;
import static io.tcpstack.testing.Packets.u16;
import static io.tcpstack.testing.Packets.u32;
import static io.tcpstack.testing.Packets.u8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tcpstack.StackConfig;
import io.tcpstack.stats.StackCounter;
import io.tcpstack.testing.Packets;
import io.tcpstack.testing.StackHarness;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

class Ipv4LayerTest {

  private static final int ICMP = 1;
  private static final long SECOND = 1_000_000_000L;

  private StackHarness h = StackHarness.standard();

  @AfterEach
  void close() {
    h.close();
  }

  private static byte[] echo(int id, int seq, byte[] data) {
    return ipv4(HOST, STACK, ICMP, echoRequest(id, seq, data));
  }

  /** Asserts {@code p} is an echo reply from the stack to the host matching the request's id, seq and data. */
  private static void assertEchoReply(byte[] p, int id, int seq, byte[] data) {
    assertEquals(0x45, u8(p, 0), "version 4, IHL 5");
    assertEquals(20 + 8 + data.length, u16(p, 2), "total length");
    assertEquals(64, u8(p, 8), "TTL");
    assertEquals(ICMP, u8(p, 9), "protocol");
    assertEquals(0, checksum(p, 0, 20), "IP header checksum verifies");
    assertEquals(STACK, u32(p, 12), "source");
    assertEquals(HOST, u32(p, 16), "destination");
    byte[] icmp = payload(p);
    assertEquals(0, u8(icmp, 0), "type echo reply");
    assertEquals(0, u8(icmp, 1), "code");
    assertEquals(0, checksum(icmp, 0, icmp.length), "ICMP checksum verifies");
    assertEquals(id, u16(icmp, 4), "identifier");
    assertEquals(seq, u16(icmp, 6), "sequence");
    assertArrayEquals(data, Arrays.copyOfRange(icmp, 8, icmp.length), "data echoed");
  }

  @Nested
  class Echo {
    @Test
    void answersEchoRequestWithExactReply() {
      byte[] data = "abcdefghijklmnopqrstuvwabcdefghi".getBytes();
      List<byte[]> out = h.send(echo(0x1f2e, 7, data));
      assertEquals(1, out.size());
      assertEchoReply(out.get(0), 0x1f2e, 7, data);
      assertEquals(1, h.counter(StackCounter.ICMP_IN_ECHOS));
      assertEquals(1, h.counter(StackCounter.ICMP_OUT_ECHO_REPS));
      assertEquals(1, h.counter(StackCounter.IP_OUT_REQUESTS));
    }

    @Test
    void answersEmptyAndOddLengthEchoes() {
      for (int len : new int[] {0, 1, 7, 1471, 1472}) {
        byte[] data = pattern(len);
        List<byte[]> out = h.send(echo(1, len, data));
        assertEquals(1, out.size(), "one reply for " + len + " data bytes");
        assertEchoReply(out.get(0), 1, len, data);
      }
    }

    @Test
    void answersRegardlessOfLowTtl() {
      // RFC 1122 §3.2.1.7: a host MUST NOT discard a datagram because its TTL is below 2.
      for (int ttl : new int[] {0, 1}) {
        byte[] p = ipv4(HOST, STACK, ICMP, 9, false, false, 0, ttl, echoRequest(1, ttl, pattern(8)));
        assertEquals(1, h.send(p).size(), "TTL " + ttl);
      }
    }

    @Test
    void ignoresOtherIcmpTypes() {
      assertEquals(List.of(), h.send(ipv4(HOST, STACK, ICMP, icmp(0, 0, 1, 1, pattern(8)))));
      assertEquals(List.of(), h.send(ipv4(HOST, STACK, ICMP, icmp(13, 0, 1, 1, pattern(12)))));
      // Source Quench (deprecated, RFC 6633 §2: ignore) and Redirect (one link, nowhere to redirect).
      assertEquals(List.of(), h.send(ipv4(HOST, STACK, ICMP, icmp(4, 0, 0, 0, pattern(28)))));
      assertEquals(List.of(), h.send(ipv4(HOST, STACK, ICMP, icmp(5, 1, 0, 0, pattern(28)))));
      assertEquals(4, h.counter(StackCounter.ICMP_IN_IGNORED));
    }

    @Test
    void idsOfSuccessiveRepliesDiffer() {
      int a = u16(h.send(echo(1, 1, pattern(8))).get(0), 4);
      int b = u16(h.send(echo(1, 2, pattern(8))).get(0), 4);
      assertTrue(a != b, "RFC 6864: identification distinguishes datagrams that may be fragmented");
    }
  }

  @Nested
  class MalformedInput {
    private void assertDropped(byte[] packet, StackCounter reason) {
      assertEquals(List.of(), h.send(packet), "nothing sent for " + reason);
      assertEquals(1, h.counter(reason), reason + " counted");
    }

    private byte[] valid() {
      return echo(1, 1, pattern(16));
    }

    @Test
    void empty() {
      assertDropped(new byte[0], StackCounter.IP_IN_TRUNCATED);
    }

    @Test
    void shorterThanHeader() {
      assertDropped(Arrays.copyOf(valid(), 19), StackCounter.IP_IN_TRUNCATED);
    }

    @Test
    void badVersion() {
      byte[] p = valid();
      p[0] = 0x55;
      assertDropped(p, StackCounter.IP_IN_BAD_VERSION);
    }

    @Test
    void ipv6GoesToTheIpv6Layer() {
      byte[] p = new byte[48];
      p[0] = 0x60;
      assertDropped(p, StackCounter.IP6_IN_NOT_FOR_US); // destination ::
    }

    @Test
    void headerLengthBelowFive() {
      byte[] p = valid();
      p[0] = 0x44;
      assertDropped(p, StackCounter.IP_IN_BAD_HEADER_LENGTH);
    }

    @Test
    void headerLengthBeyondPacket() {
      byte[] p = Arrays.copyOf(valid(), 24);
      p[0] = 0x4F;
      assertDropped(p, StackCounter.IP_IN_BAD_HEADER_LENGTH);
    }

    @Test
    void totalLengthBeyondPacket() {
      byte[] p = valid();
      assertDropped(Arrays.copyOf(p, p.length - 1), StackCounter.IP_IN_BAD_TOTAL_LENGTH);
    }

    @Test
    void totalLengthBelowHeader() {
      byte[] p = valid();
      p[2] = 0;
      p[3] = 19;
      fixIpChecksum(p);
      assertDropped(p, StackCounter.IP_IN_BAD_TOTAL_LENGTH);
    }

    @Test
    void badHeaderChecksum() {
      byte[] p = valid();
      p[11] ^= 1;
      assertDropped(p, StackCounter.IP_IN_BAD_CHECKSUM);
    }

    @Test
    void notForUs() {
      assertDropped(ipv4(HOST, address(198, 18, 0, 3), ICMP, echoRequest(1, 1, pattern(8))), StackCounter.IP_IN_NOT_FOR_US);
    }

    @Test
    void broadcastNotForUs() {
      assertDropped(ipv4(HOST, address(255, 255, 255, 255), ICMP, echoRequest(1, 1, pattern(8))), StackCounter.IP_IN_NOT_FOR_US);
    }

    @Test
    void martianSources() {
      int[] sources = {address(0, 0, 0, 0), address(127, 0, 0, 1), address(224, 0, 0, 1), address(255, 255, 255, 255),
          address(198, 18, 0, 255), STACK};
      for (int i = 0; i < sources.length; i++) {
        assertEquals(List.of(), h.send(ipv4(sources[i], STACK, ICMP, echoRequest(1, 1, pattern(8)))));
        assertEquals(i + 1, h.counter(StackCounter.IP_IN_BAD_SOURCE));
      }
    }

    @Test
    void unknownProtocol() {
      assertDropped(ipv4(HOST, STACK, 99, pattern(20)), StackCounter.IP_IN_UNKNOWN_PROTOCOL);
    }

    @Test
    void icmpTruncated() {
      assertDropped(ipv4(HOST, STACK, ICMP, pattern(7)), StackCounter.ICMP_IN_TRUNCATED);
    }

    @Test
    void icmpBadChecksum() {
      byte[] m = echoRequest(1, 1, pattern(9));
      m[2] ^= 0x40;
      assertDropped(ipv4(HOST, STACK, ICMP, m), StackCounter.ICMP_IN_BAD_CHECKSUM);
    }

    @Test
    void trailingBytesAfterTotalLengthAreIgnored() {
      byte[] p = valid();
      byte[] padded = Arrays.copyOf(p, p.length + 6);
      List<byte[]> out = h.send(padded);
      assertEquals(1, out.size());
      assertEchoReply(out.get(0), 1, 1, pattern(16));
    }

    @Test
    void seededGarbageNeverEscapesAndStackKeepsAnswering() {
      Random random = new Random(0x7c95_2026L);
      byte[] valid = valid();
      for (int i = 0; i < 20_000; i++) {
        byte[] p;
        if (i % 2 == 0) {
          p = new byte[random.nextInt(80)];
          random.nextBytes(p);
          if (p.length > 0 && random.nextBoolean()) {
            p[0] = (byte) (0x40 | (p[0] & 0x0F)); // mostly IPv4-looking
          }
        } else {
          p = valid.clone();
          int flips = 1 + random.nextInt(4);
          for (int f = 0; f < flips; f++) {
            p[random.nextInt(p.length)] ^= (byte) (1 << random.nextInt(8));
          }
          if (random.nextBoolean()) {
            fixIpChecksum(p); // get past the header checksum to reach deeper checks
          }
          p = Arrays.copyOf(p, random.nextInt(p.length + 1));
        }
        h.send(p); // must not throw
      }
      List<byte[]> out = h.send(echo(77, 1, pattern(16)));
      assertEquals(1, out.size());
      assertEchoReply(out.get(0), 77, 1, pattern(16));
    }

    private void fixIpChecksum(byte[] p) {
      if (p.length < 20) {
        return;
      }
      int hl = Math.min(Math.max((p[0] & 0x0F) * 4, 20), p.length);
      p[10] = 0;
      p[11] = 0;
      int c = checksum(p, 0, hl);
      p[10] = (byte) (c >>> 8);
      p[11] = (byte) c;
    }
  }

  @Nested
  class Fragments {
    private final byte[] data = pattern(3000);
    private final byte[] message = echoRequest(0x4242, 3, data);

    private void assertFragmentedReply(List<byte[]> out) {
      assertEquals(3, out.size(), "a 3028-byte reply leaves in 3 fragments at MTU 1500");
      for (byte[] f : out) {
        assertTrue(f.length <= 1500, "fragment within the MTU");
        assertEquals(0, checksum(f, 0, 20));
        assertEquals(u16(out.get(0), 4), u16(f, 4), "same identification");
      }
      assertEquals(0, Packets.fragmentOffset(out.get(0)));
      assertEquals(1480, Packets.fragmentOffset(out.get(1)));
      assertEquals(2960, Packets.fragmentOffset(out.get(2)));
      byte[] reply = Packets.reassemble(out);
      assertEquals(0, u8(reply, 0), "echo reply");
      assertEquals(0, checksum(reply, 0, reply.length), "checksum over the whole reassembled message");
      assertArrayEquals(data, Arrays.copyOfRange(reply, 8, reply.length));
    }

    @Test
    void reassemblesInOrderAndFragmentsTheReply() {
      byte[][] f = fragments(HOST, STACK, ICMP, 0xabc, message, 1480);
      assertEquals(List.of(), h.send(f[0]));
      assertEquals(List.of(), h.send(f[1]));
      assertFragmentedReply(h.send(f[2]));
      assertEquals(1, h.counter(StackCounter.IP_REASM_OKS));
      assertEquals(1, h.counter(StackCounter.IP_FRAG_OKS));
      assertEquals(3, h.counter(StackCounter.IP_FRAG_CREATES));
      assertEquals(0, h.stack().ip().reassembliesInProgress());
    }

    @Test
    void reassemblesInAnyOrder() {
      List<byte[]> f = new ArrayList<>(Arrays.asList(fragments(HOST, STACK, ICMP, 0xabc, message, 504)));
      Collections.shuffle(f, new Random(5));
      for (int i = 0; i < f.size() - 1; i++) {
        assertEquals(List.of(), h.send(f.get(i)));
      }
      assertFragmentedReply(h.send(f.get(f.size() - 1)));
    }

    @Test
    void ignoresExactDuplicates() {
      byte[][] f = fragments(HOST, STACK, ICMP, 0xabc, message, 1480);
      h.send(f[0]);
      h.send(f[0]);
      h.send(f[1]);
      assertFragmentedReply(h.send(f[2]));
      assertEquals(1, h.counter(StackCounter.IP_REASM_DUPLICATES));
    }

    @Test
    void dropsDatagramOnPartialOverlap() {
      byte[][] f = fragments(HOST, STACK, ICMP, 0xabc, message, 1480);
      byte[] overlapping = ipv4(HOST, STACK, ICMP, 0xabc, false, true, 8, 64, Arrays.copyOfRange(message, 8, 16));
      h.send(f[0]);
      assertEquals(List.of(), h.send(overlapping));
      assertEquals(1, h.counter(StackCounter.IP_REASM_INVALID));
      assertEquals(List.of(), h.send(f[1]));
      assertEquals(List.of(), h.send(f[2]), "the datagram was discarded; the rest cannot complete it");
    }

    @Test
    void rejectsMiddleFragmentNotMultipleOfEight() {
      assertEquals(List.of(), h.send(ipv4(HOST, STACK, ICMP, 1, false, true, 0, 64, pattern(13))));
      assertEquals(1, h.counter(StackCounter.IP_REASM_INVALID));
      assertEquals(0, h.stack().ip().reassembliesInProgress());
    }

    @Test
    void rejectsDatagramBeyond65535Bytes() {
      // The "ping of death": a last fragment at offset 65528 with 16 bytes would make 65564.
      assertEquals(List.of(), h.send(ipv4(HOST, STACK, ICMP, 1, false, false, 65528, 64, pattern(16))));
      assertEquals(1, h.counter(StackCounter.IP_REASM_INVALID));
    }

    @Test
    void rejectsConflictingEnds() {
      h.send(ipv4(HOST, STACK, ICMP, 1, false, false, 1480, 64, pattern(100)));
      h.send(ipv4(HOST, STACK, ICMP, 1, false, false, 2960, 64, pattern(100)));
      assertEquals(1, h.counter(StackCounter.IP_REASM_INVALID));
      assertEquals(0, h.stack().ip().reassembliesInProgress());
    }

    @Test
    void largestDatagramRoundTrips() {
      byte[] big = pattern(65_507); // 65535 - 20 (IP) - 8 (ICMP)
      byte[][] f = fragments(HOST, STACK, ICMP, 9, echoRequest(5, 5, big), 1480);
      List<byte[]> out = List.of();
      for (byte[] x : f) {
        out = h.send(x);
      }
      assertEquals(45, out.size());
      byte[] reply = Packets.reassemble(out);
      assertEquals(65_515, reply.length);
      assertArrayEquals(big, Arrays.copyOfRange(reply, 8, reply.length));
    }

    @Test
    void timesOutAndSendsTimeExceededQuotingFragmentZero() {
      byte[][] f = fragments(HOST, STACK, ICMP, 0x777, message, 1480);
      h.at(5 * SECOND).send(f[0]);
      assertEquals(65 * SECOND, h.stack().pollAt(), "RFC 1122 §3.3.2: 60 s after the first fragment");
      assertEquals(List.of(), h.at(65 * SECOND - 1).poll());
      List<byte[]> out = h.at(65 * SECOND).poll();
      assertEquals(1, out.size());
      byte[] p = out.get(0);
      assertEquals(HOST, u32(p, 16), "sent to the fragments' source");
      byte[] msg = payload(p);
      assertEquals(11, u8(msg, 0), "Time Exceeded");
      assertEquals(1, u8(msg, 1), "code 1: fragment reassembly time exceeded");
      assertEquals(0, checksum(msg, 0, msg.length));
      assertArrayEquals(Arrays.copyOf(f[0], 28), Arrays.copyOfRange(msg, 8, msg.length), "quotes header + 8 bytes");
      assertEquals(1, h.counter(StackCounter.IP_REASM_TIMEOUT));
      assertEquals(Long.MAX_VALUE, h.stack().pollAt());
    }

    @Test
    void timesOutSilentlyWithoutFragmentZero() {
      byte[][] f = fragments(HOST, STACK, ICMP, 0x777, message, 1480);
      h.at(0).send(f[1]);
      assertEquals(List.of(), h.at(60 * SECOND).poll());
      assertEquals(1, h.counter(StackCounter.IP_REASM_TIMEOUT));
    }

    @Test
    void neverSendsTimeExceededAboutAnIcmpError() {
      // RFC 1122 §3.2.2: no ICMP error message about an ICMP error message.
      byte[] unreachable = icmp(3, 3, 0, 0, pattern(1600));
      byte[][] f = fragments(HOST, STACK, ICMP, 0x778, unreachable, 1480);
      h.at(0).send(f[0]);
      assertEquals(List.of(), h.at(60 * SECOND).poll());
      assertEquals(1, h.counter(StackCounter.IP_REASM_TIMEOUT));
      assertEquals(0, h.counter(StackCounter.ICMP_OUT_TIME_EXCEEDS));
    }

    @Test
    void evictsOldestWhenSlotsRunOut() {
      h.close();
      h = new StackHarness(StackConfig.builder().address(STACK, 24).reassemblyLimits(2, 1 << 20).build());
      for (int id = 1; id <= 3; id++) {
        h.at(id).send(fragments(HOST, STACK, ICMP, id, message, 1480)[0]);
      }
      assertEquals(1, h.counter(StackCounter.IP_REASM_OVER_LIMIT));
      assertEquals(2, h.stack().ip().reassembliesInProgress());
      // Datagram 1 was evicted: its remaining fragments cannot complete it; datagram 3 completes.
      byte[][] third = fragments(HOST, STACK, ICMP, 3, message, 1480);
      h.send(third[1]);
      assertFragmentedReply(h.send(third[2]));
    }

    @Test
    void dropsWhenMemoryLimitReached() {
      h.close();
      h = new StackHarness(StackConfig.builder().address(STACK, 24).reassemblyLimits(8, 2500).build());
      byte[][] f = fragments(HOST, STACK, ICMP, 1, message, 1480);
      h.send(f[0]);
      h.send(f[1]);
      // f[1] would take the buffer past 2500 bytes: the datagram is dropped. f[2] then starts a
      // new datagram that would need room up to its end, and is dropped too.
      h.send(f[2]);
      assertEquals(2, h.counter(StackCounter.IP_REASM_OVER_LIMIT));
      assertEquals(0, h.stack().ip().reassembliesInProgress());
    }

    @Test
    void reassemblyDisabledDropsFragments() {
      h.close();
      h = new StackHarness(StackConfig.builder().address(STACK, 24).reassemblyLimits(0, 0).build());
      assertEquals(List.of(), h.send(fragments(HOST, STACK, ICMP, 1, message, 1480)[0]));
      assertEquals(1, h.counter(StackCounter.IP_REASM_OVER_LIMIT));
    }
  }
}
