package io.tcpstack.tcp;

import io.tcpstack.wire.IpAddress;
import java.nio.charset.StandardCharsets;
import java.util.BitSet;
import java.util.Objects;

/**
 * Ephemeral port selection by RFC 6056 §3.3.4, "Algorithm 4: Double-Hash Port Selection Algorithm":
 *
 * <pre>
 *   offset = F(local_IP, remote_IP, remote_port, secret_key1)
 *   index  = G(local_IP, remote_IP, remote_port, secret_key2)
 *   count  = num_ephemeral
 *   do {
 *     port = min_ephemeral + (offset + table[index]) % num_ephemeral
 *     table[index]++
 *     if (check_suitable_port(port)) return port
 *     count--
 *   } while (count > 0)
 *   return ERROR
 * </pre>
 *
 * <ul>
 *   <li><b>F</b> places each destination (remote address and port, from our address) at its own
 *       secret point of the range, so the ports used toward one peer say nothing about those used
 *       toward another (RFC 6056 §3.3.3's property).
 *   <li><b>G</b> picks one of {@link #TABLE_LENGTH} counters, so consecutive connections to one
 *       destination still get different ports (the counter steps), while connections to other
 *       destinations — which almost always step other counters — do not move this one: unlike
 *       §3.3.3's single global counter, the gaps in one peer's sequence reveal nothing of how many
 *       connections were made elsewhere (§3.3.4's reason for the table).
 *   <li>Both are SipHash-2-4 ({@link IsnGenerator#sipHash24(long, long, long, long)}), each under
 *       its own 128-bit key derived from the stack's secret port key; the table starts from values
 *       derived from it too (§3.3.4 lets the table start random). Without the key, neither F nor G
 *       nor the table can be computed from outside (RFC 6056 §3.3.4, §6).
 * </ul>
 *
 * <p>The hashed message is the 10 bytes {@code localAddress, remoteAddress} (4 bytes each) then
 * {@code remotePort} (2 bytes), in network byte order. Deterministic for a given key (tests fix
 * it; the runtime draws it from {@code SecureRandom}, see {@code StackConfig}); allocates nothing.
 * Stack thread only (the table is mutable state).
 */
final class EphemeralPorts {

  /** RFC 6056 §3.3.4's table of counters: 4096 of them, 8 KiB per stack. The RFC leaves the size open. */
  static final int TABLE_LENGTH = 4096;
  /** The length of the hashed destination: two IPv4 addresses and the remote port. */
  static final int MESSAGE_LENGTH = 10;

  private static final String F_LABEL_0 = "rfc6056 alg4 F k0";
  private static final String F_LABEL_1 = "rfc6056 alg4 F k1";
  private static final String G_LABEL_0 = "rfc6056 alg4 G k0";
  private static final String G_LABEL_1 = "rfc6056 alg4 G k1";
  private static final String TABLE_LABEL_0 = "rfc6056 alg4 table k0";
  private static final String TABLE_LABEL_1 = "rfc6056 alg4 table k1";

  /** Whether a port may be used toward the destination being served (RFC 6056's check_suitable_port). */
  @FunctionalInterface
  interface PortCheck {
    boolean suitable(int port);
  }

  private final int first;
  private final int count;
  private final long fK0;
  private final long fK1;
  private final long gK0;
  private final long gK1;
  /** The counters, each taken modulo 2^16 as the RFC's pseudo-code (the range is at most that). */
  private final char[] table = new char[TABLE_LENGTH];
  /**
   * Which counters have their random start yet: a slot is seeded the first time a destination uses
   * it, not all 4096 when the stack starts (4096 SipHash rounds per stack were most of the cost of
   * a fuzzer's input, and a short-lived stack uses a few slots).
   */
  private final BitSet seeded = new BitSet(TABLE_LENGTH);
  private final long tK0;
  private final long tK1;

  /**
   * @param secretKey at least {@value IsnGenerator#KEY_LENGTH} secret bytes (the first 16 are used)
   * @param first the lowest ephemeral port
   * @param last the highest ephemeral port
   */
  EphemeralPorts(byte[] secretKey, int first, int last) {
    Objects.requireNonNull(secretKey, "secretKey");
    if (secretKey.length < IsnGenerator.KEY_LENGTH) {
      throw new IllegalArgumentException("the ephemeral port key needs " + IsnGenerator.KEY_LENGTH
          + " bytes (128 bits), got " + secretKey.length + ": pass bytes from SecureRandom");
    }
    if (first < 1 || last > 65535 || first > last) {
      throw new IllegalArgumentException("ephemeral port range " + first + ".." + last + " is not within 1..65535");
    }
    this.first = first;
    this.count = last - first + 1;
    long k0 = IsnGenerator.littleEndianLong(secretKey, 0, 8);
    long k1 = IsnGenerator.littleEndianLong(secretKey, 8, 8);
    this.fK0 = derive(k0, k1, F_LABEL_0);
    this.fK1 = derive(k0, k1, F_LABEL_1);
    this.gK0 = derive(k0, k1, G_LABEL_0);
    this.gK1 = derive(k0, k1, G_LABEL_1);
    this.tK0 = derive(k0, k1, TABLE_LABEL_0);
    this.tK1 = derive(k0, k1, TABLE_LABEL_1);
  }

