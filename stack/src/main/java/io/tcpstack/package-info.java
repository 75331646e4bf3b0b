/**
 * The stack itself: {@link io.tcpstack.TcpStack} runs it on a TUN device in one call; {@link
 * io.tcpstack.NetworkStack} is the protocol core (IPv4, IPv6, ICMP, TCP and UDP as a
 * single-threaded state machine with no I/O and no clock of its own), configured by an immutable
 * {@link io.tcpstack.StackConfig}; {@link io.tcpstack.StackTimer} gives applications timers on the
 * stack thread. The sockets and event handlers applications use are in {@link io.tcpstack.api};
 * the thread and device loop in {@link io.tcpstack.runtime}.
 */
package io.tcpstack;
