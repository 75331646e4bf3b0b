package io.tcpstack.testing;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.tcpstack.ip.Offload;
import io.tcpstack.ip.PacketSink;
import io.tcpstack.ip.SoftwareOffload;
import java.util.ArrayList;
import java.util.List;

/**
 * A {@link PacketSink} that keeps a copy of every packet the stack emits, in order. A packet with
 * offload metadata (for a stack built with link offloads) is checked — its partial TCP checksum
 * must be the pseudo-header sum over the whole segment — and kept finished, whole (a super-segment
 * stays one packet), with its metadata in {@link #takeOffloads()}.
 */
public final class CapturingSink implements PacketSink {

  private final List<byte[]> packets = new ArrayList<>();
  private final List<Integer> offloads = new ArrayList<>();
  private boolean discarding;
  private long discarded;

  /** With {@code on}, packets are counted ({@link #discarded()}) but neither kept nor checked. */
  public void discard(boolean on) {
    discarding = on;
  }

  /** Packets dropped while {@link #discard} was on. */
  public long discarded() {
    return discarded;
  }

  @Override
  public void transmit(ByteBuf packet) {
    if (discarding) {
      discarded++;
      return;
    }
    packets.add(ByteBufUtil.getBytes(packet));
    offloads.add(Offload.NONE);
  }

  @Override
  public void transmit(ByteBuf packet, int offload) {
    if (discarding) {
      discarded++;
      return;
    }
    if (!Offload.isPartialChecksum(offload)) {
      throw new AssertionError("unexpected offload metadata 0x" + Integer.toHexString(offload));
    }
    byte[] p = ByteBufUtil.getBytes(packet);
    int ihl = Packets.headerLength(p);
    int tcpLength = p.length - ihl;
    int expected = SoftwareOffload.partialChecksum(Packets.u32(p, 12), Packets.u32(p, 16), tcpLength);
    if (Packets.u16(p, ihl + 16) != expected) {
      throw new AssertionError("a partial TCP checksum must hold the pseudo-header sum 0x" + Integer.toHexString(expected)
          + ", got 0x" + Integer.toHexString(Packets.u16(p, ihl + 16)));
    }
    ByteBuf whole = Unpooled.buffer(p.length);
    try {
      // Finish the checksum only (segment size 0 cuts nothing) to keep the super-segment whole.
      new SoftwareOffload().finish(packet, Offload.partialChecksum(0), whole,
          finished -> packets.add(ByteBufUtil.getBytes(finished)));
    } finally {
      whole.release();
    }
    offloads.add(offload);
  }

  /** Everything emitted since the last call, and forgets it. */
  public List<byte[]> take() {
    List<byte[]> copy = new ArrayList<>(packets);
    packets.clear();
    return copy;
  }

  /** The offload metadata of every packet emitted since the last call, in order, and forgets it. */
  public List<Integer> takeOffloads() {
    List<Integer> copy = new ArrayList<>(offloads);
    offloads.clear();
    return copy;
  }
}
