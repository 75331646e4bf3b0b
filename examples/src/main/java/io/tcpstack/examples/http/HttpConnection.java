package io.tcpstack.examples.http;

import java.io.BufferedOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Supplier;

/**
 * One HTTP/1.1 connection, on plain streams: reads requests with {@link HttpRequestParser}, answers
 * each in turn, until the client closes, asks to close, or sends something invalid. Knows nothing of
 * sockets, so it is tested with in-memory streams; {@link HttpServer} runs it on the stack.
 *
 * <p>The resources:
 *
 * <ul>
 *   <li>{@code GET /}: an HTML page (UTF-8) naming the stack, with every non-zero counter;
 *   <li>{@code GET /bytes/N}: exactly N bytes of {@code application/octet-stream}, N a decimal
 *       integer from 0 to {@value #MAX_BYTES} (1 GiB), streamed in chunks and never held whole. Byte
 *       {@code i} is {@code 'a' + i % 26}: the body reads {@code abcdefghijklmnopqrstuvwxyzabc...},
 *       so {@code curl -s host/bytes/N | head -c 30} shows it and any byte is checkable by its
 *       offset. Any other N (negative, not digits, too large) is 400; {@code /bytes/N/more} is 404;
 *   <li>{@code HEAD} on either: the same header fields, no content (RFC 9110 §9.3.2).
 * </ul>
 *
 * <p>The answers that are not 200, in the order they are decided:
 *
 * <ul>
 *   <li>the parser's rejections (400, 408, 413, 414, 431, 501, 505; see {@link HttpRequestParser}),
 *       sent with {@code Connection: close} and followed by closing (RFC 9112 §9.6): after a bad
 *       request the stream cannot be trusted to be at a request boundary;
 *   <li>501 Not Implemented for a method this server does not recognise (RFC 9110 §9.1: "An origin
 *       server that receives a request method that is unrecognized or not implemented SHOULD
 *       respond with the 501"); methods are case-sensitive, so {@code get} is one of these;
 *   <li>405 Method Not Allowed with {@code Allow: GET, HEAD} for the other standard methods (POST,
 *       PUT, DELETE, CONNECT, OPTIONS, TRACE of RFC 9110 §9.3, PATCH of RFC 5789), whatever the
 *       path: no resource here allows them (RFC 9110 §15.5.6: the server "MUST generate an Allow
 *       header field");
 *   <li>404 Not Found for any path other than {@code /} and {@code /bytes/N} (the query is ignored).
 * </ul>
 *
 * <p>501, 405, 404 and the 400 for a bad N answer well-formed requests, so the connection goes on.
 *
 * <p>Request content (a Content-Length, which GET and HEAD give no meaning to, RFC 9110 §9.3.1) is
 * read and thrown away when it is at most {@link HttpRequestParser.Limits#maxContent()} (64 KiB);
 * larger is 413 and the connection closes unread. A client expecting {@code 100-continue} is sent
 * "100 Continue" first (RFC 9110 §10.1.1), so it does not sit waiting for it.
 *
 * <p>Persistence (RFC 9112 §9.3): HTTP/1.1 stays open unless {@code Connection: close}; HTTP/1.0
 * only with {@code Connection: keep-alive}, answered with {@code Connection: keep-alive}.
 * Pipelined requests are answered in order (RFC 9112 §9.3.2). Every response carries {@code Date}
 * (RFC 9110 §6.6.1, from the clock given here, the stack has none), {@code Server: tcpstack} and
 * {@code Content-Length}, and {@code Connection: close} when it is the last.
 */
public final class HttpConnection {

  /** The largest N of {@code /bytes/N}: 1 GiB. */
  public static final long MAX_BYTES = 1L << 30;
  /** The page's title and heading. */
  public static final String TITLE = "tcpstack \u2014 TCP/IP in user space, in Java";

  static final String BYTES_PREFIX = "/bytes/";
  /** The /bytes pattern: 2048 rounds of a..z, so every chunk begins with 'a'. */
  static final byte[] ALPHABET_CHUNK = alphabetChunk(2048);

  private static final Set<String> SUPPORTED_METHODS = Set.of("GET", "HEAD");
  private static final Set<String> OTHER_KNOWN_METHODS =
      Set.of("POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH");
  private static final String ALLOW = "GET, HEAD";
  /** IMF-fixdate (RFC 9110 §5.6.7): {@code Sun, 06 Nov 1994 08:49:37 GMT}. */
  private static final DateTimeFormatter IMF_FIXDATE =
      DateTimeFormatter.ofPattern("EEE, dd MMM yyyy HH:mm:ss 'GMT'", Locale.US).withZone(ZoneOffset.UTC);

