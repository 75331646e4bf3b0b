package io.tcpstack.examples;

import io.tcpstack.TcpStack;
import io.tcpstack.api.TcpServerSocket;
import io.tcpstack.api.TcpSocket;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;

/**
 * The tutorial's "one client after another" server (its accept loop, 循环为多个客户端服务): it answers {@code hello} to every message of
 * one client until that client closes, and only then accepts the next. There is no thread per
 * client: while one is served, the next one's connection is already established — the stack
 * completes the handshake on its own — and waits in the listen backlog until {@code accept()}.
 *
 * <pre>
 *   ./tcpstack run hello [PORT] --netns demo           # PORT: 8002 by default
 *   ip netns exec demo nc 198.18.0.2 8002              # a second nc waits until the first leaves
 * </pre>
 */
public final class HelloServer {

  private HelloServer() {}

  public static void main(String[] args) throws IOException {
    int port = args.length > 0 ? Integer.parseInt(args[0]) : 8002;
    try (TcpStack stack = TcpStack.builder().address("198.18.0.2/24").open();
        TcpServerSocket server = stack.listen(port)) {
      System.out.println("ready: " + stack + "; hello on TCP port " + port);
      while (true) {
        TcpSocket client = server.accept(); // Ctrl-C (an interrupt) or a closed stack ends the loop here
        try (client) {
          System.out.println("client " + client.peer() + " connected");
          Messages messages = new Messages(client.getInputStream());
          OutputStream out = client.getOutputStream();
          for (Messages.Message m; (m = messages.next()) != null; ) {
            out.write(("hello" + m.ending()).getBytes(StandardCharsets.UTF_8));
          }
          System.out.println("client " + client.peer() + " left");
        } catch (IOException e) {
          System.err.println("hello: " + client.peer() + ": " + e.getMessage()); // a reset, say: take the next
        }
      }
    }
  }
}
