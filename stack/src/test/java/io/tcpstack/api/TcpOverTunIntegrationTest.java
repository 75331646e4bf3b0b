package io.tcpstack.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tcpstack.stats.StackCounter;
import io.tcpstack.testing.Nstat;
import io.tcpstack.testing.ProcessResult;
import io.tcpstack.testing.TunStack;
import io.tcpstack.testing.TunTransfers;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * TCP between the stack and Linux through a TUN device in a fresh namespace: nc and python3 on the
 * kernel side, the socket API on the stack side; streams compared by SHA-256.
 */
class TcpOverTunIntegrationTest {

  private static final Duration LIMIT = Duration.ofSeconds(180);
  private static final int BIG = 100_000_000;

  private TunStack net;
  private ExecutorService threads;
  private Path peer;

  @BeforeEach
  void start() throws IOException {
    net = TunStack.start();
    threads = Executors.newCachedThreadPool();
    peer = TunStack.script("/tun/tcp_peer.py");
  }

  @AfterEach
  void stop() throws InterruptedException {
    threads.shutdownNow();
    threads.awaitTermination(10, TimeUnit.SECONDS);
    if (net != null) {
      net.close();
    }
  }

  /** Echo (RFC 862): every accepted connection gets its bytes back until it closes. */
  private TcpServerSocket echoServer(int port) throws IOException {
    TcpServerSocket server = TcpServerSocket.bind(net.runtime(), port, 16);
    threads.submit(() -> {
      while (true) {
        TcpSocket client = server.accept();
        threads.submit(() -> {
          try (TcpSocket c = client) {
            byte[] buf = new byte[64 * 1024];
            for (int n; (n = c.read(buf, 0, buf.length)) > 0; ) {
              c.write(buf, 0, n);
            }
          }
          return null;
        });
      }
    });
    return server;
  }

  @Test
  void ncRoundTripsTextThroughTheEchoService() throws IOException {
    echoServer(7);
    ProcessResult r = net.ns().exec(LIMIT, "sh", "-c", "printf 'hello tcpstack\\nsecond line\\n' | nc -N -w 10 " + TunStack.STACK + " 7");
    assertEquals(0, r.exitCode(), r.toString());
    assertEquals("hello tcpstack\nsecond line\n", r.stdout());
  }

  @Test
  void severalClientsAtOnce() throws Exception {
    echoServer(7);
    CompletableFuture<?>[] runs = new CompletableFuture<?>[8];
    for (int i = 0; i < runs.length; i++) {
      int seed = i;
      runs[i] = CompletableFuture.supplyAsync(
          () -> net.ns().exec(LIMIT, "python3", peer.toString(), "echo", TunStack.STACK, "7", "1000000", Integer.toString(seed)), threads);
    }
    for (CompletableFuture<?> run : runs) {
      ProcessResult r = (ProcessResult) run.get(LIMIT.toSeconds(), TimeUnit.SECONDS);
      String[] f = r.stdout().trim().split(" ");
      assertEquals("echoed", f[0], r.toString());
      assertEquals("1000000", f[1], r.toString());
      assertEquals(f[2], f[3], "the echo is byte-exact");
    }
  }

  /**
   * "ts=1 sack=0 wscale=1 snd_wscale=3 rcv_wscale=7 snd_mss=1448": what the kernel's socket says it
   * negotiated with the stack (tcp_peer.py's tcp_info), as a map.
   */
  private static Map<String, String> negotiated(String line) {
    Map<String, String> m = new HashMap<>();
    for (String kv : line.trim().split(" ")) {
      String[] f = kv.split("=");
      m.put(f[0], f[1]);
    }
    return m;
  }

