package io.tcpstack.wire;

import static io.tcpstack.wire.WireTestSupport.ALLOC;
import static io.tcpstack.wire.WireTestSupport.assertBytes;
import static io.tcpstack.wire.WireTestSupport.bytes;
import static io.tcpstack.wire.WireTestSupport.captured;
import static io.tcpstack.wire.WireTestSupport.capturedOrNull;
import static io.tcpstack.wire.WireTestSupport.hex;
import static io.tcpstack.wire.WireTestSupport.using;
import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.netty.buffer.ByteBuf;
import io.tcpstack.wire.WireTestSupport.Placement;
import java.util.Arrays;
import java.util.function.Consumer;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The views against packets Linux itself sent into a TUN device (see {@code
 * src/test/resources/wire/capture.py}): every field reads as Linux wrote it, checksums verify, and
 * building the same packet with the setters gives the same bytes.
 *
 * <p>Expected values come from the capture; re-running capture.py changes ports, identifications,
 * sequence numbers and timestamps, and these expectations with them.
 */
class LinuxCapturesTest {

  /** The kernel's side of the TUN device in capture.py. */
  static final int KERNEL = Ipv4Address.parse("198.18.0.1");

  /** The address capture.py plays the peer with. */
  static final int PEER = Ipv4Address.parse("198.18.0.2");

  /** Bytes before a rebuilt packet, to show that building honours the offset. */
  private static final int BUILD_OFFSET = 5;

  /**
   * Builds a packet into a fresh buffer pre-filled with junk, so every byte the build leaves
   * unwritten shows up in the comparison, and compares it with {@code expected}.
   */
  private static void assertBuilds(byte[] expected, Consumer<ByteBuf> build) {
    using(
        ALLOC.directBuffer(BUILD_OFFSET + expected.length),
        out -> {
          for (int i = 0; i < BUILD_OFFSET + expected.length; i++) {
            out.writeByte(0xA5);
          }
          build.accept(out);
          assertBytes(expected, out, BUILD_OFFSET);
        });
  }

  @Nested
  class IcmpEchoRequestFromPing {
    final byte[] packet = captured("icmp-echo-request");

    @ParameterizedTest
    @EnumSource(Placement.class)
    void readsEveryFieldAsLinuxSentIt(Placement placement) {
      using(
          placement.place(packet),
          buf -> {
            int start = buf.readerIndex();
            Ipv4Header ip = new Ipv4Header();
            assertEquals(WireCheck.OK, ip.wrapChecked(buf, start, buf.readableBytes()));
            assertAll(
                ip.toString(),
                () -> assertEquals(4, ip.version(), "version"),
                () -> assertEquals(5, ip.ihl(), "ihl"),
                () -> assertEquals(20, ip.headerLength(), "header length"),
                () -> assertEquals(0, ip.dscp(), "dscp"),
                () -> assertEquals(0, ip.ecn(), "ecn"),
                () -> assertEquals(84, ip.totalLength(), "total length"),
                () -> assertEquals(0x9b62, ip.identification(), "identification"),
                () ->
                    assertTrue(ip.dontFragment(), "DF: iputils ping sets it (path MTU discovery)"),
                () -> assertFalse(ip.moreFragments(), "MF"),
                () -> assertFalse(ip.reservedFlag(), "reserved flag"),
                () -> assertEquals(0, ip.fragmentOffset(), "fragment offset"),
                () -> assertFalse(ip.isFragment(), "is fragment"),
                () -> assertEquals(64, ip.ttl(), "ttl"),
                () -> assertEquals(IpProtocol.ICMP, ip.protocol(), "protocol"),
                () -> assertEquals(0x131f, ip.checksum(), "checksum"),
                () -> assertTrue(ip.isChecksumValid(), "checksum valid"),
                () -> assertEquals(KERNEL, ip.source(), "source"),
                () -> assertEquals(PEER, ip.destination(), "destination"),
                () -> assertEquals(0, ip.optionsLength(), "options length"),
                () -> assertEquals(start + 20, ip.payloadIndex(), "payload index"),
                () -> assertEquals(64, ip.payloadLength(), "payload length"));

            Icmpv4Header icmp = new Icmpv4Header();
            assertEquals(
                WireCheck.OK, icmp.wrapChecked(buf, ip.payloadIndex(), ip.payloadLength()));
            assertAll(
                icmp.toString(),
                () -> assertEquals(Icmpv4Header.TYPE_ECHO_REQUEST, icmp.type(), "type"),
                () -> assertEquals(0, icmp.code(), "code"),
                () -> assertEquals(0x3d43, icmp.checksum(), "checksum"),
                () -> assertTrue(icmp.isChecksumValid(), "checksum valid"),
                () -> assertEquals(0x1039, icmp.identifier(), "identifier"),
                () -> assertEquals(1, icmp.sequenceNumber(), "sequence number"),
                () -> assertEquals(0x1039_0001, icmp.restOfHeader(), "rest of header"),
                () -> assertEquals(64, icmp.length(), "message length"),
                () -> assertEquals(start + 28, icmp.dataIndex(), "data index"),
                () -> assertEquals(56, icmp.dataLength(), "data length"));
            // iputils: a 16-byte struct timeval, then the pattern 0x10, 0x11, ... to 56 bytes.
            for (int i = 16; i < 56; i++) {
              assertEquals(i, buf.getUnsignedByte(icmp.dataIndex() + i), "data byte " + i);
            }
          });
    }

