package io.tcpstack.tcp;

import static io.tcpstack.tcp.SeqNum.add;
import static io.tcpstack.tcp.SeqNum.diff;
import static io.tcpstack.tcp.SeqNum.ge;
import static io.tcpstack.tcp.SeqNum.gt;
import static io.tcpstack.tcp.SeqNum.inWindow;
import static io.tcpstack.tcp.SeqNum.le;
import static io.tcpstack.tcp.SeqNum.lt;

import io.netty.buffer.ByteBuf;
import io.tcpstack.stats.StackCounter;
import io.tcpstack.wire.TcpHeader;

/**
 * One TCP connection: the state machine of RFC 9293 §3.3.2 and the event processing of §3.10, as a
 * pure function of the segments and the times it is given. No I/O, no threads, no clock.
 *
 * <p>Variables follow RFC 9293 §3.3.1 ({@code sndUna}, {@code sndNxt}, {@code rcvNxt}, ...). Every
 * comparison of sequence numbers goes through {@link SeqNum}. Segments leave through the owning
 * {@link TcpLayer}. Stack thread only.
 *
 * <p>Invariants: {@code sndUna <= sndNxt}; the send ring holds the bytes from {@code sndBufSeq}
 * onward, where {@code sndBufSeq} is the sequence number of the first unacknowledged data byte
 * (ISS+1 until the SYN is acknowledged); the receive ring holds in-order bytes not yet read by the
 * application, followed by space into which out-of-order bytes are placed at their offset from
 * {@code rcvNxt} (tracked by the {@link Assembler}).
 */
public final class TcpConnection {

  static final long NEVER = Long.MAX_VALUE;
  /** RFC 9293 §3.8.6.2.1 / 3.7.1: without window scaling the window field tops out at 65535. */
  static final int MAX_UNSCALED_WINDOW = 0xFFFF;

  final TcpLayer layer;
  final TcpConfig config;
  final int localAddress;
  final int localPort;
  final int remoteAddress;
  final int remotePort;
  final long key;
  /** The listener this connection was accepted through, or null for an active open. */
  final TcpListener listener;
  private TcpEvents events = TcpEvents.NONE;

  private TcpState state;
  private TcpError error;

  // Send sequence space (RFC 9293 §3.3.1).
  private int iss;
  private int sndUna;
  private int sndNxt;
  private int sndWnd;
  private int sndWl1;
  private int sndWl2;
  /** Sequence number of the first byte in {@link #sendBuffer}. */
  private int sndBufSeq;
  private int sendMss;
  private final ByteRing sendBuffer;
  /** The application shut down output: a FIN follows the data. */
  private boolean finQueued;
  /** Sequence number of our FIN, valid once {@link #finQueued}. */
  private int finSeq;

  // Receive sequence space.
  private int irs;
  private int rcvNxt;
  private final ByteRing receiveBuffer;
  private final Assembler outOfOrder = new Assembler();
  private boolean finReceived;
  /** The peer's FIN arrived ahead of missing data; handled once rcvNxt reaches it. */
  private boolean pendingFin;
  private int pendingFinSeq;
  private int lastAdvertisedWindow;
  private boolean ackNeeded;

  // Timers (RFC 6298 retransmission; TIME-WAIT).
  private final RttEstimator rtt;
  private long retransmitAtNs = NEVER;
  private int retries;
  private boolean timingRtt;
  private int rttEndSeq;
  private long rttSentNs;
  private long timeWaitUntilNs = NEVER;
  /** The SYN or SYN-ACK had to be retransmitted (RFC 6298 §5.7). */
  private boolean synRetransmitted;
  /** Highest sequence number sent so far (SND.MAX): tells retransmissions apart. */
  private int highestSent;
  /** The application holds this connection (returned by connect or accept) and has not disposed it. */
  private boolean applicationOwned;
  private boolean released;

