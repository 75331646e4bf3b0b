package io.tcpstack.netty;

import io.tcpstack.wire.IpAddress;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.AbstractChannel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelMetadata;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.ChannelPromise;
import io.netty.channel.ConnectTimeoutException;
import io.netty.channel.EventLoop;
import io.netty.channel.RecvByteBufAllocator;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.ChannelInputShutdownReadComplete;
import io.netty.channel.socket.ServerSocketChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.util.concurrent.Future;
import io.tcpstack.api.TcpChannel;
import io.tcpstack.api.TcpChannelHandler;
import io.tcpstack.tcp.TcpConfig;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.channels.AlreadyConnectedException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ConnectionPendingException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * A Netty channel over one TCP connection of the stack: {@code new
 * Bootstrap().group(loop).channel(TcpStackSocketChannel.class)...connect(address)} for a client,
 * or one a {@link TcpStackServerChannel} accepted. Its I/O is the stack's event API ({@link
 * TcpChannel}) on the channel's event loop, which is the stack thread ({@link TcpStackEventLoop}),
 * so nothing is handed over between threads.
 *
 * <ul>
 *   <li><b>Reads</b>: on the stack's {@code onReadable}, while a read is pending ({@code AUTO_READ},
 *       or {@code read()}), the bytes are moved from the connection's receive buffer into buffers
 *       from the channel's {@code RecvByteBufAllocator} and {@code ALLOCATOR}, each fired as {@code
 *       channelRead} (the pipeline owns and releases them). With no read pending nothing is taken,
 *       the receive buffer fills and the advertised window closes: the peer stops.
 *   <li><b>Writes</b> take {@link ByteBuf}s only (a {@code FileRegion} is refused). A flush moves
 *       what fits into the connection's send buffer and releases each buffer once it is all
 *       there; the rest waits in Netty's outbound buffer until the stack's {@code onWritable}. So
 *       {@link #isWritable()} turns false once the send buffer is full and more than {@code
 *       WRITE_BUFFER_WATER_MARK}'s high mark waits, and true again as the peer acknowledges.
 *   <li><b>Half-closure</b>: the peer's FIN is {@link ChannelInputShutdownEvent} (then {@link
 *       ChannelInputShutdownReadComplete}) with {@code ALLOW_HALF_CLOSURE}, else the channel closes;
 *       {@link #shutdownOutput()} sends FIN after what is queued.
 *   <li><b>Errors</b>: a reset, a timeout or an ICMP error that ends the connection is {@code
 *       exceptionCaught} with the stack's exception ({@link io.tcpstack.api.ConnectionResetException},
 *       {@link io.tcpstack.api.ConnectionTimedOutException}, ...), then the channel closes; a failed
 *       connect fails the connect future with it ({@link io.tcpstack.api.ConnectionRefusedException}).
 * </ul>
 */
public final class TcpStackSocketChannel extends AbstractChannel implements SocketChannel {

  private static final ChannelMetadata METADATA = new ChannelMetadata(false, 16);
  /** Client channels default to TCP_NODELAY on, as Netty's sockets do. */
  private static final TcpConfig CLIENT_DEFAULT = TcpConfig.DEFAULT.toBuilder().noDelay(true).build();

  private final TcpStackSocketChannelConfig config;
  private final Handler handler = new Handler();
  private TcpChannel tcp;
  private volatile boolean open = true;
  /** The handshake completed (accepted channels start so). */
  private volatile boolean established;
  /** The peer's FIN was read (with ALLOW_HALF_CLOSURE), or {@link #shutdownInput()} was called. */
  private volatile boolean inputShutdown;
  /** {@link #shutdownInput()} was called: what arrives is read and dropped. */
  private boolean discardInput;
  private boolean inputShutdownReadCompleteFired;
  private volatile boolean outputShutdown;
  /** The connection ended in the stack while this channel was not registered yet: close on registration. */
  private boolean endedBeforeRegistration;
  /** The connection ended in an orderly way with bytes still unread: close once they are read. */
  private boolean closeAfterInput;
  private boolean readPending;
  private boolean readScheduled;
  private final Runnable readTask = this::scheduledRead;

  private ChannelPromise connectPromise;
  private Future<?> connectTimeout;
  private SocketAddress requestedRemote;
  private InetSocketAddress local;
  private InetSocketAddress remote;

