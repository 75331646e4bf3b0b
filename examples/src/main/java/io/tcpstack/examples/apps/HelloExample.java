package io.tcpstack.examples.apps;

/**
 * {@code hello}: serves clients one after another, answering {@code hello} to every message until the
 * client closes, then takes the next (the tutorial's loop; a second client waits in the backlog).
 */
public final class HelloExample implements Example {

  public static final int PORT = 8002;

  @Override
  public String name() {
    return "hello";
  }

  @Override
  public String summary() {
    return "serves one client after another, replying 'hello' to every message until it closes";
  }

  @Override
  public String options() {
    return "      --port N                TCP port (default " + PORT + ")\n";
  }

  @Override
  public void check(ExampleContext context) throws io.tcpstack.examples.cli.UsageException {
    context.portOption(PORT);
  }

  @Override
  public int run(ExampleContext context) throws Exception {
    int port = context.portOption(PORT);
    return LineServer.serveUntilStopped(context, name(), port, true, client -> {
      context.out().println("client " + client.peer() + " connected");
      context.out().flush();
      LineServer.answerMessages(client, message -> "hello");
      context.out().println("client " + client.peer() + " left");
      context.out().flush();
    });
  }
}
