package io.tcpstack.tun;

/** The errno values tun-native reacts to ({@code <asm-generic/errno-base.h>}, {@code errno.h}). */
final class Errno {

  static final int EPERM = 1;
  static final int ENOENT = 2;
  static final int EINTR = 4;
  static final int ENXIO = 6;
  static final int EBADF = 9;
  static final int EAGAIN = 11;
  static final int EACCES = 13;
  static final int EBUSY = 16;
  static final int EEXIST = 17;
  static final int ENODEV = 19;
  static final int EINVAL = 22;
  static final int ENFILE = 23;
  static final int EMFILE = 24;
  static final int EBADFD = 77;
  static final int EADDRNOTAVAIL = 99;

  /** {@code "EPERM (Operation not permitted)"}: the symbolic name people search for, and the text. */
  static String describe(int errno) {
    String text;
    try {
      text = Native.libc().strerror(errno);
    } catch (Throwable t) {
      text = "errno " + errno;
    }
    String name = name(errno);
    return name == null ? text + " (errno " + errno + ")" : name + " (" + text + ")";
  }

  private static String name(int errno) {
    return switch (errno) {
      case EPERM -> "EPERM";
      case ENOENT -> "ENOENT";
      case EINTR -> "EINTR";
      case ENXIO -> "ENXIO";
      case EBADF -> "EBADF";
      case EAGAIN -> "EAGAIN";
      case EACCES -> "EACCES";
      case EBUSY -> "EBUSY";
      case EEXIST -> "EEXIST";
      case ENODEV -> "ENODEV";
      case EINVAL -> "EINVAL";
      case ENFILE -> "ENFILE";
      case EMFILE -> "EMFILE";
      case EBADFD -> "EBADFD";
      case EADDRNOTAVAIL -> "EADDRNOTAVAIL";
      default -> null;
    };
  }

  private Errno() {}
}
