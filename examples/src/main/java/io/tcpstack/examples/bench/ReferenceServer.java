package io.tcpstack.examples.bench;

import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedSelectorException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import sun.misc.Signal;

/**
 * The services of {@code ./tcpstack serve} on the JDK's own sockets, so the Linux kernel's TCP
 * does the work: the reference that {@code bench/scale} compares the stack with. Echo (TCP 7,
 * RFC 862), discard (9, RFC 863), chargen (19, RFC 864) and a minimal HTTP/1.1 server (80):
 * {@code GET /bytes/N} sends N bytes of {@code 'a' + i % 26}, {@code GET /} a small page;
 * persistent connections per RFC 9112 §9.3 ({@code Connection: close} honoured; HTTP/1.0 only
 * with {@code Connection: keep-alive}).
 *
 * <p>The same shape as the stack's loop, for a fair comparison: ONE thread, a {@link Selector},
 * non-blocking channels. A connection holds no buffer while idle: reads go into one shared
 * buffer, and only what the peer is not ready to take yet is copied into a buffer of its own.
 *
 * <pre>
 * java -cp examples/target/tcpstack-examples.jar io.tcpstack.examples.bench.ReferenceServer \
 *     [--bind IPV4] [--backlog N] [--port-offset K]
 * </pre>
 *
 * Prints {@code ready: ...} on stdout once listening; SIGTERM or SIGINT stop it (exit 0). Exit 2
 * on a usage mistake, 1 if a port cannot be bound.
 */
public final class ReferenceServer {

  static final int ECHO = 7;
  static final int DISCARD = 9;
  static final int CHARGEN = 19;
  static final int HTTP = 80;

  /** Longest request head; past it, 431 and close. */
  static final int MAX_HEAD = 8192;
  /** Largest request content thrown away; past it, 413 and close. */
  static final int MAX_CONTENT = 64 * 1024;
  /** Largest N of /bytes/N, as the stack's server: 1 GiB. */
  static final long MAX_BYTES = 1L << 30;
  /** After a last response: how long the half-closed connection waits for the client's FIN. */
  static final long LINGER_NS = 2_000_000_000L;

  /** 2048 rounds of a..z, so every chunk begins with 'a' when written from offset sent % 26. */
  static final byte[] ALPHABET = alphabet(2048);
  /** The chargen lines (RFC 864), one full rotation, repeated to fill a large write. */
  static final byte[] CHARGEN_PATTERN = chargenPattern();
  static final int CHARGEN_PERIOD = 95 * 74;

  private static final DateTimeFormatter IMF_FIXDATE =
      DateTimeFormatter.ofPattern("EEE, dd MMM yyyy HH:mm:ss 'GMT'", Locale.US).withZone(ZoneOffset.UTC);

  private final Selector selector;
  private final ByteBuffer shared = ByteBuffer.allocateDirect(64 * 1024);
  private final List<ServerSocketChannel> listeners = new ArrayList<>();
  private final Set<Http> lingering = new HashSet<>();
  private volatile String stopSignal;
  private long accepted;
  private long open;
  private long dateSecond = -1;
  private String date = "";

  private ReferenceServer() throws IOException {
    selector = Selector.open();
  }

  public static void main(String[] args) {
    System.exit(run(args, System.out, System.err));
  }

