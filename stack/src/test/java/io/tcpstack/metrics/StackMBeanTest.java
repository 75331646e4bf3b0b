package io.tcpstack.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.UnpooledByteBufAllocator;
import io.tcpstack.NetworkStack;
import io.tcpstack.StackConfig;
import io.tcpstack.device.Impairment;
import io.tcpstack.device.SimulatedNetwork;
import io.tcpstack.stats.StackCounter;
import io.tcpstack.tcp.TcpConfig;
import io.tcpstack.tcp.TcpConnection;
import io.tcpstack.runtime.StackRuntime;
import io.tcpstack.testing.Packets;
import io.tcpstack.testing.PipeDevice;
import io.tcpstack.wire.Ipv4Address;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.lang.management.ManagementFactory;
import java.util.HashSet;
import java.util.Set;
import javax.management.Attribute;
import javax.management.AttributeList;
import javax.management.MBeanAttributeInfo;
import javax.management.MBeanException;
import javax.management.MBeanInfo;
import javax.management.MBeanServer;
import javax.management.ObjectName;
import javax.management.openmbean.CompositeData;
import javax.management.openmbean.TabularData;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The Stack MBean, read through the platform MBeanServer as jconsole would. */
@Timeout(60)
class StackMBeanTest {

  private static final long SECOND = 1_000_000_000L;
  private final MBeanServer server = ManagementFactory.getPlatformMBeanServer();
  private SimulatedNetwork net;
  private NetworkStack stack;
  private TcpConnection client;

  @BeforeEach
  void connect() {
    UnpooledByteBufAllocator allocator = new UnpooledByteBufAllocator(false);
    net = SimulatedNetwork.builder(
        StackConfig.builder().address(Packets.HOST, 24).allocator(allocator).build(),
        StackConfig.builder().address(Packets.STACK, 24).allocator(allocator).build())
        .impairment(Impairment.parse("delay=5ms")).build();
    stack = net.b().stack();
    stack.tcp().listen(80, 16, TcpConfig.DEFAULT);
    client = net.a().stack().tcp().connect(Packets.STACK, 80, TcpConfig.DEFAULT, net.nowNs());
    net.runFor(SECOND);
  }

  @AfterEach
  void close() {
    client.dispose();
    net.close();
  }

  @Test
  void countersAndGaugesAreAttributesOfTheRegisteredMBean() throws Exception {
    try (StackMBean.Registration r = StackMBean.register(new StackMBean(stack.counters(), StackAccess.direct(stack)),
        "test-" + ProcessHandle.current().pid())) {
      ObjectName name = r.name();
      assertEquals("io.tcpstack", name.getDomain());
      assertEquals("Stack", name.getKeyProperty("type"));
      assertTrue(server.isRegistered(name));

      long segsIn = stack.counters().get(StackCounter.TCP_IN_SEGS);
      assertTrue(segsIn > 0);
      assertEquals(segsIn, server.getAttribute(name, "TcpInSegs"));
      assertEquals(stack.counters().get(StackCounter.TCP_PASSIVE_OPENS), server.getAttribute(name, "TcpPassiveOpens"));
      assertEquals(1L, server.getAttribute(name, "ConnectionsEstablished"));
      assertEquals(1L, server.getAttribute(name, "ConnectionsListen"));
      assertEquals(0L, server.getAttribute(name, "ConnectionsTimeWait"));
      assertEquals(stack.tcp().pool().maxBytes(), server.getAttribute(name, "BufferMemoryBudget"));

      AttributeList some = server.getAttributes(name, new String[] {"TcpOutSegs", "ConnectionsEstablished", "Nope"});
      assertEquals(2, some.size());
      assertEquals(1L, ((Attribute) some.get(1)).getValue());

      MBeanInfo info = server.getMBeanInfo(name);
      Set<String> names = new HashSet<>();
      for (MBeanAttributeInfo a : info.getAttributes()) {
        names.add(a.getName());
        assertFalse(a.getDescription().isBlank(), a.getName());
        assertFalse(a.isWritable());
      }
      for (StackCounter c : StackCounter.values()) {
        assertTrue(names.contains(StackMBean.camelCase(c.name())), c.name());
      }
      for (MBeanAttributeInfo a : info.getAttributes()) {
        if (a.getName().equals("TcpInSegs")) {
          assertEquals(StackCounter.TCP_IN_SEGS.description(), a.getDescription());
        }
      }
    }
  }

  @Test
  void connectionsOperationReturnsTheTableAsOpenData() throws Exception {
    try (StackMBean.Registration r = StackMBean.register(new StackMBean(stack.counters(), StackAccess.direct(stack)),
        "table")) {
      TabularData table = (TabularData) server.invoke(r.name(), "connections", null, null);
      assertEquals(2, table.size());
      CompositeData listener = table.get(new Object[] {0});
      assertEquals("LISTEN", listener.get("state"));
      assertNull(listener.get("cwnd"));
      CompositeData conn = table.get(new Object[] {1});
      assertEquals("ESTABLISHED", conn.get("state"));
      assertEquals(client.localPort(), conn.get("remotePort"));
      assertTrue((Integer) conn.get("cwnd") > 0);
      assertEquals(true, conn.get("timestamps"));

      TabularData one = (TabularData) server.invoke(r.name(), "connections", new Object[] {1},
          new String[] {"int"});
      assertEquals(1, one.size());
      String text = (String) server.invoke(r.name(), "connectionsText", null, null);
      assertTrue(text.contains("ESTABLISHED"), text);
    }
  }

