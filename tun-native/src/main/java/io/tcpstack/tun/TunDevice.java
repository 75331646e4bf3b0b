package io.tcpstack.tun;

import static io.tcpstack.tun.LinuxConstants.AF_INET;
import static io.tcpstack.tun.LinuxConstants.EFD_CLOEXEC;
import static io.tcpstack.tun.LinuxConstants.EFD_NONBLOCK;
import static io.tcpstack.tun.LinuxConstants.IFF_NO_PI;
import static io.tcpstack.tun.LinuxConstants.IFF_TUN;
import static io.tcpstack.tun.LinuxConstants.IFF_VNET_HDR;
import static io.tcpstack.tun.LinuxConstants.O_CLOEXEC;
import static io.tcpstack.tun.LinuxConstants.O_NONBLOCK;
import static io.tcpstack.tun.LinuxConstants.O_RDWR;
import static io.tcpstack.tun.LinuxConstants.POLLERR;
import static io.tcpstack.tun.LinuxConstants.POLLHUP;
import static io.tcpstack.tun.LinuxConstants.POLLIN;
import static io.tcpstack.tun.LinuxConstants.POLLNVAL;
import static io.tcpstack.tun.LinuxConstants.SOCK_CLOEXEC;
import static io.tcpstack.tun.LinuxConstants.SOCK_DGRAM;
import static io.tcpstack.tun.LinuxConstants.TUNSETIFF;
import static io.tcpstack.tun.LinuxConstants.TUNSETOFFLOAD;
import static io.tcpstack.tun.LinuxConstants.TUNSETVNETHDRSZ;
import static io.tcpstack.tun.LinuxConstants.TUNSETVNETLE;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.tcpstack.tun.TunException.Reason;
import java.io.Closeable;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import jnr.ffi.Memory;
import jnr.ffi.Pointer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An open Linux TUN device: IPv4 and IPv6 packets to and from the kernel, one packet per read or
 * write, with no packet-information header ({@code IFF_TUN | IFF_NO_PI}; see the kernel's
 * Documentation/networking/tuntap.rst). Opened with {@link #builder()}.
 *
 * <p>Guarantees:
 * <ul>
 *   <li>{@link #read} and {@link #write} never block: the file descriptor is non-blocking, and
 *       {@link #await} is the only call that waits. Neither allocates when the buffer has a memory
 *       address (Netty's direct buffers with Unsafe).
 *   <li>{@link #close} returns promptly from any thread, even while another thread waits in
 *       {@link #await}: it wakes the waiter through an eventfd, waits until no thread is inside
 *       read, write or await, then closes the descriptors. A blocking read on a TUN descriptor
 *       would not be woken by close(2); that is why this class polls.
 *   <li>A device this opened disappears when closed; a persistent device it attached to (made with
 *       {@code ip tuntap add}) stays, as the administrator left it plus what the builder set.
 * </ul>
 *
 * <p>Optionally (off by default; {@link Builder#vnetHeader(boolean)}, {@link Builder#offloads(int)})
 * the device is opened with {@code IFF_VNET_HDR}: then every packet read starts with a {@link
 * VirtioNetHeader} of {@link #vnetHeaderSize()} bytes and every packet written must start with
 * one. Read and write do not add, strip or interpret it: they move the bytes as they are, so with
 * {@code vnetHeaderSize() > 0} the caller sees the header at the front of each packet and puts one
 * (e.g. ten zero bytes, {@link VirtioNetHeader#clear()}) in front of each packet it writes.
 *
 * <p>Threads: {@link #write} and {@link #wakeup} may be called from any thread concurrently;
 * {@link #await} by one thread at a time (it shares the preallocated pollfd array); {@link #read}
 * by one thread at a time, normally the one that awaits.
 */
public final class TunDevice implements Closeable {

  static final String NAME_RULES = "A device name is 1 to 15 bytes (UTF-8) without '/', ':',"
      + " whitespace or control characters, and is not \".\" or \"..\"; it may contain one %d for"
      + " the kernel to fill in (tcps%d becomes tcps0, tcps1, ...).";

  private static final Logger LOG = LoggerFactory.getLogger(TunDevice.class);

  // state: bit 0 = closed; the rest counts threads inside read/write/await/wakeup.
  private static final int CLOSED = 1;
  private static final int ONE_CALL = 2;

  // struct pollfd { int fd; short events; short revents; } (poll(2)); [0] the TUN fd, [1] the eventfd.
  private static final int POLLFD_SIZE = 8;
  private static final int TUN_POLLFD = 0;
  private static final int EVENT_POLLFD = POLLFD_SIZE;
  private static final int REVENTS_OFFSET = 6;

  private final LibC libc;
  private final String name;
  private final int mtu;
  private final int vnetHeaderSize;
  private final int offloads;
  private final int maxPacketSize;
  private final int tunFd;
  private final int eventFd;
  // Kept open for interface queries in the device's namespace, which need not be the caller's.
  private final int controlFd;
  /** Whether the device has the host IPv6 address asked for ({@link Builder#hostAddress6}); set once at open. */
  private boolean hostAddress6;
  // Native memory allocated once per device (jnr frees it when these Pointers are collected).
  private final Pointer pollFds;
  private final Pointer eventOne;
  private final Pointer eventDrain;
  /** Two {@code struct iovec} for {@link #write(ByteBuf, ByteBuf)}; guarded by itself. */
  private final Pointer iovecs;

  private final AtomicInteger state = new AtomicInteger();
  private final Object closeLock = new Object();
  private boolean closing; // guarded by closeLock
  private boolean closed; // guarded by closeLock

  private TunDevice(LibC libc, String name, int mtu, Negotiated vnet, int tunFd, int eventFd, int controlFd) {
    this.libc = libc;
    this.name = name;
    this.mtu = mtu;
    this.vnetHeaderSize = vnet.headerSize;
    this.offloads = vnet.offloads;
    this.maxPacketSize = vnet.headerSize == 0 ? mtu
        : (vnet.offloads & ~TUN_F_CSUM) != 0 ? vnet.headerSize + MAX_GSO_PACKET : vnet.headerSize + mtu;
    this.tunFd = tunFd;
    this.eventFd = eventFd;
    this.controlFd = controlFd;
    jnr.ffi.Runtime runtime = Native.runtime();
    this.pollFds = Memory.allocateDirect(runtime, 2 * POLLFD_SIZE, true);
    pollFds.putInt(TUN_POLLFD, tunFd);
    pollFds.putShort(TUN_POLLFD + 4, POLLIN);
    pollFds.putInt(EVENT_POLLFD, eventFd);
    pollFds.putShort(EVENT_POLLFD + 4, POLLIN);
    this.eventOne = Memory.allocateDirect(runtime, 8, true);
    eventOne.putLong(0, 1); // eventfd(2): a write adds this 8-byte counter value
    this.eventDrain = Memory.allocateDirect(runtime, 8, true);
    this.iovecs = Memory.allocateDirect(runtime, 2 * IOVEC_SIZE, true);
  }

  // struct iovec { void *iov_base; size_t iov_len; } (writev(2)) on a 64-bit host.
  private static final int IOVEC_SIZE = 16;

  /**
   * {@code TUN_F_CSUM} ({@code <linux/if_tun.h>}): the stack takes packets with partial checksums.
   */
  public static final int TUN_F_CSUM = 0x01;

  /**
   * {@code TUN_F_TSO4} ({@code <linux/if_tun.h>}): the stack takes TCP/IPv4 super-packets; needs
   * CSUM.
   */
  public static final int TUN_F_TSO4 = 0x02;

  /**
   * {@code TUN_F_TSO6} ({@code <linux/if_tun.h>}): the stack takes TCP/IPv6 super-packets; needs
   * CSUM.
   */
  public static final int TUN_F_TSO6 = 0x04;

  /**
   * The largest IP packet a TSO offload can hand over: a 65535-byte IPv6 payload (payload length
   * is 16 bits) plus its 40-byte header; an IPv4 super-packet is at most 65535 bytes in all.
   */
  static final int MAX_GSO_PACKET = 65535 + 40;

  /** What {@code openHere} got from the kernel: header size and offload flags in force. */
  private record Negotiated(int headerSize, int offloads) {
    static final Negotiated NONE = new Negotiated(0, 0);
  }

  /**
   * Starts the options for opening a device; {@link Builder#open()} opens it.
   *
   * @return a new builder with every option at its default
   */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * The device's name: the one asked for, or the one the kernel picked.
   *
   * @return the interface name, e.g. {@code tun0}
   */
  public String name() {
    return name;
  }

  /**
   * Whether the device carries the host IPv6 address the builder asked for: false when none was
   * asked for, or when it was optional ({@link Builder#hostAddress6Optional}) and this process may
   * not set it.
   *
   * @return true if the IPv6 address from {@link Builder#hostAddress6} is on the device
   */
  public boolean hasHostAddress6() {
    return hostAddress6;
  }

  /**
   * The device's MTU as read back from the kernel when it was opened.
   *
   * @return the MTU in bytes: the largest IP packet, without any virtio-net header
   */
  public int mtu() {
    return mtu;
  }

  /**
   * The size of the virtio-net header in front of every packet read and written: {@link
   * VirtioNetHeader#LENGTH} (10) if {@link Builder#vnetHeader(boolean) asked for} and the kernel
   * agreed, else 0 (plain IP packets).
   *
   * @return the header size in bytes, 10 or 0
   */
  public int vnetHeaderSize() {
    return vnetHeaderSize;
  }

  /**
   * The TUN_F_* offload flags in force (TUNSETOFFLOAD); 0 without a virtio-net header.
   *
   * @return {@link #TUN_F_CSUM}, {@link #TUN_F_TSO4}, {@link #TUN_F_TSO6} (or newer flags) or-ed
   */
  public int offloads() {
    return offloads;
  }

  /**
   * The most bytes one {@link #read} can return, header included: {@link #mtu()} for a plain
   * device; {@code vnetHeaderSize() + mtu()} with a header and at most {@link #TUN_F_CSUM};
   * {@code vnetHeaderSize() + 65575} with a segmentation offload (TSO super-packets).
   *
   * @return the size in bytes a buffer passed to {@link #read} must have room for
   */
  public int maxPacketSize() {
    return maxPacketSize;
  }

  /**
   * Whether {@link #close} has not been called yet.
   *
   * @return true until this device is closed
   */
  public boolean isOpen() {
    return (state.get() & CLOSED) == 0;
  }

  /**
   * Reads one packet if one is waiting, into {@code dst} at its writer index, and advances the
   * writer index by the packet's length.
   *
   * @param dst a direct buffer with at least {@link #maxPacketSize()} writable bytes ({@link #mtu()}
   *     for a device without a virtio-net header)
   * @return the packet's length; 0 if no packet is waiting; -1 if this device is closed
   * @throws IllegalArgumentException if {@code dst} is not direct or has too little room
   * @throws TunException DETACHED if the device was deleted; OTHER on any other failure
   */
  public int read(ByteBuf dst) throws TunException {
    if (!dst.isDirect() || dst.writableBytes() < maxPacketSize
        || !(dst.hasMemoryAddress() || dst.nioBufferCount() == 1)) {
      throw new IllegalArgumentException(vnetHeaderSize == 0
          ? "dst must be a direct, contiguous buffer with at least mtu() = " + mtu
              + " writable bytes (e.g. alloc.directBuffer(mtu())), got " + dst
          : "dst must be a direct, contiguous buffer with at least maxPacketSize() = " + maxPacketSize
              + " writable bytes (e.g. alloc.directBuffer(maxPacketSize())), got " + dst);
    }
    if (!enter()) {
      return -1;
    }
    try {
      int writerIndex = dst.writerIndex();
      int room = dst.writableBytes();
      long n = dst.hasMemoryAddress()
          ? libc.read(tunFd, dst.memoryAddress() + writerIndex, room)
          : libc.read(tunFd, dst.nioBuffer(writerIndex, room), room);
      if (n < 0) {
        int errno = Native.errno();
        if (errno == Errno.EAGAIN || errno == Errno.EINTR) {
          return 0;
        }
        throw failure("read from", errno);
      }
      if (n > room) {
        // tun_put_user() returns the packet's full length even when it copied less.
        throw new TunException(Reason.OTHER, 0, "a " + n + "-byte packet from " + name
            + " was truncated to the buffer's " + room + " writable bytes and dropped: the device's"
            + " MTU was raised above " + mtu + " after it was opened. Reopen the device.");
        // (With a virtio-net header the limit is maxPacketSize(); the same advice holds.)
      }
      dst.writerIndex(writerIndex + (int) n);
      return (int) n;
    } finally {
      exit();
    }
  }

  /**
   * Writes {@code src}'s readable bytes as one packet. Does not change {@code src}'s indices and
   * does not release it. With {@link #vnetHeaderSize()} &gt; 0 the readable bytes must start with
   * a virtio-net header (ten zero bytes for a finished packet).
   *
   * @param src the packet (an IPv4 or IPv6 packet, after the header if any) in its readable bytes;
   *     any kind of buffer, a direct one with a memory address being the fast path
   * @throws TunException CLOSED if this device is closed; DETACHED if it was deleted; OTHER if the
   *     kernel refused the packet (e.g. EINVAL: not IPv4 or IPv6)
   */
  public void write(ByteBuf src) throws TunException {
    if (!enter()) {
      throw new TunException(Reason.CLOSED, 0, "TUN device " + name + " is closed");
    }
    try {
      int length = src.readableBytes();
      long n;
      if (src.hasMemoryAddress()) {
        n = libc.write(tunFd, src.memoryAddress() + src.readerIndex(), length);
      } else if (src.nioBufferCount() == 1) {
        n = libc.write(tunFd, src.nioBuffer(), length); // heap or direct without Unsafe: slow path
      } else {
        n = libc.write(tunFd, ByteBuffer.wrap(ByteBufUtil.getBytes(src)), length); // composite
      }
      if (n < 0) {
        throw failure("write to", Native.errno());
      }
      if (n != length) {
        throw new TunException(Reason.OTHER, 0,
            "short write to TUN device " + name + ": " + n + " of " + length + " bytes");
      }
    } finally {
      exit();
    }
  }

  /**
   * Writes {@code header}'s readable bytes followed by {@code packet}'s as one packet with one
   * writev(2): the virtio-net header in front of a packet that was built without room for it, with
   * no copy. Neither buffer's indices change. Both must be direct buffers with a memory address.
   *
   * @param header the virtio-net header in its readable bytes, {@link #vnetHeaderSize()} of them
   * @param packet the IPv4 or IPv6 packet in its readable bytes
   * @throws IllegalArgumentException if either buffer has no memory address
   * @throws TunException as {@link #write(ByteBuf)}
   */
  public void write(ByteBuf header, ByteBuf packet) throws TunException {
    if (!header.hasMemoryAddress() || !packet.hasMemoryAddress()) {
      throw new IllegalArgumentException("write(header, packet) needs direct buffers with a memory address"
          + " (Netty's pooled or unpooled direct buffers with Unsafe); use write(ByteBuf) otherwise");
    }
    if (!enter()) {
      throw new TunException(Reason.CLOSED, 0, "TUN device " + name + " is closed");
    }
    try {
      int headerLength = header.readableBytes();
      int packetLength = packet.readableBytes();
      long n;
      synchronized (iovecs) {
        iovecs.putLong(0, header.memoryAddress() + header.readerIndex());
        iovecs.putLong(8, headerLength);
        iovecs.putLong(IOVEC_SIZE, packet.memoryAddress() + packet.readerIndex());
        iovecs.putLong(IOVEC_SIZE + 8, packetLength);
        n = libc.writev(tunFd, iovecs.address(), 2);
      }
      if (n < 0) {
        throw failure("write to", Native.errno());
      }
      if (n != headerLength + packetLength) {
        throw new TunException(Reason.OTHER, 0, "short write to TUN device " + name + ": " + n + " of "
            + (headerLength + packetLength) + " bytes");
      }
    } finally {
      exit();
    }
  }

  /**
   * Waits until a packet can be read, {@link #wakeup()} is called, or the timeout passes.
   *
   * @param timeoutNanos how long to wait, rounded up to milliseconds; {@code <= 0}: do not block;
   *     {@link Long#MAX_VALUE}: wait without limit
   * @return true if a packet is waiting; false on timeout, on wakeup with no packet waiting, on
   *     EINTR, or if the device is closed. Each {@link #wakeup()} ends at most one await early.
   * @throws TunException DETACHED if the device was deleted; OTHER if poll(2) fails
   */
  public boolean await(long timeoutNanos) throws TunException {
    if (!enter()) {
      return false;
    }
    try {
      int n = libc.poll(pollFds.address(), 2, timeoutMillis(timeoutNanos));
      if (n < 0) {
        int errno = Native.errno();
        if (errno == Errno.EINTR) {
          return false;
        }
        throw failure("poll", errno);
      }
      if (n == 0) {
        return false;
      }
      if ((pollFds.getShort(EVENT_POLLFD + REVENTS_OFFSET) & POLLIN) != 0) {
        libc.read(eventFd, eventDrain.address(), 8); // resets the counter; EAGAIN if another drained it
      }
      if ((state.get() & CLOSED) != 0) {
        signal(); // pass close()'s wake-up on, should another thread be waiting too
        return false;
      }
      short tunEvents = pollFds.getShort(TUN_POLLFD + REVENTS_OFFSET);
      if ((tunEvents & (POLLERR | POLLHUP | POLLNVAL)) != 0) {
        // tun_chr_poll() reports EPOLLERR once the device is gone; polling again would spin.
        throw detached();
      }
      return (tunEvents & POLLIN) != 0;
    } finally {
      exit();
    }
  }

  /** Makes a concurrent {@link #await} return promptly, or the next one if none is waiting. */
  public void wakeup() {
    if (!enter()) {
      return;
    }
    try {
      signal();
    } finally {
      exit();
    }
  }

  /**
   * Closes the device: wakes any thread in {@link #await}, waits until no thread is inside read,
   * write or await, then closes the TUN descriptor, the eventfd and the control socket. Idempotent
   * and thread-safe; when it returns (from any caller), the descriptors are closed.
   */
  @Override
  public void close() {
    boolean interrupted = false;
    synchronized (closeLock) {
      while (closing && !closed) {
        interrupted |= waitUninterruptibly();
      }
      if (closed) {
        restoreInterrupt(interrupted);
        return;
      }
      closing = true;
      state.getAndUpdate(s -> s | CLOSED);
      signal();
      // read and write never block, and await was just woken: this wait is short.
      while (state.get() != CLOSED) {
        interrupted |= waitUninterruptibly();
      }
      closeQuietly(libc, tunFd);
      closeQuietly(libc, eventFd);
      closeQuietly(libc, controlFd);
      closed = true;
      closeLock.notifyAll();
    }
    LOG.debug("closed TUN device {}", name);
    restoreInterrupt(interrupted);
  }

  @Override
  public String toString() {
    return "TunDevice[" + name + ", mtu " + mtu
        + (vnetHeaderSize == 0 ? "" : ", vnet header " + vnetHeaderSize + ", offloads 0x" + Integer.toHexString(offloads))
        + (isOpen() ? "" : ", closed") + "]";
  }

  private boolean enter() {
    while (true) {
      int s = state.get();
      if ((s & CLOSED) != 0) {
        return false;
      }
      if (state.compareAndSet(s, s + ONE_CALL)) {
        return true;
      }
    }
  }

  private void exit() {
    if (state.addAndGet(-ONE_CALL) == CLOSED) {
      synchronized (closeLock) {
        closeLock.notifyAll(); // the last call out lets close() proceed
      }
    }
  }

  private void signal() {
    // EAGAIN means the counter is saturated: a wakeup is pending anyway.
    libc.write(eventFd, eventOne.address(), 8);
  }

  private boolean waitUninterruptibly() {
    try {
      closeLock.wait();
      return false;
    } catch (InterruptedException e) {
      return true;
    }
  }

  private static void restoreInterrupt(boolean interrupted) {
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }

  private TunException failure(String operation, int errno) {
    if (errno == Errno.EBADFD) {
      return detached(); // tun_get() found no device behind the file (tun_chr_read_iter, tun_chr_write_iter)
    }
    String hint = errno == Errno.EINVAL && operation.startsWith("write")
        ? " A TUN device without packet information takes only IPv4 or IPv6 packets (first nibble 4 or 6)."
        : "";
    return new TunException(Reason.OTHER, errno,
        operation + " TUN device " + name + " failed: " + Errno.describe(errno) + "." + hint);
  }

  private TunException detached() {
    return new TunException(Reason.DETACHED, Errno.EBADFD, "TUN device " + name + " was deleted"
        + " while open (e.g. ip link del " + name + "): close this TunDevice and open a new one.");
  }

  static int timeoutMillis(long timeoutNanos) {
    if (timeoutNanos <= 0) {
      return 0;
    }
    if (timeoutNanos == Long.MAX_VALUE) {
      return -1; // poll(2): a negative timeout waits without limit
    }
    long millis = TimeUnit.NANOSECONDS.toMillis(timeoutNanos);
    if (TimeUnit.MILLISECONDS.toNanos(millis) < timeoutNanos) {
      millis++; // round up: never wake before the deadline asked for
    }
    return (int) Math.min(millis, Integer.MAX_VALUE);
  }

  private static void closeQuietly(LibC libc, int fd) {
    if (fd >= 0 && libc.close(fd) != 0) {
      LOG.debug("close({}) failed: {}", fd, Errno.describe(Native.errno()));
    }
  }

  /** Opens the device in the calling thread's network namespace. */
  private static TunDevice openHere(Builder spec) throws TunException {
    LibC libc = Native.libc();
    int tunFd = -1;
    int controlFd = -1;
    int eventFd = -1;
    boolean opened = false;
    try {
      tunFd = openClone(libc, spec);
      // Created before TUNSETIFF so that its failure can be diagnosed in the same namespace.
      controlFd = libc.socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
      if (controlFd < 0) {
        throw systemCall("socket(AF_INET, SOCK_DGRAM)", Native.errno());
      }
      IfReq ifr = new IfReq();
      Negotiated vnet = Negotiated.NONE;
      String refusal = null;
      if (spec.vnetHeader) {
        // tuntap.rst: TUNSETIFF creates the device, or attaches to an existing one of that name.
        short flags = (short) (spec.tunFlags() | IFF_VNET_HDR);
        if (libc.ioctl(tunFd, TUNSETIFF, ifr.reset(spec.name).flags(flags).address()) != 0) {
          int errno = Native.errno();
          if (errno != Errno.EINVAL) {
            boolean exists = spec.name != null && Ifconfig.exists(libc, controlFd, ifr, spec.name);
            throw Diagnosis.setIff(spec.name, errno, exists, spec.netns);
          }
          refusal = "TUNSETIFF with IFF_VNET_HDR failed: " + Errno.describe(errno);
        } else {
          refusal = negotiate(libc, tunFd, spec.offloads);
          if (refusal == null) {
            vnet = new Negotiated(VirtioNetHeader.LENGTH, spec.offloads);
          }
        }
        if (refusal != null) {
          // A TUN file cannot drop IFF_VNET_HDR once attached: start again with a fresh one. A
          // device this call created goes with the old descriptor and is created again below.
          closeQuietly(libc, tunFd);
          tunFd = -1;
          tunFd = openClone(libc, spec);
        }
      }
      if (vnet.headerSize == 0) {
        if (libc.ioctl(tunFd, TUNSETIFF, ifr.reset(spec.name).flags(spec.tunFlags()).address()) != 0) {
          int errno = Native.errno();
          boolean exists = spec.name != null && Ifconfig.exists(libc, controlFd, ifr, spec.name);
          throw Diagnosis.setIff(spec.name, errno, exists, spec.netns);
        }
        if (refusal != null) {
          // A persistent device keeps its offload features across attachments: a plain reader
          // must not be handed super-packets or partial checksums it cannot see flagged.
          libc.ioctl(tunFd, TUNSETOFFLOAD, 0);
          LOG.info("TUN device {}: no virtio-net header (asked for one with offloads 0x{}): {}; using"
              + " plain IP packets, vnetHeaderSize() = 0", ifr.name(), Integer.toHexString(spec.offloads), refusal);
        }
      }
      String name = ifr.name(); // the kernel writes back the name it used
      Ifconfig ifconfig = new Ifconfig(libc, controlFd, ifr, spec.prepareCommands(name));
      if (spec.hostAddress != null) {
        ifconfig.ensureAddress(name, spec.hostAddress, spec.prefixLength);
      }
      if (spec.mtu != 0) {
        ifconfig.ensureMtu(name, spec.mtu);
      }
      boolean address6 = false;
      if (spec.hostAddress6 != null) {
        // After the MTU: the kernel keeps IPv6 off a device whose MTU is below 1280 (RFC 8200 §5).
        try {
          ifconfig.ensureAddress6(name, spec.hostAddress6, spec.prefixLength6);
          address6 = true;
        } catch (TunException e) {
          if (!spec.hostAddress6Optional || e.reason() != TunException.Reason.NOT_PERMITTED) {
            throw e;
          }
          LOG.info("{} has no IPv6 address and this process may not give it one: IPv4 only ({})", name,
              e.getMessage());
        }
      }
      if (spec.txQueueLength != 0) {
        ifconfig.ensureTxQueueLength(name, spec.txQueueLength);
      }
      if (spec.up()) {
        ifconfig.ensureUp(name);
      }
      if (spec.loopbackUp) {
        ifconfig.ensureUp("lo");
      }
      int mtu = ifconfig.mtu(name);
      eventFd = libc.eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
      if (eventFd < 0) {
        throw systemCall("eventfd", Native.errno());
      }
      TunDevice device = new TunDevice(libc, name, mtu, vnet, tunFd, eventFd, controlFd);
      device.hostAddress6 = address6;
      opened = true;
      LOG.debug("opened TUN device {} (mtu {}{}{})", name, mtu,
          vnet.headerSize == 0 ? "" : ", vnet header, offloads 0x" + Integer.toHexString(vnet.offloads),
          spec.netns == null ? "" : ", netns " + spec.netns);
      return device;
    } finally {
      if (!opened) {
        closeQuietly(libc, eventFd);
        closeQuietly(libc, controlFd);
        closeQuietly(libc, tunFd); // removes a device we created; a persistent one stays
      }
    }
  }

  private static int openClone(LibC libc, Builder spec) throws TunException {
    // Non-blocking so that read never blocks and close is never stuck behind a read.
    int fd = libc.open(spec.devicePath.toString(), O_RDWR | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
      throw Diagnosis.openDevice(spec.devicePath, Native.errno());
    }
    return fd;
  }

  /**
   * After TUNSETIFF with IFF_VNET_HDR: header byte order (big-endian hosts only), header size,
   * offloads. Returns null if the kernel took all of it, else why not.
   */
  private static String negotiate(LibC libc, int tunFd, int offloads) {
    Pointer arg = Memory.allocateDirect(Native.runtime(), 4, true);
    if (ByteOrder.nativeOrder() == ByteOrder.BIG_ENDIAN) {
      // VirtioNetHeader reads little-endian; the kernel's default is the host's order.
      arg.putInt(0, 1);
      if (libc.ioctl(tunFd, TUNSETVNETLE, arg.address()) != 0) {
        return "TUNSETVNETLE failed on this big-endian host: " + Errno.describe(Native.errno());
      }
    }
    arg.putInt(0, VirtioNetHeader.LENGTH);
    if (libc.ioctl(tunFd, TUNSETVNETHDRSZ, arg.address()) != 0) {
      return "TUNSETVNETHDRSZ " + VirtioNetHeader.LENGTH + " failed: " + Errno.describe(Native.errno());
    }
    // set_offload() in drivers/net/tun.c: EINVAL for any flag it does not know, and TSO needs CSUM.
    if (libc.ioctl(tunFd, TUNSETOFFLOAD, Integer.toUnsignedLong(offloads)) != 0) {
      return "TUNSETOFFLOAD 0x" + Integer.toHexString(offloads) + " failed: " + Errno.describe(Native.errno())
          + ((offloads & (TUN_F_TSO4 | TUN_F_TSO6)) != 0 && (offloads & TUN_F_CSUM) == 0
              ? " (TSO needs TUN_F_CSUM too)" : "");
    }
    return null;
  }

  private static TunException systemCall(String call, int errno) {
    return new TunException(Reason.OTHER, errno, call + " failed: " + Errno.describe(errno)
        + (errno == Errno.EMFILE || errno == Errno.ENFILE ? ". Too many open files: raise the limit (ulimit -n)." : "."));
  }

  /**
   * Options for opening a {@link TunDevice}. Configuration has <em>ensure</em> semantics: each
   * value is read first and set only if it differs, so a process without CAP_NET_ADMIN can attach
   * to a persistent device an administrator already prepared.
   */
  public static final class Builder {

    private String name;
    private Path netns;
    private Inet4Address hostAddress;
    private int prefixLength;
    private Inet6Address hostAddress6;
    private int prefixLength6;
    private boolean hostAddress6Optional;
    private int mtu;
    private int txQueueLength;
    private Boolean up;
    private boolean loopbackUp;
    private Path devicePath = Path.of("/dev/net/tun");
    private boolean vnetHeader;
    private int offloads;

    private Builder() {}

    /**
     * The device's name; null (the default) lets the kernel pick {@code tun0}, {@code tun1}, ...
     * If a TUN device of that name exists (e.g. made persistent with {@code ip tuntap add dev NAME
     * mode tun user USER}), the device is attached to rather than created.
     *
     * @param name the interface name (1 to 15 bytes, may contain one {@code %d}), or null
     * @return this builder
     * @throws IllegalArgumentException if the kernel would not accept the name; see the message
     */
    public Builder name(String name) {
      if (name != null) {
        validateName(name);
      }
      this.name = name;
      return this;
    }

    /**
     * Creates or attaches the device inside this network namespace, e.g. {@code /run/netns/NAME}
     * made by {@code ip netns add NAME}; null (the default) uses the caller's namespace. The
     * device is never created in the caller's namespace first. Needs CAP_SYS_ADMIN.
     *
     * @param netns the namespace file, or null for the caller's namespace
     * @return this builder
     */
    public Builder netns(Path netns) {
      this.netns = netns;
      return this;
    }

    /**
     * The kernel's own IPv4 address on the device and the prefix routed through it (SIOCSIFADDR,
     * SIOCSIFNETMASK). A different primary address already on the device is replaced. Implies
     * {@link #up(boolean) up(true)} unless set otherwise.
     *
     * @param address the host's address on the device; not null
     * @param prefixLength the prefix length in bits, 0 to 32
     * @return this builder
     * @throws NullPointerException if {@code address} is null
     * @throws IllegalArgumentException if {@code prefixLength} is out of range
     */
    public Builder hostAddress(Inet4Address address, int prefixLength) {
      Objects.requireNonNull(address, "address");
      if (prefixLength < 0 || prefixLength > 32) {
        throw new IllegalArgumentException("prefixLength must be 0..32, got " + prefixLength);
      }
      this.hostAddress = address;
      this.prefixLength = prefixLength;
      return this;
    }

    /**
     * The kernel's own IPv6 address on the device and the prefix routed through it (SIOCSIFADDR on
     * an AF_INET6 socket), beside the IPv4 one; IPv6 is enabled on the device first ({@code
     * disable_ipv6} = 0). An address the device has already is left alone. Implies {@link
     * #up(boolean) up(true)} unless set otherwise.
     *
     * @param address the host's IPv6 address on the device; not null
     * @param prefixLength the prefix length in bits, 1 to 128
     * @return this builder
     * @throws NullPointerException if {@code address} is null
     * @throws IllegalArgumentException if {@code prefixLength} is out of range
     */
    public Builder hostAddress6(Inet6Address address, int prefixLength) {
      Objects.requireNonNull(address, "address");
      if (prefixLength < 1 || prefixLength > 128) {
        throw new IllegalArgumentException("prefixLength must be 1..128, got " + prefixLength);
      }
      this.hostAddress6 = address;
      this.prefixLength6 = prefixLength;
      return this;
    }

    /**
     * Whether the {@link #hostAddress6} is optional: a device this process may not change (no
     * CAP_NET_ADMIN, a prepared device without that address) then opens without it, logged, and
     * {@link TunDevice#hasHostAddress6()} says so. False by default: the open fails.
     *
     * @param optional true to open without the IPv6 address when this process may not set it
     * @return this builder
     */
    public Builder hostAddress6Optional(boolean optional) {
      this.hostAddress6Optional = optional;
      return this;
    }

    /**
     * The device's MTU (SIOCSIFMTU); unset leaves it as it is (1500 for a new device).
     *
     * @param mtu the MTU in bytes, 68 to 65535 (the range a TUN device accepts)
     * @return this builder
     * @throws IllegalArgumentException if {@code mtu} is out of range
     */
    public Builder mtu(int mtu) {
      if (mtu < LinuxConstants.TUN_MIN_MTU || mtu > LinuxConstants.TUN_MAX_MTU) {
        throw new IllegalArgumentException("mtu must be " + LinuxConstants.TUN_MIN_MTU + ".."
            + LinuxConstants.TUN_MAX_MTU + " (the range a TUN device accepts), got " + mtu);
      }
      this.mtu = mtu;
      return this;
    }

    /**
     * The least transmit queue (txqueuelen) the device should have: how many packets the kernel
     * holds for the stack while it is busy, before it drops (500 for a new TUN device). Raised with
     * SIOCSIFTXQLEN when lower, never lowered; unset leaves it as it is.
     *
     * @param packets the least queue length, in packets; at least 1
     * @return this builder
     * @throws IllegalArgumentException if {@code packets} is less than 1
     */
    public Builder txQueueLength(int packets) {
      if (packets < 1) {
        throw new IllegalArgumentException("txQueueLength must be at least 1, got " + packets);
      }
      this.txQueueLength = packets;
      return this;
    }

    /**
     * Whether to set the device up (IFF_UP). Defaults to true when a host address is given, else
     * false. false leaves the link state as it is; it never takes a device down.
     *
     * @param up true to set the device up; false to leave its link state alone
     * @return this builder
     */
    public Builder up(boolean up) {
      this.up = up;
      return this;
    }

    /**
     * Also sets {@code lo} up in the {@link #netns(Path) namespace}; only allowed with netns.
     *
     * @param loopbackUp true to set {@code lo} up; default false
     * @return this builder
     */
    public Builder loopbackUp(boolean loopbackUp) {
      this.loopbackUp = loopbackUp;
      return this;
    }

    /**
     * Whether to ask for a virtio-net header ({@link VirtioNetHeader}) in front of every packet:
     * TUNSETIFF with {@code IFF_VNET_HDR}, then TUNSETVNETHDRSZ 10 and TUNSETOFFLOAD with {@link
     * #offloads(int)}. Default false: plain IP packets, exactly as without this option.
     *
     * <p>Negotiated: if the kernel refuses any step, the device is opened without a header, one
     * info line is logged saying why, and {@link TunDevice#vnetHeaderSize()} is 0 and {@link
     * TunDevice#offloads()} 0. Check those to learn what was granted. Read and write do not touch
     * the header: the caller reads it and writes it at the front of each packet.
     *
     * @param vnetHeader true to ask for the header
     * @return this builder
     */
    public Builder vnetHeader(boolean vnetHeader) {
      this.vnetHeader = vnetHeader;
      return this;
    }

    /**
     * The TUN_F_* offloads to ask for with the virtio-net header ({@link #TUN_F_CSUM}, {@link
     * #TUN_F_TSO4}, {@link #TUN_F_TSO6}, or newer flags the kernel may know): what kinds of
     * unfinished packets the kernel may hand to the reader. Default 0: finished packets only.
     * Passed as is; the kernel refuses flags it does not know and TSO without TUN_F_CSUM, and that
     * refusal falls back to no header (see {@link #vnetHeader(boolean)}). Needs vnetHeader(true).
     *
     * @param tunFlags the TUN_F_* flags or-ed, or 0
     * @return this builder
     */
    public Builder offloads(int tunFlags) {
      this.offloads = tunFlags;
      return this;
    }

    /**
     * The TUN clone device; {@code /dev/net/tun} unless changed.
     *
     * @param devicePath the path of the clone device; not null
     * @return this builder
     * @throws NullPointerException if {@code devicePath} is null
     */
    public Builder devicePath(Path devicePath) {
      this.devicePath = Objects.requireNonNull(devicePath, "devicePath");
      return this;
    }

    /**
     * Opens the device, configures it and returns it; on failure nothing stays open and a device
     * this created is gone.
     *
     * @return the open device; the caller closes it
     * @throws TunException whose {@link TunException#reason() reason} says what went wrong and
     *     whose message says what to do
     * @throws IllegalStateException if loopbackUp is set without netns, or offloads without
     *     vnetHeader
     */
    public TunDevice open() throws TunException {
      if (loopbackUp && netns == null) {
        throw new IllegalStateException("loopbackUp(true) needs netns(...): it does not change lo"
            + " in the caller's own namespace");
      }
      if (offloads != 0 && !vnetHeader) {
        throw new IllegalStateException("offloads(0x" + Integer.toHexString(offloads) + ") needs"
            + " vnetHeader(true): without the header the reader could not tell a super-packet or a"
            + " partial checksum from a finished packet");
      }
      return netns == null ? openHere(this) : NetworkNamespace.callIn(netns, () -> openHere(this));
    }

    /**
     * The TUNSETIFF flags without IFF_VNET_HDR, which {@code openHere} adds when asked. Later
     * options (IFF_MULTI_QUEUE) join here; attaching to an existing device must then ask for its
     * queue mode.
     */
    short tunFlags() {
      return (short) (IFF_TUN | IFF_NO_PI);
    }

    boolean up() {
      return up != null ? up : hostAddress != null || hostAddress6 != null;
    }

    /** The ip(8) commands that would prepare device {@code actualName} as this builder asks. */
    String prepareCommands(String actualName) {
      String ip = Diagnosis.ip(netns);
      StringBuilder commands = new StringBuilder()
          .append(ip).append(" tuntap add dev ").append(actualName).append(" mode tun user $USER");
      if (hostAddress != null) {
        commands.append(" && ").append(ip).append(" addr add ").append(hostAddress.getHostAddress())
            .append('/').append(prefixLength).append(" dev ").append(actualName);
      }
      if (hostAddress6 != null) {
        commands.append(" && ").append(ip).append(" -6 addr add ").append(hostAddress6.getHostAddress())
            .append('/').append(prefixLength6).append(" dev ").append(actualName);
      }
      if (mtu != 0 || up()) {
        commands.append(" && ").append(ip).append(" link set dev ").append(actualName)
            .append(mtu != 0 ? " mtu " + mtu : "").append(up() ? " up" : "");
      }
      if (loopbackUp) {
        commands.append(" && ").append(ip).append(" link set dev lo up");
      }
      return commands.toString();
    }

    /** The kernel's dev_valid_name() rules, checked here so that the message can say them. */
    static void validateName(String name) {
      int bytes = name.getBytes(StandardCharsets.UTF_8).length;
      boolean valid = bytes >= 1 && bytes < LinuxConstants.IFNAMSIZ && !name.equals(".") && !name.equals("..")
          && name.codePoints().noneMatch(c -> c == '/' || c == ':' || Character.isWhitespace(c)
              || Character.isSpaceChar(c) || Character.isISOControl(c));
      if (!valid) {
        throw new IllegalArgumentException("invalid TUN device name '" + name + "' (" + bytes
            + " bytes). " + NAME_RULES);
      }
    }
  }
}
