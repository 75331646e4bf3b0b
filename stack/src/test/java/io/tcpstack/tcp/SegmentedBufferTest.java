package io.tcpstack.tcp;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.tcpstack.testing.TrackingAllocator;
import java.lang.management.ManagementFactory;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

class SegmentedBufferTest {

  /** Small, so that ordinary writes cross chunk boundaries. */
  private static final int CHUNK = 64;

  /** Leak-tracked: at paranoid level a chunk never given back fails the class. */
  private static final PooledByteBufAllocator POOLED = PooledByteBufAllocator.DEFAULT;

  // ---------------------------------------------------------------------------------------------
  // Helpers

  private static byte[] pattern(int n, int seed) {
    byte[] b = new byte[n];
    for (int i = 0; i < n; i++) {
      b[i] = (byte) (seed + i * 7 + (i >>> 8));
    }
    return b;
  }

  /** Untracked heap bytes: a source needs no release to keep the leak detector quiet. */
  private static ByteBuf src(byte[] bytes) {
    return Unpooled.wrappedBuffer(bytes);
  }

  /** The {@code n} bytes at {@code offset} from the head, read with copyTo. */
  private static byte[] read(SegmentedBuffer buffer, int offset, int n) {
    ByteBuf dst = Unpooled.buffer(n);
    buffer.copyTo(offset, dst, n);
    assertEquals(n, dst.readableBytes());
    return ByteBufUtil.getBytes(dst);
  }

  private static byte[] slice(byte[] b, int from, int n) {
    return Arrays.copyOfRange(b, from, from + n);
  }

  /**
   * A roomy pool and a buffer of 1 KiB for one test ({@link #budget} makes the pool smaller); after
   * the test, the buffer is released and the pool must have every chunk back.
   */
  private abstract static class WithPool {
    BufferPool pool = new BufferPool(POOLED, CHUNK, 1024L * CHUNK);
    SegmentedBuffer buffer = new SegmentedBuffer(pool, 1024);

    void budget(int chunks) {
      buffer.release();
      pool = new BufferPool(POOLED, CHUNK, (long) chunks * CHUNK);
      buffer = new SegmentedBuffer(pool, 1024);
    }

    @AfterEach
    void releaseAndCheckThePoolIsEmpty() {
      buffer.release();
      assertEquals(0, buffer.chunksHeld());
      assertEquals(0, pool.inUse(), "chunks not given back");
    }
  }

  // ---------------------------------------------------------------------------------------------

  @Nested
  class LikeAByteRing {

    @Test
    void aNewBufferHasItsCapacityFreeAndNothingReadable() {
      BufferPool pool = new BufferPool(POOLED, CHUNK, 4 * CHUNK);
      SegmentedBuffer buffer = new SegmentedBuffer(pool, 256 * 1024);
      assertEquals(256 * 1024, buffer.capacity());
      assertEquals(256 * 1024, buffer.free());
      assertEquals(0, buffer.length());
      assertTrue(buffer.isEmpty());
      buffer.release();
    }

    @Test
    void appendTakesUpToMaxReadableAndFreeAndConsumesThemFromTheSource() {
      BufferPool pool = new BufferPool(POOLED, CHUNK, 64 * CHUNK);
      SegmentedBuffer buffer = new SegmentedBuffer(pool, 300);
      byte[] data = pattern(400, 1);
      ByteBuf src = src(data);
      assertEquals(100, buffer.append(src, 100)); // max
      assertEquals(100, src.readerIndex());
      assertEquals(150, buffer.append(src, 150));
      assertEquals(50, buffer.append(src, 1000)); // free
      assertEquals(300, src.readerIndex());
      assertEquals(0, buffer.append(src, 1000)); // full
      assertEquals(300, buffer.length());
      assertEquals(0, buffer.free());
      assertArrayEquals(slice(data, 0, 300), read(buffer, 0, 300));
      buffer.consume(300);
      ByteBuf small = src(pattern(10, 2));
      assertEquals(10, buffer.append(small, 1000)); // readable
      assertEquals(0, small.readableBytes());
      buffer.release();
    }

