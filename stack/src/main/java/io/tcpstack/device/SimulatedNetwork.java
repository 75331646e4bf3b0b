package io.tcpstack.device;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.tcpstack.NetworkStack;
import io.tcpstack.StackConfig;
import io.tcpstack.stats.CounterSet;
import java.util.Objects;
import java.util.function.BooleanSupplier;

/**
 * Two stacks joined by an impaired link, in virtual time: the network simulation of smoltcp's
 * {@code tests/netsim.rs}, for tests, examples and benchmarks. No threads, no sleeping, no clock:
 * a second of virtual time costs only the packets it carries.
 *
 * <p>Each endpoint is a {@link NetworkStack}. What a stack transmits is copied onto the link, where
 * the direction's {@link Impairment} decides its fate exactly as {@link FaultInjector} does (both
 * use the same implementation), and it reaches the other stack at its due virtual time. The event
 * loop ({@link #runUntil(long)}, {@link #runUntil(BooleanSupplier, long)}) moves the clock to the
 * next event — the earliest of the next packet arrival and each stack's {@link
 * NetworkStack#pollAt()} — delivers the packets due, and polls the stacks that are due. Packets due
 * at the same instant arrive in the order they were sent; delivering one never happens inside the
 * sender's {@code transmit}, so a stack is never re-entered.
 *
 * <p>Endpoint {@code a} gets random stream 0 of its impairment and {@code b} stream 1, so with one
 * impairment for both directions the two still decide independently. Not thread-safe.
 */
public final class SimulatedNetwork implements AutoCloseable {

  /** Events at one instant beyond which the simulation is taken to be stuck (two stacks ping-ponging). */
  static final long MAX_STEPS_AT_ONE_INSTANT = 1_000_000;

  private final Endpoint a;
  private final Endpoint b;
  private Observer observer = new Observer() {};
  private long nowNs;
  private boolean closed;

  private SimulatedNetwork(Builder builder) {
    this.a = new Endpoint("a", builder.a, builder.aToB, 0, builder.maxHeld);
    Endpoint other = null;
    try {
      other = new Endpoint("b", builder.b, builder.bToA, 1, builder.maxHeld);
    } finally {
      if (other == null) {
        a.close();
      }
    }
    this.b = other;
    a.peer = b;
    b.peer = a;
    this.nowNs = builder.startNs;
  }

  /**
   * A network of two stacks made from {@code a} and {@code b}, which must have the same MTU (one
   * link has one). Each stack's buffers, and the copies on the link from it, come from its
   * config's allocator.
   *
   * @param a the config of endpoint {@code a}; not null
   * @param b the config of endpoint {@code b}; not null
   * @return a builder with no impairment in either direction
   * @throws NullPointerException if {@code a} or {@code b} is null
   * @throws IllegalArgumentException if the two MTUs differ
   */
  public static Builder builder(StackConfig a, StackConfig b) {
    return new Builder(a, b);
  }

  /**
   * Endpoint {@code a}.
   *
   * @return the endpoint made from the first config given to {@link #builder}
   */
  public Endpoint a() {
    return a;
  }

  /**
   * Endpoint {@code b}.
   *
   * @return the endpoint made from the second config given to {@link #builder}
   */
  public Endpoint b() {
    return b;
  }

  /**
   * The virtual time.
   *
   * @return the current virtual time in nanoseconds
   */
  public long nowNs() {
    return nowNs;
  }

  /**
   * Watches every packet put on and taken off the link; replaces the previous observer.
   *
   * @param observer the observer; not null
   * @throws NullPointerException if {@code observer} is null
   */
  public void observe(Observer observer) {
    this.observer = Objects.requireNonNull(observer, "observer");
  }

  /**
   * The next virtual time something happens: a packet arrives or a stack has a timer due; {@link
   * Long#MAX_VALUE} if nothing will ever happen without new input.
   *
   * @return the virtual time in nanoseconds of the next event, or {@link Long#MAX_VALUE}
   */
  public long nextEventNs() {
    return earliest(a.path.nextReleaseNs(), b.path.nextReleaseNs(), a.stack.pollAt(), b.stack.pollAt());
  }

  /**
   * Runs every event up to and including {@code timeNs}, then sets the clock to {@code timeNs}.
   *
   * @param timeNs the virtual time to run to, in nanoseconds; not before {@link #nowNs()}
   * @throws IllegalArgumentException if {@code timeNs} is before {@link #nowNs()}
   * @throws IllegalStateException if the network is closed, or on a livelock (see {@link
   *     #runUntil(BooleanSupplier, long)})
   */
  public void runUntil(long timeNs) {
    runUntil(() -> false, timeNs);
  }

