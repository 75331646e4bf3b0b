package io.tcpstack.testing;

import io.netty.buffer.UnpooledByteBufAllocator;

/** What the fuzz targets (docs/fuzzing.md) share. */
public final class Fuzzing {

  /** Not leak-tracked: paranoid tracking records a stack trace at every access. */
  private static final UnpooledByteBufAllocator UNTRACKED = new UnpooledByteBufAllocator(true, true);

  private Fuzzing() {}

  /** Whether Jazzer is fuzzing ({@code JAZZER_FUZZ} set, as Jazzer itself decides) rather than replaying saved inputs. */
  public static boolean fuzzing() {
    String v = System.getenv("JAZZER_FUZZ");
    return v != null && !v.isEmpty() && !v.equals("0") && !v.equalsIgnoreCase("false");
  }

  /**
   * An allocator that checks, at once, that every buffer of one input was released. Replaying saved
   * inputs, its buffers are also leak-tracked, so Netty's paranoid detector watches them (and fails
   * the class through LeakDetectionExtension); fuzzing, they are not, or tracking every access would
   * slow the fuzzer a hundredfold, and the exact per-input check is the oracle.
   */
  public static TrackingAllocator allocator() {
    return new TrackingAllocator(fuzzing() ? UNTRACKED : UnpooledByteBufAllocator.DEFAULT);
  }
}