  static int run(String[] args, PrintStream out, PrintStream err) {
    String bind = "0.0.0.0";
    int backlog = 4096;
    int offset = 0;
    try {
      for (int i = 0; i < args.length; i++) {
        String a = args[i];
        if (a.equals("--help") || a.equals("-h")) {
          out.println("usage: ReferenceServer [--bind IPV4] [--backlog N] [--port-offset K]\n"
              + "echo (TCP 7+K), discard (9+K), chargen (19+K), http (80+K) on the JDK's sockets, one thread.");
          return 0;
        }
        if (i + 1 >= args.length) {
          throw new IllegalArgumentException(a + " needs a value");
        }
        String v = args[++i];
        switch (a) {
          case "--bind" -> bind = v;
          case "--backlog" -> backlog = Integer.parseInt(v);
          case "--port-offset" -> offset = Integer.parseInt(v);
          default -> throw new IllegalArgumentException("unknown option " + a);
        }
      }
      if (backlog < 1 || offset < 0 || offset + HTTP > 65535) {
        throw new IllegalArgumentException("--backlog must be at least 1 and --port-offset 0.." + (65535 - HTTP));
      }
    } catch (IllegalArgumentException e) {
      err.println("reference-server: error: " + e.getMessage() + " (see --help)");
      return 2;
    }
    InetAddress address = ipv4(bind); // a literal only: no name lookup, no traffic to a resolver
    if (address == null) {
      err.println("reference-server: error: --bind " + bind + ": not an IPv4 address (see --help)");
      return 2;
    }
    ReferenceServer server;
    try {
      server = new ReferenceServer();
      for (int port : new int[] {ECHO, DISCARD, CHARGEN, HTTP}) {
        server.listen(new InetSocketAddress(address, port + offset), backlog, port);
      }
    } catch (IOException e) {
      err.println("reference-server: error: cannot listen on " + bind + ": " + e);
      return 1;
    }
    server.onSignals();
    out.println("ready: reference server (JDK NIO, one thread) on " + address.getHostAddress() + ", backlog "
        + backlog + "; echo on TCP port " + (ECHO + offset) + ", discard " + (DISCARD + offset) + ", chargen "
        + (CHARGEN + offset) + ", http " + (HTTP + offset));
    out.flush();
    try {
      server.serve();
    } catch (IOException e) {
      err.println("reference-server: error: " + e);
      return 1;
    } finally {
      server.closeAll();
    }
    err.println("reference-server: " + server.stopSignal + " received, stopping (" + server.accepted
        + " connections accepted)");
    return 0;
  }

  private void onSignals() {
    for (String name : new String[] {"TERM", "INT"}) {
      try {
        Signal.handle(new Signal(name), sig -> {
          stopSignal = "SIG" + sig.getName();
          selector.wakeup();
        });
      } catch (IllegalArgumentException e) {
        // SIGINT ignored (started in the background by a non-interactive shell): SIGTERM remains
      }
    }
  }

  private void listen(InetSocketAddress where, int backlog, int service) throws IOException {
    ServerSocketChannel ch = ServerSocketChannel.open();
    ch.setOption(StandardSocketOptions.SO_REUSEADDR, true);
    ch.bind(where, backlog);
    ch.configureBlocking(false);
    ch.register(selector, SelectionKey.OP_ACCEPT, service);
    listeners.add(ch);
  }

  private void serve() throws IOException {
    while (stopSignal == null) {
      selector.select(1000);
      for (SelectionKey key : selector.selectedKeys()) {
        if (!key.isValid()) {
          continue;
        }
        Object a = key.attachment();
        if (a instanceof Integer service) {
          accept((ServerSocketChannel) key.channel(), service);
          continue;
        }
        Conn c = (Conn) a;
        try {
          if (key.isValid() && key.isReadable()) {
            c.readable();
          }
          if (key.isValid() && key.isWritable()) {
            c.writable();
          }
        } catch (IOException e) {
          c.close(); // reset, or broken: the connection is over
        }
      }
      selector.selectedKeys().clear();
      if (!lingering.isEmpty()) {
        long now = System.nanoTime();
        for (Http h : new ArrayList<>(lingering)) {
          if (now - h.lingerSince > LINGER_NS) {
            h.close();
          }
        }
      }
    }
  }

  private void accept(ServerSocketChannel server, int service) {
    for (int i = 0; i < 256; i++) {
      SocketChannel ch;
      try {
        ch = server.accept();
      } catch (IOException e) {
        return; // EMFILE and the like: the connection waits in the queue until a later round
      }
      if (ch == null) {
        return;
      }
      try {
        ch.configureBlocking(false);
        Conn c = switch (service) {
          case ECHO -> new Echo(ch);
          case DISCARD -> new Discard(ch);
          case CHARGEN -> new Chargen(ch);
          default -> new Http(ch);
        };
        c.key = ch.register(selector, c.initialOps(), c);
        accepted++;
        open++;
      } catch (IOException e) {
        try {
          ch.close();
        } catch (IOException ignored) {
          // nothing more to do
        }
      }
    }
  }

