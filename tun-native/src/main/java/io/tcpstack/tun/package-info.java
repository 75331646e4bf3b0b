/**
 * The Linux TUN driver through jnr-ffi: {@link io.tcpstack.tun.Tun} says whether TUN can be used
 * here, {@link io.tcpstack.tun.TunDevice} opens or attaches a device (optionally inside a network
 * namespace), configures its address, MTU and link state, and moves packets in and out of direct
 * {@code ByteBuf}s without allocating. Knows nothing of TCP.
 *
 * <p>References: the kernel's Documentation/networking/tuntap.rst; netdevice(7) for the interface
 * ioctls; setns(2), poll(2), eventfd(2).
 */
package io.tcpstack.tun;
