package io.tcpstack.examples.http;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.tcpstack.NetworkStack;
import io.tcpstack.StackTimer;
import io.tcpstack.api.TcpChannel;
import io.tcpstack.api.TcpChannelHandler;
import io.tcpstack.examples.services.ChannelServer;
import io.tcpstack.runtime.StackRuntime;
import io.tcpstack.stats.CounterSet;
import io.tcpstack.stats.StackCounter;
import io.tcpstack.tcp.TcpLayer;
import io.tcpstack.tcp.TcpInfo;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * A small HTTP/1.1 server (RFC 9110, RFC 9112) on the stack, for curl and browsers: {@code GET /}
 * shows the stack's live counters, {@code GET /bytes/N} sends N bytes, {@code GET /metrics} is the
 * stack's metrics for Prometheus and {@code GET /connections} its TCP table ({@link StackPages}).
 * What it answers, and why, is
 * in {@link HttpConnection}; how it reads requests, in {@link HttpRequestParser}.
 *
 * <p>Event-driven, on the stack thread, with no thread per connection: each accepted {@link
 * TcpChannel} gets an {@link HttpConnection}, driven by the channel's events, which serves its
 * requests one after another (persistent connections, RFC 9112 §9.3). A connection idle for
 * {@link #IDLE_TIMEOUT} is closed; closing is done in stages (RFC 9112 §9.6, see {@link
 * HttpConnection}).
 *
 * <p>Each connection's idle and linger deadlines are kept by a {@link StackTimer}: it runs on the
 * stack thread when the connection's next deadline comes, and is re-armed after every event — no
 * thread, and no sweep over idle connections.
 */
public final class HttpServer implements AutoCloseable {

  /** RFC 9110 §4.2.1: "the default port is TCP 80". */
  public static final int PORT = 80;
  /** How long a connection may wait for its next request (or the rest of one: 408). */
  public static final Duration IDLE_TIMEOUT = Duration.ofSeconds(30);
  /** How long, and how many bytes, a closing connection keeps reading the client's leftovers. */
  static final Duration LINGER = Duration.ofSeconds(2);
  static final int LINGER_BYTES = 1024 * 1024;
  private final ChannelServer<Handler> server;

  private HttpServer(ChannelServer<Handler> server) {
    this.server = server;
  }

  /** Starts serving on {@code port} of a running stack ({@link #PORT} for http://address/); any thread but the stack's. */
  public static HttpServer start(StackRuntime runtime, int port, int backlog) throws IOException {
    CounterSet<StackCounter> counters = runtime.counters();
    // runtime.nowNs() reads the clock: a task's view of the stack's time may be a turn old
    // The pages run on the stack thread, in the handlers: only the reference is taken here.
    Map<String, HttpConnection.Resource> pages = StackPages.of(runtime.stack());
    ChannelServer<Handler> server = ChannelServer.start(runtime, port, backlog,
        channel -> new Handler(channel, runtime::nowNs, counters, Clock.systemUTC(), pages));
    HttpServer http = new HttpServer(server);
    return http;
  }

  /**
   * Serves {@code port} of {@code stack}, on the stack thread, for a test driving the stack itself
   * in virtual time.
   */
  static HttpServer bind(NetworkStack stack, int port, int backlog, Clock clock) {
    Map<String, HttpConnection.Resource> pages = StackPages.of(stack);
    ChannelServer<Handler> server = ChannelServer.bind(stack, port, backlog,
        channel -> new Handler(channel, stack::nowNs, stack.counters(), clock, pages));
    return new HttpServer(server);
  }

  /**
   * How many connections the server has not closed yet. Stack thread. (A closed one may live on in
   * the stack a while — TIME-WAIT, or FIN-WAIT-2 for a client that never closes — without the server.)
   */
  int connections() {
    int[] n = {0};
    server.forEach(h -> n[0] += h.connection.isClosed() ? 0 : 1);
    return n[0];
  }

  /** The port served. */
  public int port() {
    return server.port();
  }

  /** The non-zero counters by their lower-case names, in declaration order. */
  static Map<String, Long> nonZero(CounterSet<StackCounter> counters) {
    Map<String, Long> named = new LinkedHashMap<>();
    counters.snapshot().forEach((counter, value) -> {
      if (value != 0) {
        named.put(counter.name().toLowerCase(Locale.ROOT), value);
      }
    });
    return named;
  }

  /**
   * {@code named} with two gauges after the counters: the stack's connections open now (every state
   * but CLOSED and TIME-WAIT) and those in TIME-WAIT — what `./tcpstack soak` samples. Stack thread.
   */
  static Map<String, Long> withGauges(Map<String, Long> named, TcpLayer tcp) {
    named.put("tcp_connections_open", (long) tcp.openConnectionCount());
    named.put("tcp_connections_time_wait", (long) tcp.timeWaitCount());
    return named;
  }

  /** Stops accepting; the connections being served are cut off. */
  @Override
  public void close() {
    server.close();
  }

  /** A channel's events, passed to its {@link HttpConnection}; the channel seen as its transport. */
  static final class Handler implements TcpChannelHandler, HttpTransport {
    private final TcpChannel channel;
    private final LongSupplier clock;
    final HttpConnection connection;
    /** Fires at the connection's next idle or linger deadline. */
    private final StackTimer deadline;

    Handler(TcpChannel channel, LongSupplier clock, CounterSet<StackCounter> counters, Clock wallClock,
        Map<String, HttpConnection.Resource> pages) {
      this.channel = channel;
      this.clock = clock;
      channel.setNoDelay(true); // each response is written whole: no need to hold a tail back
      TcpLayer tcp = channel.stack().tcp();
      this.connection = new HttpConnection(this, () -> withGauges(nonZero(counters), tcp), wallClock,
          HttpRequestParser.Limits.DEFAULT, pages);
      this.deadline = channel.stack().timer(() -> {
        connection.checkTimeouts(this.clock.getAsLong());
        rearm();
      });
      rearm();
    }

    @Override
    public void onReadable(TcpChannel c) {
      connection.onReadable();
      rearm();
    }

    @Override
    public void onWritable(TcpChannel c) {
      connection.onWritable();
      rearm();
    }

    @Override
    public void onClosed(TcpChannel c) {
      connection.onClosed();
      deadline.cancel();
    }

    /** The timer follows the connection's next deadline (none while it writes, or once closed). */
    private void rearm() {
      deadline.schedule(connection.nextDeadlineNs());
    }

    @Override
    public int read(ByteBuf dst) {
      return channel.read(dst);
    }

    @Override
    public int readableBytes() {
      return channel.readableBytes();
    }

    @Override
    public int write(ByteBuf src) {
      return channel.write(src);
    }

    @Override
    public boolean isWritable() {
      return channel.isWritable();
    }

    @Override
    public void shutdownOutput() {
      channel.shutdownOutput();
    }

    @Override
    public void close() {
      channel.close();
    }

    @Override
    public long nowNs() {
      return clock.getAsLong();
    }

    @Override
    public ByteBufAllocator alloc() {
      return channel.stack().config().allocator();
    }

    @Override
    public String describeConnection() {
      TcpInfo info = channel.info();
      return "congestion control " + info.congestionControl() + ", cwnd " + info.cwnd() + " bytes, ssthresh "
          + (info.ssthresh() == Integer.MAX_VALUE ? "none yet" : info.ssthresh() + " bytes") + ", smoothed RTT "
          + String.format(Locale.ROOT, "%.3f", info.srttNs() / 1e6) + " ms";
    }
  }
}