  private void closeAll() {
    for (ServerSocketChannel l : listeners) {
      try {
        l.close();
      } catch (IOException ignored) {
        // closing anyway
      }
    }
    try {
      for (SelectionKey key : selector.keys()) {
        if (key.attachment() instanceof Conn c) {
          c.close();
        }
      }
      selector.close();
    } catch (IOException | ClosedSelectorException ignored) {
      // closing anyway
    }
  }

  private String date() {
    long second = System.currentTimeMillis() / 1000;
    if (second != dateSecond) {
      dateSecond = second;
      date = IMF_FIXDATE.format(Instant.ofEpochSecond(second));
    }
    return date;
  }

  /** Reads into the shared buffer (cleared first); -1 at EOF. */
  private int readShared(SocketChannel ch) throws IOException {
    shared.clear();
    return ch.read(shared);
  }

  // ------------------------------------------------------------------ connections

  private abstract class Conn {
    final SocketChannel ch;
    SelectionKey key;
    private boolean closed;

    Conn(SocketChannel ch) {
      this.ch = ch;
    }

    abstract int initialOps();

    abstract void readable() throws IOException;

    void writable() throws IOException {}

    void close() {
      if (closed) {
        return;
      }
      closed = true;
      open--;
      if (key != null) {
        key.cancel();
      }
      try {
        ch.close();
      } catch (IOException ignored) {
        // closed either way
      }
    }
  }

  /** RFC 862: what arrives goes back; the server closes once the client has closed. */
  private final class Echo extends Conn {
    private ByteBuffer pending; // what the peer did not take yet; null when all was written
    private boolean eof;

    Echo(SocketChannel ch) {
      super(ch);
    }

    @Override
    int initialOps() {
      return SelectionKey.OP_READ;
    }

    @Override
    void readable() throws IOException {
      int n = readShared(ch);
      if (n < 0) {
        eof = true;
        close();
        return;
      }
      shared.flip();
      ch.write(shared);
      if (shared.hasRemaining()) {
        pending = ByteBuffer.allocate(shared.remaining()).put(shared).flip();
        key.interestOps(SelectionKey.OP_WRITE); // stop reading until the peer takes it
      }
    }

    @Override
    void writable() throws IOException {
      ch.write(pending);
      if (!pending.hasRemaining()) {
        pending = null;
        if (eof) {
          close();
        } else {
          key.interestOps(SelectionKey.OP_READ);
        }
      }
    }
  }

  /** RFC 863: what arrives is thrown away. */
  private final class Discard extends Conn {
    Discard(SocketChannel ch) {
      super(ch);
    }

    @Override
    int initialOps() {
      return SelectionKey.OP_READ;
    }

    @Override
    void readable() throws IOException {
      if (readShared(ch) < 0) {
        close();
      }
    }
  }

  /** RFC 864: lines of 72 rotating printable characters as fast as the peer takes them. */
  private final class Chargen extends Conn {
    private int offset;

    Chargen(SocketChannel ch) {
      super(ch);
    }

    @Override
    int initialOps() {
      return SelectionKey.OP_READ | SelectionKey.OP_WRITE;
    }

    @Override
    void readable() throws IOException {
      if (readShared(ch) < 0) {
        close(); // the client closed: stop generating
      }
    }

    @Override
    void writable() throws IOException {
      int n = ch.write(ByteBuffer.wrap(CHARGEN_PATTERN, offset, CHARGEN_PATTERN.length - CHARGEN_PERIOD));
      offset = (offset + n) % CHARGEN_PERIOD;
    }
  }

  /** A minimal HTTP/1.1 server: GET and HEAD of / and /bytes/N, requests answered in order. */
  private final class Http extends Conn {
    private byte[] in; // the unparsed request bytes; null while none
    private int inLength;
    private long discard; // request content still to throw away
    private ByteBuffer head; // the response head being written, or null
    private long bodyLeft; // /bytes content still to write
    private long bodySent;
    private byte[] body; // a fixed body (page, error text) to write after the head, or null
    private boolean closeAfter;
    private boolean lingeringNow;
    long lingerSince;

