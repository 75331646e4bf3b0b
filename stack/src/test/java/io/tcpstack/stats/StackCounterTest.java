package io.tcpstack.stats;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** Every counter's description is its Javadoc's first sentence, so the two cannot drift apart. */
class StackCounterTest {

  private static final Path SOURCE = Path.of("src/main/java/io/tcpstack/stats/StackCounter.java");
  /** A Javadoc comment (no comment end inside) followed by an enum constant's name and its arguments. */
  private static final Pattern CONSTANT =
      Pattern.compile("/\\*\\*((?:(?!\\*/).)*?)\\*/\\s*([A-Z0-9_]+)\\((?:true|false),", Pattern.DOTALL);
  private static final Pattern INLINE_TAG = Pattern.compile("\\{@(?:code|link|linkplain)\\s+([^}]*)}");
  /** The end of the first sentence: a period (not part of "..") followed by white space or the end. */
  private static final Pattern SENTENCE_END = Pattern.compile("(?<!\\.)\\.(\\s|$)");

  @Test
  void everyDescriptionIsTheFirstSentenceOfItsJavadoc() throws IOException {
    Map<String, String> javadoc = firstSentences(Files.readString(SOURCE, StandardCharsets.UTF_8));
    for (StackCounter c : StackCounter.values()) {
      String expected = javadoc.get(c.name());
      assertNotNull(expected, c + " has no Javadoc comment: give it one, and its first sentence as description");
      assertEquals(expected, c.description(), c + ": the description must be the Javadoc's first sentence");
    }
    assertEquals(StackCounter.values().length, javadoc.size(), "a Javadoc comment for each constant");
  }

  @Test
  void descriptionsAreOneNonEmptyLine() {
    for (StackCounter c : StackCounter.values()) {
      assertFalse(c.description().isBlank(), c.name());
      assertFalse(c.description().contains("\n"), c.name());
      assertTrue(c.description().endsWith("."), c + ": a sentence ends with a period");
    }
  }

  /** The first sentence of each constant's Javadoc, inline tags reduced to their text, by constant name. */
  static Map<String, String> firstSentences(String source) {
    Map<String, String> bySentence = new LinkedHashMap<>();
    Matcher m = CONSTANT.matcher(source);
    while (m.find()) {
      StringBuilder text = new StringBuilder();
      for (String line : m.group(1).strip().split("\n")) {
        text.append(line.replaceFirst("^\\s*\\*\\s?", "").strip()).append(' ');
      }
      String t = INLINE_TAG.matcher(text.toString().strip()).replaceAll("$1").replaceAll("\\s+", " ");
      Matcher end = SENTENCE_END.matcher(t);
      bySentence.put(m.group(2), end.find() ? t.substring(0, end.start() + 1) : t);
    }
    return bySentence;
  }
}
