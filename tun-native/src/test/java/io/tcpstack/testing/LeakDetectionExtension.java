package io.tcpstack.testing;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.util.ResourceLeakDetector;
import io.netty.util.ResourceLeakDetectorFactory;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Fails a test class when Netty reports a leaked {@link ByteBuf}.
 *
 * <p>Registered for every test through {@code META-INF/services} and JUnit's extension
 * auto-detection. Netty only logs leaks; this replaces its detector factory with one that also
 * records them, and after each test class forces collection and a detector sweep, then fails if
 * anything leaked. Leak detection runs at {@code paranoid} (set in the parent POM and here).
 */
public final class LeakDetectionExtension implements BeforeAllCallback, AfterAllCallback {

  private static final List<String> LEAKS = new ArrayList<>();
  private static volatile boolean installed;

  @Override
  public void beforeAll(ExtensionContext context) {
    install();
    synchronized (LEAKS) {
      LEAKS.clear();
    }
  }

  @Override
  public void afterAll(ExtensionContext context) throws InterruptedException {
    for (int round = 0; round < 3; round++) {
      System.gc();
      System.runFinalization();
      Thread.sleep(20); // lets the reference queue fill; not a timing assertion
      // A tracked allocation makes the detector drain its reference queue and report.
      ByteBuf probe = UnpooledByteBufAllocator.DEFAULT.directBuffer(1);
      probe.release();
    }
    List<String> found;
    synchronized (LEAKS) {
      found = new ArrayList<>(LEAKS);
      LEAKS.clear();
    }
    if (!found.isEmpty()) {
      throw new AssertionError(
          context.getDisplayName() + " leaked " + found.size() + " ByteBuf(s):\n" + String.join("\n", found));
    }
  }

  private static synchronized void install() {
    if (installed) {
      return;
    }
    ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.PARANOID);
    ResourceLeakDetectorFactory.setResourceLeakDetectorFactory(new RecordingFactory());
    installed = true;
  }

  private static final class RecordingFactory extends ResourceLeakDetectorFactory {
    @Override
    @SuppressWarnings("deprecation")
    public <T> ResourceLeakDetector<T> newResourceLeakDetector(
        Class<T> resource, int samplingInterval, long maxActive) {
      return new RecordingDetector<>(resource, samplingInterval);
    }
  }

  private static final class RecordingDetector<T> extends ResourceLeakDetector<T> {
    RecordingDetector(Class<T> resource, int samplingInterval) {
      super(resource, samplingInterval);
    }

    @Override
    protected void reportTracedLeak(String resourceType, String records) {
      record(resourceType + records);
      super.reportTracedLeak(resourceType, records);
    }

    @Override
    protected void reportUntracedLeak(String resourceType) {
      record(resourceType + " (untraced)");
      super.reportUntracedLeak(resourceType);
    }

    @Override
    protected boolean needReport() {
      return true;
    }

    private static void record(String leak) {
      synchronized (LEAKS) {
        LEAKS.add(leak);
      }
    }
  }
}
