package io.tcpstack.examples.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@link HttpRequestParser} fed with in-memory bytes: what it accepts, and the status of what it
 * refuses; the same whether the bytes come at once or one at a time.
 */
class HttpRequestParserTest {

  private static final HttpRequestParser.Limits LIMITS = HttpRequestParser.Limits.DEFAULT;

  private static ByteBuf bytes(String s) {
    return Unpooled.wrappedBuffer(s.getBytes(StandardCharsets.ISO_8859_1));
  }

  private static HttpRequestParser parser() {
    return new HttpRequestParser(LIMITS);
  }

  /** The first request in {@code s}, given whole; null if {@code s} ends before it does. */
  private static HttpRequest parse(String s) throws IOException {
    return parser().next(bytes(s));
  }

  /** The status of the {@link HttpException} parsing {@code s} throws. */
  private static int rejected(String s) {
    return assertThrows(HttpException.class, () -> parse(s)).status();
  }

  @Test
  void simpleGet() throws IOException {
    HttpRequest r = parse("GET /bytes/5?x=1 HTTP/1.1\r\nHost: 10.0.0.2\r\nUser-Agent:curl/7.88.1  \r\nAccept: */*\r\n\r\n");
    assertEquals("GET", r.method());
    assertEquals("/bytes/5?x=1", r.target());
    assertEquals("/bytes/5", r.path());
    assertEquals(1, r.minorVersion());
    assertEquals(List.of(new HttpRequest.Field("Host", "10.0.0.2"), new HttpRequest.Field("User-Agent", "curl/7.88.1"),
        new HttpRequest.Field("Accept", "*/*")), r.fields());
    assertEquals("10.0.0.2", r.header("host"), "names are case-insensitive");
    assertEquals(0, r.contentLength());
    assertTrue(r.keepAlive());
    assertFalse(r.isHead());
  }

  @Test
  void head() throws IOException {
    HttpRequest r = parse("HEAD / HTTP/1.1\r\nHost: x\r\n\r\n");
    assertTrue(r.isHead());
    assertEquals("/", r.path());
  }

  @Test
  void pipelinedRequestsComeOneAfterAnotherThenNull() throws IOException {
    HttpRequestParser p = parser();
    ByteBuf in = bytes("GET /a HTTP/1.1\r\nHost: x\r\n\r\nHEAD /b HTTP/1.1\r\nHost: x\r\n\r\n");
    assertEquals("/a", p.next(in).target());
    assertTrue(in.isReadable(), "the second request is left for the next call");
    assertEquals("/b", p.next(in).target());
    assertNull(p.next(in));
    assertNull(p.next(in), "still at the end");
    assertFalse(p.inRequest());
  }

  @Test
  void contentIsDiscardedBeforeTheNextRequest() throws IOException {
    HttpRequestParser p = parser();
    ByteBuf in = bytes("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 11\r\n\r\nGET / HTTP/1.1GET /next HTTP/1.1\r\nHost: x\r\n\r\n");
    HttpRequest post = p.next(in);
    assertEquals(11, post.contentLength());
    assertTrue(p.inRequest(), "the content is part of the request");
    assertThrows(IllegalStateException.class, () -> p.next(in), "content first");
    assertTrue(p.discardContent(in));
    assertFalse(p.inRequest());
    assertEquals("/next", p.next(in).target());
  }

  @Test
  void contentArrivingInPiecesIsDiscardedAcrossCalls() throws IOException {
    HttpRequestParser p = parser();
    ByteBuf in = bytes("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nshort");
    assertEquals(10, p.next(in).contentLength());
    assertEquals(5, in.readableBytes(), "next() stops at the end of the head");
    assertFalse(p.discardContent(in), "5 of 10");
    assertTrue(p.inRequest(), "cut off here, the request would be incomplete");
    ByteBuf rest = bytes("rest!GET");
    assertTrue(p.discardContent(rest));
    assertEquals(3, rest.readableBytes(), "the next request's bytes are left");
  }

