package io.tcpstack;

import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;
import io.tcpstack.tcp.cc.CongestionAlgorithm;
import io.tcpstack.wire.IpAddress;
import io.tcpstack.wire.Ipv4Address;
import io.tcpstack.wire.Ipv6Header;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Objects;

/**
 * What a {@link NetworkStack} is: its address, its link's MTU, and the limits it keeps. Immutable;
 * made with {@link #builder()}. Every default is documented in {@code docs/usage.md}.
 */
public final class StackConfig {

  /** RFC 791 §3.1: "Every internet module must be able to forward a datagram of 68 octets"; every host must accept 576. */
  public static final int MIN_MTU = 576;
  /** The largest IPv4 datagram (RFC 791 §3.1, 16-bit total length). */
  public static final int MAX_DATAGRAM = 65_535;
  /**
   * RFC 1122 §3.3.2: the reassembly timeout "SHOULD be a fixed value ... between 60 seconds and 120
   * seconds". We take the lower bound; memory, not time, is what the limits below protect.
   */
  public static final Duration DEFAULT_REASSEMBLY_TIMEOUT = Duration.ofSeconds(60);
  /** Datagrams under reassembly at once; the oldest is evicted beyond this. */
  public static final int DEFAULT_REASSEMBLY_MAX_DATAGRAMS = 64;
  /** Bytes held by all reassemblies together (about 16 maximum-size datagrams). */
  public static final int DEFAULT_REASSEMBLY_MAX_BYTES = 1 << 20;

  /** Connections at once (every state but CLOSED; TIME-WAIT records count too) unless configured. */
  public static final int DEFAULT_MAX_CONNECTIONS = 65_536;
  /**
   * Bytes of send and receive buffers all connections may hold together (Linux's {@code tcp_mem}
   * in spirit): past it windows shrink and new data waits, never an OutOfMemoryError.
   */
  public static final long DEFAULT_BUFFER_MEMORY = 256L << 20;
  /** Half-open (SYN-RECEIVED) connections a listener keeps at once (Linux's {@code tcp_max_syn_backlog}). */
  public static final int DEFAULT_SYN_BACKLOG = 4096;
  /**
   * Half-open connections all listeners together keep at once. Linux bounds only each listener (its
   * {@code tcp_max_syn_backlog}, 4096 on a host of a few GB); this stack also bounds the sum, at the
   * same number, so that a flood spread over many ports holds no more than one on a single port.
   * Beyond either bound, SYNs are answered with SYN cookies ({@link Builder#synCookies}).
   */
  public static final int DEFAULT_MAX_HALF_OPEN = 4096;
  /** The backlog a listener gets when the application does not say (Linux's {@code somaxconn}). */
  public static final int DEFAULT_BACKLOG = 4096;
  /**
   * RFC 5961 §7: challenge ACKs per second the whole stack sends, on average (Linux 4.7–5.19's
   * {@code tcp_challenge_ack_limit}); each second's actual budget is drawn at random around it.
   */
  public static final int DEFAULT_CHALLENGE_ACK_LIMIT = 1000;

  private final int address;
  private final int prefixLength;
  private final IpAddress address6;
  private final int prefixLength6;
  private final int maxConnections;
  private final long bufferMemory;
  private final boolean transmitThread;
  private final int synBacklog;
  private final int maxHalfOpen;
  private final boolean synCookies;
  private final int mtu;
  private final long reassemblyTimeoutNs;
  private final int reassemblyMaxDatagrams;
  private final int reassemblyMaxBytes;
  private final ByteBufAllocator allocator;
  private final byte[] isnKey;
  private final byte[] ephemeralPortKey;
  private final int challengeAckLimit;
  private final long challengeAckSeed;
  private final CongestionAlgorithm congestionControl;

