package io.tcpstack.tcp;

/** Something with events raised and waiting to be delivered by {@link TcpLayer#deliverEvents()}. */
interface EventSource {
  void deliverEvents();
}