    @Test
    void appendAtAnIndexLeavesTheSourceIndicesAlone() {
      BufferPool pool = new BufferPool(POOLED, CHUNK, 64 * CHUNK);
      SegmentedBuffer buffer = new SegmentedBuffer(pool, 1024);
      byte[] data = pattern(200, 3);
      ByteBuf src = src(data);
      assertTrue(buffer.append(src, 50, 130));
      assertEquals(0, src.readerIndex());
      assertEquals(200, src.writerIndex());
      assertEquals(130, buffer.length());
      assertArrayEquals(slice(data, 50, 130), read(buffer, 0, 130));
      buffer.release();
    }

    @Test
    void copyToReadsAcrossChunkBoundariesAtTheWriterIndexWithoutConsuming() {
      BufferPool pool = new BufferPool(POOLED, CHUNK, 64 * CHUNK);
      SegmentedBuffer buffer = new SegmentedBuffer(pool, 1024);
      byte[] data = pattern(500, 4);
      buffer.append(src(data), 500);
      ByteBuf dst = Unpooled.buffer(400);
      dst.writeBytes(new byte[] {9, 9, 9});
      buffer.copyTo(60, dst, 200); // from inside chunk 0 across chunks 1..4
      assertEquals(203, dst.writerIndex());
      assertEquals(0, dst.readerIndex());
      assertArrayEquals(slice(data, 60, 200), slice(ByteBufUtil.getBytes(dst), 3, 200));
      assertEquals(500, buffer.length());
      assertArrayEquals(data, read(buffer, 0, 500));
      buffer.release();
    }

    @Test
    void consumeMovesTheHeadSoOffsetsCountFromTheNewHead() {
      BufferPool pool = new BufferPool(POOLED, CHUNK, 64 * CHUNK);
      SegmentedBuffer buffer = new SegmentedBuffer(pool, 1024);
      byte[] data = pattern(300, 5);
      buffer.append(src(data), 300);
      buffer.consume(70);
      assertEquals(230, buffer.length());
      assertEquals(1024 - 230, buffer.free());
      assertArrayEquals(slice(data, 70, 230), read(buffer, 0, 230));
      assertArrayEquals(slice(data, 130, 10), read(buffer, 60, 10));
      buffer.release();
    }

    @Test
    void theWholeCapacityCanBeFilledWhateverTheHeadPosition() {
      BufferPool pool = new BufferPool(POOLED, CHUNK, 64 * CHUNK);
      SegmentedBuffer buffer = new SegmentedBuffer(pool, 1024);
      buffer.append(src(pattern(100, 6)), 100);
      buffer.consume(37); // head now in the middle of a chunk
      byte[] data = pattern(1024 - 63, 7);
      assertEquals(data.length, buffer.append(src(data), data.length));
      assertEquals(0, buffer.free());
      // 37 dead bytes at the front, 1024 live: 17 chunks for a capacity of 16.
      assertEquals(17, buffer.chunksHeld());
      assertArrayEquals(data, read(buffer, 63, data.length));
      buffer.release();
    }
  }

  @Nested
  class MemoryFollowsData extends WithPool {

    @Test
    void anIdleBufferHoldsNoChunk() {
      assertEquals(0, buffer.chunksHeld());
      assertEquals(0, buffer.bytesHeld());
      assertEquals(0, pool.inUse());
    }

    @Test
    void appendTakesOnlyTheChunksTheBytesNeed() {
      buffer.append(src(pattern(1, 1)), 1);
      assertEquals(1, buffer.chunksHeld());
      buffer.append(src(pattern(63, 1)), 63);
      assertEquals(1, buffer.chunksHeld());
      buffer.append(src(pattern(1, 1)), 1);
      assertEquals(2, buffer.chunksHeld());
      assertEquals(2 * CHUNK, buffer.bytesHeld());
      assertEquals(2 * CHUNK, pool.inUse());
    }

    @Test
    void drainingToEmptyGivesEveryChunkBack() {
      byte[] data = pattern(1000, 2);
      buffer.append(src(data), 1000);
      assertEquals(16, buffer.chunksHeld());
      assertEquals(16 * CHUNK, pool.inUse());
      buffer.consume(999);
      assertEquals(1, buffer.chunksHeld());
      buffer.consume(1);
      assertTrue(buffer.isEmpty());
      assertEquals(0, buffer.chunksHeld());
      assertEquals(0, pool.inUse());
    }