  /** A client channel (Bootstrap creates it); connect it to make a connection. */
  public TcpStackSocketChannel() {
    super(null);
    this.config = new TcpStackSocketChannelConfig(this, CLIENT_DEFAULT);
  }

  /** A channel for a connection {@code parent} accepted; stack thread. */
  TcpStackSocketChannel(TcpStackServerChannel parent, TcpChannel tcp) {
    super(parent);
    this.config = new TcpStackSocketChannelConfig(this, parent.tcpConfig().tcpConfig());
    this.tcp = tcp;
    this.established = true;
    tcp.subscribe(handler); // ends with the connection; the handler ignores events once closed
    this.local = StackAddresses.toSocketAddress(StackAddresses.localFor(tcp.stack().config(), tcp.remoteIp()),
        tcp.localPort());
    this.remote = StackAddresses.toSocketAddress(tcp.remoteIp(), tcp.remotePort());
  }

  boolean hasConnection() {
    return tcp != null;
  }

  // ---------------------------------------------------------------- registration

  @Override
  protected boolean isCompatible(EventLoop loop) {
    return true; // checked in doRegister, with a message that says what to do
  }

  @Override
  protected void doRegister() {
    TcpStackEventLoop loop = loop();
    if (tcp != null && tcp.stack() != loop.stack()) {
      throw new IllegalStateException("this channel's connection lives on another stack than " + loop
          + "'s: register accepted channels on the loop of their server channel");
    }
    loop.registered(this);
    if (endedBeforeRegistration) {
      eventLoop().execute(this::connectionEnded);
    } // bytes that arrived before registration are read once a read is pending (doBeginRead)
  }

  @Override
  protected void doDeregister() {
    if (eventLoop() instanceof TcpStackEventLoop) {
      ((TcpStackEventLoop) eventLoop()).deregistered(this);
    }
  }

  private TcpStackEventLoop loop() {
    EventLoop loop = eventLoop();
    if (!(loop instanceof TcpStackEventLoop)) {
      throw new IllegalStateException(getClass().getSimpleName() + " runs only on a TcpStackEventLoop (the stack's"
          + " thread), not on " + loop.getClass().getSimpleName() + ": group(stackLoop), and childGroup too");
    }
    return (TcpStackEventLoop) loop;
  }

  // ---------------------------------------------------------------- the stack's events

  /** The stack's events for this channel, on the stack thread, which is this channel's event loop. */
  private final class Handler implements TcpChannelHandler {
    @Override
    public void onConnected(TcpChannel channel) {
      established = true;
      local = StackAddresses.toSocketAddress(StackAddresses.localFor(channel.stack().config(), channel.remoteIp()),
          channel.localPort());
      fulfillConnect();
    }

    @Override
    public void onReadable(TcpChannel channel) {
      if (!open) {
        return; // closed: the connection is the stack's to finish
      }
      if (discardInput) {
        discard();
      } else if (readPending && isRegistered()) {
        read0();
      }
    }

    @Override
    public void onWritable(TcpChannel channel) {
      if (isRegistered() && open) {
        ((StackUnsafe) unsafe()).forceFlush();
      }
    }

    @Override
    public void onClosed(TcpChannel channel) {
      if (!open) {
        return;
      }
      if (!isRegistered()) {
        endedBeforeRegistration = true;
        return;
      }
      connectionEnded();
    }
  }

  /**
   * The connection is over in the stack: a failed connect fails its future; a reset or timeout is
   * {@code exceptionCaught}, then the channel closes; an orderly end closes the channel once what
   * was received has been read.
   */
  private void connectionEnded() {
    if (!open) {
      return;
    }
    IOException error = tcp.errorException();
    if (connectPromise != null) {
      ChannelPromise p = connectPromise;
      connectPromise = null;
      cancelConnectTimeout();
      p.tryFailure(error != null ? error : new ClosedChannelException());
      unsafe().close(unsafe().voidPromise());
      return;
    }
    if (error != null) {
      // Not our own close (that closed the channel first): a reset, a timeout, the stack closing.
      pipeline().fireExceptionCaught(error);
      unsafe().close(unsafe().voidPromise());
    } else if (tcp.readableBytes() > 0 || !inputShutdown) {
      closeAfterInput = true; // read to the end first (the FIN, then close)
      if (readPending) {
        read0();
      }
    } else {
      unsafe().close(unsafe().voidPromise());
    }
  }

