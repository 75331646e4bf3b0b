package io.tcpstack.examples.apps;

import io.tcpstack.examples.cli.StackJmx;
import io.tcpstack.examples.http.HttpServer;
import io.tcpstack.examples.services.ChargenService;
import io.tcpstack.examples.services.DiscardService;
import io.tcpstack.examples.services.EchoService;
import io.tcpstack.examples.services.UdpEchoService;

/**
 * {@code services}: the classic small services benchmarks and people reach for — echo (7),
 * discard (9), chargen (19) and http (80) on TCP, and echo on UDP port 7 (RFC 862). {@code
 * ./tcpstack serve} runs these. Unlike the tutorial examples they are event-driven ({@link
 * io.tcpstack.api.TcpChannel}, {@link io.tcpstack.api.UdpChannel}): all five run on the stack
 * thread, with no thread per connection, so thousands of clients cost memory, not threads.
 * While they run, the stack's counters and gauges are a JMX MBean too ({@link StackJmx}).
 */
public final class ServicesExample implements Example {

  @Override
  public String name() {
    return "services";
  }

  @Override
  public String summary() {
    return "echo (TCP 7), discard (9), chargen (19), http (80) and UDP echo (7) together; what serve runs";
  }

  @Override
  public void check(ExampleContext context) throws io.tcpstack.examples.cli.UsageException {
    context.options().noPositionals();
  }

  @Override
  public int run(ExampleContext context) throws Exception {
    int backlog = context.backlog();
    try (StackJmx jmx = context.registerMBean(); // io.tcpstack:type=Stack while it serves
        EchoService echo = EchoService.start(context.runtime(), EchoService.PORT, backlog);
        DiscardService discard = DiscardService.start(context.runtime(), DiscardService.PORT, backlog);
        ChargenService chargen = ChargenService.start(context.runtime(), ChargenService.PORT, backlog);
        HttpServer http = HttpServer.start(context.runtime(), HttpServer.PORT, backlog);
        UdpEchoService udpEcho = UdpEchoService.start(context.runtime(), UdpEchoService.PORT)) {
      return context.serveUntilStopped("echo on TCP port " + EchoService.PORT + ", discard " + DiscardService.PORT
          + ", chargen " + ChargenService.PORT + ", http " + HttpServer.PORT + "; echo on UDP port " + UdpEchoService.PORT);
    }
  }
}
