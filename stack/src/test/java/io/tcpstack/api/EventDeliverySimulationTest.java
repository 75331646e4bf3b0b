package io.tcpstack.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.tcpstack.NetworkStack;
import io.tcpstack.StackConfig;
import io.tcpstack.device.Impairment;
import io.tcpstack.device.SimulatedNetwork;
import io.tcpstack.tcp.TcpConfig;
import io.tcpstack.tcp.TcpConnection;
import io.tcpstack.testing.Packets;
import java.lang.reflect.Field;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Collectors;
import java.util.stream.LongStream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * No lost wake-up: many connections at once between two stacks over an impaired simulated link,
 * driven only by event handlers — no polling loop reads or writes for them. Each client sends a
 * seeded random number of random-size messages to an echo server and verifies the echo byte for
 * byte, then closes; the server echoes from onReadable and holds what does not fit until
 * onWritable. A wake-up that is lost (an event not delivered, or delivered before the connection is
 * consistent) leaves a stream that never completes, and the failure names it with the state of
 * both of its ends.
 *
 * <p>A failing seed is in the test's name; replay one with {@code -Dtcpstack.evsim.seed=N}, run
 * more with {@code -Dtcpstack.evsim.seeds=COUNT}, try another path with {@code
 * -Dtcpstack.evsim.impairment=loss=10%,delay=1ms}.
 */
class EventDeliverySimulationTest {

  private static final int A = Packets.HOST;
  private static final int B = Packets.STACK;
  private static final int PORT = 7;
  private static final long SECOND = 1_000_000_000L;
  /** Virtual time by which every stream must be verified and every connection CLOSED. */
  private static final long LIMIT_NS = 600 * SECOND;
  private static final int CONNECTIONS = 50;
  /** Connections opened at the start; each of the others is opened by a handler when an earlier one completes. */
  private static final int OPENED_AT_START = 30;
  private static final int[] BUFFER_SIZES = {1024, 4096, 16 * 1024, 64 * 1024};
  private static final int MAX_MESSAGES = 12;
  private static final int MAX_MESSAGE = 20_000;
  /** The longest stream a client sends. */
  private static final int MAX_STREAM = MAX_MESSAGES * MAX_MESSAGE;

  static {
    if (MAX_STREAM >= TcpConfig.DEFAULT_BUFFER_SIZE) {
      throw new AssertionError("a stream must fit the server's default receive buffer");
    }
  }

  static LongStream seeds() {
    String one = System.getProperty("tcpstack.evsim.seed");
    int count = Integer.getInteger("tcpstack.evsim.seeds", 20);
    return one != null ? LongStream.of(Long.parseLong(one)) : LongStream.rangeClosed(1, count);
  }

  /**
   * The server's receive buffer (256 KiB) holds any whole stream (at most {@link #MAX_STREAM}), so
   * its window never closes; every other buffer is drawn from {@link #BUFFER_SIZES}, down to 1 KiB,
   * so the clients' windows and both sides' send buffers fill and empty all the time.
   */
  @ParameterizedTest(name = "seed {0}")
  @MethodSource("seeds")
  void everyEventDrivenEchoStreamCompletesByteExactAndEveryConnectionCloses(long seed) {
    new Run(seed, impairment(seed), false).run();
  }

  /** As above, but the server's receive buffer is small too: an echo that holds back closes its window. */
  @ParameterizedTest(name = "seed {0}")
  @MethodSource("seeds")
  void everyEventDrivenEchoStreamCompletesWhenTheServersWindowClosesToo(long seed) {
    new Run(seed, impairment(seed), true).run();
  }

  private static Impairment impairment(long seed) {
    String profile = System.getProperty("tcpstack.evsim.impairment", "loss=3%,dup=1%,reorder=10%,delay=5ms,jitter=4ms");
    return Impairment.parse(profile + ",seed=" + seed);
  }

  /** One seed's simulation. */
  private static final class Run {
    final long seed;
    final Impairment impairment;
    final boolean smallServerWindow;
    final SplittableRandom random;
    // Megabytes through tens of thousands of packets: Netty's paranoid leak tracker would record a
    // stack trace at every buffer access. This allocator skips it and counts live bytes exactly,
    // checked after the close; the test's own buffers come from it too.
    final UnpooledByteBufAllocator allocator = new UnpooledByteBufAllocator(true, true);
    final List<Client> clients = new ArrayList<>();
    final List<Echo> echoes = new ArrayList<>();
    final List<String> problems = new ArrayList<>();
    ByteBuf readBuffer;
    NetworkStack a;
    int completed;
    int clientsClosed;
    int echoesClosed;

    Run(long seed, Impairment impairment, boolean smallServerWindow) {
      this.seed = seed;
      this.impairment = impairment;
      this.smallServerWindow = smallServerWindow;
      this.random = new SplittableRandom(seed);
    }