    Http(SocketChannel ch) throws IOException {
      super(ch);
      ch.setOption(StandardSocketOptions.TCP_NODELAY, true); // as the stack's server: whole responses
    }

    @Override
    int initialOps() {
      return SelectionKey.OP_READ;
    }

    @Override
    void readable() throws IOException {
      int n = readShared(ch);
      if (n < 0) {
        close(); // the client closed (also the end of a linger)
        return;
      }
      if (lingeringNow) {
        return; // thrown away
      }
      shared.flip();
      if (discard > 0) {
        int skip = (int) Math.min(discard, shared.remaining());
        shared.position(shared.position() + skip);
        discard -= skip;
      }
      int more = shared.remaining();
      if (more == 0) {
        return;
      }
      if (in == null) {
        in = new byte[Math.max(1024, more)];
      } else if (inLength + more > in.length) {
        in = java.util.Arrays.copyOf(in, Math.max(inLength + more, in.length * 2));
      }
      shared.get(in, inLength, more);
      inLength += more;
      next();
    }

    @Override
    void writable() throws IOException {
      if (!flush()) {
        return;
      }
      if (closeAfter) {
        linger();
        return;
      }
      key.interestOps(SelectionKey.OP_READ);
      next();
    }

    /** Answers the next buffered request, if a whole one is there and no response is pending. */
    private void next() throws IOException {
      while (head == null && !lingeringNow && in != null) {
        int end = headEnd();
        if (end < 0) {
          if (inLength > MAX_HEAD) {
            respond(431, "text/plain; charset=utf-8", text(431, "the request head is too large"), false, true);
          }
          return;
        }
        String request = new String(in, 0, end, StandardCharsets.ISO_8859_1);
        int consumed = end + (in[end] == '\r' ? 4 : 2);
        inLength -= consumed;
        if (inLength == 0) {
          in = null;
        } else {
          System.arraycopy(in, consumed, in, 0, inLength);
        }
        answer(request);
        if (discard > 0 && in != null) {
          int skip = (int) Math.min(discard, inLength);
          discard -= skip;
          inLength -= skip;
          if (inLength == 0) {
            in = null;
          } else {
            System.arraycopy(in, skip, in, 0, inLength);
          }
        }
        if (!flush()) {
          key.interestOps(SelectionKey.OP_WRITE);
          return;
        }
        if (closeAfter) {
          linger();
          return;
        }
      }
    }

    /** Where the blank line that ends the head begins (CR LF CR LF, or LF LF), or -1. */
    private int headEnd() {
      for (int i = 0; i + 1 < inLength; i++) {
        if (in[i] == '\n' && in[i + 1] == '\n') {
          return i; // bare LF line ends (RFC 9112 §2.2 allows recognising them)
        }
        if (i + 3 < inLength && in[i] == '\r' && in[i + 1] == '\n' && in[i + 2] == '\r' && in[i + 3] == '\n') {
          return i;
        }
      }
      return -1;
    }

