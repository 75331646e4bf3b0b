package io.tcpstack.examples.apps;

import io.tcpstack.examples.http.HttpServer;

/**
 * {@code http}: a small HTTP/1.1 server for {@code curl}: {@code GET /} shows a page with the
 * stack's live counters, {@code GET /bytes/N} sends N bytes; HEAD and keep-alive work.
 */
public final class HttpExample extends ServerExample {

  public HttpExample() {
    super("http", HttpServer.PORT, "HTTP/1.1 for curl: GET / (live counters), GET /bytes/N, HEAD, keep-alive");
  }

  @Override
  int serve(ExampleContext context, int port) throws Exception {
    try (HttpServer server = HttpServer.start(context.runtime(), port, context.backlog())) {
      return context.serveUntilStopped("http on TCP port " + port);
    }
  }
}