    @Test
    void buildsByteIdenticalPacket() {
      assertBuilds(
          packet,
          out -> {
            new Ipv4Header()
                .wrap(out, BUILD_OFFSET)
                .setVersionAndHeaderLength(20)
                .setDscpEcn(0)
                .setTotalLength(84)
                .setIdentification(0x9b62)
                .setFlagsAndFragmentOffset(true, false, 0)
                .setTtl(Ipv4Header.DEFAULT_TTL)
                .setProtocol(IpProtocol.ICMP)
                .setSource(KERNEL)
                .setDestination(PEER)
                .fillChecksum();
            out.setBytes(BUILD_OFFSET + 28, packet, 28, 56);
            new Icmpv4Header()
                .wrap(out, BUILD_OFFSET + 20)
                .setType(Icmpv4Header.TYPE_ECHO_REQUEST)
                .setCode(0)
                .setIdentifier(0x1039)
                .setSequenceNumber(1)
                .fillChecksum(64);
          });
    }
  }

  @Nested
  class TcpSynFromConnect {
    final byte[] packet = captured("tcp-syn");

    /** MSS 1460, SACK permitted, timestamps (TSval 0xec38e7ea, TSecr 0), NOP, window scale 10. */
    final byte[] options = hex("020405b4 0402 080aec38e7ea00000000 01 03030a");

