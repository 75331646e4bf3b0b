package io.tcpstack.examples.launcher;

import io.tcpstack.examples.ChatClient;
import io.tcpstack.examples.ChatServer;
import io.tcpstack.examples.Client;
import io.tcpstack.examples.EchoServer;
import io.tcpstack.examples.EventEchoServer;
import io.tcpstack.examples.FramingClient;
import io.tcpstack.examples.FramingServer;
import io.tcpstack.examples.HelloServer;
import io.tcpstack.examples.NettyEchoServer;
import io.tcpstack.examples.NettyHttpServer;
import io.tcpstack.examples.Services;
import io.tcpstack.examples.ThanksServer;
import io.tcpstack.examples.UdpEchoServer;
import io.tcpstack.examples.UpperServer;
import io.tcpstack.examples.WebServer;
import io.tcpstack.wire.IpAddress;
import java.util.List;

/**
 * The programs {@code ./tcpstack run NAME} knows: each the {@code main} of a class in {@code
 * io.tcpstack.examples}, with what the launcher checks of its arguments before the stack comes up
 * (so a mistake is one line and exit status 2, and nothing is created).
 */
final class Examples {

  /** A program's {@code main}. */
  @FunctionalInterface
  interface Program {
    void main(String[] args) throws Exception;
  }

  /** Checks a program's arguments. */
  @FunctionalInterface
  interface Check {
    void check(String name, List<String> args) throws UsageException;
  }

  /** One program: its name on the command line, its arguments and one line for {@code --help}. */
  record Example(String name, String arguments, String summary, Program main, Check check) {}

  static final List<Example> ALL = List.of(
      new Example("echo", "[PORT]", "echo server (RFC 862), port 7: every byte comes back; a thread per client",
          EchoServer::main, Examples::port),
      new Example("event-echo", "[PORT]", "the same echo server, non-blocking on the event API: no thread per client",
          EventEchoServer::main, Examples::port),
      new Example("udp-echo", "[PORT]", "UDP echo server, port 7: every datagram goes back to its sender",
          UdpEchoServer::main, Examples::port),
      new Example("upper", "[PORT]", "port 8001: answers each message in upper case, many clients at once",
          UpperServer::main, Examples::port),
      new Example("hello", "[PORT]", "port 8002: one client after another, 'hello' to each message until it closes",
          HelloServer::main, Examples::port),
      new Example("thanks", "[PORT]", "port 8003: receives one message, prints it, replies 'thank you !', closes",
          ThanksServer::main, Examples::port),
      new Example("chat-server", "[PORT]", "port 8004: waits for one peer and chats (its lines printed, yours sent)",
          ChatServer::main, Examples::port),
      new Example("chat-client", "HOST:PORT", "connects to a peer and chats over stdin/stdout",
          ChatClient::main, (name, args) -> endpoint(name, args, 0, 0)),
      new Example("client", "HOST:PORT [LINE]", "connects out, sends a line, prints the reply",
          Client::main, (name, args) -> endpoint(name, args, 0, 1)),
      new Example("framing", "[PORT]", "port 9000: length-prefixed messages, each answered '<bytes> <sha256>'",
          FramingServer::main, Examples::port),
      new Example("framing-client", "HOST:PORT MESSAGE...", "sends each MESSAGE length-prefixed, prints the replies",
          FramingClient::main, (name, args) -> endpoint(name, args, 1, Integer.MAX_VALUE)),
      new Example("http", "[PORT]", "HTTP/1.1 for curl, port 80: GET / (live counters), GET /bytes/N, keep-alive",
          WebServer::main, Examples::port),
      new Example("services", "", "echo (TCP 7), discard (9), chargen (19), http (80), UDP echo (7); what serve runs",
          Services::main, Examples::none),
      new Example("netty-echo", "[PORT]", "Netty's echo server handler over the stack (the Netty transport), port 7",
          NettyEchoServer::main, Examples::port),
      new Example("netty-http", "[PORT]", "Netty's HttpServerCodec over the stack, port 80: GET /, keep-alive, 404",
          NettyHttpServer::main, Examples::port));

  private Examples() {}

  /** The example called {@code name}, or null. */
  static Example named(String name) {
    return ALL.stream().filter(e -> e.name().equals(name)).findFirst().orElse(null);
  }

  /** The {@code --help} lines for the examples. */
  static String usage() {
    StringBuilder b = new StringBuilder();
    for (Example e : ALL) {
      String call = e.name() + " " + e.arguments();
      b.append(call.length() <= 30 ? String.format("    %-30s %s%n", call, e.summary())
          : String.format("    %s%n    %-30s %s%n", call, "", e.summary()));
    }
    return b.toString();
  }

  /** {@code [PORT]}. */
  private static void port(String name, List<String> args) throws UsageException {
    noOptions(args);
    if (args.size() > 1) {
      throw new UsageException(name + " takes one argument, the port; unexpected '" + args.get(1) + "'");
    }
    if (!args.isEmpty()) {
      port(args.get(0));
    }
  }

  private static void none(String name, List<String> args) throws UsageException {
    noOptions(args);
    if (!args.isEmpty()) {
      throw new UsageException(name + " takes no arguments; unexpected '" + args.get(0) + "'");
    }
  }

  /** {@code HOST:PORT} and then between {@code min} and {@code max} more arguments. */
  private static void endpoint(String name, List<String> args, int min, int max) throws UsageException {
    noOptions(args);
    if (args.isEmpty()) {
      throw new UsageException(name + " needs HOST:PORT, e.g. run " + name + " 198.18.0.1:5000");
    }
    String text = args.get(0);
    int colon = text.lastIndexOf(':');
    if (colon <= 0) {
      throw new UsageException("'" + text + "' is not HOST:PORT (e.g. 198.18.0.1:5000 or [fd00:7463:7073::1]:5000)");
    }
    String host = text.substring(0, colon);
    boolean bracketed = host.startsWith("[") && host.endsWith("]");
    try {
      IpAddress address = IpAddress.parse(bracketed ? host.substring(1, host.length() - 1) : host);
      if (address.isIpv4() == bracketed) {
        throw new IllegalArgumentException();
      }
    } catch (IllegalArgumentException e) {
      throw new UsageException("'" + host + "' is not an IP address (like 198.18.0.1, or [fd00:7463:7073::1] for IPv6)");
    }
    port(text.substring(colon + 1));
    int extra = args.size() - 1;
    if (extra < min) {
      throw new UsageException(name + " needs " + (min == 1 ? "at least one message" : min + " more arguments")
          + " after HOST:PORT");
    }
    if (extra > max) {
      throw new UsageException(name + ": unexpected '" + args.get(1 + max) + "'"
          + (max == 1 ? " (quote a line with spaces)" : ""));
    }
  }

  private static void port(String text) throws UsageException {
    int port;
    try {
      port = Integer.parseInt(text);
    } catch (NumberFormatException e) {
      port = -1;
    }
    if (port < 1 || port > 65535) {
      throw new UsageException("'" + text + "' is not a port number from 1 to 65535");
    }
  }

  private static void noOptions(List<String> args) throws UsageException {
    for (String a : args) {
      if (a.startsWith("--")) {
        throw new UsageException("unknown option '" + a + "'");
      }
    }
  }
}
