package io.tcpstack.netty;

import static io.netty.channel.ChannelOption.SO_BACKLOG;
import static io.netty.channel.ChannelOption.SO_KEEPALIVE;
import static io.netty.channel.ChannelOption.SO_RCVBUF;
import static io.netty.channel.ChannelOption.SO_REUSEADDR;
import static io.netty.channel.ChannelOption.SO_SNDBUF;
import static io.netty.channel.ChannelOption.TCP_NODELAY;

import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.ChannelOption;
import io.netty.channel.DefaultChannelConfig;
import io.netty.channel.MessageSizeEstimator;
import io.netty.channel.RecvByteBufAllocator;
import io.netty.channel.ServerChannelRecvByteBufAllocator;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.socket.ServerSocketChannelConfig;
import io.tcpstack.StackConfig;
import io.tcpstack.tcp.TcpConfig;
import java.util.Map;
import java.util.Objects;

/**
 * The options of a {@link TcpStackServerChannel}: {@code SO_BACKLOG}, and the settings its
 * accepted connections start with ({@code SO_RCVBUF}, {@code SO_SNDBUF}, {@code SO_KEEPALIVE},
 * {@code TCP_NODELAY}, {@link TcpStackChannelOption#TCP_CONFIG}). These take effect at bind.
 * {@code SO_REUSEADDR} is always on: the stack listens again on a port whose connections linger in
 * TIME-WAIT, as Linux does with it.
 */
final class TcpStackServerChannelConfig extends DefaultChannelConfig implements ServerSocketChannelConfig {

  private volatile int backlog = StackConfig.DEFAULT_BACKLOG;
  private volatile TcpConfig base = TcpConfig.DEFAULT;
  private volatile int receiveBufferSize = -1;
  private volatile int sendBufferSize = -1;
  private volatile Boolean keepAlive;
  /** Netty's sockets default to TCP_NODELAY on; so do the stack's channels. */
  private volatile boolean tcpNoDelay = true;

  TcpStackServerChannelConfig(TcpStackServerChannel channel) {
    // Accepts count as messages, not bytes, as for Netty's NIO server channel.
    super(channel, new ServerChannelRecvByteBufAllocator());
  }

  /** What accepted connections start with. */
  TcpConfig tcpConfig() {
    TcpConfig.Builder b = base.toBuilder().noDelay(tcpNoDelay);
    if (receiveBufferSize > 0) {
      b.receiveBufferSize(receiveBufferSize);
    }
    if (sendBufferSize > 0) {
      b.sendBufferSize(sendBufferSize);
    }
    if (keepAlive != null) {
      b.keepAlive(keepAlive);
    }
    return b.build();
  }

  @Override
  public Map<ChannelOption<?>, Object> getOptions() {
    return getOptions(super.getOptions(), SO_BACKLOG, SO_RCVBUF, SO_SNDBUF, SO_KEEPALIVE, TCP_NODELAY, SO_REUSEADDR,
        TcpStackChannelOption.TCP_CONFIG);
  }

  @SuppressWarnings("unchecked")
  @Override
  public <T> T getOption(ChannelOption<T> option) {
    if (option == SO_BACKLOG) {
      return (T) Integer.valueOf(getBacklog());
    }
    if (option == SO_RCVBUF) {
      return (T) Integer.valueOf(getReceiveBufferSize());
    }
    if (option == SO_SNDBUF) {
      return (T) Integer.valueOf(sendBufferSize > 0 ? sendBufferSize : base.sendBufferSize());
    }
    if (option == SO_KEEPALIVE) {
      return (T) Boolean.valueOf(keepAlive != null ? keepAlive : base.keepAlive());
    }
    if (option == TCP_NODELAY) {
      return (T) Boolean.valueOf(tcpNoDelay);
    }
    if (option == SO_REUSEADDR) {
      return (T) Boolean.valueOf(isReuseAddress());
    }
    if (option == TcpStackChannelOption.TCP_CONFIG) {
      return (T) base;
    }
    return super.getOption(option);
  }

