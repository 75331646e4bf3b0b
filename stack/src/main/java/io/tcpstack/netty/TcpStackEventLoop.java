package io.tcpstack.netty;

import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelPromise;
import io.netty.channel.SingleThreadEventLoop;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.tcpstack.NetworkStack;
import io.tcpstack.StackConfig;
import io.tcpstack.device.Device;
import io.tcpstack.runtime.StackRuntime;
import io.tcpstack.stats.StackCounter;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ThreadFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A Netty event loop whose thread is the stack thread: its {@link #run()} is the stack loop of a
 * {@link StackRuntime} opened without a thread of its own ({@link StackRuntime#open}), with Netty's
 * tasks run in the same turn. So the stack's events reach the channels' pipelines on the thread
 * they run on, and a channel's reads and writes are calls into the stack with no hand-off.
 *
 * <p>One turn: {@link StackRuntime#doWork()} (the runtime's tasks, up to 64 packets from the
 * device, due timers, and the events all of that raised — which is where {@link
 * TcpStackSocketChannel}s read and {@code channelRead} runs); then Netty's tasks and due scheduled
 * tasks, and the events their calls into the stack raised; then, if neither found work, a wait on
 * the device until a packet, a wake-up (a task handed over from another thread) or the earlier of
 * the stack's next deadline and Netty's next scheduled task.
 *
 * <p>The stack is single-threaded, so there is one such loop per stack: it is its own {@link
 * io.netty.channel.EventLoopGroup} ({@code new ServerBootstrap().group(loop)}). It runs only the
 * stack's channels, and the stack's channels run only on it: registering either elsewhere fails
 * with a message that says so. The loop owns the runtime: shutting the loop down closes the
 * channels, then the runtime and its device.
 */
public final class TcpStackEventLoop extends SingleThreadEventLoop {

  private static final Logger log = LoggerFactory.getLogger(TcpStackEventLoop.class);

  private final StackRuntime runtime;
  /** The channels registered here, for closing them at shutdown; event loop thread only. */
  private final Set<Channel> channels = new LinkedHashSet<>();

  /**
   * A loop driving {@code runtime}, which must have been opened with {@link StackRuntime#open}
   * (nothing else may drive it) on a clock in {@link System#nanoTime()} terms, as Netty's scheduled
   * tasks are. The loop's thread starts at once: a daemon thread named {@code tcpstack-netty-...}.
   *
   * @param runtime the runtime to drive, not null; the loop owns it from now on and closes it at
   *     shutdown
   * @throws NullPointerException if {@code runtime} is null
   */
  public TcpStackEventLoop(StackRuntime runtime) {
    this(runtime, new DefaultThreadFactory("tcpstack-netty", true));
  }

  /**
   * As {@link #TcpStackEventLoop(StackRuntime)}, with the loop's thread made by {@code
   * threadFactory}.
   *
   * @param runtime the runtime to drive, not null; the loop owns it from now on and closes it at
   *     shutdown
   * @param threadFactory makes the loop's thread (the stack thread), not null
   * @throws NullPointerException if {@code runtime} or {@code threadFactory} is null
   */
  public TcpStackEventLoop(StackRuntime runtime, ThreadFactory threadFactory) {
    // No parent group: the loop is its own group. addTaskWakesUp = false: wakeup() wakes the device.
    super(null, threadFactory, false);
    this.runtime = Objects.requireNonNull(runtime, "runtime");
    execute(() -> {}); // the thread starts now: the stack answers (ICMP echo, RSTs) before any channel exists
  }

  /**
   * A stack over {@code device} with a loop to drive it: {@code StackRuntime.open(config, device,
   * System::nanoTime)} and {@code new TcpStackEventLoop(runtime)}.
   *
   * @param config the stack's configuration, not null
   * @param device the link, not null, with the MTU of {@code config}; the loop owns it from now on
   * @return the loop, its thread started
   * @throws IllegalArgumentException if the device's MTU differs from the configuration's
   */
  public static TcpStackEventLoop open(StackConfig config, Device device) {
    return new TcpStackEventLoop(StackRuntime.open(config, device, System::nanoTime));
  }

  /**
   * The runtime this loop drives: its counters, its config; its stack only on this loop's thread.
   *
   * @return the runtime, never null
   */
  public StackRuntime runtime() {
    return runtime;
  }

  NetworkStack stack() {
    return runtime.stack();
  }

  @Override
  public ChannelFuture register(ChannelPromise promise) {
    return refused(promise.channel(), promise) ? promise : super.register(promise);
  }

  @Deprecated
  @Override
  public ChannelFuture register(Channel channel, ChannelPromise promise) {
    return refused(channel, promise) ? promise : super.register(channel, promise);
  }

  private static boolean refused(Channel channel, ChannelPromise promise) {
    if (channel instanceof TcpStackSocketChannel || channel instanceof TcpStackServerChannel) {
      return false;
    }
    promise.setFailure(new IllegalStateException("a TcpStackEventLoop runs only the stack's channels"
        + " (TcpStackServerChannel, TcpStackSocketChannel), not " + channel.getClass().getSimpleName()
        + ": give other channels an event loop group of their own"));
    return true;
  }

  void registered(Channel channel) {
    channels.add(channel);
  }

  void deregistered(Channel channel) {
    channels.remove(channel);
  }

  @Override
  protected void run() {
    for (;;) {
      int work;
      try {
        work = runtime.doWork();
      } catch (IOException e) {
        log.error("the device failed; the stack and its event loop stop: {}", e.toString());
        work = -1;
      }
      if (work < 0) {
        // The device is closed (or failed): nothing more will arrive. Close the channels and end.
        shutdownGracefully(0, 0, java.util.concurrent.TimeUnit.MILLISECONDS);
      }
      boolean ran = runNettyTasks();
      if (isShuttingDown()) {
        closeAll();
        if (confirmShutdown()) {
          return;
        }
        continue; // confirmShutdown paced the quiet period; the stack goes on meanwhile (FINs, ACKs)
      }
      if (work == 0 && !ran && !hasTasks()) {
        try {
          runtime.awaitWork(nextScheduledTaskDelay());
        } catch (IOException e) {
          log.error("waiting on the device failed; the stack and its event loop stop: {}", e.toString());
          shutdownGracefully(0, 0, java.util.concurrent.TimeUnit.MILLISECONDS);
        }
      }
    }
  }

  /**
   * Netty's tasks and due scheduled tasks, then the stack's events their calls raised (a write that
   * freed nothing, a close, a connect). Returns whether any ran.
   */
  private boolean runNettyTasks() {
    NetworkStack stack = runtime.stack();
    stack.advance(runtime.nowNs()); // the time the tasks' calls into the stack are made at
    boolean ran = runAllTasks();
    if (ran) {
      try {
        stack.deliverEvents();
      } catch (RuntimeException e) {
        stack.counters().increment(StackCounter.LOOP_ERRORS);
        log.warn("unexpected exception delivering the stack's events", e);
      }
    }
    return ran;
  }

  private long nextScheduledTaskDelay() {
    long delay = nextScheduledTaskNano();
    return delay < 0 ? Long.MAX_VALUE : delay;
  }

  private void closeAll() {
    for (Channel c : new ArrayList<>(channels)) {
      c.unsafe().close(c.unsafe().voidPromise());
    }
  }

  @Override
  protected void wakeup(boolean inEventLoop) {
    if (!inEventLoop) {
      runtime.wakeup();
    }
  }

  /** After the loop's last turn, on its thread: the runtime aborts what is still open and closes the device. */
  @Override
  protected void cleanup() {
    runtime.close();
  }

  @Override
  public String toString() {
    return "TcpStackEventLoop[" + runtime + "]";
  }
}
