package io.tcpstack.examples.apps;

import io.tcpstack.examples.cli.UsageException;
import io.tcpstack.examples.http.HttpServer;

/**
 * {@code http}: a small HTTP/1.1 server for {@code curl}: {@code GET /} shows a page with the
 * stack's live counters, {@code GET /bytes/N} sends N bytes; HEAD and keep-alive work.
 */
public final class HttpExample implements Example {

  @Override
  public String name() {
    return "http";
  }

  @Override
  public String summary() {
    return "HTTP/1.1 for curl: GET / (live counters), GET /bytes/N, HEAD, keep-alive";
  }

  @Override
  public String options() {
    return "      --port N                TCP port (default " + HttpServer.PORT + ")\n";
  }

  @Override
  public void check(ExampleContext context) throws UsageException {
    context.portOption(HttpServer.PORT);
  }

  @Override
  public int run(ExampleContext context) throws Exception {
    int port = context.portOption(HttpServer.PORT);
    try (HttpServer server = HttpServer.start(context.runtime(), port)) {
      context.ready("http on TCP port " + port);
      context.awaitStop();
      return 0;
    }
  }
}
