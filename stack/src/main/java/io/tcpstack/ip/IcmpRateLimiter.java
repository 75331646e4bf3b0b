package io.tcpstack.ip;

/**
 * Limits the ICMP error messages a host sends, as RFC 1812 §4.3.2.8 and RFC 1122 §3.2.2 ask ("a
 * host SHOULD limit the rate") and as Linux does it, with two token buckets that must both allow a
 * message:
 *
 * <ul>
 *   <li><b>Per destination</b> ({@code net.ipv4.icmp_ratelimit}, 1000 ms): a destination earns one
 *       message per {@link #DEFAULT_RATELIMIT_NS} and saves up to {@link #BURST_FACTOR} of them
 *       (Linux's {@code XRLIM_BURST_FACTOR} in {@code inet_peer_xrlim_allow}): a burst of 6, then
 *       one a second. A destination never seen starts with the full burst.
 *   <li><b>Global</b> ({@code net.ipv4.icmp_msgs_per_sec} 1000, {@code icmp_msgs_burst} 50): at
 *       most 1000 messages a second to everyone together, up to 50 at once.
 * </ul>
 *
 * <p>The per-destination state lives in a fixed table of {@link #TABLE_SLOTS} slots indexed by a
 * hash of the address (Linux keeps it in its {@code inet_peer} cache, also bounded): a destination
 * that lands on a slot held by another takes the slot over with a full burst, so forgetting is the
 * only effect of a collision and the memory stays fixed whatever a scan sends. Unlike Linux's, the
 * global bucket has no random jitter (Linux added it against an ICMP rate side channel used to infer
 * UDP ports, CVE-2020-25705): this stack's UDP sockets answer one address and the limiter is
 * deterministic for tests; the lead may add it.
 *
 * <p>Time is passed in ({@code nowNs}); allocation-free; stack thread only.
 */
public final class IcmpRateLimiter {

  /** Linux's {@code net.ipv4.icmp_ratelimit} default: one message per destination per 1000 ms. */
  public static final long DEFAULT_RATELIMIT_NS = 1_000_000_000L;
  /** Linux's {@code XRLIM_BURST_FACTOR}: a destination saves up at most six messages' worth. */
  public static final int BURST_FACTOR = 6;
  /** Linux's {@code net.ipv4.icmp_msgs_per_sec} default. */
  public static final int DEFAULT_MSGS_PER_SEC = 1000;
  /** Linux's {@code net.ipv4.icmp_msgs_burst} default. */
  public static final int DEFAULT_MSGS_BURST = 50;
  /** Destinations remembered at once (a power of two). */
  public static final int TABLE_SLOTS = 64;

  private static final long NS_PER_SEC = 1_000_000_000L;

  private final long ratelimitNs;
  private final int msgsPerSec;
  private final int msgsBurst;
  private final int[] slotAddress = new int[TABLE_SLOTS];
  private final boolean[] slotUsed = new boolean[TABLE_SLOTS];
  /** Saved-up time per slot, at most {@code BURST_FACTOR * ratelimitNs}; a message costs {@code ratelimitNs}. */
  private final long[] slotTokensNs = new long[TABLE_SLOTS];
  private final long[] slotLastNs = new long[TABLE_SLOTS];
  private int globalCredit;
  private long globalLastNs;
  private boolean started;

  /** Linux's defaults: 1000 ms per destination (burst 6), 1000 messages a second in all (burst 50). */
  public IcmpRateLimiter() {
    this(DEFAULT_RATELIMIT_NS, DEFAULT_MSGS_PER_SEC, DEFAULT_MSGS_BURST);
  }

  /**
   * @param ratelimitNs the time a destination must earn per message; 0: no per-destination limit
   * @param msgsPerSec the global rate; 0: no global limit
   * @param msgsBurst the global bucket's size
   */
  public IcmpRateLimiter(long ratelimitNs, int msgsPerSec, int msgsBurst) {
    if (ratelimitNs < 0 || msgsPerSec < 0 || msgsBurst < 1) {
      throw new IllegalArgumentException("ICMP rate limits must be >= 0 (burst >= 1): ratelimit " + ratelimitNs
          + " ns, " + msgsPerSec + "/s, burst " + msgsBurst);
    }
    this.ratelimitNs = ratelimitNs;
    this.msgsPerSec = msgsPerSec;
    this.msgsBurst = msgsBurst;
    this.globalCredit = msgsBurst;
  }

  /**
   * Whether an ICMP error message to {@code destination} may be sent at {@code nowNs}; if so, its
   * cost is taken from both buckets (if not, from neither).
   */
  public boolean allow(int destination, long nowNs) {
    if (!started) {
      started = true;
      globalLastNs = nowNs;
    }
    refillGlobal(nowNs);
    if (msgsPerSec > 0 && globalCredit == 0) {
      return false;
    }
    if (ratelimitNs > 0) {
      int slot = slot(destination);
      long maxTokens = BURST_FACTOR * ratelimitNs;
      long tokens;
      if (!slotUsed[slot] || slotAddress[slot] != destination) {
        slotUsed[slot] = true;
        slotAddress[slot] = destination;
        tokens = maxTokens;
      } else {
        long elapsed = nowNs - slotLastNs[slot];
        tokens = elapsed >= maxTokens - slotTokensNs[slot] || elapsed < 0 ? maxTokens : slotTokensNs[slot] + elapsed;
      }
      slotLastNs[slot] = nowNs;
      if (tokens < ratelimitNs) {
        slotTokensNs[slot] = tokens;
        return false;
      }
      slotTokensNs[slot] = tokens - ratelimitNs;
    }
    if (msgsPerSec > 0) {
      globalCredit--;
    }
    return true;
  }

  /** Adds the whole messages earned since the last refill, keeping the remainder's time. */
  private void refillGlobal(long nowNs) {
    if (msgsPerSec == 0) {
      return;
    }
    long elapsed = nowNs - globalLastNs;
    if (elapsed <= 0) {
      return;
    }
    long earned = elapsed / NS_PER_SEC * msgsPerSec + elapsed % NS_PER_SEC * msgsPerSec / NS_PER_SEC;
    if (earned == 0) {
      return;
    }
    if (globalCredit + earned >= msgsBurst) {
      globalCredit = msgsBurst;
      globalLastNs = nowNs;
    } else {
      globalCredit += (int) earned;
      globalLastNs += earned * NS_PER_SEC / msgsPerSec;
    }
  }

  private static int slot(int address) {
    int h = address * 0x9E3779B9; // Fibonacci hashing: the high bits mix every bit of the address
    return h >>> (Integer.SIZE - Integer.numberOfTrailingZeros(TABLE_SLOTS));
  }
}
