package io.tcpstack.examples.apps;

import io.tcpstack.api.TcpServerSocket;
import io.tcpstack.api.TcpSocket;
import io.tcpstack.examples.services.EchoService;
import java.io.IOException;

/**
 * {@code echo}: the Echo Protocol (RFC 862) — every byte comes back — for many clients at once, as
 * the tutorials write it: blocking sockets, a thread per client. ({@code serve} runs the
 * event-driven {@link EchoService} instead, which needs no thread per client.)
 */
public final class EchoExample extends ServerExample {

  public EchoExample() {
    super("echo", EchoService.PORT, "echo server (RFC 862): sends back every byte, many clients at once");
  }

  @Override
  int serve(ExampleContext context, int port) throws Exception {
    try (TcpServerSocket server = Servers.startConcurrent(context.runtime(), "echo", port, context.backlog(),
        EchoExample::echo)) {
      return context.serveUntilStopped("echo on TCP port " + port);
    }
  }

  /** Reads what the client sends and writes it back, until the client closes. */
  private static void echo(TcpSocket client) throws IOException {
    byte[] buffer = new byte[64 * 1024];
    for (int n; (n = client.read(buffer, 0, buffer.length)) > 0; ) {
      client.write(buffer, 0, n);
    }
  }
}
