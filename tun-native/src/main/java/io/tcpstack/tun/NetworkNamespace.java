package io.tcpstack.tun;

import static io.tcpstack.tun.LinuxConstants.CLONE_NEWNET;
import static io.tcpstack.tun.LinuxConstants.O_CLOEXEC;
import static io.tcpstack.tun.LinuxConstants.O_RDONLY;

import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs a task inside a network namespace, on a short-lived dedicated platform thread.
 *
 * <p>setns(2) with CLONE_NEWNET moves only the calling thread, and a TUN device is created in the
 * namespace of the thread that calls TUNSETIFF; sockets belong to the namespace they were created
 * in. So the thread enters the namespace, the task opens its file descriptors there (they keep
 * working from any thread afterwards), the thread goes back and ends. No thread of the caller's ever
 * changes namespace, and nothing is created in the caller's namespace first.
 */
final class NetworkNamespace {

  private static final Logger LOG = LoggerFactory.getLogger(NetworkNamespace.class);
  private static final String THREAD_SELF_NETNS = "/proc/thread-self/ns/net";

  /** A task that opens things in the namespace. */
  interface Task<T> {
    T run() throws TunException;
  }

  static <T> T callIn(Path netns, Task<T> task) throws TunException {
    Object[] outcome = new Object[1]; // the result, or the Throwable; published by Thread.join
    Thread thread = new Thread(() -> {
      try {
        outcome[0] = enterAndRun(netns, task);
      } catch (Throwable t) {
        outcome[0] = t;
      }
    }, "tun-netns-" + netns.getFileName());
    thread.setDaemon(true);
    thread.start();
    joinUninterruptibly(thread);
    if (outcome[0] instanceof TunException e) {
      throw e;
    }
    if (outcome[0] instanceof RuntimeException e) {
      throw e;
    }
    if (outcome[0] instanceof Error e) {
      throw e;
    }
    @SuppressWarnings("unchecked")
    T result = (T) outcome[0];
    return result;
  }

  private static <T> T enterAndRun(Path netns, Task<T> task) throws TunException {
    LibC libc = Native.libc();
    int home = libc.open(THREAD_SELF_NETNS, O_RDONLY | O_CLOEXEC);
    if (home < 0) {
      int errno = Native.errno();
      throw new TunException(TunException.Reason.NAMESPACE, errno, "cannot open " + THREAD_SELF_NETNS
          + ": " + Errno.describe(errno) + ". It needs Linux 3.17 or later with /proc mounted.");
    }
    try {
      int target = libc.open(netns.toString(), O_RDONLY | O_CLOEXEC);
      if (target < 0) {
        throw Diagnosis.openNamespace(netns, Native.errno());
      }
      try {
        if (libc.setns(target, CLONE_NEWNET) != 0) {
          throw Diagnosis.enterNamespace(netns, Native.errno());
        }
        try {
          return task.run();
        } finally {
          // The thread ends right after; going back keeps it honest should that ever change.
          if (libc.setns(home, CLONE_NEWNET) != 0) {
            LOG.warn("could not return from network namespace {}: {}", netns, Errno.describe(Native.errno()));
          }
        }
      } finally {
        libc.close(target);
      }
    } finally {
      libc.close(home);
    }
  }

  private static void joinUninterruptibly(Thread thread) {
    boolean interrupted = false;
    while (true) {
      try {
        thread.join();
        break;
      } catch (InterruptedException e) {
        // The thread is short-lived; leaving early would leak the device it may be opening.
        interrupted = true;
      }
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }

  private NetworkNamespace() {}
}
