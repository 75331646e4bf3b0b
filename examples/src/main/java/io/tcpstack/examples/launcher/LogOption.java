package io.tcpstack.examples.launcher;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * {@code --log SPEC}: the log levels of the launcher's SLF4J binding (slf4j-simple). {@code SPEC} is
 * a comma-separated list of {@code LEVEL} (every logger) and {@code LOGGER=LEVEL} items, e.g.
 * {@code --log debug} or {@code --log info,tcp=debug,segments=trace}. Levels: trace, debug, info,
 * warn, error, off. A logger is a name (a package or class, {@code io.tcpstack.tcp}) or one of the
 * short names in {@link #SHORT_NAMES}.
 *
 * <p>slf4j-simple fixes a logger's level when the logger is created, so the launcher applies the
 * option ({@link #applyEarly}) before anything logs; {@link ServeOptions} parses it again to report
 * a mistake as a usage error.
 */
public final class LogOption {

  private static final Set<String> LEVELS = Set.of("trace", "debug", "info", "warn", "error", "off");

  /** Short names for the stack's loggers. */
  public static final Map<String, String> SHORT_NAMES = Map.of(
      "ip", "io.tcpstack.ip",
      "tcp", "io.tcpstack.tcp",
      "udp", "io.tcpstack.udp",
      "packets", "io.tcpstack.packets",
      "drops", "io.tcpstack.drops",
      "runtime", "io.tcpstack.runtime",
      "tun", "io.tcpstack.tun",
      "netty", "io.tcpstack.netty");

  private static final String DEFAULT_LEVEL = "org.slf4j.simpleLogger.defaultLogLevel";
  private static final String LOGGER_LEVEL = "org.slf4j.simpleLogger.log.";

  private LogOption() {}

  /**
   * The system properties that {@code spec} stands for.
   *
   * @throws UsageException if an item is not {@code LEVEL} or {@code LOGGER=LEVEL}
   */
  public static Map<String, String> parse(String spec) throws UsageException {
    Map<String, String> properties = new LinkedHashMap<>();
    if (spec.isBlank()) {
      throw new UsageException("--log needs LEVEL or LOGGER=LEVEL items, e.g. --log debug or --log tcp=debug");
    }
    for (String item : spec.split(",", -1)) {
      String trimmed = item.trim();
      int eq = trimmed.indexOf('=');
      String level = (eq < 0 ? trimmed : trimmed.substring(eq + 1)).toLowerCase(Locale.ROOT);
      if (!LEVELS.contains(level)) {
        throw new UsageException("--log level '" + level + "' is not one of trace, debug, info, warn, error, off");
      }
      if (eq < 0) {
        properties.put(DEFAULT_LEVEL, level);
        continue;
      }
      String logger = trimmed.substring(0, eq);
      if (!logger.matches("[A-Za-z0-9_.$]+")) {
        throw new UsageException("--log logger '" + logger + "' is not a logger name: use a package or class name, or one of "
            + String.join(", ", new java.util.TreeSet<>(SHORT_NAMES.keySet())));
      }
      properties.put(LOGGER_LEVEL + SHORT_NAMES.getOrDefault(logger, logger), level);
    }
    return properties;
  }

  /**
   * Sets the levels {@code --log} asks for in {@code args}, if it is there and valid, before any
   * logger exists. A mistake is left for {@link ServeOptions} to report.
   */
  public static void applyEarly(List<String> args) {
    for (int i = 0; i < args.size(); i++) {
      String arg = args.get(i);
      String spec = null;
      if (arg.startsWith("--log=")) {
        spec = arg.substring("--log=".length());
      } else if (arg.equals("--log") && i + 1 < args.size()) {
        spec = args.get(i + 1);
      }
      if (spec != null) {
        try {
          parse(spec).forEach(System::setProperty);
        } catch (UsageException e) {
          return;
        }
      }
    }
  }
}
