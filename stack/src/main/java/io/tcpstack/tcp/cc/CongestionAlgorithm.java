package io.tcpstack.tcp.cc;

import java.util.Arrays;
import java.util.function.Supplier;
import java.util.stream.Collectors;

/**
 * The congestion-control algorithms the stack offers, by name: what {@code StackConfig},
 * {@code TcpConfig}, the sockets and {@code ./tcpstack serve --congestion} choose from. Each
 * {@link #get()} is a new instance for one connection.
 */
public enum CongestionAlgorithm implements Supplier<CongestionControl> {

  /** CUBIC (RFC 9438) with fast convergence and HyStart++ (RFC 9406): the default, as in Linux. */
  CUBIC("cubic") {
    @Override
    public CongestionControl get() {
      return new Cubic();
    }
  },
  /** NewReno (RFC 5681, RFC 6582) with RFC 5681 slow start. */
  NEWRENO("newreno") {
    @Override
    public CongestionControl get() {
      return new NewReno();
    }
  };

  /** The algorithm connections get unless configured otherwise. */
  public static final CongestionAlgorithm DEFAULT = CUBIC;

  private final String id;

  CongestionAlgorithm(String id) {
    this.id = id;
  }

  /** The name, as {@link CongestionControl#name()} and the command line spell it: {@code cubic}, {@code newreno}. */
  public String id() {
    return id;
  }

  /**
   * The algorithm called {@code name} (case-insensitive).
   *
   * @throws IllegalArgumentException for any other name; the message lists the known ones
   */
  public static CongestionAlgorithm byName(String name) {
    for (CongestionAlgorithm a : values()) {
      if (a.id.equalsIgnoreCase(name)) {
        return a;
      }
    }
    throw new IllegalArgumentException("unknown congestion control '" + name + "': use " + names());
  }

  /** The known names, e.g. {@code "cubic or newreno"}. */
  public static String names() {
    String[] ids = Arrays.stream(values()).map(CongestionAlgorithm::id).toArray(String[]::new);
    return ids.length == 1 ? ids[0] : Arrays.stream(ids, 0, ids.length - 1).collect(Collectors.joining(", "))
        + " or " + ids[ids.length - 1];
  }

  @Override
  public String toString() {
    return id;
  }
}
