package io.tcpstack.device;

import io.netty.buffer.ByteBuf;
import io.tcpstack.ip.Offload;
import java.io.Closeable;
import java.io.IOException;

/**
 * A link that carries whole IPv4 packets: a TUN device, an in-memory link in tests, or a decorator
 * (fault injector, capture) around either.
 *
 * <p>Only the stack thread calls {@link #receive}, {@link #transmit} and {@link #await}; any thread
 * may call {@link #wakeup} and {@link #close}.
 */
public interface Device extends Closeable {

  /**
   * The largest packet, in bytes, {@link #transmit} accepts and {@link #receive} delivers.
   *
   * @return the link's MTU in bytes
   */
  int mtu();

  /**
   * Reads one packet, if one is waiting, into {@code dst} at its writer index and advances the
   * writer index; the packet is then {@code dst}'s readable bytes (a device may move the reader
   * index past a link header of its own). Never blocks.
   *
   * @param dst a direct buffer with at least {@link #maxReceiveSize()} writable bytes; the caller
   *     owns it
   * @return the packet's length; 0 if none is waiting; -1 once the device is closed
   * @throws IOException if the link fails, e.g. the TUN device was deleted
   */
  int receive(ByteBuf dst) throws IOException;

  /**
   * What the link says about the packet the last {@link #receive} returned: {@link
   * Offload#CHECKSUM_VALID} or {@link Offload#NONE}.
   *
   * @return the receive metadata; {@link Offload#NONE} by default
   */
  default int receivedOffload() {
    return Offload.NONE;
  }

  /**
   * The {@link Offload} capabilities of this link for {@link #transmit(ByteBuf, int)}; {@link
   * Offload#NONE} by default: only finished packets of at most {@link #mtu()} bytes.
   *
   * @return {@link Offload#TX_CHECKSUM} and {@link Offload#TX_SEGMENTATION} or-ed, or {@link
   *     Offload#NONE}
   */
  default int offloads() {
    return Offload.NONE;
  }

  /**
   * The room {@link #receive} needs in {@code dst}: {@link #mtu()}, or more for a link that hands
   * over super-segments (and its own header).
   *
   * @return the least writable bytes, in bytes, a buffer given to {@link #receive} must have
   */
  default int maxReceiveSize() {
    return mtu();
  }

  /**
   * Sends a packet with {@link Offload} metadata, which only a device whose {@link #offloads()}
   * allow it is given (the runtime sees to that); {@link Offload#NONE} is {@link #transmit(ByteBuf)}.
   *
   * @param packet the packet in its readable bytes, as for {@link #transmit(ByteBuf)}
   * @param offload the transmit metadata, e.g. from {@link Offload#partialChecksum(int)}, or {@link
   *     Offload#NONE}
   * @throws UnsupportedOperationException if {@code offload} is not {@link Offload#NONE} and this
   *     device declared no offloads
   * @throws IOException if the link fails or refuses the packet
   */
  default void transmit(ByteBuf packet, int offload) throws IOException {
    if (offload != Offload.NONE) {
      throw new UnsupportedOperationException(this + " declared no offloads, but was given a packet with"
          + " offload metadata 0x" + Integer.toHexString(offload));
    }
    transmit(packet);
  }

  /**
   * Sends the readable bytes of {@code packet} as one packet. The device neither changes the
   * buffer's indices nor releases it, and keeps no reference after returning.
   *
   * @param packet the IP packet in its readable bytes, at most {@link #mtu()} of them
   * @throws IOException if the link fails or refuses the packet, e.g. the device is closed
   */
  void transmit(ByteBuf packet) throws IOException;

  /**
   * Waits until a packet is waiting, {@link #wakeup()} is called, the device is closed, or {@code
   * timeoutNs} passes.
   *
   * @param timeoutNs 0 or less: do not wait; {@link Long#MAX_VALUE}: no limit
   * @return whether a packet is waiting
   * @throws IOException if the link fails, e.g. the TUN device was deleted
   */
  boolean await(long timeoutNs) throws IOException;

  /** Makes a concurrent or the next {@link #await} return promptly. Any thread. */
  void wakeup();

  /**
   * Whether {@link #close()} has not been called yet.
   *
   * @return true until the device is closed
   */
  boolean isOpen();
}