  @Test
  void lfOnlyLineEndingsAreAccepted() throws IOException {
    HttpRequestParser p = parser();
    ByteBuf in = bytes("GET / HTTP/1.1\nHost: x\n\nGET /2 HTTP/1.1\r\nHost: x\n\r\n");
    assertEquals("x", p.next(in).header("Host"));
    assertEquals("/2", p.next(in).target());
  }

  @Test
  void emptyLinesBeforeTheRequestLineAreSkipped() throws IOException {
    assertEquals("/", parse("\r\n\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n").target());
    assertEquals(400, rejected("\r\n".repeat(HttpRequestParser.MAX_LEADING_EMPTY_LINES + 1) + "GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
  }

  @Test
  void connectionPersistence() throws IOException {
    assertTrue(parse("GET / HTTP/1.1\r\nHost: x\r\n\r\n").keepAlive());
    assertFalse(parse("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").keepAlive());
    assertFalse(parse("GET / HTTP/1.1\r\nHost: x\r\nConnection: Upgrade, CLOSE\r\n\r\n").keepAlive());
    assertFalse(parse("GET / HTTP/1.0\r\n\r\n").keepAlive());
    assertTrue(parse("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n").keepAlive());
    assertFalse(parse("GET / HTTP/1.0\r\nConnection: keep-alive\r\nConnection: close\r\n\r\n").keepAlive());
  }

  @Test
  void versions() throws IOException {
    assertEquals(0, parse("GET / HTTP/1.0\r\n\r\n").minorVersion(), "HTTP/1.0 needs no Host");
    assertEquals(1, parse("GET / HTTP/1.9\r\nHost: x\r\n\r\n").minorVersion(), "a later 1.x is read as 1.1");
    assertEquals(505, rejected("GET / HTTP/2.0\r\nHost: x\r\n\r\n"));
    assertEquals(505, rejected("GET / HTTP/0.9\r\n\r\n"));
    assertEquals(400, rejected("GET / HTTP/1.10\r\nHost: x\r\n\r\n"));
    assertEquals(400, rejected("GET / http/1.1\r\nHost: x\r\n\r\n"));
    assertEquals(400, rejected("GET /\r\n\r\n"), "HTTP/0.9 simple request");
  }

  @Test
  void targetForms() throws IOException {
    assertEquals("/bytes/3", parse("GET http://10.0.0.2/bytes/3?q HTTP/1.1\r\nHost: 10.0.0.2\r\n\r\n").path());
    assertEquals("/", parse("GET http://10.0.0.2 HTTP/1.1\r\nHost: 10.0.0.2\r\n\r\n").path());
    assertEquals("/", parse("GET http://10.0.0.2?q HTTP/1.1\r\nHost: 10.0.0.2\r\n\r\n").path());
    assertEquals("*", parse("OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n").target());
    assertEquals("x:443", parse("CONNECT x:443 HTTP/1.1\r\nHost: x\r\n\r\n").target());
    assertEquals(400, rejected("GET * HTTP/1.1\r\nHost: x\r\n\r\n"));
    assertEquals(400, rejected("GET bytes/3 HTTP/1.1\r\nHost: x\r\n\r\n"));
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "GET  / HTTP/1.1", "GET /  HTTP/1.1", " GET / HTTP/1.1", "GET / HTTP/1.1 ", "GET / HTTP/1.1 x", "GET\t/ HTTP/1.1",
      "GET /a b HTTP/1.1", "GET", "GET /", "G(T / HTTP/1.1", "GET / HTTP/1.1\u0000", "GET /\u007f HTTP/1.1",
      "GET /\u00e9 HTTP/1.1", "G\u00c3\u00a9T / HTTP/1.1", "GET /\u00ff\u00fe HTTP/1.1", "\u0000\u0001\u0002",
  })
  void malformedRequestLineIs400(String requestLine) {
    assertEquals(400, rejected(requestLine + "\r\nHost: x\r\n\r\n"));
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "NoColon", ": empty name", "Host : x", "Host\t: x", " Folded: value", "\tFolded: value", "Bad Name: x",
      "N\u00e4me: x", "X: a\u0000b", "X: a\u0001b", "X: a\u007fb", "X: a\rb",
  })
  void malformedFieldLineIs400(String field) {
    assertEquals(400, rejected("GET / HTTP/1.1\r\nHost: x\r\n" + field + "\r\n\r\n"));
  }