    @ParameterizedTest
    @EnumSource(Placement.class)
    void readsEveryFieldAsLinuxSentIt(Placement placement) {
      using(
          placement.place(packet),
          buf -> {
            int start = buf.readerIndex();
            Ipv4Header ip = new Ipv4Header();
            assertEquals(WireCheck.OK, ip.wrapChecked(buf, start, buf.readableBytes()));
            assertAll(
                ip.toString(),
                () -> assertEquals(4, ip.version(), "version"),
                () -> assertEquals(20, ip.headerLength(), "header length"),
                () -> assertEquals(0, ip.dscpEcn(), "dscp/ecn"),
                () -> assertEquals(60, ip.totalLength(), "total length"),
                () -> assertEquals(0x2e95, ip.identification(), "identification"),
                () -> assertTrue(ip.dontFragment(), "DF"),
                () -> assertFalse(ip.moreFragments(), "MF"),
                () -> assertEquals(0, ip.fragmentOffset(), "fragment offset"),
                () -> assertEquals(64, ip.ttl(), "ttl"),
                () -> assertEquals(IpProtocol.TCP, ip.protocol(), "protocol"),
                () -> assertEquals(0x7fff, ip.checksum(), "checksum"),
                () -> assertTrue(ip.isChecksumValid(), "checksum valid"),
                () -> assertEquals(KERNEL, ip.source(), "source"),
                () -> assertEquals(PEER, ip.destination(), "destination"),
                () -> assertEquals(40, ip.payloadLength(), "payload length"));

            TcpHeader tcp = new TcpHeader();
            assertEquals(WireCheck.OK, tcp.wrapChecked(buf, ip.payloadIndex(), ip.payloadLength()));
            assertAll(
                tcp.toString(),
                () -> assertEquals(40007, tcp.sourcePort(), "source port"),
                () -> assertEquals(7, tcp.destinationPort(), "destination port"),
                () -> assertEquals(0xd3497951, tcp.sequenceNumber(), "sequence number"),
                () -> assertEquals(0, tcp.acknowledgmentNumber(), "acknowledgment number"),
                () -> assertEquals(10, tcp.dataOffset(), "data offset"),
                () -> assertEquals(40, tcp.headerLength(), "header length"),
                () -> assertEquals(0, tcp.reservedBits(), "reserved bits"),
                () -> assertEquals(TcpHeader.FLAG_SYN, tcp.flags(), "flags"),
                () -> assertTrue(tcp.hasFlags(TcpHeader.FLAG_SYN), "SYN"),
                () -> assertFalse(tcp.hasFlags(TcpHeader.FLAG_SYN | TcpHeader.FLAG_ACK), "SYN+ACK"),
                () -> assertEquals(64240, tcp.window(), "window"),
                () -> assertEquals(0x03d7, tcp.checksum(), "checksum"),
                () -> assertTrue(tcp.isChecksumValid(KERNEL, PEER), "checksum valid"),
                () ->
                    assertFalse(
                        tcp.isChecksumValid(PEER, KERNEL + 1), "checksum with other addresses"),
                () -> assertEquals(0, tcp.urgentPointer(), "urgent pointer"),
                () -> assertEquals(start + 40, tcp.optionsIndex(), "options index"),
                () -> assertEquals(20, tcp.optionsLength(), "options length"),
                () ->
                    assertArrayEquals(options, bytes(buf, tcp.optionsIndex(), tcp.optionsLength())),
                () -> assertEquals(start + 60, tcp.payloadIndex(), "payload index"),
                () -> assertEquals(0, tcp.payloadLength(), "payload length"),
                () -> assertEquals(40, tcp.length(), "segment length"));
          });
    }

    @Test
    void buildsByteIdenticalPacketFromHeaderFieldsAndCopiedOptions() {
      assertBuilds(
          packet,
          out -> {
            new Ipv4Header()
                .wrap(out, BUILD_OFFSET)
                .setVersionAndHeaderLength(20)
                .setDscpEcn(0)
                .setTotalLength(60)
                .setIdentification(0x2e95)
                .setFlagsAndFragmentOffset(true, false, 0)
                .setTtl(64)
                .setProtocol(IpProtocol.TCP)
                .setSource(KERNEL)
                .setDestination(PEER)
                .fillChecksum();
            int tcpStart = BUILD_OFFSET + 20;
            out.setBytes(tcpStart + TcpHeader.OPTIONS_FIELD_OFFSET, options);
            TcpHeader tcp =
                new TcpHeader()
                    .wrap(out, tcpStart)
                    .setSourcePort(40007)
                    .setDestinationPort(7)
                    .setSequenceNumber(0xd3497951)
                    .setAcknowledgmentNumber(0)
                    .setDataOffsetAndFlags(40, TcpHeader.FLAG_SYN)
                    .setWindow(64240)
                    .setUrgentPointer(0)
                    .fillChecksum(KERNEL, PEER, 40);
            assertEquals(40, tcp.length());
          });
    }
  }

