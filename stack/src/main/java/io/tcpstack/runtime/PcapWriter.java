package io.tcpstack.runtime;

import io.netty.buffer.ByteBuf;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes IP packets to a capture file that tcpdump, tshark and Wireshark read: the classic pcap
 * format (the "libpcap" file format, draft-ietf-opsawg-pcap), nanosecond variant, link type
 * {@link #LINKTYPE_RAW} (each record is an IPv4 or IPv6 packet, no link header), little-endian.
 *
 * <pre>
 *  global header (24 bytes, once per file)         record header (16 bytes, before each packet)
 *  0      magic 0xa1b23c4d (ns timestamps)         0   timestamp, seconds since the epoch
 *  4      version 2.4                              4   timestamp, nanoseconds within the second
 *  8      thiszone 0, 12 sigfigs 0                 8   captured length (at most the snap length)
 *  16     snap length {@value #SNAP_LENGTH}               12  length of the packet as it was
 *  20     link type {@value #LINKTYPE_RAW}
 * </pre>
 *
 * <p><b>Threads.</b> Any number of threads may call {@link #write} at once: one lock orders the
 * records, and the timestamp is read under it, so the file's records are in time order. Records
 * collect in a buffer of {@value #BUFFER_SIZE} bytes that goes to the file when full, when a
 * record comes a second or more after the last write to the file, and on {@link #close()}.
 *
 * <p><b>Size limit and rotation</b> (tcpdump's {@code -C}/{@code -W}): a file never grows past
 * {@code fileLimit} bytes unless a single record does not fit an empty file. The record that would
 * cross the limit starts a new file: {@code FILE} is renamed {@code FILE.1}, an older {@code
 * FILE.1} becomes {@code FILE.2} and so on; at most {@code files} files are kept ({@code FILE}, the
 * newest, and {@code FILE.1} .. {@code FILE.(files-1)}), the oldest being deleted.
 *
 * <p><b>Errors.</b> The first I/O error stops the capture: it is logged once, saying which file and
 * why, the writer drops every later packet ({@link #failure()} says why), and its caller — the
 * stack — goes on. Opening the first file fails with the exception, so a bad path is reported
 * before the stack starts.
 */
public final class PcapWriter implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(PcapWriter.class);

  /** The magic number of a pcap file whose timestamps' second field is in nanoseconds. */
  public static final int MAGIC_NANOSECONDS = 0xa1b23c4d;
  /** The file format's major version, in the global header. */
  public static final short VERSION_MAJOR = 2;
  /** The file format's minor version, in the global header. */
  public static final short VERSION_MINOR = 4;
  /** LINKTYPE_RAW: the packet begins with an IPv4 or IPv6 header (tcpdump.org link types). */
  public static final int LINKTYPE_RAW = 101;
  /**
   * The snap length: what tcpdump takes by default (MAXIMUM_SNAPLEN). Every IPv4 packet (at most
   * 65,535 bytes, a super-segment included) and an IPv6 super-segment (65,535 bytes of payload and
   * a 40-byte header) fit whole; a longer packet is cut, its original length kept.
   */
  public static final int SNAP_LENGTH = 262_144;
  /** The size in bytes of the global header at the start of each file. */
  public static final int GLOBAL_HEADER_SIZE = 24;
  /** The size in bytes of the header in front of each packet. */
  public static final int RECORD_HEADER_SIZE = 16;
  /** The buffer in front of the file: any record fits. */
  static final int BUFFER_SIZE = RECORD_HEADER_SIZE + SNAP_LENGTH;
  /** Buffered records go to the file once a record comes this long after the last write. */
  static final long FLUSH_INTERVAL_NS = TimeUnit.SECONDS.toNanos(1);
  private static final long NANOS_PER_SECOND = 1_000_000_000L;

  private final Path file;
  private final long fileLimit;
  private final int files;
  private final LongSupplier clock;
  private final long epochOffsetNs;
  /**
   * Direct, so the channel writes from it without a copy; a JDK buffer freed by the collector (a
   * writer nobody closed leaks nothing).
   */
  private final ByteBuffer buffer = ByteBuffer.allocateDirect(BUFFER_SIZE).order(ByteOrder.LITTLE_ENDIAN);

  // All below guarded by this.
  private FileChannel channel;
  /** Bytes of the current file, buffered ones included. */
  private long fileBytes;
  private long lastFlushNs;
  private long packets;
  private long rotations;
  private IOException failure;
  private boolean closed;

  /**
   * Creates (or truncates) {@code file} and writes its global header.
   *
   * @param file the capture file; not null; rotated files go beside it
   * @param fileLimit the largest size of one file, in bytes (at least the global header and one
   *     record header)
   * @param files how many files to keep, the current one included (1: the file starts over when
   *     full)
   * @param clock the time stamped on each packet, in nanoseconds, read under the writer's lock
   * @param epochOffsetNs added to {@code clock} to make nanoseconds since 1970-01-01 UTC
   * @throws IOException if the file cannot be created or written
   * @throws IllegalArgumentException if {@code fileLimit} or {@code files} is too small
   * @throws NullPointerException if {@code file} or {@code clock} is null
   */
  public PcapWriter(Path file, long fileLimit, int files, LongSupplier clock, long epochOffsetNs) throws IOException {
    this.file = Objects.requireNonNull(file, "file");
    if (fileLimit < GLOBAL_HEADER_SIZE + RECORD_HEADER_SIZE) {
      throw new IllegalArgumentException("the file limit " + fileLimit + " is smaller than a file with one empty record");
    }
    if (files < 1) {
      throw new IllegalArgumentException("files must be at least 1, got " + files);
    }
    this.fileLimit = fileLimit;
    this.files = files;
    this.clock = Objects.requireNonNull(clock, "clock");
    this.epochOffsetNs = epochOffsetNs;
    synchronized (this) {
      openFile();
      flush();
      lastFlushNs = clock.getAsLong();
    }
  }

  /**
   * A writer stamping packets with {@code clock} ({@link System#nanoTime}, the runtime's), mapped
   * to wall-clock time once, now.
   *
   * @param file the capture file; not null; rotated files go beside it
   * @param fileLimit the largest size of one file, in bytes (at least {@value #GLOBAL_HEADER_SIZE}
   *     + {@value #RECORD_HEADER_SIZE})
   * @param files how many files to keep, the current one included; at least 1
   * @param clock the time stamped on each packet, in nanoseconds; not null
   * @return the open writer; the caller closes it
   * @throws IOException if the file cannot be created or written
   * @throws IllegalArgumentException if {@code fileLimit} or {@code files} is too small
   */
  public static PcapWriter open(Path file, long fileLimit, int files, LongSupplier clock) throws IOException {
    Instant now = Instant.now();
    long clockNow = clock.getAsLong();
    long epochNs = now.getEpochSecond() * NANOS_PER_SECOND + now.getNano();
    return new PcapWriter(file, fileLimit, files, clock, epochNs - clockNow);
  }

  /**
   * The current (newest) capture file.
   *
   * @return the path given at construction
   */
  public Path file() {
    return file;
  }

  /**
   * The {@code i}-th older file: {@code FILE.i} ({@code FILE} itself for 0).
   *
   * @param i 0 to {@code files - 1}; 1 is the newest rotated file
   * @return the path of that file, whether or not it exists
   */
  public Path rotated(int i) {
    return i == 0 ? file : file.resolveSibling(file.getFileName() + "." + i);
  }

  /**
   * Appends one record: {@code packet}'s readable bytes (indices unchanged), stamped now. Does
   * nothing once closed or failed. Any thread.
   *
   * @param packet the IP packet in its readable bytes; not kept; cut at {@value #SNAP_LENGTH} bytes
   */
  public synchronized void write(ByteBuf packet) {
    if (closed || failure != null) {
      return;
    }
    long nowNs = clock.getAsLong();
    int length = packet.readableBytes();
    int captured = Math.min(length, SNAP_LENGTH);
    int recordSize = RECORD_HEADER_SIZE + captured;
    try {
      if (fileBytes > GLOBAL_HEADER_SIZE && fileBytes + recordSize > fileLimit) {
        rotate();
      }
      if (buffer.remaining() < recordSize) {
        flush();
      }
      long epochNs = nowNs + epochOffsetNs;
      buffer.putInt((int) Math.floorDiv(epochNs, NANOS_PER_SECOND))
          .putInt((int) Math.floorMod(epochNs, NANOS_PER_SECOND))
          .putInt(captured)
          .putInt(length);
      int end = buffer.position() + captured;
      buffer.limit(end);
      packet.getBytes(packet.readerIndex(), buffer);
      buffer.limit(buffer.capacity());
      fileBytes += recordSize;
      packets++;
      if (nowNs - lastFlushNs >= FLUSH_INTERVAL_NS) {
        flush();
        lastFlushNs = nowNs;
      }
    } catch (IOException e) {
      fail(e);
    }
  }

  /** Writes what is buffered to the file. */
  private void flush() throws IOException {
    if (channel == null) {
      return;
    }
    buffer.flip();
    try {
      while (buffer.hasRemaining()) {
        channel.write(buffer);
      }
    } finally {
      buffer.clear();
    }
  }

  /**
   * Packets written since the writer was opened (all files).
   *
   * @return the number of records written or buffered
   */
  public synchronized long packets() {
    return packets;
  }

  /**
   * How many times a full file was set aside for a new one.
   *
   * @return the number of rotations since the writer was opened
   */
  public synchronized long rotations() {
    return rotations;
  }

  /**
   * The I/O error that stopped the capture, or null.
   *
   * @return the first I/O error, or null while the capture runs
   */
  public synchronized IOException failure() {
    return failure;
  }

  /** Writes what is buffered and closes the file; later writes are dropped. Idempotent; any thread. */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    if (failure != null) {
      return;
    }
    try {
      flush();
      channel.close();
      channel = null;
    } catch (IOException e) {
      fail(e);
    }
  }

  private void openFile() throws IOException {
    channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
        StandardOpenOption.TRUNCATE_EXISTING);
    buffer.clear();
    buffer.putInt(MAGIC_NANOSECONDS)
        .putShort(VERSION_MAJOR)
        .putShort(VERSION_MINOR)
        .putInt(0) // thiszone: timestamps are UTC
        .putInt(0) // sigfigs: 0, as every writer
        .putInt(SNAP_LENGTH)
        .putInt(LINKTYPE_RAW);
    fileBytes = GLOBAL_HEADER_SIZE;
  }

  /** FILE.(n-2) -> FILE.(n-1), ..., FILE -> FILE.1, then a fresh FILE; the oldest is replaced. */
  private void rotate() throws IOException {
    flush();
    channel.close();
    channel = null;
    if (files > 1) {
      for (int i = files - 2; i >= 0; i--) {
        Path from = rotated(i);
        if (Files.exists(from)) {
          Files.move(from, rotated(i + 1), StandardCopyOption.REPLACE_EXISTING);
        }
      }
    }
    openFile();
    rotations++;
  }

  private void fail(IOException e) {
    failure = e;
    log.warn("packet capture to {} stopped after {} packets: {}; the stack goes on without it", file, packets,
        e.toString());
    buffer.clear();
    if (channel != null) {
      try {
        channel.close();
      } catch (IOException ignored) {
        // already failing: the first error is the one reported
      }
      channel = null;
    }
  }

  @Override
  public String toString() {
    return "pcap " + file;
  }
}
