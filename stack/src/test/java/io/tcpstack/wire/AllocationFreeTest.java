package io.tcpstack.wire;

import static io.tcpstack.wire.WireTestSupport.captured;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.lang.management.ManagementFactory;
import org.junit.jupiter.api.Test;

/**
 * The per-packet path of the views allocates nothing: wrapping, checking, every accessor and
 * setter, checksums. Measured with the JVM's per-thread allocation counter.
 */
class AllocationFreeTest {

  private static final int SOURCE = 0xC612_0001;
  private static final int DESTINATION = 0xC612_0002;

  private final Ipv4Header ip = new Ipv4Header();
  private final TcpHeader tcp = new TcpHeader();
  private final UdpHeader udp = new UdpHeader();
  private final Icmpv4Header icmp = new Icmpv4Header();
  private long sink;

  @Test
  void parsingBuildingAndChecksummingAllocateNothing() {
    java.lang.management.ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    assumeTrue(
        threads instanceof com.sun.management.ThreadMXBean, "no per-thread allocation counter");
    com.sun.management.ThreadMXBean counter = (com.sun.management.ThreadMXBean) threads;
    assumeTrue(
        counter.isThreadAllocatedMemorySupported() && counter.isThreadAllocatedMemoryEnabled());

    // Not from the leak-detecting allocator: at paranoid level it records (allocates) every access.
    ByteBuf syn = Unpooled.wrappedBuffer(captured("tcp-syn"));
    ByteBuf datagram = Unpooled.wrappedBuffer(captured("udp-odd-payload"));
    ByteBuf ping = Unpooled.wrappedBuffer(captured("icmp-echo-request"));
    ByteBuf out = Unpooled.wrappedBuffer(new byte[1500]);
    try {
      for (int i = 0; i < 20_000; i++) {
        onePacketOfEach(syn, datagram, ping, out);
      }
      long before = counter.getCurrentThreadAllocatedBytes();
      for (int i = 0; i < 100_000; i++) {
        onePacketOfEach(syn, datagram, ping, out);
      }
      long allocated = counter.getCurrentThreadAllocatedBytes() - before;
      assertTrue(allocated < 4096, allocated + " bytes allocated over 100000 rounds");
      assertTrue(sink != 0);
    } finally {
      syn.release();
      datagram.release();
      ping.release();
      out.release();
    }
  }

  private void onePacketOfEach(ByteBuf syn, ByteBuf datagram, ByteBuf ping, ByteBuf out) {
    assertEquals(WireCheck.OK, ip.wrapChecked(syn, 0, syn.readableBytes()));
    sink += ip.isChecksumValid() ? ip.source() ^ ip.destination() : 0;
    sink += ip.ttl() + ip.identification() + ip.fragmentOffset() + ip.dscp() + ip.protocol();
    assertEquals(WireCheck.OK, tcp.wrapChecked(syn, ip.payloadIndex(), ip.payloadLength()));
    sink += tcp.isChecksumValid(ip.source(), ip.destination()) ? tcp.sequenceNumber() : 0;
    sink +=
        tcp.flags() + tcp.window() + tcp.optionsLength() + tcp.payloadLength() + tcp.sourcePort();

    assertEquals(WireCheck.OK, ip.wrapChecked(datagram, 0, datagram.readableBytes()));
    assertEquals(WireCheck.OK, udp.wrapChecked(datagram, ip.payloadIndex(), ip.payloadLength()));
    sink += udp.isChecksumValid(ip.source(), ip.destination()) ? udp.payloadLength() : 0;

    assertEquals(WireCheck.OK, ip.wrapChecked(ping, 0, ping.readableBytes()));
    assertEquals(WireCheck.OK, icmp.wrapChecked(ping, ip.payloadIndex(), ip.payloadLength()));
    sink += icmp.isChecksumValid() ? icmp.identifier() + icmp.sequenceNumber() : 0;

    ip.wrap(out, 0)
        .setVersionAndHeaderLength(Ipv4Header.MIN_LENGTH)
        .setDscpEcn(0)
        .setTotalLength(40)
        .setIdentification((int) sink)
        .setFlagsAndFragmentOffset(true, false, 0)
        .setTtl(Ipv4Header.DEFAULT_TTL)
        .setProtocol(IpProtocol.TCP)
        .setSource(SOURCE)
        .setDestination(DESTINATION)
        .fillChecksum();
    tcp.wrap(out, 20)
        .setSourcePort(80)
        .setDestinationPort(40007)
        .setSequenceNumber((int) sink)
        .setAcknowledgmentNumber(-1)
        .setDataOffsetAndFlags(TcpHeader.MIN_LENGTH, TcpHeader.FLAG_ACK)
        .setWindow(65535)
        .setUrgentPointer(0)
        .fillChecksum(SOURCE, DESTINATION, 20);
    sink += InternetChecksum.sum(out, 0, 1500, 0);
  }
}
