package io.tcpstack.netty;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.DefaultEventLoop;
import io.netty.channel.DefaultFileRegion;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.local.LocalChannel;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.ChannelInputShutdownReadComplete;
import io.netty.channel.socket.ChannelOutputShutdownEvent;
import io.netty.channel.socket.SocketChannel;
import io.tcpstack.StackConfig;
import io.tcpstack.api.ConnectionRefusedException;
import io.tcpstack.api.ConnectionResetException;
import io.tcpstack.api.ConnectionTimedOutException;
import io.tcpstack.tcp.TcpConfig;
import java.time.Duration;
import io.tcpstack.stats.StackCounter;
import io.tcpstack.testing.Packets;
import io.tcpstack.testing.PipeDevice;
import io.tcpstack.wire.Ipv4Address;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Netty transport between two stacks joined by an in-memory link ({@link PipeDevice}), each
 * driven by its own {@link TcpStackEventLoop}: unchanged Netty bootstraps and handlers — a server
 * with Netty's echo handler, clients that collect what comes back — exchanging byte-exact streams,
 * half-closing, filling the send buffer (writability), reading on demand, closing from each side and
 * resetting. Leak detection runs at paranoid: every ByteBuf is released exactly once.
 */
class TcpStackTransportTest {

  private static final int PORT = 7;
  /** How long any one step may take: a hang guard, not a measurement. */
  private static final long GUARD_S = 60;
  private static final InetSocketAddress SERVER = new InetSocketAddress(Ipv4Address.toInet(Packets.STACK), PORT);

  private TcpStackEventLoop serverLoop;
  private TcpStackEventLoop clientLoop;
  private PipeDevice[] link;

  @BeforeEach
  void startStacks() {
    link = PipeDevice.pair(1500);
    clientLoop = TcpStackEventLoop.open(config(Packets.HOST), link[0]);
    serverLoop = TcpStackEventLoop.open(config(Packets.STACK), link[1]);
  }

  private static StackConfig config(int address) {
    return StackConfig.builder().address(address, 24).mtu(1500).build();
  }

  @AfterEach
  void stopStacks() throws InterruptedException {
    clientLoop.shutdownGracefully(0, 5, TimeUnit.SECONDS);
    serverLoop.shutdownGracefully(0, 5, TimeUnit.SECONDS);
    assertTrue(clientLoop.awaitTermination(GUARD_S, TimeUnit.SECONDS), "client loop terminated");
    assertTrue(serverLoop.awaitTermination(GUARD_S, TimeUnit.SECONDS), "server loop terminated");
    assertFalse(clientLoop.runtime().isRunning(), "the loop closed its runtime");
    assertEquals(0, clientLoop.runtime().counters().get(StackCounter.LOOP_ERRORS), "client loop errors");
    assertEquals(0, serverLoop.runtime().counters().get(StackCounter.LOOP_ERRORS), "server loop errors");
  }

