package io.tcpstack.api;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.tcpstack.tcp.TcpConfig;
import io.tcpstack.tcp.cc.CongestionAlgorithm;
import io.tcpstack.tcp.cc.CongestionControl;
import java.io.IOException;
import java.io.InputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The congestion control of blocking sockets: the stack's by default, the TcpConfig's, or switched. */
class TcpSocketCongestionControlTest {

  private SocketPair pair;

  @AfterEach
  void stop() {
    if (pair != null) {
      pair.close();
    }
  }

  @Test
  void socketsUseTheStacksDefaultCubic() throws IOException {
    pair = SocketPair.open(TcpConfig.DEFAULT);
    assertEquals("cubic", pair.client.getCongestionControl());
    assertEquals("cubic", pair.server.getCongestionControl());
    assertEquals("cubic", pair.client.info().congestionControl());
  }

  @Test
  void theConfigNamesTheAlgorithmAndASocketMaySwitchWhileConnected() throws IOException {
    pair = SocketPair.open(TcpConfig.builder().congestionControl("newreno").build());
    assertEquals("newreno", pair.client.getCongestionControl(), "connect");
    assertEquals("newreno", pair.server.getCongestionControl(), "accept");
    int cwnd = pair.client.info().cwnd(); // nothing sent yet: the initial window
    assertEquals(CongestionControl.initialWindow(pair.client.info().sendMss()), cwnd);
    pair.client.setCongestionControl(CongestionAlgorithm.CUBIC);
    assertEquals("cubic", pair.client.getCongestionControl());
    assertEquals(cwnd, pair.client.info().cwnd(), "the window carried over");

    byte[] sent = new byte[200_000];
    for (int i = 0; i < sent.length; i++) {
      sent[i] = (byte) (i % 251);
    }
    pair.client.write(sent, 0, sent.length);
    byte[] received = new byte[sent.length];
    InputStream in = pair.server.getInputStream();
    for (int off = 0; off < received.length; ) {
      int n = in.read(received, off, received.length - off);
      if (n < 0) {
        break;
      }
      off += n;
    }
    assertArrayEquals(sent, received);
    pair.assertNoLoopErrors();

    pair.client.close();
    assertThrows(SocketClosedException.class, () -> pair.client.setCongestionControl(CongestionAlgorithm.NEWRENO));
  }
}
