package io.tcpstack.jmh;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.tcpstack.NetworkStack;
import io.tcpstack.StackConfig;
import io.tcpstack.stats.StackCounter;
import io.tcpstack.tcp.TcpConfig;
import io.tcpstack.tcp.TcpConnection;
import io.tcpstack.tcp.TcpEvents;
import io.tcpstack.tcp.TcpListener;
import io.tcpstack.tcp.TcpState;
import io.tcpstack.testing.Packets;
import io.tcpstack.testing.Seg;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * A segment's way through the whole stack — IPv4 input, TCP demultiplexing, the connection's state
 * machine, its buffers, TCP and IPv4 output — on one established connection of a {@link
 * NetworkStack} fed in memory: no device, no threads, a virtual clock that moves 1 µs per packet
 * fed. The peer (198.18.0.1:40000) is simulated by prepared datagrams ({@link PeerSegment}); what
 * the stack transmits goes to a {@link CountingSink}. After each packet fed, the stack is polled,
 * as the runtime does after each batch it reads.
 *
 * <ul>
 *   <li>{@link #receiveSegment}: one 1460-byte data segment in, its ACK out (delayed ACKs off, so
 *       every segment is acknowledged at once), the application draining the data from its
 *       readable event into a buffer of its own.
 *   <li>{@link #send64KiB}: the application sends 64 KiB; the peer acknowledges every second
 *       segment (as a delayed-ACK receiver does, the last one alone) with a 65,535-byte window, until
 *       all of it is acknowledged: about 45 segments out and 23 ACKs in per operation.
 * </ul>
 *
 * <p>Throughput mode: ops/s, and per second the counters {@code segmentsIn}, {@code segmentsOut}
 * and {@code dataBytes} (TCP payload bytes moved). Each teardown checks that the stack saw no bad
 * checksum, retransmitted nothing and sent what the path should.
 */
@Fork(value = 2, jvmArgsAppend = "-XX:+UseSerialGC")
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class SegmentPathBenchmark {

  static final int MSS = 1460;
  static final int PEER_PORT = 40000;
  static final int LOCAL_PORT = 7;
  static final int PEER_ISS = 10_000;
  static final int PEER_WINDOW = 65535;
  static final int SEND_SIZE = 64 * 1024;
  static final long STEP_NS = 1_000;

  /** A stack at 198.18.0.2 with one connection accepted from the peer, ESTABLISHED. */
  abstract static class Connection {
    final CountingSink sink = new CountingSink();
    NetworkStack stack;
    TcpConnection conn;
    long now;
    /** The peer's next sequence number. */
    int peerSeq;

    void establish(TcpConfig config) {
      stack =
          new NetworkStack(
              StackConfig.builder().address(Packets.STACK, 24).mtu(1500).isnKey(new byte[16]).ephemeralPortSeed(0).build(),
              sink);
      TcpListener listener = stack.tcp().listen(LOCAL_PORT, 8, config);
      feedOnce(peer().seq(PEER_ISS).flags(Seg.SYN).mss(MSS));
      if (sink.packets != 1 || sink.flags(0) != (Seg.SYN | Seg.ACK)) {
        throw new IllegalStateException("no SYN-ACK to the SYN");
      }
      int stackSeq = sink.end(0);
      peerSeq = PEER_ISS + 1;
      feedOnce(peer().seq(peerSeq).ack(stackSeq));
      conn = listener.accept();
      if (conn == null || conn.state() != TcpState.ESTABLISHED || conn.sndNxt() != stackSeq) {
        throw new IllegalStateException("not established: " + conn);
      }
    }

    static Seg peer() {
      return new Seg(PEER_PORT, LOCAL_PORT, 0, 0, 0, PEER_WINDOW, -1, new byte[0], null);
    }

    private void feedOnce(Seg segment) {
      try (PeerSegment p = new PeerSegment(segment)) {
        feed(p.buffer);
      }
    }

    /** One packet read from the link, then the poll that follows a batch. */
    final void feed(ByteBuf packet) {
      now += STEP_NS;
      stack.receive(packet, now);
      stack.poll(now);
    }

    void check(boolean ok, String what) {
      if (!ok) {
        throw new IllegalStateException(what + " (" + (conn != null ? conn.describe() : "no connection") + ")");
      }
    }

    void close() {
      check(stack.counters().get(StackCounter.TCP_IN_BAD_CHECKSUM) == 0, "bad checksums");
      check(stack.counters().get(StackCounter.TCP_RETRANS_SEGS) == 0, "retransmissions");
      if (conn != null) {
        conn.dispose();
      }
      stack.close();
    }
  }

  // ------------------------------------------------------------------ receive path

  @State(Scope.Thread)
  public static class Receiving extends Connection {
    PeerSegment data;
    ByteBuf drained;
    long received;
    long ops;
    long packetsAtStart;

    @Setup(Level.Trial)
    public void setUp() {
      establish(TcpConfig.builder().delayedAck(Duration.ZERO).build());
      data = new PeerSegment(peer().seq(peerSeq).ack(conn.sndNxt()).flags(Seg.ACK | Seg.PSH).payload(Packets.pattern(MSS)));
      drained = Unpooled.directBuffer(TcpConfig.DEFAULT_BUFFER_SIZE);
      conn.subscribe(
          new TcpEvents() {
            @Override
            public void onReadable(TcpConnection c) {
              drained.clear();
              received += c.receive(drained, drained.writableBytes(), now);
            }
          });
      packetsAtStart = sink.packets;
    }

    @TearDown(Level.Trial)
    public void tearDown() {
      try {
        check(received == ops * MSS, "received " + received + " bytes in " + ops + " segments");
        check(sink.packets - packetsAtStart == ops, (sink.packets - packetsAtStart) + " packets out for " + ops + " in");
        check(conn.rcvNxt() == peerSeq, "RCV.NXT");
        close();
      } finally {
        data.close();
        drained.release();
      }
    }
  }

  @State(Scope.Thread)
  @AuxCounters(AuxCounters.Type.OPERATIONS)
  public static class ReceiveCounters {
    public long segmentsIn;
    public long segmentsOut;
    public long dataBytes;

    @Setup(Level.Iteration)
    public void reset() {
      segmentsIn = 0;
      segmentsOut = 0;
      dataBytes = 0;
    }
  }

  @Benchmark
  public void receiveSegment(Receiving r, ReceiveCounters counters) {
    long out = r.sink.packets;
    r.feed(r.data.set(r.peerSeq, r.conn.sndNxt()));
    r.peerSeq += MSS;
    r.ops++;
    counters.segmentsIn++;
    counters.segmentsOut += r.sink.packets - out;
    counters.dataBytes += MSS;
  }

  // ------------------------------------------------------------------ send path

  @State(Scope.Thread)
  public static class Sending extends Connection {
    PeerSegment ack;
    ByteBuf source;
    /** Packets of the sink acknowledged so far. */
    long acked;
    long ops;

    @Setup(Level.Trial)
    public void setUp() {
      establish(TcpConfig.DEFAULT);
      ack = new PeerSegment(peer().seq(peerSeq).ack(conn.sndNxt()).flags(Seg.ACK));
      source = Unpooled.directBuffer(SEND_SIZE);
      source.writeBytes(Packets.pattern(SEND_SIZE));
      acked = sink.packets;
    }

    @TearDown(Level.Trial)
    public void tearDown() {
      try {
        check(conn.sndUna() == conn.sndNxt(), "data left unacknowledged");
        close();
      } finally {
        ack.close();
        source.release();
      }
    }
  }

  @State(Scope.Thread)
  @AuxCounters(AuxCounters.Type.OPERATIONS)
  public static class SendCounters {
    public long segmentsIn;
    public long segmentsOut;
    public long dataBytes;

    @Setup(Level.Iteration)
    public void reset() {
      segmentsIn = 0;
      segmentsOut = 0;
      dataBytes = 0;
    }
  }

  @Benchmark
  public void send64KiB(Sending s, SendCounters counters) {
    CountingSink sink = s.sink;
    long out = sink.packets;
    TcpConnection conn = s.conn;
    int target = conn.sndNxt() + SEND_SIZE;
    s.source.readerIndex(0);
    int queued = conn.send(s.source, SEND_SIZE, s.now);
    s.stack.deliverEvents();
    if (queued != SEND_SIZE) {
      throw new IllegalStateException("send took " + queued + " of " + SEND_SIZE + " bytes");
    }
    int acks = 0;
    while (conn.sndUna() != target) {
      long unacked = sink.packets - s.acked;
      if (unacked == 0) {
        throw new IllegalStateException("the stack stopped sending: " + conn.describe());
      }
      s.acked += unacked >= 2 ? 2 : 1;
      s.feed(s.ack.set(s.peerSeq, sink.end(s.acked - 1)));
      acks++;
    }
    s.ops++;
    counters.segmentsIn += acks;
    counters.segmentsOut += sink.packets - out;
    counters.dataBytes += SEND_SIZE;
  }
}
