package io.tcpstack.examples.apps;

import io.tcpstack.api.TcpServerSocket;
import io.tcpstack.api.TcpSocket;
import io.tcpstack.runtime.StackRuntime;
import java.io.IOException;
import java.util.Locale;

/** {@code upper}: answers each message (a line, or what was sent before a pause) in upper case (the tutorial's server). */
public final class UpperExample implements Example {

  public static final int PORT = 8001;

  @Override
  public String name() {
    return "upper";
  }

  @Override
  public String summary() {
    return "replies to each message with the message in upper case, many clients at once";
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
    return LineServer.serveUntilStopped(context, name(), port, false, UpperExample::serve);
  }

  /** Starts the upper-case server in the background (as the demo does); close it to stop. */
  public static AutoCloseable start(StackRuntime runtime, int port) throws IOException {
    TcpServerSocket server = TcpServerSocket.bind(runtime, port, 128);
    Servers.inBackground("upper", () -> Servers.concurrently("upper", server, UpperExample::serve));
    return server::close;
  }

  private static void serve(TcpSocket client) throws IOException {
    LineServer.answerMessages(client, text -> text.toUpperCase(Locale.ROOT));
  }
}
