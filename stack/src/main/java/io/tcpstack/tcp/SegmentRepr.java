package io.tcpstack.tcp;

import io.netty.buffer.ByteBuf;
import io.tcpstack.wire.TcpHeader;

/**
 * A TCP segment as the state machine sees it, both ways: header fields, the options parsed or to
 * be emitted, and where the payload is — smoltcp's {@code TcpRepr}. The layer fills one from each
 * incoming header (after its checksum and options were checked) and builds each outgoing segment
 * from one, so options added later (window scale, timestamps, SACK) travel here rather than as more
 * arguments. Mutable and reused: one instance per direction in the layer, no allocation per
 * segment. Stack thread only.
 */
final class SegmentRepr {

  int seq;
  int ack;
  /** {@code TcpHeader.FLAG_*} bits. */
  int flags;
  /** The window field as sent (never scaled in a SYN, RFC 7323 §2.2). */
  int window;
  /**
   * RFC 9293 §3.1: the Urgent Pointer field, an offset from {@link #seq} to the octet following the
   * urgent data (§3.8.5, MUST-62); meaningful only with URG.
   */
  int urgentPointer;
  /** RFC 9293 §3.7.1: the MSS option of a SYN, or 0 when absent (incoming) / not to be sent. */
  int mss;
  /**
   * RFC 7323 §2.2: the Window Scale option of a SYN, 0 to 14, or {@link TcpOptions#NO_WINDOW_SCALE}
   * when absent (incoming) / not to be sent (outgoing; only with {@link #mss} &gt; 0).
   */
  int windowScale = TcpOptions.NO_WINDOW_SCALE;
  /** RFC 2018 §2: SACK-Permitted in a SYN (incoming: the peer's; outgoing: ours, with {@link #mss} &gt; 0). */
  boolean sackPermitted;
  /**
   * RFC 2018 §3: the SACK blocks, [left, right) each, in the order they appear (incoming) or are to
   * be sent (outgoing: most recent first, RFC 2018 §4; a D-SACK first of all, RFC 2883 §4).
   */
  final int[] sackLeft = new int[TcpOptions.MAX_SACK_BLOCKS];
  final int[] sackRight = new int[TcpOptions.MAX_SACK_BLOCKS];
  int sackBlocks;
  /**
   * RFC 7323 §3.2: the segment carries the Timestamps option, with {@link #tsVal} and {@link
   * #tsEcr} (raw 32 bits; TSecr meaningful only with ACK). Incoming: received; outgoing: to be sent.
   */
  boolean timestamps;
  int tsVal;
  int tsEcr;

  /** Incoming: the payload's buffer and range. Outgoing: unused. */
  ByteBuf payload;
  int payloadIndex;
  /** Payload octets (incoming), or octets taken from {@link #data} (outgoing). */
  int payloadLength;

  /** Outgoing: the send buffer the payload is copied from, at {@link #dataOffset}; or null. */
  SegmentedBuffer data;
  int dataOffset;
  /**
   * Outgoing: the size to cut the payload at if it is longer (a super-segment for a link with TCP
   * segmentation offload: the connection's send MSS); 0 for a segment of at most one MSS.
   */
  int segmentSize;

  boolean has(int flag) {
    return (flags & flag) != 0;
  }

  /** SEG.LEN (RFC 9293 §3.4): payload, plus one for SYN, plus one for FIN. */
  int segmentLength() {
    return payloadLength + (has(TcpHeader.FLAG_SYN) ? 1 : 0) + (has(TcpHeader.FLAG_FIN) ? 1 : 0);
  }

  /** Prepares an outgoing segment: every field reset, then the given ones. */
  SegmentRepr outgoing(int flags, int seq, int ack, int window) {
    this.flags = flags;
    this.seq = seq;
    this.ack = ack;
    this.window = window;
    this.urgentPointer = 0;
    this.mss = 0;
    this.windowScale = TcpOptions.NO_WINDOW_SCALE;
    this.sackPermitted = false;
    this.sackBlocks = 0;
    this.timestamps = false;
    this.tsVal = 0;
    this.tsEcr = 0;
    this.payload = null;
    this.payloadIndex = 0;
    this.payloadLength = 0;
    this.data = null;
    this.dataOffset = 0;
    this.segmentSize = 0;
    return this;
  }

  /** Attaches {@code length} octets of {@code source} at {@code offset} as the payload. */
  SegmentRepr withData(SegmentedBuffer source, int offset, int length) {
    this.data = length > 0 ? source : null;
    this.dataOffset = offset;
    this.payloadLength = length;
    return this;
  }

  @Override
  public String toString() {
    return "seq=" + Integer.toUnsignedString(seq) + " ack=" + Integer.toUnsignedString(ack) + " flags=0x"
        + Integer.toHexString(flags) + " win=" + window + " len=" + payloadLength + (mss > 0 ? " mss=" + mss : "")
        + (timestamps ? " TS val " + Integer.toUnsignedString(tsVal) + " ecr " + Integer.toUnsignedString(tsEcr) : "");
  }
}
