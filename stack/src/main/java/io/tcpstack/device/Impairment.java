package io.tcpstack.device;

import java.math.BigDecimal;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What a link does wrong, in one direction: loss, duplication, reordering, delay with jitter, bit
 * corruption and a rate limit, with the seed that makes every decision reproducible. Immutable and
 * validated; applied by {@link FaultInjector} (around a real device) and {@link SimulatedNetwork}
 * (between two stacks in virtual time).
 *
 * <p>Each packet, in this order (netem's order, mostly):
 *
 * <ol>
 *   <li><b>loss</b>: dropped with probability {@link #loss()}.
 *   <li><b>dup</b>: with probability {@link #duplicate()}, a second copy follows it; the copy goes
 *       through the steps below on its own (never lost or duplicated again).
 *   <li><b>corrupt</b>: with probability {@link #corrupt()}, one bit chosen uniformly among the
 *       packet's bits is flipped.
 *   <li><b>rate</b>: the link serialises packets at {@link #rateBitsPerSecond()}: a packet leaves
 *       when the packets before it have left plus {@code 8 * length / rate}. At most {@link
 *       #limit()} packets wait for it; more are dropped.
 *   <li><b>delay</b>: then it travels {@link #delayNs()} plus a uniform jitter in
 *       {@code [-jitterNs, +jitterNs]} (never less than zero). Jitter reorders, as it does in netem.
 *   <li><b>reorder</b>: with probability {@link #reorder()}, the packet is held back until the next
 *       later packet of that direction has been released, and goes right after it; a packet with no
 *       successor is released {@link #REORDER_HOLD_NS} after its due time.
 * </ol>
 *
 * <p>The user syntax ({@link #parse}, {@code ./tcpstack serve --impair}) follows Linux tc's units:
 * {@code loss=5%,dup=1%,reorder=10%,delay=10ms,jitter=5ms,corrupt=0.1%,rate=100mbit,limit=1000,seed=42}.
 * {@link #toString()} gives that canonical form back, without the items left at their defaults.
 */
public final class Impairment {

  /** How long a reordered packet waits at most for a successor to overtake it. */
  public static final long REORDER_HOLD_NS = 10_000_000L;
  /** Packets waiting for the rate limiter, by default (netem's default {@code limit}). */
  public static final int DEFAULT_LIMIT = 1000;
  /** The largest {@link #limit()}, in packets. */
  public static final int MAX_LIMIT = 1_000_000;
  /** The largest delay or jitter, one hour: enough for any test, far from overflowing a long. */
  public static final long MAX_TIME_NS = 3_600_000_000_000L;
  /** The largest {@link #rateBitsPerSecond()}: 10^12 bit/s (1000 gbit). */
  public static final long MAX_RATE_BITS_PER_SECOND = 1_000_000_000_000L;
  /** The seed of an impairment that sets none. */
  public static final long DEFAULT_SEED = 0;

  /** A perfect link. */
  public static final Impairment NONE = builder().build();

  private static final List<String> KEYS =
      List.of("loss", "dup", "reorder", "delay", "jitter", "corrupt", "rate", "limit", "seed");
  private static final Pattern PERCENT = Pattern.compile("(\\d+(?:\\.\\d+)?)%");
  private static final Pattern TIME = Pattern.compile("(\\d+(?:\\.\\d+)?)(us|ms|s)");
  private static final Pattern RATE = Pattern.compile("(\\d+(?:\\.\\d+)?)(bit|kbit|mbit|gbit)");
  private static final Pattern INTEGER = Pattern.compile("-?\\d{1,19}");

  private final double loss;
  private final double duplicate;
  private final double reorder;
  private final double corrupt;
  private final long delayNs;
  private final long jitterNs;
  private final long rateBitsPerSecond;
  private final int limit;
  private final long seed;

  private Impairment(Builder b) {
    this.loss = b.loss;
    this.duplicate = b.duplicate;
    this.reorder = b.reorder;
    this.corrupt = b.corrupt;
    this.delayNs = b.delayNs;
    this.jitterNs = b.jitterNs;
    this.rateBitsPerSecond = b.rateBitsPerSecond;
    this.limit = b.limit;
    this.seed = b.seed;
  }

  /**
   * Starts an impairment from a perfect link ({@link #NONE}).
   *
   * @return a new builder with every value at its default
   */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * A builder holding this impairment's values, to change some of them.
   *
   * @return a new builder; changing it does not change this impairment
   */
  public Builder toBuilder() {
    Builder b = new Builder();
    b.loss = loss;
    b.duplicate = duplicate;
    b.reorder = reorder;
    b.corrupt = corrupt;
    b.delayNs = delayNs;
    b.jitterNs = jitterNs;
    b.rateBitsPerSecond = rateBitsPerSecond;
    b.limit = limit;
    b.seed = seed;
    return b;
  }

  /**
   * Probability, 0..1, that a packet is dropped.
   *
   * @return the loss probability
   */
  public double loss() {
    return loss;
  }

  /**
   * Probability, 0..1, that a packet is sent twice.
   *
   * @return the duplication probability
   */
  public double duplicate() {
    return duplicate;
  }

  /**
   * Probability, 0..1, that a packet is held back until a later one has gone.
   *
   * @return the reordering probability
   */
  public double reorder() {
    return reorder;
  }

  /**
   * Probability, 0..1, that one bit of a packet is flipped.
   *
   * @return the corruption probability
   */
  public double corrupt() {
    return corrupt;
  }

  /**
   * How long every packet travels, before jitter.
   *
   * @return the delay in nanoseconds, 0 to {@link #MAX_TIME_NS}
   */
  public long delayNs() {
    return delayNs;
  }

  /**
   * Half-width of the uniform jitter added to {@link #delayNs()}.
   *
   * @return the jitter in nanoseconds, 0 to {@link #MAX_TIME_NS}
   */
  public long jitterNs() {
    return jitterNs;
  }

  /**
   * The link's rate, or 0 for no limit.
   *
   * @return the rate in bits per second, 0 to {@link #MAX_RATE_BITS_PER_SECOND}
   */
  public long rateBitsPerSecond() {
    return rateBitsPerSecond;
  }

  /**
   * Packets that may wait for the rate limiter; beyond it they are dropped.
   *
   * @return the limit in packets, 1 to {@link #MAX_LIMIT}; {@link #DEFAULT_LIMIT} unless set
   */
  public int limit() {
    return limit;
  }

  /**
   * The seed of the random streams that make every decision.
   *
   * @return the seed; {@link #DEFAULT_SEED} unless set
   */
  public long seed() {
    return seed;
  }

  /**
   * Whether this changes anything at all (the seed alone does not).
   *
   * @return true if no packet is ever dropped, duplicated, reordered, corrupted or delayed
   */
  public boolean isNone() {
    return loss == 0 && duplicate == 0 && reorder == 0 && corrupt == 0 && delayNs == 0 && jitterNs == 0
        && rateBitsPerSecond == 0;
  }

  /**
   * The random source of one direction ({@code stream} 0, 1, ...): independent streams split from
   * {@link #seed()}, so the two directions of a link never make correlated decisions.
   */
  SplittableRandom random(int stream) {
    SplittableRandom root = new SplittableRandom(seed);
    SplittableRandom r = root.split();
    for (int i = 0; i < stream; i++) {
      r = root.split();
    }
    return r;
  }

  /**
   * Parses the user syntax: comma-separated {@code key=value} items, each key at most once.
   *
   * <table>
   *   <caption>keys</caption>
   *   <tr><th>key<th>value
   *   <tr><td>loss, dup, reorder, corrupt<td>percentage 0..100 with {@code %}, decimals allowed: {@code 5%}, {@code 0.1%}
   *   <tr><td>delay, jitter<td>time with {@code us}, {@code ms} or {@code s}: {@code 10ms}, {@code 1.5ms}
   *   <tr><td>rate<td>bits per second with {@code bit}, {@code kbit}, {@code mbit} or {@code gbit} (powers of 1000, as in tc)
   *   <tr><td>limit<td>packets waiting for the rate limiter, 1..1000000 (needs {@code rate})
   *   <tr><td>seed<td>a whole number (default 0)
   * </table>
   *
   * <p>{@code none} alone is {@link #NONE}. Keys and units are case-insensitive; spaces around items
   * are ignored.
   *
   * @param spec the items, e.g. {@code loss=5%,delay=10ms}, or {@code none}; not null
   * @return the impairment; {@link #NONE} for {@code none}
   * @throws NullPointerException if {@code spec} is null
   * @throws IllegalArgumentException with one line naming the bad item and what is allowed
   */
  public static Impairment parse(String spec) {
    Objects.requireNonNull(spec, "spec");
    String whole = spec.trim();
    if (whole.isEmpty()) {
      throw new IllegalArgumentException("impairment '" + spec + "': empty; give key=value items (e.g. loss=5%,delay=10ms) or none");
    }
    if (whole.equalsIgnoreCase("none")) {
      return NONE;
    }
    Builder b = builder();
    Set<String> seen = new HashSet<>();
    boolean limitGiven = false;
    String limitItem = null;
    for (String raw : whole.split(",", -1)) {
      String item = raw.trim();
      if (item.isEmpty()) {
        throw new IllegalArgumentException("impairment '" + spec + "': empty item (two commas, or one at an end)");
      }
      int eq = item.indexOf('=');
      if (eq < 0) {
        throw new IllegalArgumentException("impairment '" + item + "': expected key=value (e.g. loss=5%)");
      }
      String key = item.substring(0, eq).trim().toLowerCase(Locale.ROOT);
      String value = item.substring(eq + 1).trim().toLowerCase(Locale.ROOT);
      if (!KEYS.contains(key)) {
        throw new IllegalArgumentException(
            "impairment '" + item + "': unknown key '" + key + "' (allowed: " + String.join(", ", KEYS) + ")");
      }
      if (!seen.add(key)) {
        throw new IllegalArgumentException("impairment '" + item + "': " + key + " is given twice");
      }
      switch (key) {
        case "loss":
          b.loss(percent(item, value));
          break;
        case "dup":
          b.duplicate(percent(item, value));
          break;
        case "reorder":
          b.reorder(percent(item, value));
          break;
        case "corrupt":
          b.corrupt(percent(item, value));
          break;
        case "delay":
          b.delayNs(time(item, value));
          break;
        case "jitter":
          b.jitterNs(time(item, value));
          break;
        case "rate":
          b.rateBitsPerSecond(rate(item, value));
          break;
        case "limit":
          b.limit(limit(item, value));
          limitGiven = true;
          limitItem = item;
          break;
        default:
          b.seed(seed(item, value));
          break;
      }
    }
    if (limitGiven && b.rateBitsPerSecond == 0) {
      throw new IllegalArgumentException("impairment '" + limitItem + "': limit is the rate limiter's queue; give rate= too (e.g. rate=10mbit,limit=100)");
    }
    return b.build();
  }

  private static double percent(String item, String value) {
    Matcher m = PERCENT.matcher(value);
    if (!m.matches()) {
      throw new IllegalArgumentException("impairment '" + item + "': a percentage is a number followed by % (e.g. 5% or 0.1%)");
    }
    BigDecimal p = new BigDecimal(m.group(1));
    if (p.compareTo(BigDecimal.valueOf(100)) > 0) {
      throw new IllegalArgumentException("impairment '" + item + "': a percentage must be 0..100");
    }
    return p.movePointLeft(2).doubleValue();
  }

  private static long time(String item, String value) {
    Matcher m = TIME.matcher(value);
    if (!m.matches()) {
      throw new IllegalArgumentException("impairment '" + item + "': a time is a number followed by us, ms or s (e.g. 10ms)");
    }
    int exponent = m.group(2).equals("s") ? 9 : m.group(2).equals("ms") ? 6 : 3;
    BigDecimal ns = new BigDecimal(m.group(1)).movePointRight(exponent);
    if (ns.compareTo(BigDecimal.valueOf(MAX_TIME_NS)) > 0) {
      throw new IllegalArgumentException("impairment '" + item + "': a time must be at most 3600s");
    }
    if (ns.stripTrailingZeros().scale() > 0) {
      throw new IllegalArgumentException("impairment '" + item + "': a time must be a whole number of nanoseconds");
    }
    return ns.longValueExact();
  }

  private static long rate(String item, String value) {
    Matcher m = RATE.matcher(value);
    if (!m.matches()) {
      throw new IllegalArgumentException("impairment '" + item + "': a rate is a number followed by bit, kbit, mbit or gbit (e.g. 100mbit)");
    }
    String unit = m.group(2);
    int exponent = unit.equals("gbit") ? 9 : unit.equals("mbit") ? 6 : unit.equals("kbit") ? 3 : 0;
    BigDecimal bits = new BigDecimal(m.group(1)).movePointRight(exponent);
    if (bits.compareTo(BigDecimal.valueOf(MAX_RATE_BITS_PER_SECOND)) > 0 || bits.compareTo(BigDecimal.ONE) < 0) {
      throw new IllegalArgumentException("impairment '" + item + "': a rate must be 1bit..1000gbit");
    }
    if (bits.stripTrailingZeros().scale() > 0) {
      throw new IllegalArgumentException("impairment '" + item + "': a rate must be a whole number of bits per second");
    }
    return bits.longValueExact();
  }

  private static int limit(String item, String value) {
    if (value.matches("\\d{1,7}")) {
      int n = Integer.parseInt(value);
      if (n >= 1 && n <= MAX_LIMIT) {
        return n;
      }
    }
    throw new IllegalArgumentException("impairment '" + item + "': limit is a number of packets from 1 to " + MAX_LIMIT);
  }

  private static long seed(String item, String value) {
    if (INTEGER.matcher(value).matches()) {
      try {
        return Long.parseLong(value);
      } catch (NumberFormatException e) {
        // reported below
      }
    }
    throw new IllegalArgumentException("impairment '" + item + "': a seed is a whole number (e.g. 42)");
  }

  /** The canonical spec: {@link #parse} gives back an equal impairment; {@code none} for {@link #NONE}. */
  @Override
  public String toString() {
    StringBuilder s = new StringBuilder();
    item(s, "loss", loss);
    item(s, "dup", duplicate);
    item(s, "reorder", reorder);
    if (delayNs != 0) {
      append(s, "delay", formatTime(delayNs));
    }
    if (jitterNs != 0) {
      append(s, "jitter", formatTime(jitterNs));
    }
    item(s, "corrupt", corrupt);
    if (rateBitsPerSecond != 0) {
      append(s, "rate", formatRate(rateBitsPerSecond));
      if (limit != DEFAULT_LIMIT) {
        append(s, "limit", Integer.toString(limit));
      }
    }
    if (seed != DEFAULT_SEED) {
      append(s, "seed", Long.toString(seed));
    }
    return s.length() == 0 ? "none" : s.toString();
  }

  private static void item(StringBuilder s, String key, double probability) {
    if (probability != 0) {
      // BigDecimal.valueOf uses the shortest decimal that identifies the double, so 0.001 → "0.1".
      append(s, key, plain(BigDecimal.valueOf(probability).movePointRight(2)) + "%");
    }
  }

  private static void append(StringBuilder s, String key, String value) {
    if (s.length() > 0) {
      s.append(',');
    }
    s.append(key).append('=').append(value);
  }

  private static String formatTime(long ns) {
    if (ns >= 1_000_000_000L) {
      return plain(BigDecimal.valueOf(ns, 9)) + "s";
    }
    if (ns >= 1_000_000L) {
      return plain(BigDecimal.valueOf(ns, 6)) + "ms";
    }
    return plain(BigDecimal.valueOf(ns, 3)) + "us";
  }

  private static String formatRate(long bits) {
    if (bits >= 1_000_000_000L) {
      return plain(BigDecimal.valueOf(bits, 9)) + "gbit";
    }
    if (bits >= 1_000_000L) {
      return plain(BigDecimal.valueOf(bits, 6)) + "mbit";
    }
    if (bits >= 1_000L) {
      return plain(BigDecimal.valueOf(bits, 3)) + "kbit";
    }
    return bits + "bit";
  }

  private static String plain(BigDecimal d) {
    return d.stripTrailingZeros().toPlainString();
  }

  @Override
  public boolean equals(Object o) {
    if (!(o instanceof Impairment)) {
      return false;
    }
    Impairment i = (Impairment) o;
    return loss == i.loss && duplicate == i.duplicate && reorder == i.reorder && corrupt == i.corrupt
        && delayNs == i.delayNs && jitterNs == i.jitterNs && rateBitsPerSecond == i.rateBitsPerSecond
        && limit == i.limit && seed == i.seed;
  }

  @Override
  public int hashCode() {
    return Objects.hash(loss, duplicate, reorder, corrupt, delayNs, jitterNs, rateBitsPerSecond, limit, seed);
  }

  /** Builds an {@link Impairment}; each setter checks its argument and says what is allowed. */
  public static final class Builder {
    private double loss;
    private double duplicate;
    private double reorder;
    private double corrupt;
    private long delayNs;
    private long jitterNs;
    private long rateBitsPerSecond;
    private int limit = DEFAULT_LIMIT;
    private long seed = DEFAULT_SEED;

    private Builder() {}

    /**
     * Probability 0..1 (not a percentage) that a packet is dropped.
     *
     * @param probability 0 to 1; default 0
     * @return this builder
     * @throws IllegalArgumentException if {@code probability} is outside 0..1 or NaN
     */
    public Builder loss(double probability) {
      this.loss = probability("loss", probability);
      return this;
    }

    /**
     * Probability 0..1 (not a percentage) that a packet is sent twice.
     *
     * @param probability 0 to 1; default 0
     * @return this builder
     * @throws IllegalArgumentException if {@code probability} is outside 0..1 or NaN
     */
    public Builder duplicate(double probability) {
      this.duplicate = probability("duplicate", probability);
      return this;
    }

    /**
     * Probability 0..1 (not a percentage) that a packet is held back until a later one has gone.
     *
     * @param probability 0 to 1; default 0
     * @return this builder
     * @throws IllegalArgumentException if {@code probability} is outside 0..1 or NaN
     */
    public Builder reorder(double probability) {
      this.reorder = probability("reorder", probability);
      return this;
    }

    /**
     * Probability 0..1 (not a percentage) that one bit of a packet is flipped.
     *
     * @param probability 0 to 1; default 0
     * @return this builder
     * @throws IllegalArgumentException if {@code probability} is outside 0..1 or NaN
     */
    public Builder corrupt(double probability) {
      this.corrupt = probability("corrupt", probability);
      return this;
    }

    /**
     * How long every packet travels, before jitter.
     *
     * @param delayNs the delay in nanoseconds, 0 to {@link #MAX_TIME_NS}; default 0
     * @return this builder
     * @throws IllegalArgumentException if {@code delayNs} is out of range
     */
    public Builder delayNs(long delayNs) {
      this.delayNs = time("delay", delayNs);
      return this;
    }

    /**
     * Half-width of the uniform jitter added to the delay; the result is never below zero.
     *
     * @param jitterNs the jitter in nanoseconds, 0 to {@link #MAX_TIME_NS}; default 0
     * @return this builder
     * @throws IllegalArgumentException if {@code jitterNs} is out of range
     */
    public Builder jitterNs(long jitterNs) {
      this.jitterNs = time("jitter", jitterNs);
      return this;
    }

    /**
     * The link's rate: packets are serialised at this many bits per second.
     *
     * @param bitsPerSecond 1 to 10^12 ({@link #MAX_RATE_BITS_PER_SECOND}); 0 (the default) removes
     *     the limit
     * @return this builder
     * @throws IllegalArgumentException if {@code bitsPerSecond} is out of range
     */
    public Builder rateBitsPerSecond(long bitsPerSecond) {
      if (bitsPerSecond < 0 || bitsPerSecond > MAX_RATE_BITS_PER_SECOND) {
        throw new IllegalArgumentException("rate must be 0 (no limit) to " + MAX_RATE_BITS_PER_SECOND + " bit/s, got " + bitsPerSecond);
      }
      this.rateBitsPerSecond = bitsPerSecond;
      return this;
    }

    /**
     * Packets that may wait for the rate limiter, 1..{@value #MAX_LIMIT}; beyond it they are
     * dropped.
     *
     * @param packets the limit in packets; default {@value #DEFAULT_LIMIT}
     * @return this builder
     * @throws IllegalArgumentException if {@code packets} is out of range
     */
    public Builder limit(int packets) {
      if (packets < 1 || packets > MAX_LIMIT) {
        throw new IllegalArgumentException("limit must be 1.." + MAX_LIMIT + " packets, got " + packets);
      }
      this.limit = packets;
      return this;
    }

    /**
     * The seed of the random streams: the same seed and the same packets at the same times make
     * the same decisions.
     *
     * @param seed any value; default {@value #DEFAULT_SEED}
     * @return this builder
     */
    public Builder seed(long seed) {
      this.seed = seed;
      return this;
    }

    /**
     * The impairment with the values set so far.
     *
     * @return a new immutable impairment
     */
    public Impairment build() {
      return new Impairment(this);
    }

    private static double probability(String name, double p) {
      if (!(p >= 0 && p <= 1)) {
        throw new IllegalArgumentException(name + " is a probability from 0 to 1 (not a percentage), got " + p);
      }
      return p + 0.0; // -0.0 becomes 0.0, so equals and hashCode agree
    }

    private static long time(String name, long ns) {
      if (ns < 0 || ns > MAX_TIME_NS) {
        throw new IllegalArgumentException(name + " must be 0.." + MAX_TIME_NS + " ns (an hour), got " + ns);
      }
      return ns;
    }
  }
}
