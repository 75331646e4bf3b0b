package io.tcpstack.tun;

import static io.tcpstack.tun.TestPackets.checksum;
import static io.tcpstack.tun.TestPackets.getShort;
import static io.tcpstack.tun.TestPackets.headerLength;
import static io.tcpstack.tun.TestPackets.icmpEchoRequest;
import static io.tcpstack.tun.TestPackets.ipv4;
import static io.tcpstack.tun.TestPackets.isEchoReply;
import static io.tcpstack.tun.TestPackets.isIpv4;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.tcpstack.testing.Privileged;
import io.tcpstack.testing.RequiresTun;
import io.tcpstack.testing.TestNamespace;
import java.net.Inet4Address;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/** The virtio-net header through a real device: what the kernel puts in it, and what it takes. */
@RequiresTun
class TunDeviceVnetHeaderTest {

  private static final Inet4Address KERNEL = ipv4("198.18.0.1");
  private static final Inet4Address PEER = ipv4("198.18.0.2");
  private static final Duration LIMIT = Duration.ofSeconds(20); // against hangs only
  private static final int PROTOCOL_TCP = 6;

  @Test
  void pingFromTheKernelArrivesBehindAHeaderAndAReplyBehindAZeroedHeaderIsAnswered() throws Exception {
    Assumptions.assumeTrue(Privileged.onPath("ping"), "ping is not on the PATH");
    try (TestNamespace ns = TestNamespace.create();
        TunDevice device = open(ns, TunDevice.builder().vnetHeader(true))) {
      assertEquals(VirtioNetHeader.LENGTH, device.vnetHeaderSize());
      assertEquals(0, device.offloads());
      assertEquals(device.mtu() + 10, device.maxPacketSize());

      Process ping = ns.start("ping", "-c", "1", "-W", "10", PEER.getHostAddress());
      byte[] framed = readMatching(device, p -> isIpv4(p, TestPackets.PROTOCOL_ICMP)
          && p[headerLength(p)] == TestPackets.ICMP_ECHO_REQUEST);
      ByteBuf in = Unpooled.wrappedBuffer(framed);
      VirtioNetHeader header = new VirtioNetHeader().wrap(in, 0);
      assertEquals(VirtioNetHeader.GSO_NONE, header.gsoType(), header.toString());
      assertEquals(0, header.gsoSize(), header.toString());
      assertEquals(0, header.flags() & VirtioNetHeader.F_NEEDS_CSUM, "no offloads: a finished packet; " + header);
      byte[] request = ByteBufUtil.getBytes(in, VirtioNetHeader.LENGTH, framed.length - VirtioNetHeader.LENGTH);
      assertEquals(KERNEL, TestPackets.source(request));
      assertEquals(PEER, TestPackets.destination(request));
      assertEquals(0, checksum(request, headerLength(request), request.length - headerLength(request)), "ICMP checksum");

      byte[] reply = echoReplyTo(request);
      ByteBuf out = PooledByteBufAllocator.DEFAULT.directBuffer();
      try {
        out.writeZero(VirtioNetHeader.LENGTH).writeBytes(reply);
        new VirtioNetHeader().wrap(out, 0).clear();
        device.write(out);
      } finally {
        out.release();
      }
      assertTrue(ping.waitFor(LIMIT.toSeconds(), TimeUnit.SECONDS), "ping did not end");
      String output = new String(ping.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertEquals(0, ping.exitValue(), "ping got no answer: " + output);
      assertTrue(output.contains("1 received"), output);
    }
  }

  @Test
  void kernelSynCarriesAPartialChecksumWithOffloads() throws Exception {
    Assumptions.assumeTrue(Privileged.onPath("python3"), "python3 is not on the PATH");
    int offloads = TunDevice.TUN_F_CSUM | TunDevice.TUN_F_TSO4;
    try (TestNamespace ns = TestNamespace.create();
        TunDevice device = open(ns, TunDevice.builder().vnetHeader(true).offloads(offloads))) {
      assertEquals(VirtioNetHeader.LENGTH, device.vnetHeaderSize());
      assertEquals(offloads, device.offloads());
      assertEquals(10 + TunDevice.MAX_GSO_PACKET, device.maxPacketSize());

      ns.start("python3", "-c", "import socket\n"
          + "s = socket.socket()\n"
          + "s.settimeout(15)\n"
          + "try:\n"
          + "    s.connect(('198.18.0.2', 7777))\n"
          + "except OSError:\n"
          + "    pass\n");
      byte[] framed = readMatching(device, p -> isIpv4(p, PROTOCOL_TCP)
          && getShort(p, headerLength(p) + 2) == 7777 && (p[headerLength(p) + 13] & 0x02) != 0);
      VirtioNetHeader header = new VirtioNetHeader().wrap(Unpooled.wrappedBuffer(framed), 0);
      System.out.println("virtio-net header before the kernel's SYN: "
          + HexFormat.of().formatHex(framed, 0, VirtioNetHeader.LENGTH) + " " + header);
      byte[] syn = new byte[framed.length - VirtioNetHeader.LENGTH];
      System.arraycopy(framed, VirtioNetHeader.LENGTH, syn, 0, syn.length);
      int tcp = headerLength(syn);

      // What Linux 6.18 does (virtio_net_hdr_from_skb): a CHECKSUM_PARTIAL skb, not segmented.
      assertEquals(VirtioNetHeader.F_NEEDS_CSUM, header.flags(), header.toString());
      assertEquals(VirtioNetHeader.GSO_NONE, header.gsoType(), header.toString());
      assertEquals(0, header.gsoSize(), header.toString());
      assertEquals(tcp, header.checksumStart(), "checksum starts at the TCP header");
      assertEquals(16, header.checksumOffset(), "the TCP checksum field");

      // The partial checksum: the field holds the pseudo-header sum, so the segment does not check
      // yet; finishing it as the header says (sum from csum_start, store at csum_start +
      // csum_offset) makes it check with the pseudo-header.
      assertNotEquals(0, tcpChecksumWithPseudoHeader(syn, tcp), "the kernel left the checksum partial");
      int at = header.checksumStart() + header.checksumOffset();
      int folded = checksum(syn, header.checksumStart(), syn.length - header.checksumStart());
      syn[at] = (byte) (folded >>> 8);
      syn[at + 1] = (byte) folded;
      assertEquals(0, tcpChecksumWithPseudoHeader(syn, tcp), "finished as the header says, it checks");
    }
  }

  @Test
  void refusedOffloadsFallBackToPlainPackets() throws Exception {
    // set_offload() in drivers/net/tun.c refuses TSO without TUN_F_CSUM with EINVAL.
    try (TestNamespace ns = TestNamespace.create();
        TunDevice device = open(ns, TunDevice.builder().vnetHeader(true).offloads(TunDevice.TUN_F_TSO4))) {
      assertEquals(0, device.vnetHeaderSize());
      assertEquals(0, device.offloads());
      assertEquals(device.mtu(), device.maxPacketSize());
      assertPlainEcho(device);
    }
  }

  @Test
  void unknownOffloadFlagsFallBackToPlainPackets() throws Exception {
    // The kernel's way to probe for newer features: a flag it does not know is EINVAL.
    try (TestNamespace ns = TestNamespace.create();
        TunDevice device = open(ns, TunDevice.builder().vnetHeader(true).offloads(TunDevice.TUN_F_CSUM | 1 << 30))) {
      assertEquals(0, device.vnetHeaderSize());
      assertEquals(0, device.offloads());
      assertPlainEcho(device);
    }
  }

  @Test
  void attachingToAPersistentDeviceMadeWithoutVnetHdrStillGetsTheHeader() throws Exception {
    // IFF_VNET_HDR is a per-attachment feature (tun_set_iff() copies TUN_FEATURES on every attach),
    // so a device made by `ip tuntap add` without vnet_hdr does not refuse it.
    try (TestNamespace ns = TestNamespace.create()) {
      ns.ip("tuntap", "add", "dev", "tcpsp", "mode", "tun").assertSuccess();
      try (TunDevice device = TunDevice.builder().name("tcpsp").netns(ns.path()).hostAddress(KERNEL, 24)
          .vnetHeader(true).offloads(TunDevice.TUN_F_CSUM).open()) {
        assertEquals(VirtioNetHeader.LENGTH, device.vnetHeaderSize());
        assertEquals(TunDevice.TUN_F_CSUM, device.offloads());
      }
      // A later plain attachment is plain again.
      try (TunDevice device = TunDevice.builder().name("tcpsp").netns(ns.path()).hostAddress(KERNEL, 24).open()) {
        assertEquals(0, device.vnetHeaderSize());
        assertPlainEcho(device);
      }
    }
  }

  @Test
  void defaultIsPlain() throws Exception {
    try (TestNamespace ns = TestNamespace.create(); TunDevice device = open(ns, TunDevice.builder())) {
      assertEquals(0, device.vnetHeaderSize());
      assertEquals(0, device.offloads());
      assertEquals(device.mtu(), device.maxPacketSize());
      assertPlainEcho(device);
    }
  }

  private static void assertPlainEcho(TunDevice device) throws TunException {
    ByteBuf request = PooledByteBufAllocator.DEFAULT.directBuffer();
    try {
      request.writeBytes(icmpEchoRequest(PEER, KERNEL, 0x4242, 1, new byte[] {1, 2, 3, 4}));
      device.write(request);
    } finally {
      request.release();
    }
    TestPackets.readMatching(device, p -> isEchoReply(p, 0x4242, 1), LIMIT);
  }

  /** Reads framed packets (header + IP) until the IP packet after the header matches. */
  private static byte[] readMatching(TunDevice device, Predicate<byte[]> match) throws TunException {
    ByteBuf buffer = PooledByteBufAllocator.DEFAULT.directBuffer(device.maxPacketSize());
    List<String> skipped = new ArrayList<>();
    try {
      long deadlineNs = System.nanoTime() + LIMIT.toNanos();
      while (true) {
        long leftNs = deadlineNs - System.nanoTime();
        if (leftNs <= 0) {
          fail("no matching packet from " + device + " within " + LIMIT + "; skipped: " + skipped);
        }
        if (!device.await(leftNs)) {
          continue;
        }
        buffer.clear();
        int n = device.read(buffer);
        if (n <= VirtioNetHeader.LENGTH) {
          continue;
        }
        byte[] framed = ByteBufUtil.getBytes(buffer);
        byte[] packet = ByteBufUtil.getBytes(buffer, VirtioNetHeader.LENGTH, n - VirtioNetHeader.LENGTH);
        if (match.test(packet)) {
          return framed;
        }
        skipped.add(HexFormat.of().formatHex(framed, 0, Math.min(framed.length, 50)));
      }
    } finally {
      buffer.release();
    }
  }

  private static byte[] echoReplyTo(byte[] request) {
    byte[] reply = request.clone();
    System.arraycopy(request, 16, reply, 12, 4);
    System.arraycopy(request, 12, reply, 16, 4);
    reply[10] = 0;
    reply[11] = 0;
    int ipChecksum = checksum(reply, 0, headerLength(reply));
    reply[10] = (byte) (ipChecksum >>> 8);
    reply[11] = (byte) ipChecksum;
    int icmp = headerLength(reply);
    reply[icmp] = TestPackets.ICMP_ECHO_REPLY;
    reply[icmp + 2] = 0;
    reply[icmp + 3] = 0;
    int icmpChecksum = checksum(reply, icmp, reply.length - icmp);
    reply[icmp + 2] = (byte) (icmpChecksum >>> 8);
    reply[icmp + 3] = (byte) icmpChecksum;
    return reply;
  }

  /** The RFC 1071 checksum over the IPv4 pseudo-header and the TCP segment at {@code tcp}. */
  private static int tcpChecksumWithPseudoHeader(byte[] packet, int tcp) {
    int length = packet.length - tcp;
    byte[] pseudo = new byte[12 + length];
    System.arraycopy(packet, 12, pseudo, 0, 8);
    pseudo[9] = PROTOCOL_TCP;
    pseudo[10] = (byte) (length >>> 8);
    pseudo[11] = (byte) length;
    System.arraycopy(packet, tcp, pseudo, 12, length);
    return checksum(pseudo, 0, pseudo.length);
  }

  private static TunDevice open(TestNamespace ns, TunDevice.Builder builder) throws TunException {
    return builder.name("tcps0").netns(ns.path()).hostAddress(KERNEL, 24).open();
  }
}
