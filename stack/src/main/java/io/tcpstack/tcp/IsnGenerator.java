package io.tcpstack.tcp;

import io.tcpstack.wire.IpAddress;
import java.util.Objects;

/**
 * Initial sequence numbers as RFC 6528 §3 and RFC 9293 §3.4.1 (SHLD-1) recommend:
 *
 * <pre>
 *   ISN = M + F(localip, localport, remoteip, remoteport, secretkey)
 * </pre>
 *
 * <ul>
 *   <li><b>M</b> is a clock ticking every 4 microseconds (RFC 9293 §3.4.1, MUST-8): {@code
 *       floor(nowNs / 4000)}, truncated to 32 bits, so it wraps about every 4.77 hours. Successive
 *       incarnations of one connection (same addresses and ports) start ever further along, which
 *       keeps segments of an old incarnation out of the new one's window.
 *   <li><b>F</b> is SipHash-2-4 (Aumasson and Bernstein, 2012), a pseudorandom function keyed with
 *       128 secret bits, of the four connection identifiers; its 64-bit output is folded to 32 bits.
 *       Without the key, F cannot be computed from outside (RFC 9293 MUST-9), so the ISN of one
 *       connection tells an off-path attacker nothing about another's. RFC 6528 §3 notes that F is
 *       no more secure than its key: the runtime draws it from {@code SecureRandom} at start-up.
 *       RFC 6528 suggested MD5; SipHash is a keyed PRF made for short inputs, far cheaper, and what
 *       Linux uses for its ISNs.
 * </ul>
 *
 * <p>The same construction, with a key of its own derived from the secret one, gives each connection
 * the offset of its TCP timestamp clock ({@link #timestampOffset}, RFC 7323 §5.4, §7.1): fixed per
 * 4-tuple, so the timestamps of successive incarnations keep increasing (RFC 6191), and unknown
 * from outside, so they tell nothing of the host's clock or of other connections.
 *
 * <p>The hashed message is the 12 bytes {@code localAddress, remoteAddress} (4 bytes each) then
 * {@code localPort, remotePort} (2 bytes each), all in network byte order; for IPv6, the same with
 * 16-byte addresses (36 bytes). Deterministic: the same
 * key, tuple and time always give the same ISN, which is what lets tests fix the key. {@link #isn}
 * allocates nothing. Immutable, so safe to share between threads.
 */
public final class IsnGenerator {

  /** The SipHash key length in bytes: 128 bits. */
  public static final int KEY_LENGTH = 16;

  /** M's period: the ISN clock advances once every 4 microseconds (RFC 9293 §3.4.1). */
  public static final long TICK_NS = 4_000;

  /** The length of the hashed 4-tuple: two IPv4 addresses and two ports. */
  static final int TUPLE_LENGTH = 12;

  // SipHash's initialisation constants: "somepseudorandomlygeneratedbytes" in ASCII.
  private static final long INIT_V0 = 0x736f6d6570736575L;
  private static final long INIT_V1 = 0x646f72616e646f6dL;
  private static final long INIT_V2 = 0x6c7967656e657261L;
  private static final long INIT_V3 = 0x7465646279746573L;
  // SipHash-2-4: 2 compression rounds per message word, 4 finalisation rounds.
  private static final int C_ROUNDS = 2;
  private static final int D_ROUNDS = 4;
  private static final long FINALIZATION_MARK = 0xff;

  /** Labels from which the timestamp-offset key is derived: SipHash of each under the secret key. */
  private static final String TIMESTAMP_KEY_LABEL_0 = "tcp ts offset k0";
  private static final String TIMESTAMP_KEY_LABEL_1 = "tcp ts offset k1";

  private final long k0;
  private final long k1;
  /** The key of {@link #timestampOffset}: derived, so that it is independent of the ISN's. */
  private final long tsK0;
  private final long tsK1;

