package io.tcpstack.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tcpstack.metrics.StackMetrics;
import io.tcpstack.stats.StackCounter;
import io.tcpstack.tcp.TcpState;
import io.tcpstack.testing.MiniJson;
import io.tcpstack.testing.ProcessResult;
import io.tcpstack.testing.RequiresTun;
import io.tcpstack.testing.TestNamespace;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * {@code ./tcpstack serve}'s {@code /metrics} and {@code /connections}, fetched with {@code curl}
 * from the Linux side of the TUN link and read by real parsers: the Prometheus client library's
 * (Debian's python3-prometheus-client) and Python's json module.
 */
@RequiresTun
class MetricsIT {

  private static final String STACK = "198.18.0.2";
  private static final String HOST = "198.18.0.1";
  private static final Duration LIMIT = Launched.LIMIT;
  /** Debian's interpreter, which has the distribution's modules; a pyenv shim on PATH may not. */
  private static final String PYTHON = Files.isExecutable(Path.of("/usr/bin/python3")) ? "/usr/bin/python3" : "python3";

  private static String script() {
    try {
      return Path.of(MetricsIT.class.getResource("/metrics/parse_metrics.py").toURI()).toString();
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }

  private static String sh(TestNamespace ns, String command) {
    return ns.exec(LIMIT, "sh", "-c", command).assertSuccess().stdout();
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> object(Object o) {
    return (Map<String, Object>) o;
  }

  @Test
  void metricsParseWithThePrometheusClientAndConnectionsListTheCurlConnection() throws Exception {
    try (TestNamespace ns = TestNamespace.create(); Launched stack = Launched.tcpstack("serve", "--netns", ns.name())) {
      stack.awaitReady();
      String url = "http://" + STACK;
      // Some traffic first: an echo, and a download.
      assertEquals("hi\n", sh(ns, "printf 'hi\\n' | nc -N -w 10 " + STACK + " 7"));
      assertEquals("100000", sh(ns, "curl -sS " + url + "/bytes/100000 | wc -c").strip());

      // /metrics: the content type, then the families as the Prometheus client reads them.
      String headers = sh(ns, "curl -sS -o /dev/null -D - " + url + "/metrics");
      assertTrue(headers.contains("Content-Type: text/plain; version=0.0.4; charset=utf-8\r\n"), headers);
      Map<String, Object> families = object(MiniJson.parse(
          sh(ns, "curl -sS " + url + "/metrics | " + PYTHON + " " + script() + " prometheus")));
      for (StackCounter c : StackCounter.values()) {
        String name = StackMetrics.metricName(c);
        String family = name.substring(0, name.length() - "_total".length()); // the parser drops _total
        Map<String, Object> f = object(families.get(family));
        assertTrue(f != null, family + " in " + families.keySet());
        assertEquals("counter", f.get("type"), family);
        assertEquals(c.description(), f.get("help"), family);
        List<?> samples = (List<?>) f.get("samples");
        assertEquals(name, ((List<?>) samples.get(0)).get(0), family);
      }
      assertTrue(value(families, "tcpstack_tcp_in_segs", null) > 0, "segments received");
      assertTrue(value(families, "tcpstack_tcp_out_segs", null) > 0, "segments sent");
      assertTrue(value(families, "tcpstack_tcp_in_bytes", null) >= 3, "bytes received");
      assertTrue(value(families, "tcpstack_tcp_passive_opens", null) >= 3, "the echo and two curls");
      assertEquals("gauge", object(families.get("tcpstack_tcp_connections")).get("type"));
      for (TcpState s : TcpState.values()) {
        value(families, "tcpstack_tcp_connections", s.name()); // every state has its sample
      }
      assertEquals(4.0, value(families, "tcpstack_tcp_connections", "LISTEN"), "echo, discard, chargen, http");
      assertTrue(value(families, "tcpstack_tcp_connections", "ESTABLISHED") >= 1, "the scrape's own connection");
      assertTrue(value(families, "tcpstack_tcp_buffer_memory_budget_bytes", null) > 0);
      assertEquals("gauge", object(families.get("tcpstack_tcp_buffer_memory_bytes")).get("type"));

      // /connections as text: the curl asking is there, ESTABLISHED, with its own port.
      String text = sh(ns, "curl -sS -w 'LOCAL_PORT %{local_port}\\n' " + url + "/connections");
      Matcher port = Pattern.compile("LOCAL_PORT (\\d+)\\n$").matcher(text);
      assertTrue(port.find(), text);
      String peer = HOST + ":" + port.group(1);
      String mine = "ESTABLISHED +\\d+ +\\d+ +" + Pattern.quote(STACK + ":80") + " +" + Pattern.quote(peer);
      assertTrue(text.lines().anyMatch(l -> l.matches(mine)), text);
      String echo = "LISTEN +0 +\\d+ +" + Pattern.quote(STACK + ":7") + " +\\*:\\*";
      assertTrue(text.lines().anyMatch(l -> l.matches(echo)), text);
      assertTrue(text.lines().anyMatch(l -> l.startsWith("\tcubic ") && l.contains(" rtt:")), text);

      // Over IPv6 the asking curl shows with bracketed addresses, as ss shows them.
      String text6 = sh(ns, "curl -sS -g -w 'LOCAL_PORT %{local_port}\\n' 'http://[fd00:7463:7073::2]/connections'");
      Matcher port6 = Pattern.compile("LOCAL_PORT (\\d+)\\n$").matcher(text6);
      assertTrue(port6.find(), text6);
      String mine6 = "ESTABLISHED +\\d+ +\\d+ +" + Pattern.quote("[fd00:7463:7073::2]:80") + " +"
          + Pattern.quote("[fd00:7463:7073::1]:" + port6.group(1));
      assertTrue(text6.lines().anyMatch(l -> l.matches(mine6)), text6);

      // ... and as JSON, read by Python's json module.
      ProcessResult json = ns.exec(LIMIT, "sh", "-c", "curl -sS -H 'Accept: application/json' "
          + "-w '%{stderr}%{local_port}' " + url + "/connections | " + PYTHON + " " + script() + " json")
          .assertSuccess();
      Map<String, Object> table = object(MiniJson.parse(json.stdout()));
      String jsonPeer = HOST + ":" + json.stderr().strip(); // curl's own port, written to standard error
      assertEquals(false, table.get("truncated"));
      assertTrue(((List<?>) table.get("rows")).stream().map(r -> (List<?>) r)
          .anyMatch(r -> r.get(0).equals("ESTABLISHED") && r.get(1).equals(STACK + ":80") && r.get(2).equals(jsonPeer)
              && (Long) r.get(3) > 0), table.toString());

      assertEquals(0, stack.interrupt(), stack.toString());
    }
  }

  /** The value of the sample of {@code family} (with {@code state} as its label, if given); fails if absent. */
  private static double value(Map<String, Object> families, String family, String state) {
    Map<String, Object> f = object(families.get(family));
    assertTrue(f != null, family + " missing");
    for (Object o : (List<?>) f.get("samples")) {
      List<?> sample = (List<?>) o;
      Map<String, Object> labels = object(sample.get(1));
      if (state == null ? labels.isEmpty() : state.equals(labels.get("state"))) {
        return ((Number) sample.get(2)).doubleValue();
      }
    }
    throw new AssertionError(family + (state == null ? "" : "{state=" + state + "}") + " has no such sample: " + f);
  }
}