  /**
   * RFC 7323 with Linux's TCP, the stack as server: Linux's SYN offers timestamps and window
   * scaling, the stack answers both (§3.2, §2.2), and Linux uses them — our shift 3 for the 256 KiB
   * buffer, an MSS toward us of 1460 less the 12 bytes of the option (RFC 6691) — through an echo
   * of 4 MB, with no segment refused by PAWS on either side or dropped for a missing option.
   */
  @Test
  void linuxNegotiatesTimestampsAndWindowScaleWithTheStackAsServer() throws Exception {
    echoServer(7);
    ProcessResult r = net.ns().exec(LIMIT, "python3", peer.toString(), "echoinfo", TunStack.STACK, "7", "4000000", "3");
    assertEquals(0, r.exitCode(), r.toString());
    String[] lines = r.stdout().trim().split("\n");
    String[] f = lines[0].split(" ");
    assertEquals("echoed", f[0], r.toString());
    assertEquals("4000000", f[1], r.toString());
    assertEquals(f[2], f[3], "the echo is byte-exact");
    Map<String, String> kernel = negotiated(lines[1]);
    assertEquals("1", kernel.get("ts"), lines[1]);
    assertEquals("1", kernel.get("wscale"), lines[1]);
    assertEquals("3", kernel.get("snd_wscale"), lines[1]);
    assertEquals("1448", kernel.get("snd_mss"), lines[1]);
    assertEquals(0L, Nstat.read(net.ns(), "TcpExtPAWSEstab").getOrDefault("TcpExtPAWSEstab", 0L));
    assertEquals(0, net.runtime().counters().get(StackCounter.TCP_PAWS_DROPS));
    assertEquals(0, net.runtime().counters().get(StackCounter.TCP_TS_MISSING_DROPS));
  }

  /** The same with the stack as client: Linux's SYN-ACK answers our SYN's timestamps and window scale. */
  @Test
  void linuxNegotiatesTimestampsAndWindowScaleWithTheStackAsClient() throws Exception {
    Process listener = net.ns().start("python3", peer.toString(), "recvinfo", TunStack.HOST, "5002");
    try {
      BufferedReader out = new BufferedReader(new InputStreamReader(listener.getInputStream(), StandardCharsets.UTF_8));
      assertEquals("listening", out.readLine());
      try (TcpSocket c = TcpSocket.connect(net.runtime(), (Inet4Address) InetAddress.getByName(TunStack.HOST), 5002,
          Duration.ofSeconds(10))) {
        c.write(new byte[1_000_000], 0, 1_000_000);
      }
      assertTrue(out.readLine().startsWith("received 1000000 "));
      String line = out.readLine();
      Map<String, String> kernel = negotiated(line);
      assertEquals("1", kernel.get("ts"), line);
      assertEquals("1", kernel.get("wscale"), line);
      assertEquals("3", kernel.get("snd_wscale"), line);
      assertTrue(listener.waitFor(LIMIT.toSeconds(), TimeUnit.SECONDS));
    } finally {
      listener.destroyForcibly();
    }
    assertEquals(0, net.runtime().counters().get(StackCounter.TCP_PAWS_DROPS));
    assertEquals(0, net.runtime().counters().get(StackCounter.TCP_TS_MISSING_DROPS));
  }

  @Test
  void connectionToClosedPortIsRefusedAtOnce() {
    ProcessResult r = net.ns().exec(LIMIT, "nc", "-z", "-v", "-w", "10", TunStack.STACK, "9999");
    assertEquals(1, r.exitCode(), r.toString());
    assertTrue(r.stderr().contains("Connection refused"), r.toString());
    assertEquals(1, net.runtime().counters().get(StackCounter.TCP_NO_PORT));
  }

  @Test
  void hundredMegabytesFromKernelToStack() throws Exception {
    TunTransfers.kernelToStack(net, BIG, threads, LIMIT);
  }

  @Test
  void hundredMegabytesFromStackToKernelWithTheStackAsClient() throws Exception {
    TunTransfers.stackToKernel(net, BIG, LIMIT);
  }

  @Test
  void connectToClosedKernelPortIsRefused() throws IOException {
    ConnectionRefusedException e = assertThrows(ConnectionRefusedException.class,
        () -> TcpSocket.connect(net.runtime(), (Inet4Address) InetAddress.getByName(TunStack.HOST), 5999, Duration.ofSeconds(10)));
    assertTrue(e.getMessage().contains("refused"), e.getMessage());
  }