  /**
   * A generator keyed with the first {@value #KEY_LENGTH} bytes of {@code secretKey} (bytes after
   * them are ignored). The array is copied, not kept.
   *
   * @param secretKey at least 16 secret bytes: from {@code SecureRandom} in the runtime, fixed in
   *     tests
   * @throws IllegalArgumentException if the key is shorter than 16 bytes
   */
  public IsnGenerator(byte[] secretKey) {
    Objects.requireNonNull(secretKey, "secretKey");
    if (secretKey.length < KEY_LENGTH) {
      throw new IllegalArgumentException(
          "the ISN secret key needs "
              + KEY_LENGTH
              + " bytes (128 bits), got "
              + secretKey.length
              + ": pass bytes from SecureRandom");
    }
    this.k0 = littleEndianLong(secretKey, 0, 8);
    this.k1 = littleEndianLong(secretKey, 8, 8);
    this.tsK0 = derive(TIMESTAMP_KEY_LABEL_0);
    this.tsK1 = derive(TIMESTAMP_KEY_LABEL_1);
  }

  /**
   * A 64-bit key derived from the secret one: SipHash of {@code label} under it. Keys for other
   * purposes ({@link #timestampOffset}, {@link SynCookies}) come from here, each under its own
   * label, so that none reveals another.
   */
  long derive(String label) {
    byte[] message = label.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    return sipHash24(k0, k1, message, 0, message.length);
  }

  /**
   * The initial send sequence number for the connection {@code localAddress:localPort} to {@code
   * remoteAddress:remotePort}, opened at {@code nowNs}.
   *
   * @param localAddress our IPv4 address (network order in an int, as the header views give it)
   * @param localPort our port; the low 16 bits are used
   * @param remoteAddress the peer's IPv4 address
   * @param remotePort the peer's port; the low 16 bits are used
   * @param nowNs the stack's monotonic clock; any origin, negative values included
   */
  public int isn(int localAddress, int localPort, int remoteAddress, int remotePort, long nowNs) {
    return clock(nowNs) + offset(localAddress, localPort, remoteAddress, remotePort);
  }

  /**
   * As {@link #isn(int, int, int, int, long)} for addresses of either family: two IPv4 addresses
   * hash exactly as the int form; otherwise the 128-bit addresses do ({@link #tupleHash6}).
   */
  public int isn(IpAddress localAddress, int localPort, IpAddress remoteAddress, int remotePort, long nowNs) {
    return clock(nowNs) + offset(localAddress, localPort, remoteAddress, remotePort);
  }

  /** As {@link #timestampOffset(int, int, int, int)} for addresses of either family. */
  public int timestampOffset(IpAddress localAddress, int localPort, IpAddress remoteAddress, int remotePort) {
    return timestampOffset(localAddress.hi(), localAddress.lo(), localPort, remoteAddress.hi(), remoteAddress.lo(),
        remotePort);
  }

  /**
   * As {@link #timestampOffset(IpAddress, int, IpAddress, int)} for addresses given as pairs of
   * longs (IPv4 IPv4-mapped, {@link IpAddress#ipv4MappedLo}): what the per-packet paths pass, so
   * that they make no address object.
   */
  int timestampOffset(long localHi, long localLo, int localPort, long remoteHi, long remoteLo, int remotePort) {
    if (IpAddress.isIpv4Mapped(localHi, localLo) && IpAddress.isIpv4Mapped(remoteHi, remoteLo)) {
      return timestampOffset((int) localLo, localPort, (int) remoteLo, remotePort);
    }
    return tupleHash6(tsK0, tsK1, localHi, localLo, localPort, remoteHi, remoteLo, remotePort, -1);
  }

  int offset(IpAddress localAddress, int localPort, IpAddress remoteAddress, int remotePort) {
    if (localAddress.isIpv4() && remoteAddress.isIpv4()) {
      return offset(localAddress.ipv4(), localPort, remoteAddress.ipv4(), remotePort);
    }
    return tupleHash6(k0, k1, localAddress, localPort, remoteAddress, remotePort, -1);
  }

  /**
   * SipHash-2-4 under {@code k0}, {@code k1} of an IPv6 4-tuple — the 36 bytes local address,
   * remote address (16 each), local port, remote port (2 each), network order — followed, unless
   * {@code count} is -1, by count's low 3 bytes (SYN cookies), folded to 32 bits. Allocation-free.
   */
  static int tupleHash6(long k0, long k1, IpAddress local, int localPort, IpAddress remote, int remotePort,
      int count) {
    return tupleHash6(k0, k1, local.hi(), local.lo(), localPort, remote.hi(), remote.lo(), remotePort, count);
  }

