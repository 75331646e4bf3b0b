package io.tcpstack.examples.http;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
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
 * One HTTP/1.1 connection as a state machine driven by readiness events: reads requests with {@link
 * HttpRequestParser}, answers each in turn, until the client closes, asks to close, or sends
 * something invalid. It owns no thread and never blocks: {@link #onReadable()}, {@link
 * #onWritable()} and {@link #checkTimeouts(long)} each do what can be done now and return. It talks
 * to an {@link HttpTransport}, so it is tested in memory; {@link HttpServer} runs it on a {@link
 * io.tcpstack.api.TcpChannel}.
 *
 * <p>The states: reading a request head, discarding its content, writing a response (or "100
 * Continue"), lingering (closing in stages, below), closed. While a response is being written the
 * connection reads nothing, so a client pipelining faster than it reads is held back by TCP's
 * window rather than by memory here; a response's bytes go out as the transport takes them, and
 * {@code /bytes/N} is generated a piece at a time on each {@code onWritable}, never held whole.
 * Memory: a pooled buffer for input while read bytes wait to be parsed, one for output while a
 * response head or a small body waits to be written, each released as soon as it is drained.
 *
 * <p>Timeouts ({@link #checkTimeouts}, called when {@link #nextDeadlineNs} comes): a connection waiting for a
 * request (or the rest of one) for {@link HttpServer#IDLE_TIMEOUT} is closed — quietly between
 * requests, with 408 inside one. A response being written has no deadline, as a blocking write has
 * none. Closing is done in stages (RFC 9112 §9.6): the connection half-closes, then reads and throws
 * away what the client still sends, for {@link HttpServer#LINGER} or {@link HttpServer#LINGER_BYTES},
 * before closing for good — so a client still sending (a long request we refused) reads our response
 * instead of losing it to a reset.
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
 *   <li>any {@link Resource} given at construction, at its path ({@link HttpServer} serves
 *       {@code /metrics} and {@code /connections} so);
 *   <li>{@code HEAD} on any: the same header fields, no content (RFC 9110 §9.3.2).
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
 *   <li>404 Not Found for any path other than {@code /}, {@code /bytes/N} and the resources' (the
 *       query takes no part in it).
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
  /** The most read from the transport at a time (the blocking parser's buffer was as large); less if less is there. */
  static final int READ_CHUNK = 8 * 1024;

  private static final Set<String> SUPPORTED_METHODS = Set.of("GET", "HEAD");
  private static final Set<String> OTHER_KNOWN_METHODS =
      Set.of("POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH");
  private static final String ALLOW = "GET, HEAD";
  private static final byte[] CONTINUE = "HTTP/1.1 100 Continue\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
  /** IMF-fixdate (RFC 9110 §5.6.7): {@code Sun, 06 Nov 1994 08:49:37 GMT}. */
  private static final DateTimeFormatter IMF_FIXDATE =
      DateTimeFormatter.ofPattern("EEE, dd MMM yyyy HH:mm:ss 'GMT'", Locale.US).withZone(ZoneOffset.UTC);
  private static final long IDLE_TIMEOUT_NS = HttpServer.IDLE_TIMEOUT.toNanos();
  private static final long LINGER_NS = HttpServer.LINGER.toNanos();

  /** Where a connection is in its life; see the class comment. */
  enum State {
    /** Waiting for (the rest of) a request head. */
    READ_HEAD,
    /** Throwing away the content of the request being answered. */
    READ_CONTENT,
    /** Writing a response or "100 Continue"; {@link #afterWrite} comes next. */
    WRITE,
    /** Output shut down; reading and dropping what the client still sends, then closing. */
    LINGER,
    CLOSED
  }

  private final HttpTransport transport;
  private final HttpRequestParser parser;
  private final Supplier<? extends Map<String, Long>> counters;
  private final Clock clock;
  /** Resources besides / and /bytes/N, by path. */
  private final Map<String, Resource> resources;

  private State state = State.READ_HEAD;
  /** The state after the write under way: READ_HEAD (kept alive), READ_CONTENT (after 100), LINGER (the last). */
  private State afterWrite;
  /** Bytes read and not yet parsed, or null: pooled, held only while it has some. */
  private ByteBuf in;
  /** Response bytes (head, and a small body) not yet written, or null: pooled, held only while it has some. */
  private ByteBuf out;
  /** Bytes of the /bytes pattern still to write after {@link #out}, and how many were written. */
  private long patternLeft;
  private long patternSent;
  /** A view of {@link #ALPHABET_CHUNK} to write from, while a /bytes body is under way. */
  private ByteBuf pattern;
  /** The request whose content is being discarded: answered once it is. */
  private HttpRequest awaitingContent;
  private boolean endOfInput;
  /** When the connection began to wait for input or last received some; when lingering began. */
  private long sinceNs;
  private long lingered;

  /**
   * A resource at a fixed path, answering GET and HEAD with what it makes of the request (its
   * query, its {@code Accept}); run where the connection runs (for {@link HttpServer}, the stack
   * thread).
   */
  @FunctionalInterface
  public interface Resource {
    Content get(HttpRequest request);
  }

  /** What a {@link Resource} answers: a status, a media type and the whole body. */
  public record Content(int status, String contentType, byte[] body) {

    /** A 200 with {@code text} in UTF-8. */
    public static Content ok(String contentType, String text) {
      return new Content(200, contentType, text.getBytes(StandardCharsets.UTF_8));
    }
  }

  /**
   * A connection over {@code transport}, waiting for its first request from now.
   *
   * @param counters the counters to show on the home page, by name; zeros are left out
   * @param clock the time for the {@code Date} field (the stack has no wall clock)
   */
  public HttpConnection(HttpTransport transport, Supplier<? extends Map<String, Long>> counters, Clock clock,
      HttpRequestParser.Limits limits) {
    this(transport, counters, clock, limits, Map.of());
  }

  /**
   * As above, with more resources by path (as {@code /metrics} and {@code /connections} of {@link
   * HttpServer}); a query does not take part in matching the path.
   */
  public HttpConnection(HttpTransport transport, Supplier<? extends Map<String, Long>> counters, Clock clock,
      HttpRequestParser.Limits limits, Map<String, Resource> resources) {
    this.resources = Map.copyOf(resources);
    this.transport = Objects.requireNonNull(transport, "transport");
    this.parser = new HttpRequestParser(limits);
    this.counters = Objects.requireNonNull(counters, "counters");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.sinceNs = transport.nowNs();
  }

  /** Bytes, or the end of the client's stream, can be read: go on as far as possible. */
  public void onReadable() {
    run();
  }

  /** Room opened for output: go on writing, then (if the response is done) reading. */
  public void onWritable() {
    run();
  }

  /** The transport is over (closed, reset, or aborted): release everything. Idempotent. */
  public void onClosed() {
    state = State.CLOSED;
    releaseBuffers();
  }

  /**
   * Applies the deadlines at {@code nowNs}: a connection that waited for a request (or the rest of
   * one) for {@link HttpServer#IDLE_TIMEOUT} is closed, with 408 if a request was under way; one that
   * lingered for {@link HttpServer#LINGER} is closed.
   */
  public void checkTimeouts(long nowNs) {
    switch (state) {
      case READ_HEAD, READ_CONTENT -> {
        if (nowNs - sinceNs >= IDLE_TIMEOUT_NS) {
          if (parser.inRequest()) {
            startResponse(Response.text(408, "request not received in time"), false, false, false);
            run();
          } else {
            closeInStages(); // idle between requests: nothing to answer
          }
        }
      }
      case LINGER -> {
        if (nowNs - sinceNs >= LINGER_NS) {
          close();
        }
      }
      default -> {
        // writing has no deadline; closed is closed
      }
    }
  }

  /**
   * When {@link #checkTimeouts} next has something to do — the idle or linger deadline — or {@link
   * Long#MAX_VALUE} when nothing waits for time (writing, closed).
   */
  public long nextDeadlineNs() {
    return switch (state) {
      case READ_HEAD, READ_CONTENT -> sinceNs + IDLE_TIMEOUT_NS;
      case LINGER -> sinceNs + LINGER_NS;
      default -> Long.MAX_VALUE;
    };
  }

  State state() {
    return state;
  }

  public boolean isClosed() {
    return state == State.CLOSED;
  }

  /** Does all that can be done now: writes what is pending, then reads and answers requests until it must wait. */
  private void run() {
    while (true) {
      switch (state) {
        case WRITE -> {
          if (!flush()) {
            return; // the transport is full: onWritable resumes here
          }
          state = afterWrite;
          if (state == State.LINGER) {
            closeInStages();
            return;
          }
          sinceNs = transport.nowNs(); // waiting for input from now
        }
        case READ_HEAD -> {
          if (!fill()) {
            if (endOfInput) {
              closeInStages(); // between requests or inside one: nothing to answer either way
            }
            return;
          }
          HttpRequest request;
          try {
            request = parser.next(in);
          } catch (HttpException e) {
            startResponse(Response.text(e.status(), e.getMessage()), false, false, false);
            continue;
          }
          if (request != null) {
            if (request.contentLength() > 0) {
              awaitingContent = request;
              if (request.expectsContinue()) {
                startWrite(Unpooled.wrappedBuffer(CONTINUE), State.READ_CONTENT); // RFC 9110 §10.1.1
              } else {
                state = State.READ_CONTENT;
              }
            } else {
              answer(request);
            }
          }
        }
        case READ_CONTENT -> {
          if (!fill()) {
            if (endOfInput) {
              closeInStages(); // the content was cut off: nothing to answer
            }
            return;
          }
          if (parser.discardContent(in)) {
            HttpRequest request = awaitingContent;
            awaitingContent = null;
            answer(request);
          }
        }
        case LINGER -> {
          drain();
          return;
        }
        default -> {
          return;
        }
      }
    }
  }

  /**
   * Makes sure {@link #in} has bytes to parse, reading from the transport if it has none. False
   * when nothing is there now (or ever: {@link #endOfInput}); then no buffer is held.
   */
  private boolean fill() {
    if (in != null && in.isReadable()) {
      return true;
    }
    releaseInput();
    if (endOfInput) {
      return false;
    }
    int available = transport.readableBytes();
    if (available == 0) {
      endOfInput = transport.read(Unpooled.EMPTY_BUFFER) < 0; // nothing waiting: the end, or not yet
      return false;
    }
    in = transport.alloc().buffer(Math.min(available, READ_CHUNK)); // sized to what is there
    transport.read(in);
    sinceNs = transport.nowNs();
    return true;
  }

  private void releaseInput() {
    if (in != null) {
      in.release();
      in = null;
    }
  }

  /** Answers a complete request (its content discarded). */
  private void answer(HttpRequest request) {
    boolean keepAlive = request.keepAlive();
    startResponse(respond(request), request.isHead(), keepAlive, keepAlive && request.minorVersion() == 0);
  }

  /** Half-closes, then reads and drops what the client still sends (RFC 9112 §9.6) until it is done or the time is up. */
  private void closeInStages() {
    state = State.LINGER;
    sinceNs = transport.nowNs();
    lingered = 0;
    if (transport.isWritable()) {
      transport.shutdownOutput();
    }
    drain();
  }

  /** Lingering: reads and throws away until the end of the stream, or {@link HttpServer#LINGER_BYTES}; then closes. */
  private void drain() {
    releaseInput(); // what was read and not parsed goes too
    while (true) {
      int available = transport.readableBytes();
      if (available == 0) {
        if (transport.read(Unpooled.EMPTY_BUFFER) < 0) {
          close(); // the client is done too
        }
        return;
      }
      in = transport.alloc().buffer(Math.min(available, READ_CHUNK));
      lingered += transport.read(in);
      releaseInput();
      if (lingered >= HttpServer.LINGER_BYTES) {
        close();
        return;
      }
    }
  }

  private void close() {
    state = State.CLOSED;
    releaseBuffers();
    transport.close();
  }

  private void releaseBuffers() {
    releaseInput();
    if (out != null) {
      out.release();
      out = null;
    }
    pattern = null;
    patternLeft = 0;
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
    Resource resource = resources.get(path);
    if (resource != null) {
      Content c = resource.get(request);
      return Response.of(c.status(), c.contentType(), c.body()).with("Cache-Control", "no-store");
    }
    return Response.text(404, "no resource at " + path + "; try / (it links to the others) or /bytes/N");
  }

  private Response homePage() {
    StringBuilder html = new StringBuilder()
        .append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
        .append("<title>").append(TITLE).append("</title>\n</head>\n<body>\n")
        .append("<h1>").append(TITLE).append("</h1>\n")
        .append("<p>This page came over a TCP connection run by tcpstack, not by the kernel.\n")
        .append("Try <a href=\"/bytes/1048576\">/bytes/1048576</a> for a megabyte of data.</p>\n");
    if (!resources.isEmpty()) {
      html.append("<p>Also:");
      resources.keySet().stream().sorted().forEach(p -> html.append(" <a href=\"").append(escape(p)).append("\">")
          .append(escape(p)).append("</a>"));
      html.append("</p>\n");
    }
    String connection = transport.describeConnection();
    if (connection != null) {
      html.append("<p>This connection: ").append(escape(connection)).append(".</p>\n");
    }
    html.append("<h2>Counters</h2>\n<table>\n<tr><th>counter</th><th>value</th></tr>\n");
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
    return new Response(200, "application/octet-stream", length, null, List.of());
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

  /**
   * Starts writing a whole response: its head, then its content (unless it answers HEAD), then
   * {@code keepAlive} decides between the next request and closing in stages.
   */
  private void startResponse(Response r, boolean head, boolean keepAlive, boolean sayKeepAlive) {
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
    boolean body = !head && r.body() != null;
    ByteBuf buf = transport.alloc().buffer(h.length() + (body ? r.body().length : 0));
    buf.writeCharSequence(h, StandardCharsets.ISO_8859_1);
    if (body) {
      buf.writeBytes(r.body());
    } else if (!head) {
      patternLeft = r.length(); // the /bytes pattern, generated as the transport takes it
      patternSent = 0;
    }
    startWrite(buf, keepAlive ? State.READ_HEAD : State.LINGER);
  }

  private void startWrite(ByteBuf bytes, State next) {
    if (out != null) {
      out.release(); // cannot happen: a write starts only once the last one is done
    }
    out = bytes;
    afterWrite = next;
    state = State.WRITE;
  }

  /** Writes what the transport takes; true once the whole response is written. */
  private boolean flush() {
    if (!transport.isWritable()) {
      close(); // the client reset, or the connection is otherwise over: nobody reads the rest
      return false;
    }
    if (out != null) {
      transport.write(out);
      if (out.isReadable()) {
        return false;
      }
      out.release();
      out = null;
    }
    while (patternLeft > 0) {
      if (pattern == null) {
        pattern = Unpooled.wrappedBuffer(ALPHABET_CHUNK); // a view: the chunk is shared, never copied
      }
      int offset = (int) (patternSent % 26); // the chunk is whole rounds of a..z
      int n = (int) Math.min(patternLeft, ALPHABET_CHUNK.length - offset);
      pattern.setIndex(offset, offset + n);
      int written = transport.write(pattern);
      patternSent += written;
      patternLeft -= written;
      if (written < n) {
        return false;
      }
    }
    pattern = null;
    return true;
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

  /**
   * A response before it is written: status, content and any header fields of its own. The content
   * is {@code body}, or — when that is null — {@code length} bytes of the /bytes pattern.
   */
  private record Response(int status, String contentType, long length, byte[] body, List<String[]> fields) {

    static Response of(int status, String contentType, byte[] body) {
      return new Response(status, contentType, body.length, body, List.of());
    }

    /** A short plain-text explanation, for the error statuses. */
    static Response text(int status, String message) {
      String body = status + " " + reason(status) + ": " + message + "\n";
      return of(status, "text/plain; charset=utf-8", body.getBytes(StandardCharsets.UTF_8));
    }

    Response with(String name, String value) {
      List<String[]> more = new ArrayList<>(fields);
      more.add(new String[] {name, value});
      return new Response(status, contentType, length, body, List.copyOf(more));
    }
  }
}
