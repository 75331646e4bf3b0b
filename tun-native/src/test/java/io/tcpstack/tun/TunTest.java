package io.tcpstack.tun;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tcpstack.testing.RequiresTun;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TunTest {

  @Test
  void availabilityAndCauseAgree() {
    assertEquals(Tun.isAvailable(), Tun.unavailabilityCause() == null);
    if (Tun.isAvailable()) {
      Tun.ensureAvailability();
    } else {
      UnsupportedOperationException e = assertThrows(UnsupportedOperationException.class, Tun::ensureAvailability);
      assertSame(Tun.unavailabilityCause(), e.getCause());
    }
  }

  @Test
  @RequiresTun
  void isAvailableAsRootWithDevNetTun() {
    assertTrue(Tun.isAvailable(), () -> String.valueOf(Tun.unavailabilityCause()));
    assertNull(Tun.unavailabilityCause());
    Tun.ensureAvailability();
  }

  @Test
  void probeReportsAMissingDeviceNodeWithTheFix() {
    Throwable cause = Tun.probe(Path.of("/nonexistent/net/tun"), Path.of("/proc/self/status"));
    TunException e = assertInstanceOf(TunException.class, cause);
    assertEquals(TunException.Reason.NOT_AVAILABLE, e.reason());
    assertEquals(Errno.ENOENT, e.errno());
    assertTrue(e.getMessage().contains("modprobe tun"), e.getMessage());
    assertTrue(e.getMessage().contains("mknod /dev/net/tun c 10 200"), e.getMessage());
  }

  @Test
  void probeReportsMissingCapNetAdmin(@TempDir Path dir) throws Exception {
    org.junit.jupiter.api.Assumptions.assumeTrue(Files.isReadable(Path.of("/dev/net/tun"))
        && Files.isWritable(Path.of("/dev/net/tun")), "needs a usable /dev/net/tun");
    Path status = Files.writeString(dir.resolve("status"), "Name:\tjava\nCapEff:\t0000000000000000\n");
    TunException e = assertInstanceOf(TunException.class, Tun.probe(Path.of("/dev/net/tun"), status));
    assertEquals(TunException.Reason.NOT_PERMITTED, e.reason());
    assertTrue(e.getMessage().contains("CAP_NET_ADMIN"), e.getMessage());
    assertTrue(e.getMessage().contains("ip tuntap add dev NAME mode tun user $USER"), e.getMessage());
  }
}
