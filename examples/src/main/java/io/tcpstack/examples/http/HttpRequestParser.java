package io.tcpstack.examples.http;

import io.netty.buffer.ByteBuf;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * Reads HTTP/1.x requests (RFC 9112) one after another from a byte stream — a connection's whole
 * life, pipelined requests included — fed with the bytes as they arrive, in pieces of any size:
 * {@link #next(ByteBuf)} consumes what it is given and returns a request once its head is complete,
 * keeping its place in between. It does no I/O, so it runs on the stack thread inside an event
 * handler (see {@link HttpConnection}) and is tested without a network.
 *
 * <p>Nothing the client sends is trusted, and nothing is buffered without bound: the parser holds
 * one line at a time, in a buffer that starts small and grows to the limit at most, and refuses the
 * request as soon as a limit ({@link Limits}) is passed, without consuming more:
 *
 * <ul>
 *   <li>request line over {@link Limits#maxRequestLine()} bytes: 414 URI Too Long (RFC 9112 §3: "A
 *       server that receives a request-target longer than any URI it wishes to parse MUST respond
 *       with a 414"; a method cannot make a line that long);
 *   <li>field lines over {@link Limits#maxFieldBytes()} bytes together (line endings not counted),
 *       or more than {@link Limits#maxFields()} of them: 431 Request Header Fields Too Large (RFC 6585
 *       §5);
 *   <li>Content-Length over {@link Limits#maxContent()}: 413 Content Too Large (RFC 9110 §15.5.14),
 *       before any of the content is read.
 * </ul>
 *
 * <p>The message is parsed as bytes, per RFC 9112 §2.2 ("a recipient MUST parse an HTTP message as
 * a sequence of octets in an encoding that is a superset of US-ASCII"), so no byte sequence can
 * make a decoder fail. Strictly:
 *
 * <ul>
 *   <li>lines end with CRLF, or a bare LF (RFC 9112 §2.2 MAY); a bare CR anywhere is 400 (§2.2);
 *   <li>empty lines before the request line are skipped (§2.2 SHOULD), at most {@value
 *       #MAX_LEADING_EMPTY_LINES} of them;
 *   <li>the request line is exactly {@code method SP request-target SP HTTP-version} (§3): the
 *       method a token, the target visible ASCII (so non-ASCII bytes are 400), in origin-form or
 *       absolute-form (or {@code *} for OPTIONS, authority-form for CONNECT), the version {@code
 *       HTTP/DIGIT.DIGIT};
 *   <li>HTTP/1.x is taken, a higher minor version read as 1.1 (RFC 9110 §6.2); any other major
 *       version is 505 HTTP Version Not Supported (RFC 9110 §15.6.6);
 *   <li>field lines are {@code name ":" OWS value OWS} (§5): whitespace before the colon, an empty
 *       or non-token name, obsolete line folding (§5.2) and control characters in a value (RFC 9110
 *       §5.5) are all 400; bytes 0x80–0xFF in a value (obs-text) are accepted, as ISO-8859-1;
 *   <li>an HTTP/1.1 request needs exactly one Host field, any request at most one (§3.2: 400);
 *   <li>Content-Length must be one field of digits only (§6.3; a list or a second field is 400, as
 *       RFC 9110 §8.6 allows); Transfer-Encoding is not implemented: 501 (§6.1 SHOULD), or 400 in an
 *       HTTP/1.0 request, whose framing it makes faulty (§6.1).
 * </ul>
 *
 * <p>Every rejection is an {@link HttpException} carrying the status to answer with; the connection
 * must then be closed. Whether a request is under way ({@link #inRequest()}) tells its owner what
 * the end of the stream or a timeout means: between requests, a client that left or went idle;
 * inside one, a request cut off, or 408 Request Timeout (RFC 9110 §15.5.9).
 *
 * <p>Not thread-safe: one parser per connection, used by the thread that serves it.
 */
public final class HttpRequestParser {

  /**
   * The bounds on what a client may send.
   *
   * @param maxRequestLine longest request line, in bytes, without its line ending
   * @param maxFieldBytes most bytes of field lines in one request, line endings not counted
   * @param maxFields most field lines in one request
   * @param maxContent largest Content-Length accepted (the content is read and thrown away)
   */
  public record Limits(int maxRequestLine, int maxFieldBytes, int maxFields, long maxContent) {
    /** 8 KiB request line, 8 KiB and 100 field lines, 64 KiB of content. */
    public static final Limits DEFAULT = new Limits(8 * 1024, 8 * 1024, 100, 64 * 1024);

    public Limits {
      if (maxRequestLine < 16 || maxFieldBytes < 0 || maxFields < 0 || maxContent < 0) {
        throw new IllegalArgumentException("unusable limits: " + maxRequestLine + ", " + maxFieldBytes + ", "
            + maxFields + ", " + maxContent);
      }
    }
  }

  /** RFC 9112 §2.2 asks to skip "at least one" empty line before a request; a few more are harmless. */
  static final int MAX_LEADING_EMPTY_LINES = 8;
  /** The line buffer an idle connection keeps; one that grew for a long line is dropped after its request. */
  static final int INITIAL_LINE = 256;

  private final Limits limits;
  /** The line being received, without its line ending: allocated at the first byte, grown up to the limit. */
  private byte[] line;
  private int length;
  /** The last byte was a CR: the next must be LF. */
  private boolean cr;
  /** Whether a byte of the current request (head or content) has been consumed. */
  private boolean inRequest;
  /** The request line is done; field lines come now. */
  private boolean inFields;
  private int emptyLines;
  private RequestLine requestLine;
  private List<HttpRequest.Field> fields;
  /** Bytes of field lines the request may still send. */
  private int budget;
  /** Bytes of the current request's content not yet consumed. */
  private long contentLeft;

  public HttpRequestParser(Limits limits) {
    this.limits = Objects.requireNonNull(limits, "limits");
  }

  /**
   * Consumes the readable bytes of {@code in} up to the end of the next request head (request line
   * and header fields, up to and including the empty line), advancing its reader index. Its
   * content, if it has any, comes next: {@link #discardContent} it before asking for the next one.
   *
   * @return the request, or null if {@code in} ran out first: everything was consumed, and parsing
   *     resumes where it stopped with the next bytes
   * @throws HttpException the request is invalid or too large: answer with its status and close
   * @throws IllegalStateException if the previous request's content has not been discarded
   */
  public HttpRequest next(ByteBuf in) throws HttpException {
    if (contentLeft > 0) {
      throw new IllegalStateException(contentLeft + " bytes of request content must be discarded first");
    }
    int i = in.readerIndex();
    int end = in.writerIndex();
    try {
      while (i < end) {
        byte b = in.getByte(i++);
        inRequest = true;
        if (cr) {
          if (b != '\n') {
            throw bad("bare CR (not followed by LF)");
          }
          cr = false;
          HttpRequest r = endOfLine();
          if (r != null) {
            return r;
          }
        } else if (b == '\n') {
          HttpRequest r = endOfLine();
          if (r != null) {
            return r;
          }
        } else if (b == '\r') {
          cr = true;
        } else {
          append(b);
        }
      }
      return null;
    } finally {
      in.readerIndex(i);
    }
  }

  /**
   * Consumes the content of the request just returned by {@link #next} from {@code in} and throws
   * it away. Returns whether all of it has been consumed; if not, call again with more bytes.
   */
  public boolean discardContent(ByteBuf in) {
    int n = (int) Math.min(contentLeft, in.readableBytes());
    in.skipBytes(n);
    contentLeft -= n;
    if (contentLeft == 0) {
      inRequest = false;
      return true;
    }
    return false;
  }

  /**
   * Whether a request is under way: some of its bytes (head or content) have been consumed, but not
   * all. The end of the stream then cuts a request off, and a timeout is 408 rather than idleness.
   */
  public boolean inRequest() {
    return inRequest;
  }

  /** Adds a byte to the line, or refuses it when the line would pass its limit. */
  private void append(byte b) throws HttpException {
    int max = inFields ? budget : limits.maxRequestLine();
    if (length == max) {
      throw inFields
          ? new HttpException(431, "header fields larger than " + limits.maxFieldBytes() + " bytes")
          : new HttpException(414, "request line longer than " + limits.maxRequestLine() + " bytes");
    }
    if (line == null || length == line.length) {
      int cap = Math.max(limits.maxRequestLine(), limits.maxFieldBytes());
      line = line == null ? new byte[Math.min(INITIAL_LINE, cap)] : Arrays.copyOf(line, Math.min(2 * line.length, cap));
    }
    line[length++] = b;
  }

  /** A line ended: the request line, a field line, or the empty line that ends the head (then the request). */
  private HttpRequest endOfLine() throws HttpException {
    int n = length;
    length = 0;
    if (!inFields) {
      if (n == 0) {
        if (++emptyLines > MAX_LEADING_EMPTY_LINES) {
          throw bad("more than " + MAX_LEADING_EMPTY_LINES + " empty lines before the request line");
        }
        return null;
      }
      requestLine = parseRequestLine(n);
      inFields = true;
      budget = limits.maxFieldBytes();
      fields = new ArrayList<>();
      return null;
    }
    if (n > 0) {
      if (fields.size() == limits.maxFields()) {
        throw new HttpException(431, "more than " + limits.maxFields() + " header fields");
      }
      budget -= n;
      fields.add(parseField(n));
      return null;
    }
    HttpRequest r = checkFraming(new HttpRequest(requestLine.method(), requestLine.target(), requestLine.minorVersion(),
        fields, 0));
    inFields = false;
    emptyLines = 0;
    requestLine = null;
    fields = null;
    if (line != null && line.length > INITIAL_LINE) {
      line = null; // a long line's buffer is not kept for the life of the connection
    }
    contentLeft = r.contentLength();
    inRequest = contentLeft > 0;
    return r;
  }

  // ---------------------------------------------------------------- request line (RFC 9112 §3)

  private record RequestLine(String method, String target, int minorVersion) {}

  /** Parses {@code line[0, length)} as the request line. */
  private RequestLine parseRequestLine(int length) throws HttpException {
    int sp1 = indexOf(' ', 0, length);
    int sp2 = sp1 < 0 ? -1 : indexOf(' ', sp1 + 1, length);
    if (sp1 <= 0 || sp2 <= sp1 + 1 || sp2 == length - 1 || indexOf(' ', sp2 + 1, length) >= 0) {
      throw bad("request line is not \"method SP request-target SP HTTP-version\"");
    }
    for (int i = 0; i < sp1; i++) {
      if (!isTchar(line[i])) {
        throw bad("invalid byte 0x" + hex(line[i]) + " in the method");
      }
    }
    for (int i = sp1 + 1; i < sp2; i++) {
      if (line[i] < 0x21 || line[i] > 0x7E) { // bytes are signed: 0x80-0xFF are negative
        throw bad("invalid byte 0x" + hex(line[i]) + " in the request target");
      }
    }
    String method = ascii(0, sp1);
    String target = ascii(sp1 + 1, sp2);
    if (!(target.startsWith("/") || isAbsoluteForm(target)
        || target.equals("*") && method.equals("OPTIONS") || method.equals("CONNECT"))) {
      throw bad("request target is neither a path nor an absolute URI");
    }
    // HTTP-version = "HTTP/" DIGIT "." DIGIT, case-sensitive (RFC 9112 §2.3)
    String version = ascii(sp2 + 1, length);
    if (version.length() != 8 || !version.startsWith("HTTP/") || !isDigit(version.charAt(5))
        || version.charAt(6) != '.' || !isDigit(version.charAt(7))) {
      throw bad("invalid HTTP version");
    }
    if (version.charAt(5) != '1') {
      throw new HttpException(505, version + " is not supported: this server speaks HTTP/1.1");
    }
    int minor = Math.min(version.charAt(7) - '0', 1);
    return new RequestLine(method, target, minor);
  }

  private static boolean isAbsoluteForm(String target) {
    int colon = target.indexOf("://");
    if (colon <= 0) {
      return false;
    }
    for (int i = 0; i < colon; i++) { // scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ), RFC 3986 §3.1
      char c = target.charAt(i);
      if (!(isAlpha(c) || i > 0 && (isDigit(c) || c == '+' || c == '-' || c == '.'))) {
        return false;
      }
    }
    return true;
  }

  // ---------------------------------------------------------------- field lines (RFC 9112 §5)

  private HttpRequest.Field parseField(int length) throws HttpException {
    if (line[0] == ' ' || line[0] == '\t') {
      throw bad("obsolete line folding (a field line starting with whitespace)");
    }
    int colon = indexOf(':', 0, length);
    if (colon < 0) {
      throw bad("header field line without a colon");
    }
    if (colon == 0) {
      throw bad("header field with an empty name");
    }
    for (int i = 0; i < colon; i++) {
      if (!isTchar(line[i])) {
        throw bad(line[i] == ' ' || line[i] == '\t'
            ? "whitespace between a field name and its colon"
            : "invalid byte 0x" + hex(line[i]) + " in a field name");
      }
    }
    int start = colon + 1;
    int stop = length;
    while (start < stop && isOws(line[start])) {
      start++;
    }
    while (stop > start && isOws(line[stop - 1])) {
      stop--;
    }
    for (int i = start; i < stop; i++) {
      int b = line[i] & 0xFF;
      if (b < 0x20 && b != '\t' || b == 0x7F) { // field-vchar / obs-text, SP, HTAB (RFC 9110 §5.5)
        throw bad("control character 0x" + hex(line[i]) + " in a field value");
      }
    }
    return new HttpRequest.Field(ascii(0, colon), new String(line, start, stop - start, StandardCharsets.ISO_8859_1));
  }

  /** The checks that decide how long the message is (RFC 9112 §6.3) and whom it is for (§3.2). */
  private HttpRequest checkFraming(HttpRequest r) throws HttpException {
    int hosts = r.headers("Host").size();
    if (hosts > 1 || hosts == 0 && r.minorVersion() >= 1) {
      throw bad(hosts == 0 ? "HTTP/1.1 request without a Host field" : "more than one Host field");
    }
    if (!r.headers("Transfer-Encoding").isEmpty()) {
      if (r.minorVersion() == 0) {
        throw bad("Transfer-Encoding in an HTTP/1.0 request");
      }
      throw new HttpException(501, "request content with a Transfer-Encoding is not supported");
    }
    List<String> lengths = r.headers("Content-Length");
    if (lengths.isEmpty()) {
      return r;
    }
    String value = lengths.get(0);
    if (lengths.size() > 1 || value.isEmpty() || !value.chars().allMatch(HttpRequestParser::isDigit)) {
      throw bad("invalid Content-Length");
    }
    // more digits than a long holds is certainly too large
    long contentLength = value.length() > 18 ? Long.MAX_VALUE : Long.parseLong(value);
    if (contentLength > limits.maxContent()) {
      throw new HttpException(413, "request content larger than " + limits.maxContent() + " bytes");
    }
    return new HttpRequest(r.method(), r.target(), r.minorVersion(), r.fields(), contentLength);
  }

  // ---------------------------------------------------------------- bytes and lines

  private int indexOf(char c, int from, int to) {
    for (int i = from; i < to; i++) {
      if (line[i] == c) {
        return i;
      }
    }
    return -1;
  }

  private String ascii(int from, int to) {
    return new String(line, from, to - from, StandardCharsets.US_ASCII);
  }

  private static HttpException bad(String why) {
    return new HttpException(400, why);
  }

  private static String hex(byte b) {
    return String.format("%02X", b & 0xFF);
  }

  /** tchar (RFC 9110 §5.6.2): the characters of a method or field name. */
  static boolean isTchar(int b) {
    return isAlpha(b) || isDigit(b) || b > 0 && "!#$%&'*+-.^_`|~".indexOf(b) >= 0;
  }

  private static boolean isAlpha(int c) {
    return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z';
  }

  private static boolean isDigit(int c) {
    return c >= '0' && c <= '9';
  }

  private static boolean isOws(byte b) {
    return b == ' ' || b == '\t';
  }
}