  private final HttpRequestParser parser;
  private final OutputStream out;
  private final Supplier<? extends Map<String, Long>> counters;
  private final Clock clock;

  private HttpConnection(InputStream in, OutputStream out, Supplier<? extends Map<String, Long>> counters,
      Clock clock, HttpRequestParser.Limits limits) {
    this.parser = new HttpRequestParser(in, limits);
    this.out = new BufferedOutputStream(out, 16 * 1024);
    this.counters = Objects.requireNonNull(counters, "counters");
    this.clock = Objects.requireNonNull(clock, "clock");
  }

  /**
   * As {@link #serve(InputStream, OutputStream, Supplier, Clock, HttpRequestParser.Limits)} with the
   * system clock and the default limits.
   */
  public static void serve(InputStream in, OutputStream out, Supplier<? extends Map<String, Long>> counters)
      throws IOException {
    serve(in, out, counters, Clock.systemUTC(), HttpRequestParser.Limits.DEFAULT);
  }

  /**
   * Serves requests from {@code in}, writing responses to {@code out}, until the connection should
   * close; returns then, without closing either stream. A client that closes or falls silent
   * (a {@link SocketTimeoutException} between requests) ends it quietly, as does a request cut off
   * by the end of the stream.
   *
   * @param counters the counters to show on the home page, by name; zeros are left out
   * @throws IOException only from writing (the client went away) or from {@code in} itself
   */
  public static void serve(InputStream in, OutputStream out, Supplier<? extends Map<String, Long>> counters,
      Clock clock, HttpRequestParser.Limits limits) throws IOException {
    new HttpConnection(in, out, counters, clock, limits).run();
  }

