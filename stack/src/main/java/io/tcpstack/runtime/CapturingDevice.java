package io.tcpstack.runtime;

import io.netty.buffer.ByteBuf;
import io.tcpstack.device.Device;
import java.io.IOException;
import java.util.Objects;

/**
 * A {@link Device} that records every packet it receives and transmits to a {@link PcapWriter},
 * then passes it on unchanged. Wrapped directly around the {@link TunLink}, it records what Linux
 * handed over and what it was given — the IP packets, without the virtio-net header. A TCP
 * super-segment is recorded whole, as one packet of up to 64 KiB, the way tcpdump on Linux shows
 * one a GSO-capable interface sends; its TCP checksum is then the partial one (the pseudo-header's
 * sum) that the kernel completes, which Wireshark shows as unverified.
 *
 * <p>A packet to transmit is recorded before it is written, so the kernel's answer, which the
 * write may already produce, comes later in the file even when another thread writes
 * ({@link TransmitThread}); a write that then fails is counted by the runtime as usual. The writer
 * takes a lock per record. A stack without capture has no such device and pays nothing.
 *
 * <p>Closing closes the wrapped device, then the writer (which writes out what it buffered).
 */
public final class CapturingDevice implements Device {

  private final Device device;
  private final PcapWriter writer;

  /**
   * Records what crosses {@code device} to {@code writer}.
   *
   * @param device the device to wrap, normally the {@link TunLink}; not null; closed by {@link
   *     #close()}
   * @param writer where packets are recorded; not null; closed by {@link #close()}
   * @throws NullPointerException if either is null
   */
  public CapturingDevice(Device device, PcapWriter writer) {
    this.device = Objects.requireNonNull(device, "device");
    this.writer = Objects.requireNonNull(writer, "writer");
  }

  /**
   * The writer packets go to.
   *
   * @return the writer given at construction
   */
  public PcapWriter writer() {
    return writer;
  }

  @Override
  public int mtu() {
    return device.mtu();
  }

  @Override
  public int receive(ByteBuf dst) throws IOException {
    int n = device.receive(dst);
    if (n > 0) {
      writer.write(dst); // the packet is dst's readable bytes (past a link header the device skips)
    }
    return n;
  }

  @Override
  public int receivedOffload() {
    return device.receivedOffload();
  }

  @Override
  public int offloads() {
    return device.offloads();
  }

  @Override
  public int maxReceiveSize() {
    return device.maxReceiveSize();
  }

  @Override
  public void transmit(ByteBuf packet, int offload) throws IOException {
    writer.write(packet);
    device.transmit(packet, offload);
  }

  @Override
  public void transmit(ByteBuf packet) throws IOException {
    writer.write(packet);
    device.transmit(packet);
  }

  @Override
  public boolean await(long timeoutNs) throws IOException {
    return device.await(timeoutNs);
  }

  @Override
  public void wakeup() {
    device.wakeup();
  }

  @Override
  public boolean isOpen() {
    return device.isOpen();
  }

  @Override
  public void close() throws IOException {
    try {
      device.close();
    } finally {
      writer.close();
    }
  }

  @Override
  public String toString() {
    return device + ", captured to " + writer.file();
  }
}
