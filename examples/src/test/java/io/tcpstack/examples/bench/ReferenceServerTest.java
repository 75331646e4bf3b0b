package io.tcpstack.examples.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The reference server's command line and content, without the network (bench/scale runs it). */
class ReferenceServerTest {

  @ParameterizedTest
  @ValueSource(strings = {"--bogus 1", "--bind", "--backlog 0", "--backlog x", "--port-offset -1",
      "--port-offset 65500", "--bind localhost", "--bind 198.19.0.256", "--bind 1.2.3", "--bind 1.2.3.4.5",
      "--bind ::1"})
  void mistakesAreOneLineErrorsWithStatus2(String args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int status = ReferenceServer.run(args.split(" "), new PrintStream(out), new PrintStream(err));
    assertEquals(2, status, err.toString(StandardCharsets.UTF_8));
    assertEquals("", out.toString(StandardCharsets.UTF_8));
    String e = err.toString(StandardCharsets.UTF_8);
    assertTrue(e.startsWith("reference-server: error: ") && e.lines().count() == 1, e);
  }

  @Test
  void bindTakesIpv4LiteralsOnly() {
    assertEquals("198.19.0.2", ReferenceServer.ipv4("198.19.0.2").getHostAddress());
    assertEquals("0.0.0.0", ReferenceServer.ipv4("0.0.0.0").getHostAddress());
    assertEquals(null, ReferenceServer.ipv4("example.com"));
    assertEquals(null, ReferenceServer.ipv4("1..2.3"));
  }

  @Test
  void bytesLengthsAsTheStacksServer() {
    assertEquals(0, ReferenceServer.parseLength("0"));
    assertEquals(1000, ReferenceServer.parseLength("1000"));
    assertEquals(1L << 30, ReferenceServer.parseLength("1073741824"));
    assertEquals(-1, ReferenceServer.parseLength("1073741825"));
    assertEquals(-1, ReferenceServer.parseLength(""));
    assertEquals(-1, ReferenceServer.parseLength("-1"));
    assertEquals(-1, ReferenceServer.parseLength("12a"));
  }

  @Test
  void patternsRepeatFromAnyOffset() {
    byte[] a = ReferenceServer.ALPHABET;
    for (int i = 0; i < a.length; i++) {
      assertEquals('a' + i % 26, a[i]);
    }
    byte[] c = ReferenceServer.CHARGEN_PATTERN;
    int period = ReferenceServer.CHARGEN_PERIOD;
    assertTrue(c.length - period >= 64 * 1024, "a full write fits after any offset in the period");
    for (int i = period; i < c.length; i++) {
      assertEquals(c[i - period], c[i]);
    }
    assertEquals(' ', c[0]);
    assertEquals('\r', c[72]);
    assertEquals('\n', c[73]);
    assertEquals('!', c[74]);
  }
}
