package io.tcpstack.examples.apps;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Every example {@code ./tcpstack run} knows, by name, in the order {@code --help} lists them. */
public final class Examples {

  private static final Map<String, Example> BY_NAME = new LinkedHashMap<>();

  static {
    for (Example e : List.of(
        new EchoExample(),
        new UdpEchoExample(),
        new UpperExample(),
        new HelloExample(),
        new ThanksExample(),
        new ChatServerExample(),
        new ChatClientExample(),
        new ClientExample(),
        new FramingExample(),
        new FramingClientExample(),
        new HttpExample(),
        new ServicesExample(),
        new NettyEchoExample(),
        new NettyHttpExample())) {
      BY_NAME.put(e.name(), e);
    }
  }

  private Examples() {}

  /** The example called {@code name}, or null. */
  public static Example named(String name) {
    return BY_NAME.get(name);
  }

  public static List<Example> all() {
    return List.copyOf(BY_NAME.values());
  }

  /** The {@code --help} text for the examples. */
  public static String usage() {
    StringBuilder b = new StringBuilder();
    for (Example e : BY_NAME.values()) {
      b.append(String.format("    %-15s %s%n", e.name(), e.summary()));
      b.append(e.options());
    }
    return b.toString();
  }
}
