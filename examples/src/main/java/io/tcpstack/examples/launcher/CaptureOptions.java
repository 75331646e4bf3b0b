package io.tcpstack.examples.launcher;

import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;

/**
 * The packet capture asked for with {@code --pcap FILE} ({@code --pcap-limit SIZE}, {@code
 * --pcap-files N}): where, how large one file may grow, how many files are kept. Checked when
 * parsed — the directory must exist and be writable — so a mistake is a usage error before
 * anything is set up. See io.tcpstack.runtime.PcapWriter for the format and the rotation.
 */
public final class CaptureOptions {

  /** What one capture file may grow to by default: 100 MiB. */
  public static final long DEFAULT_LIMIT = 100L << 20;
  /** The smallest {@code --pcap-limit}: 1 MiB (a file holds at least one packet, up to 64 KiB). */
  public static final long MIN_LIMIT = 1L << 20;
  /** The largest {@code --pcap-limit}: 1 TiB. */
  public static final long MAX_LIMIT = 1L << 40;
  /** Files kept by default: FILE and FILE.1, so at most twice the limit on disk. */
  public static final int DEFAULT_FILES = 2;
  public static final int MAX_FILES = 1000;

  /** The capture file (the newest, when rotating). */
  public final Path file;
  /** The largest size of one file, in bytes. */
  public final long limit;
  /** Files kept, FILE included: FILE, FILE.1 .. FILE.(files-1). */
  public final int files;

  CaptureOptions(Path file, long limit, int files) {
    this.file = file;
    this.limit = limit;
    this.files = files;
  }

  /**
   * The options from the values given ({@code null} where an option was absent), or null if there
   * is no {@code --pcap}.
   */
  static CaptureOptions parse(String file, String limit, String files) throws UsageException {
    if (file == null) {
      if (limit != null || files != null) {
        throw new UsageException((limit != null ? "--pcap-limit" : "--pcap-files") + " needs --pcap FILE");
      }
      return null;
    }
    Path path = checkFile(file);
    long bytes = limit == null ? DEFAULT_LIMIT : ServeOptions.parseSize("--pcap-limit", limit, MIN_LIMIT, MAX_LIMIT);
    int count = DEFAULT_FILES;
    if (files != null) {
      try {
        count = Integer.parseInt(files);
      } catch (NumberFormatException e) {
        count = 0;
      }
      if (count < 1 || count > MAX_FILES) {
        throw new UsageException("--pcap-files '" + files + "' must be a whole number from 1 to " + MAX_FILES);
      }
    }
    return new CaptureOptions(path, bytes, count);
  }

  private static Path checkFile(String file) throws UsageException {
    Path path;
    try {
      path = Path.of(file).toAbsolutePath().normalize();
    } catch (InvalidPathException e) {
      throw new UsageException("--pcap '" + file + "' is not a file name");
    }
    if (file.isEmpty() || path.getFileName() == null || Files.isDirectory(path)) {
      throw new UsageException("--pcap '" + file + "' is a directory: name a file, e.g. --pcap /tmp/tcpstack.pcap");
    }
    Path parent = path.getParent();
    if (!Files.isDirectory(parent)) {
      throw new UsageException("--pcap '" + file + "': the directory " + parent + " does not exist");
    }
    if (!Files.isWritable(parent) || (Files.exists(path) && !Files.isWritable(path))) {
      throw new UsageException("--pcap '" + file + "': " + (Files.isWritable(parent) ? path : parent)
          + " is not writable");
    }
    return path;
  }

  @Override
  public String toString() {
    return file + " (files of at most " + ServeOptions.human(limit) + ", " + files + " kept)";
  }
}