  /**
   * {@code runUntil(nowNs() + durationNs)}.
   *
   * @param durationNs how much virtual time to run, in nanoseconds; not negative
   * @throws IllegalArgumentException if {@code durationNs} is negative
   * @throws IllegalStateException as {@link #runUntil(long)}
   */
  public void runFor(long durationNs) {
    runUntil(nowNs + durationNs);
  }

  /**
   * Runs events until {@code condition} holds (checked before the first and after each instant's
   * events) or nothing is left to do up to {@code limitNs}. When the condition holds, the clock stays
   * at the instant it came true; otherwise it ends at {@code limitNs}.
   *
   * @param condition what to wait for; checked on this thread, between events
   * @param limitNs the virtual time, in nanoseconds, to run to at most; not before {@link #nowNs()}
   * @return whether the condition holds
   * @throws IllegalArgumentException if {@code limitNs} is before {@link #nowNs()}
   * @throws IllegalStateException if the network is closed, or if more than a million events
   *     happen at one instant (a livelock)
   */
  public boolean runUntil(BooleanSupplier condition, long limitNs) {
    if (closed) {
      throw new IllegalStateException("the simulated network is closed");
    }
    if (limitNs - nowNs < 0) {
      throw new IllegalArgumentException("virtual time goes forward: " + limitNs + " < now " + nowNs);
    }
    long stepsAtThisInstant = 0;
    while (!condition.getAsBoolean()) {
      long next = nextEventNs();
      if (next == Long.MAX_VALUE || next - limitNs > 0) {
        nowNs = limitNs;
        return false;
      }
      if (next - nowNs > 0) {
        nowNs = next;
        stepsAtThisInstant = 0;
      } else if (++stepsAtThisInstant > MAX_STEPS_AT_ONE_INSTANT) {
        throw new IllegalStateException("more than " + MAX_STEPS_AT_ONE_INSTANT + " events at virtual time " + nowNs
            + " ns: the stacks keep answering each other without time passing");
      }
      step();
    }
    return true;
  }

  /** Delivers what is due on both directions, then polls the stacks whose timers are due. */
  private void step() {
    a.deliverDue();
    b.deliverDue();
    a.pollIfDue();
    b.pollIfDue();
  }

