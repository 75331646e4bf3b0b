package io.tcpstack.examples.http;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.tcpstack.testing.TrackingAllocator;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@link HttpConnection} driven in memory: a whole connection's bytes in, every response out, checked
 * as a client would read them. Each exchange is served twice — the client's bytes all at once with
 * room for any write, and then trickled (a byte per event) with 7 bytes of room per event — and both
 * must give the same bytes: the state machine's answers do not depend on how the stream is cut.
 */
class HttpConnectionTest {

  static final Clock CLOCK = Clock.fixed(Instant.parse("1994-11-06T08:49:37Z"), ZoneOffset.UTC);
  private static final Map<String, Long> COUNTERS = counters();
  private static final long SECOND = 1_000_000_000L;

  private static Map<String, Long> counters() {
    Map<String, Long> c = new LinkedHashMap<>();
    c.put("tcp_in_segs", 42L);
    c.put("tcp_timeouts", 0L);
    c.put("tcp_out_bytes", 1234567L);
    return c;
  }

  /** A response as a client reads it: header names lower-cased. */
  record Response(int status, String reason, Map<String, String> headers, byte[] body) {
    String header(String name) {
      return headers.get(name.toLowerCase(Locale.ROOT));
    }

    String text() {
      return new String(body, StandardCharsets.UTF_8);
    }
  }

  /**
   * The client's side in memory, with a TCP channel's contract: {@link #read} gives what has been
   * {@link #deliver delivered} (then 0, or -1 once the client's end was delivered), {@link #write}
   * takes what fits in {@link #room} — a send buffer of {@code roomPerEvent} bytes, emptied by each
   * {@link #ack} — and throws after shutdown or close, as a channel does.
   */
  static final class Memory implements HttpTransport {
    final TrackingAllocator alloc = new TrackingAllocator();
    final byte[] input;
    final int roomPerEvent;
    final OutputStream sink;
    int room;
    int delivered;
    int consumed;
    boolean endDelivered;
    boolean shutdown;
    boolean closed;
    long written;
    long nowNs;

    Memory(byte[] input, int roomPerEvent, OutputStream sink) {
      this.input = input;
      this.roomPerEvent = roomPerEvent;
      this.room = roomPerEvent;
      this.sink = sink;
    }

    /** The client acknowledged what was sent: the send buffer is empty again. */
    void ack() {
      room = roomPerEvent;
    }

    void deliver(int n) {
      delivered = Math.min(input.length, delivered + n);
    }

    void deliverAll(boolean andTheEnd) {
      delivered = input.length;
      endDelivered = andTheEnd;
    }

    long progress() {
      return consumed + written + (shutdown ? 1 : 0) + (closed ? 1 : 0);
    }

    @Override
    public int read(ByteBuf dst) {
      int n = Math.min(dst.writableBytes(), delivered - consumed);
      if (n == 0) {
        return closed || endDelivered && consumed == input.length ? -1 : 0;
      }
      dst.writeBytes(input, consumed, n);
      consumed += n;
      return n;
    }

    @Override
    public int readableBytes() {
      return closed ? 0 : delivered - consumed;
    }

    @Override
    public int write(ByteBuf src) {
      if (!isWritable()) {
        throw new IllegalStateException("write after shutdownOutput or close");
      }
      int n = Math.min(src.readableBytes(), room);
      room -= n;
      try {
        src.readBytes(sink, n);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      written += n;
      return n;
    }

    @Override
    public boolean isWritable() {
      return !shutdown && !closed;
    }

    @Override
    public void shutdownOutput() {
      shutdown = true;
    }

    @Override
    public void close() {
      closed = true;
    }

    @Override
    public long nowNs() {
      return nowNs;
    }

    @Override
    public ByteBufAllocator alloc() {
      return alloc;
    }

    @Override
    public String describeConnection() {
      return "congestion control cubic, cwnd 14600 bytes";
    }
  }

  private static HttpConnection connection(Memory m) {
    return new HttpConnection(m, () -> COUNTERS, CLOCK, HttpRequestParser.Limits.DEFAULT);
  }

