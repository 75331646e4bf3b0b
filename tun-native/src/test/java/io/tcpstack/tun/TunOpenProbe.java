package io.tcpstack.tun;

import java.net.InetAddress;
import java.net.Inet4Address;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Opens a TUN device in a child JVM and prints the outcome, for tests that need a process without
 * capabilities (started under {@code setpriv --bounding-set=-all --inh-caps=-all}).
 *
 * <p>Arguments: {@code NAME [ADDRESS/PREFIX [MTU]]}. Prints {@code CapEff <hex>}, then
 * {@code OPENED <name> <mtu>} or {@code FAILED <REASON> <message>}.
 */
public final class TunOpenProbe {

  public static void main(String[] args) throws Exception {
    for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
      if (line.startsWith("CapEff:")) {
        System.out.println("CapEff " + line.substring("CapEff:".length()).trim());
      }
    }
    TunDevice.Builder builder = TunDevice.builder().name(args[0]);
    if (args.length > 1) {
      String[] address = args[1].split("/");
      builder.hostAddress((Inet4Address) InetAddress.getByName(address[0]), Integer.parseInt(address[1]));
    }
    if (args.length > 2) {
      builder.mtu(Integer.parseInt(args[2]));
    }
    try (TunDevice device = builder.open()) {
      System.out.println("OPENED " + device.name() + " " + device.mtu());
    } catch (TunException e) {
      System.out.println("FAILED " + e.reason() + " " + e.getMessage());
    }
  }

  private TunOpenProbe() {}
}
