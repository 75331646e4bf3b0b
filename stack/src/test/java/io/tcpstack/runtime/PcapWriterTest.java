package io.tcpstack.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.tcpstack.testing.VirtualClock;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The bytes {@link PcapWriter} writes, its rotation at the size limit, many writers, and I/O errors. */
class PcapWriterTest {

  /** 2026-12-02 07:00:00 UTC in ns since the epoch, the virtual clock's zero. */
  private static final long EPOCH_NS = 1_796_194_800_000_000_000L;
  private static final long LIMIT = 1L << 20;

  @TempDir
  Path dir;

  private final VirtualClock clock = new VirtualClock(0);

  private PcapWriter writer(Path file, long limit, int files) throws IOException {
    return new PcapWriter(file, limit, files, clock, EPOCH_NS);
  }

  private static ByteBuf packet(int length, int fill) {
    ByteBuf b = Unpooled.buffer(length + 8);
    b.writeBytes(new byte[] {9, 9, 9}).readerIndex(3); // bytes before the reader index are not the packet
    for (int i = 0; i < length; i++) {
      b.writeByte(fill + i);
    }
    return b;
  }

  @Test
  void globalHeaderIsNanosecondPcapWithRawIpLinkType() throws Exception {
    Path file = dir.resolve("a.pcap");
    writer(file, LIMIT, 1).close();
    assertEquals(
        "4d3cb2a1" // magic 0xa1b23c4d, little-endian: nanosecond timestamps
            + "0200" + "0400" // version 2.4
            + "00000000" + "00000000" // thiszone, sigfigs
            + "00000400" // snap length 262144
            + "65000000", // link type 101, LINKTYPE_RAW
        HexFormat.of().formatHex(Files.readAllBytes(file)));
  }

  @Test
  void recordHeaderCarriesSecondsNanosecondsAndLengthsThenThePacket() throws Exception {
    Path file = dir.resolve("r.pcap");
    try (PcapWriter w = writer(file, LIMIT, 1)) {
      clock.set(1_234_567_891L); // 1.234567891 s after EPOCH_NS
      ByteBuf p = packet(5, 0x40);
      w.write(p);
      assertEquals(3, p.readerIndex(), "indices unchanged");
      assertEquals(5, p.readableBytes());
      p.release();
    }
    byte[] bytes = Files.readAllBytes(file);
    assertEquals(24 + 16 + 5, bytes.length);
    ByteBuffer b = ByteBuffer.wrap(bytes, 24, 16).order(ByteOrder.LITTLE_ENDIAN);
    assertEquals(1_796_194_801L, Integer.toUnsignedLong(b.getInt()), "seconds");
    assertEquals(234_567_891, b.getInt(), "nanoseconds");
    assertEquals(5, b.getInt(), "captured length");
    assertEquals(5, b.getInt(), "original length");
    assertEquals("4041424344", HexFormat.of().formatHex(bytes, 40, 45));
  }

  @Test
  void aPacketLongerThanTheSnapLengthIsCutAndKeepsItsLength() throws Exception {
    Path file = dir.resolve("big.pcap");
    int length = PcapWriter.SNAP_LENGTH + 100;
    try (PcapWriter w = writer(file, 1L << 30, 1)) {
      ByteBuf p = packet(length, 0);
      w.write(p);
      p.release();
    }
    List<Record> records = read(file);
    assertEquals(1, records.size());
    assertEquals(PcapWriter.SNAP_LENGTH, records.get(0).data.length);
    assertEquals(length, records.get(0).originalLength);
  }

  @Test
  void buffersUntilASecondPassesOrItIsClosed() throws Exception {
    Path file = dir.resolve("f.pcap");
    PcapWriter w = writer(file, LIMIT, 1);
    ByteBuf p = packet(10, 0);
    w.write(p);
    assertEquals(24, Files.size(file), "the record is still buffered");
    clock.advance(PcapWriter.FLUSH_INTERVAL_NS);
    w.write(p);
    assertEquals(24 + 2 * 26, Files.size(file), "a second later both are in the file");
    w.write(p);
    w.close();
    assertEquals(24 + 3 * 26, Files.size(file), "close writes the rest");
    w.write(p);
    assertEquals(24 + 3 * 26, Files.size(file), "nothing after close");
    assertEquals(3, w.packets());
    p.release();
  }

  @Test
  void rotatesAtTheLimitKeepingTheNewestFiles() throws Exception {
    Path file = dir.resolve("cap.pcap");
    // Each record is 16 + 100 bytes: a 500-byte limit holds the header and 4 records (488 bytes).
    try (PcapWriter w = writer(file, 500, 3)) {
      for (int i = 0; i < 18; i++) {
        ByteBuf p = packet(100, i);
        clock.advance(1_000);
        w.write(p);
        p.release();
      }
      assertEquals(4, w.rotations());
    }
    // Packets 0-3, 4-7, 8-11, 12-15, 16-17: the first two files are gone, three are kept.
    assertFalse(Files.exists(dir.resolve("cap.pcap.3")), "at most 3 files");
    assertEquals(List.of(16, 17), firstBytes(read(file)));
    assertEquals(List.of(12, 13, 14, 15), firstBytes(read(dir.resolve("cap.pcap.1"))));
    assertEquals(List.of(8, 9, 10, 11), firstBytes(read(dir.resolve("cap.pcap.2"))));
    for (String name : List.of("cap.pcap", "cap.pcap.1", "cap.pcap.2")) {
      assertTrue(Files.size(dir.resolve(name)) <= 500, name + " within the limit");
    }
  }

