package io.tcpstack.testing;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A strict little JSON parser (RFC 8259) for tests that check what the stack writes: objects become
 * {@code Map<String, Object>} (in order), arrays {@code List<Object>}, numbers {@code Long} when
 * integral else {@code Double}, and {@code true}/{@code false}/{@code null} themselves. Anything
 * malformed — a trailing comma, an unescaped control character, a bad escape, text after the value
 * — throws {@link IllegalArgumentException} with the offset.
 */
public final class MiniJson {

  private final String s;
  private int i;

  private MiniJson(String s) {
    this.s = s;
  }

  /** Parses {@code text}, which must hold exactly one JSON value (white space around it allowed). */
  public static Object parse(String text) {
    MiniJson p = new MiniJson(text);
    p.space();
    Object v = p.value();
    p.space();
    if (p.i != text.length()) {
      throw p.error("text after the value");
    }
    return v;
  }

  private Object value() {
    if (i >= s.length()) {
      throw error("a value expected");
    }
    char c = s.charAt(i);
    switch (c) {
      case '{':
        return object();
      case '[':
        return array();
      case '"':
        return string();
      case 't':
        return literal("true", Boolean.TRUE);
      case 'f':
        return literal("false", Boolean.FALSE);
      case 'n':
        return literal("null", null);
      default:
        if (c == '-' || (c >= '0' && c <= '9')) {
          return number();
        }
        throw error("unexpected '" + c + "'");
    }
  }

  private Map<String, Object> object() {
    Map<String, Object> m = new LinkedHashMap<>();
    i++;
    space();
    if (peek() == '}') {
      i++;
      return m;
    }
    while (true) {
      space();
      if (peek() != '"') {
        throw error("a member name expected");
      }
      String name = string();
      space();
      expect(':');
      space();
      if (m.put(name, value()) != null) {
        throw error("duplicate member " + name);
      }
      space();
      char c = next();
      if (c == '}') {
        return m;
      }
      if (c != ',') {
        throw error("',' or '}' expected");
      }
    }
  }

  private List<Object> array() {
    List<Object> a = new ArrayList<>();
    i++;
    space();
    if (peek() == ']') {
      i++;
      return a;
    }
    while (true) {
      space();
      a.add(value());
      space();
      char c = next();
      if (c == ']') {
        return a;
      }
      if (c != ',') {
        throw error("',' or ']' expected");
      }
    }
  }

  private String string() {
    expect('"');
    StringBuilder b = new StringBuilder();
    while (true) {
      char c = next();
      if (c == '"') {
        return b.toString();
      }
      if (c < 0x20) {
        throw error("unescaped control character");
      }
      if (c != '\\') {
        b.append(c);
        continue;
      }
      char e = next();
      switch (e) {
        case '"', '\\', '/' -> b.append(e);
        case 'b' -> b.append('\b');
        case 'f' -> b.append('\f');
        case 'n' -> b.append('\n');
        case 'r' -> b.append('\r');
        case 't' -> b.append('\t');
        case 'u' -> {
          if (i + 4 > s.length()) {
            throw error("short \\u escape");
          }
          b.append((char) Integer.parseInt(s.substring(i, i + 4), 16));
          i += 4;
        }
        default -> throw error("bad escape \\" + e);
      }
    }
  }

  private Object number() {
    int start = i;
    if (peek() == '-') {
      i++;
    }
    boolean integral = true;
    while (i < s.length() && "0123456789.eE+-".indexOf(s.charAt(i)) >= 0) {
      char c = s.charAt(i++);
      if (c == '.' || c == 'e' || c == 'E') {
        integral = false;
      }
    }
    String n = s.substring(start, i);
    if (!n.matches("-?(0|[1-9][0-9]*)(\\.[0-9]+)?([eE][+-]?[0-9]+)?")) {
      throw error("bad number " + n);
    }
    return integral ? (Object) Long.parseLong(n) : (Object) Double.parseDouble(n);
  }

  private Object literal(String word, Object v) {
    if (!s.startsWith(word, i)) {
      throw error(word + " expected");
    }
    i += word.length();
    return v;
  }

  private void space() {
    while (i < s.length() && " \t\r\n".indexOf(s.charAt(i)) >= 0) {
      i++;
    }
  }

  private char peek() {
    return i < s.length() ? s.charAt(i) : '\0';
  }

  private char next() {
    if (i >= s.length()) {
      throw error("unexpected end");
    }
    return s.charAt(i++);
  }

  private void expect(char c) {
    if (next() != c) {
      throw error("'" + c + "' expected");
    }
  }

  private IllegalArgumentException error(String what) {
    return new IllegalArgumentException("JSON: " + what + " at offset " + i);
  }
}
