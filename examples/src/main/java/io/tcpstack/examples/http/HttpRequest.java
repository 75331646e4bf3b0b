package io.tcpstack.examples.http;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * One parsed HTTP/1.x request head: the request line and the header fields (RFC 9112 §2.1, §3, §5).
 * Made by {@link HttpRequestParser}, which has already checked the syntax and the framing, so the
 * values here are well-formed.
 *
 * @param method the method token, case-sensitive (RFC 9110 §9.1): {@code GET}, {@code HEAD}, ...
 * @param target the request-target as sent (RFC 9112 §3.2), visible ASCII only
 * @param minorVersion 0 for HTTP/1.0, 1 for HTTP/1.1 (and for any later 1.x, RFC 9110 §6.2)
 * @param fields the header field lines in the order received; names keep their case
 * @param contentLength the length of the request content from Content-Length, 0 without one
 */
public record HttpRequest(String method, String target, int minorVersion, List<Field> fields, long contentLength) {

  /** One field line (RFC 9112 §5): value without leading and trailing whitespace, ISO-8859-1 text. */
  public record Field(String name, String value) {}

  public HttpRequest {
    fields = List.copyOf(fields);
  }

  /** Whether the method is {@code HEAD}: the response then has headers but no content (RFC 9110 §9.3.2). */
  public boolean isHead() {
    return method.equals("HEAD");
  }

  /** The value of the first field named {@code name} (case-insensitive, RFC 9110 §5.1), or null. */
  public String header(String name) {
    for (Field f : fields) {
      if (f.name().equalsIgnoreCase(name)) {
        return f.value();
      }
    }
    return null;
  }

  /** Every value of the fields named {@code name}, in order. */
  public List<String> headers(String name) {
    List<String> values = new ArrayList<>();
    for (Field f : fields) {
      if (f.name().equalsIgnoreCase(name)) {
        values.add(f.value());
      }
    }
    return values;
  }

  /**
   * Whether the connection stays open after the response (RFC 9112 §9.3): not if the client sent
   * the "close" connection option; otherwise yes for HTTP/1.1, and for HTTP/1.0 only if it asked
   * with "keep-alive" (RFC 9112 Appendix C.2.2).
   */
  public boolean keepAlive() {
    if (hasToken("Connection", "close")) {
      return false;
    }
    return minorVersion >= 1 || hasToken("Connection", "keep-alive");
  }

  /**
   * Whether the client waits for "100 Continue" before sending its content (RFC 9110 §10.1.1); an
   * HTTP/1.0 client's expectation is ignored, as that section requires.
   */
  public boolean expectsContinue() {
    return minorVersion >= 1 && hasToken("Expect", "100-continue");
  }

  /**
   * The path to route on: the target without its query (RFC 9112 §3.2.1), and for an absolute-form
   * target ({@code http://host/path}, RFC 9112 §3.2.2) the part after the authority ("/" if none).
   */
  public String path() {
    String t = target;
    int scheme = t.indexOf("://");
    if (!t.startsWith("/") && scheme > 0) {
      int start = scheme + 3;
      int end = start;
      while (end < t.length() && t.charAt(end) != '/' && t.charAt(end) != '?') {
        end++;
      }
      t = end < t.length() && t.charAt(end) == '/' ? t.substring(end) : "/" + t.substring(end);
    }
    int query = t.indexOf('?');
    return query < 0 ? t : t.substring(0, query);
  }

  /**
   * The value of the first query parameter {@code name} ({@code ?name=value&...}, percent-decoded as
   * a form is), "" for one without {@code =}, or null when the target has none of that name.
   */
  public String queryParameter(String name) {
    int q = target.indexOf('?');
    if (q < 0) {
      return null;
    }
    for (String pair : target.substring(q + 1).split("&")) {
      int eq = pair.indexOf('=');
      String key = eq < 0 ? pair : pair.substring(0, eq);
      if (decode(key).equals(name)) {
        return eq < 0 ? "" : decode(pair.substring(eq + 1));
      }
    }
    return null;
  }

  private static String decode(String s) {
    try {
      return java.net.URLDecoder.decode(s, java.nio.charset.StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      return s; // a malformed escape: taken as it is
    }
  }

  /** Whether a comma-separated list field (RFC 9110 §5.6.1) holds {@code token}, case-insensitive. */
  private boolean hasToken(String name, String token) {
    for (String value : headers(name)) {
      for (String member : value.split(",")) {
        if (member.strip().toLowerCase(Locale.ROOT).equals(token)) {
          return true;
        }
      }
    }
    return false;
  }
}
