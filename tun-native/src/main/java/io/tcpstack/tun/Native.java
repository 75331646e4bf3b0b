package io.tcpstack.tun;

import jnr.ffi.LastError;
import jnr.ffi.LibraryLoader;
import jnr.ffi.Runtime;

/** Loads {@link LibC} once; remembers why if it could not. */
final class Native {

  private static final LibC LIBC;
  private static final Runtime RUNTIME;
  private static final Throwable LOAD_FAILURE;

  static {
    LibC libc = null;
    Runtime runtime = null;
    Throwable failure = null;
    try {
      // failImmediately: a missing symbol shows up here, not at the first packet.
      libc = LibraryLoader.create(LibC.class).failImmediately().load("c");
      runtime = Runtime.getRuntime(libc);
    } catch (Throwable t) {
      failure = t;
    }
    LIBC = libc;
    RUNTIME = runtime;
    LOAD_FAILURE = failure;
  }

  /** The bound libc, or a {@link TunException} saying why jnr-ffi could not bind it. */
  static LibC libc() throws TunException {
    if (LIBC == null) {
      throw new TunException(
          TunException.Reason.NOT_AVAILABLE,
          0,
          "cannot bind libc through jnr-ffi (" + LOAD_FAILURE + "): tun-native needs Linux with glibc or musl"
              + " and jnr-ffi's native stub (jffi) for this CPU on the class path",
          LOAD_FAILURE);
    }
    return LIBC;
  }

  static Runtime runtime() {
    return RUNTIME;
  }

  /** errno of this thread's last libc call; meaningful only right after a call returned -1. */
  static int errno() {
    return LastError.getLastError(RUNTIME);
  }

  private Native() {}
}
