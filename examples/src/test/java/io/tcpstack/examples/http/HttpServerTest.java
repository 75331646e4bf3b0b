package io.tcpstack.examples.http;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tcpstack.examples.SimulatedClients;
import io.tcpstack.examples.SimulatedClients.Client;
import io.tcpstack.examples.http.HttpConnectionTest.Response;
import io.tcpstack.metrics.StackMetrics;
import io.tcpstack.stats.StackCounter;
import io.tcpstack.testing.MiniJson;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * {@link HttpServer} on a stack in virtual time ({@link SimulatedClients}): the whole event path —
 * accept, channel events, {@link HttpConnection}, back-pressure from a slow client, the deadline timers —
 * without TUN. What comes back must be byte for byte what {@link HttpConnectionTest} gets in memory.
 */
class HttpServerTest {

  private static final long SECOND = SimulatedClients.SECOND;
  private static final int MEGABYTE = 1_000_000;

  private static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.ISO_8859_1);
  }

  @Test
  void keepAlivePipeliningAndAMegabyteByteExactThroughTheEventPath() {
    byte[] requests = ascii("GET /bytes/3 HTTP/1.1\r\nHost: x\r\n\r\nHEAD /bytes/9 HTTP/1.1\r\nHost: x\r\n\r\n"
        + "GET /bytes/" + MEGABYTE + " HTTP/1.1\r\nHost: x\r\n\r\nGET /nope HTTP/1.1\r\nHost: x\r\n\r\n"
        + "GET /bytes/4 HTTP/1.1\r\nHost: x\r\n\r\n");
    byte[] expected = HttpConnectionTest.serve(requests, requests.length, Integer.MAX_VALUE); // the in-memory answer
    try (SimulatedClients sim = new SimulatedClients()) {
      HttpServer http = HttpServer.bind(sim.server(), HttpServer.PORT, 8, HttpConnectionTest.CLOCK);
      long before = sim.serverHeld();
      Client client = sim.connect(HttpServer.PORT, requests, false); // pipelined, all at once
      client.readPerMs = 10_000; // 10 MB/s: the megabyte waits for the reader, generated as room opens
      assertTrue(sim.runUntil(() -> client.receivedBytes() >= expected.length, 60 * SECOND),
          "got " + client.receivedBytes() + " of " + expected.length);
      sim.runFor(100 * SimulatedClients.MS);

      byte[] got = client.received();
      assertArrayEquals(expected, got, "the event path answers exactly as the in-memory one");
      List<Response> all = HttpConnectionTest.responses(got, false, true, false, false, false);
      assertEquals(List.of(200, 200, 200, 404, 200), all.stream().map(Response::status).toList());
      assertEquals("abc", all.get(0).text());
      assertEquals("9", all.get(1).header("Content-Length"));
      assertEquals(MEGABYTE, all.get(2).body().length);
      for (int i = 0; i < MEGABYTE; i++) {
        if (all.get(2).body()[i] != (byte) ('a' + i % 26)) {
          throw new AssertionError("byte " + i + " of /bytes/" + MEGABYTE);
        }
      }
      assertEquals("abcd", all.get(4).text());
      assertTrue(all.stream().allMatch(r -> r.header("Connection") == null), "kept alive throughout");

      // the same connection serves the next request, later
      assertFalse(client.endOfStream());
      assertEquals(1, serving(sim, http));
      client.send(ascii("GET /bytes/5 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
      assertTrue(sim.runUntil(client::endOfStream, 10 * SECOND), "closed after the response that said so");
      List<Response> more = HttpConnectionTest.responses(client.received(), false, true, false, false, false, false);
      assertEquals(6, more.size());
      assertEquals("abcde", more.get(5).text());
      assertEquals("close", more.get(5).header("Connection"));
      assertNull(client.channel().error());

      client.channel().close();
      assertTrue(sim.runUntil(() -> serving(sim, http) == 0, 10 * SECOND));
      // the server closed first, so its side waits in TIME-WAIT (60 s) before the stack lets it go
      assertTrue(sim.runUntil(() -> sim.server().tcp().connectionCount() == 0, 70 * SECOND));
      assertEquals(before, sim.serverHeld(), "every buffer of the connection went back");
    }
  }

  @Test
  void anIdleConnectionIsClosedAfterThirtySecondsAndAHalfRequestGets408() {
    try (SimulatedClients sim = new SimulatedClients()) {
      HttpServer http = HttpServer.bind(sim.server(), HttpServer.PORT, 8, HttpConnectionTest.CLOCK);
      long before = sim.serverHeld();
      Client idle = sim.connect(HttpServer.PORT, ascii("GET /bytes/1 HTTP/1.1\r\nHost: x\r\n\r\n"), false);
      Client half = sim.connect(HttpServer.PORT, ascii("GET / HTTP/1.1\r\nHo"), false);
      assertTrue(sim.runUntil(() -> idle.receivedBytes() > 0 && serving(sim, http) == 2, SECOND));
      long start = sim.nowNs();
      // each connection's timer fires at its idle deadline, on the stack thread
      sim.runFor(HttpServer.IDLE_TIMEOUT.toNanos() - SECOND);
      assertFalse(idle.endOfStream(), "not before the idle timeout");
      assertEquals(2, serving(sim, http));
      sim.runFor(3 * SECOND);
      assertTrue(sim.runUntil(() -> idle.endOfStream() && half.endOfStream(), SECOND));
      assertEquals(1, HttpConnectionTest.responses(idle.received()).size(), "nothing said to an idle client");
      Response timeout = HttpConnectionTest.responses(half.received()).get(0);
      assertEquals(408, timeout.status());
      assertEquals("close", timeout.header("Connection"));

      // the clients close in turn: the lingering connections close and release everything
      idle.channel().close();
      half.channel().close();
      assertTrue(sim.runUntil(() -> serving(sim, http) == 0, 10 * SECOND));
      assertTrue(sim.runUntil(() -> sim.server().tcp().connectionCount() == 0, 70 * SECOND), "after TIME-WAIT");
      assertEquals(before, sim.serverHeld());
    }
  }

  @Test
  void lingeringEndsAfterTwoSecondsWhenTheClientNeverCloses() {
    try (SimulatedClients sim = new SimulatedClients()) {
      HttpServer http = HttpServer.bind(sim.server(), HttpServer.PORT, 8, HttpConnectionTest.CLOCK);
      Client client = sim.connect(HttpServer.PORT, ascii("this is not http\r\n\r\n"), false);
      assertTrue(sim.runUntil(client::endOfStream, SECOND), "400, then the server half-closes");
      assertEquals(400, HttpConnectionTest.responses(client.received()).get(0).status());
      assertEquals(1, serving(sim, http), "lingering: still reading what the client sends");
      sim.runFor(3 * SECOND);
      assertTrue(sim.runUntil(() -> serving(sim, http) == 0, SECOND), "closed for good after the linger time");
    }
  }

  @Test
  void theHomePageShowsTheConnectionsCongestionControl() {
    try (SimulatedClients sim = new SimulatedClients()) {
      HttpServer.bind(sim.server(), HttpServer.PORT, 8, HttpConnectionTest.CLOCK);
      Client client = sim.connect(HttpServer.PORT, ascii("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"), false);
      assertTrue(sim.runUntil(client::endOfStream, 10 * SECOND));
      String html = HttpConnectionTest.responses(client.received()).get(0).text();
      assertTrue(html.matches("(?s).*<p>This connection: congestion control cubic, cwnd \\d+ bytes, ssthresh none yet, "
          + "smoothed RTT \\d+\\.\\d{3} ms\\.</p>.*"), html);
      client.channel().close();
    }
  }

  @Test
  void metricsAreThePrometheusTextOfTheStacksCountersAndGauges() {
    try (SimulatedClients sim = new SimulatedClients()) {
      HttpServer.bind(sim.server(), HttpServer.PORT, 8, HttpConnectionTest.CLOCK);
      Client client = sim.connect(HttpServer.PORT, ascii("GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"),
          false);
      assertTrue(sim.runUntil(client::endOfStream, 10 * SECOND));
      Response r = HttpConnectionTest.responses(client.received()).get(0);
      assertEquals(200, r.status());
      assertEquals("text/plain; version=0.0.4; charset=utf-8", r.header("Content-Type"));
      assertEquals("no-store", r.header("Cache-Control"));
      String text = r.text();
      for (StackCounter c : StackCounter.values()) {
        String name = StackMetrics.metricName(c);
        assertTrue(text.contains("\n# TYPE " + name + " counter\n" + name + " ") || text.startsWith("# HELP " + name),
            name);
      }
      long segsIn = Long.parseLong(text.replaceFirst("(?s).*\ntcpstack_tcp_in_segs_total (\\d+)\n.*", "$1"));
      assertTrue(segsIn >= 3, "the handshake and the request came in: " + segsIn);
      // the connection asking is open while the page is made; the listener too
      assertTrue(text.contains("\ntcpstack_tcp_connections{state=\"ESTABLISHED\"} 1\n"), text);
      assertTrue(text.contains("\ntcpstack_tcp_connections{state=\"LISTEN\"} 1\n"), text);
      client.channel().close();
    }
  }

  @Test
  void connectionsListTheAskingConnectionAsTextOrJson() {
    try (SimulatedClients sim = new SimulatedClients()) {
      HttpServer.bind(sim.server(), HttpServer.PORT, 8, HttpConnectionTest.CLOCK);
      Client text = sim.connect(HttpServer.PORT, ascii("GET /connections HTTP/1.1\r\nHost: x\r\n\r\n"
          + "GET /connections?limit=1 HTTP/1.1\r\nHost: x\r\n\r\n"
          + "GET /connections HTTP/1.1\r\nHost: x\r\nAccept: text/html, application/json;q=0.9\r\n\r\n"
          + "GET /connections?limit=x HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"), false);
      assertTrue(sim.runUntil(text::endOfStream, 10 * SECOND));
      List<Response> all = HttpConnectionTest.responses(text.received());
      assertEquals(List.of(200, 200, 200, 400), all.stream().map(Response::status).toList());

      String table = all.get(0).text();
      assertEquals("text/plain; charset=utf-8", all.get(0).header("Content-Type"));
      String peer = ":" + text.channel().localPort();
      assertTrue(table.lines().anyMatch(l -> l.startsWith("ESTABLISHED ") && l.endsWith(peer)), table);
      assertTrue(table.lines().anyMatch(l -> l.startsWith("LISTEN ") && l.endsWith("*:*")), table);
      assertTrue(table.endsWith("# 2 rows\n"), table);
      assertTrue(all.get(1).text().endsWith("# truncated: 1 of 2 rows shown (limit 1; ask for more with ?limit=N, "
          + "at most 20000)\n"), all.get(1).text());

      assertEquals("application/json", all.get(2).header("Content-Type"));
      @SuppressWarnings("unchecked")
      Map<String, Object> json = (Map<String, Object>) MiniJson.parse(all.get(2).text());
      assertEquals(false, json.get("truncated"));
      @SuppressWarnings("unchecked")
      List<Map<String, Object>> rows = (List<Map<String, Object>>) json.get("connections");
      Map<String, Object> mine = rows.stream()
          .filter(row -> Long.valueOf(text.channel().localPort()).equals(row.get("remotePort"))).findFirst()
          .orElseThrow(() -> new AssertionError(json.toString()));
      assertEquals("ESTABLISHED", mine.get("state"));
      @SuppressWarnings("unchecked")
      Map<String, Object> info = (Map<String, Object>) mine.get("info");
      assertTrue((Long) info.get("bytesIn") > 0, info.toString());
      text.channel().close();
    }
  }

  private static int serving(SimulatedClients sim, HttpServer http) {
    return http.connections();
  }
}
