package io.tcpstack;

import io.tcpstack.tcp.DeadlineHeap;

/**
 * A task that runs on the stack thread when the stack's clock reaches a deadline: what an
 * event-driven application uses for its own timeouts (an idle connection, a linger time) without a
 * thread of its own. Made by {@link NetworkStack#timer}; filed in the same kind of heap the TCP
 * layer uses, so re-arming is O(log n), the stack's next deadline stays O(1), and a timer that is
 * not armed costs nothing. Re-arm it as often as you like: nothing is allocated. Stack thread only.
 */
public final class StackTimer extends DeadlineHeap.Entry {

  private final NetworkStack stack;
  final Runnable task;

  StackTimer(NetworkStack stack, Runnable task) {
    this.stack = stack;
    this.task = task;
  }

  /**
   * Runs the task once, in the first {@link NetworkStack#poll} at or after {@code deadlineNs} (the
   * stack's clock); replaces any earlier arming. {@link DeadlineHeap#NEVER} cancels.
   *
   * @param deadlineNs when to run, in nanoseconds on the stack's clock (that of {@link
   *     NetworkStack#nowNs()}); a time already past runs it in the next poll
   */
  public void schedule(long deadlineNs) {
    stack.timers().schedule(this, deadlineNs);
  }

  /** The task will not run (until scheduled again). Idempotent. */
  public void cancel() {
    stack.timers().cancel(this);
  }
}
