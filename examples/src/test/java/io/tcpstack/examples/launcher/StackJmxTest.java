package io.tcpstack.examples.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tcpstack.StackConfig;
import io.tcpstack.runtime.StackRuntime;
import io.tcpstack.tcp.TcpConfig;
import io.tcpstack.testing.Packets;
import io.tcpstack.testing.PipeDevice;
import java.lang.management.ManagementFactory;
import java.util.concurrent.TimeUnit;
import javax.management.MBeanServer;
import javax.management.ObjectName;
import org.junit.jupiter.api.Test;

/** The MBean serve registers: readable from this thread while the stack runs, gone once closed. */
class StackJmxTest {

  @Test
  void registersTheRunningStackAndUnregistersOnClose() throws Exception {
    MBeanServer server = ManagementFactory.getPlatformMBeanServer();
    StackConfig config = StackConfig.builder().address(Packets.STACK, 24).build();
    ObjectName name;
    try (StackRuntime runtime = StackRuntime.start(config, PipeDevice.pair(1500)[0])) {
      runtime.call(() -> runtime.stack().tcp().listen(80, 8, TcpConfig.DEFAULT)).get(10, TimeUnit.SECONDS);
      try (StackJmx jmx = StackJmx.register(runtime, "tun9@ns-" + ProcessHandle.current().pid())) {
        name = jmx.name();
        assertEquals("io.tcpstack:name=tun9@ns-" + ProcessHandle.current().pid() + ",type=Stack",
            name.getCanonicalName());
        assertTrue(server.isRegistered(name));
        assertEquals(1L, server.getAttribute(name, "ConnectionsListen"));
        assertEquals(0L, server.getAttribute(name, "TcpInSegs"));
      }
      assertFalse(server.isRegistered(name));
    }
  }
}
