package io.tcpstack.ip;

import static io.tcpstack.testing.Packets6.DEST_OPTS;
import static io.tcpstack.testing.Packets6.FRAGMENT;
import static io.tcpstack.testing.Packets6.HOP_BY_HOP;
import static io.tcpstack.testing.Packets6.HOST6;
import static io.tcpstack.testing.Packets6.ICMPV6;
import static io.tcpstack.testing.Packets6.NO_NEXT;
import static io.tcpstack.testing.Packets6.ROUTING;
import static io.tcpstack.testing.Packets6.STACK6;
import static io.tcpstack.testing.Packets6.checksum;
import static io.tcpstack.testing.Packets6.concat;
import static io.tcpstack.testing.Packets6.destination;
import static io.tcpstack.testing.Packets6.echoRequest6;
import static io.tcpstack.testing.Packets6.fragmentHeader;
import static io.tcpstack.testing.Packets6.fragments;
import static io.tcpstack.testing.Packets6.icmpv6;
import static io.tcpstack.testing.Packets6.ipv6;
import static io.tcpstack.testing.Packets6.optionsHeader;
import static io.tcpstack.testing.Packets6.payload;
import static io.tcpstack.testing.Packets6.routingHeader;
import static io.tcpstack.testing.Packets6.source;
import static io.tcpstack.testing.Packets6.u16;
import static io.tcpstack.testing.Packets6.u32;
import static io.tcpstack.testing.Packets6.u8;
import static io.tcpstack.testing.Packets.pattern;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tcpstack.stats.StackCounter;
import io.tcpstack.testing.StackHarness;
import io.tcpstack.wire.IpAddress;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/** IPv6 input and output (RFC 8200) and ICMPv6 (RFC 4443), packet by packet with a virtual clock. */
class Ipv6LayerTest {

  private static final long SECOND = 1_000_000_000L;
  private static final int ECHO_REQUEST = 128;
  private static final int ECHO_REPLY = 129;
  private static final int PARAMETER_PROBLEM = 4;
  private static final int TIME_EXCEEDED = 3;

  private final StackHarness h = StackHarness.dualStack();

  @AfterEach
  void close() {
    h.close();
  }

  /** The one packet the stack sent back, asserted to be a well-formed ICMPv6 message to the host. */
  private static byte[] onlyIcmpv6(List<byte[]> out) {
    assertEquals(1, out.size(), "one packet sent");
    byte[] p = out.get(0);
    assertEquals(0x60, u8(p, 0) & 0xF0, "version 6");
    assertEquals(64, u8(p, 7), "hop limit 64");
    assertEquals(ICMPV6, u8(p, 6));
    assertEquals(STACK6, source(p));
    assertEquals(HOST6, destination(p));
    assertEquals(0, checksum(STACK6, HOST6, ICMPV6, payload(p)), "ICMPv6 checksum with the pseudo-header");
    return payload(p);
  }

  private static void assertEchoReply(List<byte[]> out, int id, int seq, byte[] data) {
    byte[] m = onlyIcmpv6(out);
    assertEquals(ECHO_REPLY, u8(m, 0));
    assertEquals(0, u8(m, 1));
    assertEquals(id, u16(m, 4));
    assertEquals(seq, u16(m, 6));
    assertArrayEquals(data, Arrays.copyOfRange(m, 8, m.length));
  }

  /** Asserts a Parameter Problem of {@code code} with {@code pointer}, quoting {@code invoking} from its start. */
  private static void assertParameterProblem(List<byte[]> out, int code, int pointer, byte[] invoking) {
    byte[] m = onlyIcmpv6(out);
    assertEquals(PARAMETER_PROBLEM, u8(m, 0));
    assertEquals(code, u8(m, 1));
    assertEquals(pointer, u32(m, 4), "pointer");
    assertArrayEquals(invoking, Arrays.copyOfRange(m, 8, m.length), "the invoking packet, whole");
  }

  private static byte[] echoBody(int id, int seq, byte[] data) {
    return icmpv6(HOST6, STACK6, ECHO_REQUEST, 0, id << 16 | seq, data);
  }

