package io.tcpstack.device;

import io.netty.buffer.ByteBuf;
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

  /** The largest packet, in bytes, {@link #transmit} accepts and {@link #receive} delivers. */
  int mtu();

  /**
   * Reads one packet, if one is waiting, into {@code dst} at its writer index and advances the
   * writer index. Never blocks.
   *
   * @param dst a direct buffer with at least {@link #mtu()} writable bytes; the caller owns it
   * @return the packet's length; 0 if none is waiting; -1 once the device is closed
   */
  int receive(ByteBuf dst) throws IOException;

  /**
   * Sends the readable bytes of {@code packet} as one packet. The device neither changes the
   * buffer's indices nor releases it, and keeps no reference after returning.
   */
  void transmit(ByteBuf packet) throws IOException;

  /**
   * Waits until a packet is waiting, {@link #wakeup()} is called, the device is closed, or {@code
   * timeoutNs} passes.
   *
   * @param timeoutNs 0 or less: do not wait; {@link Long#MAX_VALUE}: no limit
   * @return whether a packet is waiting
   */
  boolean await(long timeoutNs) throws IOException;

  /** Makes a concurrent or the next {@link #await} return promptly. Any thread. */
  void wakeup();

  /** Whether {@link #close()} has not been called yet. */
  boolean isOpen();
}