  // ---------------------------------------------------------------- reading

  @Override
  protected void doBeginRead() {
    readPending = true;
    if (!readScheduled && tcp != null && (tcp.readableBytes() > 0 || tcp.isEndOfStream() && !inputShutdown
        || inputShutdown && !inputShutdownReadCompleteFired || closeAfterInput)) {
      // Events are edge-triggered: what is already waiting is read by a task, not by a new event.
      readScheduled = true;
      eventLoop().execute(readTask);
    }
  }

  private void scheduledRead() {
    readScheduled = false;
    if (readPending && open) {
      read0();
    }
  }

  /** {@code AUTO_READ} turned off: no read is pending any more. */
  void clearReadPending() {
    readPending = false;
  }

  /**
   * Moves received bytes into buffers from the channel's allocator, one {@code channelRead} each,
   * as many as the {@code RecvByteBufAllocator} allows; then the end of the input, if reached.
   */
  @SuppressWarnings("deprecation") // RecvByteBufAllocator.Handle: what Unsafe.recvBufAllocHandle() returns in 4.1
  private void read0() {
    ChannelPipeline pipeline = pipeline();
    if (discardInput) {
      discard();
      return;
    }
    if (inputShutdown) {
      readPending = false;
      if (!inputShutdownReadCompleteFired) {
        inputShutdownReadCompleteFired = true;
        pipeline.fireUserEventTriggered(ChannelInputShutdownReadComplete.INSTANCE);
      }
      if (closeAfterInput) {
        unsafe().close(unsafe().voidPromise());
      }
      return;
    }
    RecvByteBufAllocator.Handle allocHandle = unsafe().recvBufAllocHandle();
    ByteBufAllocator allocator = config.getAllocator();
    allocHandle.reset(config);
    boolean endOfInput = false;
    do {
      ByteBuf buf = allocHandle.allocate(allocator);
      allocHandle.attemptedBytesRead(buf.writableBytes());
      int n;
      try {
        n = tcp.read(buf); // the one copy on the way in: the stack's receive buffer -> this buffer
      } catch (RuntimeException e) {
        buf.release();
        throw e;
      }
      allocHandle.lastBytesRead(n);
      if (n <= 0) {
        buf.release();
        endOfInput = n < 0;
        break;
      }
      allocHandle.incMessagesRead(1);
      if (!config.isAutoRead()) {
        readPending = false; // one read() asked for one batch
      }
      pipeline.fireChannelRead(buf); // the pipeline owns it now
    } while (allocHandle.continueReading() && open);
    allocHandle.readComplete();
    pipeline.fireChannelReadComplete();
    if (endOfInput && open) {
      if (tcp.error() != null) {
        connectionEnded(); // a reset or timeout, not the peer's FIN
      } else {
        inputEnded();
      }
    }
  }

  /** The peer's FIN, after every byte before it was read. */
  private void inputEnded() {
    if (config.isAllowHalfClosure()) {
      inputShutdown = true;
      pipeline().fireUserEventTriggered(ChannelInputShutdownEvent.INSTANCE);
      if (readPending || config.isAutoRead()) {
        inputShutdownReadCompleteFired = true;
        pipeline().fireUserEventTriggered(ChannelInputShutdownReadComplete.INSTANCE);
      }
      if (closeAfterInput || outputShutdown && !tcp.isOpen()) {
        unsafe().close(unsafe().voidPromise());
      }
    } else {
      unsafe().close(unsafe().voidPromise());
    }
  }

  // ---------------------------------------------------------------- writing

  @Override
  protected Object filterOutboundMessage(Object msg) {
    if (msg instanceof ByteBuf) {
      return msg;
    }
    throw new UnsupportedOperationException("unsupported message type " + msg.getClass().getSimpleName()
        + ": the stack's channels write ByteBuf only (no FileRegion: read the file into ByteBufs)");
  }

