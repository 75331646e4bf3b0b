package io.tcpstack.api;

import io.netty.buffer.ByteBuf;
import io.tcpstack.NetworkStack;
import io.tcpstack.tcp.Subscribers;
import io.tcpstack.udp.UdpEndpoint;
import io.tcpstack.udp.UdpError;
import io.tcpstack.udp.UdpEvents;
import io.tcpstack.udp.UdpLayer;
import java.net.InetSocketAddress;
import java.util.Objects;

/**
 * A UDP socket for event-driven code (RFC 768): non-blocking calls and events ({@link
 * UdpChannelHandler}) on the stack thread, with no thread of its own and no hand-off — as {@link
 * TcpChannel} is for TCP. The blocking {@link UdpSocket} is the other face of the same endpoints.
 *
 * <p>Every method must be called on the stack thread: from a handler, or from a task given to
 * {@link io.tcpstack.runtime.StackRuntime#execute}. {@link #send} never blocks: a datagram leaves
 * at once (fragmented by IP if larger than the MTU) or, if the address or size is not allowed, is
 * refused with an exception. {@link #receive} takes the next queued datagram, if any.
 *
 * <p>Addresses are {@link InetSocketAddress}es of IPv4 or IPv6 hosts: a bound port takes datagrams
 * of both families, as a Linux socket bound to {@code ::}, and names an IPv6 sender with an {@link
 * java.net.Inet6Address}. A channel talking to one peer allocates nothing per datagram (the
 * sender's address object is reused while it does not change).
 */
public final class UdpChannel {

  private final NetworkStack stack;
  private final UdpEndpoint endpoint;
  private final Subscribers<UdpChannelHandler> handlers = new Subscribers<>();
  private final UdpAddresses addresses = new UdpAddresses();

  private final UdpEvents events = new UdpEvents() {
    @Override
    public void onReadable(UdpEndpoint e) {
      for (Object o : handlers.snapshot()) {
        if (handlers.contains(o)) {
          ((UdpChannelHandler) o).onReadable(UdpChannel.this);
        }
      }
    }

    @Override
    public void onClosed(UdpEndpoint e) {
      for (Object o : handlers.snapshot()) {
        if (handlers.contains(o)) {
          ((UdpChannelHandler) o).onClosed(UdpChannel.this);
        }
      }
    }

    @Override
    public void onError(UdpEndpoint e) {
      UdpError error = e.takeError(); // told to the handlers: no later call fails with it
      for (Object o : handlers.snapshot()) {
        if (handlers.contains(o)) {
          ((UdpChannelHandler) o).onError(UdpChannel.this, error);
        }
      }
    }
  };

  private UdpChannel(NetworkStack stack, UdpEndpoint endpoint, UdpChannelHandler handler) {
    this.stack = stack;
    this.endpoint = endpoint;
    endpoint.setEvents(events);
    if (handler != null) {
      subscribe(handler);
    }
  }

  /**
   * A channel bound to {@code port} of the stack's address (0: an ephemeral port, RFC 6056), with
   * a receive queue of {@link UdpLayer#DEFAULT_RECEIVE_BUFFER} bytes. Stack thread.
   *
   * @param stack the stack to bind on
   * @param port the port, 0..65535; 0: an ephemeral one
   * @param handler subscribed at once; null: none yet (see {@link #subscribe})
   * @return the bound channel
   * @throws IllegalArgumentException if {@code port} is out of range
   * @throws IllegalStateException if the port is taken, or no ephemeral port is free
   */
  public static UdpChannel bind(NetworkStack stack, int port, UdpChannelHandler handler) {
    return bind(stack, port, UdpLayer.DEFAULT_RECEIVE_BUFFER, handler);
  }

  /**
   * As {@link #bind(NetworkStack, int, UdpChannelHandler)} with a receive queue of {@code
   * receiveBufferBytes} ({@code SO_RCVBUF}'s role: datagrams that find it full are dropped and
   * counted, {@code UDP_RCVBUF_ERRORS}).
   *
   * @param stack the stack to bind on
   * @param port the port, 0..65535; 0: an ephemeral one
   * @param receiveBufferBytes the receive queue's limit in bytes, at least {@link
   *     UdpLayer#MIN_RECEIVE_BUFFER}
   * @param handler subscribed at once; null: none yet (see {@link #subscribe})
   * @return the bound channel
   * @throws IllegalArgumentException if {@code port} or {@code receiveBufferBytes} is out of range
   * @throws IllegalStateException if the port is taken, or no ephemeral port is free
   */
  public static UdpChannel bind(NetworkStack stack, int port, int receiveBufferBytes, UdpChannelHandler handler) {
    return new UdpChannel(stack, stack.udp().bind(port, receiveBufferBytes), handler);
  }

  /**
   * A channel not bound yet: the first {@link #send} or {@link #connect} binds an ephemeral port.
   * Stack thread.
   *
   * @param stack the stack to open it on
   * @param handler subscribed at once; null: none yet (see {@link #subscribe})
   * @return the unbound channel ({@link #localPort()} is 0)
   */
  public static UdpChannel open(NetworkStack stack, UdpChannelHandler handler) {
    return new UdpChannel(stack, stack.udp().open(UdpLayer.DEFAULT_RECEIVE_BUFFER), handler);
  }

