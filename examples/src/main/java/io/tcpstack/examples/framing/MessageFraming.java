package io.tcpstack.examples.framing;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Objects;

/**
 * Length-prefixed messages over a byte stream.
 *
 * <p>TCP delivers a stream of bytes, not messages (RFC 9293 §2.2: it "is able to transfer a
 * continuous stream of octets"). Two sends may arrive in one read, and one send may arrive in many
 * reads — the "sticky packet" (粘包) problem of the socket tutorials. The boundaries must therefore
 * be part of the data. Here each message is a header, its length as a 4-byte big-endian unsigned
 * integer, followed by exactly that many bytes:
 *
 * <pre>
 *   +--------+--------+--------+--------+-------------------------+
 *   |          length (unsigned)        |  length bytes of message |
 *   +--------+--------+--------+--------+-------------------------+
 * </pre>
 *
 * <p>The reader trusts nothing the peer sends: a length above a maximum ({@link
 * #DEFAULT_MAX_LENGTH} unless given) is rejected with {@link FramingException} before any memory is
 * allocated for it, and a stream that ends inside a message is an {@link EOFException}, never a
 * silently short message.
 *
 * <p>Works on any {@link InputStream}/{@link OutputStream}. {@link #writeMessage} writes the header
 * and the body as two writes and does not flush: on a socket, wrap the stream in a {@link
 * java.io.BufferedOutputStream} and flush after each message (or batch of messages), so a small
 * message leaves as one segment.
 */
public final class MessageFraming {

  /** Size of the length header. */
  public static final int HEADER_BYTES = 4;

  /** The longest message a reader accepts unless told otherwise: 16 MiB. */
  public static final int DEFAULT_MAX_LENGTH = 16 * 1024 * 1024;

  private static final int CHUNK = 64 * 1024;

  private MessageFraming() {}

  /** The peer announced a message longer than the reader accepts (or than any array can hold). */
  public static final class FramingException extends IOException {
    private static final long serialVersionUID = 1L;

    public FramingException(String message) {
      super(message);
    }
  }

  /** Writes {@code message} as one framed message. */
  public static void writeMessage(OutputStream out, byte[] message) throws IOException {
    writeMessage(out, message, 0, message.length);
  }

  /** Writes {@code b[off, off+len)} as one framed message. */
  public static void writeMessage(OutputStream out, byte[] b, int off, int len) throws IOException {
    Objects.checkFromIndexSize(off, len, b.length);
    byte[] header = {(byte) (len >>> 24), (byte) (len >>> 16), (byte) (len >>> 8), (byte) len};
    out.write(header);
    out.write(b, off, len);
  }

  /** As {@link #readMessage(InputStream, int)} with {@link #DEFAULT_MAX_LENGTH}. */
  public static byte[] readMessage(InputStream in) throws IOException {
    return readMessage(in, DEFAULT_MAX_LENGTH);
  }

  /**
   * Reads one whole message. The bytes go from the stream straight into the returned array, which
   * is allocated once, at the announced (and checked) length.
   *
   * @return the message, or null if the stream ended cleanly before its first byte
   * @throws FramingException the announced length is above {@code maxLength}
   * @throws EOFException the stream ended inside the message
   */
  public static byte[] readMessage(InputStream in, int maxLength) throws IOException {
    int length = readLength(in, maxLength);
    if (length < 0) {
      return null;
    }
    byte[] message = new byte[length];
    int got = in.readNBytes(message, 0, length);
    if (got < length) {
      throw truncated(got, length);
    }
    return message;
  }

  /**
   * Reads a message header: the first half of the streaming API, for messages too large to hold in
   * memory. Follow it with {@link #transferBody}.
   *
   * @return the length of the message that follows, or -1 if the stream ended cleanly before it
   * @throws FramingException the announced length is above {@code maxLength}
   * @throws EOFException the stream ended inside the header
   */
  public static int readLength(InputStream in, int maxLength) throws IOException {
    byte[] header = new byte[HEADER_BYTES];
    int got = in.readNBytes(header, 0, HEADER_BYTES);
    if (got == 0) {
      return -1; // end of stream at a message boundary: the peer is done
    }
    if (got < HEADER_BYTES) {
      throw new EOFException(
          "stream ended inside a message header: got " + got + " of " + HEADER_BYTES + " bytes");
    }
    long length = ((header[0] & 0xFFL) << 24)
        | ((header[1] & 0xFF) << 16)
        | ((header[2] & 0xFF) << 8)
        | (header[3] & 0xFF);
    if (length > maxLength) {
      throw new FramingException("message length " + length + " exceeds the maximum " + maxLength);
    }
    return (int) length;
  }

  /**
   * Copies the {@code length} bytes of a message body from {@code in} to {@code sink} through a
   * fixed 64 KiB buffer: the second half of the streaming API (see {@link #readLength}).
   *
   * @throws EOFException the stream ended inside the body
   */
  public static void transferBody(InputStream in, int length, OutputStream sink) throws IOException {
    byte[] buffer = new byte[Math.min(length, CHUNK)];
    int done = 0;
    while (done < length) {
      int n = in.read(buffer, 0, Math.min(buffer.length, length - done));
      if (n < 0) {
        throw truncated(done, length);
      }
      sink.write(buffer, 0, n);
      done += n;
    }
  }

  private static EOFException truncated(int got, int length) {
    return new EOFException("stream ended inside a message: got " + got + " of " + length + " bytes");
  }
}