  /** Netty's own echo server handler (as in its examples), unchanged. */
  @ChannelHandler.Sharable
  static final class EchoServerHandler extends ChannelInboundHandlerAdapter {
    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      ctx.write(msg);
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
      ctx.flush();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      ctx.close();
    }
  }

  /** Collects what a channel receives (releasing each buffer), its user events and exceptions. */
  static final class Collector extends ChannelInboundHandlerAdapter {
    final ByteArrayOutputStream received = new ByteArrayOutputStream();
    final BlockingQueue<Object> events = new LinkedBlockingQueue<>();
    final AtomicInteger reads = new AtomicInteger();
    final List<Boolean> writability = new ArrayList<>();
    volatile Channel channel;

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
      channel = ctx.channel();
      events.add("active");
      ctx.fireChannelActive();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      ByteBuf buf = (ByteBuf) msg;
      try {
        reads.incrementAndGet();
        synchronized (received) {
          buf.readBytes(received, buf.readableBytes());
        }
      } catch (IOException e) {
        throw new AssertionError(e);
      } finally {
        buf.release();
      }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
      events.add(evt);
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
      synchronized (writability) {
        writability.add(ctx.channel().isWritable());
      }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      events.add(cause);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      events.add("inactive");
    }

    byte[] bytes() {
      synchronized (received) {
        return received.toByteArray();
      }
    }

    int size() {
      synchronized (received) {
        return received.size();
      }
    }

    Object nextEvent() throws InterruptedException {
      Object e = events.poll(GUARD_S, TimeUnit.SECONDS);
      if (e == null) {
        throw new AssertionError("no event within " + GUARD_S + " s");
      }
      return e;
    }
  }

  private Channel echoServer() throws InterruptedException {
    return new ServerBootstrap()
        .group(serverLoop)
        .channel(TcpStackServerChannel.class)
        .childHandler(new EchoServerHandler())
        .bind(PORT).sync().channel();
  }

  /** A server whose accepted channels get a {@link Collector} each, handed out through {@code accepted}. */
  private Channel collectingServer(BlockingQueue<Collector> accepted, boolean autoRead, boolean halfClosure)
      throws InterruptedException {
    return new ServerBootstrap()
        .group(serverLoop)
        .channel(TcpStackServerChannel.class)
        .option(ChannelOption.SO_RCVBUF, 16 * 1024)
        .childOption(ChannelOption.TCP_NODELAY, false) // applied to the accepted connection, on the stack thread
        .childOption(ChannelOption.AUTO_READ, autoRead)
        .childOption(ChannelOption.ALLOW_HALF_CLOSURE, halfClosure)
        .childHandler(new ChannelInitializer<SocketChannel>() {
          @Override
          protected void initChannel(SocketChannel ch) {
            assertFalse(ch.config().isTcpNoDelay());
            Collector c = new Collector();
            c.channel = ch;
            ch.pipeline().addLast(c);
            accepted.add(c);
          }
        })
        .bind(PORT).sync().channel();
  }

  private Bootstrap client(Collector collector) {
    return new Bootstrap()
        .group(clientLoop)
        .channel(TcpStackSocketChannel.class)
        .handler(collector);
  }

  private static byte[] random(int n, long seed) {
    byte[] b = new byte[n];
    SplittableRandom r = new SplittableRandom(seed);
    for (int i = 0; i < n; i++) {
      b[i] = (byte) r.nextInt(256);
    }
    return b;
  }

  private static void await(BooleanSupplier condition, String what) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(GUARD_S);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() - deadline > 0) {
        throw new AssertionError(what + ": not within " + GUARD_S + " s");
      }
      Thread.sleep(5);
    }
  }

  private static <T> T onLoop(Channel channel, java.util.concurrent.Callable<T> work) throws Exception {
    return channel.eventLoop().submit(work).get(GUARD_S, TimeUnit.SECONDS);
  }

  // ---------------------------------------------------------------- exchange

  @Test
  void echoServerReturnsAMegabyteByteExactAndAddressesAreTheStacks() throws Exception {
    Channel server = echoServer();
    assertEquals(new InetSocketAddress(Ipv4Address.toInet(Packets.STACK), PORT), server.localAddress());
    Collector collector = new Collector();
    Channel ch = client(collector).connect(SERVER).sync().channel();
    assertInstanceOf(TcpStackSocketChannel.class, ch);
    assertEquals(SERVER, ch.remoteAddress());
    InetSocketAddress local = (InetSocketAddress) ch.localAddress();
    assertEquals(Ipv4Address.toInet(Packets.HOST), local.getAddress());
    assertTrue(local.getPort() > 0);

    byte[] data = random(1 << 20, 42);
    // From the test thread: each write is handed to the client's loop as a task (a wake-up).
    for (int off = 0; off < data.length; off += 16 * 1024) {
      ch.writeAndFlush(Unpooled.wrappedBuffer(data, off, Math.min(16 * 1024, data.length - off)));
    }
    await(() -> collector.size() >= data.length, "the echo of 1 MiB");
    assertArrayEquals(data, collector.bytes());

    ch.close().sync();
    assertEquals("active", collector.nextEvent());
    assertEquals("inactive", collector.nextEvent());
  }

  @Test
  void manyClientsAtOnceEachGetTheirOwnStreamBack() throws Exception {
    echoServer();
    int clients = 20;
    List<Collector> collectors = new ArrayList<>();
    List<byte[]> sent = new ArrayList<>();
    List<Channel> channels = new ArrayList<>();
    for (int i = 0; i < clients; i++) {
      Collector c = new Collector();
      collectors.add(c);
      channels.add(client(c).connect(SERVER).sync().channel());
      sent.add(random(10_000 + 997 * i, i));
    }
    for (int i = 0; i < clients; i++) {
      channels.get(i).writeAndFlush(Unpooled.wrappedBuffer(sent.get(i)));
    }
    for (int i = 0; i < clients; i++) {
      int n = i;
      await(() -> collectors.get(n).size() >= sent.get(n).length, "client " + i + "'s echo");
      assertArrayEquals(sent.get(i), collectors.get(i).bytes(), "client " + i);
      channels.get(i).close().sync();
    }
  }

  // ---------------------------------------------------------------- half-closure

  @Test
  void shutdownOutputSendsFinAndThePeerSeesInputShutdownThenAnswersAndCloses() throws Exception {
    BlockingQueue<Collector> accepted = new LinkedBlockingQueue<>();
    collectingServer(accepted, true, true);
    Collector client = new Collector();
    TcpStackSocketChannel ch = (TcpStackSocketChannel) client(client)
        .option(ChannelOption.ALLOW_HALF_CLOSURE, true)
        .connect(SERVER).sync().channel();
    ch.writeAndFlush(Unpooled.copiedBuffer("hello", java.nio.charset.StandardCharsets.US_ASCII));
    ch.shutdownOutput().sync();
    assertTrue(ch.isOutputShutdown());
    assertFalse(ch.isInputShutdown());

    Collector server = accepted.poll(GUARD_S, TimeUnit.SECONDS);
    assertEquals("active", server.nextEvent());
    assertEquals(ChannelInputShutdownEvent.INSTANCE, server.nextEvent(), "the FIN, after the data");
    assertEquals(ChannelInputShutdownReadComplete.INSTANCE, server.nextEvent());
    assertEquals("hello", new String(server.bytes(), java.nio.charset.StandardCharsets.US_ASCII));
    assertTrue(server.channel.isActive(), "half-closed, still open for writing");

    // The server answers on its open half, then closes; the client reads the answer, then the end.
    server.channel.writeAndFlush(Unpooled.copiedBuffer("bye", java.nio.charset.StandardCharsets.US_ASCII))
        .addListener(f -> server.channel.close());
    assertEquals("active", client.nextEvent());
    assertEquals(ChannelOutputShutdownEvent.INSTANCE, client.nextEvent(), "its own shutdownOutput, as Netty tells it");
    assertEquals(ChannelInputShutdownEvent.INSTANCE, client.nextEvent());
    assertEquals(ChannelInputShutdownReadComplete.INSTANCE, client.nextEvent());
    assertEquals("bye", new String(client.bytes(), java.nio.charset.StandardCharsets.US_ASCII));
    ch.closeFuture().await(GUARD_S, TimeUnit.SECONDS);
    assertFalse(ch.isOpen(), "both halves done: the connection is over and the channel closed");
    server.channel.closeFuture().await(GUARD_S, TimeUnit.SECONDS);
  }

  @Test
  void withoutHalfClosureThePeersFinClosesTheChannel() throws Exception {
    BlockingQueue<Collector> accepted = new LinkedBlockingQueue<>();
    collectingServer(accepted, true, false);
    Collector client = new Collector();
    TcpStackSocketChannel ch = (TcpStackSocketChannel) client(client).connect(SERVER).sync().channel();
    ch.writeAndFlush(Unpooled.copiedBuffer("last words", java.nio.charset.StandardCharsets.US_ASCII));
    ch.shutdownOutput().sync();
    Collector server = accepted.poll(GUARD_S, TimeUnit.SECONDS);
    assertTrue(server.channel.closeFuture().await(GUARD_S, TimeUnit.SECONDS), "server channel closed on FIN");
    assertEquals("last words", new String(server.bytes(), java.nio.charset.StandardCharsets.US_ASCII));
    assertEquals("active", server.nextEvent());
    assertEquals("inactive", server.nextEvent());
    assertTrue(ch.closeFuture().await(GUARD_S, TimeUnit.SECONDS), "client closed after the server's FIN");
  }

  // ---------------------------------------------------------------- closing and errors

  @Test
  void clientCloseEndsTheServersChannelAndServerCloseEndsTheClients() throws Exception {
    BlockingQueue<Collector> accepted = new LinkedBlockingQueue<>();
    collectingServer(accepted, true, false);

    Collector c1 = new Collector();
    Channel ch1 = client(c1).connect(SERVER).sync().channel();
    Collector s1 = accepted.poll(GUARD_S, TimeUnit.SECONDS);
    ch1.close().sync();
    assertTrue(s1.channel.closeFuture().await(GUARD_S, TimeUnit.SECONDS), "server side closed after the client's");

    Collector c2 = new Collector();
    Channel ch2 = client(c2).connect(SERVER).sync().channel();
    Collector s2 = accepted.poll(GUARD_S, TimeUnit.SECONDS);
    s2.channel.close().sync();
    assertTrue(ch2.closeFuture().await(GUARD_S, TimeUnit.SECONDS), "client side closed after the server's");
    assertEquals("active", c2.nextEvent());
    assertEquals("inactive", c2.nextEvent(), "an orderly close: no exception");
  }

  @Test
  void aResetIsExceptionCaughtWithTheStacksExceptionThenTheChannelCloses() throws Exception {
    BlockingQueue<Collector> accepted = new LinkedBlockingQueue<>();
    collectingServer(accepted, true, false);
    Collector client = new Collector();
    Channel ch = client(client).option(ChannelOption.SO_LINGER, 0).connect(SERVER).sync().channel();
    Collector server = accepted.poll(GUARD_S, TimeUnit.SECONDS);
    assertEquals("active", server.nextEvent());
    ch.close().sync(); // SO_LINGER 0: an abortive close, RST

    Object e = server.nextEvent();
    assertInstanceOf(ConnectionResetException.class, e, String.valueOf(e));
    assertEquals("inactive", server.nextEvent());
    assertFalse(server.channel.isOpen());
  }

  /**
   * The server's packets stop reaching the client (a cut cable): data it writes is never
   * acknowledged, and its user timeout (from the server channel's {@code TCP_CONFIG}) aborts the
   * connection — {@code exceptionCaught(ConnectionTimedOutException)}, then the channel closes.
   */
  @Test
  void aTimeoutIsExceptionCaughtWithConnectionTimedOut() throws Exception {
    BlockingQueue<Collector> accepted = new LinkedBlockingQueue<>();
    Channel serverChannel = new ServerBootstrap()
        .group(serverLoop)
        .channel(TcpStackServerChannel.class)
        .option(TcpStackChannelOption.TCP_CONFIG, TcpConfig.builder().userTimeout(Duration.ofMillis(300)).build())
        .childHandler(new ChannelInitializer<SocketChannel>() {
          @Override
          protected void initChannel(SocketChannel ch) {
            Collector c = new Collector();
            c.channel = ch;
            ch.pipeline().addLast(c);
            accepted.add(c);
          }
        })
        .bind(PORT).sync().channel();
    assertEquals(Duration.ofMillis(300),
        serverChannel.config().getOption(TcpStackChannelOption.TCP_CONFIG).userTimeout());
    Channel ch = client(new Collector()).connect(SERVER).sync().channel();
    Collector server = accepted.poll(GUARD_S, TimeUnit.SECONDS);
    assertEquals("active", server.nextEvent());

    link[1].drop(true); // what the server sends is lost from now on
    server.channel.writeAndFlush(Unpooled.copiedBuffer("anyone there?", java.nio.charset.StandardCharsets.US_ASCII));
    Object e = server.nextEvent();
    assertInstanceOf(ConnectionTimedOutException.class, e, String.valueOf(e));
    assertEquals("inactive", server.nextEvent());
    link[1].drop(false);
    ch.close();
  }

  @Test
  void connectingToAPortNobodyListensOnFailsWithConnectionRefused() throws Exception {
    ChannelFuture f = client(new Collector()).connect(SERVER);
    assertTrue(f.await(GUARD_S, TimeUnit.SECONDS));
    assertInstanceOf(ConnectionRefusedException.class, f.cause(), String.valueOf(f.cause()));
    assertTrue(f.channel().closeFuture().await(GUARD_S, TimeUnit.SECONDS), "the channel closes");
  }

  @Test
  void bindingAPortInUseFailsWithBindException() throws Exception {
    echoServer();
    ChannelFuture f = new ServerBootstrap().group(serverLoop).channel(TcpStackServerChannel.class)
        .childHandler(new EchoServerHandler()).bind(PORT);
    assertTrue(f.await(GUARD_S, TimeUnit.SECONDS));
    assertInstanceOf(java.net.BindException.class, f.cause());
  }

  // ---------------------------------------------------------------- flow control

  /**
   * The server reads nothing (AUTO_READ off): its 16 KiB receive buffer fills and its window
   * closes, the client's send buffer fills, then Netty's outbound buffer passes the high water mark
   * and the client turns unwritable. Reading on the server opens the window: the client drains and
   * turns writable again, and every byte arrives in order.
   */
  @Test
  void autoReadOffClosesTheWindowAndTheWriterTurnsUnwritableThenRecovers() throws Exception {
    BlockingQueue<Collector> accepted = new LinkedBlockingQueue<>();
    collectingServer(accepted, false, false);
    Collector client = new Collector();
    Channel ch = client(client)
        .option(ChannelOption.SO_SNDBUF, 16 * 1024)
        .option(ChannelOption.WRITE_BUFFER_WATER_MARK, new WriteBufferWaterMark(16 * 1024, 32 * 1024))
        .connect(SERVER).sync().channel();
    Collector server = accepted.poll(GUARD_S, TimeUnit.SECONDS);

    // Write 8 KiB at a time, on the client's loop, until the channel says stop.
    byte[] data = random(1 << 20, 7);
    int[] written = {0};
    CompletableFuture<Integer> unwritable = new CompletableFuture<>();
    Runnable writer = new Runnable() {
      @Override
      public void run() {
        while (ch.isWritable() && written[0] < data.length) {
          ch.writeAndFlush(Unpooled.wrappedBuffer(data, written[0], 8 * 1024));
          written[0] += 8 * 1024;
        }
        if (!ch.isWritable()) {
          unwritable.complete(written[0]);
        } else {
          ch.eventLoop().execute(this);
        }
      }
    };
    ch.eventLoop().execute(writer);
    int total = unwritable.get(GUARD_S, TimeUnit.SECONDS);
    assertTrue(total < data.length, "the writer was stopped by backpressure, after " + total + " bytes");

    // The server has not read a byte; the stack holds what it received (up to its buffer).
    TcpStackSocketChannel child = (TcpStackSocketChannel) server.channel;
    await(() -> {
      try {
        return onLoop(child, () -> child.tcpChannel().readableBytes()) >= 8 * 1024;
      } catch (Exception e) {
        throw new AssertionError(e);
      }
    }, "the server's receive buffer full");
    assertEquals(0, server.reads.get(), "no channelRead with AUTO_READ off and no read()");
    assertFalse(ch.isWritable());

    // One read() is one batch; then reading on: everything arrives and the writer recovers.
    child.read();
    await(() -> server.reads.get() > 0, "a read after read()");
    child.config().setAutoRead(true);
    await(() -> server.size() >= total, "all " + total + " bytes at the server");
    assertArrayEquals(java.util.Arrays.copyOf(data, total), server.bytes());
    await(ch::isWritable, "the client writable again");
    synchronized (client.writability) {
      assertEquals(List.of(false, true), client.writability);
    }
    ch.close().sync();
  }

  /** Writes still in Netty's outbound buffer when the channel closes fail, and their buffers are released once. */
  @Test
  void closingWhileUnwritableFailsTheWaitingWritesAndReleasesTheirBuffers() throws Exception {
    BlockingQueue<Collector> accepted = new LinkedBlockingQueue<>();
    collectingServer(accepted, false, false);
    Channel ch = client(new Collector())
        .option(ChannelOption.SO_SNDBUF, 16 * 1024)
        .connect(SERVER).sync().channel();
    accepted.poll(GUARD_S, TimeUnit.SECONDS);
    List<ChannelFuture> writes = onLoop(ch, () -> {
      List<ChannelFuture> w = new ArrayList<>();
      for (int i = 0; i < 32; i++) { // 256 KiB against 16 KiB of send buffer and a 16 KiB window
        w.add(ch.writeAndFlush(ch.alloc().directBuffer(8 * 1024).writeZero(8 * 1024)));
      }
      return w;
    });
    await(() -> !ch.isWritable(), "the client unwritable");
    ch.close().sync();
    int failed = 0;
    for (ChannelFuture w : writes) {
      assertTrue(w.await(GUARD_S, TimeUnit.SECONDS));
      failed += w.isSuccess() ? 0 : 1;
    }
    assertTrue(failed > 0, "writes that never reached the stack fail");
  }

  @Test
  void aConnectThatGetsNoAnswerFailsAfterConnectTimeoutMillis() throws Exception {
    link[0].drop(true); // the SYNs are lost
    ChannelFuture f = client(new Collector())
        .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 200)
        .connect(SERVER);
    assertTrue(f.await(GUARD_S, TimeUnit.SECONDS));
    assertInstanceOf(io.netty.channel.ConnectTimeoutException.class, f.cause(), String.valueOf(f.cause()));
    assertTrue(f.channel().closeFuture().await(GUARD_S, TimeUnit.SECONDS));
    assertEquals(0, (int) onLoop(f.channel(), () -> clientLoop.runtime().stack().tcp().openConnectionCount()),
        "the attempt was aborted in the stack");
  }

  @Test
  void shutdownInputDropsWhatArrivesAndKeepsTheWindowOpen() throws Exception {
    echoServer();
    Collector client = new Collector();
    TcpStackSocketChannel ch = (TcpStackSocketChannel) client(client).connect(SERVER).sync().channel();
    ch.shutdownInput().sync();
    assertTrue(ch.isInputShutdown());
    byte[] data = random(1 << 20, 3); // four times the receive buffer: it arrives only if it is drained
    ch.writeAndFlush(Unpooled.wrappedBuffer(data)).sync();
    await(() -> {
      try {
        return onLoop(ch, () -> ch.tcpChannel().info().bytesIn()) == data.length;
      } catch (Exception e) {
        throw new AssertionError(e);
      }
    }, "the whole echo received: more than the receive buffer holds, so it was drained");
    assertEquals(0, (int) onLoop(ch, () -> ch.tcpChannel().readableBytes()), "and dropped");
    assertEquals(0, client.reads.get(), "nothing reaches the pipeline after shutdownInput");
    ch.close().sync();
  }

  // ---------------------------------------------------------------- what is refused

  @Test
  void channelsOfAnotherTransportAreRefusedByTheLoopAndTheStacksChannelsElsewhere() throws Exception {
    ChannelFuture local = serverLoop.register(new LocalChannel());
    assertTrue(local.await(GUARD_S, TimeUnit.SECONDS));
    assertTrue(local.cause().getMessage().contains("runs only the stack's channels"), local.cause().getMessage());

    DefaultEventLoop other = new DefaultEventLoop();
    try {
      ChannelFuture f = other.register(new TcpStackSocketChannel());
      assertTrue(f.await(GUARD_S, TimeUnit.SECONDS));
      assertTrue(f.cause().getMessage().contains("runs only on a TcpStackEventLoop"), f.cause().getMessage());
    } finally {
      other.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
    }
  }

  @Test
  void aFileRegionIsRefusedWithAClearMessage(@TempDir Path dir) throws Exception {
    echoServer();
    Channel ch = client(new Collector()).connect(SERVER).sync().channel();
    Path file = Files.write(dir.resolve("f"), new byte[] {1, 2, 3});
    try (FileChannel fc = FileChannel.open(file, StandardOpenOption.READ)) {
      ChannelFuture f = ch.writeAndFlush(new DefaultFileRegion(fc, 0, 3));
      assertTrue(f.await(GUARD_S, TimeUnit.SECONDS));
      assertInstanceOf(UnsupportedOperationException.class, f.cause());
      assertTrue(f.cause().getMessage().contains("ByteBuf only"), f.cause().getMessage());
    }
    assertTrue(ch.isOpen(), "a refused write leaves the channel usable");
    ch.close().sync();
  }

  @Test
  void shuttingTheLoopDownClosesItsChannelsAndTheStack() throws Exception {
    Channel server = echoServer();
    Collector collector = new Collector();
    Channel ch = client(collector).connect(SERVER).sync().channel();
    CountDownLatch closed = new CountDownLatch(1);
    ch.closeFuture().addListener(f -> closed.countDown());
    serverLoop.shutdownGracefully(0, 5, TimeUnit.SECONDS).sync();
    assertFalse(server.isOpen());
    assertFalse(serverLoop.runtime().isRunning());
    assertTrue(closed.await(GUARD_S, TimeUnit.SECONDS), "the client heard the server's channels close");
  }
}
