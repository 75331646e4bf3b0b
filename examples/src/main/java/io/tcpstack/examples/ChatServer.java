package io.tcpstack.examples;

import io.tcpstack.TcpStack;
import io.tcpstack.api.TcpServerSocket;
import io.tcpstack.api.TcpSocket;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;

/**
 * The tutorial's chat, server side: waits for one peer, then both talk at once — what the peer
 * sends is printed, what you type is sent. (The tutorial's chat took turns, so one side could not
 * speak twice; here a thread sends while the main thread receives.) Ctrl-D ends your side with a
 * half-close: the peer sees the end of your stream and may still talk; the chat ends when it closes.
 *
 * <pre>
 *   ./tcpstack run chat-server [PORT] --netns demo     # PORT: 8004 by default
 *   ip netns exec demo nc 198.18.0.2 8004
 * </pre>
 */
public final class ChatServer {

  private ChatServer() {}

  public static void main(String[] args) throws IOException {
    int port = args.length > 0 ? Integer.parseInt(args[0]) : 8004;
    try (TcpStack stack = TcpStack.builder().address("198.18.0.2/24").open()) {
      TcpSocket peer;
      // Backlog 1, and the listening socket closed after one accept: a second peer is refused
      // (RST) instead of waiting in the backlog for a chat that will never come.
      try (TcpServerSocket server = stack.listen(port, 1)) {
        System.out.println("ready: " + stack + "; chat on TCP port " + port + ", waiting for a peer");
        peer = server.accept();
      }
      try (peer) {
        System.out.println("connected to " + peer.peer() + "; type lines, Ctrl-D to finish");
        Thread sender = new Thread(() -> sendTyped(peer), "chat-send");
        sender.setDaemon(true); // still reading the terminal when the peer ends the chat: not waited for
        sender.start();
        BufferedReader fromPeer = new BufferedReader(new InputStreamReader(peer.getInputStream(), StandardCharsets.UTF_8));
        for (String line; (line = fromPeer.readLine()) != null; ) {
          System.out.println("peer: " + line);
        }
        System.out.println("(the peer closed the chat)");
      }
    }
  }

  /** Sends each line typed; at the end of input, shuts down our sending side (FIN). */
  private static void sendTyped(TcpSocket peer) {
    try {
      BufferedReader typed = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
      OutputStream toPeer = peer.getOutputStream();
      for (String line; (line = typed.readLine()) != null; ) {
        toPeer.write((line + "\n").getBytes(StandardCharsets.UTF_8));
      }
      peer.shutdownOutput(); // half-close: we are done talking, but still listen
    } catch (IOException e) {
      // the chat ended while typing: the main thread has said so
    }
  }
}
