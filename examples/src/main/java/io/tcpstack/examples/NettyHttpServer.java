package io.tcpstack.examples;

import static io.netty.handler.codec.http.HttpHeaderNames.CONNECTION;
import static io.netty.handler.codec.http.HttpHeaderNames.CONTENT_LENGTH;
import static io.netty.handler.codec.http.HttpHeaderNames.CONTENT_TYPE;
import static io.netty.handler.codec.http.HttpHeaderValues.CLOSE;
import static io.netty.handler.codec.http.HttpHeaderValues.KEEP_ALIVE;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpServerExpectContinueHandler;
import io.netty.handler.codec.http.HttpUtil;
import io.tcpstack.TcpStack;
import io.tcpstack.netty.TcpStackEventLoop;
import io.tcpstack.netty.TcpStackServerChannel;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

/**
 * {@code netty-http}: Netty's HTTP/1.1 codec serving over the stack, in the shape of Netty's own
 * "hello world" server — {@code HttpServerCodec}, {@code HttpServerExpectContinueHandler} and a
 * handler that answers {@code GET /} with a fixed page and anything else with 404. Keep-alive is
 * honoured (HTTP/1.1 by default, HTTP/1.0 with {@code Connection: keep-alive}).
 *
 * <pre>
 *   ./tcpstack run netty-http [PORT] --netns demo       # PORT: 80 by default
 *   ip netns exec demo curl http://198.18.0.2/
 * </pre>
 */
public final class NettyHttpServer {

  /** The body of {@code GET /}. */
  public static final String PAGE = "<!DOCTYPE html>\n<title>tcpstack</title>\n"
      + "<p>Hello from Netty's HttpServerCodec, served over tcpstack.</p>\n";
  static final String NOT_FOUND = "not found\n";

  private NettyHttpServer() {}

  public static void main(String[] args) throws Exception {
    int port = args.length > 0 ? Integer.parseInt(args[0]) : 80;
    // ownThread(false): the stack loop does not get a thread of its own; Netty's event loop below
    // runs it, so the handlers and the stack share one thread and nothing is handed over.
    try (TcpStack stack = TcpStack.builder().address("198.18.0.2/24").ownThread(false).open()) {
      TcpStackEventLoop loop = new TcpStackEventLoop(stack.runtime());
      try {
        Channel server = new ServerBootstrap()
            .group(loop)
            .channel(TcpStackServerChannel.class)
            .option(ChannelOption.SO_BACKLOG, stack.backlog())
            .childHandler(new ChannelInitializer<SocketChannel>() {
              @Override
              protected void initChannel(SocketChannel ch) {
                ch.pipeline().addLast(new HttpServerCodec());
                ch.pipeline().addLast(new HttpServerExpectContinueHandler());
                ch.pipeline().addLast(new HelloHandler());
              }
            }).bind(port).sync().channel();
        System.out.println("ready: " + stack + "; netty-http on TCP port " + port);
        server.closeFuture().sync(); // until Ctrl-C
      } finally {
        loop.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(); // closes the channels, then the stack
      }
    }
  }

  /** Answers each request: the page for {@code GET /}, 404 for the rest; closes only when asked to. */
  static final class HelloHandler extends SimpleChannelInboundHandler<HttpObject> {
    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
      ctx.flush();
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, HttpObject msg) {
      if (!(msg instanceof HttpRequest)) {
        return; // the body of a request, if any: not needed (released by SimpleChannelInboundHandler)
      }
      HttpRequest request = (HttpRequest) msg;
      boolean found = HttpMethod.GET.equals(request.method()) && "/".equals(request.uri());
      FullHttpResponse response = new DefaultFullHttpResponse(request.protocolVersion(),
          found ? HttpResponseStatus.OK : HttpResponseStatus.NOT_FOUND,
          Unpooled.copiedBuffer(found ? PAGE : NOT_FOUND, StandardCharsets.UTF_8));
      response.headers()
          .set(CONTENT_TYPE, found ? "text/html; charset=utf-8" : "text/plain; charset=utf-8")
          .setInt(CONTENT_LENGTH, response.content().readableBytes());

      boolean keepAlive = HttpUtil.isKeepAlive(request);
      if (keepAlive) {
        if (!request.protocolVersion().isKeepAliveDefault()) {
          response.headers().set(CONNECTION, KEEP_ALIVE); // HTTP/1.0 asked for it: say yes
        }
        ctx.write(response);
      } else {
        response.headers().set(CONNECTION, CLOSE);
        ctx.write(response).addListener(ChannelFutureListener.CLOSE);
      }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      ctx.close(); // a reset, a timeout, a malformed request
    }
  }
}