  private StackConfig(Builder b) {
    this.address = b.address;
    this.prefixLength = b.prefixLength;
    this.address6 = b.address6;
    this.prefixLength6 = b.prefixLength6;
    this.mtu = b.mtu;
    this.reassemblyTimeoutNs = b.reassemblyTimeout.toNanos();
    this.reassemblyMaxDatagrams = b.reassemblyMaxDatagrams;
    this.reassemblyMaxBytes = b.reassemblyMaxBytes;
    this.allocator = b.allocator;
    this.isnKey = b.isnKey.clone();
    this.ephemeralPortKey = b.ephemeralPortKey.clone();
    this.challengeAckLimit = b.challengeAckLimit;
    this.challengeAckSeed = b.challengeAckSeed;
    this.maxConnections = b.maxConnections;
    this.bufferMemory = b.bufferMemory;
    this.transmitThread = b.transmitThread;
    this.synBacklog = b.synBacklog;
    this.maxHalfOpen = b.maxHalfOpen;
    this.synCookies = b.synCookies;
    this.congestionControl = b.congestionControl;
  }

  /**
   * Starts a configuration. Only the IPv4 address ({@link Builder#address(int, int)}) must be set;
   * every other setting has the default its setter names.
   *
   * @return a new builder with every default in place and fresh random secret keys
   */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * The stack's own IPv4 address, as an int in network order (198.18.0.2 is 0xC6120002).
   *
   * @return the IPv4 address, its first octet in the high byte
   */
  public int address() {
    return address;
  }

  /**
   * The prefix length of {@link #address()}: the link's subnet, where the kernel-side host lives.
   *
   * @return the IPv4 prefix length, 1 to 30
   */
  public int prefixLength() {
    return prefixLength;
  }

  /**
   * The stack's own IPv6 address, or null when it speaks IPv4 only (then every IPv6 packet is
   * dropped and counted, {@code IP6_IN_NOT_FOR_US}).
   *
   * @return the IPv6 address, or null without one
   */
  public IpAddress address6() {
    return address6;
  }

  /**
   * The prefix length of {@link #address6()} (the link's on-link prefix), 0 without one.
   *
   * @return the IPv6 prefix length, 1 to 126, or 0 when {@link #address6()} is null
   */
  public int prefixLength6() {
    return prefixLength6;
  }

  /**
   * The link's MTU: the largest IP datagram the stack sends or expects, headers included. The
   * device's MTU must be the same.
   *
   * @return the MTU in bytes, {@value #MIN_MTU} to {@value #MAX_DATAGRAM} (1500 unless configured)
   */
  public int mtu() {
    return mtu;
  }

  /**
   * How long a fragmented datagram may wait for its missing fragments, from its first one.
   *
   * @return the reassembly timeout in nanoseconds (60 s unless configured)
   */
  public long reassemblyTimeoutNs() {
    return reassemblyTimeoutNs;
  }

  /**
   * Datagrams under reassembly at once, in each of IPv4 and IPv6; a new one evicts the oldest.
   *
   * @return the number of datagrams, 0 when reassembly is off ({@value #DEFAULT_REASSEMBLY_MAX_DATAGRAMS}
   *     unless configured)
   */
  public int reassemblyMaxDatagrams() {
    return reassemblyMaxDatagrams;
  }

  /**
   * Bytes all datagrams under reassembly may hold together, in each of IPv4 and IPv6; a fragment
   * that would exceed it drops its datagram.
   *
   * @return the limit in bytes ({@value #DEFAULT_REASSEMBLY_MAX_BYTES} unless configured)
   */
  public int reassemblyMaxBytes() {
    return reassemblyMaxBytes;
  }

  /**
   * Where the stack takes its long-lived buffers from (never per packet).
   *
   * @return the allocator, never null ({@link PooledByteBufAllocator#DEFAULT} unless configured)
   */
  public ByteBufAllocator allocator() {
    return allocator;
  }

