package io.tcpstack.jmh;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.tcpstack.testing.Packets;
import io.tcpstack.testing.Seg;
import io.tcpstack.wire.IpProtocol;
import io.tcpstack.wire.Ipv4Header;
import io.tcpstack.wire.TcpHeader;
import io.tcpstack.wire.WireCheck;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

/**
 * The header views the stack parses and writes every packet with, as the stack uses them:
 *
 * <ul>
 *   <li>{@link #readIpv4}, {@link #readTcp}: {@code wrapChecked}, then every field the input path
 *       reads, over a prepared 1500-byte datagram (20-byte IPv4 header, 20-byte TCP header, 1460
 *       bytes of data) in a direct buffer; checksums are not verified (see ChecksumBenchmark).
 *   <li>{@link #emitIpv4}, {@link #emitTcp}: the setters and {@code fillChecksum} of the output
 *       path (TcpLayer.transmit, Ipv4Layer), on a 20-byte IPv4 header and on a TCP segment with
 *       {@code payload} bytes of data (0: a pure ACK; 1460: a full segment, whose checksum covers
 *       the data).
 * </ul>
 */
@Fork(value = 2, jvmArgsAppend = "-XX:+UseSerialGC")
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class HeaderViewBenchmark {

  private static final int MSS = 1460;

  private final Ipv4Header ip = new Ipv4Header();
  private final TcpHeader tcp = new TcpHeader();
  private ByteBuf packet;
  private int packetLength;

  @Setup
  public void setUp() {
    byte[] segment =
        new Seg(40000, 7, 123_456_789, 987_654_321, Seg.ACK | Seg.PSH, 65535, -1, Packets.pattern(MSS), null)
            .toBytes(Packets.HOST, Packets.STACK);
    byte[] datagram = Packets.ipv4(Packets.HOST, Packets.STACK, IpProtocol.TCP, 0x4242, true, false, 0, 64, segment);
    packetLength = datagram.length;
    packet = Unpooled.directBuffer(packetLength);
    packet.writeBytes(datagram);
    if (ip.wrapChecked(packet, 0, packetLength) != WireCheck.OK
        || tcp.wrapChecked(packet, ip.payloadIndex(), ip.payloadLength()) != WireCheck.OK
        || tcp.payloadLength() != MSS) {
      throw new IllegalStateException("the prepared packet does not parse");
    }
  }

  @TearDown
  public void tearDown() {
    packet.release();
  }

  @Benchmark
  public void readIpv4(Blackhole bh) {
    WireCheck check = ip.wrapChecked(packet, 0, packetLength);
    bh.consume(check);
    bh.consume(ip.version());
    bh.consume(ip.headerLength());
    bh.consume(ip.dscpEcn());
    bh.consume(ip.totalLength());
    bh.consume(ip.identification());
    bh.consume(ip.dontFragment());
    bh.consume(ip.isFragment());
    bh.consume(ip.ttl());
    bh.consume(ip.protocol());
    bh.consume(ip.source());
    bh.consume(ip.destination());
    bh.consume(ip.payloadIndex());
    bh.consume(ip.payloadLength());
  }

  @Benchmark
  public void readTcp(Blackhole bh) {
    WireCheck check = tcp.wrapChecked(packet, Ipv4Header.MIN_LENGTH, packetLength - Ipv4Header.MIN_LENGTH);
    bh.consume(check);
    bh.consume(tcp.sourcePort());
    bh.consume(tcp.destinationPort());
    bh.consume(tcp.sequenceNumber());
    bh.consume(tcp.acknowledgmentNumber());
    bh.consume(tcp.headerLength());
    bh.consume(tcp.flags());
    bh.consume(tcp.window());
    bh.consume(tcp.urgentPointer());
    bh.consume(tcp.optionsLength());
    bh.consume(tcp.payloadIndex());
    bh.consume(tcp.payloadLength());
  }

  /** A 20-byte buffer to write an IPv4 header into. */
  @State(Scope.Thread)
  public static class Ipv4Out {
    ByteBuf buffer;
    int identification;

    @Setup
    public void setUp() {
      buffer = Unpooled.directBuffer(Ipv4Header.MIN_LENGTH);
      buffer.writeZero(Ipv4Header.MIN_LENGTH);
    }

    @TearDown
    public void tearDown() {
      buffer.release();
    }
  }

  /** A buffer to write a TCP segment's header into, its {@code payload} bytes of data in place. */
  @State(Scope.Thread)
  public static class TcpOut {
    @Param({"0", "1460"})
    public int payload;

    ByteBuf buffer;
    int sequence;

    @Setup
    public void setUp() {
      buffer = Unpooled.directBuffer(TcpHeader.MIN_LENGTH + payload);
      buffer.writeZero(TcpHeader.MIN_LENGTH);
      buffer.writeBytes(Packets.pattern(payload));
    }

    @TearDown
    public void tearDown() {
      buffer.release();
    }
  }

  @Benchmark
  public Ipv4Header emitIpv4(Ipv4Out out) {
    return ip.wrap(out.buffer, 0)
        .setVersionAndHeaderLength(Ipv4Header.MIN_LENGTH)
        .setDscpEcn(0)
        .setTotalLength(Ipv4Header.MIN_LENGTH + TcpHeader.MIN_LENGTH + MSS)
        .setIdentification(out.identification++ & 0xFFFF)
        .setFlagsAndFragmentOffset(true, false, 0)
        .setTtl(Ipv4Header.DEFAULT_TTL)
        .setProtocol(IpProtocol.TCP)
        .setSource(Packets.STACK)
        .setDestination(Packets.HOST)
        .fillChecksum();
  }

  @Benchmark
  public TcpHeader emitTcp(TcpOut out) {
    int sequence = out.sequence;
    out.sequence += MSS;
    int length = TcpHeader.MIN_LENGTH + out.payload;
    return tcp.wrap(out.buffer, 0, length)
        .setSourcePort(7)
        .setDestinationPort(40000)
        .setSequenceNumber(sequence)
        .setAcknowledgmentNumber(987_654_321)
        .setDataOffsetAndFlags(TcpHeader.MIN_LENGTH, TcpHeader.FLAG_ACK)
        .setWindow(65535)
        .setUrgentPointer(0)
        .fillChecksum(Packets.STACK, Packets.HOST, length);
  }
}
