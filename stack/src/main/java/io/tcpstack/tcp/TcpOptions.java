package io.tcpstack.tcp;

import io.netty.buffer.ByteBuf;
import java.util.Objects;

/**
 * The TCP options of one segment (RFC 9293 §3.1, §3.2): parsed into this reusable holder, and the
 * writers for the options we send.
 *
 * <pre>
 *   EOL, NOP      +--------+
 *   (one byte)    |  kind  |
 *                 +--------+
 *
 *   the others    +--------+--------+--------...--+
 *                 |  kind  | length |    data     |   length counts kind and length: 2 or more
 *                 +--------+--------+--------...--+
 *
 *   kind 2  MSS              length 4   16-bit maximum segment size     RFC 9293 §3.2, §3.7.1
 *   kind 3  window scale     length 3   8-bit shift count               RFC 7323 §2.2
 *   kind 4  SACK-permitted   length 2                                   RFC 2018 §2
 *   kind 5  SACK             length 8n+2, n blocks of 32-bit left and right edges  RFC 2018 §3
 *   kind 8  timestamps       length 10  32-bit TSval, 32-bit TSecr      RFC 7323 §3.2
 * </pre>
 *
 * <h2>Parsing</h2>
 *
 * {@link #parse} reads an options area and never throws on its content (RFC 9293 MUST-7: an
 * implementation must be prepared for an illegal option length). The rules:
 *
 * <ul>
 *   <li>Every field is reset first: a holder is reused for every segment, and nothing from the
 *       previous one survives.
 *   <li>Options are recorded whatever segment they arrive in (RFC 9293 MUST-5); the caller decides
 *       which matter (MSS, window scale and SACK-permitted only on a SYN).
 *   <li>Options need not be aligned (MUST-64); NOPs are skipped wherever they are.
 *   <li>EOL ends the list (RFC 9293 §3.2): whatever follows it is padding and is not read.
 *   <li>An option of a kind we do not implement is skipped by its length (MUST-6).
 *   <li>A known option with the wrong length for its kind (an MSS of length 3, timestamps of length
 *       8, a SACK whose length is not 8n+2) is skipped by its length and not recorded. It is not
 *       fatal: the length still delimits it, so the options after it are read.
 *   <li>A length byte below 2, an option running past the end of the area, or a kind byte in the
 *       area's last position with no room for its length: the list cannot be followed beyond that
 *       point. <b>Our choice:</b> the options recorded before it are kept, nothing from that point
 *       on is read, and {@link Status#MALFORMED} is returned, so that the caller can drop the
 *       segment and count it. RFC 9293 MUST-7 suggests resetting the connection; dropping is gentler
 *       on a connection that a single corrupted segment (or a forged one) should not kill, and a
 *       caller that prefers the RFC's suggestion has the status to act on.
 *   <li>If an option appears twice, the later one wins.
 *   <li>Values are reported as received, except a window scale above 14, which is read as 14 (RFC
 *       7323 §2.3). An MSS of 0, or SACK blocks outside the window, are the caller's to judge.
 * </ul>
 *
 * <p>Parsing allocates nothing and does not move the buffer's reader or writer index.
 *
 * <h2>Writing</h2>
 *
 * The static writers put options at an absolute index, in the word-aligned layouts of RFC 7323
 * Appendix A and RFC 2018 §3 (a NOP pair in front of timestamps and SACK), the layout Linux sends.
 * Every writer's length is a multiple of 4, so the options area needs no further padding. Writers
 * check their arguments and the room in the buffer before writing anything.
 *
 * <p>Mutable and not thread-safe, like the header views: one instance per connection or per layer.
 */
public final class TcpOptions {

  /** End of Option List: one byte, the end of the options (RFC 9293 §3.2). */
  public static final int KIND_EOL = 0;

  /** No-Operation: one byte, used to align the next option (RFC 9293 §3.2). */
  public static final int KIND_NOP = 1;

  /** Maximum Segment Size (RFC 9293 §3.2, §3.7.1). */
  public static final int KIND_MSS = 2;

  /** Window Scale (RFC 7323 §2.2). */
  public static final int KIND_WINDOW_SCALE = 3;

  /** SACK-Permitted (RFC 2018 §2). */
  public static final int KIND_SACK_PERMITTED = 4;

  /** SACK (RFC 2018 §3). */
  public static final int KIND_SACK = 5;

  /** Timestamps (RFC 7323 §3.2). */
  public static final int KIND_TIMESTAMPS = 8;

  /**
   * The smallest value of a length byte: an option's length counts its kind and length bytes (RFC
   * 9293 §3.1).
   */
  public static final int MIN_OPTION_LENGTH = 2;

