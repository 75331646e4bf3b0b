package io.tcpstack.tcp;

import io.tcpstack.wire.IpAddress;
import static io.tcpstack.tcp.SeqNum.add;
import static io.tcpstack.tcp.SeqNum.gt;

/**
 * SYN cookies (RFC 4987 §3.6): when a listener's half-open queue — or the stack's — is full, the
 * SYN is answered with a SYN-ACK whose ISN encodes what the connection needs, and nothing is kept.
 * The ACK that completes the handshake returns the cookie as SEG.ACK - 1; if it checks out, the
 * connection is made from it directly in ESTABLISHED. The scheme is Linux's ({@code
 * net/ipv4/syncookies.c}), with SipHash-2-4 as the keyed hash (as {@link IsnGenerator}):
 *
 * <pre>
 *   cookie = H0(tuple) + SEQ + (count &lt;&lt; 24) + ((H1(tuple, count) + mssIndex) mod 2^24)
 * </pre>
 *
 * <ul>
 *   <li><b>tuple</b> is the 4-tuple, <b>SEQ</b> the SYN's sequence number (so the cookie differs per
 *       attempt), <b>count</b> a coarse clock ticking every {@link #PERIOD_NS} (64 s).
 *   <li>The top 8 bits carry count (mod 2^8): checking recovers it, and a cookie is accepted only in
 *       its own period and the next ({@link #MAX_AGE} periods: 64 to 128 s old at most, Linux's
 *       {@code MAX_SYNCOOKIE_AGE}).
 *   <li>The low 24 bits hide an index into {@link #MSS_TABLE} under H1, which depends on count.
 *       Without the key, H0 makes the whole cookie look uniform to a blind attacker: a guess
 *       passes only if it lands on one of 2 live counts and one of 4 indexes, 8 values in 2^32
 *       (RFC 4987 §3.6 asks that cookies be infeasible to forge blindly).
 * </ul>
 *
 * <p>The ISN leaves no room for the other SYN options. When the SYN carried timestamps (RFC 7323),
 * they travel where Linux puts them: in the low {@link #TS_OPTION_BITS} bits of our TSval, which
 * the ACK echoes in its TSecr — window scale (4 bits, {@link #TS_NO_WSCALE} for none), SACK-Permitted
 * (1 bit), ECN (1 bit, always 0: we do no ECN). Without timestamps the SYN-ACK offers no window
 * scale and no SACK, so the connection has neither (as Linux).
 *
 * <p>The keys are derived from the stack's ISN secret ({@link IsnGenerator#derive}), random at
 * start-up in the runtime and fixed in tests. Deterministic, allocation-free and immutable; time is
 * passed in.
 */
final class SynCookies {

  /** The cookie clock's period: 64 s (Linux counted minutes; RFC 4987 §3.6 leaves it open). */
  static final long PERIOD_NS = 64_000_000_000L;
  /** A cookie is good in the period it was made in and the next, no older (Linux's MAX_SYNCOOKIE_AGE). */
  static final int MAX_AGE = 2;
  /** Bits of the cookie below the count. */
  static final int COUNT_SHIFT = 24;
  static final int DATA_MASK = (1 << COUNT_SHIFT) - 1;
  /** The count's bits in the cookie. */
  static final int COUNT_MASK = 0xFF;
  /**
   * The MSS values a cookie can encode (Linux's {@code msstab}): the peer's MSS becomes the largest
   * entry not above it, 536 (RFC 9293's default for IPv4) when it is smaller or absent.
   */
  static final int[] MSS_TABLE = {536, 1300, 1440, 1460};

  /** The low bits of our TSval that carry the SYN's options (Linux's TSBITS). */
  static final int TS_OPTION_BITS = 6;
  static final int TS_OPTION_MASK = (1 << TS_OPTION_BITS) - 1;
  /** Window scale in bits 0..3; this value: the SYN had none. */
  static final int TS_NO_WSCALE = 0xF;
  /** SACK-Permitted was in the SYN. */
  static final int TS_SACK = 1 << 4;
  /** ECN was agreed (never, here: sent as 0, and a cookie with it set is refused). */
  static final int TS_ECN = 1 << 5;

  /** A cookie that fails {@link #check}. */
  static final int INVALID = -1;

  /** The length of the hashed tuple (as {@link IsnGenerator#TUPLE_LENGTH}) plus 3 bytes of count. */
  private static final int TUPLE_AND_COUNT_LENGTH = IsnGenerator.TUPLE_LENGTH + 3;

  private static final String KEY_LABEL_0A = "tcp syncookie 0a";
  private static final String KEY_LABEL_0B = "tcp syncookie 0b";
  private static final String KEY_LABEL_1A = "tcp syncookie 1a";
  private static final String KEY_LABEL_1B = "tcp syncookie 1b";