    @Test
    void consumeGivesBackOnlyTheChunksWhollyBehindTheHead() {
      byte[] data = pattern(256, 3);
      buffer.append(src(data), 256); // chunks 0..3
      buffer.consume(63);
      assertEquals(4, buffer.chunksHeld()); // byte 63 is still live in chunk 0
      buffer.consume(1);
      assertEquals(3, buffer.chunksHeld());
      buffer.consume(100); // head at 164, inside chunk 2
      assertEquals(2, buffer.chunksHeld());
      assertEquals(2 * CHUNK, pool.inUse());
      assertArrayEquals(slice(data, 164, 92), read(buffer, 0, 92));
    }

    @Test
    void afterADrainTheHeadStartsAgainAtTheStartOfAChunk() {
      buffer.append(src(pattern(40, 4)), 40);
      buffer.consume(40); // the head was at 40; nothing is held now
      byte[] data = pattern(64, 5);
      buffer.append(src(data), 64);
      assertEquals(1, buffer.chunksHeld()); // not 2: the 64 bytes start a fresh chunk
      assertArrayEquals(data, read(buffer, 0, 64));
    }

    @Test
    void aBufferThatFillsAndDrainsRepeatedlyEndsHoldingNothing() {
      byte[] data = pattern(1024, 6);
      for (int round = 0; round < 50; round++) {
        int n = 1 + round * 20;
        assertEquals(n, buffer.append(src(data), n));
        assertArrayEquals(slice(data, 0, n), read(buffer, 0, n));
        buffer.consume(n);
        assertEquals(0, buffer.chunksHeld());
      }
      assertEquals(0, pool.inUse());
      assertEquals(16 * CHUNK, pool.peakInUse()); // 981 bytes at most: 16 chunks
    }
  }

  @Nested
  class OutOfOrderData extends WithPool {

    @Test
    void aWriteAheadTakesTheChunksUpToItButChangesNoLength() {
      assertTrue(buffer.writeAt(500, src(pattern(10, 1)), 0, 10)); // bytes 500..509
      assertEquals(0, buffer.length());
      assertTrue(buffer.isEmpty());
      assertEquals(1024, buffer.free());
      assertEquals(8, buffer.chunksHeld()); // chunks 0..7 (byte 509 is in chunk 7)
    }

    @Test
    void placedBytesKeepTheirChunksWhenTheReadableBytesAreConsumed() {
      byte[] ahead = pattern(30, 2);
      buffer.append(src(pattern(100, 3)), 100);
      assertTrue(buffer.writeAt(200, src(ahead), 0, 30)); // a gap of 100 bytes, then 30
      buffer.consume(100);
      assertTrue(buffer.isEmpty());
      // Offsets 100..129 from the new head (at 100): absolute 200..229, chunks 1..3.
      assertEquals(3, buffer.chunksHeld());
      assertEquals(3 * CHUNK, pool.inUse());
      byte[] gap = pattern(100, 4);
      assertTrue(buffer.append(src(gap), 0, 100));
      buffer.commit(30);
      assertEquals(130, buffer.length());
      assertArrayEquals(gap, read(buffer, 0, 100));
      assertArrayEquals(ahead, read(buffer, 100, 30));
      buffer.consume(130);
      assertEquals(0, buffer.chunksHeld());
      assertEquals(0, pool.inUse());
    }

    @Test
    void consumingTheLastReadableByteBeforePlacedDataKeepsTheHeadWhereItIs() {
      buffer.append(src(pattern(10, 5)), 10);
      byte[] ahead = pattern(5, 6);
      buffer.writeAt(60, src(ahead), 0, 5); // absolute 60..64, across chunks 0 and 1
      buffer.consume(10);
      assertEquals(2, buffer.chunksHeld());
      assertArrayEquals(ahead, read(buffer, 50, 5));
    }

    @Test
    void commitTakesInTheBytesPlacedRightAfterTheTail() {
      byte[] data = pattern(300, 7);
      assertTrue(buffer.writeAt(0, src(data), 0, 300));
      assertEquals(0, buffer.length());
      buffer.commit(120);
      assertEquals(120, buffer.length());
      buffer.commit(180);
      assertEquals(300, buffer.length());
      assertArrayEquals(data, read(buffer, 0, 300));
    }

