package io.tcpstack.api;

import io.tcpstack.NetworkStack;
import io.tcpstack.runtime.StackRuntime;
import io.tcpstack.tcp.TcpConfig;
import io.tcpstack.tcp.TcpConnection;
import io.tcpstack.tcp.TcpListener;
import java.io.IOException;
import java.net.BindException;
import java.net.InetAddress;
import java.util.Objects;

/**
 * A listening port for event-driven code: each connection that completes its handshake is accepted
 * on the stack thread and handed to a {@link TcpAcceptHandler} as a {@link TcpChannel} — no accept
 * thread, no thread per connection. Backlog as in {@link TcpListener}.
 */
public final class TcpServerChannel {

  private final NetworkStack stack;
  private final TcpListener listener;
  private final TcpAcceptHandler handler;

  private TcpServerChannel(NetworkStack stack, TcpListener listener, TcpAcceptHandler handler) {
    this.stack = stack;
    this.listener = listener;
    this.handler = handler;
    listener.subscribe(this::acceptAll);
  }

  /**
   * Listens on {@code port}; stack thread.
   *
   * @param stack the stack to listen on
   * @param port the port, 1..65535
   * @param backlog how many established connections may wait to be handed to {@code handler}, at
   *     least 1 (see {@link TcpListener})
   * @param config settings for every accepted connection; not null
   * @param handler told of each accepted connection; not null
   * @return the listening channel
   * @throws IllegalArgumentException if {@code port} or {@code backlog} is out of range
   * @throws IllegalStateException if something already listens on the port
   */
  public static TcpServerChannel bind(NetworkStack stack, int port, int backlog, TcpConfig config, TcpAcceptHandler handler) {
    return bind(stack, port, backlog, null, config, handler);
  }

  /**
   * Listens on {@code port} of one of the stack's addresses (RFC 9293 §3.9.1.1, MUST-43: the OPEN
   * call's local IP address): a SYN sent to the stack's other address finds no listener and is
   * answered with RST. Stack thread.
   *
   * @param stack the stack to listen on
   * @param port the port, 1..65535
   * @param backlog how many established connections may wait to be handed to {@code handler}, at
   *     least 1 (see {@link TcpListener})
   * @param localAddress the stack's IPv4 or IPv6 address; null or a wildcard address ({@link
   *     InetAddress#isAnyLocalAddress()}): every address of the stack
   * @param config settings for every accepted connection; not null
   * @param handler told of each accepted connection; not null
   * @return the listening channel
   * @throws IllegalArgumentException if {@code port} or {@code backlog} is out of range, or {@code
   *     localAddress} is not one of the stack's addresses (the message names those it has)
   * @throws IllegalStateException if something already listens on the port
   */
  public static TcpServerChannel bind(NetworkStack stack, int port, int backlog, InetAddress localAddress,
      TcpConfig config, TcpAcceptHandler handler) {
    Objects.requireNonNull(handler, "handler");
    return new TcpServerChannel(stack,
        stack.tcp().listen(port, backlog, TcpSocket.localAddressOrAny(localAddress), config), handler);
  }

  /**
   * Listens on {@code port} of a running stack, from any thread but the stack's: the listener is
   * created on the stack thread, where {@code handler} will run.
   *
   * @param runtime the runtime running the stack to listen on
   * @param port the port, 1..65535
   * @param backlog how many established connections may wait to be handed to {@code handler}, at
   *     least 1 (see {@link TcpListener})
   * @param config settings for every accepted connection; not null
   * @param handler told of each accepted connection, on the stack thread; not null
   * @return the listening channel
   * @throws IllegalArgumentException if {@code port} or {@code backlog} is out of range
   * @throws BindException if something already listens on the port
   * @throws SocketClosedException if the runtime is closed
   */
  public static TcpServerChannel bind(StackRuntime runtime, int port, int backlog, TcpConfig config, TcpAcceptHandler handler)
      throws IOException {
    return bind(runtime, port, backlog, null, config, handler);
  }

  /**
   * As {@link #bind(NetworkStack, int, int, InetAddress, TcpConfig, TcpAcceptHandler)} on a running
   * stack, from any thread but the stack's: the listener is created on the stack thread, where
   * {@code handler} will run.
   *
   * @param runtime the runtime running the stack to listen on
   * @param port the port, 1..65535
   * @param backlog how many established connections may wait to be handed to {@code handler}, at
   *     least 1 (see {@link TcpListener})
   * @param localAddress the stack's IPv4 or IPv6 address; null or a wildcard address ({@link
   *     InetAddress#isAnyLocalAddress()}): every address of the stack
   * @param config settings for every accepted connection; not null
   * @param handler told of each accepted connection, on the stack thread; not null
   * @return the listening channel
   * @throws IllegalArgumentException if {@code port} or {@code backlog} is out of range, or {@code
   *     localAddress} is not one of the stack's addresses (the message names those it has)
   * @throws BindException if something already listens on the port
   * @throws SocketClosedException if the runtime is closed
   */
  public static TcpServerChannel bind(StackRuntime runtime, int port, int backlog, InetAddress localAddress,
      TcpConfig config, TcpAcceptHandler handler) throws IOException {
    Objects.requireNonNull(handler, "handler");
    try {
      return new StackCall(runtime).call(() -> bind(runtime.stack(), port, backlog, localAddress, config, handler));
    } catch (IllegalStateException e) {
      BindException b = new BindException("port " + port + ": " + e.getMessage());
      b.initCause(e);
      throw b;
    }
  }

  private void acceptAll() {
    TcpConnection c;
    while ((c = listener.accept()) != null) {
      TcpChannel channel = new TcpChannel(stack, c);
      handler.onAccepted(channel);
      channel.announceInitialState();
    }
  }

  /**
   * The port this channel listens on.
   *
   * @return 1..65535
   */
  public int port() {
    return listener.port();
  }

  /** Stops listening; connections not yet accepted are reset. Stack thread; idempotent. */
  public void close() {
    listener.close(stack.nowNs());
  }

  /**
   * {@link #close()} from any thread but the stack's; waits until the listener is closed. A runtime
   * already closed took the listener with it: that is not an error.
   *
   * @param runtime the runtime running this channel's stack
   * @throws IOException not in practice: declared for the hand-off to the stack thread
   * @throws IllegalStateException if called on the stack thread (call {@link #close()} there)
   */
  public void close(StackRuntime runtime) throws IOException {
    try {
      new StackCall(runtime).call(() -> {
        close();
        return Boolean.TRUE;
      });
    } catch (SocketClosedException e) {
      // the stack is already closed: nothing listens any more
    }
  }

  @Override
  public String toString() {
    return "TcpServerChannel[:" + port() + "]";
  }
}