  @Test
  void echoRequestIsAnswered() {
    byte[] data = pattern(56);
    assertEchoReply(h.send(echoRequest6(0x1234, 7, data)), 0x1234, 7, data);
    assertEquals(1, h.counter(StackCounter.ICMP6_IN_ECHOS));
    assertEquals(1, h.counter(StackCounter.ICMP6_OUT_ECHO_REPS));
    assertEquals(1, h.counter(StackCounter.IP6_IN_DELIVERS));
  }

  @Test
  void linuxEchoRequestIsAnswered() {
    // The request Linux sent (see Ipv6HeaderTest), to the same address our stack has.
    byte[] req = io.tcpstack.wire.Ipv6HeaderTest.linuxEchoRequest();
    List<byte[]> out = h.send(req);
    byte[] m = onlyIcmpv6(out);
    assertEquals(ECHO_REPLY, u8(m, 0));
    assertArrayEquals(Arrays.copyOfRange(req, 44, req.length), Arrays.copyOfRange(m, 4, m.length));
  }

  @Test
  void badChecksumIsDropped() {
    byte[] p = echoRequest6(1, 1, pattern(8));
    p[p.length - 1] ^= 1;
    assertEquals(List.of(), h.send(p));
    assertEquals(1, h.counter(StackCounter.ICMP6_IN_BAD_CHECKSUM));
  }

  @Nested
  class Validation {
    @Test
    void truncated() {
      assertEquals(List.of(), h.send(Arrays.copyOf(echoRequest6(1, 1, pattern(8)), 39)));
      assertEquals(1, h.counter(StackCounter.IP6_IN_TRUNCATED));
    }

    @Test
    void payloadLengthBeyondTheBytes() {
      byte[] p = echoRequest6(1, 1, pattern(8));
      assertEquals(List.of(), h.send(Arrays.copyOf(p, p.length - 1)));
      assertEquals(1, h.counter(StackCounter.IP6_IN_BAD_LENGTH));
    }

    @Test
    void notForUs() {
      IpAddress other = IpAddress.parse("fd00:7463:7073::77");
      assertEquals(List.of(), h.send(ipv6(HOST6, other, ICMPV6, icmpv6(HOST6, other, ECHO_REQUEST, 0, 1, pattern(8)))));
      assertEquals(1, h.counter(StackCounter.IP6_IN_NOT_FOR_US));
    }

    @Test
    void badSources() {
      for (String s : new String[] {"ff02::1", "::1", "::ffff:198.18.0.1", "fd00:7463:7073::2", "::"}) {
        IpAddress src = IpAddress.parse(s);
        assertEquals(List.of(), h.send(ipv6(src, STACK6, ICMPV6, icmpv6(src, STACK6, ECHO_REQUEST, 0, 1, pattern(8)))), s);
      }
      assertEquals(5, h.counter(StackCounter.IP6_IN_BAD_SOURCE));
    }

    @Test
    void hopLimitOneIsAccepted() {
      byte[] p = echoRequest6(1, 1, pattern(8));
      p[7] = 1; // RFC 8200 §3: a host does not check the hop limit
      assertEquals(1, h.send(p).size());
    }

    @Test
    void withoutAnAddressEveryPacketIsDropped() {
      try (StackHarness v4only = StackHarness.standard()) {
        assertEquals(List.of(), v4only.send(echoRequest6(1, 1, pattern(8))));
        assertEquals(1, v4only.counter(StackCounter.IP6_IN_NOT_FOR_US));
      }
    }
  }

  @Nested
  class NeighborDiscovery {
    @Test
    void routerSolicitationFromTheKernelIsIgnoredAndCounted() {
      // What Linux sends on a TUN device that comes up: RS from its link-local address to ff02::2.
      IpAddress linkLocal = IpAddress.parse("fe80::8a3c:2d1e:5f6b:7a01");
      IpAddress allRouters = IpAddress.parse("ff02::2");
      byte[] rs = ipv6(linkLocal, allRouters, ICMPV6, icmpv6(linkLocal, allRouters, 133, 0, 0, new byte[0]));
      rs[7] = (byte) 255;
      assertEquals(List.of(), h.send(rs));
      assertEquals(1, h.counter(StackCounter.ICMP6_IN_NDP_IGNORED));
    }

