package io.tcpstack.examples.apps;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.tcpstack.examples.services.EchoService;
import io.tcpstack.netty.TcpStackEventLoop;
import io.tcpstack.netty.TcpStackServerChannel;
import java.util.concurrent.TimeUnit;

/**
 * {@code netty-echo}: Netty's echo server — its {@code EchoServerHandler}, unchanged — serving over
 * the stack. The only tcpstack parts are the event loop ({@link TcpStackEventLoop}, which drives
 * the stack) and the channel class ({@link TcpStackServerChannel}).
 */
public final class NettyEchoExample extends ServerExample {

  public NettyEchoExample() {
    super("netty-echo", EchoService.PORT, "Netty's echo server handler over the stack (Netty transport)");
  }

  @Override
  public boolean drivesStack() {
    return true;
  }

  @Override
  int serve(ExampleContext context, int port) throws Exception {
    TcpStackEventLoop loop = new TcpStackEventLoop(context.runtime());
    try {
      Channel server = new ServerBootstrap()
          .group(loop)
          .channel(TcpStackServerChannel.class)
          .option(ChannelOption.SO_BACKLOG, context.backlog())
          .childHandler(new EchoServerHandler())
          .bind(port).sync().channel();
      int status = context.serveUntilStopped("netty-echo on TCP port " + port);
      server.close().sync();
      return status;
    } finally {
      loop.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(); // closes the channels, then the stack
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