    @Test
    void anAppendOverPlacedBytesOverwritesThemAsTheRingDid() {
      buffer.writeAt(0, src(pattern(50, 8)), 0, 50);
      byte[] data = pattern(20, 9);
      buffer.append(src(data), 20);
      buffer.commit(30);
      assertArrayEquals(data, read(buffer, 0, 20));
      assertArrayEquals(slice(pattern(50, 8), 20, 30), read(buffer, 20, 30));
      buffer.consume(50);
      assertEquals(0, buffer.chunksHeld());
    }

    @Test
    void aWriteToTheLastByteOfTheCapacityIsAllowed() {
      buffer.append(src(pattern(10, 10)), 10);
      buffer.consume(5); // head at 5: the capacity's last byte is at absolute 1028, chunk 16
      assertTrue(buffer.writeAt(1023, src(new byte[] {42}), 0, 1));
      assertEquals(17, buffer.chunksHeld());
      assertArrayEquals(new byte[] {42}, read(buffer, 1023, 1));
    }
  }

  @Nested
  class Budget extends WithPool {

    @Test
    void aPoolOfFourChunksShortensAppendsRefusesWritesAndRecoversAfterAConsume() {
      budget(4);
      byte[] data = pattern(600, 1);
      ByteBuf src = src(data);

      // A fifth chunk is refused: append takes what four chunks hold.
      assertEquals(4 * CHUNK, buffer.append(src, 300));
      assertEquals(4 * CHUNK, src.readerIndex());
      assertEquals(4, buffer.chunksHeld());
      assertEquals(1, pool.refusals());

      // All or nothing: neither writes, nor takes, nor places anything.
      assertFalse(buffer.append(src, 256, 10));
      assertFalse(buffer.writeAt(300, src, 256, 10));
      assertEquals(4 * CHUNK, buffer.length());
      assertEquals(4, buffer.chunksHeld());
      assertEquals(3, pool.refusals());
      assertThrows(IndexOutOfBoundsException.class, () -> buffer.commit(1)); // nothing placed
      assertEquals(4 * CHUNK, pool.peakInUse());

      // Consuming frees two chunks; appends succeed again.
      buffer.consume(2 * CHUNK);
      assertEquals(2, buffer.chunksHeld());
      assertEquals(2 * CHUNK, pool.available());
      assertEquals(2 * CHUNK, buffer.append(src, 1000));
      assertEquals(4, pool.refusals()); // wanted more than the two chunks to be had
      assertTrue(buffer.writeAt(4 * CHUNK - 10, src(pattern(10, 2)), 0, 10)); // in chunks held
      assertEquals(4 * CHUNK, buffer.length());
      assertArrayEquals(slice(data, 2 * CHUNK, 2 * CHUNK - 10), read(buffer, 0, 2 * CHUNK - 10));
      assertArrayEquals(pattern(10, 2), read(buffer, 4 * CHUNK - 10, 10));
      assertEquals(4, pool.refusals());
      assertEquals(4 * CHUNK, pool.peakInUse());
    }

    @Test
    void appendReturnsZeroWhenNotEvenOneChunkIsToBeHad() {
      budget(1);
      buffer.append(src(pattern(64, 3)), 64);
      ByteBuf src = src(pattern(10, 4));
      assertEquals(0, buffer.append(src, 10));
      assertEquals(0, src.readerIndex());
      assertEquals(64, buffer.length());
      assertEquals(1, pool.refusals());
    }

    @Test
    void aWriteNeedingMoreChunksThanTheBudgetTakesNoneOfThem() {
      budget(4);
      buffer.append(src(pattern(10, 5)), 10);
      assertFalse(buffer.writeAt(500, src(pattern(10, 6)), 0, 10)); // needs 8 chunks
      assertEquals(1, buffer.chunksHeld());
      assertEquals(CHUNK, pool.inUse());
      assertEquals(CHUNK, pool.peakInUse()); // none taken and given back
      assertEquals(1, pool.refusals()); // one refusal per refused call
    }

