package io.tcpstack.examples.services;

import io.tcpstack.NetworkStack;
import io.tcpstack.api.TcpChannel;
import io.tcpstack.api.TcpChannelHandler;
import io.tcpstack.api.TcpServerChannel;
import io.tcpstack.runtime.StackRuntime;
import io.tcpstack.tcp.TcpConfig;
import java.io.IOException;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * A TCP port served on the stack thread, with no thread per connection: a {@link TcpServerChannel}
 * whose every accepted connection gets its own handler, made by a factory, which then hears the
 * connection's events. The server remembers the connections it serves, so {@link #close()} can cut
 * them off and a service can visit them ({@link #forEach}, for timeouts).
 *
 * <p>When a connection closes (the handler closed it, the peer reset it, the stack shut down), the
 * handler hears {@code onClosed} — where it releases what it holds — and the server then lets go of
 * the channel ({@link TcpChannel#close()}, which returns the connection's memory to the stack).
 *
 * @param <H> the handlers, one per connection
 */
public final class ChannelServer<H extends TcpChannelHandler> implements AutoCloseable {

  private final StackRuntime runtime;
  private final Function<TcpChannel, H> factory;
  /** The connections being served, by channel. Stack thread only. */
  private final Map<TcpChannel, H> open = new IdentityHashMap<>();
  private TcpServerChannel server;
  private boolean closed;

  private ChannelServer(StackRuntime runtime, Function<TcpChannel, H> factory) {
    this.runtime = runtime;
    this.factory = Objects.requireNonNull(factory, "factory");
  }

  /**
   * Listens on {@code port} of a running stack, from any thread but the stack's. {@code factory}
   * makes the handler of each connection accepted, on the stack thread; it may already use the
   * channel (set options, start writing).
   *
   * @throws java.net.BindException if something already listens on the port
   */
  public static <H extends TcpChannelHandler> ChannelServer<H> start(StackRuntime runtime, int port, int backlog,
      Function<TcpChannel, H> factory) throws IOException {
    ChannelServer<H> s = new ChannelServer<>(Objects.requireNonNull(runtime, "runtime"), factory);
    s.server = TcpServerChannel.bind(runtime, port, backlog, TcpConfig.DEFAULT, s::accepted);
    return s;
  }

  /**
   * Listens on {@code port} of {@code stack}, on the stack thread (a test driving a stack itself).
   *
   * @throws IllegalStateException if something already listens on the port
   */
  public static <H extends TcpChannelHandler> ChannelServer<H> bind(NetworkStack stack, int port, int backlog,
      Function<TcpChannel, H> factory) {
    ChannelServer<H> s = new ChannelServer<>(null, factory);
    s.server = TcpServerChannel.bind(stack, port, backlog, TcpConfig.DEFAULT, s::accepted);
    return s;
  }

  private void accepted(TcpChannel channel) {
    H handler = factory.apply(channel);
    open.put(channel, handler);
    channel.subscribe(new TcpChannelHandler() {
      @Override
      public void onReadable(TcpChannel c) {
        handler.onReadable(c);
      }

      @Override
      public void onWritable(TcpChannel c) {
        handler.onWritable(c);
      }

      @Override
      public void onClosed(TcpChannel c) {
        try {
          handler.onClosed(c);
        } finally {
          open.remove(c);
          c.close(); // idempotent: the connection's memory goes back to the stack
        }
      }
    });
  }

  /** The port served. */
  public int port() {
    return server.port();
  }

  /** How many connections are being served. Stack thread. */
  public int connections() {
    return open.size();
  }

  /** Visits the handler of every connection being served (which may close it). Stack thread. */
  public void forEach(Consumer<? super H> action) {
    for (H h : new ArrayList<>(open.values())) {
      action.accept(h);
    }
  }

  /**
   * Stops listening and cuts off the connections being served (RST; their handlers hear {@code
   * onClosed} and release what they hold). Idempotent. From the stack thread, or — for a server
   * {@link #start}ed on a runtime — any other thread; nothing to do once the runtime is closed
   * (closing it aborted every connection).
   */
  @Override
  public void close() {
    if (runtime == null || runtime.inStackThread()) {
      closeOnStackThread();
      return;
    }
    try {
      runtime.call(() -> {
        closeOnStackThread();
        return Boolean.TRUE;
      }).get();
    } catch (RejectedExecutionException e) {
      // the runtime is closed: nothing listens, nothing is open
    } catch (ExecutionException | CompletionException e) {
      if (!(e.getCause() instanceof RejectedExecutionException)) {
        throw new IllegalStateException("closing " + this + " failed", e.getCause());
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void closeOnStackThread() {
    if (closed) {
      return;
    }
    closed = true;
    server.close();
    List<TcpChannel> cut = new ArrayList<>(open.keySet());
    for (TcpChannel c : cut) {
      c.abort(); // onClosed follows, once this task is done
    }
  }

  @Override
  public String toString() {
    return "ChannelServer[:" + server.port() + ", " + open.size() + " open]";
  }
}
