package io.tcpstack.examples.apps;

import io.tcpstack.api.SocketClosedException;
import io.tcpstack.api.TcpServerSocket;
import io.tcpstack.api.TcpSocket;
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
   * Accepts clients until the server socket is closed, each served on its own (daemon) thread, so
   * many are served at once. Returns when the server socket closes.
   */
  public static void concurrently(String name, TcpServerSocket server, Session session) {
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
  public static void oneAfterAnother(String name, TcpServerSocket server, Session session) {
    while (true) {
      TcpSocket client = accept(name, server);
      if (client == null) {
        return;
      }
      serve(name, client, session);
    }
  }

  /** Runs {@code loop} on a daemon thread (so the caller can wait for Ctrl-C). */
  public static Thread inBackground(String name, Runnable loop) {
    Thread t = new Thread(loop, name + "-accept");
    t.setDaemon(true);
    t.start();
    return t;
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
