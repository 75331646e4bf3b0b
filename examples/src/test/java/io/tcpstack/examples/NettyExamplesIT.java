package io.tcpstack.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;


import io.tcpstack.testing.ProcessResult;
import io.tcpstack.testing.RequiresTun;
import io.tcpstack.testing.TestNamespace;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The Netty examples — unchanged Netty pipelines on the stack's Netty transport — run as a user
 * runs them ({@code ./tcpstack run netty-http --netns NS}) and driven from the Linux side of the
 * TUN link by {@code curl}, ApacheBench ({@code ab}) and {@code nc}, in a namespace each test makes.
 */
@RequiresTun
class NettyExamplesIT {

  private static final String STACK = "198.18.0.2";
  private static final Duration LIMIT = Launched.LIMIT;

  private static Launched serving(TestNamespace ns, String example) throws InterruptedException {
    Launched stack = Launched.tcpstack("run", example, "--netns", ns.name());
    String ready = stack.awaitReady();
    assertTrue(ready.contains(STACK) && ready.contains(ns.name()) && ready.contains(example), ready);
    return stack;
  }

  private static String sh(TestNamespace ns, String command) {
    return ns.exec(LIMIT, "sh", "-c", command).assertSuccess().stdout();
  }

  private static long field(String abOutput, String name) {
    Matcher m = Pattern.compile("(?m)^" + Pattern.quote(name) + ":\\s+(\\d+)").matcher(abOutput);
    assertTrue(m.find(), name + " in:\n" + abOutput);
    return Long.parseLong(m.group(1));
  }

  @Test
  void nettyHttpServesThePageKeepsConnectionsAliveAndAnswers404() throws Exception {
    try (TestNamespace ns = TestNamespace.create(); Launched stack = serving(ns, "netty-http")) {
      String url = "http://" + STACK;
      assertEquals(NettyHttpServer.PAGE, sh(ns, "curl -sS " + url + "/"));
      // The same pipeline over IPv6: the listener takes both families.
      assertEquals(NettyHttpServer.PAGE, sh(ns, "curl -sS -g 'http://[fd00:7463:7073::2]/'"));
      assertEquals("404 not found\n", sh(ns, "curl -sS -w '%{http_code} ' -o /dev/null " + url + "/nope; curl -sS "
          + url + "/nope"));

      // HTTP/1.1 keep-alive: two requests, one connection.
      ProcessResult both = ns.exec(LIMIT, "curl", "-sS", "-v", url + "/", url + "/");
      assertEquals(NettyHttpServer.PAGE + NettyHttpServer.PAGE, both.assertSuccess().stdout());
      assertTrue(both.stderr().contains("Re-using existing connection"), both.stderr());

      // ApacheBench: HTTP/1.0 with Connection: keep-alive, 10 at a time; every request answered in full.
      String ab = sh(ns, "ab -k -n 2000 -c 10 " + url + "/ 2>&1");
      assertEquals(2000, field(ab, "Complete requests"), ab);
      assertEquals(0, field(ab, "Failed requests"), ab);
      assertEquals(2000, field(ab, "Keep-Alive requests"), ab);
      assertEquals(NettyHttpServer.PAGE.length(), field(ab, "Document Length"), ab);
      assertEquals(0, stack.interrupt(), stack.toString());
    }
  }

  @Test
  void nettyEchoReturnsNcsBytesExactly() throws Exception {
    try (TestNamespace ns = TestNamespace.create(); Launched stack = serving(ns, "netty-echo")) {
      // The event loop drives the stack from the start: it answers ping as any stack does.
      assertTrue(sh(ns, "ping -n -c 2 -i 0.2 -W 5 " + STACK).contains("2 received"));
      assertEquals("hello, netty\n", sh(ns, "printf 'hello, netty\\n' | nc -N -w 10 " + STACK + " 7"));
      // A megabyte of random bytes, sent and echoed through one connection: the same digest back.
      String digests = sh(ns, "head -c 1000000 /dev/urandom > /tmp/netty-echo-$$ && sha256sum < /tmp/netty-echo-$$"
          + " && nc -N -w 20 " + STACK + " 7 < /tmp/netty-echo-$$ | sha256sum; rm -f /tmp/netty-echo-$$");
      String[] lines = digests.split("\n");
      assertEquals(2, lines.length, digests);
      assertEquals(lines[0], lines[1], "the echo is byte-exact");
      assertEquals(0, stack.interrupt(), stack.toString());
    }
  }
}
