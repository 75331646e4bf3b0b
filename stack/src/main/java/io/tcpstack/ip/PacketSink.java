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
}