  /**
   * RFC 6528 §3: the secret key of the ISN function (a copy).
   *
   * @return a fresh copy of the key, at least 16 bytes; changing it changes nothing in the config
   */
  public byte[] isnKey() {
    return isnKey.clone();
  }

  /**
   * RFC 6056 §3.3.4: the secret key of the ephemeral port selection's hash functions (a copy), from
   * which the ports a connection toward a destination gets follow.
   *
   * @return a fresh copy of the key, at least 16 bytes; changing it changes nothing in the config
   */
  public byte[] ephemeralPortKey() {
    return ephemeralPortKey.clone();
  }

  /**
   * RFC 5961 §7: the average number of challenge ACKs the stack sends per second; {@link
   * Integer#MAX_VALUE} means no limit.
   *
   * @return challenge ACKs per second, at least 1 ({@value #DEFAULT_CHALLENGE_ACK_LIMIT} unless
   *     configured)
   */
  public int challengeAckLimit() {
    return challengeAckLimit;
  }

  /**
   * The seed of the random draw of each second's challenge-ACK budget (RFC 5961 §7, CVE-2016-5696).
   *
   * @return the seed (random unless configured)
   */
  public long challengeAckSeed() {
    return challengeAckSeed;
  }

  /**
   * The most connections at once; a SYN beyond it is answered with RST and counted.
   *
   * @return the limit, at least 1 ({@value #DEFAULT_MAX_CONNECTIONS} unless configured)
   */
  public int maxConnections() {
    return maxConnections;
  }

  /**
   * Bytes of TCP buffers all connections may hold together.
   *
   * @return the limit in bytes, at least 1 MiB (256 MiB unless configured)
   */
  public long bufferMemory() {
    return bufferMemory;
  }

  /**
   * Whether the runtime writes packets to the device from a thread of their own (see {@link
   * Builder#transmitThread(boolean)}).
   *
   * @return true for a transmit thread (false unless configured)
   */
  public boolean transmitThread() {
    return transmitThread;
  }

  /**
   * Half-open connections per listener; a SYN beyond it is answered with a SYN cookie, or dropped
   * and counted when {@link #synCookies()} is off.
   *
   * @return the limit per listener, at least 1 ({@value #DEFAULT_SYN_BACKLOG} unless configured)
   */
  public int synBacklog() {
    return synBacklog;
  }

  /**
   * Half-open connections of all listeners together; beyond it, as beyond {@link #synBacklog()}.
   *
   * @return the limit, at least 1 ({@value #DEFAULT_MAX_HALF_OPEN} unless configured)
   */
  public int maxHalfOpen() {
    return maxHalfOpen;
  }

  /**
   * Whether a SYN that finds a half-open queue full is answered with a SYN cookie (RFC 4987 §3.6,
   * Linux's {@code tcp_syncookies=1}); otherwise it is dropped. On by default.
   *
   * @return true when SYN cookies are on
   */
  public boolean synCookies() {
    return synCookies;
  }

  /**
   * The congestion control of connections whose {@code TcpConfig} names none (CUBIC by default).
   *
   * @return the algorithm, never null
   */
  public CongestionAlgorithm congestionControl() {
    return congestionControl;
  }

  @Override
  public String toString() {
    return Ipv4Address.toString(address) + "/" + prefixLength
        + (address6 == null ? "" : " " + address6 + "/" + prefixLength6) + " mtu " + mtu;
  }

