package io.tcpstack.examples.http;

import io.tcpstack.NetworkStack;
import io.tcpstack.examples.http.HttpConnection.Content;
import io.tcpstack.examples.http.HttpConnection.Resource;
import io.tcpstack.metrics.ConnectionTable;
import io.tcpstack.metrics.PrometheusText;
import io.tcpstack.metrics.StackGauges;
import io.tcpstack.metrics.StackMetrics;
import java.util.Locale;
import java.util.Map;

/**
 * The pages of {@link HttpServer} that show the stack itself:
 *
 * <ul>
 *   <li>{@code GET /metrics}: every counter and gauge in the Prometheus text format 0.0.4 ({@link
 *       StackMetrics}), for a Prometheus server or {@code curl};
 *   <li>{@code GET /connections}: the TCP table — listeners, connections with their TCP_INFO,
 *       TIME-WAIT records — as {@code ss}-like text, or as JSON when the request's {@code Accept}
 *       names {@code application/json} (or the query says {@code format=json}); the first {@value
 *       ConnectionTable#DEFAULT_LIMIT} rows, or {@code ?limit=N} (at most {@value
 *       ConnectionTable#MAX_LIMIT}), and the answer says when rows were left out.
 * </ul>
 *
 * <p>The server's handlers run on the stack thread, so both read the stack directly: the counters
 * as any thread may, the gauges and the table as only the stack thread may.
 */
final class StackPages {

  static final String METRICS = "/metrics";
  static final String CONNECTIONS = "/connections";
  static final String JSON = "application/json";
  static final String TEXT = "text/plain; charset=utf-8";

  private StackPages() {}

  /** The pages of {@code stack}, by path; they run on its thread. */
  static Map<String, Resource> of(NetworkStack stack) {
    return Map.of(METRICS, request -> metrics(stack), CONNECTIONS, request -> connections(stack, request));
  }

  static Content metrics(NetworkStack stack) {
    return Content.ok(PrometheusText.CONTENT_TYPE,
        StackMetrics.prometheus(stack.counters().snapshot(), StackGauges.collect(stack)));
  }

  static Content connections(NetworkStack stack, HttpRequest request) {
    int limit = ConnectionTable.DEFAULT_LIMIT;
    String asked = request.queryParameter("limit");
    if (asked != null) {
      try {
        limit = Integer.parseInt(asked);
      } catch (NumberFormatException e) {
        limit = -1;
      }
      if (limit < 0 || limit > ConnectionTable.MAX_LIMIT) {
        return new Content(400, TEXT, ("400 Bad Request: limit must be a number of rows from 0 to "
            + ConnectionTable.MAX_LIMIT + "\n").getBytes(java.nio.charset.StandardCharsets.UTF_8));
      }
    }
    ConnectionTable table = ConnectionTable.collect(stack, limit);
    return wantsJson(request) ? Content.ok(JSON, table.json()) : Content.ok(TEXT, table.text());
  }

  /** The client asked for JSON: {@code Accept} names application/json, or the query has {@code format=json}. */
  static boolean wantsJson(HttpRequest request) {
    if ("json".equals(request.queryParameter("format"))) {
      return true;
    }
    for (String accept : request.headers("Accept")) {
      for (String range : accept.split(",")) {
        String type = range.split(";")[0].strip().toLowerCase(Locale.ROOT);
        if (type.equals(JSON)) {
          return true;
        }
      }
    }
    return false;
  }
}