  @Test
  void aWatchedConnectionIsAnMBeanOfItsOwnUntilUnwatched() throws Exception {
    String peer = Ipv4Address.toString(Packets.HOST) + ":" + client.localPort();
    try (StackMBean.Registration r = StackMBean.register(new StackMBean(stack.counters(), StackAccess.direct(stack)),
        "watch")) {
      String[] signature = {String.class.getName()};
      ObjectName watched =
          new ObjectName((String) server.invoke(r.name(), "watchConnection", new Object[] {peer}, signature));
      assertEquals("Connection", watched.getKeyProperty("type"));
      assertEquals("watch", watched.getKeyProperty("name"));
      assertEquals("198.18.0.2:80 " + peer, ObjectName.unquote(watched.getKeyProperty("connection")));
      assertEquals("ESTABLISHED", server.getAttribute(watched, "state"));
      assertTrue((Integer) server.getAttribute(watched, "cwnd") > 0);
      assertTrue((Long) server.getAttribute(watched, "srttNs") > 0);
      assertEquals(2, server.getAttributes(watched, new String[] {"cwnd", "sendMss"}).size());
      // the same connection by its full name: the same MBean
      assertEquals(watched.getCanonicalName(), server.invoke(r.name(), "watchConnection",
          new Object[] {"198.18.0.2:80 " + peer}, signature));
      MBeanException none = assertThrows(MBeanException.class,
          () -> server.invoke(r.name(), "watchConnection", new Object[] {"198.18.0.1:1"}, signature));
      assertTrue(none.getMessage().contains("no connection"), none.getMessage());

      client.abort(net.nowNs()); // the peer resets it: the server's end is gone
      net.runFor(SECOND);
      assertEquals("GONE", server.getAttribute(watched, "state"));
      assertEquals(true, server.invoke(r.name(), "unwatchConnection", new Object[] {peer}, signature));
      assertFalse(server.isRegistered(watched));
      assertEquals(false, server.invoke(r.name(), "unwatchConnection", new Object[] {peer}, signature));
    }
  }

  @Test
  void watchedConnectionsGoWhenTheStackIsUnregistered() throws Exception {
    ObjectName watched;
    try (StackMBean.Registration r = StackMBean.register(new StackMBean(stack.counters(), StackAccess.direct(stack)),
        "watch2")) {
      watched = new ObjectName((String) server.invoke(r.name(), "watchConnection",
          new Object[] {Ipv4Address.toString(Packets.HOST) + ":" + client.localPort()},
          new String[] {String.class.getName()}));
      assertTrue(server.isRegistered(watched));
    }
    assertFalse(server.isRegistered(watched));
  }

  @Test
  void gaugesOfARunningStackAreReadOnItsThreadFromAnyOther() throws Exception {
    StackConfig config = StackConfig.builder().address(Packets.STACK, 24).build();
    try (StackRuntime runtime = StackRuntime.start(config, PipeDevice.pair(1500)[0])) {
      runtime.call(() -> runtime.stack().tcp().listen(7, 8, TcpConfig.DEFAULT)).get(10, TimeUnit.SECONDS);
      StackAccess access = StackAccess.of(runtime, Duration.ofSeconds(10));
      Boolean onStackThread = access.read(s -> runtime.inStackThread());
      assertTrue(onStackThread, "the query ran on the stack thread");
      try (StackMBean.Registration r = StackMBean.register(new StackMBean(runtime.counters(), access), "running")) {
        assertEquals(1L, server.getAttribute(r.name(), "ConnectionsListen"));
        assertEquals(0L, server.getAttribute(r.name(), "TcpInSegs"));
      }
    }
  }

  @Test
  void twoStacksOfOneNameGetDistinctNamesAndCloseUnregisters() {
    StackMBean first = new StackMBean(stack.counters(), StackAccess.direct(stack));
    StackMBean second = new StackMBean(net.a().stack().counters(), StackAccess.direct(net.a().stack()));
    ObjectName a;
    ObjectName b;
    try (StackMBean.Registration ra = StackMBean.register(first, "tun0,x=y");
        StackMBean.Registration rb = StackMBean.register(second, "tun0,x=y")) {
      a = ra.name();
      b = rb.name();
      assertEquals("tun0_x_y", a.getKeyProperty("name"));
      assertEquals("tun0_x_y-2", b.getKeyProperty("name"));
      assertTrue(server.isRegistered(a));
      assertTrue(server.isRegistered(b));
    }
    assertFalse(server.isRegistered(a));
    assertFalse(server.isRegistered(b));
  }
}
