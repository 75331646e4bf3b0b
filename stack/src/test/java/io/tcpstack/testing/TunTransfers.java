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
import java.util.concurrent.TimeUnit;

/**
 * Byte-exact bulk transfers between Linux and the stack on a {@link TunStack}, checked by length
 * and SHA-256: the kernel side is {@code tun/tcp_peer.py}, the stack side the blocking socket API.
 */
public final class TunTransfers {

  private TunTransfers() {}

  /** Linux connects to the stack's port 9 and sends {@code bytes}; the stack reads every one. */
  public static void kernelToStack(TunStack net, int bytes, ExecutorService threads, Duration limit) throws Exception {
    Path peer = TunStack.script("/tun/tcp_peer.py");
    try (TcpServerSocket server = TcpServerSocket.bind(net.runtime(), 9, 4)) {
      CompletableFuture<String> received = CompletableFuture.supplyAsync(() -> {
        try (TcpSocket c = server.accept(limit)) {
          MessageDigest sha = SeededStream.sha256();
          byte[] buf = new byte[256 * 1024];
          long total = 0;
          for (int n; (n = c.read(buf, 0, buf.length)) > 0; ) {
            sha.update(buf, 0, n);
            total += n;
          }
          return total + " " + SeededStream.hex(sha.digest());
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      }, threads);
      ProcessResult r = net.ns().exec(limit, "python3", peer.toString(), "send", TunStack.STACK, "9",
          Integer.toString(bytes), "42");
      assertEquals(0, r.exitCode(), r.toString());
      String[] sent = r.stdout().trim().split(" ");
      assertEquals(bytes + " " + sent[2], received.get(limit.toSeconds(), TimeUnit.SECONDS));
    }
  }

  /** The stack connects to Linux's port 5001, sends {@code bytes} and closes; Linux reads every one. */
  public static void stackToKernel(TunStack net, int bytes, Duration limit) throws Exception {
    Path peer = TunStack.script("/tun/tcp_peer.py");
    Process listener = net.ns().start("python3", peer.toString(), "recv", TunStack.HOST, "5001");
    try {
      BufferedReader out = new BufferedReader(new InputStreamReader(listener.getInputStream(), StandardCharsets.UTF_8));
      assertEquals("listening", out.readLine());
      MessageDigest sha = SeededStream.sha256();
      try (TcpSocket c = TcpSocket.connect(net.runtime(), (Inet4Address) InetAddress.getByName(TunStack.HOST), 5001,
          Duration.ofSeconds(10))) {
        SeededStream stream = new SeededStream(7);
        byte[] buf = new byte[256 * 1024];
        OutputStream os = c.getOutputStream();
        for (int left = bytes; left > 0; ) {
          int n = Math.min(left, buf.length);
          stream.next(buf, 0, n);
          sha.update(buf, 0, n);
          os.write(buf, 0, n);
          left -= n;
        }
      } // close: FIN after the last byte
      assertEquals("received " + bytes + " " + SeededStream.hex(sha.digest()), out.readLine());
      assertTrue(listener.waitFor(limit.toSeconds(), TimeUnit.SECONDS));
    } finally {
      listener.destroyForcibly();
    }
  }
}
