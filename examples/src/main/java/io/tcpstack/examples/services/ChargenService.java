package io.tcpstack.examples.services;

import io.tcpstack.api.TcpServerSocket;
import io.tcpstack.examples.apps.Servers;
import io.tcpstack.runtime.StackRuntime;
import java.io.IOException;
import java.io.OutputStream;

/**
 * The Character Generator Protocol (RFC 864) on TCP: once a client connects, lines of 72
 * printable ASCII characters, each starting one character further along, are sent until the
 * client closes; what it sends is thrown away. A source as fast as the connection allows.
 */
public final class ChargenService implements AutoCloseable {

  /** RFC 864: "A server listens for TCP connections on TCP port 19." */
  public static final int PORT = 19;
  /** RFC 864's suggested pattern: 72 characters a line, rotating through the 95 printable ones. */
  static final int LINE_CHARS = 72;
  static final int PRINTABLE = 95;

  /** One full rotation of the pattern: 95 lines of 72 characters and CR LF. */
  static final byte[] PATTERN = pattern();

  private final TcpServerSocket server;

  private ChargenService(TcpServerSocket server) {
    this.server = server;
  }

  public static ChargenService start(StackRuntime runtime, int port, int backlog) throws IOException {
    return new ChargenService(Servers.startConcurrent(runtime, "chargen", port, backlog, client -> {
      Thread discard = new Thread(() -> {
        byte[] sink = new byte[4096];
        try {
          while (client.read(sink, 0, sink.length) > 0) {
            // RFC 864: "any data received is thrown away"
          }
          client.abort(); // the client closed: stop generating (a RST, as it reads no more)
        } catch (IOException e) {
          // the connection is over
        }
      }, "chargen-discard");
      discard.setDaemon(true);
      discard.start();
      OutputStream out = client.getOutputStream();
      while (true) {
        out.write(PATTERN); // ends with an exception once the client is gone
      }
    }));
  }

  private static byte[] pattern() {
    byte[] p = new byte[PRINTABLE * (LINE_CHARS + 2)];
    int i = 0;
    for (int line = 0; line < PRINTABLE; line++) {
      for (int c = 0; c < LINE_CHARS; c++) {
        p[i++] = (byte) (' ' + (line + c) % PRINTABLE);
      }
      p[i++] = '\r';
      p[i++] = '\n';
    }
    return p;
  }

  @Override
  public void close() throws IOException {
    server.close();
  }
}