  @Override
  protected void doWrite(ChannelOutboundBuffer in) throws Exception {
    Object msg;
    while ((msg = in.current()) != null) {
      ByteBuf buf = (ByteBuf) msg;
      if (!buf.isReadable()) {
        in.remove();
        continue;
      }
      if (!tcp.isWritable()) {
        IOException error = tcp.errorException();
        throw error != null ? error : new ClosedChannelException();
      }
      // The one copy on the way out: this buffer -> the connection's send buffer (its reader index
      // advances by what fit). The stack builds segments from the send buffer.
      int n = tcp.write(buf);
      if (n > 0) {
        in.progress(n);
      }
      if (buf.isReadable()) {
        return; // the send buffer is full: onWritable flushes the rest
      }
      in.remove(); // released here, once
    }
  }

  // ---------------------------------------------------------------- connecting, shutting down, closing

  @Override
  protected void doBind(SocketAddress localAddress) throws Exception {
    throw new UnsupportedOperationException("a client channel's local port is an ephemeral one the stack picks"
        + " (RFC 6056): connect without a local address");
  }

  private void fulfillConnect() {
    ChannelPromise p = connectPromise;
    if (p == null) {
      return;
    }
    connectPromise = null;
    cancelConnectTimeout();
    boolean promiseSet = p.trySuccess();
    pipeline().fireChannelActive(); // then AUTO_READ asks for a read
    if (!promiseSet) {
      unsafe().close(unsafe().voidPromise()); // cancelled meanwhile
    }
  }

  private void cancelConnectTimeout() {
    if (connectTimeout != null) {
      connectTimeout.cancel(false);
      connectTimeout = null;
    }
  }

  void applyNoDelay(boolean on) {
    if (tcp == null || !open) {
      return; // a client channel takes it into its TcpConfig at connect
    }
    if (!isRegistered() || eventLoop().inEventLoop()) {
      // Not registered yet: an accepted channel, which ServerBootstrap configures on the stack thread.
      tcp.setNoDelay(on);
    } else {
      eventLoop().execute(() -> {
        if (open) {
          tcp.setNoDelay(config.isTcpNoDelay());
        }
      });
    }
  }

  @Override
  protected void doShutdownOutput() {
    if (tcp != null && !outputShutdown) {
      outputShutdown = true;
      tcp.shutdownOutput(); // FIN after what is queued (RFC 9293 §3.6)
    }
  }

  @Override
  protected void doDisconnect() throws Exception {
    doClose();
  }

  @Override
  protected void doClose() {
    boolean wasOpen = open;
    open = false;
    if (connectPromise != null) {
      connectPromise.tryFailure(new ClosedChannelException());
      connectPromise = null;
    }
    cancelConnectTimeout();
    if (!wasOpen || tcp == null) {
      return;
    }
    int linger = config.getSoLinger();
    if (linger == 0 || !established) {
      tcp.abort(); // RST (RFC 9293 §3.10.5), or an attempt to connect given up
    } else if (linger > 0) {
      tcp.close(Duration.ofSeconds(linger));
    } else {
      tcp.close(); // graceful: what was written is still delivered, then FIN
    }
  }

  @Override
  public ChannelFuture shutdownOutput() {
    return shutdownOutput(newPromise());
  }

  @Override
  public ChannelFuture shutdownOutput(ChannelPromise promise) {
    EventLoop loop = eventLoop();
    if (loop.inEventLoop()) {
      ((AbstractUnsafe) unsafe()).shutdownOutput(promise);
    } else {
      loop.execute(() -> ((AbstractUnsafe) unsafe()).shutdownOutput(promise));
    }
    return promise;
  }

  /**
   * Stops reading: what arrives from now on is read and dropped, so the peer is not held up (the
   * stack has no {@code SHUT_RD} of its own; Linux drops such data too).
   */
  @Override
  public ChannelFuture shutdownInput() {
    return shutdownInput(newPromise());
  }

  @Override
  public ChannelFuture shutdownInput(ChannelPromise promise) {
    EventLoop loop = eventLoop();
    if (loop.inEventLoop()) {
      shutdownInput0(promise);
    } else {
      loop.execute(() -> shutdownInput0(promise));
    }
    return promise;
  }

  private void shutdownInput0(ChannelPromise promise) {
    if (!open || tcp == null) {
      promise.setFailure(new ClosedChannelException());
      return;
    }
    inputShutdown = true;
    discardInput = true;
    discard();
    promise.setSuccess();
  }

