package io.tcpstack.tcp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.AbstractByteBufAllocator;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.util.IllegalReferenceCountException;
import io.tcpstack.testing.TrackingAllocator;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

class BufferPoolTest {

  private static final int CHUNK = 64;

  /** Leak-tracked: at paranoid level a chunk never given back fails the class. */
  private static final PooledByteBufAllocator POOLED = PooledByteBufAllocator.DEFAULT;

  private static void giveAll(BufferPool pool, List<ByteBuf> chunks) {
    for (ByteBuf chunk : chunks) {
      pool.give(chunk);
    }
    chunks.clear();
  }

  @Nested
  class Construction {

    @Test
    void keepsItsSettings() {
      BufferPool pool = new BufferPool(POOLED, CHUNK, 10 * CHUNK);
      assertEquals(CHUNK, pool.chunkSize());
      assertEquals(10 * CHUNK, pool.maxBytes());
      assertEquals(0, pool.inUse());
      assertEquals(10 * CHUNK, pool.available());
      assertEquals(0, pool.refusals());
      assertEquals(0, pool.peakInUse());
    }

    @Test
    void refusesANullAllocator() {
      assertThrows(NullPointerException.class, () -> new BufferPool(null, CHUNK, CHUNK));
    }

    @Test
    void refusesAChunkSizeBelowOneByteSayingSo() {
      IllegalArgumentException e =
          assertThrows(IllegalArgumentException.class, () -> new BufferPool(POOLED, 0, 1024));
      assertTrue(e.getMessage().contains("chunkSize"), e.getMessage());
      assertThrows(IllegalArgumentException.class, () -> new BufferPool(POOLED, -1, 1024));
    }

    @Test
    void refusesABudgetSmallerThanOneChunkSayingWhatToChange() {
      IllegalArgumentException e = assertThrows(
          IllegalArgumentException.class, () -> new BufferPool(POOLED, CHUNK, CHUNK - 1));
      assertTrue(e.getMessage().contains("raise maxBytes"), e.getMessage());
      assertThrows(IllegalArgumentException.class, () -> new BufferPool(POOLED, CHUNK, -1));
    }

    @Test
    void aBudgetOfExactlyOneChunkIsAllowed() {
      BufferPool pool = new BufferPool(POOLED, CHUNK, CHUNK);
      ByteBuf chunk = pool.take();
      assertNotNull(chunk);
      assertNull(pool.take());
      pool.give(chunk);
    }
  }

  @Nested
  class TakeAndGive {

    @Test
    void takeHandsOutADirectBufferOfExactlyTheChunkSize() {
      BufferPool pool = new BufferPool(new UnpooledByteBufAllocator(true), CHUNK, 4 * CHUNK);
      ByteBuf chunk = pool.take();
      try {
        assertTrue(chunk.isDirect());
        assertEquals(CHUNK, chunk.capacity());
        assertEquals(CHUNK, chunk.maxCapacity());
        assertEquals(0, chunk.readerIndex());
        assertEquals(0, chunk.writerIndex());
        assertEquals(1, chunk.refCnt());
      } finally {
        pool.give(chunk);
      }
    }

    @Test
    void inUseCountsTheChunksOutAndAvailableTheRest() {
      BufferPool pool = new BufferPool(POOLED, CHUNK, 4 * CHUNK);
      List<ByteBuf> out = new ArrayList<>();
      for (int i = 1; i <= 3; i++) {
        out.add(pool.take());
        assertEquals((long) i * CHUNK, pool.inUse());
        assertEquals((long) (4 - i) * CHUNK, pool.available());
      }
      pool.give(out.remove(0));
      assertEquals(2 * CHUNK, pool.inUse());
      assertEquals(2 * CHUNK, pool.available());
      giveAll(pool, out);
      assertEquals(0, pool.inUse());
      assertEquals(4 * CHUNK, pool.available());
    }

    @Test
    void giveReleasesTheChunkToTheAllocatorAtOnce() {
      TrackingAllocator allocator = new TrackingAllocator();
      BufferPool pool = new BufferPool(allocator, CHUNK, 4 * CHUNK);
      ByteBuf a = pool.take();
      ByteBuf b = pool.take();
      assertEquals(2, allocator.live());
      pool.give(a);
      assertEquals(0, a.refCnt());
      assertEquals(1, allocator.live());
      pool.give(b);
      allocator.assertAllReleased();
    }

    @Test
    void aChunkGivenTwiceFailsWithoutBeingUncountedTwice() {
      BufferPool pool = new BufferPool(POOLED, CHUNK, 4 * CHUNK);
      ByteBuf kept = pool.take();
      ByteBuf chunk = pool.take();
      pool.give(chunk);
      assertThrows(IllegalReferenceCountException.class, () -> pool.give(chunk));
      assertEquals(CHUNK, pool.inUse());
      pool.give(kept);
      assertEquals(0, pool.inUse());
    }

    @Test
    void aBufferOfAnotherSizeIsRefusedAndLeftAlone() {
      BufferPool pool = new BufferPool(POOLED, CHUNK, 4 * CHUNK);
      ByteBuf chunk = pool.take();
      ByteBuf foreign = POOLED.directBuffer(CHUNK * 2, CHUNK * 2);
      try {
        IllegalArgumentException e =
            assertThrows(IllegalArgumentException.class, () -> pool.give(foreign));
        assertTrue(e.getMessage().contains("not a chunk of this pool"), e.getMessage());
        assertEquals(1, foreign.refCnt());
        assertEquals(CHUNK, pool.inUse());
      } finally {
        foreign.release();
        pool.give(chunk);
      }
    }

