package io.tcpstack.netty;

import static io.netty.channel.ChannelOption.ALLOW_HALF_CLOSURE;
import static io.netty.channel.ChannelOption.SO_KEEPALIVE;
import static io.netty.channel.ChannelOption.SO_LINGER;
import static io.netty.channel.ChannelOption.SO_RCVBUF;
import static io.netty.channel.ChannelOption.SO_REUSEADDR;
import static io.netty.channel.ChannelOption.SO_SNDBUF;
import static io.netty.channel.ChannelOption.TCP_NODELAY;

import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.ChannelOption;
import io.netty.channel.DefaultChannelConfig;
import io.netty.channel.MessageSizeEstimator;
import io.netty.channel.RecvByteBufAllocator;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.socket.SocketChannelConfig;
import io.tcpstack.tcp.TcpConfig;
import java.util.Map;
import java.util.Objects;

/**
 * The options of a {@link TcpStackSocketChannel}. {@code SO_RCVBUF}, {@code SO_SNDBUF}, {@code
 * SO_KEEPALIVE} and {@link TcpStackChannelOption#TCP_CONFIG} shape the connection when it is made:
 * set them before {@code connect} (an accepted channel has its server channel's); afterwards they
 * are refused with an {@link IllegalStateException}. {@code TCP_NODELAY} (on by default, as in
 * Netty) and {@code SO_LINGER} apply at any time; {@code ALLOW_HALF_CLOSURE}, {@code AUTO_READ} and
 * {@code WRITE_BUFFER_WATER_MARK} are Netty's. {@code IP_TOS} is not supported.
 */
final class TcpStackSocketChannelConfig extends DefaultChannelConfig implements SocketChannelConfig {

  private final TcpStackSocketChannel channel;
  private volatile TcpConfig tcpConfig;
  private volatile boolean tcpNoDelay = true;
  private volatile int soLinger = -1;
  private volatile boolean allowHalfClosure;

  TcpStackSocketChannelConfig(TcpStackSocketChannel channel, TcpConfig tcpConfig) {
    super(channel);
    this.channel = channel;
    this.tcpConfig = tcpConfig;
    this.tcpNoDelay = tcpConfig.noDelay();
  }

  /** What a connection made now starts with. */
  TcpConfig tcpConfig() {
    return tcpConfig.toBuilder().noDelay(tcpNoDelay).build();
  }

  @Override
  public Map<ChannelOption<?>, Object> getOptions() {
    return getOptions(super.getOptions(), SO_RCVBUF, SO_SNDBUF, TCP_NODELAY, SO_KEEPALIVE, SO_REUSEADDR, SO_LINGER,
        ALLOW_HALF_CLOSURE, TcpStackChannelOption.TCP_CONFIG);
  }

  @SuppressWarnings("unchecked")
  @Override
  public <T> T getOption(ChannelOption<T> option) {
    if (option == SO_RCVBUF) {
      return (T) Integer.valueOf(getReceiveBufferSize());
    }
    if (option == SO_SNDBUF) {
      return (T) Integer.valueOf(getSendBufferSize());
    }
    if (option == TCP_NODELAY) {
      return (T) Boolean.valueOf(isTcpNoDelay());
    }
    if (option == SO_KEEPALIVE) {
      return (T) Boolean.valueOf(isKeepAlive());
    }
    if (option == SO_REUSEADDR) {
      return (T) Boolean.valueOf(isReuseAddress());
    }
    if (option == SO_LINGER) {
      return (T) Integer.valueOf(getSoLinger());
    }
    if (option == ALLOW_HALF_CLOSURE) {
      return (T) Boolean.valueOf(isAllowHalfClosure());
    }
    if (option == TcpStackChannelOption.TCP_CONFIG) {
      return (T) tcpConfig;
    }
    return super.getOption(option);
  }

  @Override
  public <T> boolean setOption(ChannelOption<T> option, T value) {
    validate(option, value);
    if (option == SO_RCVBUF) {
      setReceiveBufferSize((Integer) value);
    } else if (option == SO_SNDBUF) {
      setSendBufferSize((Integer) value);
    } else if (option == TCP_NODELAY) {
      setTcpNoDelay((Boolean) value);
    } else if (option == SO_KEEPALIVE) {
      setKeepAlive((Boolean) value);
    } else if (option == SO_REUSEADDR) {
      setReuseAddress((Boolean) value);
    } else if (option == SO_LINGER) {
      setSoLinger((Integer) value);
    } else if (option == ALLOW_HALF_CLOSURE) {
      setAllowHalfClosure((Boolean) value);
    } else if (option == TcpStackChannelOption.TCP_CONFIG) {
      beforeConnect("TCP_CONFIG");
      TcpConfig c = Objects.requireNonNull((TcpConfig) value, "TCP_CONFIG");
      tcpConfig = c;
      tcpNoDelay = c.noDelay();
    } else {
      return super.setOption(option, value);
    }
    return true;
  }

