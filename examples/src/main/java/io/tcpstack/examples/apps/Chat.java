package io.tcpstack.examples.apps;

import io.tcpstack.api.TcpSocket;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/**
 * A two-way text chat over one connection: what the peer sends is printed as it arrives, what is
 * typed is sent line by line, at the same time (the tutorial's chat took turns: one side could
 * not speak twice). End of input half-closes our side; the chat ends when the peer closes.
 */
final class Chat {

  private Chat() {}

  static void talk(TcpSocket socket, Messages typed, PrintStream out) throws IOException, InterruptedException {
    out.println("connected to " + socket.peer() + "; type lines, Ctrl-D to finish");
    out.flush();
    Thread sender = new Thread(() -> {
      try {
        OutputStream toPeer = socket.getOutputStream();
        for (String line; (line = typed.nextText()) != null; ) {
          toPeer.write((line + "\n").getBytes(StandardCharsets.UTF_8));
        }
        socket.shutdownOutput(); // we are done; the peer may still talk
      } catch (IOException e) {
        // the connection ended while typing: the reader reports it
      }
    }, "chat-send");
    sender.setDaemon(true);
    sender.start();
    Messages fromPeer = new Messages(socket.getInputStream());
    try {
      for (String line; (line = fromPeer.nextText()) != null; ) {
        out.println("peer: " + line);
        out.flush();
      }
      out.println("(the peer closed the chat)");
    } catch (IOException e) {
      out.println("(the chat ended: " + e.getMessage() + ")");
    }
    out.flush();
  }
}