  /** Builds a {@link StackConfig}; each setter checks its argument and says what is allowed. */
  public static final class Builder {
    private int address;
    private boolean addressSet;
    private int prefixLength = 24;
    private IpAddress address6;
    private int prefixLength6;
    private int mtu = 1500;
    private Duration reassemblyTimeout = DEFAULT_REASSEMBLY_TIMEOUT;
    private int reassemblyMaxDatagrams = DEFAULT_REASSEMBLY_MAX_DATAGRAMS;
    private int reassemblyMaxBytes = DEFAULT_REASSEMBLY_MAX_BYTES;
    private ByteBufAllocator allocator = PooledByteBufAllocator.DEFAULT;
    private byte[] isnKey;
    private byte[] ephemeralPortKey;
    private int challengeAckLimit = DEFAULT_CHALLENGE_ACK_LIMIT;
    private long challengeAckSeed;
    private int maxConnections = DEFAULT_MAX_CONNECTIONS;
    private long bufferMemory = DEFAULT_BUFFER_MEMORY;
    private boolean transmitThread;
    private int synBacklog = DEFAULT_SYN_BACKLOG;
    private int maxHalfOpen = DEFAULT_MAX_HALF_OPEN;
    private boolean synCookies = true;
    private CongestionAlgorithm congestionControl = CongestionAlgorithm.DEFAULT;

    private Builder() {
      // Randomness enters here, at configuration time, so the core itself stays deterministic:
      // tests pass fixed values.
      SecureRandom random = new SecureRandom();
      isnKey = new byte[16];
      random.nextBytes(isnKey);
      ephemeralPortKey = new byte[16];
      random.nextBytes(ephemeralPortKey);
      challengeAckSeed = random.nextLong();
    }

    /**
     * The secret key for initial sequence numbers (RFC 6528 §3), at least 16 bytes. Random (from
     * {@code SecureRandom}) by default, as Linux's own secret is; fix it only for tests.
     *
     * @param key the key, not null; copied, so later changes to the array have no effect
     * @return this builder
     * @throws IllegalArgumentException if {@code key} is shorter than 16 bytes
     */
    public Builder isnKey(byte[] key) {
      if (key.length < 16) {
        throw new IllegalArgumentException("the ISN key needs at least 16 bytes, got " + key.length);
      }
      this.isnKey = key.clone();
      return this;
    }

    /**
     * The secret key of ephemeral port selection (RFC 6056 §3.3.4), at least 16 bytes. Random (from
     * {@code SecureRandom}) by default.
     *
     * @param key the key, not null; copied, so later changes to the array have no effect
     * @return this builder
     * @throws IllegalArgumentException if {@code key} is shorter than 16 bytes
     */
    public Builder ephemeralPortKey(byte[] key) {
      if (key.length < 16) {
        throw new IllegalArgumentException("the ephemeral port key needs at least 16 bytes, got " + key.length);
      }
      this.ephemeralPortKey = key.clone();
      return this;
    }

    /**
     * Fixes the ephemeral port key ({@link #ephemeralPortKey(byte[])}) as 16 bytes drawn from a
     * generator seeded with {@code seed}: the same seed, the same ports — for tests and simulations,
     * never for a stack facing a network (32 bits are guessable).
     *
     * @param seed any value; it replaces an earlier {@link #ephemeralPortKey(byte[])}
     * @return this builder
     */
    public Builder ephemeralPortSeed(int seed) {
      byte[] key = new byte[16];
      new java.util.SplittableRandom(seed).nextBytes(key);
      this.ephemeralPortKey = key;
      return this;
    }

    /**
     * RFC 5961 §7: challenge ACKs per second for the whole stack, on average, at least 1 (default
     * {@value #DEFAULT_CHALLENGE_ACK_LIMIT}); {@link Integer#MAX_VALUE} turns the limit off (what
     * Linux 6.0 and later do by default, keeping only a per-socket limit). Each second's budget is
     * drawn at random between limit/2 and limit/2 + limit - 1, as Linux has done since
     * CVE-2016-5696, so an off-path attacker cannot count on exhausting it.
     *
     * @param perSecond challenge ACKs per second, at least 1; {@link Integer#MAX_VALUE} for no limit
     * @return this builder
     * @throws IllegalArgumentException if {@code perSecond} is less than 1
     */
    public Builder challengeAckLimit(int perSecond) {
      if (perSecond < 1) {
        throw new IllegalArgumentException("challenge ACK limit must be at least 1 per second, got " + perSecond
            + " (Integer.MAX_VALUE turns the limit off)");
      }
      this.challengeAckLimit = perSecond;
      return this;
    }

