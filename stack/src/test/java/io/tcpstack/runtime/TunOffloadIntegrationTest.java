package io.tcpstack.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tcpstack.device.Impairment;
import io.tcpstack.ip.Offload;
import io.tcpstack.stats.StackCounter;
import io.tcpstack.testing.TunStack;
import io.tcpstack.testing.TunTransfers;
import io.tcpstack.tun.TunDevice;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The TUN offloads (issue 11) against Linux: with the virtio-net header the kernel hands the stack
 * TCP super-segments and partial checksums and takes the stack's; without it, one finished packet
 * per system call. Either way 100 MB cross each way byte-exact (SHA-256), and the counters show
 * which way they went.
 */
class TunOffloadIntegrationTest {

  private static final Duration LIMIT = Duration.ofSeconds(180);
  private static final int BIG = 100_000_000;

  private TunStack net;
  private final ExecutorService threads = Executors.newCachedThreadPool();

  @AfterEach
  void stop() throws InterruptedException {
    threads.shutdownNow();
    threads.awaitTermination(10, TimeUnit.SECONDS);
    if (net != null) {
      net.close();
    }
  }

  @ParameterizedTest(name = "offloads {0}")
  @ValueSource(booleans = {true, false})
  void hundredMegabytesEachWayByteExact(boolean offload) throws Exception {
    net = TunStack.start(null, offload ? TunLink.TUN_OFFLOADS : 0);
    assertEquals(offload ? Offload.TX_CHECKSUM | Offload.TX_SEGMENTATION : Offload.NONE, net.linkOffloads());

    kernelSendsToTheStack(BIG);
    stackSendsToTheKernel(BIG);

    long superIn = net.runtime().counters().get(StackCounter.IP_IN_SUPER_PACKETS);
    long superOut = net.runtime().counters().get(StackCounter.IP_OUT_SUPER_PACKETS);
    if (offload) {
      assertTrue(superIn > 0, "the kernel handed over TCP segments larger than the MTU, each in one read");
      assertTrue(superOut > 0, "the stack handed the kernel super-segments to cut");
    } else {
      assertEquals(0, superIn, "a plain TUN device carries packets of at most the MTU");
      assertEquals(0, superOut);
    }
    assertEquals(0, net.runtime().counters().get(StackCounter.TCP_IN_BAD_CHECKSUM));
  }

  /** set_offload() in drivers/net/tun.c refuses TSO without TUN_F_CSUM: the device opens plain. */
  @Test
  void aDeviceThatRefusesOffloadsStillCarriesTraffic() throws Exception {
    net = TunStack.start(null, TunDevice.TUN_F_TSO4);
    assertEquals(Offload.NONE, net.linkOffloads(), "refused: plain TUN, no offloads");
    kernelSendsToTheStack(5_000_000);
    stackSendsToTheKernel(5_000_000);
  }

  /**
   * Below an impairment the link cuts the kernel's super-segments into packets of at most the MTU,
   * so loss and corruption hit single packets; the stream still arrives whole.
   */
  @Test
  void underAnImpairmentSuperSegmentsAreCutIntoPackets() throws Exception {
    net = TunStack.start(Impairment.parse("loss=1%,seed=7"), TunLink.TUN_OFFLOADS);
    assertEquals(Offload.NONE, net.linkOffloads(), "an impaired link declares no offloads to the stack");
    kernelSendsToTheStack(5_000_000);
    stackSendsToTheKernel(5_000_000);
    assertEquals(0, net.runtime().counters().get(StackCounter.IP_IN_SUPER_PACKETS));
    assertEquals(0, net.runtime().counters().get(StackCounter.IP_OUT_SUPER_PACKETS));
    assertTrue(net.faults().receiveCounters().get(io.tcpstack.device.ImpairmentCounter.DROPPED) > 0, "the impairment dropped packets it received");
  }

  private void kernelSendsToTheStack(int bytes) throws Exception {
    TunTransfers.kernelToStack(net, bytes, threads, LIMIT);
  }

  private void stackSendsToTheKernel(int bytes) throws Exception {
    TunTransfers.stackToKernel(net, bytes, LIMIT);
  }
}
