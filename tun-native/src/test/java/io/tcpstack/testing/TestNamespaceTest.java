package io.tcpstack.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.opentest4j.AssertionFailedError;

@RequiresTun
class TestNamespaceTest {

  private static final Duration LIMIT = Duration.ofSeconds(30);

  @Test
  void createsAUniqueNamespaceWithLoopbackUpAndCloseDeletesIt() {
    TestNamespace ns = TestNamespace.create();
    try (TestNamespace other = TestNamespace.create()) {
      assertTrue(ns.name().startsWith("tcps-t-" + ProcessHandle.current().pid() + "-"), ns.name());
      assertFalse(ns.name().equals(other.name()));
      assertEquals("/run/netns/" + ns.name(), ns.path().toString());
      assertTrue(Files.exists(ns.path()));
      String lo = ns.ip("-o", "link", "show", "dev", "lo").assertSuccess().stdout();
      assertTrue(lo.matches("(?s).*<[^>]*\\bUP\\b[^>]*>.*"), lo);
    } finally {
      ns.close();
    }
    assertFalse(Files.exists(ns.path()));
    assertFalse(netnsList().contains(ns.name()));
    ns.close(); // safe twice
  }

  @Test
  void execRunsInsideAndCapturesStdoutStderrAndExitCode() {
    try (TestNamespace ns = TestNamespace.create()) {
      ProcessResult result = ns.exec(LIMIT, "sh", "-c", "echo out; echo err >&2; exit 3");
      assertEquals(3, result.exitCode());
      assertEquals("out\n", result.stdout());
      assertEquals("err\n", result.stderr());
      assertFalse(result.succeeded());
      assertTrue(result.toString().contains("exit code: 3"), result.toString());
      assertTrue(result.toString().contains("ip netns exec " + ns.name() + " sh -c"), result.toString());
      assertThrows(AssertionFailedError.class, result::assertSuccess);

      List<String> links = ns.exec(LIMIT, "ip", "-o", "link", "show").assertSuccess().stdout().lines().toList();
      assertEquals(1, links.size(), "only lo in a fresh namespace: " + links);
      assertTrue(links.get(0).contains(": lo:"), links.get(0));
    }
  }

  @Test
  void execKillsTheProcessTreeOnTimeoutAndSaysSo() {
    try (TestNamespace ns = TestNamespace.create()) {
      AssertionFailedError e = assertThrows(AssertionFailedError.class,
          () -> ns.exec(Duration.ofSeconds(1), "sh", "-c", "echo started; sleep 600 & sleep 600"));
      assertTrue(e.getMessage().contains("timed out after PT1S"), e.getMessage());
      assertTrue(e.getMessage().contains("started"), "output so far is shown: " + e.getMessage());
      assertEquals("", pidsIn(ns), "the shell and both sleeps are gone");
    }
  }

  @Test
  void closeKillsStartedProcessesAndTheirDescendants() throws Exception {
    TestNamespace ns = TestNamespace.create();
    Process process;
    List<ProcessHandle> descendants;
    try {
      process = ns.start("sh", "-c", "sleep 600 & echo started; wait");
      try (BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
        assertEquals("started", out.readLine());
        descendants = process.descendants().toList();
        assertFalse(descendants.isEmpty(), "the background sleep");
        assertFalse(pidsIn(ns).isEmpty());
      }
    } finally {
      ns.close();
    }
    assertFalse(process.isAlive());
    descendants.forEach(d -> assertFalse(d.isAlive(), "descendant " + d.pid()));
    assertFalse(Files.exists(ns.path()));
  }

  private static String pidsIn(TestNamespace ns) {
    return Processes.run(LIMIT, List.of("ip", "netns", "pids", ns.name())).assertSuccess().stdout().strip();
  }

  private static String netnsList() {
    return Processes.run(LIMIT, List.of("ip", "netns", "list")).assertSuccess().stdout();
  }
}