  @Test
  void peerResetIsReportedOnRead() throws Exception {
    TcpServerSocket server = TcpServerSocket.bind(net.runtime(), 7, 4);
    CompletableFuture<Throwable> failure = CompletableFuture.supplyAsync(() -> {
      try (TcpSocket c = server.accept(LIMIT)) {
        c.write(new byte[] {'!'}, 0, 1); // tells the client it was accepted
        byte[] buf = new byte[100];
        while (c.read(buf, 0, buf.length) >= 0) {
          // keep reading until the reset
        }
        return null;
      } catch (IOException e) {
        return e;
      }
    }, threads);
    // Reset only once accepted (a connection reset in the accept queue is never accepted, as on
    // Linux); SO_LINGER 0 makes close() send RST.
    ProcessResult r = net.ns().exec(LIMIT, "python3", "-c",
        "import socket,struct; s=socket.create_connection(('" + TunStack.STACK + "',7)); s.recv(1); s.send(b'x');"
            + " s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii',1,0)); s.close()");
    assertEquals(0, r.exitCode(), r.toString());
    Throwable t = failure.get(LIMIT.toSeconds(), TimeUnit.SECONDS);
    assertTrue(t instanceof ConnectionResetException, String.valueOf(t));
  }

  /** Closing the runtime aborts its connections while the device still carries their resets. */
  @Test
  void closingTheStackResetsItsOpenConnections() throws Exception {
    echoServer(7);
    Process client = net.ns().start("python3", "-c",
        "import socket\n"
            + "s = socket.create_connection(('" + TunStack.STACK + "', 7), timeout=60)\n"
            + "s.sendall(b'hi\\n'); print('echoed', s.recv(100), flush=True)\n"
            + "try:\n"
            + "    print('then', s.recv(100), flush=True)\n"
            + "except ConnectionResetError:\n"
            + "    print('then reset', flush=True)\n");
    BufferedReader out = new BufferedReader(new InputStreamReader(client.getInputStream(), StandardCharsets.UTF_8));
    assertEquals("echoed b'hi\\n'", out.readLine());
    net.runtime().close();
    assertEquals("then reset", out.readLine(), "the kernel got the stack's RST");
    assertTrue(client.waitFor(LIMIT.toSeconds(), TimeUnit.SECONDS));
  }

  @Test
  void readReturnsMinusOneAfterThePeersFinAndHalfCloseStillSends() throws Exception {
    TcpServerSocket server = TcpServerSocket.bind(net.runtime(), 7, 4);
    CompletableFuture<Integer> eof = CompletableFuture.supplyAsync(() -> {
      try (TcpSocket c = server.accept(LIMIT)) {
        InputStream in = c.getInputStream();
        int first = in.read();
        // nc wrote the twelve bytes at once: one segment, received whole, so the rest is waiting.
        int waiting = in.available();
        byte[] rest = in.readAllBytes(); // until FIN
        c.getOutputStream().write(("got " + (1 + rest.length) + " bytes, " + (char) first + " then " + waiting
            + " waiting\n").getBytes(StandardCharsets.UTF_8));
        return in.available() == 0 ? in.read() : -2;
      } catch (IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    }, threads);
    ProcessResult r = net.ns().exec(LIMIT, "sh", "-c", "printf 'twelve bytes' | nc -N -w 10 " + TunStack.STACK + " 7");
    assertEquals("got 12 bytes, t then 11 waiting\n", r.stdout(), r.toString());
    assertEquals(-1, eof.get(LIMIT.toSeconds(), TimeUnit.SECONDS));
  }

  @Test
  void listeningPortCanBeReusedWhileOldConnectionsSitInTimeWait() throws Exception {
    TcpServerSocket first = echoServer(7);
    ProcessResult r = net.ns().exec(LIMIT, "sh", "-c", "printf 'one\\n' | nc -N -w 10 " + TunStack.STACK + " 7");
    assertEquals("one\n", r.stdout(), r.toString());
    first.close();
    TcpServerSocket second = echoServer(7); // the stack closed first? either way the port binds again
    ProcessResult again = net.ns().exec(LIMIT, "sh", "-c", "printf 'two\\n' | nc -N -w 10 " + TunStack.STACK + " 7");
    assertEquals("two\n", again.stdout(), again.toString());
    assertNotEquals(first, second);
  }
}
