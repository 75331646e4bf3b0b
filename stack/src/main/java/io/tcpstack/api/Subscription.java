package io.tcpstack.api;

/** A handler's registration with a channel; {@link #cancel()} stops its events. */
@FunctionalInterface
public interface Subscription {

  /** No more events for this handler. Idempotent; stack thread. */
  void cancel();
}
