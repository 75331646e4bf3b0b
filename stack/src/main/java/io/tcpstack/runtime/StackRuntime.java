package io.tcpstack.runtime;

import io.netty.buffer.ByteBuf;
import io.tcpstack.NetworkStack;
import io.tcpstack.StackConfig;
import io.tcpstack.device.Device;
import io.tcpstack.ip.Offload;
import io.tcpstack.ip.PacketSink;
import io.tcpstack.stats.CounterSet;
import io.tcpstack.stats.StackCounter;
import java.io.IOException;
import java.util.Objects;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs a {@link NetworkStack} over a {@link Device} on one thread — the stack loop — and is the
 * only place where the stack meets threads, the clock and the device.
 *
 * <p>Each turn of the loop runs tasks handed over by application threads, then reads the clock once
 * ({@code nowNs}, never earlier than any time a task used), reads up to {@link #RX_BATCH} packets into one reused buffer and gives each to
 * the stack, runs the stack's due timers, and then waits on the device until a packet arrives, a task
 * is submitted, or the stack's next deadline. Nothing escapes the loop: an exception from the stack
 * is a bug, counted as {@link StackCounter#LOOP_ERRORS} and logged; a failing write is counted as
 * {@link StackCounter#DEVICE_TX_ERRORS}.
 *
 * <p>{@link #close()} stops the loop, aborts the open connections (their resets still leave through
 * the device), closes the device and releases the stack's buffers.
 */
public final class StackRuntime implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(StackRuntime.class);

  /** Packets read per turn before timers and tasks get a chance again. */
  static final int RX_BATCH = 64;
  private static final long STOP_TIMEOUT_MS = 5_000;

  private final NetworkStack stack;
  private final Device device;
  private final Queue<Runnable> tasks = new ConcurrentLinkedQueue<>();
  /** The runtime's own loop thread, or null when the caller drives it ({@link #open}). */
  private final Thread thread;
  /** The stack thread: the loop's, or the first caller of {@link #doWork()}. */
  private volatile Thread driver;
  private final LongSupplier clock;
  private final ByteBuf rx;
  /** Writes packets from a thread of its own ({@link StackConfig#transmitThread()}), or null. */
  private final TransmitThread transmitter;
  /** Slots of {@link #transmitter}'s ring: packets the stack may be ahead of the device by. */
  static final int TX_RING_SLOTS = 4096;
  private volatile boolean running = true;
  /**
   * Where the runtime's own loop is, for {@link #execute}: {@link #AWAKE} (it runs the queue before
   * it waits again: no wake-up needed), {@link #WAITING} (in {@link #awaitWork}, or about to be:
   * the first task wakes it) or {@link #WOKEN} (the wake-up is sent: no second one).
   */
  private final AtomicInteger wake = new AtomicInteger(AWAKE);
  private static final int AWAKE = 0;
  private static final int WAITING = 1;
  private static final int WOKEN = 2;
  private volatile Throwable failure;
  private boolean closed;
  /** Released once the loop has stopped: after {@link #close()}, or when it failed on its own. */
  private final CountDownLatch terminated = new CountDownLatch(1);

  private StackRuntime(StackConfig config, Device device, LongSupplier clock, boolean ownThread) {
    this.device = device;
    this.clock = clock;
    this.stack = new NetworkStack(config, new PacketSink() {
      @Override
      public void transmit(ByteBuf packet) {
        StackRuntime.this.transmit(packet, Offload.NONE);
      }

      @Override
      public void transmit(ByteBuf packet, int offload) {
        StackRuntime.this.transmit(packet, offload);
      }
    }, device.offloads());
    // Sized for the largest IPv4 datagram (and whatever the device adds) so nothing the device
    // hands over is ever truncated.
    int rxSize = Math.max(StackConfig.MAX_DATAGRAM, device.maxReceiveSize());
    this.rx = config.allocator().directBuffer(rxSize, rxSize);
    this.transmitter = ownThread && config.transmitThread() && (device.offloads() & Offload.TX_SEGMENTATION) == 0
        ? new TransmitThread(device, stack.counters(), TX_RING_SLOTS, device.mtu())
        : null;
    if (ownThread) {
      this.thread = new Thread(this::loop, "tcpstack-loop");
      this.thread.setDaemon(true);
      this.driver = thread;
    } else {
      this.thread = null;
    }
  }

  /**
   * Builds a stack from {@code config} and starts running it over {@code device}. The runtime owns
   * the device from now on and closes it in {@link #close()}.
   *
   * @param config the stack's configuration; not null; its MTU must be the device's
   * @param device the link to run over; not null
   * @return the running runtime; the caller closes it
   * @throws NullPointerException if either is null
   * @throws IllegalArgumentException if the device's MTU differs from the config's
   */
  public static StackRuntime start(StackConfig config, Device device) {
    StackRuntime runtime = new StackRuntime(checked(config, device), device, System::nanoTime, true);
    runtime.thread.start();
    log.debug("stack started on {}: {}", device, config);
    return runtime;
  }

  /**
   * Builds a stack over {@code device} without a thread of its own: the caller drives it with
   * {@link #doWork()} and {@link #awaitWork()} (or from another event loop, waking it through
   * {@link #execute}), and the thread that calls {@code doWork} is the stack thread. {@code clock}
   * is the stack's time ({@code System::nanoTime}, or a virtual clock in tests).
   *
   * @param config the stack's configuration; not null; its MTU must be the device's
   * @param device the link to run over; not null; closed by {@link #close()}
   * @param clock the stack's time in nanoseconds; not null
   * @return the runtime, ready for {@link #doWork()}; the caller closes it
   * @throws NullPointerException if any argument is null
   * @throws IllegalArgumentException if the device's MTU differs from the config's
   */
  public static StackRuntime open(StackConfig config, Device device, LongSupplier clock) {
    return new StackRuntime(checked(config, device), device, Objects.requireNonNull(clock, "clock"), false);
  }

  private static StackConfig checked(StackConfig config, Device device) {
    Objects.requireNonNull(config, "config");
    Objects.requireNonNull(device, "device");
    if (device.mtu() != config.mtu()) {
      throw new IllegalArgumentException(
          "the device's MTU (" + device.mtu() + ") differs from the stack's (" + config.mtu() + "): configure both alike");
    }
    return config;
  }

  /**
   * The core, for code running on the stack thread (inside {@link #execute} or {@link #call}) only:
   * it is not thread-safe.
   *
   * @return the stack this runtime runs
   */
  public NetworkStack stack() {
    return stack;
  }

  /**
   * The stack's clock, for tasks on the stack thread: the {@code nowNs} they pass to the core.
   *
   * @return the current time of the runtime's clock, in nanoseconds
   */
  public long nowNs() {
    return clock.getAsLong();
  }

  /**
   * Whether the caller is the stack thread.
   *
   * @return true on the loop's thread, or on the thread that drives {@link #doWork()}
   */
  public boolean inStackThread() {
    return Thread.currentThread() == driver;
  }

  /**
   * The stack's counters; any thread.
   *
   * @return the live counters of the stack
   */
  public CounterSet<StackCounter> counters() {
    return stack.counters();
  }

  /**
   * The configuration the stack was built from.
   *
   * @return the stack's config
   */
  public StackConfig config() {
    return stack.config();
  }

  /**
   * Whether the loop is running (false after {@link #close()} or if the device failed).
   *
   * @return true while the runtime runs
   */
  public boolean isRunning() {
    return running && (thread == null || thread.isAlive());
  }

  /**
   * Blocks until the loop has stopped: {@link #close()} was called, or the loop failed on its own
   * ({@link #failure()} says why). Any thread but the loop's.
   *
   * @throws InterruptedException if the waiting thread is interrupted
   */
  public void awaitTermination() throws InterruptedException {
    terminated.await();
  }

  /**
   * Why the loop stopped on its own (the device failed), or null.
   *
   * @return the exception or error that stopped the loop, or null if it did not stop on its own
   */
  public Throwable failure() {
    return failure;
  }

  /**
   * Runs {@code task} on the stack thread, which is the only thread allowed to touch the {@link
   * NetworkStack}. Any thread. Tasks run in the order given; the runtime's own loop is woken only if
   * it waits, once per wait however many tasks arrive, so handing over costs no system call while
   * the loop is busy.
   *
   * @param task what to run on the stack thread; not null; an exception from it is counted as
   *     {@link StackCounter#LOOP_ERRORS} and logged
   * @throws NullPointerException if {@code task} is null
   * @throws RejectedExecutionException once the runtime is closed
   */
  public void execute(Runnable task) {
    Objects.requireNonNull(task, "task");
    if (!running) {
      throw new RejectedExecutionException("the stack runtime is closed");
    }
    tasks.add(task);
    // Coalesced: the device is woken (an eventfd write) only if the loop waits or is about to, and
    // once per wait. The loop announces WAITING before its last look at the queue (awaitWork), and
    // this thread looks at the state after adding: one of the two sees the other, so no task is
    // left behind a sleeping loop. A loop driven from outside may wait anywhere: wake it each time.
    if (thread == null || (wake.get() == WAITING && wake.compareAndSet(WAITING, WOKEN))) {
      device.wakeup();
    }
    if (!running && (thread == null || !thread.isAlive())) {
      rejectPendingCalls(); // closed while this was being added: nobody will run it
    }
  }

  /**
   * Ends a wait in {@link #awaitWork} now, or the next one early: for a caller driving the stack
   * that has work of its own to run (an event loop's tasks). Any thread.
   */
  public void wakeup() {
    device.wakeup();
  }

  /**
   * Computes {@code work} on the stack thread and completes the future with its result.
   *
   * @param <T> the result type
   * @param work what to compute on the stack thread; not null
   * @return a future completed with the result, or exceptionally with what {@code work} threw, or
   *     with a {@link RejectedExecutionException} if the runtime closes before it runs
   * @throws NullPointerException if {@code work} is null
   * @throws RejectedExecutionException once the runtime is closed
   */
  public <T> CompletableFuture<T> call(Supplier<T> work) {
    Call<T> call = new Call<>(Objects.requireNonNull(work, "work"));
    execute(call);
    return call.result;
  }

  /** Stops the loop, closes the device and releases the stack. Idempotent; any thread but the loop's. */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    running = false;
    device.wakeup();
    boolean stopped = join();
    if (stopped) {
      // The loop is gone, so this thread may use the stack: abort what is still open while the
      // device can carry the resets to the peers (RFC 9293 §3.10.5), as Linux does for a process
      // that exits.
      stack.close();
    }
    if (transmitter != null) {
      transmitter.close(); // writes what is queued (the resets), then stops
    }
    try {
      device.close(); // also ends a loop still blocked in the device
    } catch (IOException e) {
      log.warn("closing {} failed: {}", device, e.toString());
    }
    rejectPendingCalls();
    if (stopped || join()) {
      stack.close(); // idempotent
      rx.release();
    } else {
      // Releasing buffers the loop may still touch would corrupt memory; leaking them is the lesser evil.
      log.error("the stack loop did not stop within {} ms; its buffers are not released", STOP_TIMEOUT_MS);
    }
    terminated.countDown();
    log.debug("stack stopped; counters: {}", stack.counters());
  }

  private boolean join() {
    if (thread == null) {
      return true; // driven from outside: the caller stopped calling doWork before close
    }
    try {
      thread.join(STOP_TIMEOUT_MS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return !thread.isAlive();
  }

  private void loop() {
    try {
      while (running) {
        int work = doWork();
        if (work < 0) {
          break; // device closed
        }
        if (work > 0 || !tasks.isEmpty()) {
          // Work begets work: what this turn sent is often answered before the next read (the
          // kernel processes a packet written to TUN, and queues its ACK, within the write). Only a
          // turn that found nothing sleeps — a poll(2) saved per turn while traffic flows.
          continue;
        }
        awaitWork();
      }
    } catch (IOException e) {
      if (running) {
        failure = e;
        log.error("the device failed; the stack stops: {}", e.toString());
      }
    } catch (OutOfMemoryError e) {
      failure = e; // a limit, not a bug: one line (the launcher says what to raise)
      log.error("the stack loop stopped: out of memory ({})", e.getMessage());
    } catch (RuntimeException | Error e) {
      failure = e;
      log.error("the stack loop failed", e);
    } finally {
      running = false;
      rejectPendingCalls();
      terminated.countDown();
    }
  }

  /**
   * One turn of the loop, for a caller that drives the stack itself (see {@link #open}): runs the
   * tasks handed over, reads the clock once, reads up to {@link #RX_BATCH} packets and gives each
   * to the stack, runs due timers, and delivers the events all of that raised. The calling thread
   * becomes the stack thread. Returns the amount of work done (tasks + packets), or -1 once the
   * device is closed.
   *
   * @return the number of tasks run and packets received, or -1 once the device is closed
   * @throws IOException if the device fails
   */
  public int doWork() throws IOException {
    if (driver == null) {
      driver = Thread.currentThread();
    }
    int work = runTasks();
    // Read the clock after the tasks: what they sent (stamped with nowNs() as they ran) must
    // not look younger than the packets this turn reads, or an RTT sample would be negative.
    long nowNs = clock.getAsLong();
    int packets = receiveBatch(nowNs);
    if (packets < 0) {
      return -1;
    }
    try {
      stack.poll(nowNs);
    } catch (RuntimeException e) {
      loopError(e);
    }
    return work + packets;
  }

  /**
   * Waits on the device until a packet arrives, a task is handed over ({@link #execute} wakes it),
   * or the stack's next deadline; for a caller driving the stack with {@link #doWork()}.
   *
   * @throws IOException if the device fails
   */
  public void awaitWork() throws IOException {
    awaitWork(Long.MAX_VALUE);
  }

  /**
   * As {@link #awaitWork()}, waiting at most {@code maxWaitNs}: for a caller with deadlines of its
   * own (an event loop's scheduled tasks: the Netty transport's {@code TcpStackEventLoop}).
   *
   * @param maxWaitNs the most nanoseconds to wait; 0 or less returns at once; {@link
   *     Long#MAX_VALUE} waits as {@link #awaitWork()} does
   * @throws IOException if the device fails
   */
  public void awaitWork(long maxWaitNs) throws IOException {
    long deadline = stack.pollAt();
    long timeoutNs = Math.min(maxWaitNs, deadline == Long.MAX_VALUE ? Long.MAX_VALUE : deadline - clock.getAsLong());
    if (timeoutNs <= 0 || !running) {
      return;
    }
    wake.set(WAITING); // before the last look at the queue: a task added after it wakes the device
    try {
      if (tasks.isEmpty()) {
        device.await(timeoutNs);
      }
    } finally {
      // The caller runs the queue next (doWork), so tasks added from now on need no wake-up. A
      // wake-up sent meanwhile is left on the device and ends the next wait early, once: harmless.
      wake.set(AWAKE);
    }
  }

  private int receiveBatch(long nowNs) throws IOException {
    stack.beginBatch();
    try {
      return receivePackets(nowNs);
    } finally {
      try {
        stack.endBatch();
      } catch (RuntimeException e) {
        loopError(e);
      }
    }
  }

  private int receivePackets(long nowNs) throws IOException {
    int packets = 0;
    while (packets < RX_BATCH) {
      rx.clear();
      int n = device.receive(rx);
      if (n < 0) {
        return -1;
      }
      if (n == 0) {
        break;
      }
      packets++;
      try {
        stack.receive(rx, device.receivedOffload(), nowNs);
      } catch (RuntimeException e) {
        loopError(e);
      }
    }
    return packets;
  }

  private int runTasks() {
    int n = 0;
    Runnable task;
    while ((task = tasks.poll()) != null) {
      n++;
      try {
        task.run();
      } catch (RuntimeException e) {
        loopError(e);
      }
    }
    if (n > 0) {
      stack.advance(clock.getAsLong());
      try {
        stack.deliverEvents(); // what the tasks' calls raised (a close, an abort)
      } catch (RuntimeException e) {
        loopError(e);
      }
    }
    return n;
  }

  /**
   * Once the loop has stopped, no task will run: a thread waiting in {@link #call} gets {@link
   * RejectedExecutionException} at once instead of waiting forever.
   */
  private void rejectPendingCalls() {
    Runnable task;
    while ((task = tasks.poll()) != null) {
      if (task instanceof Call) {
        ((Call<?>) task).result.completeExceptionally(new RejectedExecutionException("the stack runtime is closed"));
      }
    }
  }

  /** A task whose caller waits for its result. */
  private static final class Call<T> implements Runnable {
    final CompletableFuture<T> result = new CompletableFuture<>();
    final Supplier<T> work;

    Call(Supplier<T> work) {
      this.work = work;
    }

    @Override
    public void run() {
      try {
        result.complete(work.get());
      } catch (RuntimeException e) {
        result.completeExceptionally(e);
      }
    }
  }

  private void transmit(ByteBuf packet, int offload) {
    if (transmitter != null) {
      if (offload == Offload.NONE && transmitter.fits(packet.readableBytes())) {
        transmitter.offer(packet);
        return;
      }
      transmitter.drain(); // keep the order: what is queued goes first
    }
    try {
      device.transmit(packet, offload);
    } catch (IOException e) {
      stack.counters().increment(StackCounter.DEVICE_TX_ERRORS);
      if (running) {
        log.debug("transmit failed: {}", e.toString());
      }
    }
  }

  private void loopError(RuntimeException e) {
    CounterSet<StackCounter> counters = stack.counters();
    counters.increment(StackCounter.LOOP_ERRORS);
    long n = counters.get(StackCounter.LOOP_ERRORS);
    if (Long.bitCount(n) == 1) { // 1st, 2nd, 4th, 8th...: visible without flooding the log
      log.warn("unexpected exception in the stack loop (#{}); the packet or task was dropped", n, e);
    }
  }

  @Override
  public String toString() {
    return "StackRuntime[" + stack.config() + " over " + device + "]";
  }
}
