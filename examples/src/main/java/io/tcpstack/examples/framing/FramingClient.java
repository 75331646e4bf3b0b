package io.tcpstack.examples.framing;

import io.tcpstack.api.TcpSocket;
import io.tcpstack.runtime.StackRuntime;
import java.io.BufferedOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Inet4Address;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * A client for {@link FramingServer}: sends messages, one {@link MessageFraming framed message}
 * each, and collects the server's replies ({@code "<n> <sha256>"}, see {@link
 * FramingServer#reply}). It waits for each reply before sending the next message, so the replies
 * line up with the messages.
 */
public final class FramingClient {

  /** How long {@link #exchange} waits for the connection to be established. */
  public static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(10);

  private FramingClient() {}

  /**
   * Connects to {@code host:port}, sends each of {@code messages}, and returns the replies as text,
   * in order. Closes the connection when done.
   *
   * @throws EOFException the server closed the connection before replying to every message
   */
  public static List<String> exchange(StackRuntime runtime, Inet4Address host, int port, List<byte[]> messages)
      throws IOException {
    try (TcpSocket socket = TcpSocket.connect(runtime, host, port, CONNECT_TIMEOUT)) {
      InputStream in = socket.getInputStream();
      // Buffered so that a message's header and body leave in one write; flushed after each message.
      OutputStream out = new BufferedOutputStream(socket.getOutputStream());
      List<String> replies = new ArrayList<>(messages.size());
      for (byte[] message : messages) {
        MessageFraming.writeMessage(out, message);
        out.flush();
        byte[] reply = MessageFraming.readMessage(in);
        if (reply == null) {
          throw new EOFException("server closed the connection after " + replies.size() + " replies");
        }
        replies.add(new String(reply, StandardCharsets.UTF_8));
      }
      return replies;
    }
  }

  /** As {@link #exchange}, with each message given as text and sent as UTF-8. */
  public static List<String> exchangeText(StackRuntime runtime, Inet4Address host, int port, List<String> messages)
      throws IOException {
    List<byte[]> bytes = new ArrayList<>(messages.size());
    for (String message : messages) {
      bytes.add(message.getBytes(StandardCharsets.UTF_8));
    }
    return exchange(runtime, host, port, bytes);
  }
}
