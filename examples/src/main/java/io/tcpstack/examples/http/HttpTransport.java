package io.tcpstack.examples.http;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;

/**
 * The byte stream an {@link HttpConnection} is served over, with the non-blocking contract of
 * {@link io.tcpstack.api.TcpChannel}'s methods of the same names: on the stack it is a channel
 * ({@link HttpServer}), in tests memory. Every call comes from the thread that serves the
 * connection (the stack thread) and none may block.
 */
public interface HttpTransport {

  /**
   * Moves received bytes into {@code dst}: how many, 0 if none are waiting (or {@code dst} has no
   * room), -1 at the end of the client's stream.
   */
  int read(ByteBuf dst);

  /** Bytes {@link #read} would return now. */
  int readableBytes();

  /** Takes as many of {@code src}'s readable bytes as fit now; 0 means: wait for the next {@code onWritable}. */
  int write(ByteBuf src);

  /** Whether {@link #write} may still be called (output not shut down, connection not over). */
  boolean isWritable();

  /** Half-close: the client gets FIN after what was written; reading goes on. */
  void shutdownOutput();

  /** Graceful close: what was written is still delivered; the connection is done with the transport. */
  void close();

  /** Now, in nanoseconds of a monotonic clock: what the idle and linger deadlines are measured in. */
  long nowNs();

  /** Where the connection takes its buffers from (pooled on the stack). */
  ByteBufAllocator alloc();

  /**
   * A line about the connection itself for the home page — its congestion control, window and
   * RTT — or null to show none.
   */
  default String describeConnection() {
    return null;
  }
}
