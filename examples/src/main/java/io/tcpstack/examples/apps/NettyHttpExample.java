package io.tcpstack.examples.apps;

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
import io.tcpstack.examples.http.HttpServer;
import io.tcpstack.netty.TcpStackEventLoop;
import io.tcpstack.netty.TcpStackServerChannel;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

/**
 * {@code netty-http}: Netty's HTTP/1.1 codec serving over the stack, in the shape of Netty's own
 * "hello world" server — {@code HttpServerCodec}, {@code HttpServerExpectContinueHandler} and a
 * handler that answers {@code GET /} with a fixed page and anything else with 404. Keep-alive is
 * honoured (HTTP/1.1 by default, HTTP/1.0 with {@code Connection: keep-alive}).
 */
public final class NettyHttpExample extends ServerExample {

  /** The body of {@code GET /}. */
  public static final String PAGE = "<!DOCTYPE html>\n<title>tcpstack</title>\n"
      + "<p>Hello from Netty's HttpServerCodec, served over tcpstack.</p>\n";
  static final String NOT_FOUND = "not found\n";

  public NettyHttpExample() {
    super("netty-http", HttpServer.PORT, "Netty's HttpServerCodec over the stack: GET / (fixed page), keep-alive, 404");
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
          .childHandler(new ChannelInitializer<SocketChannel>() {
            @Override
            protected void initChannel(SocketChannel ch) {
              ch.pipeline().addLast(new HttpServerCodec());
              ch.pipeline().addLast(new HttpServerExpectContinueHandler());
              ch.pipeline().addLast(new HelloHandler());
            }
          })
          .bind(port).sync().channel();
      int status = context.serveUntilStopped("netty-http on TCP port " + port);
      server.close().sync();
      return status;
    } finally {
      loop.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(); // closes the channels, then the stack
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
