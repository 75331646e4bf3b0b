package io.tcpstack.examples.apps;

import java.nio.charset.StandardCharsets;

/**
 * {@code thanks}: the tutorials' first server — receives one message (a line, or what arrived
 * before the client paused), prints it, replies {@code thank you !} and closes the connection.
 */
public final class ThanksExample extends ServerExample {

  public static final int PORT = 8003;
  static final String REPLY = "thank you !";

  public ThanksExample() {
    super("thanks", PORT, "receives one message, prints it, replies 'thank you !' and closes");
  }

  @Override
  int serve(ExampleContext context, int port) throws Exception {
    return TextServer.serveUntilStopped(context, name(), port, false, client -> {
      Messages.Message message = new Messages(client.getInputStream()).next();
      context.out().println("received from " + client.peer() + ": " + (message == null ? "(nothing)" : message.text()));
      context.out().flush();
      String ending = message == null ? "\n" : message.ending();
      client.getOutputStream().write((REPLY + ending).getBytes(StandardCharsets.UTF_8));
    }); // the session ends: close() sends FIN after the reply
  }
}
