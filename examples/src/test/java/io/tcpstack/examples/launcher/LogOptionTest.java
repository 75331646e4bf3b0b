package io.tcpstack.examples.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** {@code --log SPEC}: levels for every logger or named ones, mistakes said in one line. */
class LogOptionTest {

  @Test
  void aLevelAloneIsTheDefaultLevel() throws UsageException {
    assertEquals(Map.of("org.slf4j.simpleLogger.defaultLogLevel", "debug"), LogOption.parse("debug"));
    assertEquals(Map.of("org.slf4j.simpleLogger.defaultLogLevel", "warn"), LogOption.parse("WARN"));
  }

  @Test
  void loggersByShortOrFullName() throws UsageException {
    assertEquals(Map.of("org.slf4j.simpleLogger.defaultLogLevel", "info",
            "org.slf4j.simpleLogger.log.io.tcpstack.tcp", "debug",
            "org.slf4j.simpleLogger.log.io.tcpstack.packets", "trace",
            "org.slf4j.simpleLogger.log.io.tcpstack.examples.http", "off"),
        LogOption.parse("info,tcp=debug,packets=trace,io.tcpstack.examples.http=off"));
  }

  @Test
  void mistakesAreUsageErrors() {
    assertEquals("--log level 'loud' is not one of trace, debug, info, warn, error, off",
        assertThrows(UsageException.class, () -> LogOption.parse("loud")).getMessage());
    assertEquals("--log level 'verbose' is not one of trace, debug, info, warn, error, off",
        assertThrows(UsageException.class, () -> LogOption.parse("tcp=verbose")).getMessage());
    assertEquals("--log logger 'a b' is not a logger name: use a package or class name, or one of "
            + "drops, ip, netty, packets, runtime, tcp, tun, udp",
        assertThrows(UsageException.class, () -> LogOption.parse("a b=debug")).getMessage());
    assertThrows(UsageException.class, () -> LogOption.parse(""));
    assertThrows(UsageException.class, () -> LogOption.parse("debug,"));
  }

  @Test
  void serveRefusesABadLogOption() {
    assertEquals("--log level 'loud' is not one of trace, debug, info, warn, error, off",
        assertThrows(UsageException.class, () -> ServeOptions.parse(java.util.List.of("--log", "loud"))).getMessage());
    assertEquals("--log needs a value",
        assertThrows(UsageException.class, () -> ServeOptions.parse(java.util.List.of("--log"))).getMessage());
  }
}
