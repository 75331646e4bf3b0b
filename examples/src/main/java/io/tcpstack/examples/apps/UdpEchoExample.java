package io.tcpstack.examples.apps;

import io.tcpstack.api.UdpSocket;
import io.tcpstack.examples.cli.UsageException;
import io.tcpstack.examples.services.UdpEchoService;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;

/**
 * {@code udp-echo}: the tutorials' UDP server next to their TCP one — the Echo Protocol (RFC 862)
 * on UDP port 7. Where the TCP server listens, accepts a connection and talks to that one client,
 * this one binds a port and loops on receive/send: no connection, no accept, no per-client socket;
 * every datagram carries its sender's address and the answer goes back there, like a letter
 * answered to its return address. It prints one line per datagram, to show that each stands alone.
 * ({@code serve} answers UDP echo too, event-driven: {@link UdpEchoService}.)
 */
public final class UdpEchoExample implements Example {

  @Override
  public String name() {
    return "udp-echo";
  }

  @Override
  public String summary() {
    return "UDP echo server (RFC 862): sends every datagram back to its sender; no connections";
  }

  @Override
  public String options() {
    return "      --port N                UDP port (default " + UdpEchoService.PORT + ")\n";
  }

  @Override
  public void check(ExampleContext context) throws UsageException {
    context.portOption(UdpEchoService.PORT);
  }

  @Override
  public int run(ExampleContext context) throws Exception {
    int port = context.portOption(UdpEchoService.PORT);
    try (UdpSocket socket = UdpSocket.bind(context.runtime(), port)) {
      Thread server = new Thread(() -> serve(context, socket), "udp-echo");
      server.setDaemon(true);
      server.start();
      return context.serveUntilStopped("UDP echo on port " + port);
    }
  }

  /** receive, print, send back: the whole server. Ends when the socket closes. */
  private static void serve(ExampleContext context, UdpSocket socket) {
    ByteBuffer datagram = ByteBuffer.allocate(64 * 1024);
    try {
      while (true) {
        datagram.clear();
        InetSocketAddress from = socket.receive(datagram);
        datagram.flip();
        context.out().println("datagram from " + from.getAddress().getHostAddress() + ":" + from.getPort() + ", "
            + datagram.remaining() + " bytes");
        context.out().flush();
        socket.send(datagram, from);
      }
    } catch (java.io.IOException e) {
      if (!socket.isClosed() && !context.stopping()) {
        context.err().println("udp-echo: " + e.getMessage());
      }
    }
  }
}
