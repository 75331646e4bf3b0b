package io.tcpstack.ip;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.netty.buffer.ByteBuf;
import io.tcpstack.StackConfig;
import io.tcpstack.stats.CounterSet;
import io.tcpstack.stats.StackCounter;
import io.tcpstack.testing.CapturingSink;
import io.tcpstack.testing.Fuzzing;
import io.tcpstack.testing.Packets;
import io.tcpstack.testing.TrackingAllocator;
import io.tcpstack.wire.Icmpv4Header;
import io.tcpstack.wire.IpProtocol;
import io.tcpstack.wire.Ipv4Header;
import io.tcpstack.wire.WireCheck;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Coverage-guided fuzzing (Jazzer, docs/fuzzing.md) of IPv4 reassembly through {@link Ipv4Layer}:
 * arbitrary sequences of fragments of up to 16 datagrams (any offset, length, MF, header options,
 * overlaps, duplicates, conflicting bytes, datagrams beyond 65535 bytes) and clock advances, under
 * limits the input chooses.
 *
 * <p>Invariants after every step: nothing throws; no more datagrams under reassembly than the
 * limit; the buffers the reassembler holds (every buffer allocated after the layer's own two) stay
 * within its byte limit; every datagram delivered is what its fragments said — header from the
 * fragment at offset 0, length from the last fragment, every byte from a fragment that carried it
 * at that offset — with MF and offset clear and a valid checksum; every packet sent is an ICMP Time
 * Exceeded about a datagram whose first fragment arrived. At the end, after {@link
 * Ipv4Layer#close()}, every buffer is released.
 *
 * <p>Input layout: 3 bytes of limits (datagrams, bytes, timeout), then operations: a fragment
 * (key, flags, offset, length: 6 bytes), a clock advance (2 bytes), or a repeat of the last fragment.
 */
class ReassemblyFuzzTest {

  private static final int SOURCE_A = Packets.HOST;
  private static final int SOURCE_B = Packets.address(198, 18, 0, 77);
  private static final long MS = 1_000_000L;

  /** The content of every fragment: byte {@code position} of datagram {@code key}. */
  static byte content(int key, int position) {
    return (byte) ((position * 131 + key * 17 + (position >>> 8) * 7) ^ 0x5A);
  }

  private static final class Sent {
    final int key;
    final int offset;
    final byte[] payload;
    final byte[] header;
    final boolean last;

    Sent(int key, int offset, byte[] payload, byte[] header, boolean last) {
      this.key = key;
      this.offset = offset;
      this.payload = payload;
      this.header = header;
      this.last = last;
    }
  }

  @FuzzTest(maxDuration = "10m")
  void fragments(byte[] input) {
    if (input.length < 3) {
      return;
    }
    int maxDatagrams = input[0] & 7;
    int maxBytes = (input[1] & 0xFF) * 1024;
    long timeoutNs = (1 + (input[2] & 0x3F)) * 1000 * MS;
    TrackingAllocator alloc = Fuzzing.allocator();
    StackConfig config =
        StackConfig.builder()
            .address(Packets.STACK, 24)
            .mtu(1500)
            .reassemblyLimits(maxDatagrams, maxBytes)
            .reassemblyTimeout(Duration.ofNanos(timeoutNs))
            .allocator(alloc)
            .isnKey(new byte[16])
            .build();
    CapturingSink sink = new CapturingSink();
    List<Sent> sent = new ArrayList<>();
    boolean[] conflicted = new boolean[16];
    CounterSet<StackCounter> counters = new CounterSet<>(StackCounter.class);
    Ipv4Layer layer = new Ipv4Layer(config, counters, sink);
    int own = alloc.allocations(); // the layer's scratch buffers
    long[] now = {0};
    ProtocolHandler check =
        (ip, buf, payloadIndex, payloadLength, offload, nowNs) ->
            checkDelivered(ip, buf, payloadIndex, payloadLength, sent, conflicted);
    layer.register(IpProtocol.TCP, check);
    layer.register(IpProtocol.UDP, check);
    try {
      int i = 3;
      byte[] lastPacket = null;
      while (i < input.length) {
        int op = input[i++] & 0xFF;
        if (op < 0xC0) {
          if (i + 6 > input.length) {
            break;
          }
          lastPacket = fragment(input, i, op, sent, conflicted);
          i += 6;
          receive(layer, lastPacket, now[0]);
        } else if (op < 0xF0) {
          if (i + 2 > input.length) {
            break;
          }
          int amount = ((input[i] & 0xFF) << 8) | (input[i + 1] & 0xFF);
          i += 2;
          now[0] += (long) amount << (op & 0x0F) << 10; // from 1 µs to hours
          long due = layer.pollAt();
          layer.poll(now[0]);
          if (due == Long.MAX_VALUE || due - now[0] > 0) {
            assertEquals(0, sink.take().size(), "nothing due before pollAt()");
          }
          assertTrue(layer.pollAt() == Long.MAX_VALUE || layer.pollAt() - now[0] > 0, "expired all that was due");
        } else if (lastPacket != null) {
          receive(layer, lastPacket, now[0]);
        }
        assertTrue(layer.reassembliesInProgress() <= maxDatagrams, "datagram limit");
        long held = alloc.liveCapacity(own);
        assertTrue(held <= maxBytes, "reassembly holds " + held + " bytes, limit " + maxBytes);
        for (byte[] out : sink.take()) {
          checkTimeExceeded(out, sent);
        }
      }
    } finally {
      layer.close();
    }
    alloc.assertAllReleased();
  }

  private static void receive(Ipv4Layer layer, byte[] packet, long nowNs) {
    ByteBuf b = io.netty.buffer.Unpooled.wrappedBuffer(packet);
    try {
      layer.receive(b, nowNs);
    } finally {
      b.release();
    }
  }

  /** A fragment from 6 bytes at {@code i}: key, flags, offset (2), length (2). */
  private static byte[] fragment(byte[] in, int i, int op, List<Sent> sent, boolean[] conflicted) {
    int key = op & 0x0F;
    int flags = in[i] & 0xFF;
    int id = 0x4000 | (key & 3);
    int source = (key & 4) != 0 ? SOURCE_B : SOURCE_A;
    int protocol = (key & 8) != 0 ? IpProtocol.UDP : IpProtocol.TCP;
    boolean more = (flags & 1) != 0;
    boolean df = (flags & 2) != 0;
    int headerLength = Ipv4Header.MIN_LENGTH + 4 * ((flags >>> 2) & 7);
    boolean conflict = (flags & 0x20) != 0;
    int rawOffset = ((in[i + 1] & 0xFF) << 8) | (in[i + 2] & 0xFF);
    int offset = ((flags & 0x40) != 0 ? rawOffset & 0x1FFF : rawOffset & 0x3F) * 8;
    int rawLength = ((in[i + 3] & 0xFF) << 8) | (in[i + 4] & 0xFF);
    int length = (flags & 0x80) != 0 ? Math.min(rawLength, 0xFFFF - headerLength) : rawLength % 1481;
    int extra = in[i + 5] & 0xFF; // varies the option bytes
    if (!more && offset == 0) {
      more = true; // a whole datagram is not what this target is about
    }
    byte[] p = new byte[headerLength + length];
    Ipv4Header h = new Ipv4Header();
    ByteBuf b = io.netty.buffer.Unpooled.wrappedBuffer(p);
    try {
      h.wrap(b, 0)
          .setVersionAndHeaderLength(headerLength)
          .setTotalLength(headerLength + length)
          .setIdentification(id)
          .setFlagsAndFragmentOffset(df, more, offset)
          .setTtl(64)
          .setProtocol(protocol)
          .setSource(source)
          .setDestination(Packets.STACK);
      for (int k = Ipv4Header.MIN_LENGTH; k < headerLength; k++) {
        p[k] = (byte) (k == Ipv4Header.MIN_LENGTH ? 1 : extra + k); // a NOP, then anything
      }
      for (int k = 0; k < length; k++) {
        p[headerLength + k] = (byte) (content(key, offset + k) ^ (conflict ? 0xFF : 0));
      }
      h.fillChecksum();
    } finally {
      b.release();
    }
    conflicted[key] |= conflict;
    byte[] header = new byte[headerLength];
    System.arraycopy(p, 0, header, 0, headerLength);
    byte[] payload = new byte[length];
    System.arraycopy(p, headerLength, payload, 0, length);
    sent.add(new Sent(key, offset, payload, header, !more));
    return p;
  }

  private static int keyOf(Ipv4Header ip) {
    return (ip.identification() & 3)
        | (ip.source() == SOURCE_B ? 4 : 0)
        | (ip.protocol() == IpProtocol.UDP ? 8 : 0);
  }

  /** A delivered datagram must be what its fragments said. */
  private static void checkDelivered(
      Ipv4Header ip, ByteBuf buf, int payloadIndex, int payloadLength, List<Sent> sent, boolean[] conflicted) {
    Ipv4Header whole = new Ipv4Header();
    int start = ip.offset();
    assertEquals(WireCheck.OK, whole.wrapChecked(buf, start, buf.writerIndex() - start), "delivered header");
    assertTrue(whole.isChecksumValid(), "delivered header checksum");
    assertTrue(!whole.moreFragments() && whole.fragmentOffset() == 0, "MF and offset cleared");
    assertEquals(whole.payloadIndex(), payloadIndex);
    assertEquals(whole.payloadLength(), payloadLength);
    int key = keyOf(whole);
    boolean endSeen = false;
    boolean headerSeen = false;
    byte[] header = new byte[whole.headerLength()];
    buf.getBytes(start, header);
    for (Sent s : sent) {
      if (s.key != key) {
        continue;
      }
      endSeen |= s.last && s.offset + s.payload.length == payloadLength;
      if (s.offset == 0 && s.header.length == header.length) {
        // The fragment's header, but for total length, flags/offset and checksum.
        boolean same = true;
        for (int k = 0; k < header.length; k++) {
          boolean variable = (k >= 2 && k < 4) || (k >= 6 && k < 8) || (k >= 10 && k < 12);
          same &= variable || header[k] == s.header[k];
        }
        headerSeen |= same;
      }
    }
    assertTrue(endSeen, "the datagram ends where a last fragment said");
    assertTrue(headerSeen, "the header is the first fragment's");
    for (int p = 0; p < payloadLength; p++) {
      byte got = buf.getByte(payloadIndex + p);
      if (!conflicted[key]) {
        if (got != content(key, p)) {
          fail("byte " + p + " of datagram " + key + " is " + got + ", its fragments said " + content(key, p));
        }
        continue;
      }
      boolean found = false;
      for (Sent s : sent) {
        if (s.key == key && s.offset <= p && p < s.offset + s.payload.length && s.payload[p - s.offset] == got) {
          found = true;
          break;
        }
      }
      if (!found) {
        fail("byte " + p + " of datagram " + key + " came from no fragment");
      }
    }
  }

  /** RFC 1122 §3.3.2: ICMP Time Exceeded, code 1, about a datagram whose first fragment arrived. */
  private static void checkTimeExceeded(byte[] out, List<Sent> sent) {
    ByteBuf b = io.netty.buffer.Unpooled.wrappedBuffer(out);
    try {
      Ipv4Header ip = new Ipv4Header();
      assertEquals(WireCheck.OK, ip.wrapChecked(b, 0, out.length));
      assertTrue(ip.isChecksumValid());
      assertEquals(IpProtocol.ICMP, ip.protocol());
      Icmpv4Header icmp = new Icmpv4Header();
      assertEquals(WireCheck.OK, icmp.wrapChecked(b, ip.payloadIndex(), ip.payloadLength()));
      assertTrue(icmp.isChecksumValid());
      assertEquals(Icmpv4Header.TYPE_TIME_EXCEEDED, icmp.type());
      assertEquals(Icmpv4Header.CODE_FRAGMENT_REASSEMBLY_TIME_EXCEEDED, icmp.code());
      Ipv4Header quoted = new Ipv4Header();
      quoted.wrap(b, icmp.dataIndex());
      assertEquals(ip.destination(), quoted.source(), "sent to the datagram's source");
      int key = keyOf(quoted);
      assertTrue(icmp.dataLength() >= quoted.headerLength() + 8, "header and 64 bits of data quoted");
      boolean firstSeen = false;
      for (Sent s : sent) {
        firstSeen |= s.key == key && s.offset == 0 && s.payload.length >= 8;
      }
      assertTrue(firstSeen, "Time Exceeded only if fragment zero arrived");
    } finally {
      b.release();
    }
  }
}
