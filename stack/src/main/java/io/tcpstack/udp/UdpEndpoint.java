package io.tcpstack.udp;

import io.netty.buffer.ByteBuf;
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
 * <p>Receiving copies the datagram into the caller's buffer and never allocates; {@link
 * #senderAddress()} and {@link #senderPort()} then name who sent it. Stack thread only.
 */
public final class UdpEndpoint {

  private final UdpLayer layer;
  private final DatagramQueue queue;
  private UdpEvents events = UdpEvents.NONE;
  /** 0 until bound (explicitly, or by the first send or connect). */
  private int localPort;
  private int remoteAddress = UdpPeer.NONE;
  /** The connected peer's port; 0 when not connected. */
  private int remotePort;
  private int senderAddress = UdpPeer.NONE;
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

  /** The connected peer's address, or 0. */
  public int remoteAddress() {
    return remoteAddress;
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
   * @throws IllegalArgumentException for address 0, a broadcast or multicast address, or port 0
   * @throws IllegalStateException if closed, or no ephemeral port is free
   */
  public void connect(int address, int port) {
    checkOpen();
    layer.checkDestination(address, port);
    layer.ensureBound(this);
    this.remoteAddress = address;
    this.remotePort = port;
    this.error = null;
  }

  /** Undoes {@link #connect}: datagrams from anyone are taken again. Keeps the local port. */
  public void disconnect() {
    remoteAddress = UdpPeer.NONE;
    remotePort = 0;
    error = null;
  }

  /**
   * Sends {@code src}'s readable bytes as one datagram to {@code address:port} and advances its
   * reader index; binds an ephemeral port first if not bound (RFC 6056). Larger than the MTU, the
   * datagram leaves in IP fragments (RFC 791 §3.2). A connected endpoint may still send elsewhere,
   * as on Linux.
   *
   * @throws IllegalArgumentException more than {@link UdpLayer#MAX_PAYLOAD} bytes, or an address or
   *     port no datagram may be sent to (see {@link #connect})
   * @throws IllegalStateException if closed, or no ephemeral port is free
   */
  public void send(ByteBuf src, int address, int port) {
    checkOpen();
    layer.send(this, src, address, port);
  }

  /** As {@link #send(ByteBuf, int, int)}: {@code src}'s remaining bytes, advancing its position. */
  public void send(ByteBuffer src, int address, int port) {
    checkOpen();
    layer.send(this, src, address, port);
  }

  /** As {@link #send(ByteBuf, int, int)}: the bytes {@code b[off, off + len)}. */
  public void send(byte[] b, int off, int len, int address, int port) {
    java.util.Objects.checkFromIndexSize(off, len, b.length);
    checkOpen();
    layer.send(this, b, off, len, address, port);
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
    send(src, remoteAddress, remotePort);
  }

  /**
   * Takes the first queued datagram into {@code dst} — as much as fits in its writable bytes, the
   * rest discarded as {@code recv} truncates — and returns the bytes copied, or -1 if none is
   * queued. {@link #senderAddress()} and {@link #senderPort()} then name its sender.
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
    senderAddress = queue.peekAddress();
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

  /** The sender of the datagram the last {@link #receive} took. */
  public int senderAddress() {
    return senderAddress;
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

  /** Whether a datagram from {@code address:port} is for this endpoint (a connected one takes its peer's only). */
  boolean accepts(int address, int port) {
    return !isConnected() || (address == remoteAddress && port == remotePort);
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
    return "UdpEndpoint[:" + localPort + (isConnected() ? " -> " + UdpPeer.toString(remoteAddress, remotePort) : "")
        + ", " + queue.size() + " queued" + (closed ? ", closed" : "") + "]";
  }
}
