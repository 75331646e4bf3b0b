package io.tcpstack.ip;

import io.tcpstack.wire.IpAddress;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What this host learned about the path MTU to each destination (RFC 1191 §6.2: "the IP layer
 * should associate each PMTU value that it has learned with a specific path"), so that a new
 * connection to a destination behind a narrow link starts with segments that fit.
 *
 * <p>Only lowered estimates are kept: a destination not here has the link's MTU. An estimate is
 * lowered, never raised, by a Datagram Too Big message (RFC 1191 §3), and is forgotten {@link
 * #EXPIRY_NS} after it was last lowered (RFC 1191 §3 and §6.3: ten minutes), when the next
 * connection tries the link's MTU again. Bounded: at most {@code capacity} destinations; when full,
 * a new one takes the place of the entry that would expire first. Fixed arrays scanned linearly:
 * lookups happen once per new connection and once per accepted ICMP error, never per segment, and
 * allocate nothing. Time is passed in. Stack thread only.
 */
public final class PathMtuCache {

  /** Each lowered estimate at DEBUG (RFC 1191, RFC 8201). */
  private static final Logger log = LoggerFactory.getLogger(PathMtuCache.class);

  /**
   * RFC 1191 §3: "A host MUST never reduce its estimate of the Path MTU below 68 octets" — every
   * router forwards 68-octet datagrams whole (RFC 791 §3.2).
   */
  public static final int MIN_MTU = 68;

  /**
   * RFC 1191 §3 and §6.3 (timers "on the order of 10 minutes", recommended at twice the 5-minute
   * minimum): an estimate not lowered again for this long is forgotten.
   */
  public static final long EXPIRY_NS = 10L * 60 * 1_000_000_000L;

  /** Destinations remembered by default. */
  public static final int DEFAULT_CAPACITY = 128;

  /**
   * RFC 1191 §7, table 7-1: the plateaus of common MTUs, from the largest. RFC 1191 §5 searches
   * them when a router does not say its next-hop MTU.
   */
  private static final int[] PLATEAUS = {65535, 32000, 17914, 8166, 4352, 2002, 1492, 1006, 508, 296, MIN_MTU};

  /** Destinations as 128-bit addresses (IPv4 as IPv4-mapped, {@link io.tcpstack.wire.IpAddress}). */
  private final long[] destinationsHi;
  private final long[] destinationsLo;
  private final int[] mtus;
  private final long[] expiresNs;
  private final boolean[] used;
  private int size;

  public PathMtuCache(int capacity) {
    if (capacity < 1) {
      throw new IllegalArgumentException("a path MTU cache needs room for at least one destination, got " + capacity);
    }
    destinationsHi = new long[capacity];
    destinationsLo = new long[capacity];
    mtus = new int[capacity];
    expiresNs = new long[capacity];
    used = new boolean[capacity];
  }

  /**
   * RFC 1191 §5: the next estimate when a router sent no next-hop MTU — the greatest plateau below
   * {@code length} (the quoted datagram's total length, or a smaller bound the caller knows); {@link
   * #MIN_MTU} if none is below it.
   */
  public static int plateauBelow(int length) {
    for (int plateau : PLATEAUS) {
      if (plateau < length) {
        return plateau;
      }
    }
    return MIN_MTU;
  }

  /** The estimate for {@code destination}, or {@code linkMtu} when none was learned (or it expired). */
  public int get(int destination, int linkMtu, long nowNs) {
    return get(0, mapped(destination), linkMtu, nowNs);
  }

  /** As {@link #get(int, int, long)} for the IPv6 destination {@code hi, lo}. */
  public int get(long hi, long lo, int linkMtu, long nowNs) {
    if (size == 0) {
      return linkMtu;
    }
    int i = indexOf(hi, lo, nowNs);
    return i < 0 ? linkMtu : Math.min(mtus[i], linkMtu);
  }

  /** An IPv4 address as the low half of its IPv4-mapped IPv6 address (RFC 4291 §2.5.5.2). */
  private static long mapped(int address) {
    return 0x0000_FFFF_0000_0000L | (address & 0xFFFF_FFFFL);
  }

  /**
   * A Datagram Too Big message, already validated by the transport, says the path to {@code
   * destination} carries at most {@code mtu} bytes: the estimate becomes that if it is lower than
   * what was known (never below {@link #MIN_MTU}, never raised: RFC 1191 §3), and its age restarts.
   */
  public void lower(int destination, int mtu, long nowNs) {
    lower(0, mapped(destination), mtu, MIN_MTU, nowNs);
  }

  /**
   * As {@link #lower(int, int, long)} for the IPv6 destination {@code hi, lo}, never below {@code
   * floor} (RFC 8201 §4: an IPv6 estimate never goes below the minimum link MTU, 1280).
   */
  public void lower(long hi, long lo, int mtu, int floor, long nowNs) {
    int value = Math.max(floor, mtu);
    if (log.isDebugEnabled()) {
      log.debug("path MTU to {}: at most {} (Datagram Too Big)", IpAddress.ofIpv6(hi, lo), value);
    }
    int i = indexOf(hi, lo, nowNs);
    if (i >= 0) {
      if (value <= mtus[i]) {
        mtus[i] = value;
        expiresNs[i] = nowNs + EXPIRY_NS;
      }
      return;
    }
    i = freeSlot();
    if (!used[i]) {
      used[i] = true;
      size++;
    }
    destinationsHi[i] = hi;
    destinationsLo[i] = lo;
    mtus[i] = value;
    expiresNs[i] = nowNs + EXPIRY_NS;
  }

  /** Destinations with an estimate, expired or not (for tests and statistics). */
  public int size() {
    return size;
  }

  /** The slot of {@code destination}'s live estimate, or -1; an expired one is freed on the way. */
  private int indexOf(long hi, long lo, long nowNs) {
    for (int i = 0; i < used.length; i++) {
      if (used[i] && destinationsLo[i] == lo && destinationsHi[i] == hi) {
        if (expiresNs[i] - nowNs <= 0) {
          used[i] = false; // RFC 1191 §6.3: stale, back to the first-hop MTU
          size--;
          return -1;
        }
        return i;
      }
    }
    return -1;
  }

  /** An unused slot, else the entry that expires first (the one lowered longest ago). */
  private int freeSlot() {
    int oldest = 0;
    for (int i = 0; i < used.length; i++) {
      if (!used[i]) {
        return i;
      }
      if (expiresNs[i] - expiresNs[oldest] < 0) {
        oldest = i;
      }
    }
    return oldest;
  }
}
