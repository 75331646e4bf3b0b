package io.tcpstack.examples.http;

import io.tcpstack.api.TcpServerSocket;
import io.tcpstack.api.TcpSocket;
import io.tcpstack.examples.apps.Servers;
import io.tcpstack.runtime.StackRuntime;
import io.tcpstack.stats.CounterSet;
import io.tcpstack.stats.StackCounter;
import java.io.IOException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * A small HTTP/1.1 server (RFC 9110, RFC 9112) on the stack, for curl and browsers: {@code GET /}
 * shows the stack's live counters, {@code GET /bytes/N} sends N bytes. What it answers, and why, is
 * in {@link HttpConnection}; how it reads requests, in {@link HttpRequestParser}.
 *
 * <p>One thread accepts; each connection gets its own thread, which serves its requests one after
 * another (persistent connections, RFC 9112 §9.3). A connection idle for {@link #IDLE_TIMEOUT}
 * is closed. Closing is done in stages (RFC 9112 §9.6): the server half-closes, then reads and
 * throws away what the client still sends, for a moment, before closing for good — so a client
 * still sending (a long request we refused) reads our response instead of losing it to a reset.
 */
public final class HttpServer implements AutoCloseable {

  /** RFC 9110 §4.2.1: "the default port is TCP 80". */
  public static final int PORT = 80;
  /** How long a connection may wait for its next request (or the rest of one: 408). */
  public static final Duration IDLE_TIMEOUT = Duration.ofSeconds(30);
  /** How long, and how many bytes, a closing connection keeps reading the client's leftovers. */
  static final Duration LINGER = Duration.ofSeconds(2);
  static final int LINGER_BYTES = 1024 * 1024;


  private final TcpServerSocket server;

  private HttpServer(TcpServerSocket server) {
    this.server = server;
  }

  /** Starts serving on {@code port} of the stack ({@link #PORT} for http://address/). */
  public static HttpServer start(StackRuntime runtime, int port, int backlog) throws IOException {
    return new HttpServer(Servers.startConcurrent(runtime, "http", port, backlog, client -> {
      client.setReadTimeout(IDLE_TIMEOUT);
      client.setNoDelay(true); // each response is written whole, then flushed: no need to hold a tail
      HttpConnection.serve(client.getInputStream(), client.getOutputStream(), () -> nonZero(runtime.counters()));
      closeInStages(client);
    }));
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

  /** Half-closes, then drains what the client still sends (RFC 9112 §9.6); the caller closes. */
  private static void closeInStages(TcpSocket client) {
    try {
      client.shutdownOutput();
      client.setReadTimeout(LINGER);
      byte[] sink = new byte[16 * 1024];
      for (int total = 0, n; total < LINGER_BYTES && (n = client.read(sink, 0, sink.length)) > 0; ) {
        total += n;
      }
    } catch (IOException e) {
      // timed out or reset: the connection is over either way
    }
  }

  /** Stops accepting; connections being served end on their own. */
  @Override
  public void close() throws IOException {
    server.close();
  }
}
