package io.tcpstack.tcp;

/**
 * The demux key of an IPv6 connection: the peer's 128-bit address and port, and our port (our
 * address is fixed). Connections keep an immutable one; {@link TcpLayer} probes its map with one
 * mutable instance it refills per segment, so finding an IPv6 connection allocates nothing (as the
 * long keys of IPv4 connections do not).
 */
final class FlowKey6 {

  long remoteHi;
  long remoteLo;
  int remotePort;
  int localPort;

  FlowKey6() {
  }

  FlowKey6(long remoteHi, long remoteLo, int remotePort, int localPort) {
    set(remoteHi, remoteLo, remotePort, localPort);
  }

  FlowKey6 set(long remoteHi, long remoteLo, int remotePort, int localPort) {
    this.remoteHi = remoteHi;
    this.remoteLo = remoteLo;
    this.remotePort = remotePort;
    this.localPort = localPort;
    return this;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof FlowKey6 k && k.remoteLo == remoteLo && k.remoteHi == remoteHi && k.remotePort == remotePort
        && k.localPort == localPort;
  }

  /** Mixed as {@link TcpLayer#key}: MurmurHash3's finalizer over all the fields. */
  @Override
  public int hashCode() {
    long k = remoteHi * 0x9E37_79B9_7F4A_7C15L ^ remoteLo ^ ((long) remotePort << 16 | localPort) << 32;
    k ^= k >>> 33;
    k *= 0xff51afd7ed558ccdL;
    k ^= k >>> 33;
    k *= 0xc4ceb9fe1a85ec53L;
    k ^= k >>> 33;
    return (int) k;
  }

  @Override
  public String toString() {
    return "[" + io.tcpstack.wire.IpAddress.ipv6ToString(remoteHi, remoteLo) + "]:" + remotePort + " -> :" + localPort;
  }
}
