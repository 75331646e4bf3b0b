package io.tcpstack.examples.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code --pcap FILE}, {@code --pcap-limit SIZE} and {@code --pcap-files N} of {@code serve} and
 * {@code run}: defaults, accepted values, and the one-line message for each mistake (LauncherIT
 * checks the exit status 2 through the script).
 */
class CaptureOptionsTest {

  @TempDir
  Path dir;

  private static ServeOptions parse(String... args) throws UsageException {
    return ServeOptions.parse(List.of(args));
  }

  private static String refused(String... args) {
    return assertThrows(UsageException.class, () -> parse(args)).getMessage();
  }

  @Test
  void noCaptureByDefault() throws UsageException {
    assertNull(parse().capture);
  }

  @Test
  void pcapAloneTakesTheDefaults() throws UsageException {
    CaptureOptions c = parse("--pcap", dir.resolve("a.pcap").toString()).capture;
    assertEquals(dir.resolve("a.pcap"), c.file);
    assertEquals(100L << 20, c.limit);
    assertEquals(2, c.files);
  }

  @Test
  void limitAndFilesAreTaken() throws UsageException {
    CaptureOptions c = parse("--pcap=" + dir.resolve("b.pcap"), "--pcap-limit", "10M", "--pcap-files=5").capture;
    assertEquals(10L << 20, c.limit);
    assertEquals(5, c.files);
    assertEquals(1L << 30, parse("--pcap", dir.resolve("b.pcap").toString(), "--pcap-limit", "1g").capture.limit);
  }

  @Test
  void aRelativeFileIsMadeAbsolute() throws UsageException {
    CaptureOptions c = parse("--pcap", "x.pcap").capture;
    assertEquals(Path.of("x.pcap").toAbsolutePath(), c.file);
  }

  @Test
  void runPassesThePcapOptionsToo() throws UsageException {
    List<String> rest = new ArrayList<>();
    ServeOptions o = ServeOptions.parse(List.of("--port", "9", "--pcap", dir.resolve("r.pcap").toString()), rest);
    assertEquals(dir.resolve("r.pcap"), o.capture.file);
    assertEquals(List.of("--port", "9"), rest);
  }

  @Test
  void mistakesAreOneLine() {
    assertEquals("--pcap needs a value", refused("--pcap"));
    assertEquals("--pcap-limit needs a value", refused("--pcap", "x.pcap", "--pcap-limit"));
    assertEquals("--pcap-limit needs --pcap FILE", refused("--pcap-limit", "10m"));
    assertEquals("--pcap-files needs --pcap FILE", refused("--pcap-files", "3"));
    assertEquals("--pcap-limit 'lots' must be a size from 1m to 1024g, in bytes or with k, m or g (e.g. 256m, 1g)",
        refused("--pcap", "x.pcap", "--pcap-limit", "lots"));
    assertEquals("--pcap-limit '1k' must be a size from 1m to 1024g, in bytes or with k, m or g (e.g. 256m, 1g)",
        refused("--pcap", "x.pcap", "--pcap-limit", "1k"));
    assertEquals("--pcap-files '0' must be a whole number from 1 to 1000", refused("--pcap", "x.pcap", "--pcap-files", "0"));
    assertEquals("--pcap-files 'x' must be a whole number from 1 to 1000", refused("--pcap", "x.pcap", "--pcap-files", "x"));
    assertEquals("--pcap '" + dir + "' is a directory: name a file, e.g. --pcap /tmp/tcpstack.pcap",
        refused("--pcap", dir.toString()));
    assertEquals("--pcap '" + dir + "/no/x.pcap': the directory " + dir + "/no does not exist",
        refused("--pcap", dir + "/no/x.pcap"));
  }
}
