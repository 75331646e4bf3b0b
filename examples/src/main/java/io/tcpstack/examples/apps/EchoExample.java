package io.tcpstack.examples.apps;

import io.tcpstack.examples.services.EchoService;

/** {@code echo}: the Echo Protocol (RFC 862) — every byte comes back — for many clients at once. */
public final class EchoExample implements Example {

  @Override
  public String name() {
    return "echo";
  }

  @Override
  public String summary() {
    return "echo server (RFC 862): sends back every byte, many clients at once";
  }

  @Override
  public String options() {
    return "      --port N                TCP port (default " + EchoService.PORT + ")\n";
  }

  @Override
  public void check(ExampleContext context) throws io.tcpstack.examples.cli.UsageException {
    context.portOption(EchoService.PORT);
  }

  @Override
  public int run(ExampleContext context) throws Exception {
    int port = context.portOption(EchoService.PORT);
    try (EchoService echo = EchoService.start(context.runtime(), port)) {
      context.ready("echo on TCP port " + port);
      context.awaitStop();
      return 0;
    }
  }
}
