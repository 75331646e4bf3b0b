package io.tcpstack.examples.launcher;

import com.sun.management.HotSpotDiagnosticMXBean;
import java.lang.management.ManagementFactory;

/**
 * The JVM's memory limits as the launcher set them (see {@code ./tcpstack} and docs/usage.md, "JVM
 * settings"), and what to say when one of them is hit: one line naming the limit and the option
 * that raises it.
 */
public final class JvmMemory {

  private JvmMemory() {}

  /** The most direct memory the JVM gives out ({@code -XX:MaxDirectMemorySize}; by default, the heap's maximum). */
  public static long maxDirectMemory() {
    long set = vmOption("MaxDirectMemorySize");
    return set > 0 ? set : maxHeap();
  }

  /** The heap's maximum ({@code -Xmx}). */
  public static long maxHeap() {
    long set = vmOption("MaxHeapSize");
    return set > 0 ? set : Runtime.getRuntime().maxMemory();
  }

  private static long vmOption(String name) {
    try {
      HotSpotDiagnosticMXBean vm = ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class);
      return Long.parseLong(vm.getVMOption(name).getValue());
    } catch (RuntimeException | LinkageError e) {
      return -1; // not a HotSpot JVM: no opinion
    }
  }

  /**
   * The warning for a {@code --buffer-memory} the JVM's direct memory cannot hold, or null: TCP
   * buffers are direct, so they would run out of memory before reaching their own limit.
   */
  public static String bufferMemoryWarning(long bufferMemory) {
    long direct = maxDirectMemory();
    if (bufferMemory <= direct) {
      return null;
    }
    return "--buffer-memory " + ServeOptions.human(bufferMemory) + " is more than the JVM's direct memory ("
        + megabytes(direct) + "), which holds the TCP buffers; raise it too, e.g. TCPSTACK_JAVA_OPTS=-XX:MaxDirectMemorySize="
        + megabytes(bufferMemory + (64L << 20));
  }

  /** The one line for an {@link OutOfMemoryError}: which memory, its limit, and what to change. */
  public static String outOfMemory(Throwable e) {
    String what = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    boolean direct = what.contains("direct buffer memory") || e.getClass().getSimpleName().equals("OutOfDirectMemoryError");
    String raise = direct
        ? "-XX:MaxDirectMemorySize=" + megabytes(2 * maxDirectMemory()) + " (now " + megabytes(maxDirectMemory()) + ")"
        : "-Xmx" + megabytes(2 * maxHeap()) + " (now " + megabytes(maxHeap()) + ")";
    return "out of memory (" + what + "); raise TCPSTACK_JAVA_OPTS=" + raise
        + " or lower --max-connections/--buffer-memory";
  }

  /** {@code bytes} in whole mebibytes, rounded up, as the JVM's options write them: {@code 320m}. */
  static String megabytes(long bytes) {
    return ((bytes + (1L << 20) - 1) >> 20) + "m";
  }
}
