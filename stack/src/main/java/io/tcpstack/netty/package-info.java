/**
 * A Netty transport over the stack: {@link io.tcpstack.netty.TcpStackEventLoop} is a Netty event
 * loop whose thread is the stack thread — it drives a {@link io.tcpstack.runtime.StackRuntime}
 * opened without a thread of its own — and {@link io.tcpstack.netty.TcpStackServerChannel} and
 * {@link io.tcpstack.netty.TcpStackSocketChannel} are Netty channels whose I/O is the stack's event
 * API ({@link io.tcpstack.api.TcpServerChannel}, {@link io.tcpstack.api.TcpChannel}). Handlers of
 * both run on that one thread, so a channel reads and writes the stack with no hand-off, and an
 * unchanged Netty pipeline ({@code HttpServerCodec}, an echo handler, ...) serves over the stack.
 */
package io.tcpstack.netty;
