package io.tcpstack.examples.apps;

import io.tcpstack.api.TcpSocket;
import io.tcpstack.examples.cli.UsageException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;

/**
 * {@code client}: the stack as a TCP client (the tutorials' client): connects out to HOST:PORT,
 * sends one line, prints the line that comes back, closes.
 */
public final class ClientExample implements Example {

  static final String DEFAULT_MESSAGE = "hello from tcpstack";
  static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(10);

  @Override
  public String name() {
    return "client";
  }

  @Override
  public String summary() {
    return "connects to HOST:PORT (e.g. nc -l on the host side), sends a line, prints the reply";
  }

  @Override
  public String options() {
    return "      HOST:PORT               where to connect (e.g. 198.18.0.1:5000)\n"
        + "      --message TEXT          the line to send (default '" + DEFAULT_MESSAGE + "')\n";
  }

  @Override
  public void check(ExampleContext context) throws UsageException {
    endpoint(context);
  }

  private static Endpoints.Endpoint endpoint(ExampleContext context) throws UsageException {
    List<String> positionals = context.options("--message").positionals();
    if (positionals.size() != 1) {
      throw new UsageException("client needs HOST:PORT, e.g. run client 198.18.0.1:5000");
    }
    return Endpoints.parse(positionals.get(0));
  }

  @Override
  public int run(ExampleContext context) throws Exception {
    ExampleContext.Options o = context.options("--message");
    Endpoints.Endpoint to = endpoint(context);
    String message = o.get("--message", DEFAULT_MESSAGE);
    try (TcpSocket socket = TcpSocket.connect(context.runtime(), to.address(), to.port(), CONNECT_TIMEOUT)) {
      socket.getOutputStream().write((message + "\n").getBytes(StandardCharsets.UTF_8));
      String reply = new Messages(socket.getInputStream()).nextText();
      context.out().println(reply == null ? "(the server closed without replying)" : reply);
    } catch (java.io.IOException e) {
      if (context.stopping()) {
        return 0; // Ctrl-C while connecting or waiting for the reply
      }
      context.err().println("tcpstack: error: " + to + ": " + e.getMessage());
      return 1;
    }
    return 0;
  }
}
