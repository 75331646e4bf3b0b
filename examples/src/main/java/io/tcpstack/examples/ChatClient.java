package io.tcpstack.examples;

import io.tcpstack.TcpStack;
import io.tcpstack.api.TcpSocket;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;

/**
 * The tutorial's chat, client side: connects to a peer at HOST:PORT — {@code nc -l} on the Linux
 * side, or {@link ChatServer} — and both talk at once: the peer's lines are printed, yours are
 * sent. Ctrl-D half-closes your side; the chat ends when the peer closes.
 *
 * <pre>
 *   ip netns exec demo nc -l 198.18.0.1 5000
 *   ./tcpstack run chat-client 198.18.0.1:5000 --netns demo
 * </pre>
 */
public final class ChatClient {

  private ChatClient() {}

  public static void main(String[] args) throws IOException {
    // "198.18.0.1:5000", or "[fd00:7463:7073::1]:5000" for IPv6
    int colon = args[0].lastIndexOf(':');
    InetSocketAddress to = new InetSocketAddress(InetAddress.getByName(args[0].substring(0, colon)),
        Integer.parseInt(args[0].substring(colon + 1)));
    try (TcpStack stack = TcpStack.builder().address("198.18.0.2/24").open();
        TcpSocket peer = stack.connect(to)) { // the three-way handshake; refused or timed out: an exception
      System.out.println("connected to " + peer.peer() + "; type lines, Ctrl-D to finish");
      Thread sender = new Thread(() -> sendTyped(peer), "chat-send");
      sender.setDaemon(true);
      sender.start();
      BufferedReader fromPeer = new BufferedReader(new InputStreamReader(peer.getInputStream(), StandardCharsets.UTF_8));
      for (String line; (line = fromPeer.readLine()) != null; ) { // null: the peer closed its side
        System.out.println("peer: " + line);
      }
      System.out.println("(the peer closed the chat)");
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
