package io.tcpstack.netty;

import io.netty.channel.ChannelOption;
import io.tcpstack.tcp.TcpConfig;

/** Options of the stack's channels beyond Netty's own. */
public final class TcpStackChannelOption {

  /**
   * The {@link TcpConfig} a connection starts from (timeouts, retries, SACK, congestion control,
   * ...): on a {@link TcpStackSocketChannel} before it connects, on a {@link TcpStackServerChannel}
   * for the connections it accepts. {@code SO_RCVBUF}, {@code SO_SNDBUF}, {@code SO_KEEPALIVE} and
   * {@code TCP_NODELAY}, where set, override its values. Default {@link TcpConfig#DEFAULT}.
   */
  public static final ChannelOption<TcpConfig> TCP_CONFIG =
      ChannelOption.valueOf(TcpStackChannelOption.class, "TCP_CONFIG");

  private TcpStackChannelOption() {}
}