  @Test
  void obsoleteFoldingAfterAFieldIs400() {
    assertEquals(400, rejected("GET / HTTP/1.1\r\nHost: x\r\nX: a\r\n  continued\r\n\r\n"));
  }

  @Test
  void bareCrIs400() {
    assertEquals(400, rejected("GET / HTTP/1.1\rHost: x\r\n\r\n"));
  }

  @Test
  void nonAsciiInAFieldValueIsObsTextAndKept() throws IOException {
    HttpRequest r = parse("GET / HTTP/1.1\r\nHost: x\r\nX-Name: caf\u00e9\tbar\r\n\r\n");
    assertEquals("caf\u00e9\tbar", r.header("x-name"));
  }

  @Test
  void hostIsRequiredOnceInHttp11() {
    assertEquals(400, rejected("GET / HTTP/1.1\r\n\r\n"));
    assertEquals(400, rejected("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"));
    assertEquals(400, rejected("GET / HTTP/1.0\r\nHost: a\r\nHost: a\r\n\r\n"));
  }

  @Test
  void requestLineLimit() throws IOException {
    int max = LIMITS.maxRequestLine();
    String fits = "GET /" + "a".repeat(max - "GET / HTTP/1.1".length()) + " HTTP/1.1";
    assertEquals(max, fits.length());
    assertEquals(fits.substring(4, fits.length() - 9), parse(fits + "\r\nHost: x\r\n\r\n").target());
    String tooLong = "GET /" + "a".repeat(max - "GET / HTTP/1.1".length() + 1) + " HTTP/1.1";
    assertEquals(414, rejected(tooLong + "\r\nHost: x\r\n\r\n"));
  }

  @Test
  void overLongLineIsRefusedWithoutReadingItAll() throws IOException {
    // an endless request line: the parser must give up at the limit, not take bytes forever
    HttpRequestParser p = parser();
    assertNull(p.next(bytes("GET ")));
    long fed = 4;
    ByteBuf a = Unpooled.wrappedBuffer("a".repeat(1000).getBytes(StandardCharsets.US_ASCII));
    HttpException e = null;
    while (e == null && fed < 10L * LIMITS.maxRequestLine()) {
      a.readerIndex(0);
      try {
        assertNull(p.next(a));
        fed += 1000;
      } catch (HttpException thrown) {
        e = thrown;
        fed += a.readerIndex();
      }
    }
    assertEquals(414, e.status());
    assertEquals(LIMITS.maxRequestLine() + 1, fed, "refused at the first byte over the limit");
  }

  @Test
  void tooManyFieldsIs431() throws IOException {
    StringBuilder ok = new StringBuilder("GET / HTTP/1.1\r\nHost: x\r\n");
    for (int i = 1; i < LIMITS.maxFields(); i++) {
      ok.append("X-").append(i).append(": y\r\n");
    }
    assertEquals(LIMITS.maxFields(), parse(ok + "\r\n").fields().size());
    assertEquals(431, rejected(ok + "One-Too-Many: y\r\n\r\n"));
  }

  @Test
  void tooLargeFieldsAre431() throws IOException {
    int max = LIMITS.maxFieldBytes();
    String host = "Host: x"; // 7 bytes
    String fill = "X: " + "y".repeat(max - host.length() - 3);
    assertEquals(2, parse("GET / HTTP/1.1\r\n" + host + "\r\n" + fill + "\r\n\r\n").fields().size(), "exactly at the limit");
    assertEquals(431, rejected("GET / HTTP/1.1\r\n" + host + "\r\n" + fill + "y\r\n\r\n"));
    assertEquals(431, rejected("GET / HTTP/1.1\r\nHost: x\r\nBig: " + "z".repeat(100_000) + "\r\n\r\n"));
  }

