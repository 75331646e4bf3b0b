package io.tcpstack.wire;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.UnpooledByteBufAllocator;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.function.Consumer;
import java.util.function.ObjIntConsumer;
import java.util.function.ToIntFunction;

/** Captured vectors, hex, and buffers of every kind the views must work on. */
final class WireTestSupport {

  /** Direct buffers from here are leak-tracked: at paranoid level, every access is recorded. */
  static final UnpooledByteBufAllocator ALLOC = UnpooledByteBufAllocator.DEFAULT;

  /**
   * Not leak-tracked, for the tests that make millions of accesses, which tracking at paranoid
   * level slows down a hundredfold. The release discipline is the same; the tracked tests check it.
   */
  static final UnpooledByteBufAllocator UNTRACKED = new UnpooledByteBufAllocator(true, true);

  /** Every capture.py vector Linux sent (not the two crafted ones), for the generic tests. */
  static final String[] LINUX_VECTORS = {
    "icmp-echo-request",
    "tcp-syn",
    "udp-odd-payload",
    "udp-fragment-1",
    "udp-fragment-2",
    "udp-fragment-3",
    "icmp-port-unreachable",
    "tcp-rst-ack",
  };

  /** The vectors capture.py crafted and wrote into the device. */
  static final String[] CRAFTED_VECTORS = {"udp-to-closed-port", "tcp-syn-to-closed-port"};

  private WireTestSupport() {}

