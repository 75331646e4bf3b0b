package io.tcpstack.examples.launcher;

/** A mistake on the command line: printed as one line, exit status 2. */
public final class UsageException extends Exception {
  public UsageException(String message) {
    super(message);
  }
}
