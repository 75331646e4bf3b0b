package io.tcpstack.examples;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.tcpstack.NetworkStack;
import io.tcpstack.StackConfig;
import io.tcpstack.api.TcpChannel;
import io.tcpstack.api.TcpChannelHandler;
import io.tcpstack.device.Impairment;
import io.tcpstack.device.SimulatedNetwork;
import io.tcpstack.tcp.TcpConfig;
import io.tcpstack.tcp.TcpInfo;
import io.tcpstack.testing.Packets;
import io.tcpstack.testing.TrackingAllocator;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;

/**
 * A server's stack and a client's stack over a {@link SimulatedNetwork} in virtual time — no TUN,
 * no threads: the event-driven services run on the server stack exactly as on a real one (their
 * handlers called from the stack's processing), and the test thread is both stacks' thread. The
 * server stack takes its buffers from a {@link TrackingAllocator}, so a test can see how many a
 * service holds at any moment and that all were released.
 *
 * <p>Clients ({@link Client}) act at every event and at least once per millisecond of virtual
 * time: write what fits of what they have to send, read (at most {@link Client#readPerMs} bytes per
 * millisecond, for a slow reader), half-close when all is sent.
 */
public final class SimulatedClients implements AutoCloseable {

  public static final long MS = 1_000_000L;
  public static final long SECOND = 1000 * MS;

  /** Every buffer of the server stack (rings, scratch, the services' own). */
  public final TrackingAllocator serverBuffers = new TrackingAllocator();
  public final SimulatedNetwork net;
  private final List<Client> clients = new ArrayList<>();

  public SimulatedClients() {
    this(Impairment.parse("delay=1ms"));
  }

  public SimulatedClients(Impairment impairment) {
    StackConfig client = StackConfig.builder().address(Packets.HOST, 24)
        .allocator(new UnpooledByteBufAllocator(true, true)).isnKey(new byte[16]).ephemeralPortSeed(1).build();
    StackConfig server = StackConfig.builder().address(Packets.STACK, 24)
        .allocator(serverBuffers).isnKey(new byte[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}).build();
    net = SimulatedNetwork.builder(client, server).impairment(impairment).build();
  }

  /** The server's stack: bind services here (on the test thread, which is its thread). */
  public NetworkStack server() {
    return net.b().stack();
  }

  /**
   * Buffers the server stack holds beyond its connections' send and receive buffers, not counting
   * copies of its packets still on the simulated link (the link takes them from the stack's
   * allocator) nor the chunks its pool keeps for reuse: its scratch, and what the services hold.
   */
  public long serverHeld() {
    return serverBuffers.live() - net.b().inFlight() - serverChunks() - server().tcp().pool().spareCount();
  }

  /** Chunks the server's connections hold in their send and receive buffers (taken while data waits). */
  public long serverChunks() {
    return server().tcp().pool().inUse() / server().tcp().pool().chunkSize();
  }

  public long nowNs() {
    return net.nowNs();
  }

  /** Connects a client to {@code port} of the server; it sends {@code data} (then half-closes if asked). */
  public Client connect(int port, byte[] data, boolean halfCloseWhenSent) {
    NetworkStack stack = net.a().stack();
    stack.advance(net.nowNs());
    Client c = new Client(data, halfCloseWhenSent);
    c.channel = TcpChannel.connect(stack, Packets.STACK, port, TcpConfig.DEFAULT, new TcpChannelHandler() {});
    clients.add(c);
    return c;
  }

  /** Runs the network, the clients acting all along, until {@code done} holds or {@code limitNs} of virtual time pass. */
  public boolean runUntil(BooleanSupplier done, long limitNs) {
    long limit = net.nowNs() + limitNs;
    BooleanSupplier step = () -> {
      net.a().stack().advance(net.nowNs());
      for (Client c : clients) {
        c.act(net.nowNs());
      }
      return done.getAsBoolean();
    };
    boolean ok = false;
    while (!ok && limit - net.nowNs() > 0) {
      ok = net.runUntil(step, Math.min(limit, net.nowNs() + MS));
    }
    return ok;
  }

  /** Lets {@code ns} of virtual time pass, the clients acting. */
  public void runFor(long ns) {
    runUntil(() -> false, ns);
  }

  /** Runs {@code action} on the server stack's thread at the current virtual time, then delivers what it raised. */
  public void onServer(Runnable action) {
    server().advance(net.nowNs());
    action.run();
    server().deliverEvents();
  }

  @Override
  public void close() {
    for (Client c : clients) {
      if (c.channel.isOpen()) {
        c.channel.abort();
      }
    }
    net.close();
  }

  /** A client on the other stack, driven by the simulation. */
  public static final class Client {
    private byte[] data;
    private final boolean halfCloseWhenSent;
    private final ByteArrayOutputStream received = new ByteArrayOutputStream();
    TcpChannel channel;
    private int sent;
    private boolean endOfStream;
    private boolean reading = true;
    /** Bytes read per millisecond of virtual time at most (a slow reader); unlimited by default. */
    public int readPerMs = Integer.MAX_VALUE;
    private long budgetMs = -1;
    private int budget;
    /** The smallest send window the client was offered after the handshake: 0 means the server stopped reading. */
    public int smallestSendWindow = Integer.MAX_VALUE;
    /** Whether a write of the client ever found its send buffer full. */
    public boolean sendBlocked;

    private Client(byte[] data, boolean halfCloseWhenSent) {
      this.data = data;
      this.halfCloseWhenSent = halfCloseWhenSent;
    }

    public TcpChannel channel() {
      return channel;
    }

    /** Everything read so far. */
    public byte[] received() {
      return received.toByteArray();
    }

    public int receivedBytes() {
      return received.size();
    }

    /** The server closed its side and every byte before its FIN was read. */
    public boolean endOfStream() {
      return endOfStream;
    }

    /** Stops reading (the bytes stay in the client's receive buffer) or starts again. */
    public void reading(boolean on) {
      reading = on;
    }

    /** Sends {@code more} after what was given so far. */
    public void send(byte[] more) {
      byte[] all = java.util.Arrays.copyOf(data, data.length + more.length);
      System.arraycopy(more, 0, all, data.length, more.length);
      data = all;
    }

    public boolean allSent() {
      return sent == data.length;
    }

    private void act(long nowNs) {
      if (channel.state() == io.tcpstack.tcp.TcpState.SYN_SENT) {
        return;
      }
      if (channel.isOpen()) {
        TcpInfo info = channel.info();
        smallestSendWindow = Math.min(smallestSendWindow, info.sendWindow());
      }
      while (sent < data.length && channel.isWritable()) {
        int n = channel.write(Unpooled.wrappedBuffer(data, sent, data.length - sent));
        if (n == 0) {
          sendBlocked = true;
          break;
        }
        sent += n;
      }
      if (sent == data.length && halfCloseWhenSent && channel.isWritable()) {
        channel.shutdownOutput();
      }
      if (!reading || endOfStream) {
        return; // (what arrived stays readable, in TIME-WAIT and CLOSED too, until the channel is closed)
      }
      long ms = nowNs / MS;
      if (ms != budgetMs) {
        budgetMs = ms;
        budget = readPerMs;
      }
      while (budget > 0) {
        ByteBuf b = Unpooled.buffer(Math.min(budget, 64 * 1024));
        int n = channel.read(b);
        if (n < 0) {
          endOfStream = true;
          return;
        }
        if (n == 0) {
          return;
        }
        received.write(b.array(), b.arrayOffset() + b.readerIndex(), n);
        budget -= n;
      }
    }
  }
}
