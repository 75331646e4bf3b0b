package io.tcpstack.tcp;

import io.tcpstack.tcp.cc.CongestionAlgorithm;
import io.tcpstack.tcp.cc.CongestionControl;
import java.time.Duration;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * Per-connection TCP settings with documented defaults (see {@code docs/usage.md}). Immutable; the
 * API copies one per socket, so sockets can differ.
 */
public final class TcpConfig {

  /** RFC 9293 §3.4.2 defines MSL as 2 minutes "for engineering purposes"; like Linux we use 30 s, so TIME-WAIT lasts 60 s. */
  public static final Duration DEFAULT_MSL = Duration.ofSeconds(30);
  /** RFC 6298 §2.4 says the RTO SHOULD be at least 1 s; like Linux we allow 200 ms, a documented deviation. */
  public static final Duration DEFAULT_MIN_RTO = Duration.ofMillis(200);
  /** RFC 6298 §2.5: a maximum of at least 60 s MAY be placed on the RTO. */
  public static final Duration DEFAULT_MAX_RTO = Duration.ofSeconds(60);
  /** RFC 6298 §2.1: until a sample is taken, RTO is 1 s. */
  public static final Duration DEFAULT_INITIAL_RTO = Duration.ofSeconds(1);
  /**
   * RFC 9293 §3.8.3 (MUST-23): R2 for a SYN is large enough that it is retransmitted for at least 3
   * minutes. 7 retransmissions with the default RTOs (1 s doubling, at most 60 s) send the last at
   * 123 s and give up at 183 s; Linux's 6 ({@code tcp_syn_retries}) give up at about 127 s, short of it.
   * The same count bounds our SYN-ACK's retransmissions in SYN-RECEIVED.
   */
  public static final int DEFAULT_SYN_RETRIES = 7;
  /** RFC 1122 §4.2.3.5: R2 at least 100 s; 15 retransmissions, as Linux's tcp_retries2 (~15 min with backoff). */
  public static final int DEFAULT_DATA_RETRIES = 15;
  /**
   * RFC 9293 §3.8.3 R1: after this many consecutive retransmissions of a segment (by timeout, the
   * SYN's too) the application is told, once, with {@link TcpEvents#onSoftError} and {@link
   * TcpError#RETRANSMITTING} (SHLD-9, MUST-47), while the connection goes on towards R2 ({@link
   * Builder#retries}). 3, the least SHLD-10 allows. Unlike the RFC's R1 it gives no negative advice
   * to IP, which has one link and no other route to try.
   */
  public static final int R1_RETRIES = 3;
  public static final int DEFAULT_BUFFER_SIZE = 256 * 1024;
  /**
   * RFC 5681 §4.2: an ACK MUST be generated within 500 ms; the issue asks at most 200 ms. Like
   * Linux's minimum we wait 40 ms, which keeps the cost of a delayed ACK small when one does stall.
   */
  public static final Duration DEFAULT_DELAYED_ACK = Duration.ofMillis(40);
  /** RFC 5681 §4.2 upper bound on the delayed-ACK timeout. */
  public static final Duration RFC5681_MAX_ACK_DELAY = Duration.ofMillis(500);
  /** RFC 1122 §4.2.3.6: the keep-alive interval MUST default to no less than two hours. */
  public static final Duration DEFAULT_KEEPALIVE_IDLE = Duration.ofHours(2);
  /** Between unanswered keep-alive probes (Linux's tcp_keepalive_intvl). */
  public static final Duration DEFAULT_KEEPALIVE_INTERVAL = Duration.ofSeconds(75);
  /** Unanswered probes after which the peer is declared dead (Linux's tcp_keepalive_probes). */
  public static final int DEFAULT_KEEPALIVE_PROBES = 9;
  /**
   * How long a connection the application has let go of may wait in FIN-WAIT-2 for the peer's FIN
   * (Linux's {@code tcp_fin_timeout}, 60 s); RFC 9293 sets no limit, so a peer that never closes
   * would otherwise hold it forever.
   */
  public static final Duration DEFAULT_FIN_WAIT_2_TIMEOUT = Duration.ofSeconds(60);
  /**
   * No user timeout (RFC 9293 §3.10.8, RFC 5482): a connection whose data goes unacknowledged
   * fails only when its retransmissions run out ({@link #DEFAULT_DATA_RETRIES}), as Linux's {@code
   * TCP_USER_TIMEOUT} of 0.
   */
  public static final Duration NO_USER_TIMEOUT = Duration.ZERO;
  /** RFC 1122 §3.2.1.7 leaves the default TTL to the host: 64, as the IP layers' own (and Linux's). */
  public static final int DEFAULT_TTL = 64;

