package io.tcpstack.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.tcpstack.NetworkStack;
import io.tcpstack.StackConfig;
import io.tcpstack.device.Impairment;
import io.tcpstack.device.SimulatedNetwork;
import io.tcpstack.tcp.TcpConfig;
import io.tcpstack.tcp.TcpConnection;
import io.tcpstack.tcp.TcpInfo;
import io.tcpstack.tcp.TcpListener;
import io.tcpstack.tcp.TcpState;
import io.tcpstack.testing.MiniJson;
import io.tcpstack.testing.Packets;
import io.tcpstack.wire.Ipv4Address;
import java.lang.reflect.RecordComponent;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The TCP table of a stack serving one connection, in virtual time: its text and its JSON. */
@Timeout(60)
class ConnectionTableTest {

  private static final int PORT = 80;
  private static final long SECOND = 1_000_000_000L;

  private SimulatedNetwork net;
  private NetworkStack server;
  private TcpConnection client;
  private TcpListener listener;

  @BeforeEach
  void connect() {
    UnpooledByteBufAllocator allocator = new UnpooledByteBufAllocator(false);
    StackConfig a = StackConfig.builder().address(Packets.HOST, 24).allocator(allocator).build();
    StackConfig b = StackConfig.builder().address(Packets.STACK, 24).allocator(allocator).build();
    net = SimulatedNetwork.builder(a, b).impairment(Impairment.parse("delay=5ms")).build(); // RTT 10 ms
    server = net.b().stack();
    listener = server.tcp().listen(PORT, 16, TcpConfig.DEFAULT);
    client = net.a().stack().tcp().connect(Packets.STACK, PORT, TcpConfig.DEFAULT, net.nowNs());
    net.runFor(SECOND);
    ByteBuf hello = Unpooled.copiedBuffer(new byte[1000]);
    client.send(hello, 1000, net.nowNs());
    hello.release();
    net.runFor(SECOND);
  }

  @AfterEach
  void close() {
    client.dispose();
    net.close();
  }

  @Test
  void textListsTheListenerAndTheConnectionAligned() {
    ConnectionTable table = ConnectionTable.collect(server, ConnectionTable.DEFAULT_LIMIT);
    assertEquals(2, table.total());
    assertFalse(table.truncated());
    String[] lines = table.text().split("\n");
    assertTrue(lines[0].startsWith("State"), lines[0]);
    assertTrue(lines[1].startsWith("LISTEN "), lines[1]);
    assertTrue(lines[1].contains(Ipv4Address.toString(Packets.STACK) + ":80"), lines[1]);
    assertTrue(lines[1].endsWith("*:*"), lines[1]);
    assertTrue(lines[3].startsWith("ESTABLISHED "), lines[3]);
    String peer = Ipv4Address.toString(Packets.HOST) + ":" + client.localPort();
    assertTrue(lines[3].endsWith(peer), lines[3]);
    // Aligned: each column starts at the same offset on the header and the rows.
    int local = lines[0].indexOf("Local Address:Port");
    assertEquals(local, lines[1].indexOf(Ipv4Address.toString(Packets.STACK)));
    assertEquals(local, lines[3].indexOf(Ipv4Address.toString(Packets.STACK)));
    assertEquals(lines[0].indexOf("Peer"), lines[3].indexOf(peer));
    // Recv-Q: the 1000 bytes nobody read (the connection waits in the accept queue), right-aligned.
    assertEquals(lines[0].indexOf("Recv-Q") + "Recv-Q".length(), lines[3].indexOf("1000") + 4);
    assertTrue(lines[4].startsWith("\t"), lines[4]);
    assertTrue(lines[4].contains(" bytes_received:1000 "), lines[4]);
    assertTrue(lines[4].contains(" rtt:"), lines[4]);
    assertTrue(lines[4].contains(" cwnd:"), lines[4]);
    assertEquals("# 2 rows", lines[lines.length - 1]);
  }

