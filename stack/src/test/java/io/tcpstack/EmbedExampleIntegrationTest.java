package io.tcpstack;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tcpstack.testing.Privileged;
import io.tcpstack.testing.ProcessResult;
import io.tcpstack.testing.TestNamespace;
import io.tcpstack.tun.TunDevice;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The program in README.md's "Use it as a library" section, taken from between its markers,
 * compiled and run as it stands: it serves echo in a namespace this test makes, {@code nc} from
 * that namespace gets its bytes back exactly, and once the program is stopped (an interrupt ends
 * its accept, and try-with-resources closes the stack) its TUN device is gone. README and code
 * cannot drift apart. Needs root and TUN: skipped with the reason otherwise, failed under CI=true.
 */
class EmbedExampleIntegrationTest {

  private static final String START = "<!-- embed-example:start -->";
  private static final String END = "<!-- embed-example:end -->";
  private static final String STACK = "198.18.0.2";
  private static final Duration LIMIT = Duration.ofSeconds(30);

  /** The Java source between the README's markers, without the ```java fence. */
  static String exampleFromReadme() throws IOException {
    Path readme = Path.of("..", "README.md"); // surefire runs in the module's directory
    if (!Files.exists(readme)) {
      readme = Path.of("README.md");
    }
    String text = Files.readString(readme);
    int start = text.indexOf(START);
    int end = text.indexOf(END);
    assertTrue(start >= 0 && end > start, "README.md has no " + START + " ... " + END + " block");
    String block = text.substring(start + START.length(), end).trim();
    assertTrue(block.startsWith("```java") && block.endsWith("```"), "the example is not a ```java block: " + block);
    return block.substring("```java".length(), block.length() - "```".length());
  }

  @Test
  void readmeExampleIsAJavaProgramCalledEchoServer() throws IOException {
    String source = exampleFromReadme();
    assertTrue(source.contains("public class EchoServer"), source);
    assertTrue(source.contains("TcpStack.builder()"), source);
  }

  @Test
  void readmeExampleServesEchoAndRemovesItsDevice(@TempDir Path dir) throws Exception {
    Privileged.assumeRootAndTun();
    Class<?> program = compile(exampleFromReadme(), dir);
    Method main = program.getMethod("main", String[].class);
    try (TestNamespace ns = TestNamespace.create()) {
      AtomicReference<Throwable> ended = new AtomicReference<>();
      Thread server = new Thread(() -> {
        try {
          main.invoke(null, (Object) new String[] {ns.name()});
        } catch (ReflectiveOperationException e) {
          ended.set(e.getCause());
        }
      }, "readme-echo-server");
      server.setDaemon(true);
      server.start();
      try {
        byte[] payload = new byte[100_000];
        new Random(15).nextBytes(payload);
        byte[] echoed = echo(ns, payload, server, ended);
        assertArrayEquals(payload, echoed, "echo came back different");
        assertEquals(1, tunDevices(ns).size(), "the program's device: " + tunDevices(ns));
      } finally {
        server.interrupt(); // accept throws InterruptedIOException; try-with-resources closes the stack
        server.join(TimeUnit.SECONDS.toMillis(30));
      }
      assertFalse(server.isAlive(), "the program did not stop on interrupt");
      assertNotNull(ended.get(), "main returned without the interrupt's exception");
      assertTrue(ended.get() instanceof java.io.InterruptedIOException, String.valueOf(ended.get()));
      assertEquals(List.of(), tunDevices(ns), "the device outlived close()");
    }
  }

  /** Sends {@code payload} with nc from the namespace, retrying while the program starts; what came back. */
  private static byte[] echo(TestNamespace ns, byte[] payload, Thread server, AtomicReference<Throwable> ended)
      throws Exception {
    String last = "";
    for (int attempt = 0; attempt < 60; attempt++) {
      if (!server.isAlive()) {
        throw new AssertionError("the README program ended early", ended.get());
      }
      Process nc = new ProcessBuilder("ip", "netns", "exec", ns.name(), "nc", "-N", "-w", "10", STACK, "7")
          .redirectError(ProcessBuilder.Redirect.PIPE).start();
      Thread writer = new Thread(() -> {
        try (OutputStream out = nc.getOutputStream()) {
          out.write(payload);
        } catch (IOException ignored) {
          // nc gave up (connection refused while the program starts): seen in its exit code
        }
      });
      writer.start();
      ByteArrayOutputStream got = new ByteArrayOutputStream();
      try (InputStream in = nc.getInputStream()) {
        in.transferTo(got);
      }
      writer.join();
      if (!nc.waitFor(LIMIT.toSeconds(), TimeUnit.SECONDS)) {
        nc.destroyForcibly();
        throw new AssertionError("nc did not finish");
      }
      if (nc.exitValue() == 0 && got.size() > 0) {
        return got.toByteArray();
      }
      last = new String(nc.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
      Thread.sleep(250); // the program is still opening its device: try again
    }
    throw new AssertionError("nc never got an echo: " + last);
  }

  /** The TUN devices in the namespace, from {@code ip -d link}. */
  private static List<String> tunDevices(TestNamespace ns) {
    ProcessResult r = ns.ip("-d", "-o", "link", "show").assertSuccess();
    List<String> names = new ArrayList<>();
    for (String line : r.stdout().split("\n")) {
      if (line.contains(" tun ")) {
        names.add(line.split(":")[1].trim());
      }
    }
    return names;
  }

  /** Compiles {@code source} (class EchoServer) against the stack's classes and loads it. */
  private static Class<?> compile(String source, Path dir) throws Exception {
    Path file = dir.resolve("EchoServer.java");
    Files.writeString(file, source);
    StringBuilder classpath = new StringBuilder();
    for (Class<?> c : new Class<?>[] {TcpStack.class, TunDevice.class, io.netty.buffer.ByteBuf.class,
        org.slf4j.Logger.class}) {
      if (classpath.length() > 0) {
        classpath.append(java.io.File.pathSeparator);
      }
      classpath.append(Path.of(c.getProtectionDomain().getCodeSource().getLocation().toURI()));
    }
    JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
    assertNotNull(javac, "no Java compiler: run the tests on a JDK");
    ByteArrayOutputStream errors = new ByteArrayOutputStream();
    int rc = javac.run(null, errors, errors, "-classpath", classpath.toString(), "-d", dir.toString(),
        file.toString());
    assertEquals(0, rc, "the README example does not compile:\n" + errors.toString(StandardCharsets.UTF_8));
    URLClassLoader loader = new URLClassLoader(new URL[] {dir.toUri().toURL()},
        EmbedExampleIntegrationTest.class.getClassLoader());
    return loader.loadClass("EchoServer");
  }
}
