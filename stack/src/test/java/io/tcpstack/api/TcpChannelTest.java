package io.tcpstack.api;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.tcpstack.StackConfig;
import io.tcpstack.runtime.StackRuntime;
import io.tcpstack.stats.StackCounter;
import io.tcpstack.tcp.TcpConfig;
import io.tcpstack.tcp.TcpError;
import io.tcpstack.tcp.TcpInfo;
import io.tcpstack.tcp.TcpState;
import io.tcpstack.tcp.cc.CongestionAlgorithm;
import io.tcpstack.tcp.cc.CongestionControl;
import io.tcpstack.testing.MemoryDevice;
import io.tcpstack.testing.Packets;
import io.tcpstack.testing.SeededStream;
import io.tcpstack.testing.VirtualClock;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The event API ({@link TcpChannel}, {@link TcpServerChannel}) between two stacks, without TUN: two
 * {@link StackRuntime}s opened over {@link MemoryDevice}s and driven by this thread with {@link
 * StackRuntime#doWork()} on one virtual clock, joined by a link with a fixed delay. Every handler
 * runs on this thread, inside {@code doWork}, as it would on a runtime's own loop.
 */
class TcpChannelTest {

  private static final int CLIENT = Packets.HOST;
  private static final int SERVER = Packets.STACK;
  private static final int PORT = 7;
  private static final long MS = 1_000_000L;
  private static final long SECOND = 1_000 * MS;
  private static final long LIMIT = 600 * SECOND;

  private Net net;

  @BeforeEach
  void open() throws IOException {
    net = new Net(MS);
  }

  @AfterEach
  void close() {
    net.close();
    assertEquals(0, net.allocator.metric().usedDirectMemory() + net.allocator.metric().usedHeapMemory(),
        "bytes still allocated after both runtimes closed");
  }

  // ------------------------------------------------------------------ the link and its driver

  /**
   * Two runtimes driven by the test thread, on one virtual clock, joined by a link with a fixed
   * one-way delay. Megabytes go through: the stacks' allocator skips Netty's paranoid leak tracking,
   * which would record a stack trace at every buffer access (see docs/architecture.md), and counts
   * live bytes exactly instead, checked after the close.
   */
  static final class Net implements AutoCloseable {
    final UnpooledByteBufAllocator allocator = new UnpooledByteBufAllocator(true, true);
    final VirtualClock clock = new VirtualClock();
    final MemoryDevice clientDevice = new MemoryDevice(1500, clock);
    final MemoryDevice serverDevice = new MemoryDevice(1500, clock);
    final StackRuntime client;
    final StackRuntime server;
    final long delayNs;
    private final ArrayDeque<long[]> toServerTimes = new ArrayDeque<>();
    private final ArrayDeque<byte[]> toServer = new ArrayDeque<>();
    private final ArrayDeque<long[]> toClientTimes = new ArrayDeque<>();
    private final ArrayDeque<byte[]> toClient = new ArrayDeque<>();

    Net(long delayNs) throws IOException {
      this.delayNs = delayNs;
      client = StackRuntime.open(config(CLIENT), clientDevice, clock);
      server = StackRuntime.open(config(SERVER), serverDevice, clock);
      client.doWork(); // this thread is the stack thread of both from now on
      server.doWork();
    }

    private StackConfig config(int address) {
      return StackConfig.builder().address(address, 24).mtu(1500).allocator(allocator).isnKey(new byte[16])
          .ephemeralPortSeed(1).build();
    }

    /** One turn: each runtime does its work, what each sent goes on the link, what is due arrives. */
    int turn() throws IOException {
      int work = client.doWork() + server.doWork();
      long now = clock.nowNs();
      for (MemoryDevice.Sent s : clientDevice.take()) {
        toServerTimes.add(new long[] {now + delayNs});
        toServer.add(s.bytes());
      }
      for (MemoryDevice.Sent s : serverDevice.take()) {
        toClientTimes.add(new long[] {now + delayNs});
        toClient.add(s.bytes());
      }
      while (!toServerTimes.isEmpty() && toServerTimes.peek()[0] - now <= 0) {
        toServerTimes.poll();
        serverDevice.inject(toServer.poll());
        work++;
      }
      while (!toClientTimes.isEmpty() && toClientTimes.peek()[0] - now <= 0) {
        toClientTimes.poll();
        clientDevice.inject(toClient.poll());
        work++;
      }
      return work;
    }

    /** Runs turns, moving the clock to the next packet or timer when nothing is left to do now, until {@code done}. */
    boolean runUntil(BooleanSupplier done, long forNs) throws IOException {
      long limit = clock.nowNs() + forNs;
      int idleTurnsNow = 0;
      while (!done.getAsBoolean()) {
        if (turn() > 0) {
          idleTurnsNow = 0;
          continue;
        }
        long next = earliest(client.stack().pollAt(), server.stack().pollAt(),
            toServerTimes.isEmpty() ? Long.MAX_VALUE : toServerTimes.peek()[0],
            toClientTimes.isEmpty() ? Long.MAX_VALUE : toClientTimes.peek()[0]);
        if (next == Long.MAX_VALUE || next - limit > 0) {
          return done.getAsBoolean();
        }
        if (next - clock.nowNs() > 0) {
          clock.set(next);
          idleTurnsNow = 0;
        } else if (++idleTurnsNow > 1000) {
          throw new IllegalStateException("a timer is due at " + next + " but polling does nothing");
        }
      }
      return true;
    }

    private static long earliest(long... times) {
      long min = Long.MAX_VALUE;
      for (long t : times) {
        if (t != Long.MAX_VALUE && (min == Long.MAX_VALUE || t - min < 0)) {
          min = t;
        }
      }
      return min;
    }

    @Override
    public void close() {
      client.close();
      server.close();
    }
  }

  private static byte[] random(long seed, int n) {
    byte[] b = new byte[n];
    new SeededStream(seed).next(b, 0, n);
    return b;
  }

  private static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.US_ASCII);
  }

  /** Reads everything readable into {@code into}; returns the last result of read (0, or -1 at the end). */
  private static int drain(TcpChannel ch, ByteArrayOutputStream into) {
    ByteBuf buf = Unpooled.wrappedBuffer(new byte[16 * 1024]); // not leak-tracked: paranoid tracking is slow
    try {
      while (true) {
        buf.clear();
        int n = ch.read(buf);
        if (n <= 0) {
          return n;
        }
        into.write(buf.array(), buf.arrayOffset(), n);
      }
    } finally {
      buf.release();
    }
  }

  /**
   * Sends {@code data}, taking what the send buffer has room for and going on at each onWritable,
   * then half-closes; reads the peer's stream to its end; closes when both are done. Records
   * every write's result.
   */
  static class Streamer implements TcpChannelHandler {
    final ByteBuf toSend;
    final int length;
    final ByteArrayOutputStream received = new ByteArrayOutputStream();
    final List<Integer> writes = new ArrayList<>();
    final List<String> events = new ArrayList<>();
    boolean endOfStream;
    boolean shutDown;

    Streamer(byte[] data) {
      this.toSend = Unpooled.wrappedBuffer(data);
      this.length = data.length;
    }

    @Override
    public void onConnected(TcpChannel ch) {
      events.add("connected");
      send(ch);
    }

    @Override
    public void onWritable(TcpChannel ch) {
      send(ch);
    }

    @Override
    public void onReadable(TcpChannel ch) {
      if (drain(ch, received) < 0 && !endOfStream) {
        endOfStream = true;
        events.add("end of stream");
        maybeClose(ch);
      }
    }

    @Override
    public void onClosed(TcpChannel ch) {
      events.add("closed " + ch.error());
      toSend.release();
    }

    void send(TcpChannel ch) {
      while (toSend.isReadable() && ch.isWritable()) {
        int wanted = toSend.readableBytes();
        int n = ch.write(toSend);
        writes.add(n);
        if (n < wanted) {
          return; // the rest at the next onWritable
        }
      }
      if (!toSend.isReadable() && !shutDown && ch.isWritable()) {
        shutDown = true;
        ch.shutdownOutput();
        maybeClose(ch);
      }
    }

    void maybeClose(TcpChannel ch) {
      if (shutDown && endOfStream) {
        ch.close();
      }
    }
  }

  /** Writes back whatever it reads, from onReadable; holds what does not fit until onWritable; closes at the end. */
  static final class Echo implements TcpChannelHandler {
    final ByteBuf pending = Unpooled.wrappedBuffer(new byte[8 * 1024]).clear();
    final List<String> events = new ArrayList<>();
    long echoed;
    boolean ended;

    @Override
    public void onReadable(TcpChannel ch) {
      pump(ch);
    }

    @Override
    public void onWritable(TcpChannel ch) {
      pump(ch);
    }

    @Override
    public void onClosed(TcpChannel ch) {
      events.add("closed " + ch.error());
      pending.release();
    }

    private void pump(TcpChannel ch) {
      while (true) {
        if (pending.isReadable()) {
          echoed += ch.write(pending);
          if (pending.isReadable()) {
            return; // back-pressure: the rest at the next onWritable, reading stops meanwhile
          }
        }
        if (ended) {
          return;
        }
        pending.clear();
        int n = ch.read(pending);
        if (n < 0) {
          ended = true;
          events.add("end of stream");
          ch.close();
          return;
        }
        if (n == 0) {
          return;
        }
      }
    }
  }

  private List<TcpChannel> serve(TcpAcceptHandler handler) {
    List<TcpChannel> accepted = new ArrayList<>();
    net.server.execute(() -> TcpServerChannel.bind(net.server.stack(), PORT, 16, TcpConfig.DEFAULT, ch -> {
      accepted.add(ch);
      handler.onAccepted(ch);
    }));
    return accepted;
  }

  private TcpChannel[] connect(TcpChannelHandler handler) throws IOException {
    return connect(TcpConfig.DEFAULT, handler);
  }

  private TcpChannel[] connect(TcpConfig config, TcpChannelHandler handler) throws IOException {
    TcpChannel[] client = new TcpChannel[1];
    net.client.execute(() -> client[0] = TcpChannel.connect(net.client.stack(), SERVER, PORT, config, handler));
    net.turn();
    assertNotNull(client[0]);
    return client;
  }

  private void assertNoLoopErrors() {
    assertEquals(0, net.client.counters().get(StackCounter.LOOP_ERRORS), "exceptions in the client's handlers");
    assertEquals(0, net.server.counters().get(StackCounter.LOOP_ERRORS), "exceptions in the server's handlers");
  }

  // ------------------------------------------------------------------ the tests

  @Test
  void anEchoServerWritingBackFromOnReadableReturnsTheClientsBytesThenBothClose() throws IOException {
    List<Echo> echoes = new ArrayList<>();
    List<TcpChannel> accepted = serve(ch -> {
      Echo e = new Echo();
      echoes.add(e);
      ch.subscribe(e);
    });
    byte[] message = ascii("hello, echo\n");
    ByteArrayOutputStream back = new ByteArrayOutputStream();
    List<String> events = new ArrayList<>();
    TcpChannel[] client = connect(new TcpChannelHandler() {
      @Override
      public void onConnected(TcpChannel ch) {
        events.add("connected " + ch.state());
        ByteBuf b = Unpooled.wrappedBuffer(message);
        assertEquals(message.length, ch.write(b));
        b.release();
      }

      @Override
      public void onReadable(TcpChannel ch) {
        drain(ch, back);
        if (back.size() == message.length) {
          ch.close();
        }
      }

      @Override
      public void onClosed(TcpChannel ch) {
        events.add("closed " + ch.error());
      }
    });

    assertTrue(net.runUntil(() -> !client[0].isOpen() && accepted.size() == 1 && !accepted.get(0).isOpen(), LIMIT),
        "both ends closed: client " + client[0] + ", server " + accepted);
    assertArrayEquals(message, back.toByteArray());
    assertEquals(List.of("connected ESTABLISHED", "closed null"), events);
    assertEquals(List.of("end of stream", "closed null"), echoes.get(0).events);
    assertEquals(message.length, echoes.get(0).echoed);
    assertNoLoopErrors();
  }

  @Test
  void aRandomTransferLargerThanTheSendBufferArrivesByteExactInBothDirections() throws IOException {
    int buffer = TcpConfig.DEFAULT.sendBufferSize();
    byte[] up = random(1, 3 * buffer + 12_345);
    byte[] down = random(2, 2 * buffer + 54_321);
    List<Streamer> servers = new ArrayList<>();
    List<TcpChannel> accepted = serve(ch -> {
      Streamer s = new Streamer(down);
      servers.add(s);
      ch.subscribe(s);
      s.send(ch); // an accepted channel is established already: start at once
    });
    Streamer clientSide = new Streamer(up);
    TcpChannel[] client = connect(clientSide);

    assertTrue(net.runUntil(() -> !client[0].isOpen() && accepted.size() == 1 && !accepted.get(0).isOpen(), LIMIT),
        "both ends closed: client " + client[0] + " " + client[0].info() + ", server " + accepted);
    Streamer serverSide = servers.get(0);
    assertArrayEquals(up, serverSide.received.toByteArray(), "client to server");
    assertArrayEquals(down, clientSide.received.toByteArray(), "server to client");
    assertTrue(clientSide.writes.size() > 1 && serverSide.writes.size() > 1,
        "each side had to wait for room: client writes " + clientSide.writes + ", server writes " + serverSide.writes);
    assertEquals(up.length, clientSide.writes.stream().mapToInt(Integer::intValue).sum());
    assertEquals(down.length, serverSide.writes.stream().mapToInt(Integer::intValue).sum());
    assertEquals("closed null", clientSide.events.get(clientSide.events.size() - 1));
    assertEquals("closed null", serverSide.events.get(serverSide.events.size() - 1));
    assertNoLoopErrors();
  }

  @Test
  void writeTakesOnlyWhatFitsInTheSendBufferAndTheRestGoesOutOnOnWritable() throws IOException {
    List<Echo> echoes = new ArrayList<>();
    serve(ch -> {
      Echo e = new Echo();
      echoes.add(e);
      ch.subscribe(e);
    });
    byte[] data = random(3, 1 << 20);
    ByteBuf src = Unpooled.wrappedBuffer(data);
    List<String> log = new ArrayList<>();
    ByteArrayOutputStream back = new ByteArrayOutputStream();
    TcpChannel[] client = connect(new TcpChannelHandler() {
      @Override
      public void onConnected(TcpChannel ch) {
        int first = ch.write(src);
        log.add("first write " + first + ", then room " + ch.writableBytes() + ", then write " + ch.write(src));
      }

      @Override
      public void onWritable(TcpChannel ch) {
        if (src.isReadable()) {
          int room = ch.writableBytes();
          if (room == 0) {
            log.add("onWritable without room");
          }
          int n = ch.write(src);
          if (n != Math.min(room, n + src.readableBytes())) {
            log.add("wrote " + n + " with room " + room);
          }
        }
      }

      @Override
      public void onReadable(TcpChannel ch) {
        drain(ch, back);
        if (back.size() == data.length) {
          ch.close();
        }
      }
    });

    assertTrue(net.runUntil(() -> !client[0].isOpen(), LIMIT), "closed: " + client[0] + " " + client[0].info());
    assertEquals("first write " + TcpConfig.DEFAULT.sendBufferSize() + ", then room 0, then write 0", log.get(0));
    assertEquals(List.of(log.get(0)), log, "each onWritable found room, and write took all of it");
    assertArrayEquals(data, back.toByteArray());
    assertFalse(src.isReadable());
    src.release();
    assertNoLoopErrors();
  }

  @Test
  void readReturnsMinusOneAfterThePeersFinAndGoesOnReturningIt() throws IOException {
    serve(ch -> {
      ByteBuf b = Unpooled.wrappedBuffer(ascii("bye"));
      ch.write(b);
      b.release();
      ch.close();
    });
    List<Integer> reads = new ArrayList<>();
    ByteArrayOutputStream got = new ByteArrayOutputStream();
    List<String> atEnd = new ArrayList<>();
    TcpChannel[] client = connect(new TcpChannelHandler() {
      @Override
      public void onReadable(TcpChannel ch) {
        ByteBuf buf = Unpooled.buffer(100);
        try {
          int n;
          do {
            buf.clear();
            n = ch.read(buf);
            reads.add(n);
            if (n > 0) {
              got.write(buf.array(), buf.arrayOffset(), n);
            }
          } while (n > 0);
          if (n < 0 && atEnd.isEmpty()) {
            buf.clear();
            atEnd.add("again " + ch.read(buf) + ", eof " + ch.isEndOfStream() + ", " + ch.state() + ", writable " + ch.isWritable());
          }
        } finally {
          buf.release();
        }
      }
    });

    assertTrue(net.runUntil(() -> !atEnd.isEmpty(), LIMIT), "the end of the stream was read: " + reads);
    assertArrayEquals(ascii("bye"), got.toByteArray());
    assertEquals(-1, reads.get(reads.size() - 1));
    assertEquals(1, reads.stream().filter(n -> n < 0).count(), "one onReadable for the FIN: " + reads);
    assertEquals(List.of("again -1, eof true, CLOSE_WAIT, writable true"), atEnd, "half-closed: our side can still write");

    net.client.execute(() -> client[0].close());
    assertTrue(net.runUntil(() -> client[0].state() == TcpState.CLOSED, LIMIT), client[0].toString());
    assertNull(client[0].error());
    assertNoLoopErrors();
  }

  @Test
  void writeAfterShutdownOutputThrowsIllegalStateExceptionThatSaysOutputIsShutDown() throws IOException {
    serve(ch -> {});
    List<String> seen = new ArrayList<>();
    List<IllegalStateException> thrown = new ArrayList<>();
    TcpChannel[] client = connect(new TcpChannelHandler() {
      @Override
      public void onConnected(TcpChannel ch) {
        ch.shutdownOutput();
        seen.add("writable " + ch.isWritable() + ", room " + ch.writableBytes() + ", " + ch.state());
        ByteBuf b = Unpooled.wrappedBuffer(ascii("too late"));
        try {
          thrown.add(assertThrows(IllegalStateException.class, () -> ch.write(b)));
          assertEquals(0, b.readerIndex(), "nothing was taken");
        } finally {
          b.release();
        }
      }
    });

    assertTrue(net.runUntil(() -> !thrown.isEmpty(), LIMIT));
    assertEquals(List.of("writable false, room 0, FIN_WAIT_1"), seen);
    String message = thrown.get(0).getMessage();
    assertTrue(message.contains("shut down"), message);
    assertTrue(message.contains(client[0].toString()), "names the channel: " + message);
    assertNoLoopErrors();
  }

  @Test
  void writeAfterAbortThrowsIllegalStateExceptionThatSaysTheConnectionWasAborted() throws IOException {
    serve(ch -> {});
    List<IllegalStateException> thrown = new ArrayList<>();
    List<String> events = new ArrayList<>();
    TcpChannel[] client = connect(new TcpChannelHandler() {
      @Override
      public void onConnected(TcpChannel ch) {
        ch.abort();
        ByteBuf b = Unpooled.wrappedBuffer(ascii("too late"));
        try {
          thrown.add(assertThrows(IllegalStateException.class, () -> ch.write(b)));
        } finally {
          b.release();
        }
      }

      @Override
      public void onClosed(TcpChannel ch) {
        events.add("closed " + ch.error());
      }
    });

    assertTrue(net.runUntil(() -> !events.isEmpty(), LIMIT));
    assertEquals(List.of("closed ABORTED"), events);
    assertEquals(TcpError.ABORTED, client[0].error());
    assertTrue(thrown.get(0).getMessage().contains(TcpError.ABORTED.message()), thrown.get(0).getMessage());
    assertNoLoopErrors();
  }

  @Test
  void theEventsOfACallMadeInATaskAreDeliveredByTheRuntimeBeforeDoWorkReturns() throws IOException {
    List<TcpChannel> accepted = serve(ch -> {});
    List<String> events = new ArrayList<>();
    TcpChannel[] client = connect(new TcpChannelHandler() {
      @Override
      public void onConnected(TcpChannel ch) {
        events.add("connected");
      }

      @Override
      public void onClosed(TcpChannel ch) {
        events.add("closed " + ch.error());
      }
    });
    assertTrue(net.runUntil(() -> !events.isEmpty() && accepted.size() == 1, LIMIT));
    assertEquals(List.of("connected"), events);

    net.client.execute(client[0]::abort);
    assertEquals(List.of("connected"), events, "nothing before the runtime runs the task");
    net.client.doWork();
    assertEquals(List.of("connected", "closed ABORTED"), events, "delivered after the task, within the same doWork");

    assertTrue(net.runUntil(() -> !accepted.get(0).isOpen(), LIMIT));
    assertEquals(TcpError.RESET, accepted.get(0).error(), "the server heard the RST");
    assertNoLoopErrors();
  }

  @Test
  void eachChannelChoosesItsCongestionControlBeforeOrAfterTheHandshake() throws IOException {
    List<TcpChannel> accepted = serve(ch -> {
      assertEquals("cubic", ch.congestionControl(), "the stack's default");
      ch.setCongestionControl(CongestionAlgorithm.NEWRENO); // established: takes over the initial window
    });
    List<String> connected = new ArrayList<>();
    TcpChannel[] client = connect(new TcpChannelHandler() {
      @Override
      public void onConnected(TcpChannel ch) {
        TcpInfo info = ch.info();
        connected.add(ch.congestionControl() + (info.cwnd() == CongestionControl.initialWindow(info.sendMss())
            ? " with the initial window" : " cwnd " + info.cwnd()));
      }
    });
    net.client.execute(() -> {
      assertEquals(TcpState.SYN_SENT, client[0].state());
      client[0].setCongestionControl(CongestionAlgorithm.NEWRENO); // before the handshake: it starts with it
    });
    assertTrue(net.runUntil(() -> !connected.isEmpty() && accepted.size() == 1, LIMIT));
    assertEquals(List.of("newreno with the initial window"), connected);
    assertEquals("newreno", accepted.get(0).congestionControl());
    TcpInfo server = accepted.get(0).info();
    assertEquals(CongestionControl.initialWindow(server.sendMss()), server.cwnd(), "the window carried over");
    net.client.execute(client[0]::abort);
    assertTrue(net.runUntil(() -> !accepted.get(0).isOpen(), LIMIT));
    assertNoLoopErrors();
  }
}