  /** As {@link #tupleHash6(long, long, IpAddress, int, IpAddress, int, int)} for addresses as pairs of longs. */
  static int tupleHash6(long k0, long k1, long localHi, long localLo, int localPort, long remoteHi, long remoteLo,
      int remotePort, int count) {
    int ports = (localPort & 0xFFFF) << 16 | (remotePort & 0xFFFF);
    long last = Integer.reverseBytes(ports) & 0xFFFF_FFFFL;
    if (count == -1) {
      last |= (long) TUPLE6_LENGTH << 56;
    } else {
      last |= ((long) (count & 0xFF_FFFF) << 32) | ((long) (TUPLE6_LENGTH + 3) << 56);
    }
    long h = sipHash24(k0, k1, Long.reverseBytes(localHi), Long.reverseBytes(localLo),
        Long.reverseBytes(remoteHi), Long.reverseBytes(remoteLo), last);
    return (int) (h ^ (h >>> 32));
  }

  /** The length of the hashed IPv6 4-tuple: two 16-byte addresses and two ports. */
  static final int TUPLE6_LENGTH = 36;

  /**
   * SipHash-2-4 of a message of 32 to 39 bytes, allocation-free: {@code w0..w3} its first 32 bytes
   * as little-endian words, {@code lastBlock} the rest with the length in the top byte (as {@link
   * #sipHash24(long, long, long, long)}).
   */
  static long sipHash24(long k0, long k1, long w0, long w1, long w2, long w3, long lastBlock) {
    long v0 = k0 ^ INIT_V0;
    long v1 = k1 ^ INIT_V1;
    long v2 = k0 ^ INIT_V2;
    long v3 = k1 ^ INIT_V3;
    for (int step = 0; step < 6; step++) {
      boolean finalization = step == 5;
      long m = switch (step) {
        case 0 -> w0;
        case 1 -> w1;
        case 2 -> w2;
        case 3 -> w3;
        case 4 -> lastBlock;
        default -> 0;
      };
      if (finalization) {
        v2 ^= FINALIZATION_MARK;
      } else {
        v3 ^= m;
      }
      for (int r = finalization ? D_ROUNDS : C_ROUNDS; r > 0; r--) {
        v0 += v1;
        v1 = Long.rotateLeft(v1, 13) ^ v0;
        v0 = Long.rotateLeft(v0, 32);
        v2 += v3;
        v3 = Long.rotateLeft(v3, 16) ^ v2;
        v0 += v3;
        v3 = Long.rotateLeft(v3, 21) ^ v0;
        v2 += v1;
        v1 = Long.rotateLeft(v1, 17) ^ v2;
        v2 = Long.rotateLeft(v2, 32);
      }
      v0 ^= m;
    }
    return v0 ^ v1 ^ v2 ^ v3;
  }

  /**
   * M: the 4-microsecond clock at {@code nowNs}, truncated to 32 bits. Floor division keeps every
   * tick 4 µs long across zero, since a monotonic clock's origin is arbitrary.
   */
  static int clock(long nowNs) {
    return (int) Math.floorDiv(nowNs, TICK_NS);
  }

  /**
   * The offset of the TCP timestamp clock (RFC 7323 §5.4) for the connection {@code
   * localAddress:localPort} to {@code remoteAddress:remotePort}: a keyed hash of the 4-tuple under a
   * key of its own, so it reveals nothing of the ISN's F, and is the same for every incarnation of
   * the 4-tuple.
   */
  public int timestampOffset(int localAddress, int localPort, int remoteAddress, int remotePort) {
    return tupleHash(tsK0, tsK1, localAddress, localPort, remoteAddress, remotePort);
  }

  /** F: the keyed hash of the 4-tuple, folded to 32 bits. */
  int offset(int localAddress, int localPort, int remoteAddress, int remotePort) {
    return tupleHash(k0, k1, localAddress, localPort, remoteAddress, remotePort);
  }

  /** SipHash-2-4 under {@code k0}, {@code k1} of the 4-tuple's 12 bytes, folded to 32 bits. */
  private static int tupleHash(long k0, long k1, int localAddress, int localPort, int remoteAddress, int remotePort) {
    // The tuple's 12 bytes as SipHash reads them: the first 8 as a little-endian word (the two
    // addresses), the last 4 (the ports) in the final block, under the message length.
    long addresses =
        (Integer.reverseBytes(localAddress) & 0xFFFF_FFFFL)
            | ((long) Integer.reverseBytes(remoteAddress) << 32);
    int ports = (localPort & 0xFFFF) << 16 | (remotePort & 0xFFFF);
    long last = (Integer.reverseBytes(ports) & 0xFFFF_FFFFL) | ((long) TUPLE_LENGTH << 56);
    long h = sipHash24(k0, k1, addresses, last);
    return (int) (h ^ (h >>> 32));
  }

