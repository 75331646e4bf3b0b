package io.tcpstack.examples.apps;

import io.tcpstack.api.TcpSocket;
import io.tcpstack.examples.cli.UsageException;
import java.io.IOException;

/** {@code chat-client}: connects to HOST:PORT (e.g. {@code nc -l 198.18.0.1 5000}) and chats over stdin/stdout. */
public final class ChatClientExample implements Example {

  @Override
  public String name() {
    return "chat-client";
  }

  @Override
  public String summary() {
    return "connects to HOST:PORT and chats: the peer's lines are printed, yours (stdin) are sent";
  }

  @Override
  public String options() {
    return "      HOST:PORT               the peer (e.g. 198.18.0.1:5000)\n";
  }

  @Override
  public void check(ExampleContext context) throws UsageException {
    endpoint(context);
  }

  private static Endpoints.Endpoint endpoint(ExampleContext context) throws UsageException {
    ExampleContext.Options o = context.options();
    if (o.positionals().size() != 1) {
      throw new UsageException("chat-client needs HOST:PORT, e.g. run chat-client 198.18.0.1:5000");
    }
    return Endpoints.parse(o.positionals().get(0));
  }

  @Override
  public int run(ExampleContext context) throws Exception {
    Endpoints.Endpoint to = endpoint(context);
    try (TcpSocket peer = TcpSocket.connect(context.runtime(), to.address(), to.port(), ClientExample.CONNECT_TIMEOUT)) {
      Chat.talk(peer, new Messages(context.in()), context.out());
    } catch (IOException e) {
      if (context.stopping()) {
        return 0; // Ctrl-C while connecting
      }
      context.err().println("tcpstack: error: " + to + ": " + e.getMessage());
      return 1;
    }
    return 0;
  }
}
