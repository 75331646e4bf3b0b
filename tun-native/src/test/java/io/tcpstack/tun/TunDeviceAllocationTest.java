package io.tcpstack.tun;

import static io.tcpstack.tun.TestPackets.icmpEchoRequest;
import static io.tcpstack.tun.TestPackets.ipv4;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.buffer.UnpooledUnsafeDirectByteBuf;
import io.tcpstack.testing.RequiresTun;
import io.tcpstack.testing.TestNamespace;
import java.lang.management.ManagementFactory;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The per-packet calls allocate nothing on the Java heap. Buffers are built directly rather than
 * from an allocator, because paranoid leak detection wraps allocator buffers in a tracker that
 * itself allocates a record on every access.
 */
@RequiresTun
class TunDeviceAllocationTest {

  private static final int WARM_UP = 2_000;
  private static final int MEASURED = 10_000;

  @Test
  void writeAwaitReadAndWakeupAllocateNothingPerPacket() throws Exception {
    com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    Assumptions.assumeTrue(threads.isThreadAllocatedMemorySupported() && threads.isThreadAllocatedMemoryEnabled(),
        "this JVM cannot count allocated bytes per thread");
    try (TestNamespace ns = TestNamespace.create();
        TunDevice device = TunDevice.builder().name("tcps0").netns(ns.path())
            .hostAddress(ipv4("198.18.0.1"), 24).open()) {
      ByteBuf request = new UnpooledUnsafeDirectByteBuf(UnpooledByteBufAllocator.DEFAULT, 128, 128);
      ByteBuf packet = new UnpooledUnsafeDirectByteBuf(UnpooledByteBufAllocator.DEFAULT, device.mtu(), device.mtu());
      try {
        assertTrue(request.hasMemoryAddress() && packet.hasMemoryAddress());
        request.writeBytes(icmpEchoRequest(ipv4("198.18.0.2"), ipv4("198.18.0.1"), 9, 9, new byte[32]));

        exchange(device, request, packet, WARM_UP); // lets jnr-ffi and the JIT finish their one-time work
        long before = threads.getCurrentThreadAllocatedBytes();
        int packets = exchange(device, request, packet, MEASURED);
        long allocated = threads.getCurrentThreadAllocatedBytes() - before;

        assertEquals(MEASURED, packets);
        // Well under one byte per packet: a single allocation per call would be >= 16 bytes each.
        assertTrue(allocated < MEASURED, allocated + " bytes allocated for " + MEASURED + " packets");
      } finally {
        request.release();
        packet.release();
      }
    }
  }

  /** Writes {@code count} echo requests, each followed by await and reads until the queue is empty. */
  private static int exchange(TunDevice device, ByteBuf request, ByteBuf packet, int count) throws TunException {
    long limitNs = TimeUnit.SECONDS.toNanos(20);
    int written = 0;
    for (int i = 0; i < count; i++) {
      device.write(request);
      written++;
      device.wakeup();
      device.await(limitNs); // consumes the wakeup, or reports the reply
      while (device.await(0)) {
        packet.clear();
        device.read(packet);
      }
      packet.clear();
      device.read(packet); // usually EAGAIN: 0
    }
    return written;
  }
}
