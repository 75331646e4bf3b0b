package io.tcpstack.testing;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.tcpstack.ip.PacketSink;
import java.util.ArrayList;
import java.util.List;

/** A {@link PacketSink} that keeps a copy of every packet the stack emits, in order. */
public final class CapturingSink implements PacketSink {

  private final List<byte[]> packets = new ArrayList<>();

  @Override
  public void transmit(ByteBuf packet) {
    packets.add(ByteBufUtil.getBytes(packet));
  }

  /** Everything emitted since the last call, and forgets it. */
  public List<byte[]> take() {
    List<byte[]> copy = new ArrayList<>(packets);
    packets.clear();
    return copy;
  }
}
