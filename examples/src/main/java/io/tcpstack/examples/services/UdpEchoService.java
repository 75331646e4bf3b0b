package io.tcpstack.examples.services;

import io.netty.buffer.ByteBuf;
import io.tcpstack.NetworkStack;
import io.tcpstack.api.UdpChannel;
import io.tcpstack.api.UdpChannelHandler;
import io.tcpstack.runtime.StackRuntime;
import io.tcpstack.udp.UdpLayer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.concurrent.ExecutionException;

/**
 * The Echo Protocol (RFC 862) on UDP: "A server listens for UDP datagrams on UDP port 7. When a
 * datagram is received, the data from it is sent back in an answering datagram."
 *
 * <p>Event-driven, on the stack thread ({@link UdpChannel}): on {@code onReadable} each queued
 * datagram is taken into one buffer and sent straight back to its sender. Nothing to keep between
 * datagrams — no connection, no state per client — which is the whole contrast with {@link
 * EchoService}: one socket answers everyone, and a datagram lost either way is simply lost.
 */
public final class UdpEchoService implements AutoCloseable {

  /** RFC 862: "A server listens for UDP datagrams on UDP port 7." */
  public static final int PORT = 7;

  private final StackRuntime runtime;
  private final UdpChannel channel;

  private UdpEchoService(StackRuntime runtime, UdpChannel channel) {
    this.runtime = runtime;
    this.channel = channel;
  }

  /** Starts answering on UDP {@code port} of a running stack; any thread but the stack's. */
  public static UdpEchoService start(StackRuntime runtime, int port) throws IOException {
    try {
      return new UdpEchoService(runtime, runtime.call(() -> UdpChannel.bind(runtime.stack(), port, new Echo())).get());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new java.io.InterruptedIOException("interrupted while binding UDP port " + port);
    } catch (ExecutionException e) {
      throw new IOException("cannot bind UDP port " + port + ": " + e.getCause().getMessage(), e.getCause());
    }
  }

  /** Answers on {@code port} of {@code stack}, on the stack thread (a test driving the stack itself). */
  public static UdpEchoService bind(NetworkStack stack, int port) {
    return new UdpEchoService(null, UdpChannel.bind(stack, port, new Echo()));
  }

  /** The port served. */
  public int port() {
    return channel.localPort();
  }

  /** Stops answering; the port is free again. */
  @Override
  public void close() {
    if (runtime == null) {
      channel.close();
    } else if (runtime.isRunning()) {
      try {
        runtime.call(() -> {
          channel.close();
          return null;
        }).get();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      } catch (ExecutionException | RuntimeException e) {
        // the stack closed meanwhile: it took the channel with it
      }
    }
  }

  /** Sends every datagram back where it came from. */
  private static final class Echo implements UdpChannelHandler {
    @Override
    public void onReadable(UdpChannel channel) {
      ByteBuf datagram = channel.stack().config().allocator().directBuffer(UdpLayer.MAX_PAYLOAD_IPV6); // the larger of the two families' limits
      try {
        InetSocketAddress from;
        while ((from = channel.receive(datagram)) != null) {
          if (from.getPort() != 0) { // RFC 768: source port 0 means "no reply expected"
            channel.send(datagram, from);
          }
          datagram.clear();
        }
      } finally {
        datagram.release();
      }
    }
  }
}
