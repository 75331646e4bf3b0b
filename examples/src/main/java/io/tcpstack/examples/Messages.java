package io.tcpstack.examples;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;

/**
 * Reads the text messages of the tutorials' servers from a byte stream. TCP keeps no message
 * boundaries, so these examples take a message to be:
 *
 * <ul>
 *   <li>a line, ended by {@code \n} (or {@code \r\n}) — what {@code nc} sends for every line typed;
 *   <li>or, when the sender pauses without a newline, the text that has arrived — what the
 *       tutorials' clients send ({@code send("hello")}, then wait for the answer), and what their
 *       {@code recv(1024)} would have returned as one message;
 *   <li>or a piece of {@link #MAX_MESSAGE} bytes of a longer line, so a client that never sends a
 *       newline cannot make a server buffer without limit.
 * </ul>
 *
 * <p>The second rule is the "sticky packet" problem of the tutorials in miniature: text sent in
 * two writes may arrive as one message, and text sent in one write may (rarely, when long) arrive
 * as two. The {@code framing} example shows the cure: a length before every message.
 *
 * <p>Text is UTF-8; invalid bytes become U+FFFD, never an exception, and a piece never splits a
 * character. Not thread-safe.
 */
public final class Messages {

  /** The longest message kept whole; a longer line is returned in pieces of at most this size. */
  public static final int MAX_MESSAGE = 64 * 1024;

  /**
   * One message: its text, and how it ended on the wire — {@code "\n"}, {@code "\r\n"} or {@code
   * ""} (the sender paused, the stream ended, or the piece was full). Servers answer with the same
   * ending, so {@code nc} users get lines and the tutorials' clients get exactly what they expect.
   */
  public record Message(String text, String ending) {}

  private final InputStream in;
  private final byte[] buffer = new byte[8192];
  private int start;
  private int end;
  private final ByteArrayOutputStream pending = new ByteArrayOutputStream();
  private byte[] carried = new byte[0];

  public Messages(InputStream in) {
    this.in = in;
  }

  /** The next message, or null at the end of the stream. Blocks until one is complete. */
  public Message next() throws IOException {
    pending.reset();
    pending.write(carried, 0, carried.length);
    carried = new byte[0];
    while (true) {
      if (start == end) {
        if (pending.size() > 0 && in.available() == 0) {
          return message(""); // the sender paused without a newline
        }
        int n = in.read(buffer, 0, buffer.length);
        if (n < 0) {
          return pending.size() == 0 ? null : message("");
        }
        start = 0;
        end = n;
      }
      while (start < end) {
        byte b = buffer[start++];
        if (b == '\n') {
          return message("\n");
        }
        pending.write(b);
        if (pending.size() == MAX_MESSAGE) {
          return piece();
        }
      }
    }
  }

  /** The next message's text only (see {@link #next}), or null at the end of the stream. */
  public String nextText() throws IOException {
    Message m = next();
    return m == null ? null : m.text();
  }

  private Message message(String ending) {
    byte[] bytes = pending.toByteArray();
    int n = bytes.length;
    if (ending.equals("\n") && n > 0 && bytes[n - 1] == '\r') {
      n--;
      ending = "\r\n";
    }
    return new Message(new String(bytes, 0, n, StandardCharsets.UTF_8), ending); // malformed input is replaced
  }

  /** A full piece of a long line: cut before a trailing, incomplete UTF-8 character, which is carried over. */
  private Message piece() {
    byte[] bytes = pending.toByteArray();
    int cut = bytes.length;
    int back = 0;
    // Step back over continuation bytes (10xxxxxx) to the lead byte of the last character.
    while (back < 3 && cut - back - 1 > 0 && (bytes[cut - back - 1] & 0xC0) == 0x80) {
      back++;
    }
    int lead = bytes[cut - back - 1] & 0xFF;
    int length = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
    if (lead >= 0xC0 && back + 1 < length) {
      cut = cut - back - 1; // the last character is incomplete: keep it for the next piece
    }
    carried = java.util.Arrays.copyOfRange(bytes, cut, bytes.length);
    return new Message(new String(bytes, 0, cut, StandardCharsets.UTF_8), "");
  }
}
