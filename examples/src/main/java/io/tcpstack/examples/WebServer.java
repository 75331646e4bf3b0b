package io.tcpstack.examples;

import io.tcpstack.TcpStack;
import io.tcpstack.examples.http.HttpServer;
import java.io.IOException;

/**
 * A small HTTP/1.1 server for {@code curl}: {@code GET /} shows a page with the stack's live
 * counters, {@code GET /bytes/N} sends N bytes; HEAD and keep-alive work. The server itself
 * ({@link HttpServer}) is event-driven, on the stack thread.
 *
 * <pre>
 *   ./tcpstack run http [PORT] --netns demo             # PORT: 80 by default
 *   ip netns exec demo curl http://198.18.0.2/
 * </pre>
 */
public final class WebServer {

  private WebServer() {}

  public static void main(String[] args) throws IOException, InterruptedException {
    int port = args.length > 0 ? Integer.parseInt(args[0]) : HttpServer.PORT;
    try (TcpStack stack = TcpStack.builder().address("198.18.0.2/24").open();
        HttpServer http = HttpServer.start(stack.runtime(), port, stack.backlog())) {
      System.out.println("ready: " + stack + "; http on TCP port " + port);
      stack.awaitTermination(); // serves on the stack thread until Ctrl-C
    }
  }
}
