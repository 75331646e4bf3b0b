package io.tcpstack.api;

import io.netty.buffer.ByteBuf;
import io.tcpstack.NetworkStack;
import io.tcpstack.tcp.TcpConfig;
import io.tcpstack.tcp.TcpConnection;
import io.tcpstack.tcp.TcpError;
import io.tcpstack.tcp.TcpEvents;
import io.tcpstack.tcp.TcpInfo;
import io.tcpstack.tcp.Subscribers;
import io.tcpstack.tcp.TcpState;
import io.tcpstack.tcp.cc.CongestionAlgorithm;
import io.tcpstack.tcp.cc.CongestionControl;
import io.tcpstack.wire.IpAddress;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * A TCP connection for event-driven code: non-blocking calls and readiness events ({@link
 * TcpChannelHandler}) on the stack thread, with no thread per connection and no hand-off — the
 * shape of a Netty channel on its event loop. The blocking {@link TcpSocket} is the other face of
 * the same connections.
 *
 * <p>Every method must be called on the stack thread: from a handler, or from a task given to
 * {@link io.tcpstack.runtime.StackRuntime#execute}. Any number of handlers may subscribe; each
 * event reaches them in the order they subscribed.
 *
 * <p>Reading and writing never block: {@link #read} returns what is there (0 if nothing, -1 at the
 * end of the peer's stream), {@link #write} takes what fits in the send buffer and leaves the rest
 * in the source for the next {@code onWritable}.
 */
public final class TcpChannel {

  private final NetworkStack stack;
  private final TcpConnection conn;
  private final Subscribers<TcpChannelHandler> handlers = new Subscribers<>();
  private boolean closed;

  private final TcpEvents events = new TcpEvents() {
    @Override
    public void onEstablished(TcpConnection c) {
      fire(EVENT_CONNECTED);
    }

    @Override
    public void onReadable(TcpConnection c) {
      fire(EVENT_READABLE);
    }

    @Override
    public void onWritable(TcpConnection c) {
      fire(EVENT_WRITABLE);
    }

    @Override
    public void onSoftError(TcpConnection c, TcpError error) {
      for (Object o : handlers.snapshot()) {
        if (handlers.contains(o)) {
          ((TcpChannelHandler) o).onSoftError(TcpChannel.this, error);
        }
      }
    }

    @Override
    public void onClosed(TcpConnection c) {
      fire(EVENT_CLOSED);
    }
  };

  private static final int EVENT_CONNECTED = 0;
  private static final int EVENT_READABLE = 1;
  private static final int EVENT_WRITABLE = 2;
  private static final int EVENT_CLOSED = 3;

  /** Tells every handler, in subscription order; one cancelled meanwhile is skipped. */
  private void fire(int event) {
    for (Object o : handlers.snapshot()) {
      if (!handlers.contains(o)) {
        continue;
      }
      TcpChannelHandler h = (TcpChannelHandler) o;
      switch (event) {
        case EVENT_CONNECTED -> h.onConnected(this);
        case EVENT_READABLE -> h.onReadable(this);
        case EVENT_WRITABLE -> h.onWritable(this);
        default -> h.onClosed(this);
      }
    }
  }

  TcpChannel(NetworkStack stack, TcpConnection conn) {
    this.stack = stack;
    this.conn = conn;
    conn.subscribe(events);
  }

  /**
   * Opens a connection from the stack to {@code address:port} (active open, RFC 9293 §3.10.1); the
   * handler hears {@code onConnected} once the handshake completes, or {@code onClosed} with
   * {@link TcpError#REFUSED} or {@link TcpError#TIMED_OUT} — or, when a router reported the peer
   * unreachable by ICMP before the SYN retries ran out, the error it reported ({@link
   * TcpError#HOST_UNREACHABLE}, ...). Stack thread.
   *
   * @param stack the stack to connect from
   * @param address the peer's IPv4 address as an int in network order ({@code 0x0A000001} is
   *     10.0.0.1)
   * @param port the peer's port, 1..65535
   * @param config the connection's settings, e.g. {@link TcpConfig#DEFAULT}; not null
   * @param handler subscribed at once, so it hears every event of the connection; not null
   * @return the new channel, in SYN-SENT
   * @throws IllegalArgumentException if {@code port} is out of range
   * @throws IllegalStateException if the stack holds its maximum of connections, or no ephemeral
   *     port toward the peer is free
   */
  public static TcpChannel connect(NetworkStack stack, int address, int port, TcpConfig config, TcpChannelHandler handler) {
    Objects.requireNonNull(handler, "handler");
    TcpConnection c = stack.tcp().connect(address, port, config, stack.nowNs());
    TcpChannel channel = new TcpChannel(stack, c);
    channel.subscribe(handler);
    return channel;
  }

  /**
   * As {@link #connect(NetworkStack, int, int, TcpConfig, TcpChannelHandler)} to an address of
   * either family: an {@link java.net.Inet6Address} needs the stack to have an IPv6 address
   * ({@code StackConfig.address6}; else {@link IllegalStateException}). Stack thread.
   *
   * @param stack the stack to connect from
   * @param address the peer's address, IPv4 or IPv6; not null
   * @param port the peer's port, 1..65535
   * @param config the connection's settings, e.g. {@link TcpConfig#DEFAULT}; not null
   * @param handler subscribed at once, so it hears every event of the connection; not null
   * @return the new channel, in SYN-SENT
   * @throws IllegalArgumentException if {@code port} is out of range
   * @throws IllegalStateException if {@code address} is IPv6 and the stack has no IPv6 address, the
   *     stack holds its maximum of connections, or no ephemeral port toward the peer is free
   */
  public static TcpChannel connect(NetworkStack stack, InetAddress address, int port, TcpConfig config,
      TcpChannelHandler handler) {
    return connect(stack, IpAddress.fromInet(address), port, config, handler);
  }

  /**
   * As {@link #connect(NetworkStack, InetAddress, int, TcpConfig, TcpChannelHandler)}, from the
   * stack's address {@code localAddress} (RFC 9293 §3.9.1.1, MUST-43: the OPEN call's local IP
   * address); the local port is still an ephemeral one. Stack thread.
   *
   * @param stack the stack to connect from
   * @param address the peer's address, IPv4 or IPv6; not null
   * @param port the peer's port, 1..65535
   * @param localAddress one of the stack's addresses, of the family of {@code address}; null or a
   *     wildcard address ({@link InetAddress#isAnyLocalAddress()}): the stack's address of that family
   * @param config the connection's settings, e.g. {@link TcpConfig#DEFAULT}; not null
   * @param handler subscribed at once, so it hears every event of the connection; not null
   * @return the new channel, in SYN-SENT
   * @throws IllegalArgumentException if {@code port} is out of range, or {@code localAddress} is
   *     not one of the stack's addresses (the message names those it has) or not of the family of
   *     {@code address}
   * @throws IllegalStateException if {@code address} is IPv6 and the stack has no IPv6 address, the
   *     stack holds its maximum of connections, or no ephemeral port toward the peer is free
   */
  public static TcpChannel connect(NetworkStack stack, InetAddress address, int port, InetAddress localAddress,
      TcpConfig config, TcpChannelHandler handler) {
    Objects.requireNonNull(handler, "handler");
    TcpConnection c = stack.tcp().connect(IpAddress.fromInet(address), port,
        TcpSocket.localAddressOrAny(localAddress), config, stack.nowNs());
    TcpChannel channel = new TcpChannel(stack, c);
    channel.subscribe(handler);
    return channel;
  }

  /**
   * As {@link #connect(NetworkStack, InetAddress, int, TcpConfig, TcpChannelHandler)}, with the
   * address as the stack's own {@link IpAddress}. Stack thread.
   *
   * @param stack the stack to connect from
   * @param address the peer's address, IPv4 or IPv6; not null
   * @param port the peer's port, 1..65535
   * @param config the connection's settings, e.g. {@link TcpConfig#DEFAULT}; not null
   * @param handler subscribed at once, so it hears every event of the connection; not null
   * @return the new channel, in SYN-SENT
   * @throws IllegalArgumentException if {@code port} is out of range
   * @throws IllegalStateException if {@code address} is IPv6 and the stack has no IPv6 address, the
   *     stack holds its maximum of connections, or no ephemeral port toward the peer is free
   */
  public static TcpChannel connect(NetworkStack stack, IpAddress address, int port, TcpConfig config,
      TcpChannelHandler handler) {
    Objects.requireNonNull(handler, "handler");
    TcpConnection c = stack.tcp().connect(address, port, config, stack.nowNs());
    TcpChannel channel = new TcpChannel(stack, c);
    channel.subscribe(handler);
    return channel;
  }

  /**
   * Adds a handler; its events start with the next one delivered. Stack thread.
   *
   * @param handler told of this channel's events after those subscribed before it; not null
   * @return the registration: {@link Subscription#cancel()} stops the handler's events
   */
  public Subscription subscribe(TcpChannelHandler handler) {
    return handlers.add(handler)::run;
  }

  /** A freshly accepted channel: announce what arrived before anyone could subscribe. */
  void announceInitialState() {
    if (conn.readable() > 0 || conn.isEndOfStream() || !isOpen()) {
      fire(EVENT_READABLE);
    }
  }

  /**
   * Moves received bytes into {@code dst} (up to its writable bytes). Returns how many; 0 when
   * nothing is waiting; -1 once the peer's FIN was read, or the connection is over ({@link
   * #error()} says whether abnormally).
   *
   * @param dst receives the bytes at its writer index, which advances; not null
   * @return the number of bytes read, 0 if none is waiting, or -1 at the end of the stream
   */
  public int read(ByteBuf dst) {
    int n = conn.receive(dst, dst.writableBytes(), stack.nowNs());
    if (n > 0) {
      return n;
    }
    return conn.isEndOfStream() || !isOpen() ? -1 : 0;
  }

  /**
   * Queues as many of {@code src}'s readable bytes as the send buffer has room for, advancing its
   * reader index, and sends what the windows allow. Returns how many were taken (0 when the buffer
   * is full: wait for {@code onWritable}).
   *
   * @param src the bytes to send, from its reader index; those not taken stay in it; not null
   * @return the number of bytes taken, 0 to {@code src.readableBytes()}
   * @throws IllegalStateException if output was shut down or the connection is over: check {@link
   *     #isWritable()}, or handle {@code onClosed}
   */
  public int write(ByteBuf src) {
    if (!conn.canSend()) {
      throw new IllegalStateException("cannot write to " + this + ": " + (conn.error() != null
          ? conn.error().message() : "output is shut down or the connection is closed") + "; stop writing on onClosed");
    }
    return conn.send(src, src.readableBytes(), stack.nowNs());
  }

  /**
   * Bytes that {@link #read} would return now.
   *
   * @return received bytes, in order and not yet read
   */
  public int readableBytes() {
    return conn.readable();
  }

  /**
   * Room in the send buffer now (0 once output is shut down or the connection is over).
   *
   * @return how many bytes a {@link #write} would take now
   */
  public int writableBytes() {
    return conn.writable();
  }

  /**
   * Whether {@link #write} may still be called: output not shut down, connection not over.
   *
   * @return true while writing is allowed (there may be no room now: see {@link #writableBytes()})
   */
  public boolean isWritable() {
    return conn.canSend();
  }

  /**
   * Whether the peer sent FIN and every byte before it was read.
   *
   * @return true once {@link #read} returns -1 for the peer's orderly end of stream
   */
  public boolean isEndOfStream() {
    return conn.isEndOfStream();
  }

  /**
   * Whether the connection is not over yet (it may be closing): false once CLOSED or in TIME-WAIT,
   * where only the stack's record of it remains.
   *
   * @return true until the connection is CLOSED or in TIME-WAIT
   */
  public boolean isOpen() {
    TcpState state = conn.state();
    return state != TcpState.CLOSED && state != TcpState.TIME_WAIT;
  }

  /**
   * The connection's state now (RFC 9293 §3.3.2).
   *
   * @return the state; {@link TcpState#CLOSED} once the connection is over
   */
  public TcpState state() {
    return conn.state();
  }

  /**
   * Why the connection ended abnormally, or null.
   *
   * @return the error that ended it ({@link TcpError#RESET}, {@link TcpError#TIMED_OUT}, ...); null
   *     while it is open or after an orderly close
   */
  public TcpError error() {
    return conn.error();
  }

  /**
   * What the blocking API throws for {@link #error()} — {@link ConnectionResetException}, {@link
   * ConnectionRefusedException}, {@link ConnectionTimedOutException}, ... — or null after an
   * orderly close: for event-driven code that reports errors as exceptions (the Netty transport).
   *
   * @return a new exception for {@link #error()}, naming this channel; null if there is no error
   */
  public java.io.IOException errorException() {
    TcpError error = conn.error();
    return error == null ? null : StackCall.exceptionFor(error, toString());
  }

  /** Half-close: FIN after the queued data; reading goes on (RFC 9293 §3.6). */
  public void shutdownOutput() {
    conn.shutdownOutput(stack.nowNs());
  }

  /**
   * Graceful close: queued data is still delivered, then FIN; the connection finishes closing on
   * its own and its memory is returned once it has. Idempotent.
   *
   * <p>As on Linux (RFC 9293 §3.6, RFC 2525 §2.17): with received data unread the close is a
   * reset instead (RST, handlers hear {@code onClosed} with {@link TcpError#ABORTED}), and data
   * arriving after the close is answered with RST. A closed connection whose peer never sends its
   * FIN is given up {@link TcpConfig.Builder#finWait2Timeout} (60 s) after our FIN was acknowledged.
   * For a lingering close, see {@link #close(java.time.Duration)}.
   */
  public void close() {
    if (!closed) {
      closed = true;
      conn.close(stack.nowNs());
      conn.dispose();
    }
  }

  /**
   * Close with a linger time, the event-driven form of {@code SO_LINGER}: {@link
   * java.time.Duration#ZERO} is {@link #abort()}; a positive time closes as {@link #close()} and,
   * if the peer has not acknowledged every byte and the FIN within it, aborts (RST) then — handlers
   * hear {@code onClosed} with {@link TcpError#ABORTED}. Idempotent: a second close changes
   * nothing.
   *
   * @param linger zero to abort at once; positive: how long the peer has to acknowledge everything
   *     before the connection is reset; not null
   * @throws IllegalArgumentException if {@code linger} is negative
   */
  public void close(java.time.Duration linger) {
    Objects.requireNonNull(linger, "linger");
    if (linger.isNegative()) {
      throw new IllegalArgumentException("linger must be zero (abort) or positive, got " + linger);
    }
    if (linger.isZero()) {
      abort();
      return;
    }
    if (closed) {
      return;
    }
    close();
    if (!conn.isFinAcknowledged() && conn.state() != TcpState.CLOSED) {
      conn.lingerUntil(stack.nowNs() + linger.toNanos());
    }
  }

  /**
   * The user timeout from now on (RFC 9293 §3.10.8, RFC 5482; Linux's {@code TCP_USER_TIMEOUT}):
   * once data written has waited this long for the peer to acknowledge anything new, the
   * connection is aborted (RST) and handlers hear {@code onClosed} with {@link TcpError#TIMED_OUT}.
   * {@link java.time.Duration#ZERO}: none.
   *
   * @param timeout zero (none) or positive; not null
   * @throws IllegalArgumentException if {@code timeout} is negative
   */
  public void setUserTimeout(java.time.Duration timeout) {
    conn.setUserTimeout(timeout.toNanos(), stack.nowNs());
  }

  /** Abortive close: RST, and everything queued either way is dropped (RFC 9293 §3.10.5). Idempotent. */
  public void abort() {
    conn.abort(stack.nowNs());
    if (!closed) {
      closed = true;
      conn.dispose();
    }
  }

  /**
   * Nagle's algorithm off ({@code true}) or on (RFC 9293 §3.7.4).
   *
   * @param on true to send small segments at once (Linux's {@code TCP_NODELAY}); false to coalesce
   *     them while one is unacknowledged (the default, unless the {@link TcpConfig} says otherwise)
   */
  public void setNoDelay(boolean on) {
    conn.setNoDelay(on, stack.nowNs());
  }

  /**
   * This channel's congestion control from now on, e.g. {@link CongestionAlgorithm#NEWRENO}, at
   * any time: called right after {@link #connect}, before the handshake completes, the connection
   * starts with it; once established (in the accept handler, or later) a new instance takes over
   * the window as it is — the initial window if no data has flowed yet (see {@link
   * TcpConnection#setCongestionControl}). By default the {@link TcpConfig}'s, else the stack's (CUBIC).
   *
   * @param algorithm makes the new instance, called once now; neither it nor what it returns may be
   *     null
   */
  public void setCongestionControl(Supplier<CongestionControl> algorithm) {
    conn.setCongestionControl(Objects.requireNonNull(algorithm.get(), "algorithm returned null"), stack.nowNs());
  }

  /**
   * The name of the channel's congestion control.
   *
   * @return the algorithm's name, e.g. {@code "cubic"}
   */
  public String congestionControl() {
    return conn.congestionControl();
  }

  /**
   * The connection's counters and congestion state now.
   *
   * @return a snapshot (see {@link TcpInfo})
   */
  public TcpInfo info() {
    return conn.info();
  }

  /**
   * The peer's IPv4 address as an int in network order; 0 for an IPv6 peer.
   *
   * @return the address, or 0 for an IPv6 peer
   *
   * @deprecated IPv4 only: use {@link #remoteIp()}, {@link #remoteInetAddress()} or {@link
   *     #remoteSocketAddress()}
   */
  @Deprecated
  public int remoteAddress() {
    return conn.remoteAddress();
  }

  /**
   * The peer's address, IPv4 or IPv6.
   *
   * @return the address; never null
   */
  public IpAddress remoteIp() {
    return conn.remoteIp();
  }

  /**
   * The peer's address as a {@code java.net} address.
   *
   * @return an {@link java.net.Inet4Address} or {@link java.net.Inet6Address}
   */
  public InetAddress remoteInetAddress() {
    return conn.remoteIp().toInet();
  }

  /**
   * The peer's address and port.
   *
   * @return a new resolved address, IPv4 or IPv6
   */
  public InetSocketAddress remoteSocketAddress() {
    return new InetSocketAddress(conn.remoteIp().toInet(), conn.remotePort());
  }

  /**
   * The peer's port.
   *
   * @return 1..65535
   */
  public int remotePort() {
    return conn.remotePort();
  }

  /**
   * This side's port: the listening port of an accepted channel, an ephemeral one for one opened by
   * {@link #connect}.
   *
   * @return 1..65535
   */
  public int localPort() {
    return conn.localPort();
  }

  /**
   * The stack this channel lives on (its clock, its counters).
   *
   * @return the stack given to {@link #connect}, or the listener's
   */
  public NetworkStack stack() {
    return stack;
  }

  @Override
  public String toString() {
    return "TcpChannel[" + TcpSocket.peerName(conn.remoteIp(), conn.remotePort()) + " -> :"
        + conn.localPort() + " " + conn.state() + "]";
  }
}
