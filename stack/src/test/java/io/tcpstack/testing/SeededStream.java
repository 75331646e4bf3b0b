package io.tcpstack.testing;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * The byte stream of {@code tcp_peer.py}: SHA-256 in counter mode over a seed, so a Java sender
 * and a Python receiver (or the reverse) agree on every byte without sharing a file.
 */
public final class SeededStream {

  private final MessageDigest block;
  private final long seed;
  private long counter;
  private final byte[] digest = new byte[32];
  private int used = 32;

  public SeededStream(long seed) {
    this.block = sha256();
    this.seed = seed;
  }

  /** Fills {@code b[off, off+len)} with the next bytes of the stream. */
  public void next(byte[] b, int off, int len) {
    for (int i = 0; i < len; i++) {
      if (used == 32) {
        block.reset();
        block.update((seed + ":" + counter++).getBytes(StandardCharsets.US_ASCII));
        try {
          block.digest(digest, 0, 32);
        } catch (java.security.DigestException e) {
          throw new IllegalStateException(e);
        }
        used = 0;
      }
      b[off + i] = digest[used++];
    }
  }

  public static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  public static String hex(byte[] digest) {
    StringBuilder s = new StringBuilder();
    for (byte x : digest) {
      s.append(String.format("%02x", x));
    }
    return s.toString();
  }
}