  /** The length of an MSS option (RFC 9293 §3.2). */
  public static final int MSS_LENGTH = 4;

  /** The length of a Window Scale option (RFC 7323 §2.2). */
  public static final int WINDOW_SCALE_LENGTH = 3;

  /** The length of a SACK-Permitted option (RFC 2018 §2). */
  public static final int SACK_PERMITTED_LENGTH = 2;

  /** The length of a Timestamps option (RFC 7323 §3.2). */
  public static final int TIMESTAMPS_LENGTH = 10;

  /** The bytes a SACK option spends on each block: a 32-bit left and right edge (RFC 2018 §3). */
  public static final int SACK_BLOCK_LENGTH = 8;

  /**
   * The most options bytes a segment can carry: a data offset of 15 words makes a 60-byte header,
   * 20 of them fixed (RFC 9293 §3.1).
   */
  public static final int MAX_OPTIONS_LENGTH = 40;

  /**
   * The largest window scale shift: the window must stay below 2^30 (RFC 7323 §2.3). A larger one
   * received is read as this.
   */
  public static final int MAX_WINDOW_SCALE = 14;

  /**
   * The send MSS to assume when the peer's SYN carried no MSS option: 536 for IPv4, the 576-byte
   * datagram every host accepts less 40 bytes of headers (RFC 9293 §3.7.1, MUST-15).
   */
  public static final int DEFAULT_MSS = 536;
  /** RFC 9293 §3.7.1 (MUST-15): the send MSS over IPv6 when the peer's SYN had no MSS option (1280 - 60). */
  public static final int DEFAULT_MSS_IPV6 = 1220;

  /**
   * The most SACK blocks an option can hold: 8n+2 bytes must fit in the 40 bytes of options (RFC
   * 2018 §3). With timestamps, only 3 fit.
   */
  public static final int MAX_SACK_BLOCKS = 4;

  /** The largest value of the 16-bit MSS field. */
  public static final int MAX_MSS = 0xFFFF;

  /** The bytes {@link #writeTimestamps} writes: NOP, NOP, the option (RFC 7323 Appendix A). */
  public static final int ALIGNED_TIMESTAMPS_LENGTH = 2 + TIMESTAMPS_LENGTH;

  /** Window scale argument to the writers meaning "send no Window Scale option". */
  public static final int NO_WINDOW_SCALE = -1;

  /** What {@link #parse} found. */
  public enum Status {
    /** Every option was well-delimited (some may have been skipped as unknown or wrong-length). */
    OK,
    /**
     * An option's length byte was below 2 or ran past the options area: the options before it were
     * recorded, none from it on. The caller may drop the segment (RFC 9293 MUST-7).
     */
    MALFORMED
  }

  private boolean hasMss;
  private int mss;
  private boolean hasWindowScale;
  private int windowScale;
  private boolean sackPermitted;
  private boolean hasTimestamps;
  private int tsVal;
  private int tsEcr;
  private int sackBlockCount;
  private final int[] sackLeft = new int[MAX_SACK_BLOCKS];
  private final int[] sackRight = new int[MAX_SACK_BLOCKS];

  /** An empty holder: no options. */
  public TcpOptions() {
    clear();
  }

  /**
   * Forgets every option, as for a segment with none: {@link #mss()} is then {@link #DEFAULT_MSS}
   * and every other value 0.
   */
  public void clear() {
    hasMss = false;
    mss = DEFAULT_MSS;
    hasWindowScale = false;
    windowScale = 0;
    sackPermitted = false;
    hasTimestamps = false;
    tsVal = 0;
    tsEcr = 0;
    sackBlockCount = 0;
  }

  /**
   * Resets this holder, then parses the options area {@code [index, index + length)} of {@code
   * buf} (for a segment: {@link io.tcpstack.wire.TcpHeader#optionsIndex()} and {@link
   * io.tcpstack.wire.TcpHeader#optionsLength()}), following the rules in the class comment.
   *
   * @return {@link Status#OK}, or {@link Status#MALFORMED} if the list could not be followed to its
   *     end; the options recorded before that point stay readable either way
   * @throws IndexOutOfBoundsException if the range is not inside the buffer's capacity, and
   *     IllegalArgumentException if it is longer than {@link #MAX_OPTIONS_LENGTH}: both are bugs in
   *     the caller, which takes the range from a checked header
   */
  public Status parse(ByteBuf buf, int index, int length) {
    Objects.checkFromIndexSize(index, length, buf.capacity());
    if (length > MAX_OPTIONS_LENGTH) {
      throw new IllegalArgumentException(
          "a TCP options area is at most 40 bytes, not "
              + length
              + ": pass the header's optionsLength()");
    }
    clear();
    int end = index + length;
    int i = index;
    while (i < end) {
      int kind = buf.getUnsignedByte(i);
      if (kind == KIND_EOL) {
        return Status.OK;
      }
      if (kind == KIND_NOP) {
        i++;
        continue;
      }
      if (end - i < MIN_OPTION_LENGTH) {
        return Status.MALFORMED; // a kind byte with no room for its length byte
      }
      int optionLength = buf.getUnsignedByte(i + 1);
      if (optionLength < MIN_OPTION_LENGTH || optionLength > end - i) {
        return Status.MALFORMED;
      }
      record(buf, kind, i, optionLength);
      i += optionLength;
    }
    return Status.OK;
  }

