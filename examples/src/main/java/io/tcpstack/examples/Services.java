package io.tcpstack.examples;

import io.tcpstack.TcpStack;
import io.tcpstack.examples.http.HttpServer;
import io.tcpstack.examples.services.ChargenService;
import io.tcpstack.examples.services.DiscardService;
import io.tcpstack.examples.services.EchoService;
import io.tcpstack.examples.services.UdpEchoService;
import java.io.IOException;

/**
 * The classic small services that benchmarks and people reach for — echo (7), discard (9),
 * chargen (19) and http (80) on TCP, and echo on UDP port 7 (RFC 862, 863, 864) — all at once;
 * {@code ./tcpstack serve} runs this. Unlike the tutorial programs they are event-driven ({@link
 * io.tcpstack.api.TcpChannel}, {@link io.tcpstack.api.UdpChannel}): all five run on the stack
 * thread, with no thread per connection, so thousands of clients cost memory, not threads.
 *
 * <pre>
 *   ./tcpstack serve --netns demo
 *   ip netns exec demo sh -c "ping -c 1 198.18.0.2; curl http://198.18.0.2/; nc 198.18.0.2 19 | head -3"
 * </pre>
 */
public final class Services {

  private Services() {}

  public static void main(String[] args) throws IOException, InterruptedException {
    try (TcpStack stack = TcpStack.builder().address("198.18.0.2/24").address6("fd00:7463:7073::2/64").open();
        EchoService echo = EchoService.start(stack.runtime(), EchoService.PORT, stack.backlog());
        DiscardService discard = DiscardService.start(stack.runtime(), DiscardService.PORT, stack.backlog());
        ChargenService chargen = ChargenService.start(stack.runtime(), ChargenService.PORT, stack.backlog());
        HttpServer http = HttpServer.start(stack.runtime(), HttpServer.PORT, stack.backlog());
        UdpEchoService udpEcho = UdpEchoService.start(stack.runtime(), UdpEchoService.PORT)) {
      System.out.println("ready: " + stack + "; echo on TCP port " + EchoService.PORT + ", discard "
          + DiscardService.PORT + ", chargen " + ChargenService.PORT + ", http " + HttpServer.PORT
          + "; echo on UDP port " + UdpEchoService.PORT);
      stack.awaitTermination(); // they all serve on the stack thread until Ctrl-C
    }
  }
}
