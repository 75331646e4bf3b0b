package io.tcpstack;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Keeps docs/rfc9293-requirements.md honest: every test it names exists, every row has a known
 * status (a MUST is never "chosen not to"), a {@code done} row names a test, and RFC 9293's MUST-1
 * … MUST-69 each appear exactly once.
 */
class RequirementsTableTest {

  /** RFC 9293 Appendix B numbers its MUSTs 1 to 69. */
  static final int RFC9293_MUSTS = 69;

  private static final Path ROOT = Path.of(System.getProperty("user.dir")).getParent();
  private static final Path PAGE = ROOT.resolve("docs/rfc9293-requirements.md");
  private static final Pattern TEST = Pattern.compile("`([A-Z][A-Za-z0-9_]*)((?:\\.[A-Z][A-Za-z0-9_]*)*)#([A-Za-z0-9_]+)`");

  /** One row of a table: its section heading, line number and five cells. */
  record Row(String section, int line, String label, String clause, String requirement, String status, String tests) {}

  private static List<Row> rows;
  private static Map<String, Path> testSources;

  @BeforeAll
  static void read() throws IOException {
    rows = new ArrayList<>();
    String section = "";
    List<String> lines = Files.readAllLines(PAGE, StandardCharsets.UTF_8);
    for (int i = 0; i < lines.size(); i++) {
      String l = lines.get(i);
      if (l.startsWith("## ")) {
        section = l.substring(3);
        continue;
      }
      if (!l.startsWith("|")) {
        continue;
      }
      String[] cells = l.substring(1, l.endsWith("|") ? l.length() - 1 : l.length()).split("(?<!\\\\)\\|", -1);
      assertEquals(5, cells.length, PAGE + ":" + (i + 1) + ": a row has 5 cells (label | § | requirement | status"
          + " | tests); escape a | inside a cell as \\|: " + l);
      String label = cells[0].trim();
      if (label.equals("label") || label.startsWith("---")) {
        continue;
      }
      rows.add(new Row(section, i + 1, label, cells[1].trim(), cells[2].trim(), cells[3].trim(), cells[4].trim()));
    }
    testSources = new HashMap<>();
    for (String module : new String[] {"stack", "examples", "tun-native"}) {
      Path dir = ROOT.resolve(module).resolve("src/test/java");
      if (!Files.isDirectory(dir)) {
        continue;
      }
      try (Stream<Path> files = Files.walk(dir)) {
        files.filter(p -> p.toString().endsWith(".java"))
            .forEach(p -> testSources.put(p.getFileName().toString().replace(".java", ""), p));
      }
    }
  }

  private static String where(Row r) {
    return "docs/rfc9293-requirements.md:" + r.line() + " (" + r.label() + ")";
  }

  @Test
  void everyMustOfRfc9293AppearsExactlyOnceAndNothingElseDoes() {
    Map<String, Integer> count = new LinkedHashMap<>();
    for (Row r : rows) {
      count.merge(r.label(), 1, Integer::sum);
    }
    List<String> twice = count.entrySet().stream().filter(e -> e.getValue() > 1).map(Map.Entry::getKey).toList();
    assertEquals(List.of(), twice, "labels listed more than once");
    TreeSet<Integer> musts = new TreeSet<>();
    for (Row r : rows) {
      Matcher m = Pattern.compile("MUST-(\\d+)").matcher(r.label());
      if (m.matches()) {
        assertEquals("RFC 9293 — MUST", r.section(), where(r) + ": a MUST of RFC 9293 goes in its section");
        musts.add(Integer.parseInt(m.group(1)));
      } else if (r.label().matches("(SHLD|MAY|REC)-\\d+")) {
        assertEquals("RFC 9293 — " + r.label().replaceAll("-\\d+", ""), r.section(), where(r) + ": wrong section");
      } else {
        assertTrue(!r.section().startsWith("RFC 9293"), where(r) + ": RFC 9293's sections hold only its labels");
      }
    }
    List<Integer> missing = new ArrayList<>();
    for (int n = 1; n <= RFC9293_MUSTS; n++) {
      if (!musts.contains(n)) {
        missing.add(n);
      }
    }
    assertEquals(List.of(), missing, "MUST-n of RFC 9293 not listed");
    assertEquals(RFC9293_MUSTS, musts.last(), "RFC 9293 has no MUST-" + musts.last());
  }

  @Test
  void everyRowHasAKnownStatusAndADoneRowNamesATest() {
    for (Row r : rows) {
      String s = r.status();
      boolean done = s.startsWith("done");
      boolean notApplicable = s.startsWith("not applicable");
      boolean chosenNot = s.startsWith("chosen not to");
      assertTrue(done || notApplicable || chosenNot,
          where(r) + ": status is done, not applicable (why) or chosen not to (why): " + s);
      assertTrue(!chosenNot || !r.label().startsWith("MUST"), where(r) + ": a MUST is never 'chosen not to'");
      assertTrue(done || s.length() > "not applicable".length() + 10, where(r) + ": say why: " + s);
      assertTrue(!r.requirement().isEmpty() && !r.clause().isEmpty(), where(r) + ": the requirement and its § are given");
      if (done) {
        assertTrue(TEST.matcher(r.tests()).find(), where(r) + ": a done row names its tests as `Class#method`");
      }
    }
  }

  @Test
  void everyTestNamedExists() throws IOException {
    List<String> unknown = new ArrayList<>();
    Map<Path, String> cache = new HashMap<>();
    for (Row r : rows) {
      Matcher m = TEST.matcher(r.tests());
      while (m.find()) {
        Path source = testSources.get(m.group(1));
        String method = m.group(3);
        String text = source == null ? "" : cache.computeIfAbsent(source, p -> {
          try {
            return Files.readString(p, StandardCharsets.UTF_8);
          } catch (IOException e) {
            throw new UncheckedIOException(e);
          }
        });
        boolean nested = m.group(2).isEmpty()
            || text.contains("class " + m.group(2).substring(m.group(2).lastIndexOf('.') + 1) + " ");
        if (source == null || !nested || !Pattern.compile("\\bvoid\\s+" + method + "\\s*\\(").matcher(text).find()) {
          unknown.add(where(r) + ": " + m.group());
        }
      }
    }
    assertEquals(List.of(), unknown, "tests named in the table that do not exist");
  }
}