  @Test
  void contentLength() throws IOException {
    assertEquals(5, parse("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\n").contentLength());
    assertEquals(LIMITS.maxContent(),
        parse("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: " + LIMITS.maxContent() + "\r\n\r\n").contentLength());
    assertEquals(413, rejected("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: " + (LIMITS.maxContent() + 1) + "\r\n\r\n"));
    assertEquals(413, rejected("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999999\r\n\r\n"));
    for (String bad : List.of("-1", "+1", "1.0", "0x10", "", "1, 1", "abc")) {
      assertEquals(400, rejected("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: " + bad + "\r\n\r\n"), bad);
    }
    assertEquals(400, rejected("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\n"));
  }

  @Test
  void transferEncodingIsNotImplemented() {
    assertEquals(501, rejected("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"));
    assertEquals(501, rejected("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n"));
    assertEquals(400, rejected("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n"), "faulty framing in 1.0");
  }

  /** Whether {@code s}, all the client sent before its stream ended, leaves a request cut off. */
  private static boolean cutOff(String s) throws IOException {
    HttpRequestParser p = parser();
    assertNull(p.next(bytes(s)), "no complete request in " + s);
    return p.inRequest();
  }

  @Test
  void endOfStreamCutsOffARequestUnderWay() throws IOException {
    assertFalse(cutOff(""), "closed before a request: clean");
    assertTrue(cutOff("GET / HTTP/1.1\r\nHost: x\r\n"), "cut off in the fields");
    assertTrue(cutOff("GET / HTT"), "cut off in the request line");
    assertTrue(cutOff("GET / HTTP/1.1\r"), "cut off between CR and LF");
    assertTrue(cutOff("\r\n"), "only an empty line");
  }

  @Test
  void aRequestIsUnderWayFromItsFirstByteUntilItsLast() throws IOException {
    // what a timeout means depends on it: idleness between requests, 408 inside one
    HttpRequestParser p = parser();
    assertFalse(p.inRequest());
    assertNull(p.next(bytes("GET / HTTP/1.1\r\nHo")));
    assertTrue(p.inRequest());
    assertEquals("/", p.next(bytes("st: x\r\n\r\n")).target());
    assertFalse(p.inRequest(), "a request without content is complete with its head");
  }

  @Test
  void byteByByteArrivalParsesTheSame() throws IOException {
    byte[] two = "GET /one HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabcGET /two HTTP/1.1\r\nHost: x\r\n\r\n"
        .getBytes(StandardCharsets.ISO_8859_1);
    HttpRequestParser p = parser();
    List<String> seen = new java.util.ArrayList<>();
    boolean inContent = false;
    for (byte b : two) {
      ByteBuf one = Unpooled.wrappedBuffer(new byte[] {b});
      if (inContent) {
        inContent = !p.discardContent(one);
        seen.add("content");
        continue;
      }
      HttpRequest r = p.next(one);
      assertFalse(one.isReadable(), "every byte is consumed");
      if (r != null) {
        seen.add(r.target());
        inContent = r.contentLength() > 0;
      }
    }
    assertEquals(List.of("/one", "content", "content", "content", "/two"), seen);
    assertFalse(p.inRequest());
  }

  @Test
  void everySplitOfTheBytesParsesTheSame() throws IOException {
    String two = "GET /one HTTP/1.1\r\nHost: x\r\nX: y\r\n\r\nGET /two HTTP/1.1\r\nHost: x\r\n\r\n";
    for (int cut = 0; cut <= two.length(); cut++) {
      HttpRequestParser p = parser();
      List<String> targets = new java.util.ArrayList<>();
      for (ByteBuf piece : List.of(bytes(two.substring(0, cut)), bytes(two.substring(cut)))) {
        for (HttpRequest r; (r = p.next(piece)) != null; ) {
          targets.add(r.target());
        }
      }
      assertEquals(List.of("/one", "/two"), targets, "cut at " + cut);
    }
  }

  @Test
  void expectContinue() throws IOException {
    assertTrue(parse("POST / HTTP/1.1\r\nHost: x\r\nExpect: 100-Continue\r\n\r\n").expectsContinue());
    assertFalse(parse("POST / HTTP/1.0\r\nExpect: 100-continue\r\n\r\n").expectsContinue(), "ignored in 1.0");
    assertFalse(parse("POST / HTTP/1.1\r\nHost: x\r\n\r\n").expectsContinue());
  }
}
