package io.tcpstack.examples.services;

import io.netty.buffer.ByteBuf;
import io.tcpstack.NetworkStack;
import io.tcpstack.api.TcpChannel;
import io.tcpstack.api.TcpChannelHandler;
import io.tcpstack.runtime.StackRuntime;
import java.io.IOException;

/**
 * The Discard Protocol (RFC 863) on TCP: everything a client sends is read and thrown away; when
 * it closes, so does the server. Event-driven on the stack thread: the handler has no state, so
 * one serves every connection, and a buffer is borrowed from the pool only while bytes are read.
 */
public final class DiscardService implements AutoCloseable {

  /** RFC 863: "A server listens for TCP connections on TCP port 9." */
  public static final int PORT = 9;
  /** The most bytes read at a time. */
  static final int CHUNK = 64 * 1024;

  private static final TcpChannelHandler DISCARD = new TcpChannelHandler() {
    @Override
    public void onReadable(TcpChannel channel) {
      if (discardInput(channel)) {
        channel.close(); // the client closed: so do we
      }
    }
  };

  private final ChannelServer<TcpChannelHandler> server;

  private DiscardService(ChannelServer<TcpChannelHandler> server) {
    this.server = server;
  }

  /** Starts serving on {@code port} of a running stack; any thread but the stack's. */
  public static DiscardService start(StackRuntime runtime, int port, int backlog) throws IOException {
    return new DiscardService(ChannelServer.start(runtime, port, backlog, channel -> DISCARD));
  }

  /** Serves {@code port} of {@code stack}, on the stack thread (a test driving the stack itself). */
  public static DiscardService bind(NetworkStack stack, int port, int backlog) {
    return new DiscardService(ChannelServer.bind(stack, port, backlog, channel -> DISCARD));
  }

  /**
   * Reads everything waiting on {@code channel} and throws it away; returns whether the client's
   * stream has ended (or the connection is over).
   */
  static boolean discardInput(TcpChannel channel) {
    int available = channel.readableBytes();
    if (available > 0) {
      ByteBuf sink = channel.stack().config().allocator().directBuffer(Math.min(available, CHUNK));
      try {
        while (channel.readableBytes() > 0) {
          sink.clear();
          channel.read(sink);
        }
      } finally {
        sink.release();
      }
    }
    return channel.isEndOfStream() || !channel.isOpen();
  }

  /** The port served. */
  public int port() {
    return server.port();
  }

  /** Stops accepting; the clients being served are cut off. */
  @Override
  public void close() {
    server.close();
  }
}