  TcpConnection(TcpLayer layer, TcpConfig config, int localAddress, int localPort, int remoteAddress, int remotePort,
      TcpListener listener) {
    this.layer = layer;
    this.config = config;
    this.localAddress = localAddress;
    this.localPort = localPort;
    this.remoteAddress = remoteAddress;
    this.remotePort = remotePort;
    this.key = TcpLayer.key(remoteAddress, remotePort, localPort);
    this.listener = listener;
    this.rtt = new RttEstimator(config.minRtoNs, config.maxRtoNs, config.initialRtoNs);
    this.sendMss = TcpOptions.DEFAULT_MSS;
    ByteRing send = new ByteRing(layer.allocator(), config.sendBufferSize);
    try {
      this.receiveBuffer = new ByteRing(layer.allocator(), config.receiveBufferSize);
    } catch (RuntimeException e) {
      send.release();
      throw e;
    }
    this.sendBuffer = send;
    this.state = TcpState.CLOSED;
  }

  // ---------------------------------------------------------------- opening

  /** Active open (RFC 9293 §3.10.1): sends SYN, enters SYN-SENT. */
  void open(int isn, long nowNs) {
    initSend(isn);
    state = TcpState.SYN_SENT;
    output(nowNs);
  }

  /** Passive open: a SYN arrived at a listener (RFC 9293 §3.10.7.2). Sends SYN-ACK, enters SYN-RECEIVED. */
  void accept(TcpHeader syn, int peerMss, int isn, long nowNs) {
    initSend(isn);
    irs = syn.sequenceNumber();
    rcvNxt = add(irs, 1);
    sndWnd = syn.window(); // RFC 7323 §2.2: never scaled in a SYN
    sndWl1 = irs;
    sndWl2 = iss;
    sendMss = effectiveMss(peerMss);
    state = TcpState.SYN_RECEIVED;
    output(nowNs);
  }

  private void initSend(int isn) {
    iss = isn;
    sndUna = isn;
    sndNxt = isn;
    highestSent = isn;
    sndBufSeq = add(isn, 1);
  }

  private int effectiveMss(int peerMss) {
    // RFC 9293 §3.7.1 (MUST-15, MUST-16): 536 when the peer sent none; never above what our MTU allows.
    int peer = peerMss > 0 ? peerMss : TcpOptions.DEFAULT_MSS;
    return Math.max(1, Math.min(peer, layer.localMss()));
  }

  // ---------------------------------------------------------------- application side

  public void setEvents(TcpEvents events) {
    this.events = events == null ? TcpEvents.NONE : events;
  }

  public TcpState state() {
    return state;
  }

  /** Why the connection ended abnormally, or null. */
  public TcpError error() {
    return error;
  }

  public int localPort() {
    return localPort;
  }

  public int remoteAddress() {
    return remoteAddress;
  }

  public int remotePort() {
    return remotePort;
  }

  /** Bytes the application can read now. */
  public int readable() {
    return receiveBuffer.length();
  }

  /** The peer sent FIN and every byte before it has been read: reads return end of stream. */
  public boolean isEndOfStream() {
    return finReceived && receiveBuffer.isEmpty();
  }

  /** Room in the send buffer. 0 once output is shut down or the connection is closed. */
  public int writable() {
    return canSend() ? sendBuffer.free() : 0;
  }

  /** Whether data may still be queued: the handshake is under way or done, and output not shut down. */
  public boolean canSend() {
    if (finQueued) {
      return false;
    }
    switch (state) {
      case SYN_SENT:
      case SYN_RECEIVED:
      case ESTABLISHED:
      case CLOSE_WAIT:
        return true;
      default:
        return false;
    }
  }

  /**
   * Queues up to {@code max} readable bytes of {@code src} for sending (RFC 9293 §3.10.2) and sends
   * what the window allows. Returns how many were taken; 0 when the buffer is full.
   *
   * @throws IllegalStateException if output was shut down or the connection is not open
   */
  public int send(ByteBuf src, int max, long nowNs) {
    if (!canSend()) {
      throw new IllegalStateException("cannot send in state " + state + (finQueued ? " after shutdownOutput()" : ""));
    }
    int n = sendBuffer.append(src, max);
    if (n > 0) {
      output(nowNs);
    }
    return n;
  }