  /** Records one well-delimited option at {@code i}, if its kind is known and its length right. */
  private void record(ByteBuf buf, int kind, int i, int optionLength) {
    switch (kind) {
      case KIND_MSS:
        if (optionLength == MSS_LENGTH) {
          hasMss = true;
          mss = buf.getUnsignedShort(i + 2);
        }
        break;
      case KIND_WINDOW_SCALE:
        if (optionLength == WINDOW_SCALE_LENGTH) {
          hasWindowScale = true;
          // RFC 7323 §2.3: a shift count above 14 is used as 14. The RFC would also have it
          // logged, but the core does not log per segment.
          windowScale = Math.min(buf.getUnsignedByte(i + 2), MAX_WINDOW_SCALE);
        }
        break;
      case KIND_SACK_PERMITTED:
        if (optionLength == SACK_PERMITTED_LENGTH) {
          sackPermitted = true;
        }
        break;
      case KIND_SACK:
        {
          // RFC 2018 §3: 8n+2 bytes for n blocks; no block, or a partial one, is the wrong length.
          int blocks = (optionLength - 2) / SACK_BLOCK_LENGTH;
          if ((optionLength - 2) % SACK_BLOCK_LENGTH == 0
              && blocks >= 1
              && blocks <= MAX_SACK_BLOCKS) {
            for (int b = 0; b < blocks; b++) {
              int at = i + 2 + b * SACK_BLOCK_LENGTH;
              sackLeft[b] = buf.getInt(at);
              sackRight[b] = buf.getInt(at + 4);
            }
            sackBlockCount = blocks;
          }
          break;
        }
      case KIND_TIMESTAMPS:
        if (optionLength == TIMESTAMPS_LENGTH) {
          hasTimestamps = true;
          tsVal = buf.getInt(i + 2);
          tsEcr = buf.getInt(i + 6);
        }
        break;
      default:
        // RFC 9293 MUST-6: an option we do not implement is ignored; its length skips it.
        break;
    }
  }

  /** Whether an MSS option was received. */
  public boolean hasMss() {
    return hasMss;
  }

  /**
   * The MSS the peer announced (0 to 65535), or {@link #DEFAULT_MSS} if it sent none (RFC 9293
   * MUST-15), so that {@code mss()} is the send MSS to use when read from the peer's SYN.
   */
  public int mss() {
    return mss;
  }

  /** Whether a Window Scale option was received. */
  public boolean hasWindowScale() {
    return hasWindowScale;
  }

  /** The peer's window scale shift, 0 to {@link #MAX_WINDOW_SCALE}; 0 if it sent none. */
  public int windowScale() {
    return windowScale;
  }

  /** Whether a SACK-Permitted option was received. */
  public boolean sackPermitted() {
    return sackPermitted;
  }

  /** Whether a Timestamps option was received. */
  public boolean hasTimestamps() {
    return hasTimestamps;
  }

  /** The peer's timestamp value TSval (raw 32 bits); 0 without {@link #hasTimestamps()}. */
  public int tsVal() {
    return tsVal;
  }

  /** The timestamp the peer echoes, TSecr (raw 32 bits); 0 without {@link #hasTimestamps()}. */
  public int tsEcr() {
    return tsEcr;
  }

  /** The number of SACK blocks received, 0 to {@link #MAX_SACK_BLOCKS}. */
  public int sackBlockCount() {
    return sackBlockCount;
  }

  /**
   * The left edge of SACK block {@code i}: the first sequence number of the block (RFC 2018 §3).
   *
   * @throws IndexOutOfBoundsException unless {@code 0 <= i < sackBlockCount()}
   */
  public int sackLeft(int i) {
    return sackLeft[Objects.checkIndex(i, sackBlockCount)];
  }

