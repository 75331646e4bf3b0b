package io.tcpstack.examples.apps;

import io.tcpstack.examples.services.EchoService;

/** {@code echo}: the Echo Protocol (RFC 862) — every byte comes back — for many clients at once. */
public final class EchoExample extends ServerExample {

  public EchoExample() {
    super("echo", EchoService.PORT, "echo server (RFC 862): sends back every byte, many clients at once");
  }

  @Override
  int serve(ExampleContext context, int port) throws Exception {
    try (EchoService echo = EchoService.start(context.runtime(), port, context.backlog())) {
      return context.serveUntilStopped("echo on TCP port " + port);
    }
  }
}
