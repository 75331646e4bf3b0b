package io.tcpstack.api;

import io.tcpstack.udp.UdpError;

/**
 * What a {@link UdpChannel} tells its handlers, on the stack thread, as {@link TcpChannelHandler}
 * does for TCP: each event after the datagram or ICMP message that caused it was processed, so a
 * handler may receive, send or close from inside. It must not block. Every method defaults to
 * doing nothing.
 */
public interface UdpChannelHandler {

  /**
   * A datagram was queued. Edge-triggered: {@link UdpChannel#receive} until it returns null, or
   * what is left waits for the next datagram's event.
   *
   * @param channel the channel to {@link UdpChannel#receive} from
   */
  default void onReadable(UdpChannel channel) {}

  /**
   * The peer of a connected channel reported, by ICMP, that a datagram sent to it did not arrive
   * (RFC 1122 §4.1.3.3): {@link UdpError#PORT_UNREACHABLE} when nothing listens there. Told once
   * per message; the channel stays open. Unconnected channels are not told, as on Linux.
   *
   * @param channel the connected channel
   * @param error what the ICMP message reported
   */
  default void onError(UdpChannel channel, UdpError error) {}

  /**
   * The stack closed the channel because it is closing itself (not told for {@link
   * UdpChannel#close()}).
   *
   * @param channel the channel, now closed ({@link UdpChannel#isOpen()} is false)
   */
  default void onClosed(UdpChannel channel) {}
}