  /**
   * The right edge of SACK block {@code i}: the sequence number just after the block (RFC 2018
   * §3).
   *
   * @throws IndexOutOfBoundsException unless {@code 0 <= i < sackBlockCount()}
   */
  public int sackRight(int i) {
    return sackRight[Objects.checkIndex(i, sackBlockCount)];
  }

  /**
   * The length {@link #writeSynOptions} writes for these arguments: 4 (MSS), plus 12 with
   * timestamps (SACK-Permitted, if asked, takes the place of their two NOPs) or else 4 with
   * SACK-Permitted alone, plus 4 with a window scale. Always a multiple of 4, at most 20.
   *
   * @throws IllegalArgumentException if {@code windowScale} is not {@link #NO_WINDOW_SCALE} or 0 to
   *     14
   */
  public static int synOptionsLength(int windowScale, boolean sackPermitted, boolean timestamps) {
    checkWindowScale(windowScale);
    int length = MSS_LENGTH;
    if (timestamps) {
      length += ALIGNED_TIMESTAMPS_LENGTH;
    } else if (sackPermitted) {
      length += 2 + SACK_PERMITTED_LENGTH;
    }
    if (windowScale != NO_WINDOW_SCALE) {
      length += 1 + WINDOW_SCALE_LENGTH;
    }
    return length;
  }

  /**
   * Writes the options of a SYN or SYN-ACK at absolute {@code index}, word-aligned as Linux sends
   * them, and returns their length ({@link #synOptionsLength}, a multiple of 4):
   *
   * <pre>
   *   MSS                           2 4 mss mss
   *   with timestamps and SACK      4 2 8 10 tsval... tsecr...
   *   with timestamps only          1 1 8 10 tsval... tsecr...
   *   with SACK only                1 1 4 2
   *   with a window scale           1 3 3 shift
   * </pre>
   *
   * The MSS option is always sent (RFC 9293 §3.7.1 MAY-3). Whether the SYN-ACK may carry window
   * scale, SACK-Permitted and timestamps (only if the SYN did: RFC 7323 §2.2, §3.2, RFC 2018 §2) is
   * the caller's decision. The buffer's reader and writer indexes do not move.
   *
   * @param mss our receive MSS, 0 to 65535
   * @param windowScale our shift count, 0 to 14, or {@link #NO_WINDOW_SCALE} to send no option
   * @param tsVal our timestamp clock, when {@code timestamps}
   * @param tsEcr the peer's TSval being echoed (in a SYN-ACK), 0 in a SYN (RFC 7323 §3.2)
   * @throws IllegalArgumentException if {@code mss} or {@code windowScale} cannot be sent
   * @throws IndexOutOfBoundsException if the options do not fit in the buffer's capacity (nothing
   *     is written then)
   */
  public static int writeSynOptions(
      ByteBuf out,
      int index,
      int mss,
      int windowScale,
      boolean sackPermitted,
      boolean timestamps,
      int tsVal,
      int tsEcr) {
    if (mss < 0 || mss > MAX_MSS) {
      throw new IllegalArgumentException("MSS " + mss + " does not fit the 16-bit MSS option");
    }
    int length = synOptionsLength(windowScale, sackPermitted, timestamps);
    Objects.checkFromIndexSize(index, length, out.capacity());
    int i = index;
    out.setByte(i, KIND_MSS);
    out.setByte(i + 1, MSS_LENGTH);
    out.setShort(i + 2, mss);
    i += MSS_LENGTH;
    if (timestamps) {
      if (sackPermitted) {
        // SACK-Permitted fills the two bytes that would otherwise be NOPs aligning the timestamps.
        out.setByte(i, KIND_SACK_PERMITTED);
        out.setByte(i + 1, SACK_PERMITTED_LENGTH);
        i = putTimestamps(out, i + 2, tsVal, tsEcr);
      } else {
        i += writeTimestamps(out, i, tsVal, tsEcr);
      }
    } else if (sackPermitted) {
      out.setByte(i, KIND_NOP);
      out.setByte(i + 1, KIND_NOP);
      out.setByte(i + 2, KIND_SACK_PERMITTED);
      out.setByte(i + 3, SACK_PERMITTED_LENGTH);
      i += 2 + SACK_PERMITTED_LENGTH;
    }
    if (windowScale != NO_WINDOW_SCALE) {
      out.setByte(i, KIND_NOP);
      out.setByte(i + 1, KIND_WINDOW_SCALE);
      out.setByte(i + 2, WINDOW_SCALE_LENGTH);
      out.setByte(i + 3, windowScale);
      i += 1 + WINDOW_SCALE_LENGTH;
    }
    return i - index;
  }