    @Test
    void mldReportWithRouterAlertIsIgnoredAndCounted() {
      // RFC 3810 §5.2: from ::, to ff02::16, behind a Hop-by-Hop Router Alert (type 5, action 00).
      IpAddress mld = IpAddress.parse("ff02::16");
      byte[] report = icmpv6(IpAddress.UNSPECIFIED, mld, 143, 0, 0, new byte[0]);
      byte[] hbh = optionsHeader(ICMPV6, new byte[] {5, 2, 0, 0});
      assertEquals(List.of(), h.send(ipv6(IpAddress.UNSPECIFIED, mld, HOP_BY_HOP, concat(hbh, report))));
      assertEquals(1, h.counter(StackCounter.ICMP6_IN_NDP_IGNORED));
    }

    @Test
    void neighborSolicitationToOurSolicitedNodeGroupIsIgnored() {
      IpAddress group = IpAddress.parse("ff02::1:ff00:2");
      byte[] body = concat(new byte[0], STACK6.toBytes());
      assertEquals(List.of(), h.send(ipv6(HOST6, group, ICMPV6, icmpv6(HOST6, group, 135, 0, 0, body))));
      assertEquals(1, h.counter(StackCounter.ICMP6_IN_NDP_IGNORED));
    }

    @Test
    void otherMulticastGroupsAreNotForUs() {
      IpAddress group = IpAddress.parse("ff02::fb");
      assertEquals(List.of(), h.send(ipv6(HOST6, group, ICMPV6, icmpv6(HOST6, group, 135, 0, 0, new byte[16]))));
      assertEquals(1, h.counter(StackCounter.IP6_IN_NOT_FOR_US));
    }
  }

  @Nested
  class ExtensionHeaders {
    @Test
    void hopByHopWithPaddingIsSkipped() {
      byte[] data = pattern(8);
      byte[] p = ipv6(HOST6, STACK6, HOP_BY_HOP, concat(optionsHeader(ICMPV6, new byte[0]), echoBody(1, 2, data)));
      assertEchoReply(h.send(p), 1, 2, data);
    }

    @Test
    void unknownOptionWithSkipActionIsSkipped() {
      byte[] data = pattern(8);
      byte[] opt = {0x1e, 2, 0, 0}; // type 0x1e: high bits 00
      byte[] p = ipv6(HOST6, STACK6, DEST_OPTS, concat(optionsHeader(ICMPV6, opt), echoBody(1, 3, data)));
      assertEchoReply(h.send(p), 1, 3, data);
    }

    @Test
    void unknownOptionWithDiscardActionIsDroppedSilently() {
      byte[] opt = {0x5e, 2, 0, 0}; // high bits 01
      byte[] p = ipv6(HOST6, STACK6, DEST_OPTS, concat(optionsHeader(ICMPV6, opt), echoBody(1, 3, pattern(8))));
      assertEquals(List.of(), h.send(p));
      assertEquals(1, h.counter(StackCounter.IP6_IN_UNKNOWN_OPTION));
    }

    @Test
    void unknownOptionWithIcmpActionDrawsParameterProblemCode2() {
      byte[] opt = {(byte) 0x9e, 2, 0, 0}; // high bits 10
      byte[] p = ipv6(HOST6, STACK6, HOP_BY_HOP, concat(optionsHeader(ICMPV6, opt), echoBody(1, 3, pattern(8))));
      assertParameterProblem(h.send(p), 2, 40 + 2, p);
      assertEquals(1, h.counter(StackCounter.ICMP6_OUT_PARM_PROBS));
    }

    @Test
    void unknownOptionWithAction11ToMulticastDrawsNothing() {
      IpAddress allNodes = IpAddress.parse("ff02::1");
      byte[] opt = {(byte) 0xde, 2, 0, 0}; // high bits 11
      byte[] body = icmpv6(HOST6, allNodes, ECHO_REQUEST, 0, 1, pattern(8));
      assertEquals(List.of(), h.send(ipv6(HOST6, allNodes, DEST_OPTS, concat(optionsHeader(ICMPV6, opt), body))));
      assertEquals(1, h.counter(StackCounter.IP6_IN_UNKNOWN_OPTION));
      assertEquals(0, h.counter(StackCounter.ICMP6_OUT_PARM_PROBS));
    }