  /**
   * Moves up to {@code max} received bytes into {@code dst} (RFC 9293 §3.10.3). Returns how many; 0
   * when nothing is waiting (see {@link #isEndOfStream()}). Opens the window, announcing it when it
   * grew enough (receiver-side SWS avoidance, RFC 9293 §3.8.6.2.2).
   */
  public int receive(ByteBuf dst, int max, long nowNs) {
    int n = Math.min(Math.min(max, dst.writableBytes()), receiveBuffer.length());
    if (n == 0) {
      return 0;
    }
    receiveBuffer.copyTo(0, dst, n);
    receiveBuffer.consume(n);
    if (state.isSynchronized() && !finReceived) {
      int window = advertisableWindow();
      // RFC 9293 §3.8.6.2.2: move the right edge only by min(half the buffer, one MSS) or more.
      if (window - lastAdvertisedWindow >= Math.min(receiveBuffer.capacity() / 2, sendMss)) {
        ackNeeded = true;
        output(nowNs);
      }
    }
    return n;
  }

  /**
   * No more data from this side (RFC 9293 §3.10.4 CLOSE, and the half-close it allows): a FIN
   * follows the queued data. Reading stays possible until the peer's FIN.
   */
  public void shutdownOutput(long nowNs) {
    if (finQueued) {
      return;
    }
    switch (state) {
      case SYN_SENT:
        becomeClosed(null); // RFC 9293 §3.10.4: "delete the TCB"
        return;
      case SYN_RECEIVED:
      case ESTABLISHED:
        queueFin();
        state = TcpState.FIN_WAIT_1;
        break;
      case CLOSE_WAIT:
        queueFin();
        state = TcpState.LAST_ACK;
        break;
      default:
        return; // already closing or closed
    }
    output(nowNs);
  }

  private void queueFin() {
    finQueued = true;
    finSeq = add(sndBufSeq, sendBuffer.length());
  }

  /** ABORT (RFC 9293 §3.10.5): sends RST in synchronized states, drops everything, enters CLOSED. */
  public void abort(long nowNs) {
    if (state == TcpState.CLOSED) {
      return;
    }
    if (state.isSynchronized() || state == TcpState.SYN_RECEIVED) {
      // RFC 9293 §3.10.5: <SEQ=SND.NXT><CTL=RST>.
      layer.sendSegment(this, TcpHeader.FLAG_RST, sndNxt, 0, 0, null, 0, 0, false);
    }
    becomeClosed(TcpError.ABORTED);
  }

  // ---------------------------------------------------------------- segment arrives (RFC 9293 §3.10.7)

  /** A segment for this connection; the layer has verified its checksum. */
  void process(TcpHeader seg, ByteBuf buf, int payloadIndex, int payloadLength, int peerMss, long nowNs) {
    if (state == TcpState.SYN_SENT) {
      processInSynSent(seg, peerMss, nowNs);
    } else {
      processSynchronized(seg, buf, payloadIndex, payloadLength, nowNs);
    }
    if (state != TcpState.CLOSED) {
      output(nowNs);
    }
  }

  /** RFC 9293 §3.10.7.3. */
  private void processInSynSent(TcpHeader seg, int peerMss, long nowNs) {
    boolean ack = seg.hasFlags(TcpHeader.FLAG_ACK);
    int segAck = seg.acknowledgmentNumber();
    // First: check the ACK.
    if (ack && (le(segAck, iss) || gt(segAck, sndNxt))) {
      if (!seg.hasFlags(TcpHeader.FLAG_RST)) {
        layer.sendSegment(this, TcpHeader.FLAG_RST, segAck, 0, 0, null, 0, 0, false);
      }
      return;
    }
    // Second: RST. Acceptable only with an acceptable ACK (RFC 5961 §3.2 adds nothing for SYN-SENT).
    if (seg.hasFlags(TcpHeader.FLAG_RST)) {
      if (ack) {
        becomeClosed(TcpError.REFUSED);
      }
      return;
    }
    if (!seg.hasFlags(TcpHeader.FLAG_SYN)) {
      return; // fifth: neither SYN nor RST — drop
    }
    // Fourth: SYN.
    irs = seg.sequenceNumber();
    rcvNxt = add(irs, 1);
    sendMss = effectiveMss(peerMss);
    if (ack) {
      acknowledge(segAck, nowNs);
    }
    if (gt(sndUna, iss)) {
      // Our SYN is acknowledged: ESTABLISHED. RFC 7323 §2.2: the window of a SYN is never scaled.
      sndWnd = seg.window();
      sndWl1 = seg.sequenceNumber();
      sndWl2 = segAck;
      state = TcpState.ESTABLISHED;
      ackNeeded = true;
      layer.counters().increment(StackCounter.TCP_ESTABLISHED);
      established();
    } else {
      // Simultaneous open (RFC 9293 §3.5, figure 8): SYN-RECEIVED, SYN-ACK with our ISS.
      state = TcpState.SYN_RECEIVED;
      sndWnd = seg.window();
      sndWl1 = seg.sequenceNumber();
      sndWl2 = iss;
      sndNxt = iss; // the SYN goes again, now with ACK
    }
  }

