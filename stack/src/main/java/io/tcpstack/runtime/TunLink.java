package io.tcpstack.runtime;

import io.netty.buffer.ByteBuf;
import io.tcpstack.device.Device;
import io.tcpstack.tun.TunDevice;
import java.io.IOException;

/** A {@link TunDevice} seen as the stack's {@link Device}. Closing the link closes the device. */
public final class TunLink implements Device {

  /**
   * The transmit queue the stack asks of a TUN device it creates (Linux gives a new one 500
   * packets): what the kernel holds for the stack while the loop is busy before it drops. A burst
   * of a thousand SYNs, or a window's worth of segments from many connections, fits.
   */
  public static final int TX_QUEUE_PACKETS = 4096;

  private final TunDevice tun;

  public TunLink(TunDevice tun) {
    this.tun = tun;
  }

  /** The underlying TUN device. */
  public TunDevice tun() {
    return tun;
  }

  @Override
  public int mtu() {
    return tun.mtu();
  }

  @Override
  public int receive(ByteBuf dst) throws IOException {
    return tun.read(dst);
  }

  @Override
  public void transmit(ByteBuf packet) throws IOException {
    tun.write(packet);
  }

  @Override
  public boolean await(long timeoutNs) throws IOException {
    return tun.await(timeoutNs);
  }

  @Override
  public void wakeup() {
    tun.wakeup();
  }

  @Override
  public boolean isOpen() {
    return tun.isOpen();
  }

  @Override
  public void close() throws IOException {
    tun.close();
  }

  @Override
  public String toString() {
    return "tun " + tun.name();
  }
}
