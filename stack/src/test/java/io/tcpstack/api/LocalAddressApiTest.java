package io.tcpstack.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.tcpstack.StackConfig;
import io.tcpstack.runtime.StackRuntime;
import io.tcpstack.tcp.TcpConfig;
import io.tcpstack.tcp.TcpState;
import io.tcpstack.testing.Packets;
import io.tcpstack.testing.Packets6;
import io.tcpstack.testing.PipeDevice;
import io.tcpstack.wire.IpAddress;
import java.io.IOException;
import java.net.InetAddress;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * RFC 9293 §3.9.1.1 (MUST-43) through the application APIs: {@link TcpServerSocket#bind} and
 * {@link TcpServerChannel#bind} on one of the stack's addresses, {@link TcpSocket#connect} and
 * {@link TcpChannel#connect} from one. Two dual-stack {@link StackRuntime}s (198.18.0.1 and
 * fd00:7463:7073::1 the client, 198.18.0.2 and fd00:7463:7073::2 the server) joined by an in-memory
 * link. No timing is asserted: the limit only keeps a lost wake-up from hanging the build.
 */
class LocalAddressApiTest {

  private static final Duration HANG_GUARD = Duration.ofSeconds(10);
  private static final int PORT = 7;
  private static final InetAddress CLIENT4 = IpAddress.ofIpv4(Packets.HOST).toInet();
  private static final InetAddress CLIENT6 = Packets6.HOST6.toInet();
  private static final InetAddress SERVER4 = IpAddress.ofIpv4(Packets.STACK).toInet();
  private static final InetAddress SERVER6 = Packets6.STACK6.toInet();

  private StackRuntime client;
  private StackRuntime server;

  @BeforeEach
  void start() {
    PipeDevice[] link = PipeDevice.pair(1500);
    client = StackRuntime.start(config(Packets.HOST, Packets6.HOST6), link[0]);
    server = StackRuntime.start(config(Packets.STACK, Packets6.STACK6), link[1]);
  }

  @AfterEach
  void stop() {
    client.close();
    server.close();
  }

  private static StackConfig config(int address, IpAddress address6) {
    return StackConfig.builder().address(address, 24).address6(address6, 64).mtu(1500).build();
  }

  @Test
  void aServerSocketOnTheIpv6AddressAcceptsFromThereAndRefusesASynToTheIpv4Address() throws IOException {
    // RFC 9293 MUST-43: bind and connect name the local address.
    try (TcpServerSocket listening = TcpServerSocket.bind(server, PORT, 4, SERVER6, TcpConfig.DEFAULT);
        TcpSocket c = TcpSocket.connect(client, SERVER6, PORT, CLIENT6, HANG_GUARD, TcpConfig.DEFAULT);
        TcpSocket s = listening.accept(HANG_GUARD)) {
      assertEquals(CLIENT6, s.remoteInetAddress());
      assertEquals(SERVER6, c.remoteInetAddress());
      assertThrows(ConnectionRefusedException.class,
          () -> TcpSocket.connect(client, SERVER4, PORT, CLIENT4, HANG_GUARD, TcpConfig.DEFAULT));
    }
  }

  @Test
  void aServerChannelOnTheIpv4AddressAcceptsAChannelFromTheClientsIpv4Address() throws Exception {
    // RFC 9293 MUST-43: the event-driven API names the local address too.
    CompletableFuture<InetAddress> accepted = new CompletableFuture<>();
    TcpServerChannel.bind(server, PORT, 4, SERVER4, TcpConfig.DEFAULT,
        channel -> accepted.complete(channel.remoteInetAddress()));
    CompletableFuture<TcpState> connected = new CompletableFuture<>();
    client.call(() -> TcpChannel.connect(client.stack(), SERVER4, PORT, CLIENT4, TcpConfig.DEFAULT,
        new TcpChannelHandler() {
          @Override
          public void onConnected(TcpChannel channel) {
            connected.complete(channel.state());
          }

          @Override
          public void onClosed(TcpChannel channel) {
            connected.complete(channel.state());
          }
        })).get(HANG_GUARD.toMillis(), TimeUnit.MILLISECONDS);
    assertEquals(TcpState.ESTABLISHED, connected.get(HANG_GUARD.toMillis(), TimeUnit.MILLISECONDS));
    assertEquals(CLIENT4, accepted.get(HANG_GUARD.toMillis(), TimeUnit.MILLISECONDS));
    assertThrows(ConnectionRefusedException.class,
        () -> TcpSocket.connect(client, SERVER6, PORT, HANG_GUARD, TcpConfig.DEFAULT));
  }

  @Test
  void aWildcardLocalAddressListensOnBothAddresses() throws IOException {
    // RFC 9293 MUST-43: the local address is optional; a wildcard is no address named.
    try (TcpServerSocket listening = TcpServerSocket.bind(server, PORT, 4, InetAddress.getByName("::"),
        TcpConfig.DEFAULT);
        TcpSocket over4 = TcpSocket.connect(client, SERVER4, PORT, HANG_GUARD);
        TcpSocket over6 = TcpSocket.connect(client, SERVER6, PORT, HANG_GUARD);
        TcpSocket s4 = listening.accept(HANG_GUARD);
        TcpSocket s6 = listening.accept(HANG_GUARD)) {
      assertEquals(CLIENT4, s4.remoteInetAddress());
      assertEquals(CLIENT6, s6.remoteInetAddress());
    }
  }

  @Test
  void aLocalAddressTheStackDoesNotHaveIsRefusedWithTheAddressesItHas() throws IOException {
    // RFC 9293 MUST-43: the local address must be one of the stack's.
    InetAddress foreign = IpAddress.ofIpv4(Packets.address(10, 9, 9, 9)).toInet();
    String expected = "10.9.9.9 is not an address of this stack: it has 198.18.0.2 and fd00:7463:7073::2";
    assertEquals(expected, assertThrows(IllegalArgumentException.class,
        () -> TcpServerSocket.bind(server, PORT, 4, foreign, TcpConfig.DEFAULT)).getMessage());
    assertEquals(expected, assertThrows(IllegalArgumentException.class,
        () -> TcpServerChannel.bind(server, PORT, 4, foreign, TcpConfig.DEFAULT, channel -> { })).getMessage());
    assertEquals("198.18.0.2 is not an address of this stack: it has 198.18.0.1 and fd00:7463:7073::1",
        assertThrows(IllegalArgumentException.class,
            () -> TcpSocket.connect(client, SERVER4, PORT, SERVER4, HANG_GUARD, TcpConfig.DEFAULT)).getMessage());
    // The port is still free.
    TcpServerSocket.bind(server, PORT, 4, SERVER4, TcpConfig.DEFAULT).close();
  }
}