    void run() {
      StackConfig ca = StackConfig.builder().address(A, 24).allocator(allocator).isnKey(key(seed, 1))
          .ephemeralPortSeed((int) seed).build();
      StackConfig cb = StackConfig.builder().address(B, 24).allocator(allocator).isnKey(key(seed, 2))
          .ephemeralPortSeed((int) seed + 1).build();
      readBuffer = allocator.heapBuffer(8 * 1024, 8 * 1024);
      try (SimulatedNetwork net = SimulatedNetwork.builder(ca, cb).impairment(impairment).build()) {
        a = net.a().stack();
        NetworkStack b = net.b().stack();
        TcpConfig serverConfig = config(random);
        if (!smallServerWindow) {
          serverConfig = serverConfig.toBuilder().receiveBufferSize(TcpConfig.DEFAULT_BUFFER_SIZE).build();
        }
        TcpServerChannel.bind(b, PORT, CONNECTIONS, serverConfig, ch -> {
          Echo e = new Echo(ch, allocator.heapBuffer(1 + random.nextInt(16 * 1024)));
          echoes.add(e);
          ch.subscribe(e);
        });
        for (int i = 0; i < CONNECTIONS; i++) {
          clients.add(new Client(i, random));
        }
        for (int i = 0; i < OPENED_AT_START; i++) {
          clients.get(i).open();
        }

        boolean done = net.runUntil(() -> completed == CONNECTIONS && clientsClosed == CONNECTIONS
            && echoesClosed == CONNECTIONS, net.nowNs() + LIMIT_NS);

        String where = "seed " + seed + " (" + impairment + "), t=" + net.nowNs() / 1_000_000 + " ms";
        if (!problems.isEmpty()) {
          fail(where + ": " + problems.size() + " problem(s):\n  " + String.join("\n  ", problems));
        }
        if (!done) {
          fail(where + ": not every stream completed and closed within " + LIMIT_NS / SECOND + " s of virtual time ("
              + completed + "/" + CONNECTIONS + " verified, " + clientsClosed + " clients and " + echoesClosed
              + " echoes closed); stuck:\n  " + stuck());
        }
        // TIME-WAIT records may remain (2 MSL); every connection proper must be gone.
        assertEquals(0, a.tcp().openConnectionCount(), where + ": client stack connections left");
        assertEquals(0, b.tcp().openConnectionCount(), where + ": server stack connections left");
        for (Client c : clients) {
          assertEquals(1, c.connectedEvents, where + ": onConnected once for " + c);
          assertEquals(1, c.closedEvents, where + ": onClosed once for " + c);
        }
        for (Echo e : echoes) {
          assertEquals(1, e.closedEvents, where + ": onClosed once for " + e);
        }
      } finally {
        readBuffer.release();
        for (Echo e : echoes) {
          if (e.pending.refCnt() > 0) {
            e.pending.release();
          }
        }
      }
      assertEquals(0, allocator.metric().usedDirectMemory() + allocator.metric().usedHeapMemory(),
          "bytes still allocated after both stacks closed: seed " + seed);
    }

    TcpConfig config(SplittableRandom r) {
      return TcpConfig.builder()
          .sendBufferSize(BUFFER_SIZES[r.nextInt(BUFFER_SIZES.length)])
          .receiveBufferSize(BUFFER_SIZES[r.nextInt(BUFFER_SIZES.length)])
          .noDelay(r.nextBoolean())
          .msl(Duration.ofSeconds(1))
          .build();
    }

    /** Every stream not verified or not closed, with the state of both ends. */
    String stuck() {
      Map<Integer, Echo> byPeerPort = new HashMap<>();
      for (Echo e : echoes) {
        byPeerPort.put(e.channel.remotePort(), e);
      }
      return clients.stream().filter(c -> !c.verifiedAll() || c.closedEvents == 0).map(c -> {
        Echo e = c.channel == null ? null : byPeerPort.get(c.channel.localPort());
        return c + "\n      client: " + (c.channel == null ? "not opened" : describe(c.channel))
            + "\n      server: " + (e == null ? "never accepted" : e + " " + describe(e.channel));
      }).collect(Collectors.joining("\n  "));
    }

    /** A client: its messages, written as room allows, and the check of their echo. */
    final class Client implements TcpChannelHandler {
      final int id;
      final TcpConfig config;
      final byte[] data;
      final int[] messageEnds;
      final ByteBuf out;
      TcpChannel channel;
      int message;
      int verified;
      int connectedEvents;
      int closedEvents;

      Client(int id, SplittableRandom r) {
        this.id = id;
        this.config = config(r);
        int messages = 1 + r.nextInt(MAX_MESSAGES);
        int maxSize = new int[] {16, 1_000, MAX_MESSAGE}[r.nextInt(3)];
        messageEnds = new int[messages];
        int total = 0;
        for (int i = 0; i < messages; i++) {
          total += 1 + r.nextInt(maxSize);
          messageEnds[i] = total;
        }
        data = new byte[total];
        r.nextBytes(data);
        out = Unpooled.wrappedBuffer(data).writerIndex(0);
      }