    @Test
    void anAllocatorFailurePropagatesAndCountsNothing() {
      AbstractByteBufAllocator failing = new AbstractByteBufAllocator(true) {
        @Override
        protected ByteBuf newHeapBuffer(int initialCapacity, int maxCapacity) {
          throw new OutOfMemoryError("test: heap");
        }

        @Override
        protected ByteBuf newDirectBuffer(int initialCapacity, int maxCapacity) {
          throw new OutOfMemoryError("test: direct");
        }

        @Override
        public boolean isDirectBufferPooled() {
          return false;
        }
      };
      BufferPool pool = new BufferPool(failing, CHUNK, 4 * CHUNK);
      assertThrows(OutOfMemoryError.class, pool::take);
      assertEquals(0, pool.inUse());
      assertEquals(0, pool.peakInUse());
      assertEquals(0, pool.refusals());
    }
  }

  @Nested
  class Budget {

    @Test
    void theChunkPastTheBudgetIsRefusedAndTheRefusalCounted() {
      BufferPool pool = new BufferPool(POOLED, CHUNK, 4 * CHUNK);
      List<ByteBuf> out = new ArrayList<>();
      for (int i = 0; i < 4; i++) {
        out.add(pool.take());
        assertNotNull(out.get(i));
      }
      assertNull(pool.take());
      assertNull(pool.take());
      assertEquals(2, pool.refusals());
      assertEquals(4 * CHUNK, pool.inUse());
      assertEquals(0, pool.available());
      giveAll(pool, out);
    }

    @Test
    void afterAGiveTheNextTakeSucceedsAgain() {
      BufferPool pool = new BufferPool(POOLED, CHUNK, 2 * CHUNK);
      ByteBuf a = pool.take();
      ByteBuf b = pool.take();
      assertNull(pool.take());
      pool.give(a);
      ByteBuf c = pool.take();
      assertNotNull(c);
      assertEquals(1, pool.refusals());
      pool.give(b);
      pool.give(c);
    }

    @Test
    void aBudgetThatIsNotAWholeNumberOfChunksRoundsDown() {
      BufferPool pool = new BufferPool(POOLED, CHUNK, 3 * CHUNK + CHUNK / 2);
      List<ByteBuf> out = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        out.add(pool.take());
      }
      assertNull(pool.take());
      assertEquals(CHUNK / 2, pool.available());
      giveAll(pool, out);
    }

    @Test
    void peakRemembersTheMostEverInUse() {
      BufferPool pool = new BufferPool(POOLED, CHUNK, 8 * CHUNK);
      List<ByteBuf> out = new ArrayList<>();
      for (int i = 0; i < 5; i++) {
        out.add(pool.take());
      }
      giveAll(pool, out);
      out.add(pool.take());
      out.add(pool.take());
      assertEquals(2 * CHUNK, pool.inUse());
      assertEquals(5 * CHUNK, pool.peakInUse());
      giveAll(pool, out);
      assertEquals(5 * CHUNK, pool.peakInUse());
    }

    @Test
    void affordsSaysWhetherSeveralChunksFitAndCountsARefusalWhenNot() {
      BufferPool pool = new BufferPool(POOLED, CHUNK, 4 * CHUNK);
      ByteBuf chunk = pool.take();
      assertTrue(pool.affords(3));
      assertEquals(0, pool.refusals());
      assertFalse(pool.affords(4));
      assertEquals(1, pool.refusals());
      assertEquals(CHUNK, pool.inUse()); // asking takes nothing
      pool.give(chunk);
    }
  }

  /** Spare chunks: given back and kept for the next takes, so a streaming connection's churn allocates nothing. */
  @Nested
  class Spares {

    @Test
    void aChunkGivenBackIsTakenAgainCleared() {
      BufferPool pool = new BufferPool(POOLED, CHUNK, 4 * CHUNK, 2);
      ByteBuf chunk = pool.take();
      chunk.writeInt(42);
      pool.give(chunk);
      assertEquals(0, pool.inUse(), "a spare is not in use");
      assertEquals(1, pool.spareCount());
      assertEquals(1, chunk.refCnt(), "kept, not released");
      ByteBuf again = pool.take();
      assertTrue(again == chunk, "the spare is handed out again");
      assertEquals(0, again.readerIndex());
      assertEquals(0, again.writerIndex());
      assertEquals(CHUNK, pool.inUse());
      pool.give(again);
      pool.close();
      assertEquals(0, chunk.refCnt(), "close releases the spares");
      assertEquals(0, pool.spareCount());
    }

    @Test
    void beyondTheSparesChunksAreReleased() {
      BufferPool pool = new BufferPool(POOLED, CHUNK, 4 * CHUNK, 1);
      ByteBuf a = pool.take();
      ByteBuf b = pool.take();
      pool.give(a);
      pool.give(b);
      assertEquals(1, a.refCnt());
      assertEquals(0, b.refCnt(), "no room among the spares: released at once");
      pool.close();
      assertEquals(0, a.refCnt());
    }

    @Test
    void sparesDoNotStretchTheBudget() {
      BufferPool pool = new BufferPool(POOLED, CHUNK, 2 * CHUNK, 4);
      List<ByteBuf> out = new ArrayList<>();
      out.add(pool.take());
      out.add(pool.take());
      giveAll(pool, out);
      out.add(pool.take());
      out.add(pool.take());
      assertNull(pool.take(), "the budget counts chunks out, spares or not");
      giveAll(pool, out);
      pool.close();
    }
  }
}
