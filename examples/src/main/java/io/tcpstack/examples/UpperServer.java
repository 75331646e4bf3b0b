package io.tcpstack.examples;

import io.tcpstack.TcpStack;
import io.tcpstack.api.TcpServerSocket;
import io.tcpstack.api.TcpSocket;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * The tutorial's upper-case server: answers each message with the message in upper case, for many
 * clients at once (a thread each).
 *
 * <pre>
 *   ./tcpstack run upper [PORT] --netns demo           # PORT: 8001 by default
 *   ip netns exec demo sh -c "printf 'make me loud\n' | nc -N 198.18.0.2 8001"
 * </pre>
 *
 * <p>What is "a message" on a byte stream? TCP keeps no boundaries between sends: two sends may
 * arrive in one read, and one send in several. {@link Messages} takes a message to be a line, or
 * what arrived before the client paused (the tutorials' clients send without a newline and wait
 * for the answer); the {@code framing} example ({@link FramingServer}) shows the robust way.
 */
public final class UpperServer {

  public static final int PORT = 8001;

  private UpperServer() {}

  public static void main(String[] args) throws IOException {
    int port = args.length > 0 ? Integer.parseInt(args[0]) : PORT;
    try (TcpStack stack = TcpStack.builder().address("198.18.0.2/24").open();
        TcpServerSocket server = stack.listen(port)) {
      System.out.println("ready: " + stack + "; upper on TCP port " + port);
      while (true) {
        TcpSocket client = server.accept();
        new Thread(() -> answer(client), "upper " + client.peer()).start();
      }
    }
  }

  private static void answer(TcpSocket client) {
    try (client) {
      Messages messages = new Messages(client.getInputStream());
      OutputStream out = client.getOutputStream();
      for (Messages.Message m; (m = messages.next()) != null; ) { // null: the client closed its side
        out.write((m.text().toUpperCase(Locale.ROOT) + m.ending()).getBytes(StandardCharsets.UTF_8));
      }
    } catch (IOException e) {
      System.err.println("upper: " + client.peer() + ": " + e.getMessage());
    }
  }
}
