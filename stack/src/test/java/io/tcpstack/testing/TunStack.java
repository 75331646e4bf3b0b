package io.tcpstack.testing;

import io.tcpstack.StackConfig;
import io.tcpstack.device.Device;
import io.tcpstack.device.FaultInjector;
import io.tcpstack.device.Impairment;
import io.tcpstack.runtime.StackRuntime;
import io.tcpstack.runtime.TunLink;
import io.tcpstack.tun.TunDevice;
import io.tcpstack.wire.IpAddress;
import io.tcpstack.wire.Ipv4Address;
import java.io.IOException;
import java.util.function.UnaryOperator;

/**
 * The stack running on a real TUN device inside a fresh network namespace: the kernel side is
 * 198.18.0.1/24 and fd00:7463:7073::1/64, the stack 198.18.0.2 and fd00:7463:7073::2. Skips (or, under CI=true, fails) without root and TUN.
 * {@link #close()} stops the stack and removes the namespace, device and processes.
 *
 * <p>{@link #start(Impairment)} puts a {@link FaultInjector} between the stack and the device, as
 * {@code ./tcpstack serve --impair} does; {@link #faults()} then tells what it did.
 */
public final class TunStack implements AutoCloseable {

  public static final String HOST = "198.18.0.1";
  public static final String STACK = "198.18.0.2";
  /** The kernel side's IPv6 address (unique-local, RFC 4193, as {@code serve}'s default). */
  public static final String HOST6 = "fd00:7463:7073::1";
  /** The stack's IPv6 address. */
  public static final String STACK6 = "fd00:7463:7073::2";

  private final TestNamespace ns;
  private final StackRuntime runtime;
  private final String device;
  private final FaultInjector faults; // null on a perfect link

  private TunStack(TestNamespace ns, StackRuntime runtime, String device, FaultInjector faults) {
    this.ns = ns;
    this.runtime = runtime;
    this.device = device;
    this.faults = faults;
  }

  /** The stack on a perfect link: the TUN device itself. */
  public static TunStack start() throws IOException {
    return start(null);
  }

  /**
   * The stack on a plain TUN device (no virtio-net header, one packet per system call, as {@code
   * serve --offload off}): for tests that count or drop single packets with nftables or tc, whose
   * hooks would otherwise see the kernel's and the stack's 64 KiB super-segments.
   */
  public static TunStack startPlain() throws IOException {
    return start(null, 0);
  }

  /**
   * The stack behind a {@link FaultInjector} that impairs both directions as {@code impairment}
   * says (with {@code System::nanoTime} and the stack's allocator, as {@code serve --impair});
   * {@code null} for a perfect link, as {@link #start()}.
   */
  public static TunStack start(Impairment impairment) throws IOException {
    return start(impairment, TunLink.TUN_OFFLOADS);
  }

  /**
   * As {@link #start(Impairment)}, asking the kernel for the TUN_F_* {@code tunOffloads} ({@link
   * TunLink#TUN_OFFLOADS} as {@code serve} does by default; 0 for a plain device without the
   * virtio-net header, as {@code serve --offload off}). Below an impairment the link cuts
   * super-segments into packets, as in {@code serve --impair}.
   */
  public static TunStack start(Impairment impairment, int tunOffloads) throws IOException {
    return start(impairment, tunOffloads, b -> b);
  }

  /**
   * As {@link #start(Impairment, int)}, with the stack's configuration changed by {@code tune}
   * (limits such as {@code maxHalfOpen}).
   */
  public static TunStack start(Impairment impairment, int tunOffloads, UnaryOperator<StackConfig.Builder> tune)
      throws IOException {
    Privileged.assumeRootAndTun();
    TestNamespace ns = TestNamespace.create();
    try {
      TunDevice tun = TunDevice.builder()
          .netns(ns.path())
          .hostAddress(Ipv4Address.toInet(Ipv4Address.parse(HOST)), 24)
          .hostAddress6((java.net.Inet6Address) IpAddress.parse(HOST6).toInet(), 64)
          .mtu(1500)
          .txQueueLength(TunLink.TX_QUEUE_PACKETS)
          .vnetHeader(tunOffloads != 0)
          .offloads(tunOffloads)
          .up(true)
          .open();
      // As serve: a plain device writes from a thread of its own.
      StackConfig config = tune.apply(StackConfig.builder().address(Ipv4Address.parse(STACK), 24)
          .address6(IpAddress.parse(STACK6), 64).mtu(1500)
          .transmitThread(tun.vnetHeaderSize() == 0)).build();
      Device link = new TunLink(tun, impairment != null);
      FaultInjector faults = null;
      if (impairment != null) {
        faults = new FaultInjector(link, impairment, System::nanoTime, config.allocator());
        link = faults;
      }
      try {
        return new TunStack(ns, StackRuntime.start(config, link), tun.name(), faults);
      } catch (RuntimeException e) {
        try {
          link.close(); // the runtime did not take the device over
        } catch (IOException suppressed) {
          e.addSuppressed(suppressed);
        }
        throw e;
      }
    } catch (IOException | RuntimeException e) {
      ns.close();
      throw e;
    }
  }

  public TestNamespace ns() {
    return ns;
  }

  public StackRuntime runtime() {
    return runtime;
  }

  public String device() {
    return device;
  }

  /** The {@link io.tcpstack.ip.Offload} capabilities the link gave the stack. */
  public int linkOffloads() {
    return runtime.stack().ip().linkOffloads();
  }

  /**
   * The fault injector between the stack and the device, for its counters.
   *
   * @throws IllegalStateException if started without an impairment
   */
  public FaultInjector faults() {
    if (faults == null) {
      throw new IllegalStateException("started on a perfect link: use start(Impairment)");
    }
    return faults;
  }

  /** The fault injector, or null on a perfect link. */
  public FaultInjector faultsOrNull() {
    return faults;
  }

  /** Copies a test resource (a python3 peer) to a temporary file that the namespace can run. */
  public static java.nio.file.Path script(String resource) throws IOException {
    java.nio.file.Path file = java.nio.file.Files.createTempFile("tcpstack-", ".py");
    file.toFile().deleteOnExit();
    try (java.io.InputStream in = TunStack.class.getResourceAsStream(resource)) {
      if (in == null) {
        throw new IOException("test resource " + resource + " is missing");
      }
      java.nio.file.Files.copy(in, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }
    return file;
  }

  @Override
  public void close() {
    try {
      runtime.close();
    } finally {
      ns.close();
    }
  }
}
