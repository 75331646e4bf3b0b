package io.tcpstack.tun;

import static io.tcpstack.tun.TestPackets.checksum;
import static io.tcpstack.tun.TestPackets.destination;
import static io.tcpstack.tun.TestPackets.headerLength;
import static io.tcpstack.tun.TestPackets.icmpEchoRequest;
import static io.tcpstack.tun.TestPackets.ipv4;
import static io.tcpstack.tun.TestPackets.isEchoReply;
import static io.tcpstack.tun.TestPackets.isUdpTo;
import static io.tcpstack.tun.TestPackets.source;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.buffer.UnpooledDirectByteBuf;
import io.tcpstack.testing.Privileged;
import io.tcpstack.testing.RequiresTun;
import io.tcpstack.testing.TestNamespace;
import java.net.Inet4Address;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/** Packets through a real device: the kernel on the other side answers or sends them. */
@RequiresTun
class TunDeviceIoTest {

  private static final Inet4Address KERNEL = ipv4("198.18.0.1");
  private static final Inet4Address PEER = ipv4("198.18.0.2");
  private static final Duration LIMIT = Duration.ofSeconds(20); // against hangs only
  private static final byte[] PAYLOAD = "tcpstack echo payload".getBytes(StandardCharsets.US_ASCII);

  @Test
  void kernelAnswersAnEchoRequestWrittenToTheDevice() throws Exception {
    try (TestNamespace ns = TestNamespace.create(); TunDevice device = open(ns)) {
      ByteBuf request = PooledByteBufAllocator.DEFAULT.directBuffer();
      try {
        request.writeBytes(icmpEchoRequest(PEER, KERNEL, 0x1234, 7, PAYLOAD));
        int readerIndex = request.readerIndex();
        int writerIndex = request.writerIndex();
        device.write(request);
        assertEquals(readerIndex, request.readerIndex(), "write must not move the reader index");
        assertEquals(writerIndex, request.writerIndex());
        assertEquals(1, request.refCnt(), "write must not release");
      } finally {
        request.release();
      }

      byte[] reply = TestPackets.readMatching(device, p -> isEchoReply(p, 0x1234, 7), LIMIT);
      assertEquals(KERNEL, source(reply));
      assertEquals(PEER, destination(reply));
      assertEquals(0, checksum(reply, 0, headerLength(reply)), "IPv4 header checksum");
      assertEquals(0, checksum(reply, headerLength(reply), reply.length - headerLength(reply)), "ICMP checksum");
      assertArrayEquals(PAYLOAD, Arrays.copyOfRange(reply, headerLength(reply) + 8, reply.length));
    }
  }

  @Test
  void readsAUdpDatagramTheKernelRoutesThroughTheDevice() throws Exception {
    Assumptions.assumeTrue(Privileged.onPath("python3"), "python3 is not on the PATH");
    try (TestNamespace ns = TestNamespace.create(); TunDevice device = open(ns)) {
      ns.exec(LIMIT, "python3", "-c", "import socket\n"
          + "s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
          + "s.sendto(b'hello tun', ('198.18.0.2', 9999))\n").assertSuccess();

      byte[] datagram = TestPackets.readMatching(device, p -> isUdpTo(p, 9999), LIMIT);
      int udp = headerLength(datagram);
      assertEquals(TestPackets.PROTOCOL_UDP, datagram[9]);
      assertEquals(KERNEL, source(datagram));
      assertEquals(PEER, destination(datagram));
      assertEquals(9999, TestPackets.getShort(datagram, udp + 2));
      assertEquals(8 + 9, TestPackets.getShort(datagram, udp + 4), "UDP length");
      assertEquals("hello tun", new String(datagram, udp + 8, datagram.length - udp - 8, StandardCharsets.US_ASCII));
    }
  }

  @Test
  void writesFromOffsetsAndSlowPathBuffersAndReadsAtTheWriterIndex() throws Exception {
    try (TestNamespace ns = TestNamespace.create(); TunDevice device = open(ns)) {
      // Heap buffer with a nonzero reader index: the jnr ByteBuffer slow path.
      ByteBuf heap = Unpooled.buffer();
      try {
        heap.writeBytes(new byte[] {9, 9, 9}).writeBytes(icmpEchoRequest(PEER, KERNEL, 1, 1, PAYLOAD));
        heap.skipBytes(3);
        device.write(heap);
      } finally {
        heap.release();
      }
      TestPackets.readMatching(device, p -> isEchoReply(p, 1, 1), LIMIT);

      // Composite buffer of two components: copied before writing.
      byte[] request = icmpEchoRequest(PEER, KERNEL, 2, 2, PAYLOAD);
      CompositeByteBuf composite = Unpooled.compositeBuffer();
      try {
        composite.addComponent(true, Unpooled.wrappedBuffer(Arrays.copyOfRange(request, 0, 10)));
        composite.addComponent(true, Unpooled.directBuffer().writeBytes(request, 10, request.length - 10));
        device.write(composite);
      } finally {
        composite.release();
      }
      TestPackets.readMatching(device, p -> isEchoReply(p, 2, 2), LIMIT);

      // Direct buffers without a memory address (as without Unsafe), written from a nonzero
      // reader index and read at a nonzero writer index: the jnr direct ByteBuffer path.
      ByteBuf noAddressRequest = new UnpooledDirectByteBuf(UnpooledByteBufAllocator.DEFAULT, 128, 128);
      try {
        noAddressRequest.writeBytes(new byte[] {9, 9}).writeBytes(icmpEchoRequest(PEER, KERNEL, 3, 3, PAYLOAD));
        noAddressRequest.skipBytes(2);
        device.write(noAddressRequest);
      } finally {
        noAddressRequest.release();
      }
      ByteBuf noAddress = new UnpooledDirectByteBuf(UnpooledByteBufAllocator.DEFAULT, device.mtu() + 4, device.mtu() + 4);
      try {
        assertFalse(noAddress.hasMemoryAddress());
        byte[] reply = null;
        while (reply == null) {
          assertTrue(device.await(LIMIT.toNanos()), "a packet within " + LIMIT);
          noAddress.clear().writeInt(0xCAFEBABE);
          int n = device.read(noAddress);
          assertEquals(4 + n, noAddress.writerIndex(), "read advances the writer index by the length");
          byte[] packet = ByteBufUtil.getBytes(noAddress, 4, n);
          if (isEchoReply(packet, 3, 3)) {
            reply = packet;
          }
        }
        assertEquals(0xCAFEBABE, noAddress.getInt(0), "bytes before the writer index are untouched");
      } finally {
        noAddress.release();
      }
    }
  }

