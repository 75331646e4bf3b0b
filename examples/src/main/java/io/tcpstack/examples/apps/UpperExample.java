package io.tcpstack.examples.apps;

import io.tcpstack.api.TcpServerSocket;
import io.tcpstack.api.TcpSocket;
import io.tcpstack.runtime.StackRuntime;
import java.io.IOException;
import java.util.Locale;

/**
 * {@code upper}: answers each message (a line, or what was sent before a pause) in upper case, as
 * the tutorial's server does.
 */
public final class UpperExample extends ServerExample {

  public static final int PORT = 8001;

  public UpperExample() {
    super("upper", PORT, "replies to each message with the message in upper case, many clients at once");
  }

  @Override
  int serve(ExampleContext context, int port) throws Exception {
    return TextServer.serveUntilStopped(context, name(), port, false, UpperExample::answer);
  }

  /** Starts the upper-case server in the background (as the demo does); close it to stop. */
  public static TcpServerSocket start(StackRuntime runtime, int port, int backlog) throws IOException {
    return Servers.startConcurrent(runtime, "upper", port, backlog, UpperExample::answer);
  }

  private static void answer(TcpSocket client) throws IOException {
    TextServer.answerMessages(client, text -> text.toUpperCase(Locale.ROOT));
  }
}
