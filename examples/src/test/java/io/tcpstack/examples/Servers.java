package io.tcpstack.examples;

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

/** The accept loops the examples share: every client on its own thread, or one client after another. */
public final class Servers {

  private static final Logger log = LoggerFactory.getLogger(Servers.class);

  /** What a server does with one client; the socket is closed afterwards. */
  @FunctionalInterface
  public interface Session {
    void serve(TcpSocket client) throws IOException;
  }

  private Servers() {}

  /**
   * Binds {@code port} of the stack and serves every client on its own thread, in the background;
   * up to {@code backlog} connections wait to be accepted ({@code --backlog}, by default {@link
   * io.tcpstack.StackConfig#DEFAULT_BACKLOG}). Closing the returned socket stops accepting and cuts
   * off the clients being served.
   */
  public static TcpServerSocket startConcurrent(StackRuntime runtime, String name, int port, int backlog,
      Session session) throws IOException {
    TcpServerSocket server = TcpServerSocket.bind(runtime, port, backlog);
    inBackground(name, () -> concurrently(name, server, session));
    return server;
  }

  /**
   * Binds {@code port} of the stack and serves one client after another, in the background: the
   * next waits in the backlog until the one being served has gone. Close the returned socket to stop.
   */
  public static TcpServerSocket startOneAfterAnother(StackRuntime runtime, String name, int port, int backlog,
      Session session) throws IOException {
    TcpServerSocket server = TcpServerSocket.bind(runtime, port, backlog);
    inBackground(name, () -> oneAfterAnother(name, server, session));
    return server;
  }

  /**
   * Accepts clients until the server socket is closed, each served on its own (daemon) thread, so
   * many are served at once. Returns when the server socket closes.
   */
  private static void concurrently(String name, TcpServerSocket server, Session session) {
    AtomicInteger n = new AtomicInteger();
    ExecutorService threads = Executors.newCachedThreadPool(r -> {
      Thread t = new Thread(r, name + "-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    });
    try {
      while (true) {
        TcpSocket client = accept(name, server);
        if (client == null) {
          return;
        }
        threads.execute(() -> serve(name, client, session));
      }
    } finally {
      threads.shutdownNow();
    }
  }

  /** Accepts one client, serves it to the end, then takes the next: one at a time. */
  private static void oneAfterAnother(String name, TcpServerSocket server, Session session) {
    while (true) {
      TcpSocket client = accept(name, server);
      if (client == null) {
        return;
      }
      serve(name, client, session);
    }
  }

  /** Runs {@code loop} on a daemon thread (so the caller can wait for Ctrl-C). */
  private static void inBackground(String name, Runnable loop) {
    Thread t = new Thread(loop, name + "-accept");
    t.setDaemon(true);
    t.start();
  }

  private static TcpSocket accept(String name, TcpServerSocket server) {
    try {
      return server.accept();
    } catch (SocketClosedException e) {
      return null; // the server is closing
    } catch (IOException e) {
      log.warn("{}: accept failed: {}", name, e.getMessage());
      return null;
    }
  }

  private static void serve(String name, TcpSocket client, Session session) {
    try (client) {
      session.serve(client);
    } catch (IOException e) {
      log.debug("{}: {}: {}", name, client.peer(), e.getMessage());
    }
  }
}