    private void answer(String request) {
      String[] lines = request.split("\r?\n");
      String[] first = lines[0].split(" ");
      if (first.length != 3 || !first[2].startsWith("HTTP/1.")) {
        boolean versionOk = first.length == 3 && first[2].startsWith("HTTP/");
        int status = versionOk ? 505 : 400;
        respond(status, "text/plain; charset=utf-8", text(status, "a request line is METHOD TARGET HTTP/1.1"),
            false, true);
        return;
      }
      String method = first[0];
      String path = first[1];
      int minor = first[2].equals("HTTP/1.0") ? 0 : 1;
      boolean sawClose = false;
      boolean sawKeepAlive = false;
      long contentLength = 0;
      for (int i = 1; i < lines.length; i++) {
        int colon = lines[i].indexOf(':');
        if (colon <= 0) {
          respond(400, "text/plain; charset=utf-8", text(400, "a header field is NAME: VALUE"), false, true);
          return;
        }
        String name = lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT);
        String value = lines[i].substring(colon + 1).trim().toLowerCase(Locale.ROOT);
        if (name.equals("connection")) {
          for (String token : value.split(",")) {
            sawClose |= token.trim().equals("close");
            sawKeepAlive |= token.trim().equals("keep-alive");
          }
        } else if (name.equals("content-length")) {
          try {
            contentLength = Long.parseLong(value);
          } catch (NumberFormatException e) {
            contentLength = -1;
          }
          if (contentLength < 0) {
            respond(400, "text/plain; charset=utf-8", text(400, "bad Content-Length"), false, true);
            return;
          }
        } else if (name.equals("transfer-encoding")) {
          respond(501, "text/plain; charset=utf-8", text(501, "no transfer codings here"), false, true);
          return;
        }
      }
      if (contentLength > MAX_CONTENT) {
        respond(413, "text/plain; charset=utf-8", text(413, "content over 64 KiB"), false, true);
        return;
      }
      discard = contentLength;
      boolean keepAlive = minor == 1 ? !sawClose : sawKeepAlive && !sawClose;
      boolean head = method.equals("HEAD");
      int query = path.indexOf('?');
      if (query >= 0) {
        path = path.substring(0, query);
      }
      if (!method.equals("GET") && !head) {
        int status = List.of("POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH").contains(method)
            ? 405 : 501;
        respond(status, "text/plain; charset=utf-8", text(status, "use GET or HEAD"), keepAlive, minor == 0);
        return;
      }
      if (path.equals("/")) {
        respond(200, "text/html; charset=utf-8", head ? null : page(), keepAlive, minor == 0, head ? page().length : -1);
        return;
      }
      if (path.startsWith("/bytes/") && path.indexOf('/', 7) < 0) {
        long n = parseLength(path.substring(7));
        if (n < 0) {
          respond(400, "text/plain; charset=utf-8", text(400, "N in /bytes/N must be 0.." + MAX_BYTES), keepAlive,
              minor == 0);
          return;
        }
        startHead(200, "application/octet-stream", n, keepAlive, minor == 0);
        bodyLeft = head ? 0 : n;
        bodySent = 0;
        return;
      }
      respond(404, "text/plain; charset=utf-8", text(404, "no resource at " + path + "; try / or /bytes/N"),
          keepAlive, minor == 0);
    }

    private void respond(int status, String type, byte[] content, boolean keepAlive, boolean sayKeepAlive) {
      respond(status, type, content, keepAlive, sayKeepAlive, -1);
    }

    private void respond(int status, String type, byte[] content, boolean keepAlive, boolean sayKeepAlive,
        long headLength) {
      startHead(status, type, headLength >= 0 ? headLength : content.length, keepAlive, sayKeepAlive);
      body = content;
      if (!keepAlive) {
        in = null; // after a bad request, the stream is not at a request boundary
        inLength = 0;
      }
    }

    private void startHead(int status, String type, long length, boolean keepAlive, boolean sayKeepAlive) {
      StringBuilder h = new StringBuilder(160)
          .append("HTTP/1.1 ").append(status).append(' ').append(reason(status)).append("\r\n")
          .append("Date: ").append(date()).append("\r\n")
          .append("Server: tcpstack-reference\r\n")
          .append("Content-Type: ").append(type).append("\r\n")
          .append("Content-Length: ").append(length).append("\r\n");
      if (status == 405) {
        h.append("Allow: GET, HEAD\r\n");
      }
      if (!keepAlive) {
        h.append("Connection: close\r\n");
      } else if (sayKeepAlive) {
        h.append("Connection: keep-alive\r\n");
      }
      h.append("\r\n");
      head = ByteBuffer.wrap(h.toString().getBytes(StandardCharsets.ISO_8859_1));
      body = null;
      bodyLeft = 0;
      closeAfter = !keepAlive;
    }

