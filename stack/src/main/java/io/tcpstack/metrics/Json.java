package io.tcpstack.metrics;

/** The little JSON this package writes: strings escaped by RFC 8259 §7. */
final class Json {

  private Json() {}

  /** {@code s} as a JSON string, quotes included; null as {@code null}. */
  static StringBuilder string(String s, StringBuilder out) {
    if (s == null) {
      return out.append("null");
    }
    out.append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> out.append("\\\"");
        case '\\' -> out.append("\\\\");
        case '\n' -> out.append("\\n");
        case '\r' -> out.append("\\r");
        case '\t' -> out.append("\\t");
        case '\b' -> out.append("\\b");
        case '\f' -> out.append("\\f");
        default -> {
          if (c < 0x20) { // RFC 8259 §7: the other control characters as \\u escapes
            out.append(String.format("\\u%04x", (int) c));
          } else {
            out.append(c);
          }
        }
      }
    }
    return out.append('"');
  }
}