  final int sendBufferSize;
  final int receiveBufferSize;
  final long mslNs;
  final long minRtoNs;
  final long maxRtoNs;
  final long initialRtoNs;
  final int synRetries;
  final int dataRetries;
  final boolean noDelay;
  final boolean windowScaling;
  final boolean sack;
  final boolean timestamps;
  final long delayedAckNs;
  final boolean keepAlive;
  final long keepAliveIdleNs;
  final long keepAliveIntervalNs;
  final int keepAliveProbes;
  final long finWait2TimeoutNs;
  /** The user timeout in ns (RFC 5482); 0: none. */
  final long userTimeoutNs;
  /** The connection's algorithm; null: the stack's ({@code StackConfig.congestionControl}). */
  final Supplier<CongestionControl> congestionControl;
  /** The DSCP of the connection's segments (RFC 9293 §3.9.1.9, MUST-48). */
  final int dscp;
  /** The TTL (IPv4) or hop limit (IPv6) of the connection's segments (RFC 9293 §3.9.2, MUST-49). */
  final int ttl;

  private TcpConfig(Builder b) {
    this.sendBufferSize = b.sendBufferSize;
    this.receiveBufferSize = b.receiveBufferSize;
    this.mslNs = b.msl.toNanos();
    this.minRtoNs = b.minRto.toNanos();
    this.maxRtoNs = b.maxRto.toNanos();
    this.initialRtoNs = b.initialRto.toNanos();
    this.synRetries = b.synRetries;
    this.dataRetries = b.dataRetries;
    this.noDelay = b.noDelay;
    this.windowScaling = b.windowScaling;
    this.sack = b.sack;
    this.timestamps = b.timestamps;
    this.delayedAckNs = b.delayedAck.toNanos();
    this.keepAlive = b.keepAlive;
    this.keepAliveIdleNs = b.keepAliveIdle.toNanos();
    this.keepAliveIntervalNs = b.keepAliveInterval.toNanos();
    this.keepAliveProbes = b.keepAliveProbes;
    this.finWait2TimeoutNs = b.finWait2Timeout.toNanos();
    this.userTimeoutNs = b.userTimeout.toNanos();
    this.congestionControl = b.congestionControl;
    this.dscp = b.dscp;
    this.ttl = b.ttl;
  }

  public static final TcpConfig DEFAULT = builder().build();

  public static Builder builder() {
    return new Builder();
  }

  public Builder toBuilder() {
    Builder b = new Builder();
    b.sendBufferSize = sendBufferSize;
    b.receiveBufferSize = receiveBufferSize;
    b.msl = Duration.ofNanos(mslNs);
    b.minRto = Duration.ofNanos(minRtoNs);
    b.maxRto = Duration.ofNanos(maxRtoNs);
    b.initialRto = Duration.ofNanos(initialRtoNs);
    b.synRetries = synRetries;
    b.dataRetries = dataRetries;
    b.noDelay = noDelay;
    b.windowScaling = windowScaling;
    b.sack = sack;
    b.timestamps = timestamps;
    b.delayedAck = Duration.ofNanos(delayedAckNs);
    b.keepAlive = keepAlive;
    b.keepAliveIdle = Duration.ofNanos(keepAliveIdleNs);
    b.keepAliveInterval = Duration.ofNanos(keepAliveIntervalNs);
    b.keepAliveProbes = keepAliveProbes;
    b.finWait2Timeout = Duration.ofNanos(finWait2TimeoutNs);
    b.userTimeout = Duration.ofNanos(userTimeoutNs);
    b.congestionControl = congestionControl;
    b.dscp = dscp;
    b.ttl = ttl;
    return b;
  }

