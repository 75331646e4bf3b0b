package io.tcpstack.examples;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.SocketChannel;
import io.tcpstack.TcpStack;
import io.tcpstack.netty.TcpStackEventLoop;
import io.tcpstack.netty.TcpStackServerChannel;
import java.util.concurrent.TimeUnit;

/**
 * {@code netty-echo}: Netty's echo server — its {@code EchoServerHandler}, unchanged — serving over
 * the stack, with half-closure so a client that ends its input still gets every byte back. The
 * only tcpstack parts are the event loop ({@link TcpStackEventLoop}, which drives the stack) and
 * the channel class ({@link TcpStackServerChannel}).
 *
 * <pre>
 *   ./tcpstack run netty-echo [PORT] --netns demo       # PORT: 7 by default
 *   ip netns exec demo sh -c "printf 'hello\n' | nc -N 198.18.0.2 7"
 * </pre>
 */
public final class NettyEchoServer {

  private NettyEchoServer() {}

  public static void main(String[] args) throws Exception {
    int port = args.length > 0 ? Integer.parseInt(args[0]) : 7;
    // ownThread(false): the stack loop does not get a thread of its own; Netty's event loop below
    // runs it, so the handlers and the stack share one thread and nothing is handed over.
    try (TcpStack stack = TcpStack.builder().address("198.18.0.2/24").ownThread(false).open()) {
      TcpStackEventLoop loop = new TcpStackEventLoop(stack.runtime());
      try {
        Channel server = new ServerBootstrap()
            .group(loop)
            .channel(TcpStackServerChannel.class)
            .option(ChannelOption.SO_BACKLOG, stack.backlog())
            .childOption(ChannelOption.ALLOW_HALF_CLOSURE, true)
            .childHandler(new ChannelInitializer<SocketChannel>() {
              @Override
              protected void initChannel(SocketChannel ch) {
                ch.pipeline().addLast(new EchoServerHandler(), new CloseWhenClientDone());
              }
            }).bind(port).sync().channel();
        System.out.println("ready: " + stack + "; netty-echo on TCP port " + port);
        server.closeFuture().sync(); // until Ctrl-C
      } finally {
        loop.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(); // closes the channels, then the stack
      }
    }
  }

  /**
   * The client sent FIN ({@code nc -N} at the end of its input): close once every echo written so
   * far is in the stack's send buffer, so the client gets all of it before our FIN. (Without
   * half-closure Netty would close at once and drop echoes still waiting in its outbound buffer.)
   */
  static final class CloseWhenClientDone extends ChannelInboundHandlerAdapter {
    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
      if (evt instanceof ChannelInputShutdownEvent) {
        ctx.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
      }
      ctx.fireUserEventTriggered(evt);
    }
  }

  /** Netty's {@code EchoServerHandler}: writes back what it reads, flushes when a read is done. */
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
      ctx.close(); // a reset, a timeout: nothing to say to this client any more
    }
  }
}
