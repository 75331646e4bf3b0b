package io.tcpstack.tcp;

import io.tcpstack.stats.StackCounter;
import io.tcpstack.wire.IpAddress;
import java.util.ArrayDeque;

/**
 * A port in LISTEN (RFC 9293 §3.10.7.2) with two queues, as Linux has: the half-open (SYN) queue
 * of connections in SYN-RECEIVED, at most {@code synBacklog} of them (and all listeners together at
 * most {@code StackConfig.maxHalfOpen}), and the accept queue of established connections waiting
 * for {@link #accept()}, at most {@code backlog}. A SYN is dropped and counted when the accept queue
 * is full, so the client retransmits it; when only the half-open queue is full, the layer answers
 * it with a SYN cookie (RFC 4987 §3.6, {@link SynCookies}) and keeps nothing — or drops it, with
 * cookies off. A handshake that completes while the accept queue is full stays half-open (its ACK
 * is dropped) until there is room. Stack thread only.
 */
public final class TcpListener implements EventSource {

  private final TcpLayer layer;
  private final int port;
  private final int backlog;
  private final int synBacklog;
  private final TcpConfig config;
  /**
   * RFC 9293 §3.9.1.1 (MUST-43): the one of the stack's addresses this listener takes SYNs for, or
   * null for all of them.
   */
  private final IpAddress localAddress;
  /** Whether {@link #localAddress} is IPv4 (meaningful only when it is set). */
  private final boolean localIpv4;
  private final ArrayDeque<TcpConnection> ready = new ArrayDeque<>();
  private int halfOpen;
  /** Whether a SYN cookie was ever sent for this port, and when the last one was. */
  private boolean cookiesSent;
  private long lastCookieNs;
  private boolean closed;
  private final Subscribers<Runnable> subscribers = new Subscribers<>();
  private boolean acceptablePending;

  TcpListener(TcpLayer layer, IpAddress localAddress, int port, int backlog, int synBacklog, TcpConfig config) {
    this.layer = layer;
    this.localAddress = localAddress;
    this.localIpv4 = localAddress != null && localAddress.isIpv4();
    this.port = port;
    this.backlog = backlog;
    this.synBacklog = synBacklog;
    this.config = config;
  }

  public int port() {
    return port;
  }

  /**
   * The stack's address this listener is bound to (RFC 9293 §3.9.1.1, MUST-43), or null when it
   * listens on all of them.
   */
  public IpAddress localAddress() {
    return localAddress;
  }

  /**
   * Whether a segment that came from {@code sourceHi, sourceLo} (IPv4 IPv4-mapped) is for this
   * listener: the stack has one address per family, so a segment's family names the address it was
   * sent to, and a bound listener takes only its own.
   */
  boolean takes(long sourceHi, long sourceLo) {
    return localAddress == null || localIpv4 == IpAddress.isIpv4Mapped(sourceHi, sourceLo);
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
   * Whether a new SYN is taken at all: the accept queue has room — a SYN that could never be
   * accepted is dropped at once, as Linux does (cookie or not), and retransmitted by the client
   * later; the refusal is counted. Whether it gets state or a cookie is {@link #synQueueFull()}'s.
   */
  boolean admits() {
    if (closed) {
      return false;
    }
    if (ready.size() >= backlog) {
      layer.counters().increment(StackCounter.TCP_LISTEN_OVERFLOWS);
      return false;
    }
    return true;
  }

  /** Whether this listener's half-open (SYN) queue holds {@code synBacklog} connections. */
  boolean synQueueFull() {
    return halfOpen >= synBacklog;
  }

  /** Half-open connections (SYN-RECEIVED) of this listener. */
  public int halfOpen() {
    return halfOpen;
  }

  /** A SYN to this port was answered with a SYN cookie at {@code nowNs}. */
  void cookieSent(long nowNs) {
    cookiesSent = true;
    lastCookieNs = nowNs;
  }

  /**
   * Whether a cookie sent for this port could still be valid at {@code nowNs}: one was sent less
   * than {@link SynCookies#MAX_AGE} periods ago. Only then is a bare ACK for no connection checked
   * as a cookie (as Linux's {@code tcp_synq_no_recent_overflow}); otherwise it draws a RST at once.
   */
  boolean cookiesRecent(long nowNs) {
    return cookiesSent && nowNs - lastCookieNs < SynCookies.MAX_AGE * SynCookies.PERIOD_NS;
  }

  /** Whether a connection completing its handshake now fits in the accept queue. */
  boolean hasRoomToAccept() {
    return ready.size() < backlog;
  }

  void halfOpened() {
    halfOpen++;
    layer.halfOpenChanged(1);
  }

  /** A half-open connection completed its handshake. */
  void established(TcpConnection c) {
    halfOpen--;
    layer.halfOpenChanged(-1);
    enqueue(c);
  }

  /**
   * A connection made from a SYN cookie ({@link TcpConnection#acceptCookie}): established without
   * ever being half-open here.
   */
  void establishedFromCookie(TcpConnection c) {
    enqueue(c);
  }

  private void enqueue(TcpConnection c) {
    ready.add(c);
    if (!acceptablePending && !subscribers.isEmpty()) {
      acceptablePending = true;
      layer.eventsPending(this);
    }
  }

  /** A half-open connection failed (RST, timeout) before it was established. */
  void halfOpenFailed() {
    halfOpen--;
    layer.halfOpenChanged(-1);
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
    return "TcpListener[" + (localAddress == null ? "" : localAddress.isIpv4() ? localAddress.toString()
        : "[" + localAddress + "]") + ":" + port + " backlog " + backlog + ", " + ready.size() + " ready, " + halfOpen + " half-open]";
  }
}
