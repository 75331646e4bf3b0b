package io.tcpstack.examples.services;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.tcpstack.NetworkStack;
import io.tcpstack.api.TcpChannel;
import io.tcpstack.api.TcpChannelHandler;
import io.tcpstack.runtime.StackRuntime;
import java.io.IOException;
import java.util.function.Function;

/**
 * The Character Generator Protocol (RFC 864) on TCP: once a client connects, lines of 72
 * printable ASCII characters, each starting one character further along, are sent until the
 * client closes; what it sends is thrown away. A source as fast as the connection allows.
 *
 * <p>Event-driven on the stack thread: the pattern is written when the connection is accepted and
 * again on every {@code onWritable}, as much as the send buffer takes, each connection keeping its
 * own position in the pattern. When the client closes (the end of its stream), the connection is
 * aborted — a RST, since the client reads no more — and generation stops. Nothing is allocated per
 * connection but the handler: the pattern is one constant array.
 */
public final class ChargenService implements AutoCloseable {

  /** RFC 864: "A server listens for TCP connections on TCP port 19." */
  public static final int PORT = 19;
  /** RFC 864's suggested pattern: 72 characters a line, rotating through the 95 printable ones. */
  static final int LINE_CHARS = 72;
  static final int PRINTABLE = 95;

  /** One full rotation of the pattern: 95 lines of 72 characters and CR LF. */
  static final byte[] PATTERN = pattern();

  private final ChannelServer<Generator> server;

  private ChargenService(ChannelServer<Generator> server) {
    this.server = server;
  }

  /** Starts serving on {@code port} of a running stack; any thread but the stack's. */
  public static ChargenService start(StackRuntime runtime, int port, int backlog) throws IOException {
    return new ChargenService(ChannelServer.start(runtime, port, backlog, generators()));
  }

  /** Serves {@code port} of {@code stack}, on the stack thread (a test driving the stack itself). */
  public static ChargenService bind(NetworkStack stack, int port, int backlog) {
    return new ChargenService(ChannelServer.bind(stack, port, backlog, generators()));
  }

  /** One generator per connection, sharing one view of the pattern (they all run on the stack thread). */
  private static Function<TcpChannel, Generator> generators() {
    ByteBuf view = Unpooled.wrappedBuffer(PATTERN);
    return channel -> {
      Generator g = new Generator(view);
      g.onWritable(channel); // RFC 864: "send data ... as soon as a connection is established"
      return g;
    };
  }

  private static byte[] pattern() {
    byte[] p = new byte[PRINTABLE * (LINE_CHARS + 2)];
    int i = 0;
    for (int line = 0; line < PRINTABLE; line++) {
      for (int c = 0; c < LINE_CHARS; c++) {
        p[i++] = (byte) (' ' + (line + c) % PRINTABLE);
      }
      p[i++] = '\r';
      p[i++] = '\n';
    }
    return p;
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

  /** One client's stream of characters. */
  static final class Generator implements TcpChannelHandler {
    private final ByteBuf view;
    /** The next byte of {@link #PATTERN} to send. */
    private int position;

    Generator(ByteBuf view) {
      this.view = view;
    }

    @Override
    public void onWritable(TcpChannel channel) {
      while (channel.isWritable()) {
        int n = Math.min(PATTERN.length - position, channel.writableBytes());
        if (n == 0) {
          return; // full: the next onWritable goes on from here
        }
        view.setIndex(position, position + n);
        int written = channel.write(view);
        position = (position + written) % PATTERN.length;
        if (written < n) {
          return;
        }
      }
    }

    @Override
    public void onReadable(TcpChannel channel) {
      // RFC 864: "any data received is thrown away"; the end of the client's stream ends generation
      if (DiscardService.discardInput(channel) && channel.isOpen()) {
        channel.abort();
      }
    }
  }
}