    /**
     * The seed of the challenge-ACK budget's random draw (RFC 5961 §7). Random by default; tests fix
     * it.
     *
     * @param seed any value
     * @return this builder
     */
    public Builder challengeAckSeed(long seed) {
      this.challengeAckSeed = seed;
      return this;
    }

    /**
     * The stack's address and prefix, e.g. {@code address(Ipv4Address.parse("198.18.0.2"), 24)}
     * (what {@code ip addr add 198.18.0.2/24} says on Linux). Required: {@link #build()} fails
     * without it.
     *
     * @param address the stack's IPv4 address as an int in network order (198.18.0.2 is 0xC6120002)
     * @param prefixLength the subnet's prefix length, 1 to 30, so the subnet holds the stack and the
     *     kernel-side host
     * @return this builder
     * @throws IllegalArgumentException if {@code prefixLength} is outside 1..30
     */
    public Builder address(int address, int prefixLength) {
      if (prefixLength < 1 || prefixLength > 30) {
        throw new IllegalArgumentException(
            "prefix length " + prefixLength + " is out of range: use 1..30 so the subnet has room for the stack and the host");
      }
      this.address = address;
      this.prefixLength = prefixLength;
      this.addressSet = true;
      return this;
    }

    /**
     * The link's MTU: the largest IP datagram sent or expected, headers included (Linux's {@code ip
     * link set ... mtu}). Default 1500; must equal the device's. The MSS announced is derived from
     * it, and larger datagrams are fragmented.
     *
     * @param mtu the MTU in bytes, {@value #MIN_MTU} to {@value #MAX_DATAGRAM}; with {@link
     *     #address6} at least 1280 (RFC 8200 §5)
     * @return this builder
     * @throws IllegalArgumentException if {@code mtu} is outside {@value #MIN_MTU}..{@value
     *     #MAX_DATAGRAM}
     */
    public Builder mtu(int mtu) {
      if (mtu < MIN_MTU || mtu > MAX_DATAGRAM) {
        throw new IllegalArgumentException("MTU " + mtu + " is out of range: use " + MIN_MTU + ".." + MAX_DATAGRAM);
      }
      this.mtu = mtu;
      return this;
    }

    /**
     * How long a fragmented datagram may wait for its missing fragments, counted from its first
     * one; after it the datagram is dropped (with ICMP Time Exceeded if its first fragment had
     * arrived, RFC 1122 §3.3.2). Default 60 s ({@link #DEFAULT_REASSEMBLY_TIMEOUT}); Linux's
     * {@code ipfrag_time} is 30 s.
     *
     * @param timeout the timeout, positive, not null
     * @return this builder
     * @throws IllegalArgumentException if {@code timeout} is zero or negative
     */
    public Builder reassemblyTimeout(Duration timeout) {
      if (timeout.isNegative() || timeout.isZero()) {
        throw new IllegalArgumentException("reassembly timeout must be positive, got " + timeout);
      }
      this.reassemblyTimeout = timeout;
      return this;
    }

    /**
     * What fragment reassembly may hold, in each of IPv4 and IPv6: the oldest datagram is evicted
     * for a new one beyond {@code maxDatagrams}, and a fragment that would take the buffers past
     * {@code maxBytes} drops its datagram (Linux's {@code ipfrag_high_thresh} in spirit).
     *
     * @param maxDatagrams datagrams under reassembly at once, at least 0 (default {@value
     *     #DEFAULT_REASSEMBLY_MAX_DATAGRAMS}); 0 turns reassembly off, so every fragment is dropped
     * @param maxBytes bytes all of them may hold together, at least 0 (default {@value
     *     #DEFAULT_REASSEMBLY_MAX_BYTES}, 1 MiB)
     * @return this builder
     * @throws IllegalArgumentException if either is negative
     */
    public Builder reassemblyLimits(int maxDatagrams, int maxBytes) {
      if (maxDatagrams < 0 || maxBytes < 0) {
        throw new IllegalArgumentException("reassembly limits must be >= 0 (0 disables reassembly)");
      }
      this.reassemblyMaxDatagrams = maxDatagrams;
      this.reassemblyMaxBytes = maxBytes;
      return this;
    }