    @Test
    void optionRunningPastItsHeaderIsDropped() {
      byte[] hdr = optionsHeader(ICMPV6, new byte[] {0x1e, 9});
      byte[] p = ipv6(HOST6, STACK6, DEST_OPTS, concat(hdr, echoBody(1, 3, pattern(8))));
      assertEquals(List.of(), h.send(p));
      assertEquals(1, h.counter(StackCounter.IP6_IN_BAD_EXTENSION));
    }

    @Test
    void hopByHopAfterAnotherHeaderDrawsParameterProblemCode1() {
      byte[] dest = optionsHeader(HOP_BY_HOP, new byte[0]);
      byte[] hbh = optionsHeader(ICMPV6, new byte[0]);
      byte[] p = ipv6(HOST6, STACK6, DEST_OPTS, concat(dest, hbh, echoBody(1, 1, pattern(8))));
      assertParameterProblem(h.send(p), 1, 40, p); // the Next Header field of the Destination Options header
      assertEquals(1, h.counter(StackCounter.IP6_IN_MISPLACED_HOP_BY_HOP));
    }

    @Test
    void routingHeaderWithSegmentsLeftZeroIsIgnored() {
      byte[] data = pattern(8);
      byte[] p = ipv6(HOST6, STACK6, ROUTING, concat(routingHeader(ICMPV6, 4, 0), echoBody(1, 4, data)));
      assertEchoReply(h.send(p), 1, 4, data);
    }

    @Test
    void routingHeaderWithSegmentsLeftDrawsParameterProblemAtTheRoutingType() {
      byte[] p = ipv6(HOST6, STACK6, ROUTING, concat(routingHeader(ICMPV6, 0, 1), echoBody(1, 4, pattern(8))));
      assertParameterProblem(h.send(p), 0, 40 + 2, p);
      assertEquals(1, h.counter(StackCounter.IP6_IN_ROUTING_HEADER));
    }

    @Test
    void unknownNextHeaderDrawsParameterProblemCode1() {
      byte[] p = ipv6(HOST6, STACK6, 253, pattern(12));
      assertParameterProblem(h.send(p), 1, 6, p);
      assertEquals(1, h.counter(StackCounter.IP6_IN_UNKNOWN_NEXT_HEADER));
    }

    @Test
    void unknownNextHeaderAfterAnExtensionPointsAtThatHeadersField() {
      byte[] p = ipv6(HOST6, STACK6, DEST_OPTS, concat(optionsHeader(50, new byte[0]), pattern(16)));
      assertParameterProblem(h.send(p), 1, 40, p);
    }

    @Test
    void noNextHeaderDeliversNothing() {
      assertEquals(List.of(), h.send(ipv6(HOST6, STACK6, NO_NEXT, new byte[0])));
      assertEquals(1, h.counter(StackCounter.IP6_IN_NO_NEXT_HEADER));
    }

    @Test
    void truncatedExtensionIsDropped() {
      assertEquals(List.of(), h.send(ipv6(HOST6, STACK6, DEST_OPTS, new byte[] {58, 1, 0, 0, 0, 0, 0, 0})));
      assertEquals(1, h.counter(StackCounter.IP6_IN_BAD_EXTENSION));
    }
  }

  @Nested
  class Errors {
    @Test
    void neverAboutAnIcmpv6Error() {
      // An unknown-code Destination Unreachable to us, behind an unknown option asking for ICMP:
      // RFC 4443 §2.4 (e.1) forbids answering an error with an error.
      byte[] err = icmpv6(HOST6, STACK6, 1, 0, 0, new byte[48]);
      byte[] p = ipv6(HOST6, STACK6, ICMPV6, err);
      p[6] = (byte) 253; // now the "unknown next header" names what is in fact an ICMPv6 error
      h.send(p); // not an ICMPv6 packet any more: answered
      assertEquals(1, h.counter(StackCounter.ICMP6_OUT_PARM_PROBS));
      byte[] q = ipv6(HOST6, STACK6, HOP_BY_HOP, concat(optionsHeader(ICMPV6, new byte[] {(byte) 0x9e, 0}), err));
      assertEquals(1, h.send(q).size(), "the option error comes before the upper layer is known");
    }