  /** The bytes of {@code src/test/resources/wire/<name>.hex}, or null if there is no such file. */
  static byte[] capturedOrNull(String name) {
    try (InputStream in = WireTestSupport.class.getResourceAsStream("/wire/" + name + ".hex")) {
      if (in == null) {
        return null;
      }
      StringBuilder hex = new StringBuilder();
      for (String line : new String(in.readAllBytes(), StandardCharsets.US_ASCII).split("\n")) {
        if (!line.startsWith("#")) {
          hex.append(line);
        }
      }
      return hex(hex.toString());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The bytes of {@code src/test/resources/wire/<name>.hex}. */
  static byte[] captured(String name) {
    byte[] bytes = capturedOrNull(name);
    if (bytes == null) {
      throw new AssertionError("missing test vector wire/" + name + ".hex: run capture.py");
    }
    return bytes;
  }

  /** Bytes from hex digits; whitespace is ignored. */
  static byte[] hex(String digits) {
    return ByteBufUtil.decodeHexDump(digits.replaceAll("\\s+", ""));
  }

  /** Bytes of a buffer range, to compare with {@code assertArrayEquals}. */
  static byte[] bytes(ByteBuf buf, int index, int length) {
    byte[] b = new byte[length];
    buf.getBytes(index, b);
    return b;
  }

  /** Runs {@code body} on {@code buf}, then releases it, whatever happens. */
  static void using(ByteBuf buf, Consumer<ByteBuf> body) {
    try {
      body.accept(buf);
    } finally {
      buf.release();
    }
  }

  /**
   * A direct buffer whose capacity is exactly {@code length}, holding the first {@code length}
   * bytes of {@code bytes}: any read past them throws, so tests catch out-of-bounds accessors.
   */
  static ByteBuf exact(byte[] bytes, int length) {
    return exact(ALLOC, bytes, length);
  }

  /** {@link #exact(byte[], int)} from {@code alloc}. */
  static ByteBuf exact(ByteBufAllocator alloc, byte[] bytes, int length) {
    ByteBuf buf = alloc.directBuffer(length, length);
    buf.writeBytes(bytes, 0, length);
    return buf;
  }

  /**
   * Where a packet sits in memory. The views take absolute indexes, so each kind puts the packet at
   * {@link ByteBuf#readerIndex()}, its length in {@link ByteBuf#readableBytes()}.
   */
  enum Placement {
    HEAP_AT_ZERO {
      @Override
      ByteBuf place(byte[] packet, ByteBufAllocator alloc) {
        return alloc.heapBuffer(packet.length).writeBytes(packet);
      }
    },
    DIRECT_AT_ZERO {
      @Override
      ByteBuf place(byte[] packet, ByteBufAllocator alloc) {
        return alloc.directBuffer(packet.length).writeBytes(packet);
      }
    },
    /** After 3 bytes of junk: unaligned, and a wrong offset would read the junk. */
    DIRECT_AT_ODD_INDEX {
      @Override
      ByteBuf place(byte[] packet, ByteBufAllocator alloc) {
        ByteBuf buf = alloc.directBuffer(packet.length + 8);
        buf.writeBytes(new byte[] {(byte) 0xA5, (byte) 0x5A, (byte) 0xFF});
        buf.writeBytes(packet).writeBytes(new byte[] {(byte) 0xEE, (byte) 0xEE});
        buf.readerIndex(3);
        buf.writerIndex(3 + packet.length);
        return buf;
      }
    },
    /**
     * A slice of a heap buffer, at an odd index of the slice: its bytes start at a non-zero array
     * offset. Releasing the slice releases the buffer it shares.
     */
    HEAP_SLICE_AT_ODD_INDEX {
      @Override
      ByteBuf place(byte[] packet, ByteBufAllocator alloc) {
        ByteBuf whole = alloc.heapBuffer(packet.length + 9);
        whole
            .writeBytes(new byte[] {1, 2, 3, 4, 5})
            .writeBytes(packet)
            .writeBytes(new byte[] {6, 7, 8, 9});
        ByteBuf slice = whole.slice(3, packet.length + 6);
        slice.readerIndex(2);
        slice.writerIndex(2 + packet.length);
        return slice;
      }
    },
    /** Split over three components at odd boundaries, so multi-byte reads straddle them. */
    COMPOSITE_AT_ODD_INDEX {
      @Override
      ByteBuf place(byte[] packet, ByteBufAllocator alloc) {
        // The allocator's compositeDirectBuffer() is always leak-tracked; this one is not wrapped.
        CompositeByteBuf buf =
            alloc == ALLOC ? alloc.compositeDirectBuffer() : new CompositeByteBuf(alloc, true, 16);
        int first = Math.min(7, packet.length);
        int second = Math.min(first + 13, packet.length);
        ByteBuf a = alloc.directBuffer(1 + first).writeByte(0x77).writeBytes(packet, 0, first);
        ByteBuf b = alloc.heapBuffer(second - first).writeBytes(packet, first, second - first);
        ByteBuf c =
            alloc
                .directBuffer(packet.length - second)
                .writeBytes(packet, second, packet.length - second);
        buf.addComponents(true, a, b, c);
        buf.readerIndex(1);
        return buf;
      }
    };

    /** A leak-tracked buffer holding {@code packet}. */
    ByteBuf place(byte[] packet) {
      return place(packet, ALLOC);
    }

    abstract ByteBuf place(byte[] packet, ByteBufAllocator alloc);
  }

  /**
   * Asserts that {@code buf} holds exactly {@code expected} at {@code index}; on failure, names the
   * first differing byte and shows the 16 bytes from the row it is in, as hex.
   */
  static void assertBytes(byte[] expected, ByteBuf buf, int index) {
    byte[] actual = bytes(buf, index, expected.length);
    for (int i = 0; i < expected.length; i++) {
      if (expected[i] != actual[i]) {
        int row = i & ~15;
        int n = Math.min(16, expected.length - row);
        assertEquals(
            ByteBufUtil.hexDump(expected, row, n),
            ByteBufUtil.hexDump(actual, row, n),
            "first difference at byte "
                + i
                + " of "
                + expected.length
                + "; bytes "
                + row
                + " to "
                + (row + n - 1));
      }
    }
  }

  /** 8-bit values worth trying in every 8-bit field. */
  static final int[] U8 = {0, 1, 0x7F, 0x80, 0xFE, 0xFF};

  /** 16-bit values worth trying in every 16-bit field. */
  static final int[] U16 = {0, 1, 0xFF, 0x100, 0x7FFF, 0x8000, 0xFFFE, 0xFFFF};

  /** 32-bit values worth trying in every 32-bit field: the sign bit is just bit 31. */
  static final int[] I32 = {
    0, 1, -1, Integer.MIN_VALUE, Integer.MAX_VALUE, 0xC612_0001, 0x0102_0304
  };

  /** Binds a view to a buffer, like every view's {@code wrap(buf, offset)}. */
  interface Wrapper<V> {
    V wrap(ByteBuf buf, int offset);
  }

  /**
   * One field of a header view: where it lies, how to write it and how to read it back. The header
   * is wrapped at an odd index of a buffer full of junk, 60 bytes of it.
   */
  record Field<V>(
      Wrapper<V> wrapper,
      int offset,
      int length,
      ObjIntConsumer<V> setter,
      ToIntFunction<V> getter) {

    private static final int AT = 3;
    private static final int SIZE = AT + 60 + 3;

    /**
     * Asserts that each value reads back as written, touching nothing else: see {@link
     * #assertWrites}.
     */
    void assertRoundTrips(int... values) {
      for (int value : values) {
        assertWrites(value, value);
      }
    }

    /**
     * Writes {@code value} with the setter and asserts that the getter reads {@code expected}, that
     * no byte outside the field changed and that the buffer's indexes did not move.
     */
    void assertWrites(int value, int expected) {
      ByteBuf buf = ALLOC.directBuffer(SIZE, SIZE);
      try {
        for (int i = 0; i < SIZE; i++) {
          buf.writeByte(i * 37 + 11);
        }
        buf.readerIndex(1);
        byte[] before = bytes(buf, 0, SIZE);
        V view = wrapper.wrap(buf, AT);
        setter.accept(view, value);
        String what = "field at " + offset + ", value 0x" + Integer.toHexString(value);
        assertEquals(expected, getter.applyAsInt(view), what);
        byte[] after = bytes(buf, 0, SIZE);
        for (int i = 0; i < SIZE; i++) {
          boolean inField = i >= AT + offset && i < AT + offset + length;
          if (!inField) {
            assertEquals(
                before[i], after[i], what + ": byte " + (i - AT) + " of the header changed");
          }
        }
        assertEquals(1, buf.readerIndex(), "reader index");
        assertEquals(SIZE, buf.writerIndex(), "writer index");
      } finally {
        buf.release();
      }
    }

    /** The same field read back with another getter, such as DSCP after writing the whole byte. */
    Field<V> readBy(ToIntFunction<V> otherGetter) {
      return new Field<>(wrapper, offset, length, setter, otherGetter);
    }
  }
}
