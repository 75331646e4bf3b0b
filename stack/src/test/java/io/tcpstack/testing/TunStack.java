package io.tcpstack.testing;

import io.tcpstack.StackConfig;
import io.tcpstack.runtime.StackRuntime;
import io.tcpstack.runtime.TunLink;
import io.tcpstack.tun.TunDevice;
import io.tcpstack.wire.Ipv4Address;
import java.io.IOException;

/**
 * The stack running on a real TUN device inside a fresh network namespace: the kernel side is
 * 198.18.0.1/24, the stack 198.18.0.2. Skips (or, under CI=true, fails) without root and TUN.
 * {@link #close()} stops the stack and removes the namespace, device and processes.
 */
public final class TunStack implements AutoCloseable {

  public static final String HOST = "198.18.0.1";
  public static final String STACK = "198.18.0.2";

  private final TestNamespace ns;
  private final StackRuntime runtime;
  private final String device;

  private TunStack(TestNamespace ns, StackRuntime runtime, String device) {
    this.ns = ns;
    this.runtime = runtime;
    this.device = device;
  }

  public static TunStack start() throws IOException {
    Privileged.assumeRootAndTun();
    TestNamespace ns = TestNamespace.create();
    try {
      TunDevice tun = TunDevice.builder()
          .netns(ns.path())
          .hostAddress(Ipv4Address.toInet(Ipv4Address.parse(HOST)), 24)
          .mtu(1500)
          .up(true)
          .open();
      StackConfig config = StackConfig.builder().address(Ipv4Address.parse(STACK), 24).mtu(1500).build();
      return new TunStack(ns, StackRuntime.start(config, new TunLink(tun)), tun.name());
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
