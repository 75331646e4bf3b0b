/**
 * JMH microbenchmarks of the stack's hot paths: {@link io.tcpstack.jmh.ChecksumBenchmark the
 * Internet checksum}, {@link io.tcpstack.jmh.HeaderViewBenchmark the header views} and {@link
 * io.tcpstack.jmh.SegmentPathBenchmark a segment's way in and out of an established connection}.
 *
 * <p>Run them with {@code bench/jmh} (also {@code ./tcpstack bench jmh}), which compiles this
 * directory with the Maven profile {@code jmh} of module {@code stack} and starts JMH's runner;
 * {@code bench/jmh --help}. The normal build ({@code mvn verify}) never compiles them. They may use
 * the test helpers of {@code stack/src/test} ({@code io.tcpstack.testing}).
 *
 * <p>Defaults, per benchmark: 2 forks, each 5 warm-up and 5 measured iterations of 1 s, with the
 * launcher's collector ({@code -XX:+UseSerialGC}) and Netty's default leak detection, as the stack
 * runs in production.
 */
package io.tcpstack.jmh;