      void open() {
        channel = TcpChannel.connect(a, B, PORT, config, this);
      }

      boolean verifiedAll() {
        return verified == data.length;
      }

      @Override
      public void onConnected(TcpChannel ch) {
        connectedEvents++;
        send(ch);
      }

      @Override
      public void onWritable(TcpChannel ch) {
        send(ch);
      }

      /** One message at a time; what does not fit waits for the next onWritable. */
      private void send(TcpChannel ch) {
        while (message < messageEnds.length && ch.isWritable()) {
          out.writerIndex(messageEnds[message]);
          ch.write(out);
          if (out.isReadable()) {
            return;
          }
          message++;
        }
      }

      @Override
      public void onReadable(TcpChannel ch) {
        while (true) {
          readBuffer.clear();
          int n = ch.read(readBuffer);
          if (n == 0) {
            return;
          }
          if (n < 0) {
            if (!verifiedAll()) {
              problem("the echo ended after " + verified + " of " + data.length + " bytes");
            }
            return;
          }
          for (int i = 0; i < n; i++) {
            if (verified + i >= data.length || readBuffer.getByte(i) != data[verified + i]) {
              problem("echo differs at byte " + (verified + i) + " of " + data.length);
              ch.abort();
              return;
            }
          }
          verified += n;
          if (verifiedAll()) {
            completed++;
            ch.close();
            int next = id + OPENED_AT_START;
            if (next < CONNECTIONS) {
              clients.get(next).open(); // opened from inside a handler
            }
          }
        }
      }

      @Override
      public void onClosed(TcpChannel ch) {
        closedEvents++;
        clientsClosed++;
        if (ch.error() != null || !verifiedAll()) {
          problem("closed with error " + ch.error() + " after verifying " + verified + " of " + data.length + " bytes");
        }
      }

      private void problem(String what) {
        problems.add(this + ": " + what + " — " + (channel == null ? "" : describe(channel)));
      }

      @Override
      public String toString() {
        return "client " + id + " (port " + (channel == null ? "-" : channel.localPort()) + ", " + messageEnds.length
            + " messages, " + data.length + " bytes, message " + message + " being written, " + verified + " verified)";
      }
    }

    /** The server's side of one connection: echoes what it reads, holding back what does not fit. */
    final class Echo implements TcpChannelHandler {
      final TcpChannel channel;
      final ByteBuf pending;
      long echoed;
      boolean ended;
      int closedEvents;

      Echo(TcpChannel channel, ByteBuf pending) {
        this.channel = channel;
        this.pending = pending;
      }

      @Override
      public void onReadable(TcpChannel ch) {
        pump(ch);
      }

      @Override
      public void onWritable(TcpChannel ch) {
        pump(ch);
      }

      private void pump(TcpChannel ch) {
        while (!ended) {
          if (pending.isReadable()) {
            if (!ch.isWritable()) {
              return;
            }
            echoed += ch.write(pending);
            if (pending.isReadable()) {
              return; // the rest at the next onWritable; reading waits with it
            }
          }
          pending.clear();
          int n = ch.read(pending);
          if (n == 0) {
            return;
          }
          if (n < 0) {
            ended = true;
            ch.close();
          }
        }
      }

      @Override
      public void onClosed(TcpChannel ch) {
        closedEvents++;
        echoesClosed++;
        pending.release();
        if (ch.error() != null) {
          problems.add(this + ": closed with error " + ch.error() + " — " + describe(ch));
        }
      }

      @Override
      public String toString() {
        return "echo for port " + channel.remotePort() + " (" + echoed + " echoed, " + pending.readableBytes()
            + " held, " + (ended ? "ended" : "open") + ")";
      }
    }
  }

  /**
   * The variables of the connection under a channel ({@link TcpConnection#describe()}), for the
   * failure message only; the channel's public view if the field cannot be reached.
   */
  static String describe(TcpChannel channel) {
    try {
      for (Field f : TcpChannel.class.getDeclaredFields()) {
        if (f.getType() == TcpConnection.class) {
          f.setAccessible(true);
          return ((TcpConnection) f.get(channel)).describe();
        }
      }
    } catch (ReflectiveOperationException | RuntimeException e) {
      // fall through
    }
    return channel.state() + " " + channel.info();
  }

  private static byte[] key(long seed, int side) {
    byte[] k = new byte[16];
    for (int i = 0; i < 8; i++) {
      k[i] = (byte) (seed >>> (8 * i));
    }
    k[8] = (byte) side;
    k[9] = 0x5e; // not TcpSimulationTest's keys
    return k;
  }
}
