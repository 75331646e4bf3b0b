package io.tcpstack.examples.apps;

import io.tcpstack.examples.cli.StackJmx;
import io.tcpstack.examples.http.HttpServer;
import io.tcpstack.examples.services.ChargenService;
import io.tcpstack.examples.services.DiscardService;
import io.tcpstack.examples.services.EchoService;

/**
 * {@code services}: the classic small services benchmarks and people reach for — echo (7),
 * discard (9), chargen (19) and http (80). {@code ./tcpstack serve} runs these. Unlike the
 * tutorial examples they are event-driven ({@link io.tcpstack.api.TcpChannel}): all four run on
 * the stack thread, with no thread per connection, so thousands of clients cost memory, not threads.
 * While they run, the stack's counters and gauges are a JMX MBean too ({@link StackJmx}).
 */
public final class ServicesExample implements Example {

  @Override
  public String name() {
    return "services";
  }

  @Override
  public String summary() {
    return "echo (TCP 7), discard (9), chargen (19) and http (80) together; what serve runs";
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
        HttpServer http = HttpServer.start(context.runtime(), HttpServer.PORT, backlog)) {
      return context.serveUntilStopped("echo on TCP port " + EchoService.PORT + ", discard " + DiscardService.PORT
          + ", chargen " + ChargenService.PORT + ", http " + HttpServer.PORT);
    }
  }
}