    /** Writes what it can of the response; true when all of it is written. */
    private boolean flush() throws IOException {
      if (head == null) {
        return true;
      }
      if (head.hasRemaining()) {
        ch.write(head);
        if (head.hasRemaining()) {
          return false;
        }
        if (body != null) {
          head = ByteBuffer.wrap(body); // the fixed body goes out the same way
          body = null;
          ch.write(head);
          if (head.hasRemaining()) {
            return false;
          }
        }
      }
      while (bodyLeft > 0) {
        int off = (int) (bodySent % 26);
        int len = (int) Math.min(bodyLeft, ALPHABET.length - off);
        int n = ch.write(ByteBuffer.wrap(ALPHABET, off, len));
        bodySent += n;
        bodyLeft -= n;
        if (n < len) {
          return false;
        }
      }
      head = null;
      return true;
    }

    /** After the last response: half-close, then wait a moment for the client's FIN (RFC 9112 §9.6). */
    private void linger() throws IOException {
      head = null;
      in = null;
      lingeringNow = true;
      lingerSince = System.nanoTime();
      ch.shutdownOutput();
      key.interestOps(SelectionKey.OP_READ);
      lingering.add(this);
    }

    @Override
    void close() {
      lingering.remove(this);
      super.close();
    }

    private byte[] page() {
      return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
          + "<title>tcpstack reference server</title>\n</head>\n<body>\n<h1>tcpstack reference server</h1>\n"
          + "<p>This page came over a TCP connection run by Linux, served by the JDK's NIO on one thread.\n"
          + "Try <a href=\"/bytes/1048576\">/bytes/1048576</a> for a megabyte of data.</p>\n"
          + "<table>\n<tr><td>accepted</td><td>" + accepted + "</td></tr>\n<tr><td>open</td><td>" + open
          + "</td></tr>\n</table>\n</body>\n</html>\n").getBytes(StandardCharsets.UTF_8);
    }
  }

  /** {@code s} as a dotted-quad IPv4 address, or null. */
  static InetAddress ipv4(String s) {
    String[] parts = s.split("\\.", -1);
    if (parts.length != 4) {
      return null;
    }
    byte[] b = new byte[4];
    for (int i = 0; i < 4; i++) {
      if (!parts[i].matches("[0-9]{1,3}") || Integer.parseInt(parts[i]) > 255) {
        return null;
      }
      b[i] = (byte) Integer.parseInt(parts[i]);
    }
    try {
      return InetAddress.getByAddress(b);
    } catch (UnknownHostException e) {
      return null; // not for four bytes
    }
  }

  static long parseLength(String s) {
    if (s.isEmpty() || s.length() > 12 || !s.chars().allMatch(c -> c >= '0' && c <= '9')) {
      return -1;
    }
    long n = Long.parseLong(s);
    return n <= MAX_BYTES ? n : -1;
  }

  static byte[] text(int status, String message) {
    return (status + " " + reason(status) + ": " + message + "\n").getBytes(StandardCharsets.UTF_8);
  }

  static String reason(int status) {
    return switch (status) {
      case 200 -> "OK";
      case 400 -> "Bad Request";
      case 404 -> "Not Found";
      case 405 -> "Method Not Allowed";
      case 413 -> "Content Too Large";
      case 431 -> "Request Header Fields Too Large";
      case 501 -> "Not Implemented";
      case 505 -> "HTTP Version Not Supported";
      default -> "Unknown";
    };
  }

  private static byte[] alphabet(int rounds) {
    byte[] chunk = new byte[26 * rounds];
    for (int i = 0; i < chunk.length; i++) {
      chunk[i] = (byte) ('a' + i % 26);
    }
    return chunk;
  }

  private static byte[] chargenPattern() {
    int period = 95 * 74;
    int copies = (64 * 1024) / period + 2;
    byte[] p = new byte[period * copies];
    int i = 0;
    for (int copy = 0; copy < copies; copy++) {
      for (int line = 0; line < 95; line++) {
        for (int c = 0; c < 72; c++) {
          p[i++] = (byte) (' ' + (line + c) % 95);
        }
        p[i++] = '\r';
        p[i++] = '\n';
      }
    }
    return p;
  }
}
