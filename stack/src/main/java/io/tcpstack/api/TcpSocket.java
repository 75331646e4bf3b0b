package io.tcpstack.api;

import io.tcpstack.runtime.StackRuntime;
import io.tcpstack.tcp.TcpConfig;
import io.tcpstack.tcp.TcpInfo;
import io.tcpstack.tcp.TcpConnection;
import io.tcpstack.tcp.TcpError;
import io.tcpstack.tcp.TcpEvents;
import io.tcpstack.tcp.TcpState;
import io.tcpstack.tcp.cc.CongestionAlgorithm;
import io.tcpstack.tcp.cc.CongestionControl;
import io.tcpstack.wire.IpAddress;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * A TCP connection on the stack, in the spirit of {@link java.net.Socket}: blocking streams,
 * half-close, graceful close and abort, a read timeout. Safe to use from application threads while
 * the stack thread runs the protocol; a reader and a writer may work at once (more readers, or
 * more writers, take turns: one read, or one write, at a time).
 *
 * <p>Reads and writes go through two rings shared with the stack thread ({@link SocketBuffers}):
 * they copy directly when data or room is there and cross to the stack thread only to wait or to
 * kick it, so {@link #write} returning means the bytes are queued to be sent, promptly. {@link
 * #close()} and {@link #shutdownOutput()} send FIN after every byte written.
 *
 * <p>Cancelling loses nothing. An interrupt ends a wait for the network ({@code read}, {@code
 * write}, {@code connect}, {@code accept}) with {@link java.io.InterruptedIOException} and the
 * interrupt flag set; a timeout ({@link #setReadTimeout}, {@link #setWriteTimeout}, connect's and
 * accept's) with {@link java.net.SocketTimeoutException} and the flag untouched. Either way, a read
 * took nothing (its bytes are the next read's) and never fails while bytes are {@link #available};
 * a write reports in {@code bytesTransferred} how many of its bytes were queued (they will be sent;
 * the rest were not); a connect aborted its attempt; an accept left the queue as it was. Neither
 * closes the socket, unlike an interrupted {@link java.nio.channels.InterruptibleChannel}. Calls
 * that only hand work to the stack thread ({@code close}, {@code abort}, options, {@code info}) are
 * not interrupted: they finish and return with the flag still set. A thread already interrupted
 * still reads, writes or accepts what is there without waiting.
 *
 * <p>Errors are {@link IOException}s that say what happened: {@link ConnectionRefusedException},
 * {@link ConnectionResetException}, {@link ConnectionTimedOutException}, {@link
 * SocketClosedException}, and {@link java.net.SocketTimeoutException} for a read or connect timeout.
 * A connection that times out after a router reported it unreachable (ICMP, RFC 1122 §4.2.3.9)
 * fails with {@link java.net.NoRouteToHostException} saying which: "host unreachable", "network
 * unreachable", "communication administratively prohibited", "time to live exceeded in transit".
 */
public final class TcpSocket implements Closeable {

  private final StackCall stack;
  private final String peer;
  private final SocketBuffers buffers;
  /** Touched only on the stack thread. */
  private TcpConnection conn;
  private volatile long readTimeoutNs;
  private volatile long writeTimeoutNs;
  private final InputStream in = new In();
  private final OutputStream out = new Out();
  private final TcpEvents events = new TcpEvents() {
    @Override
    public void onEstablished(TcpConnection c) {
      stack.signal();
    }

    @Override
    public void onReadable(TcpConnection c) {
      buffers.fill();
    }

    @Override
    public void onWritable(TcpConnection c) {
      buffers.drain();
    }

    @Override
    public void onFinAcknowledged(TcpConnection c) {
      stack.signal(); // a lingering close
    }

    @Override
    public void onClosed(TcpConnection c) {
      buffers.drain();
      buffers.fill();
      stack.signal(); // a connect waiting for the handshake
    }
  };

  private TcpSocket(StackRuntime runtime, String peer, TcpConfig config) {
    this.stack = new StackCall(runtime);
    this.peer = peer;
    this.buffers = new SocketBuffers(stack, peer, config.sendBufferSize(), config.receiveBufferSize());
  }

  /** Wraps a connection a listener accepted, with the listener's settings. On the stack thread. */
  static TcpSocket accepted(StackRuntime runtime, TcpConnection c, TcpConfig config) {
    TcpSocket s = new TcpSocket(runtime, peerName(c.remoteIp(), c.remotePort()), config);
    s.conn = c;
    c.subscribe(s.events);
    s.buffers.attach(c);
    return s;
  }

  /**
   * Opens a connection from the stack to {@code address:port} (active open) and waits until it is
   * established. IPv4 or IPv6: an {@link java.net.Inet6Address} needs the stack to have an IPv6
   * address ({@code StackConfig.address6}); an IPv4-mapped one is IPv4.
   *
   * <p>Cancelling: a timeout or an interrupt ends the wait for the handshake and aborts the attempt
   * (no connection is left behind: one still in SYN-SENT is dropped quietly, one that got further is
   * reset). A connection that was established before the thread noticed its interrupt is returned,
   * with the interrupt flag still set; one found interrupted on entry still opens the connection and
   * then fails at its first wait.
   *
   * @param runtime the runtime running the stack to connect from; not its stack thread
   * @param address the peer's address, IPv4 or IPv6; not null
   * @param port the peer's port, 1..65535
   * @param timeout how long to wait; zero or negative: until the SYN retries run out
   * @param config the connection's settings, buffer sizes included; not null
   * @return the socket, its connection established
   * @throws IllegalArgumentException if {@code port} is out of range
   * @throws IllegalStateException if {@code address} is IPv6 and the stack has no IPv6 address, the
   *     stack holds its maximum of connections, no ephemeral port toward the peer is free, or this
   *     is called on the stack thread
   * @throws SocketClosedException if the runtime is closed
   * @throws ConnectionRefusedException the peer answered with RST (or ICMP port unreachable)
   * @throws java.net.NoRouteToHostException the SYN retries ran out after a router reported the
   *     peer unreachable by ICMP
   * @throws java.net.SocketTimeoutException {@code timeout} passed first (the attempt is aborted;
   *     the interrupt flag is not touched)
   * @throws java.io.InterruptedIOException the thread was interrupted while waiting for the
   *     handshake (the attempt is aborted; the interrupt flag is set)
   * @throws ConnectionTimedOutException the SYN went unanswered through every retry
   */
  public static TcpSocket connect(StackRuntime runtime, InetAddress address, int port, Duration timeout, TcpConfig config)
      throws IOException {
    return connect(runtime, address, port, null, timeout, config);
  }

  /**
   * As {@link #connect(StackRuntime, InetAddress, int, Duration, TcpConfig)}, from the stack's
   * address {@code localAddress} (RFC 9293 §3.9.1.1, MUST-43: the OPEN call's local IP address),
   * as {@link java.net.Socket#Socket(InetAddress, int, InetAddress, int)} names one; the local port
   * is still an ephemeral one.
   *
   * @param runtime the runtime running the stack to connect from; not its stack thread
   * @param address the peer's address, IPv4 or IPv6; not null
   * @param port the peer's port, 1..65535
   * @param localAddress one of the stack's addresses, of the family of {@code address}; null or a
   *     wildcard address ({@link InetAddress#isAnyLocalAddress()}): the stack's address of that family
   * @param timeout how long to wait; zero or negative: until the SYN retries run out
   * @param config the connection's settings, buffer sizes included; not null
   * @return the socket, its connection established
   * @throws IllegalArgumentException if {@code port} is out of range, or {@code localAddress} is
   *     not one of the stack's addresses (the message names those it has) or not of the family of
   *     {@code address}
   * @throws IllegalStateException as {@link #connect(StackRuntime, InetAddress, int, Duration,
   *     TcpConfig)}
   * @throws IOException as {@link #connect(StackRuntime, InetAddress, int, Duration, TcpConfig)}:
   *     refused, timed out, unreachable, interrupted, or the runtime closed
   */
  public static TcpSocket connect(StackRuntime runtime, InetAddress address, int port, InetAddress localAddress,
      Duration timeout, TcpConfig config) throws IOException {
    Objects.requireNonNull(address, "address");
    IpAddress remote = IpAddress.fromInet(address);
    IpAddress local = localAddressOrAny(localAddress);
    TcpSocket s = new TcpSocket(runtime, peerName(remote, port), config);
    s.stack.call(() -> {
      s.conn = runtime.stack().tcp().connect(remote, port, local, config, runtime.nowNs());
      s.conn.subscribe(s.events);
      s.buffers.attach(s.conn);
      return Boolean.TRUE;
    });
    try {
      s.stack.await(() -> {
        TcpState state = s.conn.state();
        if (state == TcpState.CLOSED) {
          throw new UncheckedIOException(StackCall.exceptionFor(s.conn.error(), "connecting to " + s.peer));
        }
        return state == TcpState.SYN_SENT || state == TcpState.SYN_RECEIVED ? null : Boolean.TRUE;
      }, StackCall.deadline(timeout.toNanos()), "connect to " + s.peer + " timed out after " + timeout.toMillis() + " ms",
          "interrupted while connecting to " + s.peer + " (the attempt is aborted)");
    } catch (IOException | RuntimeException e) {
      try {
        s.abort(); // runs to the end despite an interrupt (StackCall.call): nothing is orphaned
      } catch (IOException | RuntimeException again) {
        e.addSuppressed(again); // the stack closed: it took the connection with it
      }
      throw e;
    }
    return s;
  }

  /**
   * As {@link #connect(StackRuntime, InetAddress, int, Duration, TcpConfig)} with {@link
   * TcpConfig#DEFAULT}; the exceptions are that method's.
   *
   * @param runtime the runtime running the stack to connect from; not its stack thread
   * @param address the peer's address, IPv4 or IPv6; not null
   * @param port the peer's port, 1..65535
   * @param timeout how long to wait; zero or negative: until the SYN retries run out
   * @return the socket, its connection established
   * @throws IOException as {@link #connect(StackRuntime, InetAddress, int, Duration, TcpConfig)}:
   *     refused, timed out, unreachable, interrupted, or the runtime closed
   */
  public static TcpSocket connect(StackRuntime runtime, InetAddress address, int port, Duration timeout) throws IOException {
    return connect(runtime, address, port, timeout, TcpConfig.DEFAULT);
  }

  /** The stack's address an application names as a local address: null (any) for null or a wildcard. */
  static IpAddress localAddressOrAny(InetAddress localAddress) {
    return localAddress == null || localAddress.isAnyLocalAddress() ? null : IpAddress.fromInet(localAddress);
  }

  /** {@code a.b.c.d:port}, or {@code [v6]:port} (RFC 5952 §6). */
  static String peerName(IpAddress address, int port) {
    return (address.isIpv4() ? address.toString() : "[" + address + "]") + ":" + port;
  }

  /**
   * The peer's address and port, IPv4 or IPv6 (as {@link
   * java.net.Socket#getRemoteSocketAddress()}).
   *
   * @return a new resolved address
   */
  public InetSocketAddress remoteSocketAddress() {
    TcpConnection c = conn;
    return new InetSocketAddress(c.remoteIp().toInet(), c.remotePort());
  }

  /**
   * The peer's address, IPv4 or IPv6.
   *
   * @return an {@link java.net.Inet4Address} or {@link java.net.Inet6Address}
   */
  public InetAddress remoteInetAddress() {
    return conn.remoteIp().toInet();
  }

  /**
   * This socket as an {@link InputStream}: its reads are {@link #read}'s, with the read timeout,
   * and closing it closes the socket. The same stream every time.
   *
   * @return the socket's input stream
   */
  public InputStream getInputStream() {
    return in;
  }

  /**
   * This socket as an {@link OutputStream}: its writes are {@link #write}'s, with the write
   * timeout, and closing it closes the socket. {@code flush} has nothing to do: a write returns
   * with its bytes queued to be sent. The same stream every time.
   *
   * @return the socket's output stream
   */
  public OutputStream getOutputStream() {
    return out;
  }

  /**
   * Reads up to {@code len} bytes, blocking until at least one is available.
   *
   * @param b where the bytes go; not null
   * @param off the index in {@code b} of the first byte read
   * @param len the most bytes to read; 0 returns 0 without waiting
   * @return the number read, or -1 once the peer closed its side (FIN) and every byte was read
   * @throws java.net.SocketTimeoutException the read timeout passed with nothing to read (nothing was
   *     taken; the interrupt flag is not touched)
   * @throws java.io.InterruptedIOException the thread was interrupted while waiting with nothing to
   *     read (nothing was taken: every byte is the next read's; the interrupt flag is set)
   * @throws ConnectionResetException the peer reset the connection (bytes received before that were
   *     read first)
   * @throws ConnectionTimedOutException the peer stopped answering (retries, keep-alive or the user
   *     timeout)
   * @throws SocketClosedException this socket is closed, or the connection was aborted
   * @throws IndexOutOfBoundsException if {@code off} and {@code len} do not fit in {@code b}
   * @throws IllegalStateException if called on the stack thread
   */
  public int read(byte[] b, int off, int len) throws IOException {
    Objects.checkFromIndexSize(off, len, b.length);
    return buffers.read(b, off, len, readTimeoutNs);
  }

  /**
   * How many bytes can be read now without blocking: those received in order and not yet read (0
   * once the socket is closed).
   *
   * @return the bytes a {@link #read} would return at once
   * @throws IOException never: declared as {@link InputStream#available()} declares it
   */
  public int available() throws IOException {
    return buffers.available();
  }

  /**
   * Writes all of {@code b[off, off+len)}, blocking while the send buffer is full. The bytes are
   * sent promptly (subject to the windows and Nagle's algorithm), after any written before.
   *
   * @param b the bytes to write; not null
   * @param off the index in {@code b} of the first byte to write
   * @param len how many bytes to write
   *
   * @throws java.net.SocketTimeoutException the write timeout ({@link #setWriteTimeout}) passed
   *     before all of it was queued: its {@code bytesTransferred} bytes of this write were taken
   *     and will be sent, the rest not (the interrupt flag is not touched)
   * @throws java.io.InterruptedIOException the thread was interrupted while waiting for room: its
   *     {@code bytesTransferred} bytes of this write were taken and will be sent, the rest not (the
   *     interrupt flag is set)
   * @throws SocketClosedException this socket is closed, its output shut down, or the connection
   *     aborted
   * @throws ConnectionResetException the peer reset the connection
   * @throws ConnectionTimedOutException the peer stopped answering (retries, keep-alive or the user
   *     timeout)
   * @throws IndexOutOfBoundsException if {@code off} and {@code len} do not fit in {@code b}
   * @throws IllegalStateException if called on the stack thread
   */
  public void write(byte[] b, int off, int len) throws IOException {
    Objects.checkFromIndexSize(off, len, b.length);
    buffers.write(b, off, len, writeTimeoutNs);
  }

  /**
   * Half-close: sends FIN after the data already written; reading goes on (RFC 9293 §3.6). Writes
   * fail from now on.
   *
   * @throws SocketClosedException if this socket or the stack is closed
   */
  public void shutdownOutput() throws IOException {
    ensureOpen();
    buffers.shutOutput();
    stack.call(() -> {
      buffers.finishOutput();
      return Boolean.TRUE;
    });
  }

  /**
   * Graceful close: everything already written is still delivered, then FIN; the connection
   * finishes closing in the background. Idempotent.
   *
   * <p>As on Linux (RFC 9293 §3.6, RFC 2525 §2.17): if received data is still unread, the close
   * is abortive instead — RST, and what was written but not yet sent is dropped — so the peer
   * learns that data was lost; and data that arrives after the close is answered with RST. A
   * closed connection whose peer never sends its FIN is given up {@link
   * TcpConfig.Builder#finWait2Timeout} (60 s) after our FIN was acknowledged.
   */
  @Override
  public void close() throws IOException {
    if (!buffers.markClosed()) {
      return;
    }
    closeOnStack();
  }

  /**
   * Close with a linger time, as {@code SO_LINGER}. {@link Duration#ZERO}: {@link #abort()} (RST,
   * everything queued dropped). Positive: as {@link #close()}, then blocks until the peer has
   * acknowledged every byte written and the FIN, or {@code linger} has passed; then, unlike Linux
   * (whose close returns and goes on closing in the background), the connection is aborted with
   * RST, so that the outcome is definite: returning means delivered.
   *
   * @param linger zero to abort; positive: how long to wait for the peer's acknowledgement; not
   *     null
   * @throws IllegalArgumentException if {@code linger} is negative
   * @throws java.net.SocketTimeoutException the linger time passed first: the connection was reset
   *     and what the peer had not acknowledged is lost
   * @throws SocketClosedException received data was unread, so the close reset the connection
   *     (RFC 2525 §2.17), or the socket was already closed
   * @throws ConnectionResetException the peer reset the connection before acknowledging everything
   * @throws ConnectionTimedOutException the peer stopped answering (retries or the user timeout)
   * @throws java.io.InterruptedIOException interrupted while waiting: the close goes on in the
   *     background, as {@link #close()}
   */
  public void close(Duration linger) throws IOException {
    Objects.requireNonNull(linger, "linger");
    if (linger.isNegative()) {
      throw new IllegalArgumentException("linger must be zero (abort) or positive, got " + linger);
    }
    if (linger.isZero()) {
      abort();
      return;
    }
    if (!buffers.markClosed()) {
      throw new SocketClosedException("socket to " + peer + " is closed");
    }
    if (!closeOnStack()) {
      throw StackCall.exceptionFor(TcpError.ABORTED, "closing " + peer + " with received data unread: RST sent");
    }
    String where = "closing " + peer;
    try {
      stack.await(() -> {
        if (conn.isFinAcknowledged()) {
          return Boolean.TRUE;
        }
        if (conn.state() == TcpState.CLOSED) {
          throw new UncheckedIOException(StackCall.exceptionFor(conn.error(), where));
        }
        return null;
      }, StackCall.deadline(linger.toNanos()), where);
    } catch (SocketTimeoutException e) {
      boolean aborted = stack.call(() -> {
        boolean a = conn.lingerExpired(stack.runtime().nowNs());
        if (a) {
          buffers.discardOutput();
        }
        return a;
      });
      if (aborted) {
        throw new SocketTimeoutException("close of " + peer + ": not acknowledged within the linger time of "
            + linger.toMillis() + " ms; connection reset");
      }
    }
  }

  /**
   * The stack thread's part of a close: the application reads no more (unread data: RST), its
   * output ends with FIN once the send ring has drained. Returns false if it was a reset.
   */
  private boolean closeOnStack() throws IOException {
    return stack.call(() -> {
      // RFC 2525 §2.17: data unread, in the connection or in the receive ring, makes it a reset.
      boolean graceful = conn.closeInput(buffers.unread(), stack.runtime().nowNs());
      conn.dispose(); // ours no more; what the send ring still holds is sent all the same
      if (graceful) {
        buffers.finishOutput();
      } else {
        buffers.discardOutput();
      }
      return graceful;
    });
  }

  /**
   * Abortive close: sends RST and discards whatever is queued in both directions. Idempotent.
   *
   * @throws SocketClosedException if the stack is closed (it took the connection with it)
   */
  public void abort() throws IOException {
    boolean wasClosed = !buffers.markClosed();
    stack.call(() -> {
      if (conn != null) {
        buffers.discardOutput();
        conn.abort(stack.runtime().nowNs());
        if (!wasClosed) {
          conn.dispose();
        }
      }
      return Boolean.TRUE;
    });
  }

  /**
   * How long {@link #read} waits for data before {@link java.net.SocketTimeoutException}; zero:
   * forever (the default). A read that times out took nothing: the next read gets every byte.
   *
   * @param timeout zero (none) or positive; for the reads that start from now on; not null
   * @throws IllegalArgumentException if {@code timeout} is negative
   */
  public void setReadTimeout(Duration timeout) {
    if (timeout.isNegative()) {
      throw new IllegalArgumentException("read timeout must be zero (none) or positive, got " + timeout);
    }
    this.readTimeoutNs = timeout.toNanos();
  }

  /**
   * How long one {@link #write} call may wait in all for room in the send buffer before {@link
   * java.net.SocketTimeoutException}, whose {@code bytesTransferred} says how many of its bytes were
   * queued (those are sent; continue after them); zero: forever (the default). Like Linux's {@code
   * SO_SNDTIMEO}, it bounds the whole call, however many waits it takes.
   *
   * @param timeout zero (none) or positive; for the writes that start from now on; not null
   * @throws IllegalArgumentException if {@code timeout} is negative
   */
  public void setWriteTimeout(Duration timeout) {
    if (timeout.isNegative()) {
      throw new IllegalArgumentException("write timeout must be zero (none) or positive, got " + timeout);
    }
    this.writeTimeoutNs = timeout.toNanos();
  }

  /**
   * Turns Nagle's algorithm (RFC 9293 §3.7.4) off ({@code true}) or back on for this socket. On by
   * default: while a small segment is unacknowledged, further small writes are coalesced. Turning
   * it off sends anything held at once.
   *
   * @param on true to turn Nagle's algorithm off ({@code TCP_NODELAY}), false to turn it on
   * @throws SocketClosedException if this socket or the stack is closed
   */
  public void setNoDelay(boolean on) throws IOException {
    ensureOpen();
    stack.call(() -> {
      conn.setNoDelay(on, stack.runtime().nowNs());
      return Boolean.TRUE;
    });
  }

  /**
   * Whether Nagle's algorithm is off ({@link #setNoDelay}).
   *
   * @return true if small segments are sent at once, false if they are coalesced
   * @throws SocketClosedException if this socket or the stack is closed
   */
  public boolean getNoDelay() throws IOException {
    ensureOpen();
    return stack.call(() -> conn.noDelay());
  }

  /**
   * Keep-alive (RFC 1122 §4.2.3.6) on or off, with the timings of the socket's {@link TcpConfig}
   * (2 h idle, 75 s between probes, 9 probes by default). A dead peer then fails reads and writes
   * with {@link ConnectionTimedOutException}.
   *
   * @param on true to send keep-alive probes while the connection is idle, false to stop
   * @throws SocketClosedException if this socket or the stack is closed
   */
  public void setKeepAlive(boolean on) throws IOException {
    ensureOpen();
    stack.call(() -> {
      conn.setKeepAlive(on, stack.runtime().nowNs());
      return Boolean.TRUE;
    });
  }

  /**
   * The user timeout (RFC 9293 §3.10.8, RFC 5482; Linux's {@code TCP_USER_TIMEOUT}) from now on:
   * once data written (or the FIN) has waited this long for the peer to acknowledge anything new —
   * retransmitted or probed meanwhile — the connection is aborted (RST) and reads and writes fail
   * with {@link ConnectionTimedOutException}. {@link Duration#ZERO}: none (the default, unless the
   * socket's {@link TcpConfig.Builder#userTimeout} says otherwise); the retries alone decide.
   *
   * @param timeout zero (none) or positive; not null
   * @throws IllegalArgumentException if {@code timeout} is negative
   * @throws SocketClosedException if this socket or the stack is closed
   */
  public void setUserTimeout(Duration timeout) throws IOException {
    if (timeout.isNegative()) {
      throw new IllegalArgumentException("user timeout must be zero (none) or positive, got " + timeout);
    }
    ensureOpen();
    stack.call(() -> {
      conn.setUserTimeout(timeout.toNanos(), stack.runtime().nowNs());
      return Boolean.TRUE;
    });
  }

  /**
   * The user timeout now ({@link #setUserTimeout}).
   *
   * @return the timeout; {@link Duration#ZERO}: none
   * @throws SocketClosedException if this socket or the stack is closed
   */
  public Duration getUserTimeout() throws IOException {
    ensureOpen();
    return Duration.ofNanos(stack.call(() -> conn.userTimeoutNs()));
  }

  /**
   * This socket's congestion control from now on, e.g. {@link CongestionAlgorithm#NEWRENO}: a new
   * instance takes over the window as it is (see {@link TcpConnection#setCongestionControl}), at any
   * time. To start the connection with it, name it in the {@link TcpConfig} given to {@link
   * #connect} (or to {@link TcpServerSocket#bind} for accepted sockets); by default the stack's
   * ({@code StackConfig.congestionControl}, CUBIC).
   *
   * @param algorithm makes the new instance, called once on the stack thread; neither it nor what
   *     it returns may be null
   * @throws SocketClosedException if this socket or the stack is closed
   */
  public void setCongestionControl(Supplier<CongestionControl> algorithm) throws IOException {
    Objects.requireNonNull(algorithm, "algorithm");
    ensureOpen();
    stack.call(() -> {
      conn.setCongestionControl(Objects.requireNonNull(algorithm.get(), "algorithm returned null"),
          stack.runtime().nowNs());
      return Boolean.TRUE;
    });
  }

  /**
   * The name of the socket's congestion control now.
   *
   * @return the algorithm's name, e.g. {@code "cubic"}
   * @throws SocketClosedException if this socket or the stack is closed
   */
  public String getCongestionControl() throws IOException {
    ensureOpen();
    return stack.call(() -> conn.congestionControl());
  }

  /**
   * The connection's counters and congestion state now.
   *
   * @return a snapshot taken on the stack thread (see {@link TcpInfo})
   * @throws SocketClosedException if the stack is closed
   */
  public TcpInfo info() throws IOException {
    return stack.call(() -> conn.info());
  }

  /**
   * The peer as text, for messages and logs.
   *
   * @return {@code a.b.c.d:port}, or {@code [v6]:port} (RFC 5952 §6)
   */
  public String peer() {
    return peer;
  }

  /**
   * The connection's state now (a snapshot from the stack thread).
   *
   * @return the RFC 9293 state
   * @throws SocketClosedException if the stack is closed
   */
  public TcpState state() throws IOException {
    return stack.call(() -> conn.state());
  }

  /**
   * Whether this socket was closed ({@link #close()}, {@link #close(Duration)} or {@link
   * #abort()}), here or through one of its streams. Not whether the connection is over: see
   * {@link #state()}.
   *
   * @return true once closed by this side
   */
  public boolean isClosed() {
    return buffers.isClosed();
  }

  /** The connection and the rings now, for diagnostics (a call to the stack thread). */
  String describe() {
    try {
      return stack.call(() -> conn.describe()) + " " + buffers;
    } catch (IOException e) {
      return buffers + " (connection: " + e + ")";
    }
  }

  /** Hand-offs to the stack thread that reads and writes needed so far (kicks; for tests). */
  long loopTasks() {
    return buffers.loopTasks();
  }

  private void ensureOpen() throws SocketClosedException {
    if (buffers.isClosed()) {
      throw new SocketClosedException("socket to " + peer + " is closed");
    }
  }

  @Override
  public String toString() {
    return "TcpSocket[" + peer + (buffers.isClosed() ? ", closed" : "") + "]";
  }

  private final class In extends InputStream {
    @Override
    public int read() throws IOException {
      return buffers.read(readTimeoutNs);
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      return TcpSocket.this.read(b, off, len);
    }

    @Override
    public int available() throws IOException {
      return TcpSocket.this.available();
    }

    @Override
    public void close() throws IOException {
      TcpSocket.this.close();
    }
  }

  private final class Out extends OutputStream {
    @Override
    public void write(int b) throws IOException {
      buffers.write(b, writeTimeoutNs);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      TcpSocket.this.write(b, off, len);
    }

    @Override
    public void close() throws IOException {
      TcpSocket.this.close();
    }
  }
}