  /**
   * Writes NOP, NOP, Timestamps (RFC 7323 §3.2, aligned as in its Appendix A) at absolute {@code
   * index}, for segments after the SYN, and returns {@link #ALIGNED_TIMESTAMPS_LENGTH} (12).
   *
   * @throws IndexOutOfBoundsException if the option does not fit (nothing is written then)
   */
  public static int writeTimestamps(ByteBuf out, int index, int tsVal, int tsEcr) {
    Objects.checkFromIndexSize(index, ALIGNED_TIMESTAMPS_LENGTH, out.capacity());
    out.setByte(index, KIND_NOP);
    out.setByte(index + 1, KIND_NOP);
    return putTimestamps(out, index + 2, tsVal, tsEcr) - index;
  }

  private static int putTimestamps(ByteBuf out, int i, int tsVal, int tsEcr) {
    out.setByte(i, KIND_TIMESTAMPS);
    out.setByte(i + 1, TIMESTAMPS_LENGTH);
    out.setInt(i + 2, tsVal);
    out.setInt(i + 6, tsEcr);
    return i + TIMESTAMPS_LENGTH;
  }

  /**
   * The length {@link #writeSack} writes for {@code blocks} blocks: two NOPs and 8n+2 bytes.
   *
   * @throws IllegalArgumentException unless {@code 1 <= blocks <= MAX_SACK_BLOCKS}
   */
  public static int sackLength(int blocks) {
    checkSackBlocks(blocks);
    return 2 + 2 + blocks * SACK_BLOCK_LENGTH;
  }

  /**
   * Writes NOP, NOP, SACK (RFC 2018 §3) with the first {@code blocks} blocks of {@code left} and
   * {@code right} at absolute {@code index}, and returns {@link #sackLength}. The caller orders the
   * blocks (the most recently received first, RFC 2018 §4) and keeps them within the room left by
   * the other options (3 blocks beside timestamps).
   *
   * @param left the left edge (first sequence number) of each block
   * @param right the right edge (the sequence number after the block) of each block
   * @throws IllegalArgumentException unless {@code 1 <= blocks <= MAX_SACK_BLOCKS}
   * @throws IndexOutOfBoundsException if the arrays hold fewer than {@code blocks} edges or the
   *     option does not fit (nothing is written then)
   */
  public static int writeSack(ByteBuf out, int index, int[] left, int[] right, int blocks) {
    int length = sackLength(blocks);
    Objects.checkFromIndexSize(0, blocks, left.length);
    Objects.checkFromIndexSize(0, blocks, right.length);
    Objects.checkFromIndexSize(index, length, out.capacity());
    out.setByte(index, KIND_NOP);
    out.setByte(index + 1, KIND_NOP);
    out.setByte(index + 2, KIND_SACK);
    out.setByte(index + 3, length - 2);
    for (int b = 0; b < blocks; b++) {
      int at = index + 4 + b * SACK_BLOCK_LENGTH;
      out.setInt(at, left[b]);
      out.setInt(at + 4, right[b]);
    }
    return length;
  }

  private static void checkWindowScale(int windowScale) {
    if (windowScale != NO_WINDOW_SCALE && (windowScale < 0 || windowScale > MAX_WINDOW_SCALE)) {
      throw new IllegalArgumentException(
          "window scale "
              + windowScale
              + " cannot be sent: use 0 to 14 (RFC 7323 §2.3), or -1 for no option");
    }
  }

  private static void checkSackBlocks(int blocks) {
    if (blocks < 1 || blocks > MAX_SACK_BLOCKS) {
      throw new IllegalArgumentException(
          "a SACK option holds 1 to 4 blocks (RFC 2018 §3), not " + blocks);
    }
  }

  /** The options received, for logs and test failures. */
  @Override
  public String toString() {
    StringBuilder s = new StringBuilder("TcpOptions{");
    if (hasMss) {
      s.append(" mss ").append(mss);
    }
    if (hasWindowScale) {
      s.append(" wscale ").append(windowScale);
    }
    if (sackPermitted) {
      s.append(" sackOK");
    }
    if (hasTimestamps) {
      s.append(" TS val ")
          .append(Integer.toUnsignedString(tsVal))
          .append(" ecr ")
          .append(Integer.toUnsignedString(tsEcr));
    }
    for (int b = 0; b < sackBlockCount; b++) {
      s.append(b == 0 ? " sack " : ",")
          .append(Integer.toUnsignedString(sackLeft[b]))
          .append(':')
          .append(Integer.toUnsignedString(sackRight[b]));
    }
    return s.append(" }").toString();
  }
}