  /**
   * Adds a handler; its events start with the next one delivered. Stack thread.
   *
   * @param handler told of this channel's events after those subscribed before it; not null
   * @return the registration: {@link Subscription#cancel()} stops the handler's events
   */
  public Subscription subscribe(UdpChannelHandler handler) {
    return handlers.add(Objects.requireNonNull(handler, "handler"))::run;
  }

  /**
   * Takes the next queued datagram into {@code dst} — as much as its writable bytes hold, the rest
   * dropped, as {@code recv} truncates — and returns its sender, or null if none is queued.
   *
   * @param dst receives the datagram at its writer index, which advances; not null
   * @return the sender's address and port, or null if no datagram is queued
   *
   * @throws IllegalStateException if the channel is closed
   */
  public InetSocketAddress receive(ByteBuf dst) {
    checkOpen();
    if (endpoint.receive(dst) < 0) {
      return null;
    }
    return addresses.toInet(endpoint.senderHi(), endpoint.senderLo(), endpoint.senderPort());
  }

  /**
   * Sends {@code src}'s readable bytes to {@code to} as one datagram, advancing its reader index.
   *
   * @param src the datagram's data: its readable bytes; not null
   * @param to where to send it, IPv4 or IPv6, resolved; not null
   *
   * @throws IllegalArgumentException for more than {@link UdpLayer#MAX_PAYLOAD} bytes over IPv4 or
   *     {@link UdpLayer#MAX_PAYLOAD_IPV6} over IPv6; for an unresolved, broadcast, multicast or
   *     unspecified address, an IPv6 address on a stack without one, or port 0
   * @throws IllegalStateException if the channel is closed, or no ephemeral port is free
   */
  public void send(ByteBuf src, InetSocketAddress to) {
    checkOpen();
    UdpAddresses.check(to);
    endpoint.send(src, addresses.address(to), to.getPort());
  }

  /**
   * Sends {@code src}'s readable bytes to the connected peer as one datagram, advancing its reader
   * index.
   *
   * @param src the datagram's data: its readable bytes; not null
   * @throws IllegalArgumentException for more than {@link UdpLayer#MAX_PAYLOAD} bytes over IPv4 or
   *     {@link UdpLayer#MAX_PAYLOAD_IPV6} over IPv6
   * @throws IllegalStateException if not connected, or the channel is closed
   */
  public void send(ByteBuf src) {
    checkOpen();
    endpoint.send(src);
  }

  /**
   * Takes datagrams from {@code peer} only, sends there by {@link #send(ByteBuf)}, and hears of
   * ICMP errors about what was sent there ({@link UdpChannelHandler#onError}). Binds an ephemeral
   * port first if unbound.
   *
   * @param peer the peer, IPv4 or IPv6, resolved; not null
   * @throws IllegalArgumentException for an unresolved, broadcast, multicast or unspecified
   *     address, an IPv6 address on a stack without one, or port 0
   * @throws IllegalStateException if the channel is closed, or no ephemeral port is free
   */
  public void connect(InetSocketAddress peer) {
    checkOpen();
    UdpAddresses.check(peer);
    endpoint.connect(addresses.address(peer), peer.getPort());
  }

  /** Takes datagrams from anyone again. */
  public void disconnect() {
    endpoint.disconnect();
  }

  /**
   * Whether the channel is connected to one peer ({@link #connect}).
   *
   * @return true between {@link #connect} and {@link #disconnect}
   */
  public boolean isConnected() {
    return endpoint.isConnected();
  }

  /**
   * The connected peer, or null.
   *
   * @return the peer's address and port, or null if not connected
   */
  public InetSocketAddress remoteAddress() {
    return endpoint.isConnected() ? addresses.toInet(endpoint.remoteHi(), endpoint.remoteLo(), endpoint.remotePort())
        : null;
  }

  /**
   * The local port; 0 while unbound.
   *
   * @return 0..65535
   */
  public int localPort() {
    return endpoint.localPort();
  }

  /**
   * Datagrams waiting to be received.
   *
   * @return how many {@link #receive} calls would find one now
   */
  public int queuedDatagrams() {
    return endpoint.queuedDatagrams();
  }

  /**
   * Whether the channel is open: not closed by {@link #close()}, nor by the stack closing.
   *
   * @return true until closed
   */
  public boolean isOpen() {
    return !endpoint.isClosed();
  }

  /** Unbinds the port and drops what is queued. Idempotent. */
  public void close() {
    endpoint.close();
  }

  /**
   * The stack this channel lives on (its clock, its counters, its allocator).
   *
   * @return the stack given to {@link #bind} or {@link #open}
   */
  public NetworkStack stack() {
    return stack;
  }

  private void checkOpen() {
    if (endpoint.isClosed()) {
      throw new IllegalStateException(this + " is closed");
    }
  }

  @Override
  public String toString() {
    return "UdpChannel[:" + endpoint.localPort() + (endpoint.isClosed() ? ", closed" : "") + "]";
  }
}
