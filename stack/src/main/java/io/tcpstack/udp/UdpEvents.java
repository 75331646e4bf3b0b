package io.tcpstack.udp;

/**
 * What a {@link UdpEndpoint} tells the one listener its owner set ({@link UdpEndpoint#setEvents}),
 * on the stack thread, once the datagram or ICMP message that caused it has been processed. A
 * listener may receive and send from inside; it must not block.
 */
public interface UdpEvents {

  /** No listener. */
  UdpEvents NONE = new UdpEvents() {};

  /** A datagram was queued (edge: receive until {@link UdpEndpoint#receive} returns -1). */
  default void onReadable(UdpEndpoint endpoint) {}

  /** A connected endpoint's peer reported an error ({@link UdpEndpoint#error()}). */
  default void onError(UdpEndpoint endpoint) {}

  /** The stack closed the endpoint (it is closing): nothing more will arrive. */
  default void onClosed(UdpEndpoint endpoint) {}
}