    @Test
    void rateLimited() {
      int sent = 0;
      for (int i = 0; i < 30; i++) {
        sent += h.send(ipv6(HOST6, STACK6, 253, pattern(8))).size();
      }
      assertEquals(Icmpv6Layer.RATE_LIMIT_BURST, sent, "a burst, then nothing at the same instant");
      assertEquals(30 - Icmpv6Layer.RATE_LIMIT_BURST, h.counter(StackCounter.ICMP6_OUT_RATE_LIMITED));
      h.at(Icmpv6Layer.RATE_LIMIT_INTERVAL_NS);
      assertEquals(1, h.send(ipv6(HOST6, STACK6, 253, pattern(8))).size(), "one token back per interval");
    }

    @Test
    void quoteStopsAtTheMinimumMtu() {
      byte[] p = ipv6(HOST6, STACK6, 253, pattern(1400));
      List<byte[]> out = h.send(p);
      assertEquals(1, out.size());
      assertEquals(1280, out.get(0).length, "RFC 4443 §2.4 (c): no larger than the minimum MTU");
    }
  }

  @Nested
  class Fragments {
    private byte[] bigEcho(int id, byte[] data) {
      return echoBody(id, 1, data);
    }

    @Test
    void fragmentedEchoIsReassembledAndTheReplyFragmented() {
      byte[] data = pattern(4000);
      List<byte[]> frags = fragments(HOST6, STACK6, ICMPV6, 0x01020304, bigEcho(9, data), 1448);
      Collections.reverse(frags);
      List<byte[]> out = new ArrayList<>();
      for (byte[] f : frags) {
        out.addAll(h.send(f));
      }
      assertEquals(1, h.counter(StackCounter.IP_REASM_OKS));
      assertEquals(3, out.size(), "4008 bytes of ICMPv6 in fragments of at most 1500");
      ByteArrayOutputStream whole = new ByteArrayOutputStream();
      long id = -1;
      for (int i = 0; i < out.size(); i++) {
        byte[] f = out.get(i);
        assertTrue(f.length <= 1500);
        assertEquals(FRAGMENT, u8(f, 6));
        assertEquals(ICMPV6, u8(f, 40));
        int word = u16(f, 42);
        assertEquals(whole.size(), word & 0xFFF8, "offset");
        assertEquals(i < out.size() - 1 ? 1 : 0, word & 1, "M");
        if (i > 0) {
          assertTrue(u32(f, 44) == id, "one identification");
        }
        id = u32(f, 44);
        whole.write(f, 48, f.length - 48);
      }
      byte[] reply = whole.toByteArray();
      assertEquals(0, checksum(STACK6, HOST6, ICMPV6, reply));
      assertEquals(ECHO_REPLY, u8(reply, 0));
      assertArrayEquals(data, Arrays.copyOfRange(reply, 8, reply.length));
      assertEquals(1, h.counter(StackCounter.IP6_FRAG_OKS));
      assertEquals(3, h.counter(StackCounter.IP6_FRAG_CREATES));
    }

    @Test
    void overlappingFragmentDiscardsTheDatagram() {
      byte[] msg = bigEcho(9, pattern(3000));
      List<byte[]> frags = fragments(HOST6, STACK6, ICMPV6, 77, msg, 1448);
      h.send(frags.get(0));
      // RFC 5722 §4: a fragment overlapping the first discards the whole datagram, silently.
      byte[] overlap = ipv6(HOST6, STACK6, FRAGMENT, concat(fragmentHeader(ICMPV6, 1440, true, 77),
          Arrays.copyOfRange(msg, 1440, 1440 + 16)));
      assertEquals(List.of(), h.send(overlap));
      assertEquals(1, h.counter(StackCounter.IP_REASM_INVALID));
      assertEquals(0, h.stack().ip6().reassembliesInProgress());
      for (int i = 1; i < frags.size(); i++) {
        assertEquals(List.of(), h.send(frags.get(i)), "what follows starts anew and never completes");
      }
      assertEquals(0, h.counter(StackCounter.IP_REASM_OKS));
    }