  private void processSynchronized(TcpHeader seg, ByteBuf buf, int payloadIndex, int payloadLength, long nowNs) {
    int seq = seg.sequenceNumber();
    boolean syn = seg.hasFlags(TcpHeader.FLAG_SYN);
    boolean fin = seg.hasFlags(TcpHeader.FLAG_FIN);
    boolean rst = seg.hasFlags(TcpHeader.FLAG_RST);
    int segLen = payloadLength + (syn ? 1 : 0) + (fin ? 1 : 0);

    // A retransmitted SYN in SYN-RECEIVED (our SYN-ACK was lost): answer with the SYN-ACK again.
    if (state == TcpState.SYN_RECEIVED && syn && !rst && !seg.hasFlags(TcpHeader.FLAG_ACK) && seq == irs) {
      sndNxt = iss;
      return;
    }

    // First: sequence number acceptability (RFC 9293 §3.10.7.4, the four cases).
    int window = advertisableWindow();
    boolean acceptable;
    if (segLen == 0) {
      // RFC 9293 §3.10.7.4 says RCV.NXT =< SEG.SEQ < RCV.NXT+RCV.WND. We also accept SEG.SEQ at the
      // right edge itself, as Linux does: a peer that has filled our window sends its pure ACKs with
      // SEQ=SND.NXT=RCV.NXT+RCV.WND, and dropping them deadlocks two senders that each filled the
      // other's window (found by TcpSimulationTest). With a zero window this is SEG.SEQ = RCV.NXT.
      acceptable = le(rcvNxt, seq) && le(seq, add(rcvNxt, window));
    } else {
      acceptable = window != 0
          && (inWindow(seq, rcvNxt, window) || inWindow(add(seq, segLen - 1), rcvNxt, window));
    }
    if (!acceptable) {
      if (!rst) {
        ackNeeded = true; // <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>
        if (state == TcpState.TIME_WAIT && fin) {
          timeWaitUntilNs = nowNs + config.timeWaitNs(); // a retransmitted FIN: restart 2 MSL
        }
      }
      return;
    }

    // Second: RST (RFC 9293 §3.10.7.4 with RFC 5961 §3.2: only an exact match resets).
    if (rst) {
      if (state == TcpState.TIME_WAIT) {
        return; // RFC 1337: ignore RST in TIME-WAIT (no assassination)
      }
      if (seq != rcvNxt) {
        ackNeeded = true; // challenge ACK
        layer.counters().increment(StackCounter.TCP_CHALLENGE_ACKS);
        return;
      }
      switch (state) {
        case SYN_RECEIVED:
          // Passive open: the listener simply forgets it. Active (simultaneous) open: refused.
          becomeClosed(listener != null ? null : TcpError.REFUSED);
          return;
        case ESTABLISHED:
        case FIN_WAIT_1:
        case FIN_WAIT_2:
        case CLOSE_WAIT:
          layer.counters().increment(StackCounter.TCP_ESTAB_RESETS);
          becomeClosed(TcpError.RESET);
          return;
        default:
          becomeClosed(null); // CLOSING, LAST-ACK
          return;
      }
    }

    // Fourth: SYN in a synchronized state (RFC 9293 §3.10.7.4, RFC 5961 §4.2): challenge ACK.
    if (syn) {
      ackNeeded = true;
      layer.counters().increment(StackCounter.TCP_CHALLENGE_ACKS);
      return;
    }

    // Fifth: ACK.
    if (!seg.hasFlags(TcpHeader.FLAG_ACK)) {
      return;
    }
    int segAck = seg.acknowledgmentNumber();
    if (state == TcpState.SYN_RECEIVED) {
      if (lt(sndUna, segAck) && le(segAck, sndNxt)) {
        state = TcpState.ESTABLISHED;
        sndWnd = seg.window();
        sndWl1 = seq;
        sndWl2 = segAck;
        layer.counters().increment(StackCounter.TCP_ESTABLISHED);
        if (listener != null) {
          listener.established(this);
        }
        established();
      } else {
        layer.sendSegment(this, TcpHeader.FLAG_RST, segAck, 0, 0, null, 0, 0, false);
        return;
      }
    }
    if (gt(segAck, sndNxt)) {
      ackNeeded = true; // acknowledges something not yet sent
      return;
    }
    if (gt(segAck, sndUna)) {
      acknowledge(segAck, nowNs);
    }
    // RFC 9293 §3.10.7.4: update the send window only from newer segments.
    if (lt(sndWl1, seq) || (sndWl1 == seq && le(sndWl2, segAck))) {
      sndWnd = seg.window();
      sndWl1 = seq;
      sndWl2 = segAck;
    }
    boolean ourFinAcked = finQueued && segAck == add(finSeq, 1);
    switch (state) {
      case FIN_WAIT_1:
        if (ourFinAcked) {
          state = TcpState.FIN_WAIT_2;
        }
        break;
      case CLOSING:
        if (ourFinAcked) {
          enterTimeWait(nowNs);
        }
        break;
      case LAST_ACK:
        if (ourFinAcked) {
          becomeClosed(null);
          return;
        }
        break;
      default:
        break;
    }

    // Seventh: segment text (sixth, URG, is ignored: urgent bytes stay in the stream, RFC 6093).
    if (payloadLength > 0) {
      switch (state) {
        case ESTABLISHED:
        case FIN_WAIT_1:
        case FIN_WAIT_2:
          receiveText(seq, buf, payloadIndex, payloadLength, nowNs);
          break;
        default:
          break; // the peer already sent FIN: ignore text
      }
    }

    // Eighth: FIN.
    if (fin) {
      int peerFin = add(seq, payloadLength);
      if (state == TcpState.TIME_WAIT) {
        ackNeeded = true;
        timeWaitUntilNs = nowNs + config.timeWaitNs();
      } else if (!finReceived) {
        if (peerFin == rcvNxt) {
          receiveFin(nowNs);
        } else if (gt(peerFin, rcvNxt)) {
          pendingFin = true;
          pendingFinSeq = peerFin;
          ackNeeded = true;
        }
      }
    }
  }

