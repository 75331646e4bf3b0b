package io.tcpstack.examples.apps;

import io.tcpstack.examples.framing.FramingServer;
import io.tcpstack.examples.framing.MessageFraming;

/**
 * {@code framing}: the tutorial's "sticky packet" problem solved. TCP carries a stream of bytes, not
 * messages: two sends can arrive as one read and one send as many. Each message therefore travels
 * behind a 4-byte length ({@link MessageFraming}), and the server answers every message with
 * {@code "<bytes> <sha256>"}, which shows the boundaries came through intact.
 */
public final class FramingExample extends ServerExample {

  public FramingExample() {
    super("framing", FramingServer.PORT,
        "length-prefixed messages; answers each with '<bytes> <sha256>' (the sticky-packet fix)");
  }

  @Override
  int serve(ExampleContext context, int port) throws Exception {
    try (FramingServer server = FramingServer.start(context.runtime(), port, context.backlog())) {
      return context.serveUntilStopped("framing on TCP port " + port + " (4-byte big-endian length, then the message)");
    }
  }
}