  @Test
  void readReturnsZeroWhenNothingIsWaiting() throws Exception {
    try (TestNamespace ns = TestNamespace.create();
        TunDevice device = TunDevice.builder().name("tcps0").netns(ns.path()).open()) { // down: silent
      ByteBuf buffer = PooledByteBufAllocator.DEFAULT.directBuffer(device.mtu());
      try {
        assertEquals(0, device.read(buffer));
        assertEquals(0, buffer.writerIndex());
        assertFalse(device.await(0));
      } finally {
        buffer.release();
      }
    }
  }

  @Test
  void readRejectsHeapBuffersAndBuffersSmallerThanTheMtu() throws Exception {
    try (TestNamespace ns = TestNamespace.create(); TunDevice device = open(ns)) {
      ByteBuf heap = Unpooled.buffer(device.mtu());
      ByteBuf small = PooledByteBufAllocator.DEFAULT.directBuffer(device.mtu() - 1, device.mtu() - 1);
      try {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> device.read(heap));
        assertTrue(e.getMessage().contains("direct"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> device.read(small));
        assertTrue(e.getMessage().contains("mtu() = " + device.mtu()), e.getMessage());
      } finally {
        heap.release();
        small.release();
      }
    }
  }

  @Test
  void kernelRejectsAWriteThatIsNotAnIpPacket() throws Exception {
    try (TestNamespace ns = TestNamespace.create(); TunDevice device = open(ns)) {
      ByteBuf junk = PooledByteBufAllocator.DEFAULT.directBuffer().writeZero(40);
      try {
        TunException e = assertThrows(TunException.class, () -> device.write(junk));
        assertEquals(TunException.Reason.OTHER, e.reason());
        assertEquals(Errno.EINVAL, e.errno());
        assertTrue(e.getMessage().contains("IPv4 or IPv6"), e.getMessage());
      } finally {
        junk.release();
      }
    }
  }

  @Test
  void afterCloseReadReturnsMinusOneAwaitFalseAndWriteThrowsClosed() throws Exception {
    try (TestNamespace ns = TestNamespace.create()) {
      TunDevice device = open(ns);
      device.close();
      device.close(); // idempotent
      ByteBuf buffer = PooledByteBufAllocator.DEFAULT.directBuffer(device.mtu());
      try {
        assertEquals(-1, device.read(buffer));
        assertFalse(device.await(Long.MAX_VALUE));
        device.wakeup(); // harmless
        buffer.writeBytes(icmpEchoRequest(PEER, KERNEL, 1, 1, PAYLOAD));
        TunException e = assertThrows(TunException.class, () -> device.write(buffer));
        assertEquals(TunException.Reason.CLOSED, e.reason());
        assertTrue(e.getMessage().contains("closed"), e.getMessage());
      } finally {
        buffer.release();
      }
    }
  }

  @Test
  void deviceDeletedWhileOpenIsReportedAsDetached() throws Exception {
    try (TestNamespace ns = TestNamespace.create(); TunDevice device = open(ns)) {
      ns.ip("link", "del", "dev", device.name()).assertSuccess();
      TunException awaited = assertThrows(TunException.class, () -> device.await(Long.MAX_VALUE));
      assertEquals(TunException.Reason.DETACHED, awaited.reason());
      ByteBuf buffer = PooledByteBufAllocator.DEFAULT.directBuffer(device.mtu());
      try {
        assertEquals(TunException.Reason.DETACHED, assertThrows(TunException.class, () -> device.read(buffer)).reason());
        buffer.writeBytes(icmpEchoRequest(PEER, KERNEL, 1, 1, PAYLOAD));
        assertEquals(TunException.Reason.DETACHED, assertThrows(TunException.class, () -> device.write(buffer)).reason());
      } finally {
        buffer.release();
      }
    }
  }

  private static TunDevice open(TestNamespace ns) throws TunException {
    return TunDevice.builder().name("tcps0").netns(ns.path()).hostAddress(KERNEL, 24).open();
  }
}
