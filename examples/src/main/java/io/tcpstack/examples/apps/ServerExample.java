package io.tcpstack.examples.apps;

import io.tcpstack.examples.cli.UsageException;

/** An example that serves one TCP port: its only option is {@code --port N}. */
abstract class ServerExample implements Example {

  private final String name;
  private final int defaultPort;
  private final String summary;

  ServerExample(String name, int defaultPort, String summary) {
    this.name = name;
    this.defaultPort = defaultPort;
    this.summary = summary;
  }

  @Override
  public final String name() {
    return name;
  }

  @Override
  public final String summary() {
    return summary;
  }

  @Override
  public final String options() {
    return "      --port N                TCP port (default " + defaultPort + ")\n";
  }

  @Override
  public final void check(ExampleContext context) throws UsageException {
    context.portOption(defaultPort);
  }

  @Override
  public final int run(ExampleContext context) throws Exception {
    return serve(context, context.portOption(defaultPort));
  }

  /** Serves {@code port} of the stack until Ctrl-C (or, for some, until done); returns the exit status. */
  abstract int serve(ExampleContext context, int port) throws Exception;
}
