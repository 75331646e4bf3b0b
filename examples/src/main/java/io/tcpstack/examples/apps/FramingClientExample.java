package io.tcpstack.examples.apps;

import io.tcpstack.examples.cli.UsageException;
import io.tcpstack.examples.framing.FramingClient;
import java.io.IOException;
import java.util.List;

/**
 * {@code framing-client}: the stack as the client of a {@code framing} server (on the host side, or
 * another stack): sends each MESSAGE as one length-prefixed message and prints each reply.
 */
public final class FramingClientExample implements Example {

  @Override
  public String name() {
    return "framing-client";
  }

  @Override
  public String summary() {
    return "sends each MESSAGE length-prefixed to HOST:PORT and prints the replies";
  }

  @Override
  public String options() {
    return "      HOST:PORT MESSAGE...    where to connect, then the messages (\"\" is an empty one)\n";
  }

  @Override
  public void check(ExampleContext context) throws UsageException {
    arguments(context);
  }

  private static List<String> arguments(ExampleContext context) throws UsageException {
    List<String> positionals = context.options().positionals();
    if (positionals.size() < 2) {
      throw new UsageException("framing-client needs HOST:PORT and at least one message, "
          + "e.g. run framing-client 198.18.0.1:9000 hello world");
    }
    Endpoints.parse(positionals.get(0));
    return positionals;
  }

  @Override
  public int run(ExampleContext context) throws Exception {
    List<String> positionals = arguments(context);
    Endpoints.Endpoint to = Endpoints.parse(positionals.get(0));
    List<String> messages = positionals.subList(1, positionals.size());
    try {
      for (String reply : FramingClient.exchangeText(context.runtime(), to.address(), to.port(), messages)) {
        context.out().println(reply);
      }
      return 0;
    } catch (IOException e) {
      if (context.stopping()) {
        return 0; // Ctrl-C while connecting or waiting for a reply
      }
      context.err().println("tcpstack: error: " + to + ": " + e.getMessage());
      return 1;
    }
  }
}