  private void established() {
    if (synRetransmitted) {
      rtt.afterSynTimeout(); // RFC 6298 §5.7: RTO back to 3 s if the SYN timed out
    }
    events.onEstablished(this);
  }

  /** SND.UNA advances to {@code segAck}: free acknowledged data, take an RTT sample, manage the timer. */
  private void acknowledge(int segAck, long nowNs) {
    // The SYN occupies ISS; data starts at sndBufSeq; the FIN follows the data.
    int dataAcked = diff(segAck, sndBufSeq);
    if (dataAcked > 0) {
      int n = Math.min(dataAcked, sendBuffer.length());
      sendBuffer.consume(n);
      sndBufSeq = add(sndBufSeq, n);
    }
    sndUna = segAck;
    retries = 0;
    // RFC 6298 §3 (Karn): only segments never retransmitted are timed; timingRtt is cleared on retransmission.
    if (timingRtt && ge(segAck, rttEndSeq)) {
      rtt.sample(nowNs - rttSentNs);
      timingRtt = false;
    }
    // RFC 6298 §5.2/5.3: stop the timer when all is acknowledged, else restart it.
    retransmitAtNs = sndUna == sndNxt ? NEVER : nowNs + rtt.rtoNs();
    if (dataAcked > 0) {
      events.onWritable(this);
    }
  }

