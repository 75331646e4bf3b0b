/**
 * Wire formats: zero-copy views over Netty {@link io.netty.buffer.ByteBuf}s for the IPv4, ICMPv4,
 * TCP and UDP headers, the Internet checksum and IPv4 address helpers. The bottom layer of the
 * stack: it knows byte layouts, not protocol behaviour.
 *
 * <p>Conventions shared by every header view ({@link Ipv4Header}, {@link Icmpv4Header}, {@link
 * TcpHeader}, {@link UdpHeader}):
 *
 * <ul>
 *   <li><b>Flyweights.</b> A view holds a buffer and an absolute index, nothing else. {@code wrap}
 *       rebinds it, so one instance per layer serves every packet; accessors and setters never
 *       allocate and never move the buffer's reader or writer index.
 *   <li><b>Checked wrapping.</b> {@code wrap} trusts its caller (use it to build packets and for
 *       bytes already checked). {@code wrapChecked(buf, offset, length)} wraps, then checks the
 *       length fields against the {@code length} bytes the caller vouches for and returns a {@link
 *       WireCheck}. Once it returned {@link WireCheck#OK}, no accessor (including the checksum
 *       checks) reads outside {@code [offset, offset + length)}, and the payload index and length
 *       lie inside it. Checksums are verified separately ({@code isChecksumValid}).
 *   <li><b>Numbers.</b> 32-bit fields (sequence numbers, addresses) are {@code int}s holding the
 *       raw bits (the sign bit is just bit 31); 8- and 16-bit fields are {@code int}s holding the
 *       unsigned value. Field setters write the low 8 or 16 bits of their argument, as {@link
 *       io.netty.buffer.ByteBuf#setShort} does; setters of compound fields (header lengths,
 *       fragment offsets) reject values that cannot be encoded.
 *   <li><b>Ownership.</b> A view never retains or releases its buffer: whoever wrapped it keeps the
 *       buffer alive while the view is in use, and releases it as usual.
 *   <li><b>Threads.</b> A view is mutable and not thread-safe; give each thread its own.
 * </ul>
 */
package io.tcpstack.wire;
