package io.tcpstack.netty;

import io.tcpstack.wire.IpAddress;
import java.net.InetAddress;
import io.tcpstack.StackConfig;
import io.tcpstack.wire.Ipv4Address;
import io.netty.channel.AbstractServerChannel;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.EventLoop;
import io.netty.channel.RecvByteBufAllocator;
import io.netty.channel.socket.ServerSocketChannel;
import io.netty.channel.socket.ServerSocketChannelConfig;
import io.tcpstack.api.TcpChannel;
import io.tcpstack.api.TcpServerChannel;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.ArrayDeque;

/**
 * A Netty server channel listening on a port of the stack: {@code new
 * ServerBootstrap().group(loop).channel(TcpStackServerChannel.class)...bind(port)}. Its I/O is a
 * {@link TcpServerChannel}; each accepted connection becomes a {@link TcpStackSocketChannel},
 * handed to the pipeline as {@code channelRead} (the {@code ServerBootstrap} registers it on the
 * same loop and runs the child handler). Registers only on a {@link TcpStackEventLoop}.
 *
 * <p>The accepted channels' buffers and keep-alive come from this channel's options ({@code
 * SO_RCVBUF}, {@code SO_SNDBUF}, {@code SO_KEEPALIVE}, or a whole {@code TcpConfig} through {@link
 * TcpStackChannelOption#TCP_CONFIG}), as a Linux socket inherits them from its listener; {@code
 * SO_BACKLOG} bounds the connections waiting to be accepted. With {@code AUTO_READ} off, the
 * connections the stack accepts while no read is pending wait in this channel until the next
 * {@code read()}.
 */
public final class TcpStackServerChannel extends AbstractServerChannel implements ServerSocketChannel {

  private final TcpStackServerChannelConfig config = new TcpStackServerChannelConfig(this);
  private volatile TcpServerChannel listener;
  private volatile InetSocketAddress local;
  private volatile boolean open = true;
  private boolean readPending;
  private boolean readScheduled;
  /** Accepted while no read was pending; delivered by the next read. */
  private final ArrayDeque<TcpStackSocketChannel> accepted = new ArrayDeque<>();

  /**
   * A server channel ({@code ServerBootstrap} creates it through {@code
   * channel(TcpStackServerChannel.class)}); bind it to listen. It must be registered with a {@link
   * TcpStackEventLoop}.
   */
  public TcpStackServerChannel() {}

  @Override
  protected boolean isCompatible(EventLoop loop) {
    return true; // checked in doRegister, with a message that says what to do
  }

  @Override
  protected void doRegister() throws Exception {
    loop().registered(this);
  }

  @Override
  protected void doDeregister() {
    if (eventLoop() instanceof TcpStackEventLoop) {
      ((TcpStackEventLoop) eventLoop()).deregistered(this);
    }
  }

  TcpStackEventLoop loop() {
    EventLoop loop = eventLoop();
    if (!(loop instanceof TcpStackEventLoop)) {
      throw new IllegalStateException(getClass().getSimpleName() + " runs only on a TcpStackEventLoop (the stack's"
          + " thread), not on " + loop.getClass().getSimpleName() + ": new ServerBootstrap().group(stackLoop)");
    }
    return (TcpStackEventLoop) loop;
  }

  @Override
  protected void doBind(SocketAddress localAddress) throws Exception {
    InetSocketAddress requested = StackAddresses.inet(localAddress);
    TcpStackEventLoop loop = loop();
    StackConfig stackConfig = loop.stack().config();
    if (!StackAddresses.bindable(requested, stackConfig)) {
      throw new BindException("cannot bind " + requested + ": the stack's address is "
          + Ipv4Address.toString(stackConfig.address())
          + (stackConfig.address6() == null ? "" : " and " + stackConfig.address6())
          + " (or bind the wildcard address, as ServerBootstrap.bind(port) does)");
    }
    if (requested.getPort() == 0) {
      throw new BindException("port 0: the stack listens on a given port only; choose one (1..65535)");
    }
    try {
      listener = TcpServerChannel.bind(loop.stack(), requested.getPort(), config.getBacklog(), config.tcpConfig(),
          this::accepted);
    } catch (IllegalStateException e) {
      BindException b = new BindException("port " + requested.getPort() + ": " + e.getMessage());
      b.initCause(e);
      throw b;
    }
    InetAddress boundTo = requested.getAddress();
    local = boundTo == null || boundTo.isAnyLocalAddress()
        ? StackAddresses.toSocketAddress(IpAddress.ofIpv4(stackConfig.address()), requested.getPort()) : requested;
  }

  /** The stack accepted a connection (stack thread = this channel's event loop). */
  private void accepted(TcpChannel tcp) {
    TcpStackSocketChannel child = new TcpStackSocketChannel(this, tcp); // subscribes: nothing is missed
    accepted.add(child);
    if (readPending) {
      deliverAccepted();
    }
  }

  @SuppressWarnings("deprecation") // RecvByteBufAllocator.Handle: what Unsafe.recvBufAllocHandle() returns in 4.1
  private void deliverAccepted() {
    readScheduled = false;
    if (!isOpen()) {
      return;
    }
    ChannelPipeline pipeline = pipeline();
    RecvByteBufAllocator.Handle allocHandle = unsafe().recvBufAllocHandle();
    allocHandle.reset(config);
    boolean any = false;
    TcpStackSocketChannel child;
    while (readPending && (child = accepted.poll()) != null) {
      any = true;
      allocHandle.incMessagesRead(1);
      if (!config.isAutoRead()) {
        readPending = false; // one read(), one batch; with auto-read the completion asks again
      }
      pipeline.fireChannelRead(child);
      if (!allocHandle.continueReading()) {
        break; // MAX_MESSAGES_PER_READ: the rest after this batch's completion
      }
    }
    allocHandle.readComplete();
    if (any) {
      pipeline.fireChannelReadComplete();
    }
  }

  @Override
  protected void doBeginRead() {
    readPending = true;
    if (!accepted.isEmpty() && !readScheduled) {
      readScheduled = true;
      eventLoop().execute(this::deliverAccepted);
    }
  }

  /** {@code AUTO_READ} turned off: no read is pending any more. */
  void clearReadPending() {
    readPending = false;
  }

  @Override
  protected void doClose() {
    open = false;
    if (listener != null) {
      listener.close(); // connections not yet accepted by the stack are reset
      listener = null;
    }
    TcpStackSocketChannel child;
    while ((child = accepted.poll()) != null) {
      child.unsafe().closeForcibly(); // accepted by the stack, never by the application
    }
  }

  @Override
  public ServerSocketChannelConfig config() {
    return config;
  }

  @Override
  public boolean isOpen() {
    return open;
  }

  @Override
  public boolean isActive() {
    return open && listener != null;
  }

  @Override
  public InetSocketAddress localAddress() {
    return (InetSocketAddress) super.localAddress();
  }

  @Override
  public InetSocketAddress remoteAddress() {
    return null;
  }

  @Override
  protected SocketAddress localAddress0() {
    return local;
  }

  TcpStackServerChannelConfig tcpConfig() {
    return config;
  }
}
