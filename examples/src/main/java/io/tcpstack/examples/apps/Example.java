package io.tcpstack.examples.apps;

/**
 * A program that runs on the stack, started by {@code ./tcpstack run NAME [OPTIONS]}. Servers print
 * a line starting with {@code ready} once listening and run until SIGINT or SIGTERM; clients run to
 * completion.
 */
public interface Example {

  /** The name on the command line, e.g. {@code echo}. */
  String name();

  /** One line for {@code --help}. */
  String summary();

  /** The example's own options, one per line, indented like the launcher's help; "" if none. */
  default String options() {
    return "";
  }

  /**
   * Checks the example's options before the stack comes up, so a mistake is a one-line error
   * (exit 2) and nothing is created. {@code context} has the arguments only: no stack yet.
   *
   * @throws io.tcpstack.examples.cli.UsageException for a mistake in the options
   */
  void check(ExampleContext context) throws io.tcpstack.examples.cli.UsageException;

  /**
   * Whether the example runs the stack loop itself — a Netty event loop ({@link
   * io.tcpstack.netty.TcpStackEventLoop}) over {@link ExampleContext#runtime()} — so the runtime
   * is opened without a thread of its own ({@link io.tcpstack.runtime.StackRuntime#open}).
   */
  default boolean drivesStack() {
    return false;
  }

  /**
   * Runs the example on a stack that is up.
   *
   * @return the process exit status: 0 success, 1 failure
   * @throws io.tcpstack.examples.cli.UsageException for a mistake in the example's options
   */
  int run(ExampleContext context) throws Exception;
}
