package io.tcpstack.examples;

import io.tcpstack.TcpStack;
import io.tcpstack.api.TcpServerSocket;
import io.tcpstack.api.TcpSocket;
import io.tcpstack.examples.framing.MessageFraming;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * The tutorial's "sticky packet" (粘包) problem solved. TCP carries a stream of bytes, not
 * messages: two sends can arrive as one read and one send as many. So each message travels behind
 * a 4-byte length ({@link MessageFraming}), and this server answers every message with {@code
 * "<bytes> <sha256>"} — which shows that each message came through whole, with its boundaries,
 * however TCP cut or merged the bytes on the way.
 *
 * <pre>
 *   ./tcpstack run framing [PORT] --netns demo          # PORT: 9000 by default
 *   ./tcpstack run framing-client 198.18.0.2:9000 hello world   (from another stack), or a python client
 * </pre>
 *
 * <p>A client that breaks the framing — a length above {@link MessageFraming#DEFAULT_MAX_LENGTH},
 * or a stream that ends inside a message — is disconnected.
 */
public final class FramingServer {

  public static final int PORT = 9000;

  private FramingServer() {}

  public static void main(String[] args) throws IOException {
    int port = args.length > 0 ? Integer.parseInt(args[0]) : PORT;
    try (TcpStack stack = TcpStack.builder().address("198.18.0.2/24").open();
        TcpServerSocket server = stack.listen(port)) {
      System.out.println("ready: " + stack + "; framing on TCP port " + port
          + " (4-byte big-endian length, then the message)");
      while (true) {
        TcpSocket client = server.accept();
        new Thread(() -> serve(client), "framing " + client.peer()).start();
      }
    }
  }

  private static void serve(TcpSocket client) {
    try (client) {
      InputStream in = client.getInputStream();
      // Buffered so that a reply's length and body leave in one write: flushed after each reply.
      OutputStream out = new BufferedOutputStream(client.getOutputStream());
      for (byte[] message; (message = MessageFraming.readMessage(in)) != null; ) { // null: closed between messages
        MessageFraming.writeMessage(out, reply(message));
        out.flush();
      }
    } catch (IOException e) {
      System.err.println("framing: " + client.peer() + ": " + e.getMessage()); // e.g. ended inside a message
    }
  }

  /**
   * The reply to {@code message}: {@code "<length> <sha256>"}, the length in decimal and the
   * SHA-256 in 64 lowercase hex digits, as UTF-8.
   */
  public static byte[] reply(byte[] message) {
    try {
      byte[] sha256 = MessageDigest.getInstance("SHA-256").digest(message);
      return (message.length + " " + HexFormat.of().formatHex(sha256)).getBytes(StandardCharsets.UTF_8);
    } catch (NoSuchAlgorithmException e) {
      throw new AssertionError("every Java platform has SHA-256", e);
    }
  }
}
