package io.tcpstack.examples.services;

import io.tcpstack.api.TcpServerSocket;
import io.tcpstack.examples.apps.Servers;
import io.tcpstack.runtime.StackRuntime;
import java.io.IOException;

/** The Discard Protocol (RFC 863) on TCP: everything a client sends is read and thrown away. */
public final class DiscardService implements AutoCloseable {

  /** RFC 863: "A server listens for TCP connections on TCP port 9." */
  public static final int PORT = 9;

  private final TcpServerSocket server;

  private DiscardService(TcpServerSocket server) {
    this.server = server;
  }

  public static DiscardService start(StackRuntime runtime, int port, int backlog) throws IOException {
    return new DiscardService(Servers.startConcurrent(runtime, "discard", port, backlog, client -> {
      byte[] sink = new byte[64 * 1024];
      while (client.read(sink, 0, sink.length) > 0) {
        // thrown away
      }
    }));
  }

  @Override
  public void close() throws IOException {
    server.close();
  }
}