  @Nested
  class UdpWithOddLengthPayload {
    final byte[] packet = captured("udp-odd-payload");

    @ParameterizedTest
    @EnumSource(Placement.class)
    void readsEveryFieldAsLinuxSentIt(Placement placement) {
      using(
          placement.place(packet),
          buf -> {
            int start = buf.readerIndex();
            Ipv4Header ip = new Ipv4Header();
            assertEquals(WireCheck.OK, ip.wrapChecked(buf, start, buf.readableBytes()));
            assertAll(
                ip.toString(),
                () -> assertEquals(20, ip.headerLength(), "header length"),
                () -> assertEquals(0, ip.dscpEcn(), "dscp/ecn"),
                () -> assertEquals(43, ip.totalLength(), "total length"),
                () -> assertEquals(0xac8b, ip.identification(), "identification"),
                () -> assertTrue(ip.dontFragment(), "DF: Linux sets it on UDP that fits the MTU"),
                () -> assertFalse(ip.isFragment(), "is fragment"),
                () -> assertEquals(64, ip.ttl(), "ttl"),
                () -> assertEquals(IpProtocol.UDP, ip.protocol(), "protocol"),
                () -> assertEquals(0x020f, ip.checksum(), "checksum"),
                () -> assertTrue(ip.isChecksumValid(), "checksum valid"),
                () -> assertEquals(KERNEL, ip.source(), "source"),
                () -> assertEquals(PEER, ip.destination(), "destination"),
                () -> assertEquals(23, ip.payloadLength(), "payload length"));

            UdpHeader udp = new UdpHeader();
            assertEquals(WireCheck.OK, udp.wrapChecked(buf, ip.payloadIndex(), ip.payloadLength()));
            assertAll(
                udp.toString(),
                () -> assertEquals(40009, udp.sourcePort(), "source port"),
                () -> assertEquals(9, udp.destinationPort(), "destination port"),
                () -> assertEquals(23, udp.length(), "length"),
                () -> assertEquals(0xcf8a, udp.checksum(), "checksum"),
                () -> assertTrue(udp.isChecksumValid(KERNEL, PEER), "checksum valid"),
                () ->
                    assertFalse(
                        udp.isChecksumValid(KERNEL, KERNEL), "checksum with other addresses"),
                () -> assertEquals(start + 28, udp.payloadIndex(), "payload index"),
                () -> assertEquals(15, udp.payloadLength(), "payload length"),
                () ->
                    assertEquals(
                        "hello, tcpstack",
                        buf.toString(udp.payloadIndex(), udp.payloadLength(), US_ASCII)));
          });
    }

    @Test
    void buildsByteIdenticalPacket() {
      assertBuilds(
          packet,
          out -> {
            new Ipv4Header()
                .wrap(out, BUILD_OFFSET)
                .setVersionAndHeaderLength(20)
                .setDscpEcn(0)
                .setTotalLength(43)
                .setIdentification(0xac8b)
                .setFlagsAndFragmentOffset(true, false, 0)
                .setTtl(64)
                .setProtocol(IpProtocol.UDP)
                .setSource(KERNEL)
                .setDestination(PEER)
                .fillChecksum();
            out.setCharSequence(BUILD_OFFSET + 28, "hello, tcpstack", US_ASCII);
            new UdpHeader()
                .wrap(out, BUILD_OFFSET + 20)
                .setSourcePort(40009)
                .setDestinationPort(9)
                .setLength(23)
                .fillChecksum(KERNEL, PEER);
          });
    }
  }

  @Nested
  class FragmentedUdp {
    final byte[][] fragments = {
      captured("udp-fragment-1"), captured("udp-fragment-2"), captured("udp-fragment-3")
    };

    /** Per fragment: total length, MF, fragment offset in bytes, header checksum. */
    final int[][] expected = {
      {1500, 1, 0, 0x1c5d},
      {1500, 1, 1480, 0x1ba4},
      {68, 0, 2960, 0x4083},
    };

