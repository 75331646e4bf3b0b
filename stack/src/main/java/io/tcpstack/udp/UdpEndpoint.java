package io.tcpstack.udp;

import io.netty.buffer.ByteBuf;
import io.tcpstack.wire.IpAddress;
import java.nio.ByteBuffer;

/**
 * One UDP socket in the core (RFC 768; RFC 1122 §4.1): a local port, an optional connected peer,
 * and a bounded queue of received datagrams. Made by {@link UdpLayer#open} or {@link
 * UdpLayer#bind}; the API wraps it ({@code UdpSocket}, {@code UdpChannel}).
 *
 * <p>Connected ({@link #connect}) it takes datagrams from that peer only and is told the ICMP
 * errors about what it sent there ({@link #error()}), as a connected Linux socket is; unconnected
 * it takes datagrams from anyone and ICMP errors are ignored (RFC 1122 §4.1.3.3 lets the
 * application layer decide; Linux reports them only with {@code IP_RECVERR}).
 *
 * <p>Both families (RFC 768 over IPv4, RFC 8200 §8 over IPv6), as a Linux socket bound to {@code
 * ::} speaks both: addresses are two {@code long}s as {@link IpAddress} holds them, an IPv4 one as
 * {@code ::ffff:a.b.c.d} (overloads take an IPv4 {@code int} or an {@link IpAddress}).
 *
 * <p>Receiving copies the datagram into the caller's buffer and never allocates; {@link
 * #senderHi()}, {@link #senderLo()} and {@link #senderPort()} then name who sent it. Stack thread
 * only.
 */
public final class UdpEndpoint {

  private final UdpLayer layer;
  private final DatagramQueue queue;
  private UdpEvents events = UdpEvents.NONE;
  /** 0 until bound (explicitly, or by the first send or connect). */
  private int localPort;
  private long remoteHi = UdpPeer.NONE_HI;
  private long remoteLo = UdpPeer.NONE_LO;
  /** The connected peer's port; 0 when not connected. */
  private int remotePort;
  private long senderHi = UdpPeer.NONE_HI;
  private long senderLo = UdpPeer.NONE_LO;
  private int senderPort;
  private UdpError error;
  private boolean closed;

  UdpEndpoint(UdpLayer layer, int receiveBufferBytes) {
    this.layer = layer;
    this.queue = new DatagramQueue(receiveBufferBytes);
  }

  /** Sets the one listener told of this endpoint's events ({@link UdpEvents#NONE}: none). */
  public void setEvents(UdpEvents events) {
    this.events = events == null ? UdpEvents.NONE : events;
  }

  UdpEvents events() {
    return events;
  }

  /** The local port; 0 if not bound yet. */
  public int localPort() {
    return localPort;
  }

  void bound(int port) {
    this.localPort = port;
  }

  public boolean isBound() {
    return localPort != 0;
  }

  public boolean isConnected() {
    return remotePort != 0;
  }

  /** The connected peer's address, or null (allocates: see {@link #remoteHi()}). */
  public IpAddress remoteAddress() {
    return isConnected() ? UdpPeer.toIpAddress(remoteHi, remoteLo) : null;
  }

  /** The connected peer's address, bytes 0-7 ({@code ::ffff:a.b.c.d} for IPv4), or 0. */
  public long remoteHi() {
    return remoteHi;
  }

  /** The connected peer's address, bytes 8-15, or 0. */
  public long remoteLo() {
    return remoteLo;
  }

  /** The connected peer's port, or 0. */
  public int remotePort() {
    return remotePort;
  }

  /**
   * Connects to {@code address:port} (RFC 1122 §4.1.3.4's "specify the foreign socket"): datagrams
   * from anyone else are no longer taken (they count as {@code UDP_NO_PORTS} and draw Port
   * Unreachable, as on Linux), {@link #send(ByteBuf)} goes there, and ICMP errors about datagrams
   * sent there are reported. Binds an ephemeral port first if not bound. Forgets a pending error;
   * datagrams already queued stay.
   *
   * @throws IllegalArgumentException for an unspecified, broadcast or multicast address, an IPv6
   *     address on a stack without one, or port 0
   * @throws IllegalStateException if closed, or no ephemeral port is free
   */
  public void connect(long hi, long lo, int port) {
    checkOpen();
    layer.checkDestination(hi, lo, port);
    layer.ensureBound(this);
    this.remoteHi = hi;
    this.remoteLo = lo;
    this.remotePort = port;
    this.error = null;
  }