    @Test
    void twoBuffersShareOneBudget() {
      budget(4);
      SegmentedBuffer other = new SegmentedBuffer(pool, 1024);
      try {
        assertEquals(3 * CHUNK, buffer.append(src(pattern(3 * CHUNK, 7)), 3 * CHUNK));
        assertEquals(CHUNK, other.append(src(pattern(200, 8)), 200));
        assertEquals(0, buffer.append(src(pattern(1, 9)), 1));
        other.consume(CHUNK);
        assertEquals(1, buffer.append(src(pattern(1, 9)), 1));
        assertEquals(4 * CHUNK, pool.inUse());
      } finally {
        other.release();
      }
    }

    @Test
    void writesWithinChunksAlreadyHeldNeedNoBudget() {
      budget(2);
      buffer.append(src(pattern(100, 10)), 100); // two chunks: room up to 128
      assertEquals(0, pool.available());
      assertTrue(buffer.writeAt(110, src(pattern(18, 11)), 0, 18));
      assertTrue(buffer.append(src(pattern(10, 12)), 0, 10));
      buffer.commit(18);
      assertEquals(128, buffer.length());
      assertEquals(0, pool.refusals());
    }
  }

  @Nested
  class Release {

    @Test
    void releaseGivesBackEveryChunkIncludingThoseOfPlacedBytes() {
      TrackingAllocator allocator = new TrackingAllocator();
      BufferPool pool = new BufferPool(allocator, CHUNK, 64 * CHUNK);
      SegmentedBuffer buffer = new SegmentedBuffer(pool, 1024);
      buffer.append(src(pattern(100, 1)), 100);
      buffer.writeAt(700, src(pattern(10, 2)), 0, 10);
      assertEquals(12, buffer.chunksHeld());
      buffer.release();
      assertEquals(0, buffer.chunksHeld());
      assertEquals(0, buffer.length());
      assertEquals(0, pool.inUse());
      assertEquals(12, allocator.allocations());
      allocator.assertAllReleased();
    }

    @Test
    void releasingTwiceIsHarmless() {
      BufferPool pool = new BufferPool(POOLED, CHUNK, 64 * CHUNK);
      SegmentedBuffer buffer = new SegmentedBuffer(pool, 1024);
      buffer.append(src(pattern(100, 3)), 100);
      buffer.release();
      buffer.release();
      assertEquals(0, pool.inUse());
    }

    @Test
    void takingAChunkAfterReleaseFailsInsteadOfLeakingIt() {
      BufferPool pool = new BufferPool(POOLED, CHUNK, 64 * CHUNK);
      SegmentedBuffer buffer = new SegmentedBuffer(pool, 1024);
      buffer.release();
      ByteBuf src = src(pattern(10, 4));
      assertThrows(IllegalStateException.class, () -> buffer.append(src, 10));
      assertThrows(IllegalStateException.class, () -> buffer.append(src, 0, 10));
      assertThrows(IllegalStateException.class, () -> buffer.writeAt(100, src, 0, 10));
      assertEquals(0, pool.inUse());
    }
  }

  @Nested
  class CallerBugs extends WithPool {

    @Test
    void aCapacityBelowOneByteIsRefused() {
      assertThrows(IllegalArgumentException.class, () -> new SegmentedBuffer(pool, 0));
      assertThrows(
          IllegalArgumentException.class, () -> new SegmentedBuffer(pool, Integer.MAX_VALUE));
    }

    @Test
    void offsetsAndCountsOutsideTheirRangeThrowIndexOutOfBoundsAndChangeNothing() {
      ByteBuf src = src(pattern(200, 1));
      buffer.append(src, 100);
      assertThrows(IndexOutOfBoundsException.class, () -> buffer.writeAt(1000, src, 0, 25));
      assertThrows(IndexOutOfBoundsException.class, () -> buffer.writeAt(-1, src, 0, 1));
      assertThrows(IndexOutOfBoundsException.class, () -> buffer.writeAt(0, src, 0, -1));
      assertThrows(IndexOutOfBoundsException.class, () -> buffer.append(src, 0, 925));
      assertThrows(IndexOutOfBoundsException.class, () -> buffer.append(src, 150, 51)); // src short
      assertThrows(IndexOutOfBoundsException.class, () -> buffer.writeAt(500, src, 190, 11));
      assertThrows(IndexOutOfBoundsException.class, () -> buffer.consume(101));
      assertThrows(IndexOutOfBoundsException.class, () -> buffer.consume(-1));
      assertThrows(IndexOutOfBoundsException.class, () -> buffer.commit(1));
      assertThrows(IndexOutOfBoundsException.class, () -> buffer.copyTo(90, Unpooled.buffer(), 11));
      assertThrows(IndexOutOfBoundsException.class, () -> buffer.copyTo(-1, Unpooled.buffer(), 1));
      assertEquals(100, buffer.length());
      assertEquals(2, buffer.chunksHeld()); // nothing taken for the refused calls
      assertEquals(2 * CHUNK, pool.inUse());
      assertArrayEquals(pattern(100, 1), read(buffer, 0, 100));
    }

