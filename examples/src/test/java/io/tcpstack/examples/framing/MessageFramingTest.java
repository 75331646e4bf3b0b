package io.tcpstack.examples.framing;

import io.tcpstack.examples.FramingServer;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.tcpstack.examples.framing.MessageFraming.FramingException;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@link MessageFraming} without a network: messages written back to back into one byte stream
 * must come back whole and byte-exact however the stream is cut into reads — the situation TCP
 * creates.
 */
class MessageFramingTest {

  private static final int[] SIZES = {0, 1, 2, 3, 4, 5, 1000, 65535, 65536, 1 << 20, 10_000_000};

  private static List<byte[]> messages;
  private static byte[] stream;

  @BeforeAll
  static void writeAllMessagesIntoOneStream() throws IOException {
    Random random = new Random(42);
    messages = new ArrayList<>();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (int size : SIZES) {
      byte[] message = new byte[size];
      random.nextBytes(message);
      messages.add(message);
      MessageFraming.writeMessage(out, message);
    }
    stream = out.toByteArray();
  }

  @Test
  void headerIsBigEndianLength() throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    byte[] b = "xhelloy".getBytes(StandardCharsets.US_ASCII);
    MessageFraming.writeMessage(out, b, 1, 5);
    assertArrayEquals(new byte[] {0, 0, 0, 5, 'h', 'e', 'l', 'l', 'o'}, out.toByteArray());
  }

  /** Reads of at most {@code maxRead} bytes each: 1 means byte by byte, 0 means all at once. */
  @ParameterizedTest
  @ValueSource(ints = {0, 1, 2, 3, 7, 1000, 100_000})
  void messagesSurviveAnyReadSizes(int maxRead) throws IOException {
    InputStream in = maxRead == 0 ? new ByteArrayInputStream(stream) : new ChoppyInputStream(stream, maxRead, 7);
    for (byte[] expected : messages) {
      byte[] actual = MessageFraming.readMessage(in);
      assertArrayEquals(expected, actual, "message of " + expected.length + " bytes");
    }
    assertNull(MessageFraming.readMessage(in), "clean end of stream after the last message");
    assertNull(MessageFraming.readMessage(in), "and it stays at the end");
  }

  @ParameterizedTest
  @ValueSource(ints = {1, 5, 100_000})
  void streamingVariantCopiesTheSameBytes(int maxRead) throws IOException {
    InputStream in = new ChoppyInputStream(stream, maxRead, 11);
    for (byte[] expected : messages) {
      int length = MessageFraming.readLength(in, MessageFraming.DEFAULT_MAX_LENGTH);
      assertEquals(expected.length, length);
      ByteArrayOutputStream body = new ByteArrayOutputStream();
      MessageFraming.transferBody(in, length, body);
      assertArrayEquals(expected, body.toByteArray(), "message of " + expected.length + " bytes");
    }
    assertEquals(-1, MessageFraming.readLength(in, MessageFraming.DEFAULT_MAX_LENGTH));
  }

  @Test
  void emptyStreamIsCleanEnd() throws IOException {
    assertNull(MessageFraming.readMessage(new ByteArrayInputStream(new byte[0])));
  }

  @Test
  void endInsideHeaderIsEofException() {
    for (int got = 1; got < MessageFraming.HEADER_BYTES; got++) {
      byte[] partial = Arrays.copyOf(new byte[] {0, 0, 0, 9}, got);
      EOFException e = assertThrows(EOFException.class,
          () -> MessageFraming.readMessage(new ChoppyInputStream(partial, 1, 1)));
      assertEquals("stream ended inside a message header: got " + got + " of 4 bytes", e.getMessage());
    }
  }

  @Test
  void endInsideBodyIsEofException() throws IOException {
    byte[] whole = frame(new byte[1000]);
    byte[] cut = Arrays.copyOf(whole, 4 + 999);
    EOFException e = assertThrows(EOFException.class,
        () -> MessageFraming.readMessage(new ChoppyInputStream(cut, 13, 3)));
    assertEquals("stream ended inside a message: got 999 of 1000 bytes", e.getMessage());

    byte[] headerOnly = Arrays.copyOf(whole, 4);
    e = assertThrows(EOFException.class, () -> MessageFraming.transferBody(
        new ByteArrayInputStream(headerOnly, 4, 0), 1000, new ByteArrayOutputStream()));
    assertEquals("stream ended inside a message: got 0 of 1000 bytes", e.getMessage());
  }

  @Test
  void endInsideSecondMessageAfterAGoodOne() throws IOException {
    byte[] two = concat(frame("first".getBytes(StandardCharsets.UTF_8)), new byte[] {0, 0, 0, 6, 's', 'e'});
    InputStream in = new ByteArrayInputStream(two);
    assertArrayEquals("first".getBytes(StandardCharsets.UTF_8), MessageFraming.readMessage(in));
    EOFException e = assertThrows(EOFException.class, () -> MessageFraming.readMessage(in));
    assertEquals("stream ended inside a message: got 2 of 6 bytes", e.getMessage());
  }

  /**
   * A header announcing more than the maximum is rejected right after the header: the body bytes
   * behind it stay unread, and nothing is allocated for it.
   */
  @Test
  void lengthAboveMaximumIsRejectedBeforeReadingTheBody() {
    int max = MessageFraming.DEFAULT_MAX_LENGTH;
    ByteArrayInputStream in = new ByteArrayInputStream(concat(header(max + 1L), new byte[100]));
    FramingException e = assertThrows(FramingException.class, () -> MessageFraming.readMessage(in));
    assertEquals("message length 16777217 exceeds the maximum 16777216", e.getMessage());
    assertEquals(100, in.available(), "only the header was read");

    assertThrows(FramingException.class,
        () -> MessageFraming.readMessage(new ByteArrayInputStream(header(0x7FFF_FFFFL))));
  }

  @Test
  void maximumIsConfigurableAndInclusive() throws IOException {
    byte[] ten = frame(new byte[10]);
    assertEquals(10, MessageFraming.readMessage(new ByteArrayInputStream(ten), 10).length);
    FramingException e = assertThrows(FramingException.class,
        () -> MessageFraming.readMessage(new ByteArrayInputStream(ten), 9));
    assertEquals("message length 10 exceeds the maximum 9", e.getMessage());
  }

  /** The length is unsigned: with the high bit set it is above 2^31, never negative. */
  @Test
  void lengthWithHighBitSetIsRejected() {
    FramingException e = assertThrows(FramingException.class,
        () -> MessageFraming.readMessage(new ByteArrayInputStream(header(0xFFFF_FFFFL))));
    assertEquals("message length 4294967295 exceeds the maximum 16777216", e.getMessage());
    assertThrows(FramingException.class,
        () -> MessageFraming.readMessage(new ByteArrayInputStream(header(0x8000_0000L)), Integer.MAX_VALUE));
  }

  @Test
  void serverReplyNamesLengthAndSha256() {
    assertEquals("0 e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        new String(FramingServer.reply(new byte[0]), StandardCharsets.UTF_8));
    assertEquals("5 2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824",
        new String(FramingServer.reply("hello".getBytes(StandardCharsets.UTF_8)), StandardCharsets.UTF_8));
  }

  private static byte[] header(long length) {
    return new byte[] {(byte) (length >>> 24), (byte) (length >>> 16), (byte) (length >>> 8), (byte) length};
  }

  private static byte[] frame(byte[] message) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    MessageFraming.writeMessage(out, message);
    return out.toByteArray();
  }

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] both = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, both, a.length, b.length);
    return both;
  }

  /** Returns each read as a seeded random 1..maxRead bytes, as a TCP socket may. */
  private static final class ChoppyInputStream extends InputStream {
    private final byte[] data;
    private final int maxRead;
    private final Random random;
    private int pos;

    ChoppyInputStream(byte[] data, int maxRead, long seed) {
      this.data = data;
      this.maxRead = maxRead;
      this.random = new Random(seed);
    }

    @Override
    public int read() {
      return pos < data.length ? data[pos++] & 0xFF : -1;
    }

    @Override
    public int read(byte[] b, int off, int len) {
      if (len == 0) {
        return 0;
      }
      if (pos == data.length) {
        return -1;
      }
      int n = Math.min(Math.min(len, 1 + random.nextInt(maxRead)), data.length - pos);
      System.arraycopy(data, pos, b, off, n);
      pos += n;
      return n;
    }
  }
}