  /** In-order bytes go to the receive ring; bytes beyond a gap are placed and remembered. */
  private void receiveText(int seq, ByteBuf buf, int index, int length, long nowNs) {
    int offset = diff(seq, rcvNxt);
    if (offset < 0) { // starts before RCV.NXT: trim what we already have
      index -= offset;
      length += offset;
      offset = 0;
    }
    int room = receiveBuffer.free();
    if (length <= 0 || offset >= room) {
      ackNeeded = true;
      return;
    }
    length = Math.min(length, room - offset); // trim to the window
    if (offset == 0) {
      receiveBuffer.append(buf, index, length);
      int ready = outOfOrder.advance(length);
      receiveBuffer.commit(ready);
      rcvNxt = add(rcvNxt, length + ready);
      layer.counters().add(StackCounter.TCP_IN_BYTES, length + ready);
      ackNeeded = true;
      events.onReadable(this);
      if (pendingFin && rcvNxt == pendingFinSeq) {
        receiveFin(nowNs);
      }
    } else {
      // RFC 5681 §4.2: out-of-order data is acknowledged at once (a duplicate ACK).
      if (outOfOrder.add(offset, offset + length)) {
        receiveBuffer.writeAt(receiveBuffer.length() + offset, buf, index, length);
        layer.counters().increment(StackCounter.TCP_OUT_OF_ORDER);
      }
      ackNeeded = true;
    }
  }

  private void receiveFin(long nowNs) {
    finReceived = true;
    pendingFin = false;
    rcvNxt = add(rcvNxt, 1);
    ackNeeded = true;
    switch (state) {
      case SYN_RECEIVED:
      case ESTABLISHED:
        state = TcpState.CLOSE_WAIT;
        break;
      case FIN_WAIT_1:
        if (finQueued && sndUna == add(finSeq, 1)) {
          enterTimeWait(nowNs);
        } else {
          state = TcpState.CLOSING;
        }
        break;
      case FIN_WAIT_2:
        enterTimeWait(nowNs);
        break;
      default:
        break;
    }
    events.onReadable(this);
  }

  private void enterTimeWait(long nowNs) {
    state = TcpState.TIME_WAIT;
    retransmitAtNs = NEVER;
    timeWaitUntilNs = nowNs + config.timeWaitNs();
  }

  // ---------------------------------------------------------------- output

  /** Sends whatever is due now: SYN, data within the window, FIN, and an ACK if one is owed. */
  void output(long nowNs) {
    switch (state) {
      case SYN_SENT:
        if (sndNxt == iss) {
          sendSyn(TcpHeader.FLAG_SYN, nowNs);
        }
        break;
      case SYN_RECEIVED:
        if (sndNxt == iss) {
          sendSyn(TcpHeader.FLAG_SYN | TcpHeader.FLAG_ACK, nowNs);
        }
        sendData(nowNs); // a FIN queued in SYN-RECEIVED waits for ESTABLISHED (RFC 9293 §3.10.4)
        break;
      case ESTABLISHED:
      case CLOSE_WAIT:
      case FIN_WAIT_1:
      case CLOSING:
      case LAST_ACK:
        sendData(nowNs);
        break;
      default:
        break;
    }
    if (ackNeeded && state != TcpState.CLOSED && state != TcpState.SYN_SENT) {
      sendAck();
    }
  }

  private void sendSyn(int flags, long nowNs) {
    boolean retransmission = highestSent != iss;
    layer.sendSegment(this, flags, iss, (flags & TcpHeader.FLAG_ACK) != 0 ? rcvNxt : 0, advertisableWindowForSyn(),
        null, 0, 0, true);
    sndNxt = add(iss, 1);
    highestSent = sndNxt;
    ackNeeded = false;
    if (!retransmission) {
      startTiming(nowNs);
    }
    armRetransmit(nowNs);
  }

  private void sendData(long nowNs) {
    sendData(nowNs, Integer.MAX_VALUE);
  }