  /** After {@link #shutdownInput()}: drops what arrived, so the window stays open. */
  private void discard() {
    ByteBuf scratch = config.getAllocator().buffer(16 * 1024);
    try {
      while (tcp.read(scratch.clear()) > 0) {
        // dropped
      }
    } finally {
      scratch.release();
    }
    if (tcp.error() != null && open) {
      connectionEnded();
    }
  }

  @Override
  public ChannelFuture shutdown() {
    return shutdown(newPromise());
  }

  @Override
  public ChannelFuture shutdown(ChannelPromise promise) {
    ChannelFuture output = shutdownOutput();
    output.addListener(f -> shutdownInput(promise));
    return promise;
  }

  @Override
  public boolean isInputShutdown() {
    return inputShutdown || !open;
  }

  @Override
  public boolean isOutputShutdown() {
    return outputShutdown || !open;
  }

  @Override
  public boolean isShutdown() {
    return isInputShutdown() && isOutputShutdown();
  }

  // ---------------------------------------------------------------- the rest of Channel

  @Override
  protected AbstractUnsafe newUnsafe() {
    return new StackUnsafe();
  }

  private final class StackUnsafe extends AbstractUnsafe {
    @Override
    public void connect(SocketAddress remoteAddress, SocketAddress localAddress, ChannelPromise promise) {
      if (!promise.setUncancellable() || !ensureOpen(promise)) {
        return;
      }
      try {
        if (connectPromise != null) {
          throw new ConnectionPendingException();
        }
        if (tcp != null) {
          throw new AlreadyConnectedException();
        }
        if (localAddress != null) {
          doBind(localAddress);
        }
        IpAddress address = StackAddresses.peerAddress(remoteAddress);
        int port = StackAddresses.inet(remoteAddress).getPort();
        TcpStackEventLoop loop = loop();
        // The connection exists from here on; its events come to the handler (onConnected, or onClosed).
        tcp = TcpChannel.connect(loop.stack(), address, port, config.tcpConfig(), handler);
        remote = StackAddresses.toSocketAddress(address, port);
        local = StackAddresses.toSocketAddress(StackAddresses.localFor(loop.stack().config(), address), tcp.localPort());
        connectPromise = promise;
        requestedRemote = remoteAddress;
        int timeoutMillis = config.getConnectTimeoutMillis();
        if (timeoutMillis > 0) {
          connectTimeout = eventLoop().schedule(() -> {
            ChannelPromise p = connectPromise;
            if (p != null && p.tryFailure(new ConnectTimeoutException("connection timed out after " + timeoutMillis
                + " ms: " + requestedRemote))) {
              connectPromise = null;
              close(voidPromise());
            }
          }, timeoutMillis, TimeUnit.MILLISECONDS);
        }
        promise.addListener(f -> {
          if (f.isCancelled()) {
            cancelConnectTimeout();
            connectPromise = null;
            close(voidPromise());
          }
        });
      } catch (Throwable t) {
        promise.tryFailure(annotateConnectException(t, remoteAddress));
        closeIfClosed();
      }
    }

    void forceFlush() {
      super.flush0();
    }
  }

  @Override
  public ServerSocketChannel parent() {
    return (ServerSocketChannel) super.parent();
  }

  @Override
  public TcpStackSocketChannelConfig config() {
    return config;
  }

  @Override
  public ChannelMetadata metadata() {
    return METADATA;
  }

  @Override
  public boolean isOpen() {
    return open;
  }

  @Override
  public boolean isActive() {
    return open && established;
  }

  @Override
  public InetSocketAddress localAddress() {
    return (InetSocketAddress) super.localAddress();
  }

  @Override
  public InetSocketAddress remoteAddress() {
    return (InetSocketAddress) super.remoteAddress();
  }

  @Override
  protected SocketAddress localAddress0() {
    return local;
  }

  @Override
  protected SocketAddress remoteAddress0() {
    return remote;
  }

  /**
   * The stack's connection under this channel, for diagnostics; stack thread. Null before connect.
   *
   * @return the connection, or null before {@code connect} (for an accepted channel, never null)
   */
  public TcpChannel tcpChannel() {
    return tcp;
  }
}