    @ParameterizedTest
    @EnumSource(Placement.class)
    void readsEveryFragmentHeaderAsLinuxSentIt(Placement placement) {
      for (int i = 0; i < 3; i++) {
        int[] e = expected[i];
        using(
            placement.place(fragments[i]),
            buf -> {
              Ipv4Header ip = new Ipv4Header();
              assertEquals(
                  WireCheck.OK, ip.wrapChecked(buf, buf.readerIndex(), buf.readableBytes()));
              assertAll(
                  ip.toString(),
                  () -> assertEquals(20, ip.headerLength(), "header length"),
                  () -> assertEquals(e[0], ip.totalLength(), "total length"),
                  () -> assertEquals(0xac8c, ip.identification(), "identification, same in all"),
                  () -> assertFalse(ip.dontFragment(), "DF"),
                  () -> assertEquals(e[1] == 1, ip.moreFragments(), "MF"),
                  () -> assertEquals(e[2], ip.fragmentOffset(), "fragment offset"),
                  () -> assertTrue(ip.isFragment(), "is fragment"),
                  () -> assertEquals(64, ip.ttl(), "ttl"),
                  () -> assertEquals(IpProtocol.UDP, ip.protocol(), "protocol"),
                  () -> assertEquals(e[3], ip.checksum(), "checksum"),
                  () -> assertTrue(ip.isChecksumValid(), "checksum valid"),
                  () -> assertEquals(KERNEL, ip.source(), "source"),
                  () -> assertEquals(PEER, ip.destination(), "destination"),
                  () -> assertEquals(e[0] - 20, ip.payloadLength(), "payload length"));
            });
      }
    }

    @Test
    void firstFragmentStartsWithTheWholeDatagramsUdpHeader() {
      using(
          Placement.DIRECT_AT_ZERO.place(fragments[0]),
          buf -> {
            UdpHeader udp = new UdpHeader();
            // The UDP length (3008) is beyond this fragment's 1480 payload bytes.
            assertEquals(WireCheck.BAD_LENGTH, udp.wrapChecked(buf, 20, 1480));
            assertAll(
                () -> assertEquals(40010, udp.sourcePort()),
                () -> assertEquals(9, udp.destinationPort()),
                () -> assertEquals(3008, udp.length()),
                () -> assertEquals(0xa804, udp.checksum()));
          });
    }

    @Test
    void reassembledDatagramHasValidUdpChecksumAndThePayloadSent() {
      using(
          reassemble(),
          datagram -> {
            UdpHeader udp = new UdpHeader();
            assertEquals(WireCheck.OK, udp.wrapChecked(datagram, 0, 3008));
            assertEquals(3000, udp.payloadLength());
            assertTrue(udp.isChecksumValid(KERNEL, PEER));
            for (int i = 0; i < 3000; i++) {
              assertEquals(i & 0xFF, datagram.getUnsignedByte(udp.payloadIndex() + i), "byte " + i);
            }
          });
    }

    @Test
    void buildsTheSameDatagramAndFragmentHeaders() {
      using(
          reassemble(),
          datagram -> {
            byte[] whole = bytes(datagram, 0, 3008);
            assertBuilds(
                whole,
                out -> {
                  for (int i = 0; i < 3000; i++) {
                    out.setByte(BUILD_OFFSET + 8 + i, i);
                  }
                  new UdpHeader()
                      .wrap(out, BUILD_OFFSET)
                      .setSourcePort(40010)
                      .setDestinationPort(9)
                      .setLength(3008)
                      .fillChecksum(KERNEL, PEER);
                });
          });
      for (int i = 0; i < 3; i++) {
        int[] e = expected[i];
        assertBuilds(
            Arrays.copyOf(fragments[i], 20),
            out ->
                new Ipv4Header()
                    .wrap(out, BUILD_OFFSET)
                    .setVersionAndHeaderLength(20)
                    .setDscpEcn(0)
                    .setTotalLength(e[0])
                    .setIdentification(0xac8c)
                    .setFlagsAndFragmentOffset(false, e[1] == 1, e[2])
                    .setTtl(64)
                    .setProtocol(IpProtocol.UDP)
                    .setSource(KERNEL)
                    .setDestination(PEER)
                    .fillChecksum());
      }
    }

