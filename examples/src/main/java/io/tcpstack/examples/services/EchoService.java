package io.tcpstack.examples.services;

import io.tcpstack.api.SocketClosedException;
import io.tcpstack.api.TcpServerSocket;
import io.tcpstack.api.TcpSocket;
import io.tcpstack.runtime.StackRuntime;
import java.io.IOException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Echo Protocol (RFC 862) on TCP: every byte a client sends comes back, until it closes. One
 * thread accepts; each client gets its own thread, so many clients are served at once.
 */
public final class EchoService implements AutoCloseable {

  /** RFC 862: "A server listens for TCP connections on TCP port 7." */
  public static final int PORT = 7;

  private static final Logger log = LoggerFactory.getLogger(EchoService.class);
  private static final int BACKLOG = 128;

  private final TcpServerSocket server;
  private final ExecutorService threads;
  private volatile boolean closing;

  private EchoService(TcpServerSocket server) {
    this.server = server;
    AtomicInteger n = new AtomicInteger();
    this.threads = Executors.newCachedThreadPool(r -> {
      Thread t = new Thread(r, "echo-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    });
  }

  /** Starts serving on {@code port} of the stack. */
  public static EchoService start(StackRuntime runtime, int port) throws IOException {
    EchoService echo = new EchoService(TcpServerSocket.bind(runtime, port, BACKLOG));
    echo.threads.execute(echo::acceptLoop);
    return echo;
  }

  private void acceptLoop() {
    while (true) {
      TcpSocket client;
      try {
        client = server.accept();
      } catch (SocketClosedException e) {
        return; // the service is closing
      } catch (IOException e) {
        if (!closing) { // closing interrupts this thread: not a failure
          log.warn("echo: accept failed: {}", e.getMessage());
        }
        return;
      }
      threads.execute(() -> echo(client));
    }
  }

  private static void echo(TcpSocket client) {
    byte[] buffer = new byte[64 * 1024];
    try (client) {
      for (int n; (n = client.read(buffer, 0, buffer.length)) > 0; ) {
        client.write(buffer, 0, n);
      }
    } catch (IOException e) {
      log.debug("echo: {}: {}", client.peer(), e.getMessage());
    }
  }

  @Override
  public void close() throws IOException {
    closing = true;
    server.close();
    threads.shutdownNow();
  }
}
