package io.tcpstack.examples.services;

import io.tcpstack.api.TcpServerSocket;
import io.tcpstack.api.TcpSocket;
import io.tcpstack.examples.apps.Servers;
import io.tcpstack.runtime.StackRuntime;
import java.io.IOException;

/**
 * The Echo Protocol (RFC 862) on TCP: every byte a client sends comes back, until it closes. One
 * thread accepts; each client gets its own thread, so many clients are served at once.
 */
public final class EchoService implements AutoCloseable {

  /** RFC 862: "A server listens for TCP connections on TCP port 7." */
  public static final int PORT = 7;

  private final TcpServerSocket server;

  private EchoService(TcpServerSocket server) {
    this.server = server;
  }

  /** Starts serving on {@code port} of the stack. */
  public static EchoService start(StackRuntime runtime, int port, int backlog) throws IOException {
    return new EchoService(Servers.startConcurrent(runtime, "echo", port, backlog, EchoService::echo));
  }

  private static void echo(TcpSocket client) throws IOException {
    byte[] buffer = new byte[64 * 1024];
    for (int n; (n = client.read(buffer, 0, buffer.length)) > 0; ) {
      client.write(buffer, 0, n);
    }
  }

  /** Stops accepting; the clients being served are cut off. */
  @Override
  public void close() throws IOException {
    server.close();
  }
}