  @Test
  void withOneFileItStartsOverWhenFull() throws Exception {
    Path file = dir.resolve("one.pcap");
    try (PcapWriter w = writer(file, 500, 1)) {
      for (int i = 0; i < 6; i++) {
        ByteBuf p = packet(100, i);
        w.write(p);
        p.release();
      }
    }
    assertEquals(List.of(4, 5), firstBytes(read(file)));
    assertFalse(Files.exists(dir.resolve("one.pcap.1")));
  }

  @Test
  void aRecordLargerThanTheLimitStillGetsAFileOfItsOwn() throws Exception {
    Path file = dir.resolve("l.pcap");
    try (PcapWriter w = writer(file, 100, 2)) {
      for (int i = 0; i < 2; i++) {
        ByteBuf p = packet(200, i);
        w.write(p);
        p.release();
      }
    }
    assertEquals(List.of(1), firstBytes(read(file)));
    assertEquals(List.of(0), firstBytes(read(dir.resolve("l.pcap.1"))));
  }

  @Test
  void concurrentWritersEachRecordWholeAndInTimeOrder() throws Exception {
    Path file = dir.resolve("c.pcap");
    int threads = 4;
    int perThread = 5_000;
    // A clock that ticks on every read: read under the writer's lock, so timestamps are the file's order.
    LongSupplierCounter counter = new LongSupplierCounter();
    try (PcapWriter w = new PcapWriter(file, 1L << 30, 1, counter, EPOCH_NS)) {
      CountDownLatch start = new CountDownLatch(1);
      List<Thread> all = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        int id = t;
        Thread th = new Thread(() -> {
          ByteBuf p = Unpooled.buffer(64);
          try {
            start.await();
            for (int i = 0; i < perThread; i++) {
              p.clear().writeByte(id).writeInt(i);
              for (int k = 0; k < id * 7; k++) {
                p.writeByte(id); // lengths differ per thread: a torn record would misalign the file
              }
              w.write(p);
            }
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          } finally {
            p.release();
          }
        });
        th.start();
        all.add(th);
      }
      start.countDown();
      for (Thread th : all) {
        th.join(TimeUnit.SECONDS.toMillis(60));
        assertFalse(th.isAlive());
      }
    }
    List<Record> records = read(file);
    assertEquals(threads * perThread, records.size());
    Map<Integer, Integer> next = new HashMap<>();
    long last = Long.MIN_VALUE;
    for (Record r : records) {
      int id = r.data[0];
      assertEquals(5 + id * 7, r.data.length);
      int seq = ByteBuffer.wrap(r.data, 1, 4).getInt();
      assertEquals(next.getOrDefault(id, 0), seq, "each thread's packets in its order");
      next.put(id, seq + 1);
      assertTrue(r.epochNs > last, "timestamps increase through the file");
      last = r.epochNs;
    }
  }

  @Test
  void aBadPathFailsAtOnce() {
    assertThrows(NoSuchFileException.class, () -> writer(dir.resolve("no/such/dir/x.pcap"), LIMIT, 1));
  }

  @Test
  void anIoErrorStopsTheCaptureOnceAndLaterPacketsAreDropped() throws Exception {
    Path file = dir.resolve("e.pcap");
    // FILE.1 is a directory with something in it: the rotation cannot rename FILE there.
    Files.createDirectories(dir.resolve("e.pcap.1"));
    Files.writeString(dir.resolve("e.pcap.1").resolve("keep"), "x");
    try (PcapWriter w = writer(file, 200, 2)) {
      for (int i = 0; i < 5; i++) {
        ByteBuf p = packet(100, i);
        w.write(p); // the second one rotates and fails; none of this throws
        p.release();
      }
      assertNotNull(w.failure());
      assertEquals(1, w.packets());
    }
    assertEquals(List.of(0), firstBytes(read(file)), "what was written before the error stays");
  }

  @Test
  void noFailureWithoutAnError() throws Exception {
    try (PcapWriter w = writer(dir.resolve("ok.pcap"), LIMIT, 1)) {
      assertNull(w.failure());
    }
  }

  /** A clock that advances 1 ns per read. */
  private static final class LongSupplierCounter implements java.util.function.LongSupplier {
    private long n;

    @Override
    public long getAsLong() {
      return n++;
    }
  }

  /** One record of a file this writer wrote: its time, original length and captured bytes. */
  record Record(long epochNs, int originalLength, byte[] data) {}

  /** Parses a file written by {@link PcapWriter} (little-endian, nanoseconds), checking its global header. */
  static List<Record> read(Path file) throws IOException {
    ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
    assertEquals(PcapWriter.MAGIC_NANOSECONDS, b.getInt());
    b.position(PcapWriter.GLOBAL_HEADER_SIZE);
    List<Record> records = new ArrayList<>();
    while (b.hasRemaining()) {
      long seconds = Integer.toUnsignedLong(b.getInt());
      int nanos = b.getInt();
      int captured = b.getInt();
      int original = b.getInt();
      byte[] data = new byte[captured];
      b.get(data);
      records.add(new Record(seconds * 1_000_000_000L + nanos, original, data));
    }
    return records;
  }

  private static List<Integer> firstBytes(List<Record> records) {
    List<Integer> out = new ArrayList<>();
    for (Record r : records) {
      assertArrayEquals(packetBytes(r.data.length, r.data[0]), r.data);
      out.add((int) r.data[0]);
    }
    return out;
  }

  private static byte[] packetBytes(int length, int fill) {
    byte[] b = new byte[length];
    for (int i = 0; i < length; i++) {
      b[i] = (byte) (fill + i);
    }
    return b;
  }
}
