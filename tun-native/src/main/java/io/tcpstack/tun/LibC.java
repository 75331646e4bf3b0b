package io.tcpstack.tun;

import java.nio.ByteBuffer;
import jnr.ffi.annotations.In;
import jnr.ffi.annotations.Out;
import jnr.ffi.types.intptr_t;
import jnr.ffi.types.size_t;
import jnr.ffi.types.ssize_t;
import jnr.ffi.types.u_int32_t;
import jnr.ffi.types.u_int64_t;

/**
 * The libc functions tun-native calls, bound by jnr-ffi. Internal to tun-native: public only
 * because jnr-ffi generates its implementation in another class loader.
 *
 * <p>The per-packet calls ({@code read}, {@code write}, {@code poll}) take raw memory addresses as
 * {@code @intptr_t long}, so jnr-ffi's generated stubs pass plain integers and allocate nothing.
 * The {@link ByteBuffer} overloads are the slow path for buffers without a known address. A call
 * that fails returns -1; the caller then reads errno with {@code LastError.getLastError(runtime)},
 * which jnr-ffi saved right after the call.
 */
public interface LibC {

  /** open(2). */
  int open(String path, int flags);

  /** close(2). */
  int close(int fd);

  /** read(2) into native memory at {@code buf}. */
  @ssize_t long read(int fd, @intptr_t long buf, @size_t long count);

  /** read(2) into a buffer at its position (slow path). */
  @ssize_t long read(int fd, @Out ByteBuffer buf, @size_t long count);

  /** write(2) from native memory at {@code buf}. */
  @ssize_t long write(int fd, @intptr_t long buf, @size_t long count);

  /** write(2) from a buffer at its position (slow path). */
  @ssize_t long write(int fd, @In ByteBuffer buf, @size_t long count);

  /** writev(2) of {@code iovcnt} {@code struct iovec} at {@code iov}. */
  @ssize_t long writev(int fd, @intptr_t long iov, int iovcnt);

  /** ioctl(2) whose argument is a pointer, e.g. to a {@code struct ifreq}. */
  int ioctl(int fd, @u_int64_t long request, @intptr_t long argp);

  /** poll(2) over {@code nfds} {@code struct pollfd} at {@code fds}. */
  int poll(@intptr_t long fds, @u_int64_t long nfds, int timeoutMillis);

  /** eventfd(2). */
  int eventfd(@u_int32_t int initval, int flags);

  /** socket(2). */
  int socket(int domain, int type, int protocol);

  /** setns(2): for CLONE_NEWNET it moves only the calling thread. */
  int setns(int fd, int nstype);

  /** strerror(3). */
  String strerror(int errnum);
}
