package io.tcpstack.examples.apps;

import io.tcpstack.api.TcpServerSocket;
import io.tcpstack.api.TcpSocket;

/** {@code chat-server}: waits for one peer (e.g. {@code nc STACK_IP 8004}) and chats over stdin/stdout. */
public final class ChatServerExample implements Example {

  public static final int PORT = 8004;

  @Override
  public String name() {
    return "chat-server";
  }

  @Override
  public String summary() {
    return "waits for one peer and chats: its lines are printed, yours (stdin) are sent";
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
    try (TcpServerSocket server = TcpServerSocket.bind(context.runtime(), port, 1)) {
      context.ready("chat on TCP port " + port + ", waiting for a peer");
      try (TcpSocket peer = server.accept()) {
        Chat.talk(peer, new Messages(context.in()), context.out());
      }
    }
    return 0;
  }
}