  private final long h0k0;
  private final long h0k1;
  private final long h1k0;
  private final long h1k1;

  SynCookies(IsnGenerator secret) {
    this.h0k0 = secret.derive(KEY_LABEL_0A);
    this.h0k1 = secret.derive(KEY_LABEL_0B);
    this.h1k0 = secret.derive(KEY_LABEL_1A);
    this.h1k1 = secret.derive(KEY_LABEL_1B);
  }

  /** The cookie clock at {@code nowNs}: whole periods since the clock's origin. */
  static int count(long nowNs) {
    return (int) Math.floorDiv(nowNs, PERIOD_NS);
  }

  /** The index in {@link #MSS_TABLE} of the largest entry not above {@code peerMss} (0 when none is). */
  static int mssIndex(int peerMss) {
    int i = MSS_TABLE.length - 1;
    while (i > 0 && peerMss < MSS_TABLE[i]) {
      i--;
    }
    return i;
  }

  /**
   * The ISN of the SYN-ACK that answers the SYN {@code peerSeq} on the given 4-tuple at {@code nowNs},
   * encoding {@code mssIndex} (from {@link #mssIndex}).
   */
  int cookie(int localAddress, int localPort, int remoteAddress, int remotePort, int peerSeq, int mssIndex,
      long nowNs) {
    int count = count(nowNs);
    int h0 = hash(h0k0, h0k1, localAddress, localPort, remoteAddress, remotePort, -1);
    int h1 = hash(h1k0, h1k1, localAddress, localPort, remoteAddress, remotePort, count);
    return h0 + peerSeq + (count << COUNT_SHIFT) + ((h1 + mssIndex) & DATA_MASK);
  }

  /** As {@link #cookie(int, int, int, int, int, int, long)} for addresses of either family. */
  int cookie(IpAddress localAddress, int localPort, IpAddress remoteAddress, int remotePort, int peerSeq,
      int mssIndex, long nowNs) {
    return cookie(localAddress.hi(), localAddress.lo(), localPort, remoteAddress.hi(), remoteAddress.lo(), remotePort,
        peerSeq, mssIndex, nowNs);
  }

  /**
   * As {@link #cookie(IpAddress, int, IpAddress, int, int, int, long)} for addresses given as pairs
   * of longs (IPv4 IPv4-mapped, {@link IpAddress#ipv4MappedLo}): what a listener under a SYN flood
   * passes, so that a SYN makes no address object. Two IPv4 addresses hash as the int form.
   */
  int cookie(long localHi, long localLo, int localPort, long remoteHi, long remoteLo, int remotePort, int peerSeq,
      int mssIndex, long nowNs) {
    if (IpAddress.isIpv4Mapped(localHi, localLo) && IpAddress.isIpv4Mapped(remoteHi, remoteLo)) {
      return cookie((int) localLo, localPort, (int) remoteLo, remotePort, peerSeq, mssIndex, nowNs);
    }
    int count = count(nowNs);
    int h0 = IsnGenerator.tupleHash6(h0k0, h0k1, localHi, localLo, localPort, remoteHi, remoteLo, remotePort, -1);
    int h1 = IsnGenerator.tupleHash6(h1k0, h1k1, localHi, localLo, localPort, remoteHi, remoteLo, remotePort, count);
    return h0 + peerSeq + (count << COUNT_SHIFT) + ((h1 + mssIndex) & DATA_MASK);
  }

  /** As {@link #check(int, int, int, int, int, int, long)} for addresses of either family. */
  int check(int cookie, IpAddress localAddress, int localPort, IpAddress remoteAddress, int remotePort, int peerSeq,
      long nowNs) {
    return check(cookie, localAddress.hi(), localAddress.lo(), localPort, remoteAddress.hi(), remoteAddress.lo(),
        remotePort, peerSeq, nowNs);
  }

  /** As {@link #check(int, IpAddress, int, IpAddress, int, int, long)} for addresses given as pairs of longs. */
  int check(int cookie, long localHi, long localLo, int localPort, long remoteHi, long remoteLo, int remotePort,
      int peerSeq, long nowNs) {
    if (IpAddress.isIpv4Mapped(localHi, localLo) && IpAddress.isIpv4Mapped(remoteHi, remoteLo)) {
      return check(cookie, (int) localLo, localPort, (int) remoteLo, remotePort, peerSeq, nowNs);
    }
    int count = count(nowNs);
    int c = cookie - IsnGenerator.tupleHash6(h0k0, h0k1, localHi, localLo, localPort, remoteHi, remoteLo, remotePort,
        -1) - peerSeq;
    int age = (count - (c >>> COUNT_SHIFT)) & COUNT_MASK;
    if (age >= MAX_AGE) {
      return INVALID;
    }
    int data = (c - IsnGenerator.tupleHash6(h1k0, h1k1, localHi, localLo, localPort, remoteHi, remoteLo, remotePort,
        count - age)) & DATA_MASK;
    return data < MSS_TABLE.length ? data : INVALID;
  }

