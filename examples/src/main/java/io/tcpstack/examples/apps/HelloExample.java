package io.tcpstack.examples.apps;

/**
 * {@code hello}: serves clients one after another, answering {@code hello} to every message until the
 * client closes, then takes the next (the tutorial's loop; a second client waits in the backlog).
 */
public final class HelloExample extends ServerExample {

  public static final int PORT = 8002;

  public HelloExample() {
    super("hello", PORT, "serves one client after another, replying 'hello' to every message until it closes");
  }

  @Override
  int serve(ExampleContext context, int port) throws Exception {
    return TextServer.serveUntilStopped(context, name(), port, true, client -> {
      context.out().println("client " + client.peer() + " connected");
      context.out().flush();
      TextServer.answerMessages(client, message -> "hello");
      context.out().println("client " + client.peer() + " left");
      context.out().flush();
    });
  }
}