    /** The fragments' payloads, each at its fragment offset. */
    private ByteBuf reassemble() {
      ByteBuf datagram = ALLOC.directBuffer(3008);
      Ipv4Header ip = new Ipv4Header();
      try {
        for (byte[] fragment : fragments) {
          ByteBuf f = Placement.HEAP_AT_ZERO.place(fragment);
          try {
            assertEquals(WireCheck.OK, ip.wrapChecked(f, 0, fragment.length));
            datagram.setBytes(ip.fragmentOffset(), f, ip.payloadIndex(), ip.payloadLength());
          } finally {
            f.release();
          }
        }
        return datagram.writerIndex(3008);
      } catch (RuntimeException | Error e) {
        datagram.release();
        throw e;
      }
    }
  }

  @Nested
  class IcmpPortUnreachable {
    final byte[] packet = captured("icmp-port-unreachable");
    final byte[] offending = captured("udp-to-closed-port");

    @ParameterizedTest
    @EnumSource(Placement.class)
    void readsEveryFieldAsLinuxSentIt(Placement placement) {
      using(
          placement.place(packet),
          buf -> {
            int start = buf.readerIndex();
            Ipv4Header ip = new Ipv4Header();
            assertEquals(WireCheck.OK, ip.wrapChecked(buf, start, buf.readableBytes()));
            assertAll(
                ip.toString(),
                () -> assertEquals(20, ip.headerLength(), "header length"),
                () -> assertEquals(0xc0, ip.dscpEcn(), "tos: Linux sends ICMP errors as CS6"),
                () -> assertEquals(48, ip.dscp(), "dscp"),
                () -> assertEquals(0, ip.ecn(), "ecn"),
                () -> assertEquals(73, ip.totalLength(), "total length"),
                () -> assertEquals(0x9b81, ip.identification(), "identification"),
                () -> assertFalse(ip.dontFragment(), "DF: not on ICMP errors"),
                () -> assertFalse(ip.isFragment(), "is fragment"),
                () -> assertEquals(64, ip.ttl(), "ttl"),
                () -> assertEquals(IpProtocol.ICMP, ip.protocol(), "protocol"),
                () -> assertEquals(0x524b, ip.checksum(), "checksum"),
                () -> assertTrue(ip.isChecksumValid(), "checksum valid"),
                () -> assertEquals(KERNEL, ip.source(), "source"),
                () -> assertEquals(PEER, ip.destination(), "destination"));

            Icmpv4Header icmp = new Icmpv4Header();
            assertEquals(
                WireCheck.OK, icmp.wrapChecked(buf, ip.payloadIndex(), ip.payloadLength()));
            assertAll(
                icmp.toString(),
                () -> assertEquals(Icmpv4Header.TYPE_DESTINATION_UNREACHABLE, icmp.type(), "type"),
                () -> assertEquals(Icmpv4Header.CODE_PORT_UNREACHABLE, icmp.code(), "code"),
                () -> assertEquals(0x894f, icmp.checksum(), "checksum"),
                () -> assertTrue(icmp.isChecksumValid(), "checksum valid"),
                () -> assertEquals(0, icmp.restOfHeader(), "unused"),
                () -> assertEquals(53, icmp.length(), "message length"),
                // Linux quotes the whole offending datagram, not just header + 8 bytes.
                () -> assertEquals(offending.length, icmp.dataLength(), "data length"),
                () ->
                    assertArrayEquals(offending, bytes(buf, icmp.dataIndex(), icmp.dataLength())));

            // The quoted datagram reads with the same views.
            Ipv4Header quoted = new Ipv4Header();
            assertEquals(
                WireCheck.OK, quoted.wrapChecked(buf, icmp.dataIndex(), icmp.dataLength()));
            UdpHeader udp = new UdpHeader();
            assertEquals(
                WireCheck.OK, udp.wrapChecked(buf, quoted.payloadIndex(), quoted.payloadLength()));
            assertAll(
                () -> assertEquals(PEER, quoted.source()),
                () -> assertEquals(KERNEL, quoted.destination()),
                () -> assertEquals(0x1234, quoted.identification()),
                () -> assertEquals(40000, udp.sourcePort()),
                () -> assertEquals(9, udp.destinationPort()));
          });
    }

