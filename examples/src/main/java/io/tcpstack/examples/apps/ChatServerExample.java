package io.tcpstack.examples.apps;

import io.tcpstack.api.TcpServerSocket;
import io.tcpstack.api.TcpSocket;

/** {@code chat-server}: waits for one peer (e.g. {@code nc STACK_IP 8004}) and chats over stdin/stdout. */
public final class ChatServerExample extends ServerExample {

  public static final int PORT = 8004;

  public ChatServerExample() {
    super("chat-server", PORT, "waits for one peer and chats: its lines are printed, yours (stdin) are sent");
  }

  @Override
  int serve(ExampleContext context, int port) throws Exception {
    TcpSocket peer;
    try (TcpServerSocket server = TcpServerSocket.bind(context.runtime(), port, 1)) {
      context.ready("chat on TCP port " + port + ", waiting for a peer");
      peer = server.accept();
    } // one peer: from now on, others are refused instead of waiting in the backlog for nothing
    try (peer) {
      Chat.talk(peer, new Messages(context.in()), context.out());
    }
    return 0;
  }
}