  /**
   * SipHash-2-4 of a message of 8 to 15 bytes, allocation-free: {@code word} is its first 8 bytes
   * read little-endian, {@code lastBlock} its remaining bytes read little-endian with the message
   * length in the top byte, exactly as the general form below builds its last block.
   */
  static long sipHash24(long k0, long k1, long word, long lastBlock) {
    long v0 = k0 ^ INIT_V0;
    long v1 = k1 ^ INIT_V1;
    long v2 = k0 ^ INIT_V2;
    long v3 = k1 ^ INIT_V3;
    // Steps 0 and 1 compress the two blocks, step 2 finalises (with m = 0, so v0 ^= m is a no-op).
    for (int step = 0; step < 3; step++) {
      boolean finalization = step == 2;
      long m = step == 0 ? word : finalization ? 0 : lastBlock;
      if (finalization) {
        v2 ^= FINALIZATION_MARK;
      } else {
        v3 ^= m;
      }
      for (int r = finalization ? D_ROUNDS : C_ROUNDS; r > 0; r--) {
        // SipRound, the one ARX permutation; the same as in the general form below.
        v0 += v1;
        v1 = Long.rotateLeft(v1, 13) ^ v0;
        v0 = Long.rotateLeft(v0, 32);
        v2 += v3;
        v3 = Long.rotateLeft(v3, 16) ^ v2;
        v0 += v3;
        v3 = Long.rotateLeft(v3, 21) ^ v0;
        v2 += v1;
        v1 = Long.rotateLeft(v1, 17) ^ v2;
        v2 = Long.rotateLeft(v2, 32);
      }
      v0 ^= m;
    }
    return v0 ^ v1 ^ v2 ^ v3;
  }

  /**
   * SipHash-2-4 of {@code length} bytes of {@code message} from {@code offset}, keyed with {@code
   * k0}, {@code k1} (the key's two halves read little-endian): the general algorithm, which the
   * reference test vectors check, and which {@link #sipHash24(long, long, long, long)} specialises
   * for the tuple. Each full 8-byte word is compressed, then a last block of the remaining bytes
   * under the length's low byte, then the state is finalised.
   */
  static long sipHash24(long k0, long k1, byte[] message, int offset, int length) {
    Objects.checkFromIndexSize(offset, length, message.length);
    long v0 = k0 ^ INIT_V0;
    long v1 = k1 ^ INIT_V1;
    long v2 = k0 ^ INIT_V2;
    long v3 = k1 ^ INIT_V3;
    int words = length / 8;
    for (int step = 0; step <= words + 1; step++) {
      boolean finalization = step == words + 1;
      long m;
      if (step < words) {
        m = littleEndianLong(message, offset + 8 * step, 8);
      } else if (!finalization) {
        m = littleEndianLong(message, offset + 8 * step, length % 8) | ((long) length << 56);
      } else {
        m = 0;
      }
      if (finalization) {
        v2 ^= FINALIZATION_MARK;
      } else {
        v3 ^= m;
      }
      for (int r = finalization ? D_ROUNDS : C_ROUNDS; r > 0; r--) {
        v0 += v1;
        v1 = Long.rotateLeft(v1, 13) ^ v0;
        v0 = Long.rotateLeft(v0, 32);
        v2 += v3;
        v3 = Long.rotateLeft(v3, 16) ^ v2;
        v0 += v3;
        v3 = Long.rotateLeft(v3, 21) ^ v0;
        v2 += v1;
        v1 = Long.rotateLeft(v1, 17) ^ v2;
        v2 = Long.rotateLeft(v2, 32);
      }
      v0 ^= m;
    }
    return v0 ^ v1 ^ v2 ^ v3;
  }

  /** {@code n} (0 to 8) bytes from {@code offset} as a little-endian number. */
  static long littleEndianLong(byte[] bytes, int offset, int n) {
    long v = 0;
    for (int i = 0; i < n; i++) {
      v |= (bytes[offset + i] & 0xFFL) << (8 * i);
    }
    return v;
  }
}