  public int sendBufferSize() {
    return sendBufferSize;
  }

  public int receiveBufferSize() {
    return receiveBufferSize;
  }

  public long timeWaitNs() {
    return 2 * mslNs;
  }

  /** Whether SYNs offer selective acknowledgments (RFC 2018). */
  public boolean sack() {
    return sack;
  }

  /** Whether SYNs offer window scaling (RFC 7323 §2). */
  public boolean windowScaling() {
    return windowScaling;
  }

  /** Whether SYNs offer the Timestamps option (RFC 7323 §3–§5). */
  public boolean timestamps() {
    return timestamps;
  }

  public boolean noDelay() {
    return noDelay;
  }

  public boolean keepAlive() {
    return keepAlive;
  }

  /** How long an orphaned connection waits in FIN-WAIT-2 for the peer's FIN. */
  public Duration finWait2Timeout() {
    return Duration.ofNanos(finWait2TimeoutNs);
  }

  /** The user timeout (RFC 5482); {@link Duration#ZERO}: none. */
  public Duration userTimeout() {
    return Duration.ofNanos(userTimeoutNs);
  }

  /** The Differentiated Services Codepoint the connection's segments carry (0: default forwarding). */
  public int dscp() {
    return dscp;
  }

  /** The time to live (IPv4) or hop limit (IPv6) the connection's segments carry. */
  public int ttl() {
    return ttl;
  }

  /**
   * A new instance of this configuration's congestion-control algorithm, or of {@code stackDefault}
   * when it names none.
   */
  CongestionControl newCongestionControl(Supplier<CongestionControl> stackDefault) {
    Supplier<CongestionControl> factory = congestionControl != null ? congestionControl : stackDefault;
    return Objects.requireNonNull(factory.get(), "congestion control factory returned null");
  }

  /** Builds a {@link TcpConfig}; each setter checks its argument. */
  public static final class Builder {
    private int sendBufferSize = DEFAULT_BUFFER_SIZE;
    private int receiveBufferSize = DEFAULT_BUFFER_SIZE;
    private Duration msl = DEFAULT_MSL;
    private Duration minRto = DEFAULT_MIN_RTO;
    private Duration maxRto = DEFAULT_MAX_RTO;
    private Duration initialRto = DEFAULT_INITIAL_RTO;
    private int synRetries = DEFAULT_SYN_RETRIES;
    private int dataRetries = DEFAULT_DATA_RETRIES;
    private boolean noDelay;
    private boolean windowScaling = true;
    private boolean sack = true;
    private boolean timestamps = true;
    private Duration delayedAck = DEFAULT_DELAYED_ACK;
    private boolean keepAlive;
    private Duration keepAliveIdle = DEFAULT_KEEPALIVE_IDLE;
    private Duration keepAliveInterval = DEFAULT_KEEPALIVE_INTERVAL;
    private int keepAliveProbes = DEFAULT_KEEPALIVE_PROBES;
    private Duration finWait2Timeout = DEFAULT_FIN_WAIT_2_TIMEOUT;
    private Duration userTimeout = NO_USER_TIMEOUT;
    private Supplier<CongestionControl> congestionControl;
    private int dscp;
    private int ttl = DEFAULT_TTL;

    /** Send buffer in bytes, 1 KiB .. 64 KiB without window scaling (RFC 7323 comes later) — up to 1 GiB accepted. */
    public Builder sendBufferSize(int bytes) {
      this.sendBufferSize = checkBuffer("send", bytes);
      return this;
    }