    @Test
    void buildsByteIdenticalPacket() {
      assertBuilds(
          packet,
          out -> {
            new Ipv4Header()
                .wrap(out, BUILD_OFFSET)
                .setVersionAndHeaderLength(20)
                .setDscpEcn(0xc0)
                .setTotalLength(73)
                .setIdentification(0x9b81)
                .setFlagsAndFragmentOffset(false, false, 0)
                .setTtl(64)
                .setProtocol(IpProtocol.ICMP)
                .setSource(KERNEL)
                .setDestination(PEER)
                .fillChecksum();
            out.setBytes(BUILD_OFFSET + 28, offending);
            new Icmpv4Header()
                .wrap(out, BUILD_OFFSET + 20)
                .setType(Icmpv4Header.TYPE_DESTINATION_UNREACHABLE)
                .setCode(Icmpv4Header.CODE_PORT_UNREACHABLE)
                .setRestOfHeader(0)
                .fillChecksum(8 + offending.length);
          });
    }
  }

  @Nested
  class TcpResetForClosedPort {
    final byte[] packet = captured("tcp-rst-ack");

    @ParameterizedTest
    @EnumSource(Placement.class)
    void readsEveryFieldAsLinuxSentIt(Placement placement) {
      using(
          placement.place(packet),
          buf -> {
            int start = buf.readerIndex();
            Ipv4Header ip = new Ipv4Header();
            assertEquals(WireCheck.OK, ip.wrapChecked(buf, start, buf.readableBytes()));
            assertAll(
                ip.toString(),
                () -> assertEquals(40, ip.totalLength(), "total length"),
                () -> assertEquals(0, ip.identification(), "identification: 0 on Linux's RSTs"),
                () -> assertTrue(ip.dontFragment(), "DF"),
                () -> assertEquals(64, ip.ttl(), "ttl"),
                () -> assertEquals(IpProtocol.TCP, ip.protocol(), "protocol"),
                () -> assertEquals(0xaea8, ip.checksum(), "checksum"),
                () -> assertTrue(ip.isChecksumValid(), "checksum valid"),
                () -> assertEquals(KERNEL, ip.source(), "source"),
                () -> assertEquals(PEER, ip.destination(), "destination"));

            TcpHeader tcp = new TcpHeader();
            assertEquals(WireCheck.OK, tcp.wrapChecked(buf, ip.payloadIndex(), ip.payloadLength()));
            assertAll(
                tcp.toString(),
                () -> assertEquals(9, tcp.sourcePort(), "source port"),
                () -> assertEquals(40001, tcp.destinationPort(), "destination port"),
                () -> assertEquals(0, tcp.sequenceNumber(), "sequence number"),
                // RFC 9293 §3.10.7.1: no ACK on the SYN, so SEG.ACK = SEG.SEQ + SEG.LEN (SYN counts
                // 1).
                () -> assertEquals(0x12345679, tcp.acknowledgmentNumber(), "acknowledgment number"),
                () -> assertEquals(20, tcp.headerLength(), "header length"),
                () -> assertEquals(0, tcp.optionsLength(), "options length"),
                () -> assertEquals(TcpHeader.FLAG_RST | TcpHeader.FLAG_ACK, tcp.flags(), "flags"),
                () -> assertEquals(0, tcp.window(), "window"),
                () -> assertEquals(0x1eb1, tcp.checksum(), "checksum"),
                () -> assertTrue(tcp.isChecksumValid(KERNEL, PEER), "checksum valid"),
                () -> assertEquals(0, tcp.urgentPointer(), "urgent pointer"),
                () -> assertEquals(0, tcp.payloadLength(), "payload length"));
          });
    }

