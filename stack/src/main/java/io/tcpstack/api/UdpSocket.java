package io.tcpstack.api;

import io.tcpstack.runtime.StackRuntime;
import io.tcpstack.udp.UdpEndpoint;
import io.tcpstack.udp.UdpError;
import io.tcpstack.udp.UdpEvents;
import io.tcpstack.udp.UdpLayer;
import java.io.Closeable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.DatagramPacket;
import java.net.InetSocketAddress;
import java.net.NoRouteToHostException;
import java.net.SocketException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * A UDP socket on the stack (RFC 768), in the spirit of {@link java.net.DatagramSocket}: bind a
 * port (or let the first send pick one), send datagrams to any IPv4 or IPv6 address, receive them with
 * their sender, connect to one peer, a receive timeout. Safe to use from application threads
 * while the stack thread runs the protocol; the event-driven face of the same endpoints is {@link
 * UdpChannel}.
 *
 * <p>Sending never waits: a datagram leaves at once (in IP fragments if larger than the MTU).
 * Receiving waits for the next datagram; one larger than the buffer given is cut to fit and the rest
 * dropped, as {@code recv} does. Datagrams that arrive while the receive queue (this socket's
 * {@code SO_RCVBUF}, {@link UdpLayer#DEFAULT_RECEIVE_BUFFER} bytes by default) is full are dropped
 * and counted ({@code UDP_RCVBUF_ERRORS}).
 *
 * <p>Cancelling, as {@link TcpSocket}: an interrupt ends a wait in {@link #receive} with {@link
 * java.io.InterruptedIOException} and the interrupt flag set, the receive timeout with {@link
 * java.net.SocketTimeoutException}; either way nothing was taken — the datagram is the next
 * receive's — and the socket stays open. {@link #close()} makes a blocked receive fail with {@link
 * SocketClosedException}.
 *
 * <p>Errors: a connected socket hears of ICMP errors about what it sent (RFC 1122 §4.1.3.3) on its
 * next receive or send, once, as a connected Linux socket does — ICMP Port Unreachable as {@link
 * ConnectionRefusedException}, host or network unreachable as {@link NoRouteToHostException}.
 * Unconnected sockets are not told.
 *
 * <p>Both families, as a Linux socket bound to {@code ::}: a bound port takes datagrams over IPv4
 * and IPv6, and {@link #receive} names an IPv6 sender with an {@link java.net.Inet6Address}, an
 * IPv4 one with an {@link java.net.Inet4Address}. Sending to an {@link java.net.Inet6Address} goes
 * over IPv6 (refused if the stack has no IPv6 address).
 */
public final class UdpSocket implements Closeable {

  private final StackCall stack;
  /** Touched only on the stack thread. */
  private final UdpEndpoint endpoint;
  /** Touched only on the stack thread. */
  private final UdpAddresses addresses = new UdpAddresses();
  private volatile boolean closed;
  private volatile long receiveTimeoutNs;
  private volatile int localPort;
  private volatile InetSocketAddress remote;

  private UdpSocket(StackCall stack, UdpEndpoint endpoint) {
    this.stack = stack;
    this.endpoint = endpoint;
    this.localPort = endpoint.localPort();
  }

  /**
   * A socket not bound yet: the first send or {@link #connect} binds an ephemeral port (RFC 6056).
   *
   * @param runtime the runtime running the stack to use; not its stack thread
   * @return the unbound socket ({@link #getLocalPort()} is 0)
   * @throws SocketClosedException if the runtime is closed
   */
  public static UdpSocket open(StackRuntime runtime) throws IOException {
    return make(runtime, () -> runtime.stack().udp().open(UdpLayer.DEFAULT_RECEIVE_BUFFER), 0);
  }

  /**
   * A socket bound to {@code port} of the stack's address; 0 picks an ephemeral port.
   *
   * @param runtime the runtime running the stack to bind on; not its stack thread
   * @param port the port, 0..65535; 0: an ephemeral one
   * @return the bound socket
   * @throws IllegalArgumentException if {@code port} is out of range
   * @throws java.net.BindException if another UDP socket has the port (TCP's ports are another
   *     space), or no ephemeral port is free
   * @throws SocketClosedException if the runtime is closed
   */
  public static UdpSocket bind(StackRuntime runtime, int port) throws IOException {
    return bind(runtime, port, UdpLayer.DEFAULT_RECEIVE_BUFFER);
  }

  /**
   * As {@link #bind(StackRuntime, int)}, with a receive queue of {@code receiveBufferBytes} (at
   * least {@link UdpLayer#MIN_RECEIVE_BUFFER}).
   *
   * @param runtime the runtime running the stack to bind on; not its stack thread
   * @param port the port, 0..65535; 0: an ephemeral one
   * @param receiveBufferBytes the receive queue's limit in bytes ({@code SO_RCVBUF}'s role), at
   *     least {@link UdpLayer#MIN_RECEIVE_BUFFER}
   * @return the bound socket
   * @throws IllegalArgumentException if {@code port} or {@code receiveBufferBytes} is out of range
   * @throws java.net.BindException if another UDP socket has the port, or no ephemeral port is free
   * @throws SocketClosedException if the runtime is closed
   */
  public static UdpSocket bind(StackRuntime runtime, int port, int receiveBufferBytes) throws IOException {
    return make(runtime, () -> runtime.stack().udp().bind(port, receiveBufferBytes), port);
  }

  private static UdpSocket make(StackRuntime runtime, Supplier<UdpEndpoint> create, int port) throws IOException {
    StackCall stack = new StackCall(runtime);
    UdpEndpoint e;
    try {
      e = stack.call(() -> {
        UdpEndpoint made = create.get();
        made.setEvents(new UdpEvents() {
          @Override
          public void onReadable(UdpEndpoint endpoint) {
            stack.signal();
          }

          @Override
          public void onError(UdpEndpoint endpoint) {
            stack.signal();
          }

          @Override
          public void onClosed(UdpEndpoint endpoint) {
            stack.signal(); // the stack is closing: a blocked receive fails with SocketClosedException
          }
        });
        return made;
      });
    } catch (IllegalStateException ex) {
      java.net.BindException b = new java.net.BindException("UDP port " + port + ": " + ex.getMessage());
      b.initCause(ex);
      throw b;
    }
    return new UdpSocket(stack, e);
  }

  /**
   * Sends {@code src}'s remaining bytes to {@code to} as one datagram, advancing its position.
   *
   * @param src the datagram's data: its remaining bytes; not null
   * @param to where to send it, IPv4 or IPv6, resolved; not null
   *
   * @throws IllegalArgumentException for an unresolved address, a broadcast, multicast or
   *     unspecified address, an IPv6 address on a stack without one, port 0, or — connected — an
   *     address other than the peer's (as {@link java.net.DatagramSocket})
   * @throws SocketException "message too long" for more than {@link UdpLayer#MAX_PAYLOAD} bytes
   *     over IPv4, {@link UdpLayer#MAX_PAYLOAD_IPV6} over IPv6
   * @throws ConnectionRefusedException a connected socket's earlier datagram drew ICMP Port
   *     Unreachable (this one was not sent)
   * @throws SocketClosedException if the socket or the stack is closed
   */
  public void send(ByteBuffer src, InetSocketAddress to) throws IOException {
    Objects.requireNonNull(src, "src");
    checkDestination(to);
    checkSize(src.remaining(), to);
    sendOnStack(() -> endpoint.send(src, addresses.address(to), to.getPort()));
  }

  /**
   * As {@link #send(ByteBuffer, InetSocketAddress)}: the bytes {@code b[off, off + len)}.
   *
   * @param b holds the datagram's data; not null
   * @param off the index in {@code b} of the first byte to send
   * @param len how many bytes to send
   * @param to where to send it, IPv4 or IPv6, resolved; not null
   * @throws IllegalArgumentException as {@link #send(ByteBuffer, InetSocketAddress)}
   * @throws IOException as {@link #send(ByteBuffer, InetSocketAddress)}: message too long, an
   *     earlier datagram refused, or the socket closed
   * @throws IndexOutOfBoundsException if {@code off} and {@code len} do not fit in {@code b}
   */
  public void send(byte[] b, int off, int len, InetSocketAddress to) throws IOException {
    Objects.checkFromIndexSize(off, len, b.length);
    checkDestination(to);
    checkSize(len, to);
    sendOnStack(() -> endpoint.send(b, off, len, addresses.address(to), to.getPort()));
  }

  /**
   * Sends the packet's data ({@code getData()} from {@code getOffset()}, {@code getLength()}
   * bytes) to its address, or to the connected peer if it names none.
   *
   * @param packet the datagram and, unless the socket is connected, its destination; not null
   * @throws IllegalArgumentException if the packet names no address and the socket is not
   *     connected, or as {@link #send(ByteBuffer, InetSocketAddress)}
   * @throws IOException as {@link #send(ByteBuffer, InetSocketAddress)}: message too long, an
   *     earlier datagram refused, or the socket closed
   */
  public void send(DatagramPacket packet) throws IOException {
    InetSocketAddress to = packet.getAddress() != null ? (InetSocketAddress) packet.getSocketAddress() : remote;
    if (to == null) {
      throw new IllegalArgumentException("the packet names no address and the socket is not connected");
    }
    send(packet.getData(), packet.getOffset(), packet.getLength(), to);
  }

  /**
   * Sends {@code src}'s remaining bytes to the connected peer.
   *
   * @param src the datagram's data: its remaining bytes; not null
   * @throws IllegalStateException if not connected
   * @throws IOException as {@link #send(ByteBuffer, InetSocketAddress)}: message too long, an
   *     earlier datagram refused, or the socket closed
   */
  public void send(ByteBuffer src) throws IOException {
    InetSocketAddress to = remote;
    if (to == null) {
      throw new IllegalStateException("UDP socket on port " + localPort + " is not connected: name a destination");
    }
    send(src, to);
  }

  private void sendOnStack(Runnable send) throws IOException {
    ensureOpen();
    stack.call(() -> {
      throwPendingError("sending");
      send.run();
      localPort = endpoint.localPort(); // the send may have bound an ephemeral port
      return Boolean.TRUE;
    });
  }

  private static void checkSize(int length, InetSocketAddress to) throws SocketException {
    int max = UdpAddresses.maxPayload(to);
    if (length > max) {
      throw new SocketException("message too long: a UDP datagram over " + (max == UdpLayer.MAX_PAYLOAD ? "IPv4" : "IPv6")
          + " carries at most " + max + " bytes, got " + length);
    }
  }

  private void checkDestination(InetSocketAddress to) {
    UdpAddresses.check(to);
    InetSocketAddress peer = remote;
    if (peer != null && !peer.equals(to)) {
      throw new IllegalArgumentException("connected to " + peer + ": cannot send to " + to + " (disconnect first)");
    }
  }

  /**
   * Waits for the next datagram and copies it into {@code dst}'s remaining room (the rest of a
   * larger one is dropped), advancing its position; returns the sender.
   *
   * @param dst receives the datagram's data in its remaining room; not null
   * @return the sender's address and port
   *
   * @throws java.net.SocketTimeoutException the receive timeout passed with nothing received (the
   *     interrupt flag is not touched)
   * @throws java.io.InterruptedIOException interrupted while waiting; nothing was taken (the
   *     interrupt flag is set)
   * @throws ConnectionRefusedException a connected socket's datagram drew ICMP Port Unreachable
   * @throws SocketClosedException the socket is (or got) closed
   */
  public InetSocketAddress receive(ByteBuffer dst) throws IOException {
    Objects.requireNonNull(dst, "dst");
    return awaitDatagram(() -> endpoint.receive(dst) >= 0);
  }

  /**
   * As {@link #receive(ByteBuffer)}, into the packet's buffer — at most {@code getLength()} bytes
   * from {@code getOffset()} — setting its length to the bytes received and its address to the
   * sender's, as {@link java.net.DatagramSocket#receive} does.
   *
   * @param packet receives the datagram's data, length and sender; not null
   * @throws IOException as {@link #receive(ByteBuffer)}: timed out, interrupted, an ICMP error, or
   *     the socket closed
   */
  public void receive(DatagramPacket packet) throws IOException {
    int[] n = new int[1];
    InetSocketAddress from = awaitDatagram(() -> {
      n[0] = endpoint.receive(packet.getData(), packet.getOffset(), packet.getLength());
      return n[0] >= 0;
    });
    packet.setLength(n[0]);
    packet.setSocketAddress(from);
  }

  /** Waits until {@code take} (on the stack thread) took a datagram; returns its sender. */
  private InetSocketAddress awaitDatagram(java.util.function.BooleanSupplier take) throws IOException {
    ensureOpen();
    String where = "UDP port " + localPort;
    long timeoutNs = receiveTimeoutNs;
    return stack.await(() -> {
      if (closed || endpoint.isClosed()) {
        throw new UncheckedIOException(new SocketClosedException(where + " is closed"));
      }
      throwPendingError("receiving");
      if (!take.getAsBoolean()) {
        return null;
      }
      return addresses.toInet(endpoint.senderHi(), endpoint.senderLo(), endpoint.senderPort());
    }, StackCall.deadline(timeoutNs), "receive on " + where + " timed out after " + timeoutNs / 1_000_000 + " ms",
        "interrupted while waiting to receive on " + where);
  }

  /** Stack thread: fails the call with the error a connected socket's peer reported, once. */
  private void throwPendingError(String doing) {
    UdpError error = endpoint.takeError();
    if (error != null) {
      throw new UncheckedIOException(exceptionFor(error, doing + " on UDP port " + endpoint.localPort()
          + " connected to " + remote));
    }
  }

  /** The exception for an ICMP error reported to a connected socket, as java.net names Linux's errno. */
  static IOException exceptionFor(UdpError error, String where) {
    String message = error.message() + " (" + where + ")";
    switch (error) {
      case PORT_UNREACHABLE:
        return new ConnectionRefusedException(message);
      case NET_UNREACHABLE:
      case HOST_UNREACHABLE:
        return new NoRouteToHostException(message);
      default:
        return new SocketException(message);
    }
  }

  /**
   * Takes datagrams from {@code peer} only and sends there by default; ICMP errors about what is
   * sent there fail the next receive or send (see the class comment). Binds an ephemeral port first
   * if unbound. Datagrams already queued from others stay queued, as on Linux.
   *
   * @param peer the peer, IPv4 or IPv6, resolved; not null
   * @throws IllegalArgumentException for an unresolved, broadcast, multicast or unspecified
   *     address, an IPv6 address on a stack without one, or port 0
   * @throws IllegalStateException if no ephemeral port is free
   * @throws SocketClosedException if the socket or the stack is closed
   */
  public void connect(InetSocketAddress peer) throws IOException {
    UdpAddresses.check(peer);
    ensureOpen();
    stack.call(() -> {
      endpoint.connect(addresses.address(peer), peer.getPort());
      localPort = endpoint.localPort();
      remote = peer;
      return Boolean.TRUE;
    });
  }

  /**
   * Takes datagrams from anyone again; keeps the local port.
   *
   * @throws SocketClosedException if the socket or the stack is closed
   */
  public void disconnect() throws IOException {
    ensureOpen();
    stack.call(() -> {
      endpoint.disconnect();
      remote = null;
      return Boolean.TRUE;
    });
  }

  /**
   * Whether the socket is connected to one peer ({@link #connect}).
   *
   * @return true between {@link #connect} and {@link #disconnect}
   */
  public boolean isConnected() {
    return remote != null;
  }

  /**
   * The connected peer, or null.
   *
   * @return the peer given to {@link #connect}, or null if not connected
   */
  public InetSocketAddress getRemoteAddress() {
    return remote;
  }

  /**
   * The local port; 0 until bound (explicitly, or by the first send or connect).
   *
   * @return 0..65535
   */
  public int getLocalPort() {
    return localPort;
  }

  /**
   * How long {@link #receive} waits for a datagram before {@link java.net.SocketTimeoutException}
   * ({@code SO_TIMEOUT}); zero: forever (the default).
   *
   * @param timeout zero (none) or positive; for the receives that start from now on; not null
   * @throws IllegalArgumentException if {@code timeout} is negative
   */
  public void setReceiveTimeout(Duration timeout) {
    if (timeout.isNegative()) {
      throw new IllegalArgumentException("receive timeout must be zero (none) or positive, got " + timeout);
    }
    this.receiveTimeoutNs = timeout.toNanos();
  }

  /**
   * The receive timeout ({@link #setReceiveTimeout}).
   *
   * @return the timeout; {@link Duration#ZERO}: none
   */
  public Duration getReceiveTimeout() {
    return Duration.ofNanos(receiveTimeoutNs);
  }

  /**
   * Datagrams waiting to be received now (a call to the stack thread).
   *
   * @return how many datagrams are queued
   * @throws SocketClosedException if the stack is closed
   */
  public int queuedDatagrams() throws IOException {
    return stack.call(endpoint::queuedDatagrams);
  }

  /** Unbinds the port and drops what is queued; a blocked receive fails. Idempotent. */
  @Override
  public void close() throws IOException {
    if (closed) {
      return;
    }
    closed = true;
    try {
      stack.call(() -> {
        endpoint.close();
        return Boolean.TRUE;
      });
    } catch (SocketClosedException e) {
      // the stack is closed: it took the endpoint with it
    }
    stack.signal();
  }

  /**
   * Whether {@link #close()} was called.
   *
   * @return true once closed by this side
   */
  public boolean isClosed() {
    return closed;
  }

  private void ensureOpen() throws SocketClosedException {
    if (closed) {
      throw new SocketClosedException("UDP socket on port " + localPort + " is closed");
    }
  }

  @Override
  public String toString() {
    return "UdpSocket[:" + localPort + (remote != null ? " -> " + remote : "") + (closed ? ", closed" : "") + "]";
  }
}
