package io.tcpstack.tcp;

/**
 * A snapshot of one connection's state and counters, in the spirit of Linux's {@code TCP_INFO}:
 * what statistics and tests read. Sizes in bytes, times in nanoseconds.
 *
 * @param state the RFC 9293 state
 * @param segmentsIn segments received on this connection
 * @param segmentsOut segments sent, retransmissions included
 * @param bytesIn payload bytes delivered in order
 * @param bytesOut payload bytes sent for the first time
 * @param timeoutRetransmits retransmission timer expiries (RFC 6298 §5.4)
 * @param fastRetransmits fast retransmits on the third duplicate ACK (RFC 5681 §3.2)
 * @param retransmittedSegments segments sent again, for any reason
 * @param duplicateAcks duplicate ACKs received (RFC 5681 §2 definition)
 * @param windowProbes zero-window probes sent (RFC 9293 §3.8.6.1)
 * @param keepAliveProbes keep-alive probes sent (RFC 1122 §4.2.3.6)
 * @param delayedAcks ACKs that waited for the delayed-ACK timer (RFC 5681 §4.2)
 * @param cwnd congestion window
 * @param ssthresh slow-start threshold ({@link Integer#MAX_VALUE} until the first loss)
 * @param srttNs smoothed round-trip time (0 before the first sample)
 * @param rtoNs retransmission timeout
 * @param sendWindow the peer's window (SND.WND)
 * @param receiveWindow the window we offer (RCV.WND)
 * @param sendMss our effective send MSS
 * @param congestionControl the algorithm's name
 * @param inRecovery whether fast recovery is under way
 * @param rttvarNs RTTVAR, the round-trip time variation (RFC 6298 §2; 0 before the first sample)
 * @param sendWindowScale the shift applied to the peer's window fields (RFC 7323 §2.3; 0 without scaling)
 * @param receiveWindowScale the shift applied to our window fields (0 without scaling)
 * @param receiveMss the largest segment the peer sent, as far as seen (Linux's {@code rcv_mss})
 * @param pathMtu the path MTU estimate toward the peer (RFC 1191)
 * @param unackedBytes sequence space sent and not yet acknowledged: SND.MAX − SND.UNA (flight size, RFC 5681)
 * @param bytesAcked payload bytes the peer acknowledged
 * @param sendQueueBytes bytes in the send buffer: unacknowledged and not yet sent (ss's Send-Q)
 * @param receiveQueueBytes bytes received and not yet read by the application (ss's Recv-Q)
 * @param sackedBytes bytes the peer SACKed above SND.UNA (RFC 2018; 0 without SACK)
 * @param lostBytes bytes the scoreboard deems lost and not yet retransmitted (RFC 6675 IsLost, RFC 8985)
 * @param retries consecutive retransmissions without progress (RFC 9293 §3.8.3, R2)
 * @param timestamps whether the Timestamps option is in use (RFC 7323)
 * @param sack whether SACK is in use (RFC 2018 §2)
 */
public record TcpInfo(
    TcpState state,
    long segmentsIn,
    long segmentsOut,
    long bytesIn,
    long bytesOut,
    long timeoutRetransmits,
    long fastRetransmits,
    long retransmittedSegments,
    long duplicateAcks,
    long windowProbes,
    long keepAliveProbes,
    long delayedAcks,
    int cwnd,
    int ssthresh,
    long srttNs,
    long rtoNs,
    int sendWindow,
    int receiveWindow,
    int sendMss,
    String congestionControl,
    boolean inRecovery,
    long rttvarNs,
    int sendWindowScale,
    int receiveWindowScale,
    int receiveMss,
    int pathMtu,
    int unackedBytes,
    long bytesAcked,
    int sendQueueBytes,
    int receiveQueueBytes,
    long sackedBytes,
    long lostBytes,
    int retries,
    boolean timestamps,
    boolean sack) {
}