    @Test
    void buildsByteIdenticalPacket() {
      assertBuilds(
          packet,
          out -> {
            new Ipv4Header()
                .wrap(out, BUILD_OFFSET)
                .setVersionAndHeaderLength(20)
                .setDscpEcn(0)
                .setTotalLength(40)
                .setIdentification(0)
                .setFlagsAndFragmentOffset(true, false, 0)
                .setTtl(64)
                .setProtocol(IpProtocol.TCP)
                .setSource(KERNEL)
                .setDestination(PEER)
                .fillChecksum();
            new TcpHeader()
                .wrap(out, BUILD_OFFSET + 20)
                .setSourcePort(9)
                .setDestinationPort(40001)
                .setSequenceNumber(0)
                .setAcknowledgmentNumber(0x12345679)
                .setDataOffsetAndFlags(20, TcpHeader.FLAG_RST | TcpHeader.FLAG_ACK)
                .setWindow(0)
                .setUrgentPointer(0)
                .fillChecksum(KERNEL, PEER, 20);
          });
    }
  }

  /** capture.py's own packets: their checksums come from its Python code, independent of ours. */
  @Nested
  class PacketsCraftedByCaptureScript {
    @Test
    void udpToClosedPortVerifiesWithChecksumsComputedInPython() {
      using(
          Placement.DIRECT_AT_ODD_INDEX.place(captured("udp-to-closed-port")),
          buf -> {
            Ipv4Header ip = new Ipv4Header();
            UdpHeader udp = new UdpHeader();
            assertEquals(WireCheck.OK, ip.wrapChecked(buf, buf.readerIndex(), buf.readableBytes()));
            assertTrue(ip.isChecksumValid());
            assertEquals(WireCheck.OK, udp.wrapChecked(buf, ip.payloadIndex(), ip.payloadLength()));
            assertEquals(25, udp.length(), "17 odd payload bytes");
            assertTrue(udp.isChecksumValid(PEER, KERNEL));
          });
    }

    @Test
    void synToClosedPortVerifiesWithChecksumsComputedInPython() {
      using(
          Placement.COMPOSITE_AT_ODD_INDEX.place(captured("tcp-syn-to-closed-port")),
          buf -> {
            Ipv4Header ip = new Ipv4Header();
            TcpHeader tcp = new TcpHeader();
            assertEquals(WireCheck.OK, ip.wrapChecked(buf, buf.readerIndex(), buf.readableBytes()));
            assertTrue(ip.isChecksumValid());
            assertEquals(WireCheck.OK, tcp.wrapChecked(buf, ip.payloadIndex(), ip.payloadLength()));
            assertEquals(0x12345678, tcp.sequenceNumber());
            assertEquals(TcpHeader.FLAG_SYN, tcp.flags());
            assertTrue(tcp.isChecksumValid(PEER, KERNEL));
          });
    }
  }

  @Nested
  class Ipv6RouterSolicitation {
    @ParameterizedTest
    @EnumSource(Placement.class)
    void isRejectedAsNotIpv4(Placement placement) {
      byte[] packet = capturedOrNull("ipv6-router-solicitation");
      assumeTrue(packet != null, "Linux sent no router solicitation during the capture");
      using(
          placement.place(packet),
          buf -> {
            assertEquals(6, buf.getUnsignedByte(buf.readerIndex()) >>> 4, "IPv6");
            assertEquals(133, buf.getUnsignedByte(buf.readerIndex() + 40), "ICMPv6 type");
            assertEquals(
                WireCheck.BAD_VERSION,
                new Ipv4Header().wrapChecked(buf, buf.readerIndex(), buf.readableBytes()));
          });
    }
  }
}