    /** Receive buffer in bytes; the advertised window never exceeds 65535 until window scaling is added. */
    public Builder receiveBufferSize(int bytes) {
      this.receiveBufferSize = checkBuffer("receive", bytes);
      return this;
    }

    /** Maximum segment lifetime; TIME-WAIT lasts twice this. */
    public Builder msl(Duration msl) {
      this.msl = positive("MSL", msl);
      return this;
    }

    public Builder rto(Duration min, Duration initial, Duration max) {
      positive("minimum RTO", min);
      positive("initial RTO", initial);
      positive("maximum RTO", max);
      if (min.compareTo(initial) > 0 || initial.compareTo(max) > 0) {
        throw new IllegalArgumentException("RTOs must satisfy min <= initial <= max, got " + min + ", " + initial + ", " + max);
      }
      this.minRto = min;
      this.initialRto = initial;
      this.maxRto = max;
      return this;
    }

    /** How many times a SYN and then data are retransmitted before the connection times out. */
    public Builder retries(int syn, int data) {
      if (syn < 0 || data < 1) {
        throw new IllegalArgumentException("retries must be syn >= 0 and data >= 1, got " + syn + ", " + data);
      }
      this.synRetries = syn;
      this.dataRetries = data;
      return this;
    }

    /**
     * Whether to offer window scaling (RFC 7323 §2) in SYNs, so that windows beyond 65535 bytes can
     * be advertised and used; both ends must offer it. On by default, as in Linux.
     */
    public Builder windowScaling(boolean windowScaling) {
      this.windowScaling = windowScaling;
      return this;
    }

    /**
     * Whether to offer selective acknowledgments (RFC 2018: SACK-Permitted in SYNs, SACK blocks in
     * ACKs, RFC 6675 loss recovery with RACK, RFC 8985); both ends must offer it. On by default,
     * as in Linux.
     */
    public Builder sack(boolean sack) {
      this.sack = sack;
      return this;
    }

    /**
     * Whether to offer the Timestamps option (RFC 7323 §3) in SYNs: RTT measured from any ACK of new
     * data, retransmissions included, and old duplicates recognised (PAWS, §5); both ends must offer
     * it, and then every segment carries 12 more bytes of options. On by default, as in Linux.
     */
    public Builder timestamps(boolean timestamps) {
      this.timestamps = timestamps;
      return this;
    }

    /** Turns Nagle's algorithm (RFC 9293 §3.7.4) off: small segments go out at once. Off by default. */
    public Builder noDelay(boolean noDelay) {
      this.noDelay = noDelay;
      return this;
    }

    /**
     * How long an ACK for in-order data may wait for a second segment or for data to ride on (RFC
     * 5681 §4.2, RFC 1122 §4.2.3.2). {@link Duration#ZERO} acknowledges every segment at once.
     */
    public Builder delayedAck(Duration delay) {
      if (delay.isNegative() || delay.compareTo(RFC5681_MAX_ACK_DELAY) > 0) {
        throw new IllegalArgumentException("delayed ACK must be 0..500 ms (RFC 5681 §4.2), got " + delay);
      }
      this.delayedAck = delay;
      return this;
    }

    /** Keep-alive (RFC 9293 §3.8.4, RFC 1122 §4.2.3.6) with the default timings; off by default. */
    public Builder keepAlive(boolean on) {
      this.keepAlive = on;
      return this;
    }

    /**
     * Keep-alive on: after {@code idle} without a segment from the peer, probe every {@code
     * interval}; after {@code probes} unanswered probes the connection fails with "timed out".
     */
    public Builder keepAlive(Duration idle, Duration interval, int probes) {
      positive("keep-alive idle time", idle);
      positive("keep-alive interval", interval);
      if (probes < 1) {
        throw new IllegalArgumentException("keep-alive probes must be at least 1, got " + probes);
      }
      this.keepAlive = true;
      this.keepAliveIdle = idle;
      this.keepAliveInterval = interval;
      this.keepAliveProbes = probes;
      return this;
    }

