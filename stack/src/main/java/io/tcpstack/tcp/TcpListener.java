package io.tcpstack.tcp;

import io.tcpstack.stats.StackCounter;
import java.util.ArrayDeque;

/**
 * A port in LISTEN (RFC 9293 §3.10.7.2) with two queues, as Linux has: the half-open (SYN) queue
 * of connections in SYN-RECEIVED, at most {@code synBacklog} of them, and the accept queue of
 * established connections waiting for {@link #accept()}, at most {@code backlog}. A SYN is dropped
 * and counted when either is full, so the client retransmits it; a handshake that completes while
 * the accept queue is full stays half-open (its ACK is dropped) until there is room. Stack thread
 * only.
 */
public final class TcpListener implements EventSource {

  private final TcpLayer layer;
  private final int port;
  private final int backlog;
  private final int synBacklog;
  private final TcpConfig config;
  private final ArrayDeque<TcpConnection> ready = new ArrayDeque<>();
  private int halfOpen;
  private boolean closed;
  private final Subscribers<Runnable> subscribers = new Subscribers<>();
  private boolean acceptablePending;

  TcpListener(TcpLayer layer, int port, int backlog, int synBacklog, TcpConfig config) {
    this.layer = layer;
    this.port = port;
    this.backlog = backlog;
    this.synBacklog = synBacklog;
    this.config = config;
  }

  public int port() {
    return port;
  }

  public int backlog() {
    return backlog;
  }

  TcpConfig config() {
    return config;
  }

  /**
   * Adds a subscriber told (on the stack thread, after the segment that completed a handshake has
   * been processed) that connections are waiting for {@link #accept()}, and once more when the
   * listener closes. Edge-triggered: accept until it returns null.
   *
   * @return cancels the subscription
   */
  public Runnable subscribe(Runnable onAcceptable) {
    return subscribers.add(onAcceptable);
  }

  @Override
  public void deliverEvents() {
    acceptablePending = false;
    for (Object s : subscribers.snapshot()) {
      if (subscribers.contains(s)) {
        ((Runnable) s).run();
      }
    }
  }

  public boolean isClosed() {
    return closed;
  }

  /** Connections established and waiting for {@link #accept()}. */
  public int pending() {
    return ready.size();
  }

  /** The oldest established connection, now owned by the caller (who must dispose it); or null. */
  public TcpConnection accept() {
    TcpConnection c;
    while ((c = ready.poll()) != null) {
      if (c.state() != TcpState.CLOSED) {
        c.adopt();
        return c;
      }
      // reset before anyone accepted it: already released
    }
    return null;
  }

  /**
   * Whether a new SYN is taken: the half-open (SYN) queue has room, and so does the accept queue —
   * a SYN that could never be accepted is dropped at once, as Linux does, and retransmitted by the
   * client later. Each refusal is counted under the queue that was full.
   */
  boolean admits() {
    if (closed) {
      return false;
    }
    if (ready.size() >= backlog) {
      layer.counters().increment(StackCounter.TCP_LISTEN_OVERFLOWS);
      return false;
    }
    if (halfOpen >= synBacklog) {
      layer.counters().increment(StackCounter.TCP_SYN_QUEUE_OVERFLOWS);
      return false;
    }
    return true;
  }

  /** Whether a connection completing its handshake now fits in the accept queue. */
  boolean hasRoomToAccept() {
    return ready.size() < backlog;
  }

  void halfOpened() {
    halfOpen++;
  }

  /** A half-open connection completed its handshake. */
  void established(TcpConnection c) {
    halfOpen--;
    ready.add(c);
    if (!acceptablePending && !subscribers.isEmpty()) {
      acceptablePending = true;
      layer.eventsPending(this);
    }
  }

  /** A half-open connection failed (RST, timeout) before it was established. */
  void halfOpenFailed() {
    halfOpen--;
  }

  /** Stops listening: queued connections are reset and released. */
  public void close(long nowNs) {
    if (closed) {
      return;
    }
    closed = true;
    layer.unlisten(this);
    if (!acceptablePending && !subscribers.isEmpty()) {
      acceptablePending = true; // subscribers look again, and find it closed
      layer.eventsPending(this);
    }
    TcpConnection c;
    while ((c = ready.poll()) != null) {
      c.abort(nowNs); // not owned by the application: released as it closes
    }
  }

  @Override
  public String toString() {
    return "TcpListener[:" + port + " backlog " + backlog + ", " + ready.size() + " ready, " + halfOpen + " half-open]";
  }
}