  /** Closes both stacks and releases every packet on the link. Idempotent. */
  @Override
  public void close() {
    if (!closed) {
      closed = true;
      a.close();
      b.close();
    }
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
  public String toString() {
    return "SimulatedNetwork[a " + a.stack.config() + " -> " + a.path + ", b " + b.stack.config() + " -> " + b.path
        + ", at " + nowNs + " ns]";
  }

  /** Sees each packet as it enters and leaves the link. The buffer is only valid during the call. */
  public interface Observer {
    /**
     * {@code from} put {@code packet} on the link (before the impairment).
     *
     * @param from the endpoint that sent it
     * @param atNs the virtual time, in nanoseconds
     * @param packet the packet in its readable bytes; do not change or keep it
     */
    default void sent(Endpoint from, long atNs, ByteBuf packet) {}

    /**
     * {@code packet} reached {@code to}, which processes it right after this returns.
     *
     * @param to the endpoint that receives it
     * @param atNs the virtual time, in nanoseconds
     * @param packet the packet in its readable bytes, as impaired; do not change or keep it
     */
    default void delivered(Endpoint to, long atNs, ByteBuf packet) {}
  }

  /** One end of the link: a stack, and the direction of the link leaving it. */
  public final class Endpoint {
    private final String name;
    private final ImpairedPath path;
    private final NetworkStack stack;
    private Endpoint peer;

    private Endpoint(String name, StackConfig config, Impairment impairment, int stream, int maxHeld) {
      this.name = name;
      this.path = new ImpairedPath(impairment, stream, config.allocator(), maxHeld);
      this.stack = new NetworkStack(config, this::transmitted);
    }

    /**
     * This endpoint's name.
     *
     * @return "a" or "b"
     */
    public String name() {
      return name;
    }

    /**
     * This endpoint's stack, to open connections on and read counters from.
     *
     * @return the stack; closed by {@link SimulatedNetwork#close()}
     */
    public NetworkStack stack() {
      return stack;
    }

    /**
     * The other end.
     *
     * @return the endpoint this one's packets go to
     */
    public Endpoint peer() {
      return peer;
    }

    /**
     * The impairment of the direction leaving this endpoint.
     *
     * @return the impairment of the packets this endpoint sends
     */
    public Impairment impairment() {
      return path.impairment();
    }

    /**
     * What happened to the packets this endpoint put on the link.
     *
     * @return the live counters of the direction leaving this endpoint
     */
    public CounterSet<ImpairmentCounter> linkCounters() {
      return path.counters();
    }

    /**
     * Packets from this endpoint on the link now.
     *
     * @return the number of packets sent and not yet delivered or dropped
     */
    public int inFlight() {
      return path.held();
    }

    /**
     * Puts the readable bytes of {@code packet} on the link as if this endpoint's stack had sent it
     * now: a way to inject hand-made packets. The caller keeps the buffer.
     *
     * @param packet the IP packet in its readable bytes; copied, indices unchanged
     * @throws IllegalStateException if the network is closed
     */
    public void send(ByteBuf packet) {
      if (closed) {
        throw new IllegalStateException("the simulated network is closed");
      }
      transmitted(packet);
    }

    /**
     * {@link #send(ByteBuf)} for a packet given as bytes.
     *
     * @param packet the whole IP packet; copied
     * @throws IllegalStateException if the network is closed
     */
    public void send(byte[] packet) {
      ByteBuf b = Unpooled.wrappedBuffer(packet);
      try {
        send(b);
      } finally {
        b.release();
      }
    }

    private void transmitted(ByteBuf packet) {
      observer.sent(this, nowNs, packet);
      // Never forwarded at once: the peer receives it from the event loop, not inside this call.
      path.offer(packet, packet.readerIndex(), packet.readableBytes(), nowNs, false, false);
    }

    private void deliverDue() {
      ByteBuf packet;
      while ((packet = path.poll(nowNs)) != null) {
        try {
          observer.delivered(peer, nowNs, packet);
          peer.stack.receive(packet, nowNs);
        } finally {
          packet.release();
        }
      }
    }

    private void pollIfDue() {
      long at = stack.pollAt();
      if (at != Long.MAX_VALUE && at - nowNs <= 0) {
        stack.poll(nowNs);
      }
    }

    private void close() {
      stack.close();
      path.close();
    }

    @Override
    public String toString() {
      return name + " (" + stack.config() + ")";
    }
  }

  /** Builds a {@link SimulatedNetwork}. */
  public static final class Builder {
    private final StackConfig a;
    private final StackConfig b;
    private Impairment aToB = Impairment.NONE;
    private Impairment bToA = Impairment.NONE;
    private int maxHeld = FaultInjector.DEFAULT_MAX_HELD;
    private long startNs;

    private Builder(StackConfig a, StackConfig b) {
      this.a = Objects.requireNonNull(a, "a");
      this.b = Objects.requireNonNull(b, "b");
      if (a.mtu() != b.mtu()) {
        throw new IllegalArgumentException("both ends of a link have its MTU: a has " + a.mtu() + ", b has " + b.mtu());
      }
    }

    /**
     * The same impairment in both directions (each with its own random stream).
     *
     * @param both the impairment of either direction; not null
     * @return this builder
     * @throws NullPointerException if {@code both} is null
     */
    public Builder impairment(Impairment both) {
      return impairment(both, both);
    }

    /**
     * An impairment for each direction; {@link Impairment#NONE} for both by default.
     *
     * @param aToB what happens to the packets {@code a} sends; not null
     * @param bToA what happens to the packets {@code b} sends; not null
     * @return this builder
     * @throws NullPointerException if either is null
     */
    public Builder impairment(Impairment aToB, Impairment bToA) {
      this.aToB = Objects.requireNonNull(aToB, "aToB");
      this.bToA = Objects.requireNonNull(bToA, "bToA");
      return this;
    }

    /**
     * Packets held per direction at most; beyond it they are dropped ({@link
     * ImpairmentCounter#OVERFLOW_DROPPED}).
     *
     * @param packets at least 1; default {@link FaultInjector#DEFAULT_MAX_HELD}
     * @return this builder
     * @throws IllegalArgumentException if {@code packets} is less than 1
     */
    public Builder maxHeld(int packets) {
      if (packets < 1) {
        throw new IllegalArgumentException("maxHeld must be at least 1, got " + packets);
      }
      this.maxHeld = packets;
      return this;
    }

    /**
     * The virtual time the simulation starts at (0 by default; any value works, only differences
     * matter).
     *
     * @param startNs the start time in nanoseconds
     * @return this builder
     */
    public Builder startNs(long startNs) {
      this.startNs = startNs;
      return this;
    }

    /**
     * Makes the two stacks and the link between them, at the start time.
     *
     * @return the network; the caller closes it, which closes both stacks
     */
    public SimulatedNetwork build() {
      return new SimulatedNetwork(this);
    }
  }
}
