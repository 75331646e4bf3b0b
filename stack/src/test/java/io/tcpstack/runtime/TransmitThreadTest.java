package io.tcpstack.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.tcpstack.device.Device;
import io.tcpstack.stats.CounterSet;
import io.tcpstack.stats.StackCounter;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The transmit thread writes every packet it is given, in order, and the ones queued at close. */
class TransmitThreadTest {

  /** Records what is written; fails every write whose first byte is 0x7F. */
  static final class Recorder implements Device {
    final List<byte[]> written = Collections.synchronizedList(new ArrayList<>());

    @Override
    public int mtu() {
      return 1500;
    }

    @Override
    public int receive(ByteBuf dst) {
      return 0;
    }

    @Override
    public void transmit(ByteBuf packet) throws IOException {
      byte[] b = new byte[packet.readableBytes()];
      packet.getBytes(packet.readerIndex(), b);
      if (b.length > 0 && b[0] == 0x7F) {
        throw new IOException("refused");
      }
      written.add(b);
    }

    @Override
    public boolean await(long timeoutNs) {
      return false;
    }

    @Override
    public void wakeup() {}

    @Override
    public boolean isOpen() {
      return true;
    }

    @Override
    public void close() {}
  }

  static byte[] packet(int i) {
    byte[] b = new byte[1 + i % 1400];
    for (int k = 0; k < b.length; k++) {
      b[k] = (byte) (i * 31 + k);
    }
    b[0] = (byte) (i % 100); // never 0x7F (127)
    return b;
  }

  @Test
  void everyPacketIsWrittenInOrderAndTheLastOnesAtClose() {
    Recorder device = new Recorder();
    CounterSet<StackCounter> counters = new CounterSet<>(StackCounter.class);
    TransmitThread tx = new TransmitThread(device, counters, 16, 1500); // a small ring: the producer waits often
    int n = 20_000;
    ByteBuf buf = Unpooled.directBuffer(1500);
    try {
      for (int i = 0; i < n; i++) {
        buf.clear().writeBytes(packet(i));
        tx.offer(buf);
        buf.clear(); // the ring keeps its own copy: the caller's buffer is free at once
      }
    } finally {
      buf.release();
    }
    tx.close();
    assertEquals(n, device.written.size(), "nothing lost, nothing doubled");
    for (int i = 0; i < n; i++) {
      assertArrayEquals(packet(i), device.written.get(i), "packet " + i + " in its place");
    }
    assertEquals(0, counters.get(StackCounter.DEVICE_TX_ERRORS));
  }

  @Test
  void aFailedWriteIsCountedAndTheRestGoOn() {
    Recorder device = new Recorder();
    CounterSet<StackCounter> counters = new CounterSet<>(StackCounter.class);
    TransmitThread tx = new TransmitThread(device, counters, 8, 1500);
    ByteBuf buf = Unpooled.directBuffer(1500);
    try {
      tx.offer(buf.clear().writeBytes(packet(1)));
      tx.offer(buf.clear().writeBytes(new byte[] {0x7F, 1, 2}));
      tx.offer(buf.clear().writeBytes(packet(2)));
      tx.drain();
    } finally {
      buf.release();
    }
    tx.close();
    assertEquals(1, counters.get(StackCounter.DEVICE_TX_ERRORS));
    assertEquals(2, device.written.size());
    assertArrayEquals(packet(2), device.written.get(1));
    assertTrue(tx.fits(1500) && !tx.fits(1501));
  }
}
