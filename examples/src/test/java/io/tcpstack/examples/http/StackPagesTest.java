package io.tcpstack.examples.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** How /connections reads its request: the query's limit and format, and Accept. */
class StackPagesTest {

  private static HttpRequest get(String target, String... fields) {
    List<HttpRequest.Field> list = new java.util.ArrayList<>();
    for (int i = 0; i < fields.length; i += 2) {
      list.add(new HttpRequest.Field(fields[i], fields[i + 1]));
    }
    return new HttpRequest("GET", target, 1, list, 0);
  }

  @Test
  void queryParametersArePercentDecodedAndMissingOnesNull() {
    HttpRequest r = get("/connections?limit=5&format=json&x=a%20b&flag");
    assertEquals("5", r.queryParameter("limit"));
    assertEquals("json", r.queryParameter("format"));
    assertEquals("a b", r.queryParameter("x"));
    assertEquals("", r.queryParameter("flag"));
    assertNull(r.queryParameter("nope"));
    assertNull(get("/connections").queryParameter("limit"));
    assertEquals("/connections", r.path());
  }

  @Test
  void jsonWhenAcceptNamesItAmongOthersOrTheQueryAsks() {
    assertTrue(StackPages.wantsJson(get("/connections", "Accept", "application/json")));
    assertTrue(StackPages.wantsJson(get("/connections", "Accept", "text/html, Application/JSON;q=0.5")));
    assertTrue(StackPages.wantsJson(get("/connections?format=json")));
    assertFalse(StackPages.wantsJson(get("/connections", "Accept", "*/*")));
    assertFalse(StackPages.wantsJson(get("/connections", "Accept", "application/jsonx")));
    assertFalse(StackPages.wantsJson(get("/connections")));
  }
}