    @Test
    void exactDuplicateIsIgnored() {
      List<byte[]> frags = fragments(HOST6, STACK6, ICMPV6, 78, bigEcho(9, pattern(2000)), 1448);
      h.send(frags.get(0));
      h.send(frags.get(0));
      assertEquals(1, h.counter(StackCounter.IP_REASM_DUPLICATES));
      assertEquals(2, h.send(frags.get(1)).size(), "completed and answered (2008 bytes: two fragments)");
    }

    @Test
    void atomicFragmentIsProcessedAlone() {
      List<byte[]> frags = fragments(HOST6, STACK6, ICMPV6, 79, bigEcho(9, pattern(2000)), 1448);
      h.send(frags.get(0)); // a reassembly of identification 79 in progress
      byte[] data = pattern(8);
      byte[] atomic = ipv6(HOST6, STACK6, FRAGMENT, concat(fragmentHeader(ICMPV6, 0, false, 79), echoBody(5, 5, data)));
      assertEchoReply(h.send(atomic), 5, 5, data);
      assertEquals(1, h.counter(StackCounter.IP6_IN_ATOMIC_FRAGMENTS));
      assertEquals(1, h.stack().ip6().reassembliesInProgress(), "RFC 6946 §4: the reassembly is untouched");
      assertEquals(0, h.counter(StackCounter.IP_REASM_INVALID));
    }

    @Test
    void nonFinalFragmentNotAMultipleOf8DrawsParameterProblem() {
      byte[] p = ipv6(HOST6, STACK6, FRAGMENT, concat(fragmentHeader(ICMPV6, 0, true, 80), pattern(100)));
      assertParameterProblem(h.send(p), 0, 4, p);
      assertEquals(1, h.counter(StackCounter.IP6_IN_BAD_FRAGMENT));
    }

    @Test
    void payloadBeyond65535IsDropped() {
      byte[] p = ipv6(HOST6, STACK6, FRAGMENT, concat(fragmentHeader(ICMPV6, 65528, false, 81), pattern(16)));
      assertEquals(List.of(), h.send(p));
      assertEquals(1, h.counter(StackCounter.IP_REASM_INVALID));
    }

    @Test
    void timeoutAfterTheFirstFragmentDrawsTimeExceeded() {
      List<byte[]> frags = fragments(HOST6, STACK6, ICMPV6, 82, bigEcho(9, pattern(2000)), 1448);
      h.send(frags.get(0));
      h.at(h.stack().config().reassemblyTimeoutNs());
      byte[] m = onlyIcmpv6(h.poll());
      assertEquals(TIME_EXCEEDED, u8(m, 0));
      assertEquals(1, u8(m, 1), "fragment reassembly time exceeded");
      assertEquals(HOST6, IpAddress.fromBytes(Arrays.copyOfRange(m, 8 + 8, 8 + 24)), "quotes the packet's source");
      assertEquals(1, h.counter(StackCounter.IP_REASM_TIMEOUT));
      assertEquals(1, h.counter(StackCounter.ICMP6_OUT_TIME_EXCDS));
    }

    @Test
    void timeoutWithoutTheFirstFragmentDrawsNothing() {
      List<byte[]> frags = fragments(HOST6, STACK6, ICMPV6, 83, bigEcho(9, pattern(2000)), 1448);
      h.send(frags.get(1));
      h.at(h.stack().config().reassemblyTimeoutNs());
      assertEquals(List.of(), h.poll());
      assertEquals(1, h.counter(StackCounter.IP_REASM_TIMEOUT));
    }

    @Test
    void extensionHeadersBeforeTheFragmentHeaderAreKept() {
      byte[] data = pattern(2000);
      byte[] msg = bigEcho(9, data);
      byte[] dest = optionsHeader(FRAGMENT, new byte[0]);
      List<byte[]> out = new ArrayList<>();
      for (int off = 0; off < msg.length; off += 1448) {
        int n = Math.min(1448, msg.length - off);
        out.addAll(h.send(ipv6(HOST6, STACK6, DEST_OPTS, concat(dest,
            fragmentHeader(ICMPV6, off, off + n < msg.length, 84), Arrays.copyOfRange(msg, off, off + n)))));
      }
      assertEquals(1, h.counter(StackCounter.IP_REASM_OKS));
      assertEquals(2, out.size(), "answered (in two fragments)");
    }
  }
}
