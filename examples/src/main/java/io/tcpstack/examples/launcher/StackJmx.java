package io.tcpstack.examples.launcher;

import io.tcpstack.metrics.StackAccess;
import io.tcpstack.metrics.StackMBean;
import io.tcpstack.runtime.StackRuntime;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The stack's MBean on the JVM's platform MBeanServer while a server runs: {@code
 * io.tcpstack:type=Stack,name=DEVICE@NETNS} ({@link StackMBean}). A stack that cannot register it
 * (a JVM without {@code java.management}, say) runs without it, after one warning.
 */
public final class StackJmx implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(StackJmx.class);
  /** How long a JMX read waits for the stack thread to answer. */
  static final Duration TIMEOUT = Duration.ofSeconds(2);

  private final StackMBean.Registration registration;

  private StackJmx(StackMBean.Registration registration) {
    this.registration = registration;
  }

  /** Registers the MBean of {@code host}'s stack, named after its device and namespace. */
  public static StackJmx register(StackHost host) {
    String netns = host.options().netns;
    return register(host.runtime(), host.deviceName() + (netns == null ? "" : "@" + netns));
  }

  /** Registers the MBean of {@code runtime}'s stack as {@code name} (or {@code name-2}, ... if taken). */
  public static StackJmx register(StackRuntime runtime, String name) {
    try {
      StackMBean.Registration r =
          StackMBean.register(new StackMBean(runtime.counters(), StackAccess.of(runtime, TIMEOUT)), name);
      log.debug("JMX: {}", r.name());
      return new StackJmx(r);
    } catch (RuntimeException | LinkageError e) {
      log.warn("the stack's MBean is not registered: {}", e.toString()); // the stack runs without it
      return new StackJmx(null);
    }
  }

  /** The MBean's name, or null if it is not registered. */
  public javax.management.ObjectName name() {
    return registration == null ? null : registration.name();
  }

  /** Unregisters the MBean (and every connection watched through it). */
  @Override
  public void close() {
    if (registration != null) {
      registration.close();
    }
  }
}
