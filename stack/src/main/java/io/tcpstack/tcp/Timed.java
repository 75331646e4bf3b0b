package io.tcpstack.tcp;

/** Something in the layer's timer queue: a connection, or a TIME-WAIT record. */
abstract class Timed extends DeadlineHeap.Entry {

  /** Its deadline came (or passed) at {@code nowNs}; it re-arms itself through the layer if it must. */
  abstract void onDeadline(long nowNs);
}