  private void beforeConnect(String option) {
    if (channel.hasConnection()) {
      throw new IllegalStateException(option + " shapes a connection when it is made: set it before connect (on an"
          + " accepted channel, set it on the server channel: ServerBootstrap.option, not childOption)");
    }
  }

  @Override
  public boolean isTcpNoDelay() {
    return tcpNoDelay;
  }

  @Override
  public TcpStackSocketChannelConfig setTcpNoDelay(boolean tcpNoDelay) {
    this.tcpNoDelay = tcpNoDelay;
    channel.applyNoDelay(tcpNoDelay);
    return this;
  }

  /** Seconds; -1: off (a graceful close), 0: close is an abort (RST), more: a lingering close. */
  @Override
  public int getSoLinger() {
    return soLinger;
  }

  @Override
  public TcpStackSocketChannelConfig setSoLinger(int soLinger) {
    this.soLinger = soLinger < 0 ? -1 : soLinger;
    return this;
  }

  @Override
  public int getSendBufferSize() {
    return tcpConfig.sendBufferSize();
  }

  @Override
  public TcpStackSocketChannelConfig setSendBufferSize(int sendBufferSize) {
    beforeConnect("SO_SNDBUF");
    tcpConfig = tcpConfig.toBuilder().sendBufferSize(sendBufferSize).build();
    return this;
  }

  @Override
  public int getReceiveBufferSize() {
    return tcpConfig.receiveBufferSize();
  }

  @Override
  public TcpStackSocketChannelConfig setReceiveBufferSize(int receiveBufferSize) {
    beforeConnect("SO_RCVBUF");
    tcpConfig = tcpConfig.toBuilder().receiveBufferSize(receiveBufferSize).build();
    return this;
  }

  @Override
  public boolean isKeepAlive() {
    return tcpConfig.keepAlive();
  }

  @Override
  public TcpStackSocketChannelConfig setKeepAlive(boolean keepAlive) {
    beforeConnect("SO_KEEPALIVE");
    tcpConfig = tcpConfig.toBuilder().keepAlive(keepAlive).build();
    return this;
  }

  @Override
  public int getTrafficClass() {
    return 0;
  }

  @Override
  public TcpStackSocketChannelConfig setTrafficClass(int trafficClass) {
    throw new UnsupportedOperationException("IP_TOS: the stack sends every packet with TOS 0");
  }

  /** A client channel's port is an ephemeral one the stack picks (RFC 6056): reuse does not arise. */
  @Override
  public boolean isReuseAddress() {
    return false;
  }

  @Override
  public TcpStackSocketChannelConfig setReuseAddress(boolean reuseAddress) {
    return this;
  }

  /** Ignored, as by Linux. */
  @Override
  public TcpStackSocketChannelConfig setPerformancePreferences(int connectionTime, int latency, int bandwidth) {
    return this;
  }

  @Override
  public boolean isAllowHalfClosure() {
    return allowHalfClosure;
  }

  @Override
  public TcpStackSocketChannelConfig setAllowHalfClosure(boolean allowHalfClosure) {
    this.allowHalfClosure = allowHalfClosure;
    return this;
  }

  @Override
  protected void autoReadCleared() {
    channel.clearReadPending();
  }

  // Covariant returns, as SocketChannelConfig declares them.

  @Override
  public TcpStackSocketChannelConfig setConnectTimeoutMillis(int connectTimeoutMillis) {
    super.setConnectTimeoutMillis(connectTimeoutMillis);
    return this;
  }

  @Override
  @Deprecated
  public TcpStackSocketChannelConfig setMaxMessagesPerRead(int maxMessagesPerRead) {
    super.setMaxMessagesPerRead(maxMessagesPerRead);
    return this;
  }

  @Override
  public TcpStackSocketChannelConfig setWriteSpinCount(int writeSpinCount) {
    super.setWriteSpinCount(writeSpinCount);
    return this;
  }

  @Override
  public TcpStackSocketChannelConfig setAllocator(ByteBufAllocator allocator) {
    super.setAllocator(allocator);
    return this;
  }

  @Override
  public TcpStackSocketChannelConfig setRecvByteBufAllocator(RecvByteBufAllocator allocator) {
    super.setRecvByteBufAllocator(allocator);
    return this;
  }

  @Override
  public TcpStackSocketChannelConfig setAutoRead(boolean autoRead) {
    super.setAutoRead(autoRead);
    return this;
  }

  @Override
  public TcpStackSocketChannelConfig setAutoClose(boolean autoClose) {
    super.setAutoClose(autoClose);
    return this;
  }

  @Override
  public TcpStackSocketChannelConfig setMessageSizeEstimator(MessageSizeEstimator estimator) {
    super.setMessageSizeEstimator(estimator);
    return this;
  }

  @Override
  public TcpStackSocketChannelConfig setWriteBufferWaterMark(WriteBufferWaterMark writeBufferWaterMark) {
    super.setWriteBufferWaterMark(writeBufferWaterMark);
    return this;
  }
}
