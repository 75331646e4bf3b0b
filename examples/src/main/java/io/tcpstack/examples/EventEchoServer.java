package io.tcpstack.examples;

import io.netty.buffer.ByteBuf;
import io.tcpstack.TcpStack;
import io.tcpstack.api.TcpChannel;
import io.tcpstack.api.TcpChannelHandler;
import io.tcpstack.api.TcpServerChannel;
import io.tcpstack.tcp.TcpConfig;
import java.io.IOException;

/**
 * The echo server again, in the other style: non-blocking, on the event API. No thread per client
 * and no blocking call: the stack's own thread tells a handler that a connection was accepted,
 * that bytes can be read, or that the send buffer has room again, and the handler does what it can
 * at once and returns. Ten thousand clients cost memory, not threads.
 *
 * <pre>
 *   ./tcpstack run event-echo [PORT] --netns demo       # PORT: 7 by default
 *   ip netns exec demo sh -c "printf 'hello\n' | nc -N 198.18.0.2 7"
 * </pre>
 *
 * <p>Back-pressure: the handler takes from the receive buffer only as much as the send buffer can
 * hold. When a client does not read its echoes, the send buffer fills, reading stops, the receive
 * buffer fills, and the stack's advertised window closes: the client waits, and nothing is lost.
 */
public final class EventEchoServer {

  private EventEchoServer() {}

  public static void main(String[] args) throws IOException, InterruptedException {
    int port = args.length > 0 ? Integer.parseInt(args[0]) : 7;
    try (TcpStack stack = TcpStack.builder().address("198.18.0.2/24").open()) {
      // Every accepted connection gets the Echo handler; it runs on the stack thread.
      TcpServerChannel.bind(stack.runtime(), port, stack.backlog(), TcpConfig.DEFAULT,
          channel -> channel.subscribe(new Echo()));
      System.out.println("ready: " + stack + "; event-driven echo on TCP port " + port);
      stack.awaitTermination(); // the main thread has nothing to do: wait for Ctrl-C
    }
  }

  /** One client's echo. Handlers must not block: the whole stack waits for them. */
  private static final class Echo implements TcpChannelHandler {

    @Override
    public void onReadable(TcpChannel channel) {
      echo(channel);
    }

    @Override
    public void onWritable(TcpChannel channel) {
      echo(channel); // acknowledgements made room: move what is still waiting
    }

    private static void echo(TcpChannel channel) {
      int n;
      while (channel.isWritable() && (n = Math.min(channel.readableBytes(), channel.writableBytes())) > 0) {
        ByteBuf chunk = channel.stack().config().allocator().directBuffer(n);
        try {
          channel.read(chunk); // n bytes: that many are waiting
          channel.write(chunk); // all n: that much room is free
        } finally {
          chunk.release();
        }
      }
      if (channel.isEndOfStream() && channel.readableBytes() == 0 && channel.isWritable()) {
        channel.close(); // the client half-closed and everything came back: our FIN follows the last byte
      }
    }
  }
}
