package io.tcpstack.examples;

import io.tcpstack.TcpStack;
import io.tcpstack.api.TcpSocket;
import io.tcpstack.examples.framing.MessageFraming;
import java.io.BufferedOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;

/**
 * The client of a framing server ({@link FramingServer}, or the tutorial's python one): sends each
 * MESSAGE as one length-prefixed message and prints each reply, waiting for a reply before sending
 * the next message.
 *
 * <pre>
 *   ./tcpstack run framing-client 198.18.0.1:9000 hello world "" --netns demo
 * </pre>
 */
public final class FramingClient {

  private FramingClient() {}

  public static void main(String[] args) throws IOException {
    int colon = args[0].lastIndexOf(':');
    InetSocketAddress to = new InetSocketAddress(InetAddress.getByName(args[0].substring(0, colon)),
        Integer.parseInt(args[0].substring(colon + 1)));
    try (TcpStack stack = TcpStack.builder().address("198.18.0.2/24").open();
        TcpSocket socket = stack.connect(to)) {
      InputStream in = socket.getInputStream();
      OutputStream out = new BufferedOutputStream(socket.getOutputStream()); // length and body in one write
      for (int i = 1; i < args.length; i++) {
        MessageFraming.writeMessage(out, args[i].getBytes(StandardCharsets.UTF_8));
        out.flush();
        byte[] reply = MessageFraming.readMessage(in);
        if (reply == null) {
          throw new EOFException("the server closed the connection after " + (i - 1) + " replies");
        }
        System.out.println(new String(reply, StandardCharsets.UTF_8));
      }
    }
  }
}
