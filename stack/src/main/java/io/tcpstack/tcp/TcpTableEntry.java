package io.tcpstack.tcp;

/**
 * One row of the stack's TCP table, as {@code ss -tani} shows one socket: a listener, a connection,
 * or the compact record of a connection in TIME-WAIT. A snapshot made on the stack thread ({@link
 * TcpLayer#table}); immutable, so any thread may read it afterwards.
 *
 * @param state LISTEN for a listener, TIME_WAIT for a TIME-WAIT record, the connection's state otherwise
 * @param localAddress the stack's address, in its usual text form
 * @param localPort the local port
 * @param remoteAddress the peer's address in text form, or {@code "*"} for a listener
 * @param remotePort the peer's port, or 0 for a listener
 * @param info the connection's {@link TcpInfo}; null for a listener and a TIME-WAIT record (neither has a TCB)
 * @param acceptQueue a listener's connections waiting for accept (ss's Recv-Q); 0 otherwise
 * @param backlog a listener's accept queue limit (ss's Send-Q); 0 otherwise
 * @param halfOpen a listener's connections in SYN-RECEIVED; 0 otherwise
 * @param timerNs a TIME-WAIT record's time left until 2 MSL runs out; -1 otherwise
 */
public record TcpTableEntry(
    TcpState state,
    String localAddress,
    int localPort,
    String remoteAddress,
    int remotePort,
    TcpInfo info,
    int acceptQueue,
    int backlog,
    int halfOpen,
    long timerNs) {

  /** Whether this row is a listener. */
  public boolean isListener() {
    return state == TcpState.LISTEN;
  }
}