  @Test
  void jsonParsesBackWithEveryTcpInfoField() {
    ConnectionTable table = ConnectionTable.collect(server, ConnectionTable.DEFAULT_LIMIT);
    @SuppressWarnings("unchecked")
    Map<String, Object> json = (Map<String, Object>) MiniJson.parse(table.json());
    assertEquals(2L, json.get("total"));
    assertEquals((long) ConnectionTable.DEFAULT_LIMIT, json.get("limit"));
    assertEquals(false, json.get("truncated"));
    @SuppressWarnings("unchecked")
    List<Map<String, Object>> rows = (List<Map<String, Object>>) json.get("connections");
    assertEquals(2, rows.size());

    Map<String, Object> listener = rows.get(0);
    assertEquals("LISTEN", listener.get("state"));
    assertEquals(80L, listener.get("localPort"));
    assertEquals(1L, listener.get("acceptQueue"));
    assertEquals(16L, listener.get("backlog"));
    assertNull(listener.get("info"));

    Map<String, Object> conn = rows.get(1);
    assertEquals("ESTABLISHED", conn.get("state"));
    assertEquals(Ipv4Address.toString(Packets.STACK), conn.get("localAddress"));
    assertEquals(Ipv4Address.toString(Packets.HOST), conn.get("remoteAddress"));
    assertEquals((long) client.localPort(), conn.get("remotePort"));
    @SuppressWarnings("unchecked")
    Map<String, Object> info = (Map<String, Object>) conn.get("info");
    for (RecordComponent c : TcpInfo.class.getRecordComponents()) {
      assertTrue(info.containsKey(c.getName()), c.getName());
    }
    assertEquals(TcpInfo.class.getRecordComponents().length, info.size());
    assertEquals("ESTABLISHED", info.get("state"));
    assertEquals(1000L, info.get("bytesIn"));
    assertEquals(1000L, info.get("receiveQueueBytes"));
    assertEquals(true, info.get("timestamps"));
    assertTrue((Long) info.get("srttNs") > 0);
  }

  @Test
  void aLimitCutsTheTableAndBothFormsSaySo() {
    ConnectionTable table = ConnectionTable.collect(server, 1);
    assertTrue(table.truncated());
    assertEquals(1, table.rows().size());
    assertEquals(TcpState.LISTEN, table.rows().get(0).state());
    String text = table.text();
    assertTrue(text.endsWith("# truncated: 1 of 2 rows shown (limit 1; ask for more with ?limit=N, at most 20000)\n"),
        text);
    @SuppressWarnings("unchecked")
    Map<String, Object> json = (Map<String, Object>) MiniJson.parse(table.json());
    assertEquals(true, json.get("truncated"));
    assertEquals(2L, json.get("total"));
    assertEquals(1, ((List<?>) json.get("connections")).size());
  }

  @Test
  void timeWaitRecordsAreListedWithTheirTimer() {
    TcpConnection s = listener.accept(); // the server's end closes first: TIME-WAIT is on its side
    ByteBuf sink = Unpooled.buffer(1000);
    assertEquals(1000, s.receive(sink, 1000, net.nowNs())); // read all, or closing would reset (RFC 2525 §2.17)
    sink.release();
    s.close(net.nowNs());
    net.runFor(SECOND);
    client.close(net.nowNs());
    net.runFor(SECOND);
    s.dispose();
    ConnectionTable table = ConnectionTable.collect(server, 10);
    assertEquals(2, table.total());
    assertEquals(TcpState.TIME_WAIT, table.rows().get(1).state());
    assertTrue(table.rows().get(1).timerNs() > 0);
    assertTrue(table.text().contains("\ttimer:(timewait,"), table.text());
    StackGauges gauges = StackGauges.collect(server);
    assertEquals(1, gauges.connections(TcpState.TIME_WAIT));
    assertEquals(1, gauges.connections(TcpState.LISTEN));
    assertEquals(0, gauges.connections(TcpState.ESTABLISHED));
  }

  @Test
  void jsonEscapesStrings() {
    StringBuilder out = new StringBuilder();
    Json.string("q\"b\\s/\n\r\t\b\f\u0001é", out);
    assertEquals("q\"b\\s/\n\r\t\b\f\u0001é", MiniJson.parse(out.toString()));
  }
}
