package io.tcpstack.tcp;

import static io.tcpstack.tcp.SeqNum.diff;
import static io.tcpstack.tcp.SeqNum.ge;

import io.tcpstack.stats.StackCounter;
import io.tcpstack.tcp.cc.CongestionControl;

/**
 * Loss detection and recovery of a connection's sender, by duplicate ACKs: fast retransmit and
 * NewReno fast recovery (RFC 5681 §3.2, RFC 6582) with limited transmit (RFC 3042), driving a
 * {@link CongestionControl}. The retransmission timeout is the sender's; a SACK scoreboard and RACK
 * belong here when they come. Stack thread only.
 */
final class LossRecovery {

  /** RFC 5681 §3.2: fast retransmit on the third duplicate ACK. */
  static final int DUP_ACK_THRESHOLD = 3;

  final CongestionControl cc;
  private final Sender sender;
  private final TcpConnection conn;
  int dupAcks;
  boolean inRecovery;
  /** RFC 6582 "recover": SND.MAX when recovery (or the last timeout) began. */
  int recover;
  /** RFC 6582 §3.2 step 5: the timer is reset only by the first partial ACK. */
  private boolean partialAckSeen;
  long fastRetransmits;
  long duplicateAcksIn;

  LossRecovery(TcpConnection conn, Sender sender, CongestionControl cc) {
    this.conn = conn;
    this.sender = sender;
    this.cc = cc;
  }

  void start(int iss) {
    recover = iss;
  }

  /** A new cumulative ACK (RFC 9293 §3.10.7.4 fifth step): congestion control and NewReno recovery. */
  void onNewAck(int segAck, long nowNs) {
    int acked = diff(segAck, sender.sndUna);
    int flightBefore = sender.flightSize();
    if (inRecovery) {
      if (ge(segAck, recover)) {
        // RFC 6582 §3.2 step 5, full acknowledgment: recovery ends.
        inRecovery = false;
        dupAcks = 0;
        sender.acknowledge(segAck, nowNs, true);
        cc.onExitRecovery(sender.flightSize(), nowNs);
      } else {
        // Partial acknowledgment: the next hole is lost too; retransmit it at once. The timer is
        // reset only by the first partial ACK ("impatient" variant).
        sender.acknowledge(segAck, nowNs, !partialAckSeen);
        partialAckSeen = true;
        cc.onPartialAck(acked);
        sender.retransmitHead(nowNs);
      }
      return;
    }
    dupAcks = 0;
    sender.acknowledge(segAck, nowNs, true);
    cc.onAck(acked, flightBefore, nowNs);
  }

  /** RFC 5681 §3.2 and RFC 6582 §3.2: count duplicate ACKs; the third starts fast retransmit. */
  void onDuplicateAck(long nowNs) {
    dupAcks++;
    duplicateAcksIn++;
    conn.layer.counters().increment(StackCounter.TCP_DUP_ACKS_IN);
    if (inRecovery) {
      cc.onDuplicateAckInRecovery(); // step 4: a segment left the network; output may send new data
      return;
    }
    // RFC 6582 §3.2 step 2: only when the ACK covers more than "recover", so one window of losses
    // (or the duplicates a timeout's retransmissions provoke) reduces the window once.
    if (dupAcks == DUP_ACK_THRESHOLD && ge(sender.sndUna, recover)) {
      inRecovery = true;
      partialAckSeen = false;
      recover = sender.sndMax();
      cc.onEnterRecovery(sender.flightSize(), nowNs);
      fastRetransmits++;
      conn.layer.counters().increment(StackCounter.TCP_FAST_RETRANSMITS);
      sender.retransmitHead(nowNs);
    }
  }

  /**
   * RFC 5681 §3.1 after a retransmission timeout: ssthresh from the flight size, cwnd to the loss
   * window; RFC 6582 §3.2 step 1: no fast retransmit for the duplicates this window's
   * retransmissions provoke.
   */
  void onRetransmitTimeout(long nowNs) {
    cc.onRetransmitTimeout(sender.flightSize(), nowNs);
    inRecovery = false;
    dupAcks = 0;
    recover = sender.sndMax();
  }

  /**
   * RFC 3042 limited transmit (RFC 5681 §3.2 SHOULD): on the first and second duplicate ACK, one
   * more new segment each may go beyond cwnd, so a small window still gathers the three duplicates
   * fast retransmit needs. cwnd itself does not change.
   */
  int limitedTransmitAllowance() {
    return !inRecovery && dupAcks > 0 && dupAcks < DUP_ACK_THRESHOLD && !SeqNum.lt(sender.sndNxt, sender.sndMax())
        ? dupAcks * sender.sendMss : 0;
  }
}