  /** Sends at most {@code maxSegments} data segments (and the FIN, when its turn comes). */
  private void sendData(long nowNs, int maxSegments) {
    if (state == TcpState.SYN_RECEIVED) {
      return; // data waits for the handshake
    }
    for (int sent = 0; ; sent++) {
      if (sent == maxSegments) {
        return;
      }
      int offset = diff(sndNxt, sndBufSeq);
      int unsent = sendBuffer.length() - offset;
      int usable = diff(add(sndUna, sndWnd), sndNxt);
      int n = Math.min(Math.min(unsent, sendMss), Math.max(0, usable));
      if (n > 0) {
        boolean last = n == unsent;
        int flags = TcpHeader.FLAG_ACK | (last ? TcpHeader.FLAG_PSH : 0);
        boolean retransmission = lt(sndNxt, sndMax());
        layer.sendSegment(this, flags, sndNxt, rcvNxt, takeWindow(), sendBuffer, offset, n, false);
        if (retransmission) {
          layer.counters().increment(StackCounter.TCP_RETRANS_SEGS);
        } else {
          layer.counters().add(StackCounter.TCP_OUT_BYTES, n);
        }
        sndNxt = add(sndNxt, n);
        if (!retransmission) {
          highestSent = sndNxt;
          startTiming(nowNs); // Karn (RFC 6298 §3): time only segments sent for the first time
        }
        ackNeeded = false;
        armRetransmit(nowNs);
        continue;
      }
      if (finQueued && sndNxt == finSeq) {
        layer.sendSegment(this, TcpHeader.FLAG_FIN | TcpHeader.FLAG_ACK, sndNxt, rcvNxt, takeWindow(), null, 0, 0, false);
        sndNxt = add(sndNxt, 1);
        if (gt(sndNxt, highestSent)) {
          highestSent = sndNxt;
        }
        ackNeeded = false;
        armRetransmit(nowNs);
      } else if (unsent > 0 && sndWnd == 0 && sndUna == sndNxt) {
        armRetransmit(nowNs); // zero window: the timer probes it (persist timer: see issue 4)
      }
      return;
    }
  }

  private int sndMax() {
    return gt(highestSent, sndNxt) ? highestSent : sndNxt;
  }

  private void sendAck() {
    layer.sendSegment(this, TcpHeader.FLAG_ACK, sndNxt, rcvNxt, takeWindow(), null, 0, 0, false);
    ackNeeded = false;
  }

  /** Starts timing the segment just sent (ending at SND.NXT) unless one is being timed already. */
  private void startTiming(long nowNs) {
    if (!timingRtt) {
      timingRtt = true;
      rttEndSeq = sndNxt;
      rttSentNs = nowNs;
    }
  }

  private void armRetransmit(long nowNs) {
    if (retransmitAtNs == NEVER) {
      retransmitAtNs = nowNs + rtt.rtoNs();
    }
  }

  /** The window we can offer now: free receive space, capped by the unscaled field. */
  private int advertisableWindow() {
    return Math.min(receiveBuffer.free(), MAX_UNSCALED_WINDOW);
  }

  private int advertisableWindowForSyn() {
    lastAdvertisedWindow = advertisableWindow();
    return lastAdvertisedWindow;
  }

  private int takeWindow() {
    lastAdvertisedWindow = advertisableWindow();
    return lastAdvertisedWindow;
  }

  // ---------------------------------------------------------------- timers

  /** The next time {@link #onTimer} has work: a deadline in nowNs terms, or {@link #NEVER}. */
  long nextDeadline() {
    return Math.min(retransmitAtNs, timeWaitUntilNs);
  }

  void onTimer(long nowNs) {
    if (timeWaitUntilNs != NEVER && timeWaitUntilNs - nowNs <= 0) {
      timeWaitUntilNs = NEVER;
      becomeClosed(null);
      return;
    }
    if (retransmitAtNs != NEVER && retransmitAtNs - nowNs <= 0) {
      retransmitAtNs = NEVER;
      onRetransmitTimeout(nowNs);
    }
  }

  /** RFC 6298 §5.4–5.6: retransmit the earliest unacknowledged segment, back off, restart the timer. */
  private void onRetransmitTimeout(long nowNs) {
    boolean handshake = state == TcpState.SYN_SENT || state == TcpState.SYN_RECEIVED;
    int limit = handshake ? config.synRetries : config.dataRetries;
    if (retries >= limit) {
      layer.counters().increment(StackCounter.TCP_TIMEOUTS);
      becomeClosed(TcpError.TIMED_OUT);
      return;
    }
    retries++;
    rtt.backoff();
    timingRtt = false; // Karn: never time a retransmitted segment
    if (handshake && lt(sndUna, add(iss, 1))) {
      sndNxt = iss; // the SYN (or SYN-ACK) again
      synRetransmitted = true;
      layer.counters().increment(StackCounter.TCP_RETRANS_SEGS);
    } else if (sndUna == sndNxt && sendBuffer.length() > diff(sndNxt, sndBufSeq) && sndWnd == 0) {
      probeZeroWindow(nowNs);
      return;
    } else {
      // RFC 6298 §5.4: retransmit the earliest unacknowledged segment. SND.NXT goes back to it;
      // what follows is resent as ACKs come in (and, once congestion control is in, as cwnd allows).
      sndNxt = sndUna;
      sendData(nowNs, 1);
      if (ackNeeded) {
        sendAck();
      }
      armRetransmit(nowNs);
      return;
    }
    output(nowNs);
    armRetransmit(nowNs);
  }

