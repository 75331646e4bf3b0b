package io.tcpstack.tcp;

import java.time.Duration;

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
  /** RFC 1122 §4.2.3.5: R2 for SYN at least 3 minutes; we give up after 6 retransmissions (~127 s with 1 s initial RTO, as Linux). */
  public static final int DEFAULT_SYN_RETRIES = 6;
  /** RFC 1122 §4.2.3.5: R2 at least 100 s; 15 retransmissions, as Linux's tcp_retries2 (~15 min with backoff). */
  public static final int DEFAULT_DATA_RETRIES = 15;
  public static final int DEFAULT_BUFFER_SIZE = 256 * 1024;

  final int sendBufferSize;
  final int receiveBufferSize;
  final long mslNs;
  final long minRtoNs;
  final long maxRtoNs;
  final long initialRtoNs;
  final int synRetries;
  final int dataRetries;
  final boolean noDelay;

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

    public Builder noDelay(boolean noDelay) {
      this.noDelay = noDelay;
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
