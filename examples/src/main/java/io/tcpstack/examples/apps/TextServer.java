package io.tcpstack.examples.apps;

import io.tcpstack.api.TcpServerSocket;
import io.tcpstack.api.TcpSocket;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.function.UnaryOperator;

/**
 * The shape of the tutorials' servers: read a message, answer it, until the client closes. A
 * message is a line of UTF-8 text, or what arrived before the sender paused (TCP keeps no message
 * boundaries: see {@link Messages} and the {@code framing} example).
 */
final class TextServer {

  private TextServer() {}

  /**
   * Answers every {@link Messages message} of {@code client} with {@code reply.apply(text)}, ended
   * the way the message was (a line gets a line back), until the client closes.
   */
  static void answerMessages(TcpSocket client, UnaryOperator<String> reply) throws IOException {
    Messages messages = new Messages(client.getInputStream());
    OutputStream out = client.getOutputStream();
    for (Messages.Message m; (m = messages.next()) != null; ) {
      out.write((reply.apply(m.text()) + m.ending()).getBytes(StandardCharsets.UTF_8));
    }
  }

  /** Binds {@code port}, serves in the background, prints ready, waits for Ctrl-C, closes. */
  static int serveUntilStopped(ExampleContext context, String name, int port, boolean oneAtATime,
      Servers.Session session) throws IOException, InterruptedException {
    try (TcpServerSocket server = oneAtATime
        ? Servers.startOneAfterAnother(context.runtime(), name, port, context.backlog(), session)
        : Servers.startConcurrent(context.runtime(), name, port, context.backlog(), session)) {
      return context.serveUntilStopped(name + " on TCP port " + port);
    }
  }
}
