package io.tcpstack.api;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.tcpstack.StackConfig;
import io.tcpstack.runtime.StackRuntime;
import io.tcpstack.stats.StackCounter;
import io.tcpstack.tcp.TcpConfig;
import io.tcpstack.testing.Packets;
import io.tcpstack.testing.PipeDevice;
import io.tcpstack.wire.Ipv4Address;
import java.io.IOException;
import java.time.Duration;

/**
 * The fixture of the blocking API's tests: two stacks, each run by a {@link StackRuntime} on its own
 * thread, joined by an in-memory link ({@link PipeDevice}), and a connected {@link TcpSocket} on
 * each — {@link #client} made by {@code connect}, {@link #server} by {@code accept}.
 */
final class SocketPair implements AutoCloseable {

  /** How long any one step may take: a hang guard, not a measurement. */
  static final Duration GUARD = Duration.ofSeconds(60);
  private static final int PORT = 7;

  final PipeDevice[] link;
  final StackRuntime clientStack;
  final StackRuntime serverStack;
  final TcpSocket client;
  final TcpSocket server;

  private SocketPair(PipeDevice[] link, StackRuntime clientStack, StackRuntime serverStack, TcpSocket client,
      TcpSocket server) {
    this.link = link;
    this.clientStack = clientStack;
    this.serverStack = serverStack;
    this.client = client;
    this.server = server;
  }

  /** Both stacks up and one connection between them, both ends with {@code config}. */
  static SocketPair open(TcpConfig config) throws IOException {
    PipeDevice[] link = PipeDevice.pair(1500);
    StackRuntime clientStack = StackRuntime.start(config(Packets.HOST), link[0]);
    StackRuntime serverStack = StackRuntime.start(config(Packets.STACK), link[1]);
    try (TcpServerSocket listening = TcpServerSocket.bind(serverStack, PORT, 4, config)) {
      TcpSocket c = TcpSocket.connect(clientStack, Ipv4Address.toInet(Packets.STACK), PORT, GUARD, config);
      TcpSocket s = listening.accept(GUARD);
      return new SocketPair(link, clientStack, serverStack, c, s);
    } catch (IOException | RuntimeException e) {
      clientStack.close();
      serverStack.close();
      throw e;
    }
  }

  private static StackConfig config(int address) {
    return StackConfig.builder().address(address, 24).mtu(1500).build();
  }

  /** Neither stack's loop caught an exception (each would be a bug in the stack). */
  void assertNoLoopErrors() {
    assertEquals(0, clientStack.counters().get(StackCounter.LOOP_ERRORS), "client stack loop errors");
    assertEquals(0, serverStack.counters().get(StackCounter.LOOP_ERRORS), "server stack loop errors");
  }

  @Override
  public void close() {
    clientStack.close(); // aborts what is still open; the sockets' buffers go with the stacks
    serverStack.close();
  }
}