    /**
     * How long a connection the application has closed (not merely half-closed with {@code
     * shutdownOutput}) waits in FIN-WAIT-2 for the peer's FIN, counted from the later of the close
     * and the ACK of our FIN (default 60 s, Linux's {@code tcp_fin_timeout}); then it is closed
     * quietly and its memory returned.
     */
    public Builder finWait2Timeout(Duration timeout) {
      this.finWait2Timeout = positive("FIN-WAIT-2 timeout", timeout);
      return this;
    }

    /**
     * The user timeout (RFC 9293 §3.10.8, RFC 5482; Linux's {@code TCP_USER_TIMEOUT}): once data we
     * sent (or our SYN or FIN) has waited this long for an acknowledgment that advances SND.UNA —
     * retransmitted or zero-window probed meanwhile — the connection is aborted with RST and fails
     * with "timed out". {@link Duration#ZERO} (the default): none, the retry limit alone decides.
     */
    public Builder userTimeout(Duration timeout) {
      if (timeout.isNegative()) {
        throw new IllegalArgumentException("user timeout must be zero (none) or positive, got " + timeout);
      }
      this.userTimeout = timeout;
      return this;
    }

    /**
     * The congestion-control algorithm, one new instance per connection: a {@link
     * CongestionAlgorithm} or any factory. Unset, connections get the stack's ({@code
     * StackConfig.Builder.congestionControl}, {@link CongestionAlgorithm#CUBIC} by default). A
     * connection can also switch later ({@code TcpSocket.setCongestionControl}).
     */
    public Builder congestionControl(Supplier<CongestionControl> factory) {
      this.congestionControl = Objects.requireNonNull(factory, "factory");
      return this;
    }

    /**
     * The congestion-control algorithm by name: {@code "cubic"} or {@code "newreno"}.
     *
     * @throws IllegalArgumentException for an unknown name (the message lists the known ones)
     */
    public Builder congestionControl(String name) {
      return congestionControl(CongestionAlgorithm.byName(name));
    }

    /**
     * The Differentiated Services Codepoint (RFC 2474 §3) of every segment the connection sends:
     * RFC 9293 §3.9.1.9 (MUST-48) has the application choose it; it goes unchanged to the IP layer
     * (SHLD-22) as the upper six bits of the IPv4 DS field or the IPv6 Traffic Class (the two ECN
     * bits stay 0). What Linux's {@code IP_TOS} / {@code IPV6_TCLASS} give, shifted. Default 0.
     * On a listener's configuration it applies to every connection the listener accepts.
     */
    public Builder dscp(int dscp) {
      if (dscp < 0 || dscp > 63) {
        throw new IllegalArgumentException("DSCP " + dscp + " is out of range: use 0..63");
      }
      this.dscp = dscp;
      return this;
    }

    /**
     * The time to live (IPv4) or hop limit (IPv6) of every segment the connection sends: RFC 9293
     * §3.9.2 (MUST-49) requires it configurable; RFC 1122 §3.2.1.7 forbids 0. Default {@value
     * TcpConfig#DEFAULT_TTL}, as Linux ({@code IP_TTL}, {@code IPV6_UNICAST_HOPS}).
     */
    public Builder ttl(int ttl) {
      if (ttl < 1 || ttl > 255) {
        throw new IllegalArgumentException("TTL " + ttl + " is out of range: use 1..255");
      }
      this.ttl = ttl;
      return this;
    }

    public TcpConfig build() {
      return new TcpConfig(this);
    }

    private static int checkBuffer(String which, int bytes) {
      if (bytes < 1024 || bytes > (1 << 30)) {
        throw new IllegalArgumentException(which + " buffer size " + bytes + " is out of range: use 1024..1073741824 bytes");
      }
      return bytes;
    }

    private static Duration positive(String what, Duration d) {
      if (d.isNegative() || d.isZero()) {
        throw new IllegalArgumentException(what + " must be positive, got " + d);
      }
      return d;
    }
  }
}
