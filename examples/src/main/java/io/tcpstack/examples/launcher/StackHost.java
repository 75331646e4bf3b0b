package io.tcpstack.examples.launcher;

import io.tcpstack.StackConfig;
import io.tcpstack.device.Device;
import io.tcpstack.device.FaultInjector;
import io.tcpstack.runtime.AddressClash;
import io.tcpstack.runtime.CapturingDevice;
import io.tcpstack.runtime.PcapWriter;
import io.tcpstack.runtime.StackRuntime;
import io.tcpstack.runtime.TunLink;
import io.tcpstack.tun.TunDevice;
import io.tcpstack.wire.IpAddress;
import io.tcpstack.wire.Ipv4Address;
import java.io.IOException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The stack running on a TUN device, set up from {@link ServeOptions}: the namespace (created if
 * asked for and absent), the device with its kernel side configured, wrapped in a {@link
 * FaultInjector} if {@code --impair} asks for one, and the stack loop. {@link #close()} undoes all
 * of it in reverse order, removing the namespace only if it was created here.
 */
public final class StackHost implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(StackHost.class);

  private final ServeOptions options;
  private final boolean createdNetns;
  private final String deviceName;
  private final StackRuntime runtime;
  /** The fault injector around the TUN device, or null without {@code --impair}. */
  private final FaultInjector faults;
  /** The packet capture ({@code --pcap}), or null. */
  private final PcapWriter capture;

  private StackHost(ServeOptions options, boolean createdNetns, String deviceName, StackRuntime runtime,
      FaultInjector faults, PcapWriter capture) {
    this.capture = capture;
    this.options = options;
    this.createdNetns = createdNetns;
    this.deviceName = deviceName;
    this.runtime = runtime;
    this.faults = faults;
  }

  /**
   * Refuses a subnet that another interface in the namespace already has ({@link AddressClash}) —
   * most often another tcpstack still running there. Linux would accept the second address, but its
   * route would keep sending the subnet's packets to the first device: the new stack would never
   * hear a thing. Best effort: without the {@code ip} command there is no check.
   */
  static void refuseAddressClash(ServeOptions options) throws IOException {
    String clash = AddressClash.check(options.netns, options.tun, IpAddress.ofIpv4(options.hostAddress),
        options.prefixLength);
    if (clash != null) {
      throw new IOException(clash + " (another tcpstack still running?); pick another subnet, e.g. --address 198.18.1.2/24");
    }
    if (options.hostAddress6 == null) {
      return;
    }
    String clash6 = AddressClash.check(options.netns, options.tun, options.hostAddress6, options.prefixLength6);
    if (clash6 != null) {
      throw new IOException(clash6 + " (another tcpstack still running?); pick another prefix, e.g. --address6"
          + " fd00:7463:7073:1::2/64, or --address6 off");
    }
  }

  public static StackHost open(ServeOptions options) throws IOException {
    return open(options, false);
  }

  /**
   * As {@link #open(ServeOptions)}; with {@code drivenByCaller} the runtime has no thread of its
   * own ({@link StackRuntime#open}): the caller drives it, e.g. a Netty event loop.
   */
  public static StackHost open(ServeOptions options, boolean drivenByCaller) throws IOException {
    boolean created = false;
    if (options.netns != null && !Netns.exists(options.netns)) {
      Netns.add(options.netns);
      created = true;
    }
    TunDevice tun = null;
    PcapWriter capture = null;
    try {
      refuseAddressClash(options);
      TunDevice.Builder builder = TunDevice.builder()
          .hostAddress(Ipv4Address.toInet(options.hostAddress), options.prefixLength)
          .mtu(options.mtu)
          .txQueueLength(TunLink.TX_QUEUE_PACKETS) // raised, never lowered; best effort on a prepared device
          .up(true);
      if (options.offload) {
        // Negotiated: a kernel or a prepared device that refuses gives plain TUN, with one log line.
        builder.vnetHeader(true).offloads(TunLink.TUN_OFFLOADS);
      }
      if (options.hostAddress6 != null) {
        builder.hostAddress6((java.net.Inet6Address) options.hostAddress6.toInet(), options.prefixLength6)
            .hostAddress6Optional(!options.address6Explicit);
      }
      if (options.tun != null) {
        builder.name(options.tun);
      }
      if (options.netns != null) {
        builder.netns(Netns.path(options.netns)).loopbackUp(true);
      }
      tun = builder.open();
      if (options.hostAddress6 != null && !tun.hasHostAddress6()) {
        options = options.withoutIpv6(); // a prepared device without IPv6, and no right to add it: IPv4 only
      }
      // Without offloads every packet is a write(2) in which the kernel runs its receive path: a
      // thread of its own for those writes keeps the stack thread reading and building.
      StackConfig config = options.stackConfig()
          .transmitThread(tun.vnetHeaderSize() == 0 || !options.impairment.isNone())
          .build();
      // Below an impairment, super-segments are cut into packets first: loss and corruption are per packet.
      Device link = new TunLink(tun, !options.impairment.isNone());
      if (options.capture != null) {
        // Right on the TUN link, below any impairment: the file shows what Linux saw. The clock is
        // the runtime's, System.nanoTime.
        capture = openCapture(options.capture);
        link = new CapturingDevice(link, capture);
      }
      FaultInjector faults = null;
      if (!options.impairment.isNone()) {
        // The runtime's clock is System.nanoTime, so the injector's must be too.
        faults = new FaultInjector(link, options.impairment, System::nanoTime, config.allocator());
        link = faults;
      }
      StackRuntime runtime = drivenByCaller ? StackRuntime.open(config, link, System::nanoTime)
          : StackRuntime.start(config, link);
      return new StackHost(options, created, tun.name(), runtime, faults, capture);
    } catch (IOException | RuntimeException e) {
      if (tun != null) {
        tun.close();
      }
      if (capture != null) {
        capture.close();
      }
      if (created) {
        deleteNetns(options.netns);
      }
      throw e;
    }
  }

  private static PcapWriter openCapture(CaptureOptions capture) throws IOException {
    try {
      return PcapWriter.open(capture.file, capture.limit, capture.files, System::nanoTime);
    } catch (IOException e) {
      throw new IOException("cannot write the capture file " + capture.file + ": " + e, e);
    }
  }

  public StackRuntime runtime() {
    return runtime;
  }

  /** The options the stack was opened with (addresses, namespace, MTU). */
  public ServeOptions options() {
    return options;
  }

  public String deviceName() {
    return deviceName;
  }

  /** The fault injector around the device, or null when the link is not impaired. */
  public FaultInjector faults() {
    return faults;
  }

  /** One line for people: where the stack is and how to reach it. */
  public String describe() {
    String where = options.netns == null ? "" : " in netns " + options.netns;
    boolean v6 = options.stackAddress6 != null;
    return "stack " + Ipv4Address.toString(options.stackAddress) + (v6 ? " and " + options.stackAddress6 : "")
        + " on " + deviceName + where
        + ", host side " + Ipv4Address.toString(options.hostAddress) + "/" + options.prefixLength
        + (v6 ? " and " + options.hostAddress6 + "/" + options.prefixLength6 : "")
        + ", mtu " + options.mtu
        + (faults == null ? "" : ", impaired " + options.impairment)
        + (capture == null ? "" : ", capturing to " + capture.file());
  }

  @Override
  public void close() {
    runtime.close(); // closes the device, and the capture with it: every packet is in the file
    log.info("counters: {}", runtime.counters());
    if (capture != null) {
      log.info("capture: {} packets to {}{}{}", capture.packets(), capture.file(),
          capture.rotations() == 0 ? "" : " (" + capture.rotations() + " times full, older files " + capture.rotated(1)
              + " ...)",
          capture.failure() == null ? "" : "; stopped early: " + capture.failure());
    }
    if (faults != null) {
      log.info("impairment {}: sent [{}] received [{}]", options.impairment, faults.transmitCounters(),
          faults.receiveCounters());
    }
    if (createdNetns) {
      deleteNetns(options.netns);
    }
  }

  private static void deleteNetns(String name) {
    try {
      Netns.delete(name);
    } catch (IOException e) {
      log.warn("could not remove network namespace {}: {}", name, e.getMessage());
    }
  }
}