    /**
     * The most connections at once, at least 1 (default {@value #DEFAULT_MAX_CONNECTIONS}); every
     * state but CLOSED counts, TIME-WAIT included. A SYN beyond it is answered with RST.
     *
     * @param max the limit, at least 1
     * @return this builder
     * @throws IllegalArgumentException if {@code max} is less than 1
     */
    public Builder maxConnections(int max) {
      if (max < 1) {
        throw new IllegalArgumentException("max connections must be at least 1, got " + max);
      }
      this.maxConnections = max;
      return this;
    }

    /**
     * Bytes of TCP buffers all connections may hold together, at least 1 MiB (default 256 MiB, {@link
     * #DEFAULT_BUFFER_MEMORY}; Linux's {@code tcp_mem} in spirit). Past it, windows shrink and new
     * data waits. The buffers are direct memory: leave room for them in {@code
     * -XX:MaxDirectMemorySize}.
     *
     * @param bytes the limit in bytes, at least 1048576
     * @return this builder
     * @throws IllegalArgumentException if {@code bytes} is less than 1 MiB
     */
    public Builder bufferMemory(long bytes) {
      if (bytes < (1 << 20)) {
        throw new IllegalArgumentException("buffer memory must be at least 1 MiB (1048576 bytes), got " + bytes);
      }
      this.bufferMemory = bytes;
      return this;
    }

    /**
     * Whether the runtime ({@code StackRuntime.start}) writes packets to a device without
     * segmentation offload from a second thread, through a ring, so that the kernel's work for each
     * write (on a TUN device, Linux's whole receive path for the packet) runs beside the stack
     * thread instead of in it. Off by default; {@code serve --offload off} turns it on. Ignored for
     * a device that cuts super-segments (one write carries up to 64 KiB there).
     *
     * @param on true for a transmit thread
     * @return this builder
     */
    public Builder transmitThread(boolean on) {
      this.transmitThread = on;
      return this;
    }

    /**
     * Half-open connections per listener, at least 1 (default {@value #DEFAULT_SYN_BACKLOG}); SYNs
     * beyond it get SYN cookies ({@link #synCookies}). Linux's {@code tcp_max_syn_backlog}.
     *
     * @param max the limit per listener, at least 1
     * @return this builder
     * @throws IllegalArgumentException if {@code max} is less than 1
     */
    public Builder synBacklog(int max) {
      if (max < 1) {
        throw new IllegalArgumentException("SYN backlog must be at least 1, got " + max);
      }
      this.synBacklog = max;
      return this;
    }

    /**
     * Half-open connections of all listeners together, at least 1 (default {@value
     * #DEFAULT_MAX_HALF_OPEN}); SYNs beyond it get SYN cookies, as beyond a listener's own {@link
     * #synBacklog}. Linux has no such bound (see {@link #DEFAULT_MAX_HALF_OPEN}).
     *
     * @param max the limit for all listeners together, at least 1
     * @return this builder
     * @throws IllegalArgumentException if {@code max} is less than 1
     */
    public Builder maxHalfOpen(int max) {
      if (max < 1) {
        throw new IllegalArgumentException("max half-open connections must be at least 1, got " + max);
      }
      this.maxHalfOpen = max;
      return this;
    }