  /** As {@link #connect(long, long, int)} to IPv4 {@code address}. */
  public void connect(int address, int port) {
    connect(UdpPeer.IPV4_HI, UdpPeer.loOf(address), port);
  }

  /** As {@link #connect(long, long, int)} to {@code address}. */
  public void connect(IpAddress address, int port) {
    connect(address.hi(), address.lo(), port);
  }

  /** Undoes {@link #connect}: datagrams from anyone are taken again. Keeps the local port. */
  public void disconnect() {
    remoteHi = UdpPeer.NONE_HI;
    remoteLo = UdpPeer.NONE_LO;
    remotePort = 0;
    error = null;
  }

  /**
   * Sends {@code src}'s readable bytes as one datagram to {@code hi, lo} port {@code port} (IPv4
   * if {@code ::ffff:a.b.c.d}, else IPv6) and advances its reader index; binds an ephemeral port
   * first if not bound (RFC 6056). Larger than the MTU, the datagram leaves in fragments (RFC 791
   * §3.2; RFC 8200 §4.5). A connected endpoint may still send elsewhere, as on Linux.
   *
   * @throws IllegalArgumentException more than {@link UdpLayer#MAX_PAYLOAD} bytes over IPv4 or
   *     {@link UdpLayer#MAX_PAYLOAD_IPV6} over IPv6, or an address or port no datagram may be sent
   *     to (see {@link #connect})
   * @throws IllegalStateException if closed, or no ephemeral port is free
   */
  public void send(ByteBuf src, long hi, long lo, int port) {
    checkOpen();
    layer.send(this, src, hi, lo, port);
  }

  /** As {@link #send(ByteBuf, long, long, int)} to IPv4 {@code address}. */
  public void send(ByteBuf src, int address, int port) {
    send(src, UdpPeer.IPV4_HI, UdpPeer.loOf(address), port);
  }

  /** As {@link #send(ByteBuf, long, long, int)} to {@code address}. */
  public void send(ByteBuf src, IpAddress address, int port) {
    send(src, address.hi(), address.lo(), port);
  }

  /** As {@link #send(ByteBuf, long, long, int)}: {@code src}'s remaining bytes, advancing its position. */
  public void send(ByteBuffer src, long hi, long lo, int port) {
    checkOpen();
    layer.send(this, src, hi, lo, port);
  }

  /** As {@link #send(ByteBuffer, long, long, int)} to IPv4 {@code address}. */
  public void send(ByteBuffer src, int address, int port) {
    send(src, UdpPeer.IPV4_HI, UdpPeer.loOf(address), port);
  }

  /** As {@link #send(ByteBuffer, long, long, int)} to {@code address}. */
  public void send(ByteBuffer src, IpAddress address, int port) {
    send(src, address.hi(), address.lo(), port);
  }

  /** As {@link #send(ByteBuf, long, long, int)}: the bytes {@code b[off, off + len)}. */
  public void send(byte[] b, int off, int len, long hi, long lo, int port) {
    java.util.Objects.checkFromIndexSize(off, len, b.length);
    checkOpen();
    layer.send(this, b, off, len, hi, lo, port);
  }

  /** As {@link #send(byte[], int, int, long, long, int)} to {@code address}. */
  public void send(byte[] b, int off, int len, IpAddress address, int port) {
    send(b, off, len, address.hi(), address.lo(), port);
  }

  /** As {@link #send(byte[], int, int, long, long, int)} to IPv4 {@code address}. */
  public void send(byte[] b, int off, int len, int address, int port) {
    send(b, off, len, UdpPeer.IPV4_HI, UdpPeer.loOf(address), port);
  }

  /**
   * Sends {@code src}'s readable bytes to the connected peer.
   *
   * @throws IllegalStateException if not connected, or closed
   */
  public void send(ByteBuf src) {
    if (!isConnected()) {
      throw new IllegalStateException("UDP endpoint on port " + localPort + " is not connected: name a destination");
    }
    send(src, remoteHi, remoteLo, remotePort);
  }

