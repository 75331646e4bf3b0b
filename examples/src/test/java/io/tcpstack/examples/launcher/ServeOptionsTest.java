package io.tcpstack.examples.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tcpstack.StackConfig;
import io.tcpstack.tcp.cc.CongestionAlgorithm;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The listening, limit and TCP options of {@code serve} and {@code run}: {@code --backlog}, {@code
 * --max-connections}, {@code --buffer-memory}, {@code --congestion}; their defaults, what they
 * accept, and the one-line message for what they do not (LauncherIT checks the exit status 2
 * through the script).
 */
class ServeOptionsTest {

  private static ServeOptions parse(String... args) throws UsageException {
    return ServeOptions.parse(List.of(args));
  }

  private static String refused(String... args) {
    return assertThrows(UsageException.class, () -> parse(args)).getMessage();
  }

  @Test
  void defaultsAreLinuxLike() throws UsageException {
    ServeOptions o = parse();
    assertEquals(4096, o.backlog, "somaxconn");
    assertEquals(StackConfig.DEFAULT_BACKLOG, o.backlog);
    assertEquals(65_536, o.maxConnections);
    assertEquals(256L << 20, o.bufferMemory);
    StackConfig c = o.stackConfig().build();
    assertEquals(65_536, c.maxConnections());
    assertEquals(256L << 20, c.bufferMemory());
  }

  @Test
  void valuesReachTheStackConfig() throws UsageException {
    ServeOptions o = parse("--backlog", "65535", "--max-connections=10000", "--buffer-memory", "1g");
    assertEquals(65_535, o.backlog);
    StackConfig c = o.stackConfig().build();
    assertEquals(10_000, c.maxConnections());
    assertEquals(1L << 30, c.bufferMemory());
    assertEquals(1, parse("--backlog=1").backlog);
  }

  @Test
  void sizesAreBytesOrBinaryUnits() throws UsageException {
    assertEquals(256L << 20, parse("--buffer-memory", "256m").bufferMemory);
    assertEquals(256L << 20, parse("--buffer-memory", "256M").bufferMemory);
    assertEquals(256L << 20, parse("--buffer-memory", "256MiB").bufferMemory);
    assertEquals(256L << 20, parse("--buffer-memory", "262144k").bufferMemory);
    assertEquals(2L << 30, parse("--buffer-memory", "2g").bufferMemory);
    assertEquals(1_048_576, parse("--buffer-memory", "1048576").bufferMemory);
    assertEquals(1L << 40, parse("--buffer-memory", "1024g").bufferMemory);
  }

  @ParameterizedTest
  @ValueSource(strings = {"0", "-1", "65536", "x", "1e3", ""})
  void backlogOutOfRange(String v) {
    assertEquals("--backlog '" + v + "' must be a whole number from 1 to 65535", refused("--backlog", v));
  }

  @ParameterizedTest
  @ValueSource(strings = {"0", "-5", "2147483648", "many"})
  void maxConnectionsOutOfRange(String v) {
    assertEquals("--max-connections '" + v + "' must be a whole number from 1 to 2147483647",
        refused("--max-connections", v));
  }

  @ParameterizedTest
  @ValueSource(strings = {"0", "1k", "1048575", "12q", "1.5g", "-1m", "m", "1025g", "99999999999999999999", "1 g"})
  void bufferMemoryOutOfRange(String v) {
    assertEquals("--buffer-memory '" + v + "' must be a size from 1m to 1024g, in bytes or with k, m or g (e.g. 256m, 1g)",
        refused("--buffer-memory", v));
  }

  @Test
  void congestionIsCubicByDefaultOrNamed() throws UsageException {
    assertEquals(CongestionAlgorithm.CUBIC, parse().congestion);
    assertEquals(CongestionAlgorithm.CUBIC, parse().stackConfig().build().congestionControl());
    assertEquals(CongestionAlgorithm.NEWRENO, parse("--congestion", "newreno").congestion);
    assertEquals(CongestionAlgorithm.NEWRENO, parse("--congestion=newreno").stackConfig().build().congestionControl());
    assertEquals(CongestionAlgorithm.CUBIC, parse("--congestion", "cubic").congestion);
  }

  @ParameterizedTest
  @ValueSource(strings = {"reno", "bbr", "", "cubic,newreno"})
  void anUnknownCongestionControlIsRefused(String v) {
    assertEquals("--congestion takes cubic or newreno, got '" + v + "'", refused("--congestion", v));
  }

  @Test
  void aMissingValueIsSaid() {
    assertEquals("--backlog needs a value", refused("--backlog"));
    assertEquals("--buffer-memory needs a value", refused("--buffer-memory"));
    assertEquals("--congestion needs a value", refused("--congestion"));
  }

  @Test
  void runTakesThemAfterTheExamplesOwnOptions() throws UsageException {
    List<String> rest = new ArrayList<>();
    ServeOptions o = ServeOptions.parse(List.of("--port", "8080", "--backlog", "16", "--max-connections", "100"), rest);
    assertEquals(List.of("--port", "8080"), rest);
    assertEquals(16, o.backlog);
    assertEquals(100, o.maxConnections);
  }

  @Test
  void theUsageNamesThemWithTheirDefaults() {
    assertTrue(ServeOptions.USAGE.contains("--backlog N") && ServeOptions.USAGE.contains("(default 4096)"),
        ServeOptions.USAGE);
    assertTrue(ServeOptions.USAGE.contains("--max-connections N") && ServeOptions.USAGE.contains("(default 65536)"));
    assertTrue(ServeOptions.USAGE.contains("--buffer-memory SIZE") && ServeOptions.USAGE.contains("(default 256m)"));
    assertTrue(ServeOptions.USAGE.contains("[--congestion cubic|newreno]") && ServeOptions.USAGE.contains("(default cubic)"),
        ServeOptions.USAGE);
  }
}
