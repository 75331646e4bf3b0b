package io.tcpstack.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tcpstack.api.TcpServerSocket;
import io.tcpstack.api.TcpSocket;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Byte-exact bulk transfers between Linux and the stack on a {@link TunStack}, checked by length
 * and SHA-256: the kernel side is {@code tun/tcp_peer.py}, the stack side the blocking socket API.
 *
 * <p>The Linux side runs in the stack's own namespace (the kernel end of the TUN device, {@link
 * TunStack#HOST}) or, with the overloads that take a namespace, anywhere that routes to {@link
 * TunStack#STACK} — e.g. the client namespace of a {@link RoutedPath}. Those overloads wait with
 * {@link Await}: a transfer that hangs fails after its limit with {@code diagnostics} (counters,
 * sockets, rules) in the message.
 */
public final class TunTransfers {

  /** The stack's port for {@link #kernelToStack}: Linux connects and sends. */
  public static final int UPLOAD_PORT = 9;
  /** The stack's port for {@link #kernelFetchesFromStack}: Linux connects and reads. */
  public static final int DOWNLOAD_PORT = 5002;
  /** Linux's port for {@link #stackToKernel}: the stack connects and sends. */
  public static final int KERNEL_PORT = 5001;

  private TunTransfers() {}

  /** Linux connects to the stack's port 9 and sends {@code bytes}; the stack reads every one. */
  public static void kernelToStack(TunStack net, int bytes, ExecutorService threads, Duration limit) throws Exception {
    kernelToStack(net, net.ns(), bytes, 42, threads, limit, () -> "");
  }