  private void run() throws IOException {
    while (true) {
      HttpRequest request;
      try {
        request = parser.next();
        if (request == null) {
          return; // the client closed between requests
        }
        if (request.contentLength() > 0) {
          if (request.expectsContinue()) {
            out.write("HTTP/1.1 100 Continue\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
          }
          parser.discardContent(request.contentLength());
        }
      } catch (HttpException e) {
        send(Response.text(e.status(), e.getMessage()), false, false, false);
        return;
      } catch (EOFException | SocketTimeoutException e) {
        return; // cut off, or idle too long: nothing to answer
      }
      boolean keepAlive = request.keepAlive();
      send(respond(request), request.isHead(), keepAlive, keepAlive && request.minorVersion() == 0);
      if (!keepAlive) {
        return;
      }
    }
  }

  // ---------------------------------------------------------------- routing

  private Response respond(HttpRequest request) {
    String method = request.method();
    if (!SUPPORTED_METHODS.contains(method)) {
      if (!OTHER_KNOWN_METHODS.contains(method)) {
        return Response.text(501, "method " + method + " is not implemented");
      }
      return Response.text(405, "method " + method + " is not allowed; use GET or HEAD").with("Allow", ALLOW);
    }
    String path = request.path();
    if (path.equals("/")) {
      return homePage();
    }
    if (path.startsWith(BYTES_PREFIX) && path.indexOf('/', BYTES_PREFIX.length()) < 0) {
      return bytes(path.substring(BYTES_PREFIX.length()));
    }
    return Response.text(404, "no resource at " + path + "; try / or /bytes/N");
  }

  private Response homePage() {
    StringBuilder html = new StringBuilder()
        .append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
        .append("<title>").append(TITLE).append("</title>\n</head>\n<body>\n")
        .append("<h1>").append(TITLE).append("</h1>\n")
        .append("<p>This page came over a TCP connection run by tcpstack, not by the kernel.\n")
        .append("Try <a href=\"/bytes/1048576\">/bytes/1048576</a> for a megabyte of data.</p>\n")
        .append("<h2>Counters</h2>\n<table>\n<tr><th>counter</th><th>value</th></tr>\n");
    counters.get().forEach((name, value) -> {
      if (value != null && value != 0) {
        html.append("<tr><td>").append(escape(name)).append("</td><td>").append(value).append("</td></tr>\n");
      }
    });
    html.append("</table>\n</body>\n</html>\n");
    return Response.of(200, "text/html; charset=utf-8", html.toString().getBytes(StandardCharsets.UTF_8))
        .with("Cache-Control", "no-store"); // the counters change all the time
  }

  private static Response bytes(String n) {
    long length = parseLength(n);
    if (length < 0) {
      return Response.text(400, "N in /bytes/N must be a decimal integer from 0 to " + MAX_BYTES);
    }
    return new Response(200, "application/octet-stream", length, HttpConnection::writeAlphabet, List.of());
  }

  /** {@code s} as a decimal integer from 0 to {@link #MAX_BYTES}, or -1 if it is not one. */
  static long parseLength(String s) {
    if (s.isEmpty() || !s.chars().allMatch(c -> c >= '0' && c <= '9')) {
      return -1;
    }
    String digits = s.replaceFirst("^0+(?=.)", ""); // leading zeros do not count
    if (digits.length() > 10) { // more digits than 1073741824 has, and maybe more than a long holds
      return -1;
    }
    long n = Long.parseLong(digits);
    return n <= MAX_BYTES ? n : -1;
  }

  /** Writes {@code length} bytes of the /bytes pattern, a chunk at a time. */
  private static void writeAlphabet(OutputStream out, long length) throws IOException {
    for (long left = length; left > 0; ) {
      int n = (int) Math.min(left, ALPHABET_CHUNK.length);
      out.write(ALPHABET_CHUNK, 0, n);
      left -= n;
    }
  }

  private static byte[] alphabetChunk(int rounds) {
    byte[] chunk = new byte[26 * rounds];
    for (int i = 0; i < chunk.length; i++) {
      chunk[i] = (byte) ('a' + i % 26);
    }
    return chunk;
  }

  private static String escape(String s) {
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
  }

  // ---------------------------------------------------------------- writing

  /** Writes a whole response and flushes it. */
  private void send(Response r, boolean head, boolean keepAlive, boolean sayKeepAlive) throws IOException {
    StringBuilder h = new StringBuilder()
        .append("HTTP/1.1 ").append(r.status()).append(' ').append(reason(r.status())).append("\r\n")
        .append("Date: ").append(IMF_FIXDATE.format(clock.instant())).append("\r\n")
        .append("Server: tcpstack\r\n")
        .append("Content-Type: ").append(r.contentType()).append("\r\n")
        .append("Content-Length: ").append(r.length()).append("\r\n");
    for (String[] field : r.fields()) {
      h.append(field[0]).append(": ").append(field[1]).append("\r\n");
    }
    if (!keepAlive) {
      h.append("Connection: close\r\n");
    } else if (sayKeepAlive) {
      h.append("Connection: keep-alive\r\n"); // an HTTP/1.0 client needs to be told (RFC 9112 §C.2.2)
    }
    h.append("\r\n");
    out.write(h.toString().getBytes(StandardCharsets.ISO_8859_1));
    if (!head) {
      r.content().writeTo(out, r.length());
    }
    out.flush();
  }

  /** The reason phrases (RFC 9110 §15) of the codes this server sends. */
  static String reason(int status) {
    return switch (status) {
      case 100 -> "Continue";
      case 200 -> "OK";
      case 400 -> "Bad Request";
      case 404 -> "Not Found";
      case 405 -> "Method Not Allowed";
      case 408 -> "Request Timeout";
      case 413 -> "Content Too Large";
      case 414 -> "URI Too Long";
      case 431 -> "Request Header Fields Too Large";
      case 501 -> "Not Implemented";
      case 505 -> "HTTP Version Not Supported";
      default -> "Unknown";
    };
  }

  /** Writes a response's content: exactly {@code length} bytes. */
  @FunctionalInterface
  private interface Content {
    void writeTo(OutputStream out, long length) throws IOException;
  }

  /** A response before it is written: status, content and any header fields of its own. */
  private record Response(int status, String contentType, long length, Content content, List<String[]> fields) {

    static Response of(int status, String contentType, byte[] body) {
      return new Response(status, contentType, body.length, (out, length) -> out.write(body), List.of());
    }

    /** A short plain-text explanation, for the error statuses. */
    static Response text(int status, String message) {
      String body = status + " " + reason(status) + ": " + message + "\n";
      return of(status, "text/plain; charset=utf-8", body.getBytes(StandardCharsets.UTF_8));
    }

    Response with(String name, String value) {
      List<String[]> more = new ArrayList<>(fields);
      more.add(new String[] {name, value});
      return new Response(status, contentType, length, content, List.copyOf(more));
    }
  }
}
