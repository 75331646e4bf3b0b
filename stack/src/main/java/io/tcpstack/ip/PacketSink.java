package io.tcpstack.ip;

import io.netty.buffer.ByteBuf;

/** Where the core puts the packets it emits. Implemented by the runtime (device) and by tests. */
@FunctionalInterface
public interface PacketSink {
  /**
   * Takes the readable bytes of {@code packet} as one IPv4 datagram. The buffer stays owned by the
   * caller and is reused as soon as this returns: copy what must outlive the call.
   */
  void transmit(ByteBuf packet);

  /**
   * Takes a packet with offload metadata (see {@link Offload}). The stack passes metadata other
   * than {@link Offload#NONE} only to a sink whose link declared the capabilities for it; this
   * default, for sinks that did not, finishes the packet in software (checksum, and segments of
   * the given size for a super-segment) and passes each result to {@link #transmit(ByteBuf)}.
   */
  default void transmit(ByteBuf packet, int offload) {
    if (offload == Offload.NONE) {
      transmit(packet);
    } else {
      SoftwareOffload.finishWithTemporaryBuffer(packet, offload, this);
    }
  }
}