  /** Serves {@code requests} (ISO-8859-1), then the end of the client's stream; returns everything written. */
  private static byte[] serve(String requests) throws IOException {
    return serve(requests.getBytes(StandardCharsets.ISO_8859_1));
  }

  private static byte[] serve(byte[] requests) {
    byte[] whole = serve(requests, requests.length + 1, Integer.MAX_VALUE);
    // a byte per event (a prime number of them for long streams, to keep the test quick), 7 bytes
    // of room per event: every line and every response is cut in pieces, each resumed by an event
    byte[] trickled = serve(requests, requests.length <= 512 ? 1 : 61, 7);
    assertArrayEquals(whole, trickled, "the same bytes whether the stream comes whole or a byte at a time");
    return whole;
  }

  /**
   * Serves {@code requests} delivered {@code step} bytes per readable event, with {@code room} bytes
   * of send buffer emptied after each event, until the connection closes; then checks it closed
   * completely and holds no buffer.
   */
  static byte[] serve(byte[] requests, int step, int room) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    Memory m = new Memory(requests, room, out);
    HttpConnection c = connection(m);
    while (!c.isClosed()) {
      long before = m.progress();
      if (m.delivered < requests.length) {
        m.deliver(step);
      } else {
        m.endDelivered = true;
      }
      c.onReadable();
      m.ack();
      c.onWritable();
      assertTrue(m.progress() != before || m.delivered < requests.length || c.isClosed(),
          "stuck in " + c.state() + " with everything delivered");
    }
    assertTrue(m.shutdown, "closed in stages: half-closed first");
    assertTrue(m.closed);
    m.alloc.assertAllReleased();
    return out.toByteArray();
  }

  /** Reads the responses in {@code out}; {@code heads[i]} says whether response i answers a HEAD. */
  static List<Response> responses(byte[] out, boolean... heads) {
    List<Response> all = new ArrayList<>();
    int pos = 0;
    while (pos < out.length) {
      int end = indexOf(out, "\r\n\r\n".getBytes(StandardCharsets.US_ASCII), pos);
      assertTrue(end > 0, "a response head ends with an empty line");
      String[] lines = new String(out, pos, end - pos, StandardCharsets.ISO_8859_1).split("\r\n");
      String[] status = lines[0].split(" ", 3);
      assertEquals("HTTP/1.1", status[0]);
      Map<String, String> headers = new LinkedHashMap<>();
      for (int i = 1; i < lines.length; i++) {
        int colon = lines[i].indexOf(": ");
        assertNull(headers.put(lines[i].substring(0, colon).toLowerCase(Locale.ROOT), lines[i].substring(colon + 2)),
            "no field twice");
      }
      pos = end + 4;
      int code = Integer.parseInt(status[1]);
      int length = 0;
      if (code != 100) {
        boolean head = all.size() < heads.length && heads[all.size()];
        length = head ? 0 : Integer.parseInt(headers.get("content-length"));
      }
      byte[] body = new byte[length];
      System.arraycopy(out, pos, body, 0, length);
      pos += length;
      all.add(new Response(code, status[2], headers, body));
    }
    return all;
  }

