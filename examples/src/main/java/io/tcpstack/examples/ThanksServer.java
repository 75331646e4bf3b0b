package io.tcpstack.examples;

import io.tcpstack.TcpStack;
import io.tcpstack.api.TcpServerSocket;
import io.tcpstack.api.TcpSocket;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * The tutorials' first server ("TCP server", 建立TCP服务器: socket, bind, listen, accept, recv,
 * send, close): receives one message from each client, prints it, replies {@code thank you !} and
 * closes the connection — the close sends FIN after the reply (the first of the four-way close,
 * 四次挥手), so the client reads the reply and then the end of the stream.
 *
 * <pre>
 *   ./tcpstack run thanks [PORT] --netns demo          # PORT: 8003 by default
 *   ip netns exec demo sh -c "printf 'hi\n' | nc 198.18.0.2 8003"
 * </pre>
 */
public final class ThanksServer {

  private ThanksServer() {}

  public static void main(String[] args) throws IOException {
    int port = args.length > 0 ? Integer.parseInt(args[0]) : 8003;
    try (TcpStack stack = TcpStack.builder().address("198.18.0.2/24").open();
        TcpServerSocket server = stack.listen(port)) {
      System.out.println("ready: " + stack + "; thanks on TCP port " + port);
      while (true) {
        TcpSocket client = server.accept();
        new Thread(() -> thank(client), "thanks " + client.peer()).start(); // one slow client blocks no other
      }
    }
  }

  private static void thank(TcpSocket client) {
    try (client) {
      Messages.Message message = new Messages(client.getInputStream()).next(); // null: closed before saying anything
      System.out.println("received from " + client.peer() + ": " + (message == null ? "(nothing)" : message.text()));
      String ending = message == null ? "\n" : message.ending();
      client.getOutputStream().write(("thank you !" + ending).getBytes(StandardCharsets.UTF_8));
    } catch (IOException e) {
      System.err.println("thanks: " + client.peer() + ": " + e.getMessage());
    }
  }
}