    /**
     * Whether SYNs that find a half-open queue full are answered with SYN cookies (RFC 4987 §3.6) —
     * the default — rather than dropped. With cookies, clients still connect while a SYN flood
     * fills the queues; a connection made from a cookie has window scaling and SACK only if the
     * client's SYN carried timestamps (where the cookie keeps them, as Linux does). Linux's {@code
     * tcp_syncookies=1}; off is {@code tcp_syncookies=0}.
     *
     * @param on true (the default) for SYN cookies, false to drop such SYNs
     * @return this builder
     */
    public Builder synCookies(boolean on) {
      this.synCookies = on;
      return this;
    }

    /**
     * The congestion control of this stack's connections ({@link CongestionAlgorithm#CUBIC} by
     * default, {@code serve --congestion}); a connection's {@code TcpConfig} may name another.
     * Linux's {@code tcp_congestion_control}.
     *
     * @param algorithm the algorithm, not null
     * @return this builder
     * @throws NullPointerException if {@code algorithm} is null
     */
    public Builder congestionControl(CongestionAlgorithm algorithm) {
      this.congestionControl = Objects.requireNonNull(algorithm, "algorithm");
      return this;
    }

    /**
     * Where the stack takes its long-lived buffers from: connection buffers, reassembly and IP
     * scratch, the runtime's receive buffer (never one per packet). Default {@link
     * PooledByteBufAllocator#DEFAULT}.
     *
     * @param allocator the allocator, not null
     * @return this builder
     * @throws NullPointerException if {@code allocator} is null
     */
    public Builder allocator(ByteBufAllocator allocator) {
      this.allocator = Objects.requireNonNull(allocator, "allocator");
      return this;
    }

    /**
     * The stack's IPv6 address and on-link prefix length, e.g. {@code
     * address6(IpAddress.parse("fd00:7463:7073::2"), 64)}; unset (the default), the stack speaks
     * IPv4 only. A global or unique-local unicast address: not multicast, unspecified, loopback,
     * IPv4-mapped or link-local (the stack has no link layer to make link-local sense of). Needs
     * an MTU of at least 1280, checked by {@link #build()}.
     *
     * @param address the stack's IPv6 address, not null
     * @param prefixLength the on-link prefix length, 1 to 126, so the prefix holds the stack and the
     *     kernel-side host
     * @return this builder
     * @throws NullPointerException if {@code address} is null
     * @throws IllegalArgumentException if {@code address} is not a global or unique-local unicast
     *     address, or {@code prefixLength} is outside 1..126
     */
    public Builder address6(IpAddress address, int prefixLength) {
      Objects.requireNonNull(address, "address");
      if (address.isIpv4() || address.isMulticast() || address.equals(IpAddress.UNSPECIFIED)
          || (address.hi() == 0 && address.lo() == 1) || (address.hi() >>> 54) == 0x3FA) {
        throw new IllegalArgumentException(address + " cannot be the stack's IPv6 address: use a global or"
            + " unique-local unicast address (e.g. fd00:7463:7073::2)");
      }
      if (prefixLength < 1 || prefixLength > 126) {
        throw new IllegalArgumentException(
            "IPv6 prefix length " + prefixLength + " is out of range: use 1..126 so the prefix has room for the stack and the host");
      }
      this.address6 = address;
      this.prefixLength6 = prefixLength;
      return this;
    }

    /**
     * Makes the configuration; the builder may go on to make others.
     *
     * @return the configuration, immutable
     * @throws IllegalStateException if no IPv4 address was set ({@link #address(int, int)}), or an
     *     IPv6 address was set with an MTU below 1280 (RFC 8200 §5)
     */
    public StackConfig build() {
      if (address6 != null && mtu < Ipv6Header.MIN_MTU) {
        throw new IllegalStateException("IPv6 needs an MTU of at least " + Ipv6Header.MIN_MTU
            + " (RFC 8200 §5), the MTU is " + mtu + ": raise it or leave address6 unset");
      }
      if (!addressSet) {
        throw new IllegalStateException("the stack needs an address: call address(...) before build()");
      }
      return new StackConfig(this);
    }
  }
}
