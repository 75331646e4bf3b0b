package io.tcpstack.examples.framing;

import io.tcpstack.api.TcpServerSocket;
import io.tcpstack.api.TcpSocket;
import io.tcpstack.examples.apps.Servers;
import io.tcpstack.runtime.StackRuntime;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A server that speaks {@link MessageFraming length-prefixed messages}: for every message a client
 * sends, it sends back one message describing it, until the client closes. Each reply says how
 * many bytes arrived and what they hashed to, so a client can check that every message came through
 * whole and with its boundaries intact, however TCP split or merged its bytes on the way.
 *
 * <p>The reply to a message of {@code n} bytes is the UTF-8 (in fact ASCII) text {@code "<n>
 * <sha256>"}: {@code n} in decimal, one space, the SHA-256 of the message in 64 lowercase hex
 * digits — see {@link #reply}. For the empty message: {@code "0 e3b0c442...b855"}.
 *
 * <p>One thread accepts; each client gets its own thread ({@link Servers#startConcurrent}). A client that breaks the framing (a
 * length above {@link MessageFraming#DEFAULT_MAX_LENGTH}, or a stream that ends inside a message)
 * is disconnected.
 */
public final class FramingServer implements AutoCloseable {

  /** The port this example listens on by default; 9000 has no registered meaning here. */
  public static final int PORT = 9000;

  private static final Logger log = LoggerFactory.getLogger(FramingServer.class);

  private final TcpServerSocket server;

  private FramingServer(TcpServerSocket server) {
    this.server = server;
  }

  /** Starts serving on {@code port} of the stack. */
  public static FramingServer start(StackRuntime runtime, int port, int backlog) throws IOException {
    return new FramingServer(Servers.startConcurrent(runtime, "framing", port, backlog, FramingServer::serve));
  }

  /** The port it listens on. */
  public int port() {
    return server.port();
  }

  /** The reply to {@code message}: {@code "<length> <sha256 in lowercase hex>"} in UTF-8. */
  public static byte[] reply(byte[] message) {
    String text = message.length + " " + HexFormat.of().formatHex(sha256(message));
    return text.getBytes(StandardCharsets.UTF_8);
  }

  private static void serve(TcpSocket client) {
    try {
      InputStream in = client.getInputStream();
      // Buffered so that a reply's header and body leave in one write; flushed after each reply.
      OutputStream out = new BufferedOutputStream(client.getOutputStream());
      int count = 0;
      for (byte[] message; (message = MessageFraming.readMessage(in)) != null; count++) {
        MessageFraming.writeMessage(out, reply(message));
        out.flush();
      }
      log.debug("framing: {}: {} messages, closed by the client", client.peer(), count);
    } catch (IOException e) {
      log.info("framing: {}: {}", client.peer(), e.getMessage());
    }
  }

  private static byte[] sha256(byte[] data) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(data);
    } catch (NoSuchAlgorithmException e) {
      throw new AssertionError("every Java platform has SHA-256", e);
    }
  }

  @Override
  public void close() throws IOException {
    server.close();
  }
}