  /**
   * The MSS index the cookie {@code cookie} (SEG.ACK - 1 of an ACK, whose SEG.SEQ - 1 is {@code
   * peerSeq}) encodes, or {@link #INVALID} if it was not made for this tuple and sequence number,
   * or is older than {@link #MAX_AGE} periods at {@code nowNs}.
   */
  int check(int cookie, int localAddress, int localPort, int remoteAddress, int remotePort, int peerSeq, long nowNs) {
    int count = count(nowNs);
    int c = cookie - hash(h0k0, h0k1, localAddress, localPort, remoteAddress, remotePort, -1) - peerSeq;
    int age = (count - (c >>> COUNT_SHIFT)) & COUNT_MASK;
    if (age >= MAX_AGE) {
      return INVALID;
    }
    int data = (c - hash(h1k0, h1k1, localAddress, localPort, remoteAddress, remotePort, count - age)) & DATA_MASK;
    return data < MSS_TABLE.length ? data : INVALID;
  }

  /**
   * SipHash-2-4 of the 4-tuple's 12 bytes (in {@link IsnGenerator}'s layout) followed, unless
   * {@code count} is -1, by count's low 3 bytes: a 12- or 15-byte message, both within the
   * allocation-free form {@link IsnGenerator#sipHash24(long, long, long, long)}. Folded to 32 bits.
   */
  private static int hash(long k0, long k1, int localAddress, int localPort, int remoteAddress, int remotePort,
      int count) {
    long addresses =
        (Integer.reverseBytes(localAddress) & 0xFFFF_FFFFL)
            | ((long) Integer.reverseBytes(remoteAddress) << 32);
    int ports = (localPort & 0xFFFF) << 16 | (remotePort & 0xFFFF);
    long last = Integer.reverseBytes(ports) & 0xFFFF_FFFFL;
    if (count == -1) {
      last |= (long) IsnGenerator.TUPLE_LENGTH << 56;
    } else {
      last |= ((long) (count & 0xFF_FFFF) << 32) | ((long) TUPLE_AND_COUNT_LENGTH << 56);
    }
    long h = IsnGenerator.sipHash24(k0, k1, addresses, last);
    return (int) (h ^ (h >>> 32));
  }

  // ---------------------------------------------------------------- options in the timestamp

  /**
   * The TSval clock value (before the connection's offset is added, RFC 7323 §5.4) of a cookie
   * SYN-ACK at {@code nowNs}: our TS clock with its low {@link #TS_OPTION_BITS} bits replaced by the
   * SYN's options — never ahead of the clock (Linux's {@code cookie_init_timestamp}), so the
   * connection's later TSvals do not go back.
   *
   * @param windowScale the SYN's Window Scale, or {@link TcpOptions#NO_WINDOW_SCALE}
   */
  static int encodeTimestamp(long nowNs, int windowScale, boolean sackPermitted) {
    int clock = Timestamps.tsVal(0, nowNs);
    int options = windowScale == TcpOptions.NO_WINDOW_SCALE ? TS_NO_WSCALE : windowScale & TS_NO_WSCALE;
    if (sackPermitted) {
      options |= TS_SACK;
    }
    int ts = (clock & ~TS_OPTION_MASK) | options;
    return gt(ts, clock) ? add(ts, -(1 << TS_OPTION_BITS)) : ts;
  }

  /** The Window Scale the TSecr clock value {@code echoed} (offset removed) carries, or {@link TcpOptions#NO_WINDOW_SCALE}. */
  static int decodeWindowScale(int echoed) {
    int wscale = echoed & TS_NO_WSCALE;
    return wscale == TS_NO_WSCALE ? TcpOptions.NO_WINDOW_SCALE : Math.min(wscale, TcpOptions.MAX_WINDOW_SCALE);
  }

  /** Whether the TSecr clock value {@code echoed} says the SYN carried SACK-Permitted. */
  static boolean decodeSack(int echoed) {
    return (echoed & TS_SACK) != 0;
  }

  /** Whether the TSecr clock value {@code echoed} claims ECN, which we never encode: a forgery. */
  static boolean decodeEcn(int echoed) {
    return (echoed & TS_ECN) != 0;
  }
}
