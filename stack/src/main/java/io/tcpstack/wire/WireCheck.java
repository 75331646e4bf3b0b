package io.tcpstack.wire;

/**
 * What a header view's {@code wrapChecked} found: either {@link #OK}, after which every accessor of
 * the view stays inside the bytes it was given, or the first reason the bytes cannot be read as
 * that header. Checks run in the order the constants are declared; checksums are not part of it.
 */
public enum WireCheck {
  /** The header is complete and its length fields fit the bytes given. */
  OK,
  /** Fewer bytes than the fixed part of the header. */
  TRUNCATED,
  /** IP only: the version field is not the view's (4 for IPv4, 6 for IPv6). */
  BAD_VERSION,
  /**
   * The header length field (IPv4 IHL, TCP data offset) is below the fixed header or claims more
   * bytes than were given.
   */
  BAD_HEADER_LENGTH,
  /**
   * IP only: the IPv4 total length is below the header length or claims more bytes than were
   * given; the IPv6 payload length claims more bytes than were given.
   */
  BAD_TOTAL_LENGTH,
  /** UDP only: the length field is below the 8-byte header or claims more bytes than were given. */
  BAD_LENGTH
}