  private static int indexOf(byte[] a, byte[] b, int from) {
    outer:
    for (int i = from; i <= a.length - b.length; i++) {
      for (int j = 0; j < b.length; j++) {
        if (a[i + j] != b[j]) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
  }

  private static Response only(String requests, boolean... heads) throws IOException {
    List<Response> all = responses(serve(requests), heads);
    assertEquals(1, all.size(), "one response");
    return all.get(0);
  }

  private static void assertCommonFields(Response r) {
    assertEquals("tcpstack", r.header("Server"));
    assertEquals("Sun, 06 Nov 1994 08:49:37 GMT", r.header("Date"), "IMF-fixdate");
    assertTrue(r.headers().containsKey("content-length"));
  }

  @Test
  void homePage() throws IOException {
    Response r = only("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    assertEquals(200, r.status());
    assertEquals("OK", r.reason());
    assertEquals("text/html; charset=utf-8", r.header("Content-Type"));
    assertCommonFields(r);
    assertNull(r.header("Connection"), "HTTP/1.1 stays open without saying so");
    String html = r.text();
    assertTrue(html.contains("tcpstack \u2014 TCP/IP in user space, in Java"), html);
    assertTrue(html.contains("<p>This connection: congestion control cubic, cwnd 14600 bytes.</p>"), html);
    assertTrue(html.contains("<td>tcp_in_segs</td><td>42</td>"), html);
    assertTrue(html.contains("<td>tcp_out_bytes</td><td>1234567</td>"), html);
    assertFalse(html.contains("tcp_timeouts"), "zero counters are left out");
    assertEquals(r.body().length, Integer.parseInt(r.header("Content-Length")), "length in bytes, not chars");
  }

  @Test
  void headHasTheSameFieldsAndNoContent() throws IOException {
    Response get = only("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    byte[] out = serve("HEAD / HTTP/1.1\r\nHost: x\r\n\r\n");
    assertTrue(new String(out, StandardCharsets.ISO_8859_1).endsWith("\r\n\r\n"), "nothing after the head");
    Response head = responses(out, true).get(0);
    assertEquals(200, head.status());
    assertEquals(get.headers(), head.headers());
    assertEquals(0, head.body().length);
  }

  @Test
  void bytesZero() throws IOException {
    Response r = only("GET /bytes/0 HTTP/1.1\r\nHost: x\r\n\r\n");
    assertEquals(200, r.status());
    assertEquals("application/octet-stream", r.header("Content-Type"));
    assertEquals("0", r.header("Content-Length"));
    assertEquals(0, r.body().length);
  }

  @Test
  void bytesThousandIsExactlyThePattern() throws IOException {
    byte[] out = serve("GET /bytes/1000 HTTP/1.1\r\nHost: x\r\n\r\n");
    Response r = responses(out).get(0);
    assertEquals(200, r.status());
    assertEquals("1000", r.header("Content-Length"));
    byte[] expected = new byte[1000];
    for (int i = 0; i < expected.length; i++) {
      expected[i] = (byte) ('a' + i % 26);
    }
    assertArrayEquals(expected, r.body());
    assertTrue(r.text().startsWith("abcdefghijklmnopqrstuvwxyzabc"));
    assertEquals(out.length, indexOf(out, "\r\n\r\n".getBytes(StandardCharsets.US_ASCII), 0) + 4 + 1000, "nothing more");
  }

  @Test
  void headOfBytes() throws IOException {
    Response r = only("HEAD /bytes/1000 HTTP/1.1\r\nHost: x\r\n\r\n", true);
    assertEquals("1000", r.header("Content-Length"));
    assertEquals(0, r.body().length);
  }

  @Test
  void oneGibibyteIsStreamedNotMaterialised() throws IOException {
    // a sink that checks every byte against the pattern and keeps none of them
    class CheckingSink extends OutputStream {
      final ByteArrayOutputStream head = new ByteArrayOutputStream();
      boolean inBody;
      long bodyBytes;
      int crlfs;

      @Override
      public void write(int b) {
        write(new byte[] {(byte) b}, 0, 1);
      }

      @Override
      public void write(byte[] b, int off, int len) {
        for (int i = off; i < off + len; i++) {
          if (inBody) {
            if (b[i] != (byte) ('a' + bodyBytes % 26)) {
              throw new AssertionError("wrong byte at " + bodyBytes);
            }
            bodyBytes++;
          } else {
            head.write(b[i]);
            crlfs = b[i] == '\r' || b[i] == '\n' ? crlfs + 1 : 0;
            inBody = crlfs == 4;
          }
        }
      }
    }
    CheckingSink sink = new CheckingSink();
    String request = "GET /bytes/" + HttpConnection.MAX_BYTES + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    Memory m = new Memory(request.getBytes(StandardCharsets.US_ASCII), 256 * 1024, sink); // a send buffer's worth
    m.deliverAll(true);
    HttpConnection c = connection(m);
    c.onReadable();
    long events = 1;
    while (!c.isClosed()) {
      m.ack();
      c.onWritable(); // each time a send buffer's worth of room: the body is generated as room opens
      events++;
    }
    assertTrue(sink.head.toString(StandardCharsets.US_ASCII).contains("\r\nContent-Length: 1073741824\r\n"));
    assertEquals(HttpConnection.MAX_BYTES, sink.bodyBytes);
    assertTrue(events > HttpConnection.MAX_BYTES / (256 * 1024), "written as room opened, not at once: " + events);
    assertTrue(m.alloc.allocations() <= 3, "no buffer per chunk: " + m.alloc.allocations());
    m.alloc.assertAllReleased();
  }

  @ParameterizedTest
  @ValueSource(strings = {"-1", "abc", "", "1e3", "+5", "0x10", "1073741825", "99999999999999999999", "9223372036854775808",
      "%31"})
  void badLengthIs400AndTheConnectionGoesOn(String n) throws IOException {
    List<Response> all = responses(serve("GET /bytes/" + n + " HTTP/1.1\r\nHost: x\r\n\r\nGET /bytes/1 HTTP/1.1\r\nHost: x\r\n\r\n"));
    assertEquals(400, all.get(0).status());
    assertNull(all.get(0).header("Connection"));
    assertEquals("a", all.get(1).text());
  }

  @Test
  void parseLength() {
    assertEquals(7, HttpConnection.parseLength("007"));
    assertEquals(HttpConnection.MAX_BYTES, HttpConnection.parseLength("1073741824"));
    assertEquals(-1, HttpConnection.parseLength("9999999999999999999"), "overflows a long");
  }

  @ParameterizedTest
  @ValueSource(strings = {"/nothing", "/bytes", "/bytes/5/6", "/index.html", "//"})
  void unknownPathIs404(String path) throws IOException {
    Response r = only("GET " + path + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    assertEquals(404, r.status());
    assertEquals("text/plain; charset=utf-8", r.header("Content-Type"));
    assertCommonFields(r);
  }

  @Test
  void queryIsIgnored() throws IOException {
    assertEquals("abc", only("GET /bytes/3?seed=1 HTTP/1.1\r\nHost: x\r\n\r\n").text());
  }

  @ParameterizedTest
  @ValueSource(strings = {"POST", "PUT", "DELETE", "OPTIONS", "TRACE", "PATCH"})
  void otherStandardMethodsAre405WithAllow(String method) throws IOException {
    Response r = only(method + " / HTTP/1.1\r\nHost: x\r\n\r\n");
    assertEquals(405, r.status());
    assertEquals("Method Not Allowed", r.reason());
    assertEquals("GET, HEAD", r.header("Allow"));
    assertCommonFields(r);
  }

  @Test
  void unknownMethodIs501() throws IOException {
    assertEquals(501, only("BREW / HTTP/1.1\r\nHost: x\r\n\r\n").status());
    assertEquals(501, only("get / HTTP/1.1\r\nHost: x\r\n\r\n").status(), "methods are case-sensitive");
  }

  @Test
  void postContentIsDiscardedAndTheNextRequestAnswered() throws IOException {
    List<Response> all = responses(serve(
        "POST /bytes/1 HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhelloGET /bytes/2 HTTP/1.1\r\nHost: x\r\n\r\n"));
    assertEquals(2, all.size());
    assertEquals(405, all.get(0).status());
    assertEquals("ab", all.get(1).text());
  }

  @Test
  void expectContinueGetsContinueBeforeTheFinalResponse() throws IOException {
    List<Response> all = responses(serve("POST / HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\nabc"));
    assertEquals(List.of(100, 405), all.stream().map(Response::status).toList());
  }

  @Test
  void tooMuchContentIs413AndClose() throws IOException {
    long tooMuch = HttpRequestParser.Limits.DEFAULT.maxContent() + 1;
    Response r = only("POST / HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: " + tooMuch
        + "\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n");
    assertEquals(413, r.status());
    assertEquals("close", r.header("Connection"));
  }

  @Test
  void pipelinedRequestsAreAnsweredInOrder() throws IOException {
    byte[] out = serve("GET /bytes/3 HTTP/1.1\r\nHost: x\r\n\r\nHEAD /bytes/9 HTTP/1.1\r\nHost: x\r\n\r\n"
        + "GET /nope HTTP/1.1\r\nHost: x\r\n\r\nGET /bytes/4 HTTP/1.1\r\nHost: x\r\n\r\n");
    List<Response> all = responses(out, false, true, false, false);
    assertEquals(List.of(200, 200, 404, 200), all.stream().map(Response::status).toList());
    assertEquals("abc", all.get(0).text());
    assertEquals("9", all.get(1).header("Content-Length"));
    assertEquals("abcd", all.get(3).text());
  }

  @Test
  void connectionCloseIsHonoured() throws IOException {
    Response r = only("GET /bytes/1 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\nGET /bytes/2 HTTP/1.1\r\nHost: x\r\n\r\n");
    assertEquals("close", r.header("Connection"));
    assertEquals("a", r.text());
  }

  @Test
  void http10ClosesUnlessAskedToKeepAlive() throws IOException {
    Response r = only("GET /bytes/1 HTTP/1.0\r\n\r\nGET /bytes/2 HTTP/1.0\r\n\r\n");
    assertEquals("close", r.header("Connection"));
    List<Response> kept = responses(serve("GET /bytes/1 HTTP/1.0\r\nConnection: keep-alive\r\n\r\nGET /bytes/2 HTTP/1.0\r\n\r\n"));
    assertEquals(2, kept.size());
    assertEquals("keep-alive", kept.get(0).header("Connection"));
    assertEquals("close", kept.get(1).header("Connection"));
    assertEquals("ab", kept.get(1).text());
  }

  @Test
  void lfOnlyRequestsAreServed() throws IOException {
    List<Response> all = responses(serve("GET /bytes/2 HTTP/1.1\nHost: x\n\nGET /bytes/3 HTTP/1.1\nHost: x\n\n"));
    assertEquals(List.of("ab", "abc"), all.stream().map(Response::text).toList());
  }

  /** A rejected request gets its status and Connection: close, and nothing after it is read. */
  private static void assertRejected(int status, String request) throws IOException {
    Response r = only(request + "GET /bytes/1 HTTP/1.1\r\nHost: x\r\n\r\n");
    assertEquals(status, r.status(), r.text());
    assertEquals("close", r.header("Connection"));
    assertCommonFields(r);
    assertTrue(r.text().startsWith(status + " "), r.text());
  }

  @Test
  void malformedRequestsAre400AndClose() throws IOException {
    assertRejected(400, "GET / HTTP/1.1 extra\r\nHost: x\r\n\r\n");
    assertRejected(400, "GET / HTTP/1.1\r\nHost: x\r\nNo colon here\r\n\r\n");
    assertRejected(400, "GET / HTTP/1.1\r\nHost : x\r\n\r\n");
    assertRejected(400, "GET / HTTP/1.1\r\n\r\n"); // no Host
    assertRejected(400, "GET /caf\u00e9 HTTP/1.1\r\nHost: x\r\n\r\n");
    assertRejected(400, "G\u00ffT / HTTP/1.1\r\nHost: x\r\n\r\n");
  }

  @Test
  void overLongRequestLineIs414() throws IOException {
    assertRejected(414, "GET /" + "a".repeat(HttpRequestParser.Limits.DEFAULT.maxRequestLine()) + " HTTP/1.1\r\nHost: x\r\n\r\n");
  }

  @Test
  void tooManyOrTooLargeFieldsAre431() throws IOException {
    assertRejected(431, "GET / HTTP/1.1\r\nHost: x\r\n" + "X: y\r\n".repeat(HttpRequestParser.Limits.DEFAULT.maxFields()) + "\r\n");
    assertRejected(431, "GET / HTTP/1.1\r\nHost: x\r\nCookie: " + "c".repeat(10_000) + "\r\n\r\n");
  }

  @Test
  void otherRejections() throws IOException {
    assertRejected(501, "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n");
    assertRejected(505, "GET / HTTP/2.0\r\nHost: x\r\n\r\n");
    assertRejected(400, "GET / HTTP/1.1\r\nHost: x\r\nContent-Length: -3\r\n\r\n");
  }

  @Test
  void requestCutOffEndsQuietly() throws IOException {
    assertEquals(0, serve("GET / HTTP/1.1\r\nHost: x\r\nAcc").length);
    assertEquals(0, serve("").length);
    assertEquals(0, serve("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc").length);
    List<Response> all = responses(serve("GET /bytes/1 HTTP/1.1\r\nHost: x\r\n\r\nGET /bytes/2 HT"));
    assertEquals(1, all.size(), "the complete request is answered, the cut one is not");
  }

  @Test
  void randomBytesNeverCrashIt() {
    Random random = new Random(7);
    String[] pieces = {"GET ", "HEAD ", "/", "/bytes/", "1", " HTTP/1.1", " HTTP/1.0", "\r\n", "\n", "\r", "Host: x", ":",
        " ", "Content-Length: 2", "Connection: close", "\u0000", "\u00ff", "\u00e9", "Transfer-Encoding: x"};
    for (int round = 0; round < 2000; round++) {
      StringBuilder s = new StringBuilder();
      for (int i = random.nextInt(30); i > 0; i--) {
        s.append(random.nextBoolean() ? pieces[random.nextInt(pieces.length)] : (char) random.nextInt(256));
      }
      byte[] request = s.toString().getBytes(StandardCharsets.ISO_8859_1);
      byte[] out = assertDoesNotThrow(() -> serve(request), s::toString);
      if (out.length > 0) {
        assertDoesNotThrow(() -> responses(out), s::toString); // whatever came out is well-formed HTTP
      }
    }
  }

  // ---------------------------------------------------------------- events, deadlines, back-pressure

  private static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.ISO_8859_1);
  }

  @Test
  void anIdleConnectionIsClosedQuietlyAfterTheIdleTimeout() {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    Memory m = new Memory(ascii("GET /bytes/2 HTTP/1.1\r\nHost: x\r\n\r\n"), 1 << 20, out);
    HttpConnection c = connection(m);
    m.nowNs = 5 * SECOND;
    m.deliverAll(false);
    c.onReadable();
    assertEquals("ab", responses(out.toByteArray()).get(0).text());
    long idle = HttpServer.IDLE_TIMEOUT.toNanos();
    c.checkTimeouts(5 * SECOND + idle - 1);
    assertEquals(HttpConnection.State.READ_HEAD, c.state(), "the idle time counts from the end of the response");
    c.checkTimeouts(5 * SECOND + idle);
    assertTrue(m.shutdown, "half-closed");
    assertEquals(HttpConnection.State.LINGER, c.state());
    assertEquals(1, responses(out.toByteArray()).size(), "nothing is said to an idle client");
    m.endDelivered = true; // the client closes in turn
    c.onReadable();
    assertTrue(c.isClosed() && m.closed);
    m.alloc.assertAllReleased();
  }

  /** What the connection's timer does at {@code nowNs}: the transport's clock reads the same. */
  private static void sweepAt(Memory m, HttpConnection c, long nowNs) {
    m.nowNs = nowNs;
    c.checkTimeouts(nowNs);
  }

  @Test
  void aRequestUnfinishedAtTheIdleTimeoutIs408() {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    Memory m = new Memory(ascii("GET / HTTP/1.1\r\nHo"), 1 << 20, out);
    HttpConnection c = connection(m);
    m.deliverAll(false);
    m.nowNs = 10 * SECOND; // bytes came at 10 s: the timeout counts from the last of them
    c.onReadable();
    long timeout = 10 * SECOND + HttpServer.IDLE_TIMEOUT.toNanos();
    sweepAt(m, c, timeout - 1);
    assertEquals(0, out.size());
    sweepAt(m, c, timeout);
    Response r = responses(out.toByteArray()).get(0);
    assertEquals(408, r.status());
    assertEquals("Request Timeout", r.reason());
    assertEquals("close", r.header("Connection"));
    assertTrue(m.shutdown);
    // lingering ends after LINGER even if the client never closes
    sweepAt(m, c, timeout + HttpServer.LINGER.toNanos() - 1);
    assertFalse(c.isClosed());
    sweepAt(m, c, timeout + HttpServer.LINGER.toNanos());
    assertTrue(c.isClosed() && m.closed);
    m.alloc.assertAllReleased();
  }

  @Test
  void aResponseBeingWrittenHasNoDeadline() {
    Memory m = new Memory(ascii("GET /bytes/100000 HTTP/1.1\r\nHost: x\r\n\r\n"), 1000, new ByteArrayOutputStream());
    HttpConnection c = connection(m);
    m.deliverAll(false);
    c.onReadable();
    assertEquals(HttpConnection.State.WRITE, c.state(), "the client reads slowly");
    c.checkTimeouts(HttpServer.IDLE_TIMEOUT.toNanos() * 10);
    assertEquals(HttpConnection.State.WRITE, c.state(), "as a blocking write, a slow reader is waited for");
    c.onClosed(); // the client resets
    assertTrue(c.isClosed());
    m.alloc.assertAllReleased();
  }

  @Test
  void nothingIsReadWhileAResponseWaitsForRoom() {
    // a client pipelining requests faster than it reads responses is held back by its own window
    String two = "GET /bytes/5000 HTTP/1.1\r\nHost: x\r\n\r\n";
    byte[] many = ascii(two.repeat(100));
    Memory m = new Memory(many, 1000, new ByteArrayOutputStream());
    HttpConnection c = connection(m);
    m.deliverAll(false);
    c.onReadable();
    int consumed = m.consumed;
    assertTrue(consumed <= HttpConnection.READ_CHUNK, "one read's worth taken: " + consumed);
    for (int i = 0; i < 3; i++) {
      c.onReadable(); // more data announced: still not read, the response is not out
    }
    assertEquals(consumed, m.consumed);
    m.ack();
    c.onWritable();
    assertEquals(consumed, m.consumed, "5000 bytes at 1000 per event: still writing");
    for (int i = 0; i < 1000 && m.consumed < many.length; i++) {
      m.ack();
      c.onWritable();
    }
    assertEquals(many.length, m.consumed, "all answered in the end");
    m.endDelivered = true;
    c.onReadable();
    while (!c.isClosed()) {
      m.ack();
      c.onWritable();
    }
    m.alloc.assertAllReleased();
  }

  @Test
  void lingeringReadsAtMostLingerBytesThenCloses() {
    byte[] request = ascii("GET /bytes/1 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    byte[] flood = new byte[request.length + HttpServer.LINGER_BYTES + 100_000];
    System.arraycopy(request, 0, flood, 0, request.length);
    Memory m = new Memory(flood, 1 << 20, new ByteArrayOutputStream());
    HttpConnection c = connection(m);
    m.deliver(request.length);
    c.onReadable();
    assertEquals(HttpConnection.State.LINGER, c.state());
    m.deliverAll(false); // the client goes on sending and never closes
    c.onReadable();
    assertTrue(c.isClosed(), "closed after a megabyte of leftovers, without waiting for the linger time");
    assertTrue(m.consumed - request.length >= HttpServer.LINGER_BYTES && m.consumed < flood.length, "read " + m.consumed);
    m.alloc.assertAllReleased();
  }

  @Test
  void aConnectionBetweenRequestsHoldsNoBufferAndEmptyEventsBorrowNone() {
    Memory m = new Memory(ascii("GET /bytes/10 HTTP/1.1\r\nHost: x\r\n\r\n"), 1 << 20, new ByteArrayOutputStream());
    HttpConnection c = connection(m);
    m.deliverAll(false);
    c.onReadable();
    assertEquals(HttpConnection.State.READ_HEAD, c.state(), "answered, waiting for the next request");
    assertEquals(0, m.alloc.live(), "an idle keep-alive connection holds nothing");
    int allocations = m.alloc.allocations();
    for (int i = 0; i < 100; i++) {
      c.onWritable(); // ACKs of the response arriving
      c.onReadable();
    }
    assertEquals(allocations, m.alloc.allocations(), "events with nothing to read borrow no buffer");
  }

  @Test
  void aResetWhileWritingReleasesEverything() {
    Memory m = new Memory(ascii("GET / HTTP/1.1\r\nHost: x\r\n\r\nGET / HTTP/1.1\r\n"), 10, new ByteArrayOutputStream());
    HttpConnection c = connection(m);
    m.deliverAll(false);
    c.onReadable();
    m.closed = true; // reset: the transport refuses writes before onClosed arrives
    m.ack();
    c.onWritable();
    assertTrue(c.isClosed(), "a write that cannot happen ends the connection");
    c.onClosed();
    m.alloc.assertAllReleased();
  }
}