  /**
   * Linux, in namespace {@code linux}, connects to the stack's port {@value #UPLOAD_PORT} and sends
   * {@code bytes} of the stream {@code seed}; the stack reads every one.
   */
  public static void kernelToStack(TunStack net, TestNamespace linux, int bytes, int seed, ExecutorService threads,
      Duration limit, Supplier<String> diagnostics) throws Exception {
    Path peer = TunStack.script("/tun/tcp_peer.py");
    try (TcpServerSocket server = TcpServerSocket.bind(net.runtime(), UPLOAD_PORT, 4)) {
      CompletableFuture<String> received = CompletableFuture.supplyAsync(() -> {
        try (TcpSocket c = server.accept(limit)) {
          return readAll(c);
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      }, threads);
      CompletableFuture<ProcessResult> sender = CompletableFuture.supplyAsync(() -> linux.exec(limit,
          "python3", peer.toString(), "send", TunStack.STACK, Integer.toString(UPLOAD_PORT), Integer.toString(bytes),
          Integer.toString(seed)), threads);
      ProcessResult r = Await.result(sender, "Linux sending " + bytes + " bytes", limit.plusSeconds(10), diagnostics);
      assertEquals(0, r.exitCode(), r + "\n" + diagnostics.get());
      String[] sent = r.stdout().trim().split(" ");
      assertEquals(bytes + " " + sent[2],
          Await.result(received, "the stack reading " + bytes + " bytes", limit.plusSeconds(10), diagnostics),
          "the stack read exactly what Linux sent (length and SHA-256)");
    }
  }

  /** The stack connects to Linux's port 5001, sends {@code bytes} and closes; Linux reads every one. */
  public static void stackToKernel(TunStack net, int bytes, Duration limit) throws Exception {
    ExecutorService threads = Executors.newCachedThreadPool();
    try {
      stackToKernel(net, net.ns(), TunStack.HOST, bytes, 7, threads, limit, () -> "");
    } finally {
      threads.shutdownNow();
    }
  }

  /**
   * Linux listens in namespace {@code linux} on {@code linuxAddress}:{@value #KERNEL_PORT}; the
   * stack connects, sends {@code bytes} of the stream {@code seed} and closes; Linux reads every one.
   */
  public static void stackToKernel(TunStack net, TestNamespace linux, String linuxAddress, int bytes, int seed,
      ExecutorService threads, Duration limit, Supplier<String> diagnostics) throws Exception {
    Path peer = TunStack.script("/tun/tcp_peer.py");
    Process listener = linux.start("python3", peer.toString(), "recv", linuxAddress, Integer.toString(KERNEL_PORT));
    try {
      BufferedReader out = new BufferedReader(new InputStreamReader(listener.getInputStream(), StandardCharsets.UTF_8));
      assertEquals("listening", Await.result(CompletableFuture.supplyAsync(() -> Await.readLine(out), threads),
          "the listener starting", limit, diagnostics));
      CompletableFuture<String> result = CompletableFuture.supplyAsync(() -> Await.readLine(out), threads);
      CompletableFuture<String> sent = CompletableFuture.supplyAsync(() -> {
        try (TcpSocket c = TcpSocket.connect(net.runtime(), (Inet4Address) InetAddress.getByName(linuxAddress),
            KERNEL_PORT, Duration.ofSeconds(10))) {
          return writeAll(c, bytes, seed);
        } catch (IOException e) { // close: FIN after the last byte
          throw new UncheckedIOException(e);
        }
      }, threads);
      String digest = Await.result(sent, "the stack sending " + bytes + " bytes", limit.plusSeconds(10), diagnostics);
      assertEquals("received " + bytes + " " + digest,
          Await.result(result, "Linux reading " + bytes + " bytes", limit.plusSeconds(10), diagnostics),
          "Linux read exactly what the stack sent (length and SHA-256)");
      assertTrue(listener.waitFor(limit.toSeconds(), TimeUnit.SECONDS), "the listener exits after reporting");
    } finally {
      listener.destroyForcibly();
    }
  }

  /**
   * The stack listens on port {@value #DOWNLOAD_PORT}; Linux, in namespace {@code linux}, connects
   * to it; the stack sends {@code bytes} of the stream {@code seed} and closes; Linux reads every one
   * ({@code tcp_peer.py fetch}). The stack is the server and the sender: a download.
   */
  public static void kernelFetchesFromStack(TunStack net, TestNamespace linux, int bytes, int seed,
      ExecutorService threads, Duration limit, Supplier<String> diagnostics) throws Exception {
    Path peer = TunStack.script("/tun/tcp_peer.py");
    try (TcpServerSocket server = TcpServerSocket.bind(net.runtime(), DOWNLOAD_PORT, 4)) {
      CompletableFuture<String> sent = CompletableFuture.supplyAsync(() -> {
        try (TcpSocket c = server.accept(limit)) {
          return writeAll(c, bytes, seed);
        } catch (IOException e) { // close: FIN after the last byte
          throw new UncheckedIOException(e);
        }
      }, threads);
      CompletableFuture<ProcessResult> reader = CompletableFuture.supplyAsync(() -> linux.exec(limit,
          "python3", peer.toString(), "fetch", TunStack.STACK, Integer.toString(DOWNLOAD_PORT)), threads);
      String digest = Await.result(sent, "the stack sending " + bytes + " bytes", limit.plusSeconds(10), diagnostics);
      ProcessResult r = Await.result(reader, "Linux reading " + bytes + " bytes", limit.plusSeconds(10), diagnostics);
      assertEquals(0, r.exitCode(), r + "\n" + diagnostics.get());
      assertEquals("received " + bytes + " " + digest, r.stdout().trim(),
          "Linux read exactly what the stack sent (length and SHA-256)");
    }
  }

  /** Reads {@code c} to its end: "N SHA256". */
  private static String readAll(TcpSocket c) throws IOException {
    MessageDigest sha = SeededStream.sha256();
    byte[] buf = new byte[256 * 1024];
    long total = 0;
    for (int n; (n = c.read(buf, 0, buf.length)) > 0; ) {
      sha.update(buf, 0, n);
      total += n;
    }
    return total + " " + SeededStream.hex(sha.digest());
  }

  /** Writes {@code bytes} of the stream {@code seed} to {@code c}; the SHA-256 of what was written. */
  public static String writeAll(TcpSocket c, int bytes, int seed) throws IOException {
    MessageDigest sha = SeededStream.sha256();
    SeededStream stream = new SeededStream(seed);
    byte[] buf = new byte[256 * 1024];
    OutputStream os = c.getOutputStream();
    for (int left = bytes; left > 0; ) {
      int n = Math.min(left, buf.length);
      stream.next(buf, 0, n);
      sha.update(buf, 0, n);
      os.write(buf, 0, n);
      left -= n;
    }
    return SeededStream.hex(sha.digest());
  }
}
