package io.tcpstack.examples;

import io.tcpstack.TcpStack;
import io.tcpstack.api.TcpServerSocket;
import io.tcpstack.api.TcpSocket;
import java.io.IOException;

/**
 * The echo server (RFC 862): every byte a client sends comes back, until it closes — the
 * tutorials' echo server, blocking sockets and a thread per client, so many clients are served at
 * once.
 *
 * <pre>
 *   ./tcpstack run echo [PORT] --netns demo            # PORT: 7 by default
 *   ip netns exec demo sh -c "printf 'hello\n' | nc -N 198.18.0.2 7"
 * </pre>
 *
 * <p>Run on its own ({@code java -cp examples/target/tcpstack-examples.jar
 * io.tcpstack.examples.EchoServer}, as root) it opens the stack below; under {@code ./tcpstack run}
 * the same {@code open()} returns the stack that the launcher's options describe (see {@link
 * TcpStack.Provider}).
 */
public final class EchoServer {

  private EchoServer() {}

  public static void main(String[] args) throws IOException {
    int port = args.length > 0 ? Integer.parseInt(args[0]) : 7;
    // The stack: a TUN device whose other end, 198.18.0.1, is Linux; the stack is 198.18.0.2.
    try (TcpStack stack = TcpStack.builder().address("198.18.0.2/24").open();
        // bind and listen in one: the stack now completes handshakes on this port by itself, and
        // up to the backlog (4096, as Linux; the tutorials' listen(5), their 半连接池) established
        // connections wait there for accept().
        // No SO_REUSEADDR needed (the tutorials' "port reuse", 端口复用): a listener takes its port
        // again at once, even while connections of an earlier server on it wait out TIME-WAIT —
        // where Linux, without that option, refuses the bind with EADDRINUSE for up to a minute.
        TcpServerSocket server = stack.listen(port)) {
      System.out.println("ready: " + stack + "; echo on TCP port " + port);
      while (true) {
        TcpSocket client = server.accept(); // the next connection, waiting until there is one
        new Thread(() -> echo(client), "echo " + client.peer()).start();
      }
    }
  }

  /** Sends back what the client sends, until the client closes its side. */
  private static void echo(TcpSocket client) {
    byte[] buffer = new byte[64 * 1024];
    try (client) { // close(): our FIN goes out after the last byte written
      int n;
      // read() blocks until bytes arrive; -1 is the end of the stream: the client sent FIN (it
      // half-closed, e.g. nc -N at the end of its input) and every byte before it was read.
      while ((n = client.read(buffer, 0, buffer.length)) != -1) {
        client.write(buffer, 0, n); // blocks while the send buffer is full: the client reads slowly
      }
    } catch (IOException e) {
      System.err.println("echo: " + client.peer() + ": " + e.getMessage()); // reset by the client, say
    }
  }
}
