package io.tcpstack.examples;

import io.tcpstack.TcpStack;
import io.tcpstack.api.UdpSocket;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;

/**
 * The tutorials' UDP server beside their TCP one: the Echo Protocol (RFC 862) on UDP port 7.
 * Where the TCP server listens, accepts a connection and talks to that one client, this one binds a
 * port and loops on receive and send: no connection, no accept, no socket per client. Every
 * datagram carries its sender's address and the answer goes back there, like a letter answered to
 * its return address; it prints one line per datagram, to show that each stands alone.
 *
 * <pre>
 *   ./tcpstack run udp-echo [PORT] --netns demo         # PORT: 7 by default
 *   ip netns exec demo sh -c "echo hello | nc -u -W 1 198.18.0.2 7"
 * </pre>
 */
public final class UdpEchoServer {

  private UdpEchoServer() {}

  public static void main(String[] args) throws IOException {
    int port = args.length > 0 ? Integer.parseInt(args[0]) : 7;
    try (TcpStack stack = TcpStack.builder().address("198.18.0.2/24").open();
        UdpSocket socket = stack.bindUdp(port)) {
      System.out.println("ready: " + stack + "; UDP echo on port " + port);
      ByteBuffer datagram = ByteBuffer.allocate(64 * 1024); // the largest UDP payload fits
      while (true) {
        datagram.clear();
        InetSocketAddress from = socket.receive(datagram); // one whole datagram, and who sent it
        datagram.flip();
        System.out.println("datagram from " + from.getAddress().getHostAddress() + ":" + from.getPort() + ", "
            + datagram.remaining() + " bytes");
        socket.send(datagram, from);
      }
    }
  }
}