  @Override
  public <T> boolean setOption(ChannelOption<T> option, T value) {
    validate(option, value);
    if (option == SO_BACKLOG) {
      setBacklog((Integer) value);
    } else if (option == SO_RCVBUF) {
      setReceiveBufferSize((Integer) value);
    } else if (option == SO_SNDBUF) {
      sendBufferSize = checkedBuffer((Integer) value, true);
    } else if (option == SO_KEEPALIVE) {
      keepAlive = (Boolean) value;
    } else if (option == TCP_NODELAY) {
      tcpNoDelay = (Boolean) value;
    } else if (option == SO_REUSEADDR) {
      setReuseAddress((Boolean) value);
    } else if (option == TcpStackChannelOption.TCP_CONFIG) {
      base = Objects.requireNonNull((TcpConfig) value, "TCP_CONFIG");
    } else {
      return super.setOption(option, value);
    }
    return true;
  }

  /** A buffer size the stack accepts (TcpConfig checks it): fails now, not at bind. */
  private static int checkedBuffer(int bytes, boolean send) {
    if (send) {
      TcpConfig.builder().sendBufferSize(bytes);
    } else {
      TcpConfig.builder().receiveBufferSize(bytes);
    }
    return bytes;
  }

  @Override
  public int getBacklog() {
    return backlog;
  }

  @Override
  public TcpStackServerChannelConfig setBacklog(int backlog) {
    if (backlog < 1) {
      throw new IllegalArgumentException("SO_BACKLOG must be at least 1, got " + backlog);
    }
    this.backlog = backlog;
    return this;
  }

  @Override
  public boolean isReuseAddress() {
    return true;
  }

  /** Always on (see the class comment); {@code false} is refused. */
  @Override
  public TcpStackServerChannelConfig setReuseAddress(boolean reuseAddress) {
    if (!reuseAddress) {
      throw new UnsupportedOperationException("SO_REUSEADDR cannot be turned off: the stack always listens again"
          + " on a port whose connections linger in TIME-WAIT");
    }
    return this;
  }

  @Override
  public int getReceiveBufferSize() {
    return receiveBufferSize > 0 ? receiveBufferSize : base.receiveBufferSize();
  }

  @Override
  public TcpStackServerChannelConfig setReceiveBufferSize(int receiveBufferSize) {
    this.receiveBufferSize = checkedBuffer(receiveBufferSize, false);
    return this;
  }

  /** Ignored, as by Linux. */
  @Override
  public TcpStackServerChannelConfig setPerformancePreferences(int connectionTime, int latency, int bandwidth) {
    return this;
  }

  @Override
  protected void autoReadCleared() {
    ((TcpStackServerChannel) channel).clearReadPending();
  }

  // Covariant returns, as ServerSocketChannelConfig declares them.

  @Override
  public TcpStackServerChannelConfig setConnectTimeoutMillis(int connectTimeoutMillis) {
    super.setConnectTimeoutMillis(connectTimeoutMillis);
    return this;
  }

  @Override
  @Deprecated
  public TcpStackServerChannelConfig setMaxMessagesPerRead(int maxMessagesPerRead) {
    super.setMaxMessagesPerRead(maxMessagesPerRead);
    return this;
  }

  @Override
  public TcpStackServerChannelConfig setWriteSpinCount(int writeSpinCount) {
    super.setWriteSpinCount(writeSpinCount);
    return this;
  }

  @Override
  public TcpStackServerChannelConfig setAllocator(ByteBufAllocator allocator) {
    super.setAllocator(allocator);
    return this;
  }

  @Override
  public TcpStackServerChannelConfig setRecvByteBufAllocator(RecvByteBufAllocator allocator) {
    super.setRecvByteBufAllocator(allocator);
    return this;
  }

  @Override
  public TcpStackServerChannelConfig setAutoRead(boolean autoRead) {
    super.setAutoRead(autoRead);
    return this;
  }

  @Override
  public TcpStackServerChannelConfig setMessageSizeEstimator(MessageSizeEstimator estimator) {
    super.setMessageSizeEstimator(estimator);
    return this;
  }

  @Override
  @Deprecated
  public TcpStackServerChannelConfig setWriteBufferHighWaterMark(int writeBufferHighWaterMark) {
    super.setWriteBufferHighWaterMark(writeBufferHighWaterMark);
    return this;
  }

  @Override
  @Deprecated
  public TcpStackServerChannelConfig setWriteBufferLowWaterMark(int writeBufferLowWaterMark) {
    super.setWriteBufferLowWaterMark(writeBufferLowWaterMark);
    return this;
  }

  @Override
  public TcpStackServerChannelConfig setWriteBufferWaterMark(WriteBufferWaterMark writeBufferWaterMark) {
    super.setWriteBufferWaterMark(writeBufferWaterMark);
    return this;
  }
}
