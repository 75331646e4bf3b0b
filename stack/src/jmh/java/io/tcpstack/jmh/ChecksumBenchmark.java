package io.tcpstack.jmh;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.tcpstack.wire.InternetChecksum;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * {@link InternetChecksum#checksum} over a direct buffer (as the stack's packets are) of 20 (an IPv4
 * header), 40 (a TCP ACK with its pseudo-header's worth), 1460 (one MSS at MTU 1500) and 65,000
 * bytes (near the largest datagram). {@link #checksum} gives ns/op; {@link #checksumBytes} gives
 * ops/s and, as its {@code bytes} counter, bytes/s.
 */
@Fork(value = 2, jvmArgsAppend = "-XX:+UseSerialGC")
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
@State(Scope.Thread)
public class ChecksumBenchmark {

  @Param({"20", "40", "1460", "65000"})
  public int length;

  private ByteBuf buffer;

  @Setup
  public void setUp() {
    buffer = Unpooled.directBuffer(length);
    byte[] bytes = new byte[length];
    new SplittableRandom(length).nextBytes(bytes);
    buffer.writeBytes(bytes);
  }

  @TearDown
  public void tearDown() {
    buffer.release();
  }

  /** The bytes summed, reported per second in throughput mode. */
  @State(Scope.Thread)
  @AuxCounters(AuxCounters.Type.OPERATIONS)
  public static class Bytes {
    public long bytes;

    @Setup(Level.Iteration)
    public void reset() {
      bytes = 0;
    }
  }

  @Benchmark
  @BenchmarkMode(Mode.AverageTime)
  @OutputTimeUnit(TimeUnit.NANOSECONDS)
  public int checksum() {
    return InternetChecksum.checksum(buffer, 0, length);
  }

  @Benchmark
  @BenchmarkMode(Mode.Throughput)
  @OutputTimeUnit(TimeUnit.SECONDS)
  public int checksumBytes(Bytes counted) {
    counted.bytes += length;
    return InternetChecksum.checksum(buffer, 0, length);
  }
}
