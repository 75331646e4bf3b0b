package io.tcpstack.runtime;

import io.netty.buffer.ByteBuf;
import io.tcpstack.device.Device;
import io.tcpstack.tun.TunDevice;
import java.io.IOException;

/** A {@link TunDevice} seen as the stack's {@link Device}. Closing the link closes the device. */
public final class TunLink implements Device {

  /**
   * The transmit queue the stack asks of a TUN device it creates (Linux gives a new one 500
   * packets): what the kernel holds for the stack while the loop is busy before it drops. Ten
   * thousand connections that each send at once queue about a packet each, and more with their
   * retransmissions: 4096 dropped 38,000 packets of such a run and 16,384 still 27,000; 65,536
   * dropped none (measured by ScaleIT and against serve). Memory is taken only while packets wait;
   * a full queue of 1500-byte packets is about 150 MB of kernel memory and 0.2 s of queueing.
   */
  public static final int TX_QUEUE_PACKETS = 65_536;

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
