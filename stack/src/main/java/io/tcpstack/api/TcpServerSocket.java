package io.tcpstack.api;

import io.tcpstack.runtime.StackRuntime;
import io.tcpstack.tcp.TcpConfig;
import io.tcpstack.tcp.TcpConnection;
import io.tcpstack.tcp.TcpListener;
import io.tcpstack.wire.IpAddress;
import java.io.Closeable;
import java.io.IOException;
import java.net.InetAddress;
import java.time.Duration;

/**
 * A listening TCP port on the stack, in the spirit of {@link java.net.ServerSocket}. The backlog is
 * honoured: connection attempts beyond it are not admitted until {@link #accept()} makes room. A
 * port whose earlier connections sit in TIME-WAIT can be bound again at once.
 */
public final class TcpServerSocket implements Closeable {

  private final StackCall stack;
  private final TcpListener listener;
  private final TcpConfig config;
  private volatile boolean closed;

  private TcpServerSocket(StackCall stack, TcpListener listener, TcpConfig config) {
    this.stack = stack;
    this.listener = listener;
    this.config = config;
  }

  /**
   * Listens on {@code port} of the stack's address.
   *
   * @param runtime the runtime running the stack to listen on
   * @param port the port, 1..65535
   * @param backlog how many established connections may wait for {@link #accept()}, at least 1;
   *     a client's SYN beyond them is dropped, so that it retries
   * @param config settings for every accepted connection; not null
   * @return the listening socket
   * @throws IllegalArgumentException if {@code port} or {@code backlog} is out of range
   * @throws java.net.BindException if something already listens on the port
   * @throws SocketClosedException if the runtime is closed
   */
  public static TcpServerSocket bind(StackRuntime runtime, int port, int backlog, TcpConfig config) throws IOException {
    return bind(runtime, port, backlog, null, config);
  }

  /**
   * Listens on {@code port} of one of the stack's addresses (RFC 9293 §3.9.1.1, MUST-43: the OPEN
   * call's local IP address), as {@link java.net.ServerSocket#ServerSocket(int, int, InetAddress)}
   * does: a SYN sent to the stack's other address finds no listener and is answered with RST.
   *
   * @param runtime the runtime running the stack to listen on
   * @param port the port, 1..65535
   * @param backlog how many established connections may wait for {@link #accept()}, at least 1;
   *     a client's SYN beyond them is dropped, so that it retries
   * @param localAddress the stack's IPv4 or IPv6 address; null or a wildcard address ({@link
   *     InetAddress#isAnyLocalAddress()}): every address of the stack
   * @param config settings for every accepted connection; not null
   * @return the listening socket
   * @throws IllegalArgumentException if {@code port} or {@code backlog} is out of range, or {@code
   *     localAddress} is not one of the stack's addresses (the message names those it has)
   * @throws java.net.BindException if something already listens on the port
   * @throws SocketClosedException if the runtime is closed
   */
  public static TcpServerSocket bind(StackRuntime runtime, int port, int backlog, InetAddress localAddress,
      TcpConfig config) throws IOException {
    IpAddress local = TcpSocket.localAddressOrAny(localAddress);
    StackCall stack = new StackCall(runtime);
    TcpListener l;
    try {
      l = stack.call(() -> {
        TcpListener created = runtime.stack().tcp().listen(port, backlog, local, config);
        created.subscribe(stack::signal);
        return created;
      });
    } catch (IllegalStateException e) {
      java.net.BindException b = new java.net.BindException("port " + port + ": " + e.getMessage());
      b.initCause(e);
      throw b;
    }
    return new TcpServerSocket(stack, l, config);
  }

  /**
   * As {@link #bind(StackRuntime, int, int, TcpConfig)}, with {@link TcpConfig#DEFAULT} for the
   * accepted connections.
   *
   * @param runtime the runtime running the stack to listen on
   * @param port the port, 1..65535
   * @param backlog how many established connections may wait for {@link #accept()}, at least 1
   * @return the listening socket
   * @throws IllegalArgumentException if {@code port} or {@code backlog} is out of range
   * @throws java.net.BindException if something already listens on the port
   * @throws SocketClosedException if the runtime is closed
   */
  public static TcpServerSocket bind(StackRuntime runtime, int port, int backlog) throws IOException {
    return bind(runtime, port, backlog, TcpConfig.DEFAULT);
  }

  /**
   * The port this socket listens on.
   *
   * @return 1..65535
   */
  public int port() {
    return listener.port();
  }

  /**
   * Waits, without a time limit, for the next established connection: {@link
   * #accept(Duration)} with {@link Duration#ZERO}.
   *
   * @return the connection, established, with the settings given to {@link #bind}
   * @throws java.io.InterruptedIOException when the thread is interrupted while waiting (the
   *     interrupt flag is set)
   * @throws SocketClosedException when this server socket or the stack is (or gets) closed
   */
  public TcpSocket accept() throws IOException {
    return accept(Duration.ZERO);
  }

  /**
   * Waits at most {@code timeout} (zero: forever) for the next established connection.
   *
   * <p>Cancelling never loses a connection: a connection is taken from the accept queue only by an
   * accept that then returns it — even if the thread is interrupted while the stack thread hands it
   * over (the interrupt flag stays set) — and a timeout or an interrupt ends only a wait in which
   * nothing was taken, so the connection the next accept returns is the one this one would have. A
   * thread interrupted before it calls still gets a connection that is already waiting.
   *
   * @param timeout the longest wait; zero (or negative): no limit; not null
   * @return the connection, established, with the settings given to {@link #bind}
   * @throws java.net.SocketTimeoutException when the timeout passes first (the interrupt flag is
   *     not touched)
   * @throws java.io.InterruptedIOException when the thread is interrupted while waiting (the
   *     interrupt flag is set)
   * @throws SocketClosedException when this server socket or the stack is (or gets) closed
   */
  public TcpSocket accept(Duration timeout) throws IOException {
    if (closed) {
      throw new SocketClosedException("server socket on port " + port() + " is closed");
    }
    StackRuntime runtime = stack.runtime();
    return stack.await(() -> {
      if (closed || listener.isClosed()) {
        throw new java.io.UncheckedIOException(new SocketClosedException("server socket on port " + port() + " is closed"));
      }
      TcpConnection c = listener.accept();
      return c == null ? null : TcpSocket.accepted(runtime, c, config);
    }, StackCall.deadline(timeout.toNanos()), "accept on port " + port() + " timed out after " + timeout.toMillis() + " ms",
        "interrupted while waiting to accept on port " + port());
  }

  /** Connections established and waiting to be accepted now (a call to the stack thread; for tests). */
  int pending() throws IOException {
    return stack.call(listener::pending);
  }

  /** Stops listening; connections not yet accepted are reset. Blocked accepts fail. Idempotent. */
  @Override
  public void close() throws IOException {
    if (closed) {
      return;
    }
    closed = true;
    try {
      stack.call(() -> {
        listener.close(stack.runtime().nowNs());
        return Boolean.TRUE;
      });
    } catch (SocketClosedException e) {
      // the stack is already closed: nothing listens any more
    }
    stack.signal();
  }

  @Override
  public String toString() {
    return "TcpServerSocket[:" + port() + (closed ? ", closed" : "") + "]";
  }
}
