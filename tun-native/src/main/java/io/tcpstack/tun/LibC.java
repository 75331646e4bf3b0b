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

  /**
   * open(2).
   *
   * @param path the file to open, e.g. {@code /dev/net/tun}
   * @param flags {@code O_*} flags, e.g. {@code O_RDWR | O_NONBLOCK | O_CLOEXEC}
   * @return the new file descriptor, or -1 and errno on failure
   */
  int open(String path, int flags);

  /**
   * close(2).
   *
   * @param fd the file descriptor to close
   * @return 0, or -1 and errno on failure
   */
  int close(int fd);

  /**
   * read(2) into native memory at {@code buf}.
   *
   * @param fd the file descriptor to read from
   * @param buf the address of at least {@code count} writable bytes
   * @param count the most bytes to read
   * @return the number of bytes read, or -1 and errno on failure
   */
  @ssize_t long read(int fd, @intptr_t long buf, @size_t long count);

  /**
   * read(2) into a buffer at its position (slow path).
   *
   * @param fd the file descriptor to read from
   * @param buf the buffer to read into, from its position
   * @param count the most bytes to read, at most {@code buf.remaining()}
   * @return the number of bytes read, or -1 and errno on failure
   */
  @ssize_t long read(int fd, @Out ByteBuffer buf, @size_t long count);

  /**
   * write(2) from native memory at {@code buf}.
   *
   * @param fd the file descriptor to write to
   * @param buf the address of the {@code count} bytes to write
   * @param count the number of bytes to write
   * @return the number of bytes written, or -1 and errno on failure
   */
  @ssize_t long write(int fd, @intptr_t long buf, @size_t long count);

  /**
   * write(2) from a buffer at its position (slow path).
   *
   * @param fd the file descriptor to write to
   * @param buf the buffer holding the bytes to write, from its position
   * @param count the number of bytes to write, at most {@code buf.remaining()}
   * @return the number of bytes written, or -1 and errno on failure
   */
  @ssize_t long write(int fd, @In ByteBuffer buf, @size_t long count);

  /**
   * writev(2) of {@code iovcnt} {@code struct iovec} at {@code iov}.
   *
   * @param fd the file descriptor to write to
   * @param iov the address of an array of {@code struct iovec}
   * @param iovcnt the number of entries in that array
   * @return the total number of bytes written, or -1 and errno on failure
   */
  @ssize_t long writev(int fd, @intptr_t long iov, int iovcnt);

  /**
   * ioctl(2) whose argument is a pointer, e.g. to a {@code struct ifreq}.
   *
   * @param fd the file descriptor (a TUN device or a socket) the request applies to
   * @param request the request code, e.g. {@code TUNSETIFF}
   * @param argp the address of the request's argument
   * @return 0 (or a request-specific non-negative value), or -1 and errno on failure
   */
  int ioctl(int fd, @u_int64_t long request, @intptr_t long argp);

  /**
   * poll(2) over {@code nfds} {@code struct pollfd} at {@code fds}.
   *
   * @param fds the address of an array of {@code struct pollfd}
   * @param nfds the number of entries in that array
   * @param timeoutMillis the most milliseconds to wait; -1 waits forever, 0 returns at once
   * @return the number of entries with events, 0 on timeout, or -1 and errno on failure
   */
  int poll(@intptr_t long fds, @u_int64_t long nfds, int timeoutMillis);

  /**
   * eventfd(2).
   *
   * @param initval the counter's initial value
   * @param flags {@code EFD_*} flags, e.g. {@code EFD_NONBLOCK | EFD_CLOEXEC}
   * @return the new file descriptor, or -1 and errno on failure
   */
  int eventfd(@u_int32_t int initval, int flags);

  /**
   * socket(2).
   *
   * @param domain the address family, e.g. {@code AF_INET}
   * @param type the socket type, e.g. {@code SOCK_DGRAM}, optionally ORed with {@code SOCK_CLOEXEC}
   * @param protocol the protocol, usually 0
   * @return the new file descriptor, or -1 and errno on failure
   */
  int socket(int domain, int type, int protocol);

  /**
   * setns(2): for CLONE_NEWNET it moves only the calling thread.
   *
   * @param fd a file descriptor referring to a namespace, e.g. an open {@code /var/run/netns/NAME}
   * @param nstype the namespace type to check {@code fd} against ({@code CLONE_NEWNET}), or 0
   * @return 0, or -1 and errno on failure
   */
  int setns(int fd, int nstype);

  /**
   * strerror(3).
   *
   * @param errnum an errno value
   * @return the message describing {@code errnum}
   */
  String strerror(int errnum);
}
