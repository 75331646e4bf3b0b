package io.tcpstack.tcp;

import io.tcpstack.wire.IpAddress;
import static io.tcpstack.tcp.SeqNum.add;
import static io.tcpstack.tcp.SeqNum.ge;
import static io.tcpstack.tcp.SeqNum.gt;
import static io.tcpstack.tcp.SeqNum.inWindow;
import static io.tcpstack.tcp.SeqNum.le;

import io.tcpstack.wire.TcpHeader;

/**
 * What is left of a connection in TIME-WAIT (RFC 9293 §3.3.2): its 4-tuple, the sequence numbers
 * needed to answer the peer, and when 2 MSL runs out — no buffers and (once the application let go
 * of it) no connection object, so a server that closes thousands of connections a second holds a
 * few dozen bytes for each, as Linux's {@code tcp_timewait_sock} does. It answers what TIME-WAIT
 * must answer: a retransmitted FIN is acknowledged again and restarts 2 MSL (§3.10.7.4 eighth
 * step), any other unacceptable segment draws an ACK, a SYN in the window draws a challenge ACK
 * (RFC 5961 §4.2), and a RST is ignored (RFC 1337). A new SYN may reopen the 4-tuple (RFC 6191);
 * the layer decides that. With timestamps the ACKs carry them (RFC 7323 §3.2), echoing TS.Recent,
 * which a retransmitted FIN still updates by the rule of §4.3 (Last.ACK.sent is RCV.NXT here).
 * Neither PAWS (§5.3) nor the drop of segments without timestamps (§3.2) is applied: what they
 * would drop, TIME-WAIT answers with the same ACK or ignores anyway.
 */
final class TimeWaitRecord extends Timed {

  private final TcpLayer layer;
  final long key;
  /** The IPv6 connection's demux key; null for IPv4. */
  final FlowKey6 key6;
  final IpAddress remoteIp;
  final int remotePort;
  final int localPort;
  /** SND.MAX: our FIN's sequence number plus one. */
  private final int sndMax;
  /** RCV.NXT: after the peer's FIN. */
  final int rcvNxt;
  /** The window we last offered: what acceptability is judged against. */
  private final int window;
  /** The window field our ACKs carry: {@link #window} scaled (RFC 7323 §2.3). */
  private final int windowField;
  private final long timeWaitNs;
  /** Timestamps were in use (RFC 7323 §3.2): our ACKs carry them. */
  private final boolean timestamps;
  /** The connection's TS clock offset (RFC 7323 §5.4). */
  private final int tsOffset;
  /** TS.Recent (RFC 7323 §4.3): what our ACKs echo. */
  private int tsRecent;
  /** The connection, while the application still holds it (it reads TIME_WAIT, then CLOSED); else null. */
  private TcpConnection holder;

  TimeWaitRecord(TcpLayer layer, TcpConnection c, int sndMax, int rcvNxt, int window, int windowField, long timeWaitNs) {
    this.layer = layer;
    this.key = c.key;
    this.key6 = c.key6;
    this.remoteIp = c.remoteIp;
    this.remotePort = c.remotePort;
    this.localPort = c.localPort;
    this.sndMax = sndMax;
    this.rcvNxt = rcvNxt;
    this.window = window;
    this.windowField = windowField;
    this.timeWaitNs = timeWaitNs;
    this.timestamps = c.timestamps.enabled;
    this.tsOffset = c.timestamps.offset;
    this.tsRecent = c.timestamps.recent;
  }

  void holdFor(TcpConnection c) {
    this.holder = c;
  }

  /** The application disposed of the connection: the record no longer keeps it reachable. */
  void letGo() {
    this.holder = null;
  }

  /** RFC 9293 §3.10.7.4 in TIME-WAIT. */
  void process(SegmentRepr seg, long nowNs) {
    boolean rst = seg.has(TcpHeader.FLAG_RST);
    boolean fin = seg.has(TcpHeader.FLAG_FIN);
    if (timestamps && seg.timestamps && !rst && ge(seg.tsVal, tsRecent) && le(seg.seq, rcvNxt)) {
      tsRecent = seg.tsVal; // RFC 7323 §4.3 (2), Last.ACK.sent = RCV.NXT: e.g. a retransmitted FIN
    }
    if (!acceptable(seg.seq, seg.segmentLength())) {
      if (!rst) {
        sendAck(nowNs);
        if (fin) {
          layer.schedule(this, nowNs + timeWaitNs); // a retransmitted FIN: restart 2 MSL
        }
      }
      return;
    }
    if (rst) {
      return; // RFC 1337: ignore RST in TIME-WAIT (no assassination)
    }
    if (seg.has(TcpHeader.FLAG_SYN)) {
      if (layer.challengeAck(nowNs)) {
        sendAck(nowNs); // RFC 5961 §4.2, within the stack's budget (§7)
      }
      return;
    }
    if (!seg.has(TcpHeader.FLAG_ACK)) {
      return;
    }
    if (gt(seg.ack, sndMax)) {
      sendAck(nowNs); // acknowledges something never sent
      return;
    }
    if (fin) {
      sendAck(nowNs);
      layer.schedule(this, nowNs + timeWaitNs);
    }
  }

  /** The old incarnation used timestamps and {@code seg}'s TSval is newer than TS.Recent (RFC 6191 §2). */
  boolean olderThan(SegmentRepr seg) {
    return timestamps && seg.timestamps && gt(seg.tsVal, tsRecent);
  }

  private boolean acceptable(int seq, int segLen) {
    if (segLen == 0) {
      return le(rcvNxt, seq) && le(seq, add(rcvNxt, window));
    }
    return window != 0 && (inWindow(seq, rcvNxt, window) || inWindow(add(seq, segLen - 1), rcvNxt, window));
  }

  private void sendAck(long nowNs) {
    SegmentRepr out = layer.outgoing().outgoing(TcpHeader.FLAG_ACK, sndMax, rcvNxt, windowField);
    if (timestamps) {
      out.timestamps = true;
      out.tsVal = Timestamps.tsVal(tsOffset, nowNs);
      out.tsEcr = tsRecent;
    }
    layer.transmit(remoteIp, remotePort, localPort, out);
  }

  /** 2 MSL passed: the 4-tuple is free. */
  @Override
  void onDeadline(long nowNs) {
    end();
  }

  /** Ends TIME-WAIT now (expiry, a new SYN reusing the 4-tuple, the stack closing). */
  void end() {
    layer.removeTimeWait(this);
    if (holder != null) {
      holder.timeWaitEnded();
      holder = null;
    }
  }
}
