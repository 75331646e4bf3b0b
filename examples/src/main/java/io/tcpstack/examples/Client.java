package io.tcpstack.examples;

import io.tcpstack.TcpStack;
import io.tcpstack.api.TcpSocket;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;

/**
 * The tutorials' TCP client, with the stack as the client: connects out to HOST:PORT on the Linux
 * side, sends one line, prints the line that comes back, closes.
 *
 * <pre>
 *   ip netns exec demo sh -c "echo 'hi, stack' | nc -N -l 198.18.0.1 5000" &amp;
 *   ./tcpstack run client 198.18.0.1:5000 ['the line to send'] --netns demo
 * </pre>
 */
public final class Client {

  private Client() {}

  public static void main(String[] args) throws IOException {
    // "198.18.0.1:5000", or "[fd00:7463:7073::1]:5000" for IPv6
    int colon = args[0].lastIndexOf(':');
    InetSocketAddress to = new InetSocketAddress(InetAddress.getByName(args[0].substring(0, colon)),
        Integer.parseInt(args[0].substring(colon + 1)));
    String message = args.length > 1 ? args[1] : "hello from tcpstack";
    try (TcpStack stack = TcpStack.builder().address("198.18.0.2/24").open();
        // connect: SYN, SYN-ACK, ACK. Nobody listening there: the peer's RST makes this throw
        // ConnectionRefusedException at once; no answer at all: ConnectionTimedOutException.
        TcpSocket socket = stack.connect(to)) {
      socket.getOutputStream().write((message + "\n").getBytes(StandardCharsets.UTF_8));
      String reply = new Messages(socket.getInputStream()).nextText(); // a line, or what came before a pause
      System.out.println(reply == null ? "(the server closed without replying)" : reply);
    } // close: FIN; the socket lingers in the stack until the peer has acknowledged it
  }
}