  /** One byte beyond a zero window, so the peer's ACK tells us when it opens (RFC 9293 §3.8.6.1). */
  private void probeZeroWindow(long nowNs) {
    int offset = diff(sndNxt, sndBufSeq);
    layer.sendSegment(this, TcpHeader.FLAG_ACK, sndNxt, rcvNxt, takeWindow(), sendBuffer, offset, 1, false);
    layer.counters().increment(StackCounter.TCP_WINDOW_PROBES);
    sndNxt = add(sndNxt, 1); // the byte is real data: if the window opened, its ACK covers it
    if (gt(sndNxt, highestSent)) {
      highestSent = sndNxt;
    }
    retries = 0; // probes answered with a zero window are not failures (RFC 1122 §4.2.2.17)
    armRetransmit(nowNs);
  }

  // ---------------------------------------------------------------- closing

  private void becomeClosed(TcpError why) {
    if (state == TcpState.CLOSED) {
      return;
    }
    if (listener != null && state == TcpState.SYN_RECEIVED) {
      listener.halfOpenFailed();
    }
    state = TcpState.CLOSED;
    if (error == null) {
      error = why;
    }
    retransmitAtNs = NEVER;
    timeWaitUntilNs = NEVER;
    layer.remove(this);
    events.onClosed(this);
    if (!applicationOwned) {
      release();
    }
  }

  /** A new SYN reuses this 4-tuple while in TIME-WAIT (RFC 6191): this incarnation ends now. */
  void closeFromTimeWait() {
    becomeClosed(null);
  }

  /** The application takes this connection (from connect or accept): it must {@link #dispose()} it. */
  void adopt() {
    applicationOwned = true;
    layer.owned(this, true);
  }

  /**
   * The application is done with this connection: once it is CLOSED its buffers are released (at
   * once if it already is). Does not close it — call {@link #shutdownOutput} or {@link #abort} first.
   */
  public void dispose() {
    applicationOwned = false;
    if (state == TcpState.CLOSED) {
      release();
    }
  }

  /** Releases the buffers, once. */
  void release() {
    if (!released) {
      released = true;
      layer.owned(this, false);
      sendBuffer.release();
      receiveBuffer.release();
    }
  }

  // ---------------------------------------------------------------- for tests and statistics

  public int sndUna() {
    return sndUna;
  }

  public int sndNxt() {
    return sndNxt;
  }

  public int rcvNxt() {
    return rcvNxt;
  }

  public int sendMss() {
    return sendMss;
  }

  public long rtoNs() {
    return rtt.rtoNs();
  }

  /** The connection's variables, for diagnostics (failing tests, debug logs). */
  public String describe() {
    return state + " sndUna=" + Integer.toUnsignedString(sndUna) + " sndNxt=+" + diff(sndNxt, sndUna)
        + " sndMax=+" + diff(sndMax(), sndUna) + " sndWnd=" + sndWnd + " buffered=" + sendBuffer.length()
        + (finQueued ? " fin=+" + diff(finSeq, sndUna) : "") + " rcvNxt=" + Integer.toUnsignedString(rcvNxt)
        + " rcvWnd=" + advertisableWindow() + " unread=" + receiveBuffer.length() + " retries=" + retries
        + " rto=" + rtt.rtoNs() / 1_000_000 + "ms" + (retransmitAtNs == NEVER ? " rtx=never" : " rtx@" + retransmitAtNs);
  }

  @Override
  public String toString() {
    return "TcpConnection[" + io.tcpstack.wire.Ipv4Address.toString(remoteAddress) + ":" + remotePort
        + " -> :" + localPort + " " + state + "]";
  }
}