  /** Slot {@code index}, seeded on first use with a keyed hash of the index: a random start per slot. */
  private void seed(int index) {
    if (!seeded.get(index)) {
      table[index] = (char) IsnGenerator.sipHash24(tK0, tK1, index, 8L << 56); // the 8-byte message index, little-endian
      seeded.set(index);
    }
  }

  private static long derive(long k0, long k1, String label) {
    byte[] message = label.getBytes(StandardCharsets.US_ASCII);
    return IsnGenerator.sipHash24(k0, k1, message, 0, message.length);
  }

  /**
   * An ephemeral port for a connection from {@code localAddress} to {@code remoteAddress:remotePort}
   * that {@code check} accepts, or -1 when it accepts none of the range (RFC 6056's ERROR).
   */
  int pick(int localAddress, int remoteAddress, int remotePort, PortCheck check) {
    long offset = Integer.toUnsignedLong(f(localAddress, remoteAddress, remotePort));
    int index = g(localAddress, remoteAddress, remotePort);
    seed(index);
    for (int tries = count; tries > 0; tries--) {
      int port = first + (int) ((offset + table[index]) % count);
      table[index]++; // char arithmetic: modulo 2^16
      if (check.suitable(port)) {
        return port;
      }
    }
    return -1;
  }

  /**
   * As {@link #pick(int, int, int, PortCheck)} for addresses of either family: IPv4 hashes as the
   * int form; IPv6 hashes the 34 bytes of both 128-bit addresses and the remote port.
   */
  int pick(IpAddress localAddress, IpAddress remoteAddress, int remotePort, PortCheck check) {
    if (localAddress.isIpv4() && remoteAddress.isIpv4()) {
      return pick(localAddress.ipv4(), remoteAddress.ipv4(), remotePort, check);
    }
    long hf = destinationHash6(fK0, fK1, localAddress, remoteAddress, remotePort);
    long hg = destinationHash6(gK0, gK1, localAddress, remoteAddress, remotePort);
    return pick(Integer.toUnsignedLong((int) (hf ^ (hf >>> 32))), (int) Long.remainderUnsigned(hg, TABLE_LENGTH),
        check);
  }

  private int pick(long offset, int index, PortCheck check) {
    seed(index);
    for (int tries = count; tries > 0; tries--) {
      int port = first + (int) ((offset + table[index]) % count);
      table[index]++; // char arithmetic: modulo 2^16
      if (check.suitable(port)) {
        return port;
      }
    }
    return -1;
  }

  /** SipHash-2-4 of the IPv6 destination's 34 bytes (local and remote address, remote port). */
  static long destinationHash6(long k0, long k1, IpAddress local, IpAddress remote, int remotePort) {
    long last = ((remotePort >>> 8) & 0xFF) | ((remotePort & 0xFF) << 8) | ((long) (2 * IpAddress.IPV6_BYTES + 2) << 56);
    return IsnGenerator.sipHash24(k0, k1, Long.reverseBytes(local.hi()), Long.reverseBytes(local.lo()),
        Long.reverseBytes(remote.hi()), Long.reverseBytes(remote.lo()), last);
  }

  /** F: where the destination's ports start, a keyed hash folded to 32 bits. */
  int f(int localAddress, int remoteAddress, int remotePort) {
    long h = destinationHash(fK0, fK1, localAddress, remoteAddress, remotePort);
    return (int) (h ^ (h >>> 32));
  }

  /** G: the destination's counter, a keyed hash under another key, reduced to a table index. */
  int g(int localAddress, int remoteAddress, int remotePort) {
    long h = destinationHash(gK0, gK1, localAddress, remoteAddress, remotePort);
    return (int) Long.remainderUnsigned(h, TABLE_LENGTH);
  }

  /** The counter of table slot {@code index} now (for tests). */
  int counter(int index) {
    seed(index);
    return table[index];
  }

  /** SipHash-2-4 of the destination's 10 bytes, as {@link IsnGenerator} hashes its 12. */
  static long destinationHash(long k0, long k1, int localAddress, int remoteAddress, int remotePort) {
    long addresses =
        (Integer.reverseBytes(localAddress) & 0xFFFF_FFFFL) | ((long) Integer.reverseBytes(remoteAddress) << 32);
    // The port's two bytes, high then low, read little-endian; the message length in the top byte.
    long last = ((remotePort >>> 8) & 0xFF) | ((remotePort & 0xFF) << 8) | ((long) MESSAGE_LENGTH << 56);
    return IsnGenerator.sipHash24(k0, k1, addresses, last);
  }
}
