package io.tcpstack.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.tcpstack.StackConfig;
import io.tcpstack.testing.MemoryDevice;
import io.tcpstack.testing.Packets;
import io.tcpstack.testing.PipeDevice;
import io.tcpstack.testing.VirtualClock;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A {@link StackRuntime} over a {@link CapturingDevice}: the file holds exactly the packets the
 * stack read and wrote, in order, stamped with the runtime's clock; with a transmit thread too; and
 * it is complete once the runtime is closed.
 */
class CapturingDeviceTest {

  /** Only a hang guard. */
  private static final long GUARD_S = 10;
  private static final long EPOCH_NS = 1_796_194_800_000_000_000L;
  private static final int ICMP = 1;

  @TempDir
  Path dir;

  @Test
  void theFileHoldsWhatTheStackReadAndWroteWithTheRuntimesTime() throws Exception {
    VirtualClock clock = new VirtualClock(0);
    MemoryDevice memory = new MemoryDevice(1500, clock);
    Path file = dir.resolve("ping.pcap");
    PcapWriter writer = new PcapWriter(file, 1L << 20, 2, clock, EPOCH_NS);
    StackRuntime runtime = StackRuntime.open(config(false), new CapturingDevice(memory, writer), clock);
    byte[] request = Packets.ipv4(Packets.HOST, Packets.STACK, ICMP, Packets.echoRequest(7, 1, Packets.pattern(56)));
    try {
      clock.set(5_000_000);
      memory.inject(request);
      runtime.doWork();
    } finally {
      runtime.close(); // closes the device, and with it the writer: the records reach the file
    }
    List<MemoryDevice.Sent> sent = memory.take();
    assertEquals(1, sent.size(), "one echo reply");
    List<PcapWriterTest.Record> records = PcapWriterTest.read(file);
    assertEquals(2, records.size());
    assertArrayEquals(request, records.get(0).data(), "the request as read");
    assertArrayEquals(sent.get(0).bytes(), records.get(1).data(), "the reply as written");
    assertEquals(EPOCH_NS + 5_000_000, records.get(0).epochNs());
    assertEquals(EPOCH_NS + 5_000_000, records.get(1).epochNs());
    assertEquals(request.length, records.get(0).originalLength());
  }

  @Test
  void packetsWrittenByTheTransmitThreadAreRecordedEachAfterWhatCausedIt() throws Exception {
    PipeDevice[] link = PipeDevice.pair(1500);
    PipeDevice peer = link[1];
    Path file = dir.resolve("tx.pcap");
    PcapWriter writer = PcapWriter.open(file, 1L << 20, 2, System::nanoTime);
    StackRuntime runtime = StackRuntime.start(config(true), new CapturingDevice(link[0], writer));
    int pings = 200;
    List<byte[]> requests = new ArrayList<>();
    List<byte[]> replies = new ArrayList<>();
    ByteBuf rx = Unpooled.buffer(1500);
    try {
      for (int i = 0; i < pings; i++) {
        byte[] request = Packets.ipv4(Packets.HOST, Packets.STACK, ICMP, Packets.echoRequest(9, i, Packets.pattern(100)));
        requests.add(request);
        ByteBuf b = Unpooled.wrappedBuffer(request);
        peer.transmit(b);
        b.release();
      }
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(GUARD_S);
      while (replies.size() < pings && System.nanoTime() - deadline < 0) {
        rx.clear();
        if (peer.receive(rx) > 0) {
          byte[] reply = new byte[rx.readableBytes()];
          rx.readBytes(reply);
          replies.add(reply);
        } else {
          peer.await(TimeUnit.MILLISECONDS.toNanos(100));
        }
      }
    } finally {
      rx.release();
      runtime.close();
    }
    assertEquals(pings, replies.size(), "every ping answered");
    List<PcapWriterTest.Record> records = PcapWriterTest.read(file);
    assertEquals(2 * pings, records.size());
    int nextRequest = 0;
    int nextReply = 0;
    long last = Long.MIN_VALUE;
    for (PcapWriterTest.Record r : records) {
      assertTrue(r.epochNs() >= last, "time order");
      last = r.epochNs();
      if (nextRequest < pings && Arrays.equals(requests.get(nextRequest), r.data())) {
        nextRequest++;
      } else {
        assertArrayEquals(replies.get(nextReply), r.data(), "record " + (nextRequest + nextReply));
        nextReply++;
        assertTrue(nextReply <= nextRequest, "a reply never comes before its request");
      }
    }
    assertEquals(pings, nextRequest);
    assertEquals(pings, nextReply);
  }

  private static StackConfig config(boolean transmitThread) {
    return StackConfig.builder().address(Packets.STACK, 24).mtu(1500).transmitThread(transmitThread).build();
  }
}
