package io.tcpstack.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.List;
import org.junit.jupiter.api.Test;

class MessagesTest {

  /** A stream that returns the given chunks, one per read, like a socket receiving segments. */
  private static final class Chunks extends InputStream {
    private final Deque<byte[]> chunks = new ArrayDeque<>();
    private byte[] current = new byte[0];
    private int at;

    Chunks(byte[]... chunks) {
      this.chunks.addAll(Arrays.asList(chunks));
    }

    @Override
    public int read() {
      throw new UnsupportedOperationException();
    }

    @Override
    public int read(byte[] b, int off, int len) {
      if (at == current.length) {
        if (chunks.isEmpty()) {
          return -1;
        }
        current = chunks.poll();
        at = 0;
      }
      int n = Math.min(len, current.length - at);
      System.arraycopy(current, at, b, off, n);
      at += n;
      return n;
    }

    /** Only what is left of the chunk being read: the next one has not "arrived" yet. */
    @Override
    public int available() {
      return current.length - at;
    }
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static List<Messages.Message> all(InputStream in) throws IOException {
    Messages messages = new Messages(in);
    List<Messages.Message> out = new ArrayList<>();
    for (Messages.Message m; (m = messages.next()) != null; ) {
      out.add(m);
    }
    return out;
  }

  @Test
  void linesAreMessagesWithTheirEnding() throws IOException {
    assertEquals(List.of(new Messages.Message("one", "\n"), new Messages.Message("two", "\r\n"),
            new Messages.Message("", "\n")),
        all(new Chunks(utf8("one\ntwo\r\n\n"))));
  }

  @Test
  void textSentWithoutNewlineBeforeAPauseIsOneMessage() throws IOException {
    // The tutorials' client: send("hello,server"), then wait for the answer.
    assertEquals(List.of(new Messages.Message("hello,server", ""), new Messages.Message("again", "")),
        all(new Chunks(utf8("hello,server"), utf8("again"))));
  }

  @Test
  void aLineSplitAcrossReadsThatAreAlreadyWaitingStaysWhole() throws IOException {
    Messages messages = new Messages(new ByteArrayInputStream(utf8("a".repeat(20_000) + "\nb\n")));
    assertEquals(new Messages.Message("a".repeat(20_000), "\n"), messages.next());
    assertEquals(new Messages.Message("b", "\n"), messages.next());
    assertNull(messages.next());
  }

  @Test
  void aLineNeverEndingIsCutIntoBoundedPiecesWithoutSplittingACharacter() throws IOException {
    // 'é' is two bytes: an odd number of ASCII bytes first makes a piece boundary fall inside one.
    String text = "x" + "é".repeat(Messages.MAX_MESSAGE);
    List<Messages.Message> pieces = all(new ByteArrayInputStream(utf8(text)));
    StringBuilder joined = new StringBuilder();
    for (Messages.Message m : pieces) {
      assertEquals("", m.ending());
      assertEquals(-1, m.text().indexOf('\uFFFD'), "no character split");
      assertEquals(true, utf8(m.text()).length <= Messages.MAX_MESSAGE);
      joined.append(m.text());
    }
    assertEquals(text, joined.toString());
  }

  @Test
  void invalidUtf8BecomesReplacementCharacters() throws IOException {
    assertEquals(List.of(new Messages.Message("a\uFFFD\uFFFDb", "\n")),
        all(new Chunks(new byte[] {'a', (byte) 0xFF, (byte) 0xFE, 'b', '\n'})));
  }

  @Test
  void endOfStreamEndsTheLastMessage() throws IOException {
    assertEquals(List.of(new Messages.Message("last", "")), all(new ByteArrayInputStream(utf8("last"))));
    assertEquals(List.of(), all(new ByteArrayInputStream(new byte[0])));
  }
}
