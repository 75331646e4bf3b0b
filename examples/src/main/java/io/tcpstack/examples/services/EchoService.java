package io.tcpstack.examples.services;

import io.netty.buffer.ByteBuf;
import io.tcpstack.NetworkStack;
import io.tcpstack.api.TcpChannel;
import io.tcpstack.api.TcpChannelHandler;
import io.tcpstack.runtime.StackRuntime;
import java.io.IOException;

/**
 * The Echo Protocol (RFC 862) on TCP: every byte a client sends comes back, until it closes.
 *
 * <p>Event-driven, on the stack thread, with no thread per connection: on {@code onReadable} the
 * handler reads as much as the send buffer has room for and writes it back; when the send buffer
 * is full it stops reading, so the client's window closes and it waits — back-pressure end to end,
 * and no byte dropped or reordered. If a write ever takes fewer bytes than offered, the rest is
 * kept and sent first on {@code onWritable}, reading resuming only after it. When the client's
 * stream ends, what is pending is flushed and the connection closed (FIN after the last byte).
 *
 * <p>Memory: a pooled buffer per connection only while bytes are between read and write, released
 * as soon as they are written; an idle connection holds none.
 */
public final class EchoService implements AutoCloseable {

  /** RFC 862: "A server listens for TCP connections on TCP port 7." */
  public static final int PORT = 7;
  /** The most bytes moved from the receive buffer to the send buffer in one step. */
  static final int CHUNK = 64 * 1024;

  private final ChannelServer<Echo> server;

  private EchoService(ChannelServer<Echo> server) {
    this.server = server;
  }

  /** Starts serving on {@code port} of a running stack; any thread but the stack's. */
  public static EchoService start(StackRuntime runtime, int port, int backlog) throws IOException {
    return new EchoService(ChannelServer.start(runtime, port, backlog, Echo::new));
  }

  /** Serves {@code port} of {@code stack}, on the stack thread (a test driving the stack itself). */
  public static EchoService bind(NetworkStack stack, int port, int backlog) {
    return new EchoService(ChannelServer.bind(stack, port, backlog, Echo::new));
  }

  /** The port served. */
  public int port() {
    return server.port();
  }

  /** Visits the channel of every client being served (tests watch their buffers). Stack thread. */
  void forEachChannel(java.util.function.Consumer<TcpChannel> action) {
    server.forEach(echo -> action.accept(echo.channel));
  }

  /** Stops accepting; the clients being served are cut off. */
  @Override
  public void close() {
    server.close();
  }

  /** One client's echo. */
  static final class Echo implements TcpChannelHandler {
    private final TcpChannel channel;
    /** Read, not yet written back; null when nothing is (the usual case between events). */
    private ByteBuf pending;

    Echo(TcpChannel channel) {
      this.channel = channel;
    }

    @Override
    public void onReadable(TcpChannel c) {
      pump();
    }

    @Override
    public void onWritable(TcpChannel c) {
      pump();
    }

    @Override
    public void onClosed(TcpChannel c) {
      release();
    }

    /** Moves bytes from the receive side to the send side until one of them has to wait. */
    private void pump() {
      while (true) {
        if (!channel.isWritable()) {
          release(); // closed by us after the end of the stream, or reset: nothing more to echo
          return;
        }
        if (pending != null) {
          channel.write(pending);
          if (pending.isReadable()) {
            return; // the rest goes first on onWritable; reading waits until then
          }
          release();
        }
        int available = channel.readableBytes();
        if (available == 0) {
          if (channel.isEndOfStream()) {
            channel.close(); // everything came back: FIN after the last byte
          }
          return;
        }
        int room = channel.writableBytes();
        if (room == 0) {
          return; // the send buffer is full: leave the bytes where they are until onWritable
        }
        pending = channel.stack().config().allocator().directBuffer(Math.min(CHUNK, Math.min(available, room)));
        channel.read(pending);
      }
    }

    private void release() {
      if (pending != null) {
        pending.release();
        pending = null;
      }
    }
  }
}