  /**
   * Takes the first queued datagram into {@code dst} — as much as fits in its writable bytes, the
   * rest discarded as {@code recv} truncates — and returns the bytes copied, or -1 if none is
   * queued. {@link #senderHi()}, {@link #senderLo()} and {@link #senderPort()} then name its sender.
   */
  public int receive(ByteBuf dst) {
    if (!takeSender()) {
      return -1;
    }
    return queue.poll(dst);
  }

  /** As {@link #receive(ByteBuf)}, into {@code dst[off, off + len)}. */
  public int receive(byte[] dst, int off, int len) {
    if (!takeSender()) {
      return -1;
    }
    return queue.poll(dst, off, len);
  }

  /** As {@link #receive(ByteBuf)}, into {@code dst}'s remaining room, advancing its position. */
  public int receive(ByteBuffer dst) {
    if (!takeSender()) {
      return -1;
    }
    return queue.poll(dst);
  }

  private boolean takeSender() {
    if (queue.isEmpty()) {
      return false;
    }
    senderHi = queue.peekHi();
    senderLo = queue.peekLo();
    senderPort = queue.peekPort();
    return true;
  }

  /** The length of the datagram {@link #receive} would take next, or -1 if none is queued. */
  public int nextLength() {
    return queue.isEmpty() ? -1 : queue.peekLength();
  }

  /** Datagrams queued now. */
  public int queuedDatagrams() {
    return queue.size();
  }

  /** Bytes of the receive queue's limit taken now (datagrams and their records). */
  public int queuedBytes() {
    return queue.used();
  }

  /** The receive queue's limit in bytes ({@code SO_RCVBUF}'s role). */
  public int receiveBufferBytes() {
    return queue.capacity();
  }

  /** The sender of the datagram the last {@link #receive} took (allocates: see {@link #senderHi()}). */
  public IpAddress senderAddress() {
    return UdpPeer.toIpAddress(senderHi, senderLo);
  }

  /** The sender of the datagram the last {@link #receive} took, bytes 0-7 (0 for IPv4, as {@code ::ffff:a.b.c.d}). */
  public long senderHi() {
    return senderHi;
  }

  /** The sender of the datagram the last {@link #receive} took, bytes 8-15. */
  public long senderLo() {
    return senderLo;
  }

  /** The sender's port of the datagram the last {@link #receive} took. */
  public int senderPort() {
    return senderPort;
  }

  /** The error a connected endpoint's peer reported and nobody has taken yet, or null. */
  public UdpError error() {
    return error;
  }

  /**
   * Returns the pending error and forgets it, as Linux's {@code sock_error} does on the next call
   * (so one ICMP message fails one call).
   */
  public UdpError takeError() {
    UdpError e = error;
    error = null;
    return e;
  }

  void reportError(UdpError e) {
    this.error = e;
  }

  /** Whether a datagram from {@code hi, lo} port {@code port} is for this endpoint (a connected one takes its peer's only). */
  boolean accepts(long hi, long lo, int port) {
    return !isConnected() || (hi == remoteHi && lo == remoteLo && port == remotePort);
  }

  /** Whether this endpoint is connected to {@code hi, lo} port {@code port}. */
  boolean isConnectedTo(long hi, long lo, int port) {
    return isConnected() && hi == remoteHi && lo == remoteLo && port == remotePort;
  }

  DatagramQueue queue() {
    return queue;
  }

  /** Unbinds the port and drops what was queued. Idempotent. */
  public void close() {
    if (!closed) {
      closed = true;
      layer.unbind(this);
      queue.clear();
    }
  }

  public boolean isClosed() {
    return closed;
  }

  private void checkOpen() {
    if (closed) {
      throw new IllegalStateException("UDP endpoint on port " + localPort + " is closed");
    }
  }

  @Override
  public String toString() {
    return "UdpEndpoint[:" + localPort + (isConnected() ? " -> " + UdpPeer.toString(remoteHi, remoteLo, remotePort) : "")
        + ", " + queue.size() + " queued" + (closed ? ", closed" : "") + "]";
  }
}