    @Test
    void placedBytesCanBeReadButNotBeyondTheFurthestOne() {
      buffer.writeAt(100, src(pattern(10, 2)), 0, 10);
      assertArrayEquals(pattern(10, 2), read(buffer, 100, 10));
      assertThrows(IndexOutOfBoundsException.class, () -> read(buffer, 100, 11));
      assertThrows(IndexOutOfBoundsException.class, () -> buffer.commit(111));
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Randomized, against a reference model

  /**
   * What the buffer should hold: its bytes by offset from the head, which of them were written, and
   * where the head sits in its chunk (to know how many chunks it should hold).
   */
  private static final class Model {
    final int capacity;
    final int chunk;
    final int budgetChunks;
    final byte[] bytes;
    final boolean[] written;
    int length;
    int placedEnd;
    int head;
    long refusals;

    Model(int capacity, int chunk, int budgetChunks) {
      this.capacity = capacity;
      this.chunk = chunk;
      this.budgetChunks = budgetChunks;
      this.bytes = new byte[capacity];
      this.written = new boolean[capacity];
    }

    int chunksFor(int end) {
      return (head + end + chunk - 1) / chunk;
    }

    int chunks() {
      return placedEnd == 0 ? 0 : chunksFor(placedEnd);
    }

    /** The end (from the head) up to which chunks can be had. */
    int reachable() {
      return budgetChunks * chunk - head;
    }

    void write(int offset, byte[] src, int from, int n) {
      if (n == 0) {
        return; // places nothing, wherever
      }
      System.arraycopy(src, from, bytes, offset, n);
      Arrays.fill(written, offset, offset + n, true);
      placedEnd = Math.max(placedEnd, offset + n);
    }

    void consume(int n) {
      System.arraycopy(bytes, n, bytes, 0, capacity - n);
      System.arraycopy(written, n, written, 0, capacity - n);
      Arrays.fill(written, capacity - n, capacity, false);
      length -= n;
      placedEnd -= n;
      head = placedEnd == 0 ? 0 : (head + n) % chunk;
    }

    int writtenRunAfterTail() {
      int i = length;
      while (i < placedEnd && written[i]) {
        i++;
      }
      return i - length;
    }
  }

  /** Tallies that show the generator reached the cases that matter. */
  private static final class Coverage {
    int drains;
    int refused;
    int shortAppends;
    int crossingCopies;
    int placedAhead;
  }

  private static Coverage runAgainstModel(long seed, int capacity, int budgetChunks, int ops) {
    SplittableRandom random = new SplittableRandom(seed);
    BufferPool pool = new BufferPool(POOLED, CHUNK, (long) budgetChunks * CHUNK);
    SegmentedBuffer buffer = new SegmentedBuffer(pool, capacity);
    Model model = new Model(capacity, CHUNK, budgetChunks);
    Coverage coverage = new Coverage();
    ByteBuf direct = POOLED.directBuffer(capacity + 16);
    try {
      for (int op = 0; op < ops; op++) {
        String what = step(random, buffer, model, coverage, direct);
        String where = "op " + op + " (" + what + ") seed " + seed + ": " + buffer;
        assertEquals(model.length, buffer.length(), where);
        assertEquals(capacity - model.length, buffer.free(), where);
        assertEquals(model.length == 0, buffer.isEmpty(), where);
        assertEquals(model.chunks(), buffer.chunksHeld(), where);
        assertEquals((long) model.chunks() * CHUNK, buffer.bytesHeld(), where);
        assertEquals(buffer.bytesHeld(), pool.inUse(), where);
        assertEquals(model.refusals, pool.refusals(), where);
        assertTrue(pool.peakInUse() <= (long) budgetChunks * CHUNK, where);
        if (op % 64 == 0 && model.length > 0) { // every readable byte, now and then
          assertArrayEquals(slice(model.bytes, 0, model.length), read(buffer, 0, model.length), where);
        }
      }
      buffer.consume(buffer.length());
      buffer.release();
      assertEquals(0, pool.inUse());
      return coverage;
    } finally {
      buffer.release();
      direct.release();
    }
  }

  /** One random operation, applied to both; returns what it did, for failure messages. */
  private static String step(
      SplittableRandom random, SegmentedBuffer buffer, Model model, Coverage coverage, ByteBuf direct) {
    int size = random.nextInt(8) == 0 ? random.nextInt(model.capacity + 1) : random.nextInt(200);
    int kind = random.nextInt(100);
    if (kind < 22) { // append(src, max), the source's reader index not at 0
      int skip = random.nextInt(5);
      byte[] data = new byte[skip + size];
      random.nextBytes(data);
      ByteBuf src = src(data);
      src.readerIndex(skip);
      int max = random.nextBoolean() ? size : random.nextInt(size + 1);
      int expected = Math.min(Math.min(max, size), model.capacity - model.length);
      if (expected > 0 && model.chunksFor(model.length + expected) > model.budgetChunks) {
        model.refusals++;
        expected = Math.max(0, Math.min(expected, model.reachable() - model.length));
        coverage.shortAppends++;
      }
      int n = buffer.append(src, max);
      assertEquals(expected, n, "append(src, " + max + ") of " + size);
      assertEquals(skip + n, src.readerIndex());
      model.write(model.length, data, skip, n);
      model.length += n;
      return "append " + n + "/" + size;
    }
    if (kind < 36) { // append(src, index, n), from a direct source now and then
      int n = Math.min(size, model.capacity - model.length);
      byte[] data = new byte[n + 3];
      random.nextBytes(data);
      ByteBuf src = src(data);
      if (random.nextBoolean()) {
        direct.clear().writeBytes(data);
        src = direct;
      }
      boolean fits = n == 0 || model.chunksFor(model.length + n) <= model.budgetChunks;
      boolean ok = buffer.append(src, 3, n);
      if (!fits) {
        model.refusals++;
        coverage.refused++;
      }
      assertEquals(fits, ok, "append(src, 3, " + n + ")");
      if (ok) {
        model.write(model.length, data, 3, n);
        model.length += n;
      }
      return "append at index " + n + (ok ? "" : " refused");
    }
    if (kind < 52) { // writeAt ahead of the tail (out-of-order data), or over readable bytes
      int offset = random.nextInt(4) == 0 ? random.nextInt(model.capacity) :
          Math.min(model.capacity - 1, model.length + random.nextInt(400));
      int n = Math.min(size, model.capacity - offset);
      byte[] data = new byte[n];
      random.nextBytes(data);
      boolean fits = n == 0 || model.chunksFor(offset + n) <= model.budgetChunks;
      boolean ok = buffer.writeAt(offset, src(data), 0, n);
      if (!fits) {
        model.refusals++;
        coverage.refused++;
      }
      assertEquals(fits, ok, "writeAt(" + offset + ", " + n + ")");
      if (ok) {
        model.write(offset, data, 0, n);
        if (offset > model.length) {
          coverage.placedAhead++;
        }
      }
      return "writeAt " + offset + "+" + n + (ok ? "" : " refused");
    }
    if (kind < 62) { // commit bytes placed right after the tail
      int run = model.writtenRunAfterTail();
      int n = run == 0 ? 0 : 1 + random.nextInt(run);
      buffer.commit(n);
      model.length += n;
      return "commit " + n;
    }
    if (kind < 82) { // consume, everything now and then
      int n = random.nextInt(3) == 0 ? model.length : random.nextInt(model.length + 1);
      boolean wasHolding = model.chunks() > 0;
      buffer.consume(n);
      model.consume(n);
      if (wasHolding && model.chunks() == 0) {
        coverage.drains++;
      }
      return "consume " + n;
    }
    // copyTo at a random offset, within the placed bytes; compare those written
    if (model.placedEnd == 0) {
      return "nothing to copy";
    }
    int offset = random.nextInt(model.placedEnd);
    int n = Math.min(size, model.placedEnd - offset);
    ByteBuf dst = Unpooled.buffer(n + 2);
    dst.writeShort(0x5a5a);
    buffer.copyTo(offset, dst, n);
    assertEquals(n + 2, dst.writerIndex());
    byte[] got = ByteBufUtil.getBytes(dst);
    for (int i = 0; i < n; i++) {
      if (model.written[offset + i]) {
        assertEquals(model.bytes[offset + i], got[2 + i], "copyTo(" + offset + ", " + n + ") at " + i);
      }
    }
    if ((model.head + offset) / CHUNK != (model.head + offset + Math.max(n, 1) - 1) / CHUNK) {
      coverage.crossingCopies++;
    }
    return "copyTo " + offset + "+" + n;
  }

  @Nested
  class AgainstAReferenceModel {

    @Test
    void seededRandomOperationsMatchTheModelByteForByte() {
      Coverage c = runAgainstModel(0x5E6_B0FL, 2048, 1024, 12_000);
      assertTrue(c.drains > 100, c.drains + " drains");
      assertTrue(c.placedAhead > 500, c.placedAhead + " writes ahead");
      assertTrue(c.crossingCopies > 500, c.crossingCopies + " copies across chunks");
      assertEquals(0, c.refused + c.shortAppends);
    }

    @Test
    void underATightBudgetRefusalsAreExactlyThoseTheModelPredicts() {
      Coverage c = runAgainstModel(0xB0D6E7L, 2048, 12, 12_000);
      assertTrue(c.refused > 200, c.refused + " refused writes");
      assertTrue(c.shortAppends > 200, c.shortAppends + " short appends");
      assertTrue(c.drains > 100, c.drains + " drains");
    }

    @Test
    void otherSeedsToo() {
      for (long seed = 1; seed <= 4; seed++) {
        runAgainstModel(seed, 1000, seed % 2 == 0 ? 1024 : 7, 3_000);
      }
    }
  }

  // ---------------------------------------------------------------------------------------------

  @Test
  void readingAndWritingWithinHeldChunksAllocatesNothing() {
    java.lang.management.ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    assumeTrue(
        threads instanceof com.sun.management.ThreadMXBean, "no per-thread allocation counter");
    com.sun.management.ThreadMXBean counter = (com.sun.management.ThreadMXBean) threads;
    assumeTrue(
        counter.isThreadAllocatedMemorySupported() && counter.isThreadAllocatedMemoryEnabled());

    // Not leak-tracked: at paranoid level the tracker records (allocates) every access.
    BufferPool pool = new BufferPool(new UnpooledByteBufAllocator(true, true), CHUNK, 64 * CHUNK);
    SegmentedBuffer buffer = new SegmentedBuffer(pool, 1024);
    ByteBuf src = Unpooled.wrappedBuffer(pattern(1024, 1));
    ByteBuf dst = Unpooled.wrappedBuffer(new byte[1024]);
    try {
      assertTrue(buffer.writeAt(0, src, 0, 1024)); // every chunk taken once, up front
      long sink = 0;
      for (int round = 0; round < 20_000; round++) {
        sink += rounds(buffer, src, dst, round);
      }
      long before = counter.getCurrentThreadAllocatedBytes();
      for (int round = 0; round < 200_000; round++) {
        sink += rounds(buffer, src, dst, round);
      }
      long allocated = counter.getCurrentThreadAllocatedBytes() - before;
      assertTrue(allocated < 4096, allocated + " bytes allocated over 200000 rounds");
      assertTrue(sink != 0);
    } finally {
      buffer.release();
      src.release();
      dst.release();
    }
  }

  /** Writes, commits, reads and consumes within chunks held (the head never passes chunk 0). */
  private static int rounds(SegmentedBuffer buffer, ByteBuf src, ByteBuf dst, int round) {
    int offset = round % 700;
    buffer.writeAt(offset, src, round % 300, 300);
    buffer.commit(buffer.length() == 0 ? 500 : 0);
    dst.clear();
    buffer.copyTo(offset, dst, 300);
    return dst.getByte(round % 300) + buffer.length();
  }
}
