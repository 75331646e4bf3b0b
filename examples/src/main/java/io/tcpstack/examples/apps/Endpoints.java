package io.tcpstack.examples.apps;

import io.tcpstack.examples.cli.UsageException;
import io.tcpstack.wire.Ipv4Address;
import java.net.Inet4Address;

/** {@code HOST:PORT} arguments. */
final class Endpoints {

  private Endpoints() {}

  record Endpoint(Inet4Address address, int port) {
    @Override
    public String toString() {
      return address.getHostAddress() + ":" + port;
    }
  }

  static Endpoint parse(String text) throws UsageException {
    int colon = text.lastIndexOf(':');
    if (colon <= 0) {
      throw new UsageException("'" + text + "' is not HOST:PORT (e.g. 198.18.0.1:5000)");
    }
    int address;
    try {
      address = Ipv4Address.parse(text.substring(0, colon));
    } catch (IllegalArgumentException e) {
      throw new UsageException("'" + text.substring(0, colon) + "' is not an IPv4 address (like 198.18.0.1)");
    }
    int port;
    try {
      port = Integer.parseInt(text.substring(colon + 1));
    } catch (NumberFormatException e) {
      port = -1;
    }
    if (port < 1 || port > 65535) {
      throw new UsageException("'" + text.substring(colon + 1) + "' is not a port number from 1 to 65535");
    }
    return new Endpoint(Ipv4Address.toInet(address), port);
  }
}
