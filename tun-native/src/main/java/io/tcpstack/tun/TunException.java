package io.tcpstack.tun;

import java.io.IOException;

/**
 * A TUN operation failed. {@link #reason()} says which kind of failure it was, so callers can
 * react (skip, fall back, report); {@link #errno()} is the Linux error behind it, 0 if none; the
 * message says what happened and what to do about it.
 */
public class TunException extends IOException {

  /** What kind of failure. */
  public enum Reason {
    /** The TUN driver or the native binding is missing: no /dev/net/tun, no tun module, no libc. */
    NOT_AVAILABLE,
    /** The process lacks a permission or capability (usually CAP_NET_ADMIN). */
    NOT_PERMITTED,
    /** A single-queue device of that name is already open elsewhere. */
    BUSY,
    /** The kernel rejected the device name. */
    INVALID_NAME,
    /**
     * A device of that name exists but cannot be attached with the flags asked for: it is a TAP
     * device, not a TUN device at all, or differs in queue mode (multi_queue).
     */
    FLAGS_MISMATCH,
    /** The network namespace file is missing or is not a network namespace. */
    NAMESPACE,
    /** The device was deleted (e.g. {@code ip link del}) while this process had it open. */
    DETACHED,
    /** The {@link TunDevice} was closed by this process. */
    CLOSED,
    /** Anything else; see the message and {@link #errno()}. */
    OTHER
  }

  /** What kind of failure this is; never null. */
  private final Reason reason;
  /** The errno of the failed system call, or 0 when the failure did not come from one. */
  private final int errno;

  /**
   * A failure without an underlying exception.
   *
   * @param reason what kind of failure; not null
   * @param errno the errno of the failed system call, or 0 if none
   * @param message what happened and what to do about it
   */
  public TunException(Reason reason, int errno, String message) {
    this(reason, errno, message, null);
  }

  /**
   * A failure caused by another exception.
   *
   * @param reason what kind of failure; not null
   * @param errno the errno of the failed system call, or 0 if none
   * @param message what happened and what to do about it
   * @param cause the underlying exception, or null
   */
  public TunException(Reason reason, int errno, String message, Throwable cause) {
    super(message, cause);
    this.reason = reason;
    this.errno = errno;
  }

  /**
   * What kind of failure this is, for callers that react to it.
   *
   * @return the reason; never null
   */
  public Reason reason() {
    return reason;
  }

  /**
   * The Linux error behind this failure.
   *
   * @return the errno of the failed system call, or 0 when the failure did not come from one
   */
  public int errno() {
    return errno;
  }
}
