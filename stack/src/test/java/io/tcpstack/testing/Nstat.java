package io.tcpstack.testing;

import java.util.LinkedHashMap;
import java.util.Map;

/** Linux's SNMP counters in a namespace, through {@code nstat}. */
public final class Nstat {

  private Nstat() {}

  /**
   * The absolute values of the named counters in {@code ns} (e.g. {@code TcpRetransSegs}), in the
   * order given; nstat's history file is left alone.
   */
  public static Map<String, Long> read(TestNamespace ns, String... names) {
    String[] command = new String[names.length + 2];
    command[0] = "nstat";
    command[1] = "-asz";
    System.arraycopy(names, 0, command, 2, names.length);
    ProcessResult r = ns.exec(command).assertSuccess();
    Map<String, Long> counters = new LinkedHashMap<>();
    r.stdout().lines().filter(line -> !line.startsWith("#")).map(String::trim).filter(line -> !line.isEmpty())
        .forEach(line -> {
          String[] f = line.split("\\s+");
          counters.put(f[0], Long.parseLong(f[1]));
        });
    return counters;
  }
}
