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
import io.tcpstack.tcp.cc.CongestionControl;
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
 *
 * <p>Sending is limited by the peer's window, the congestion window ({@link CongestionControl}),
 * sender-side silly-window avoidance and Nagle's algorithm; loss is repaired by the retransmission
 * timer (RFC 6298) and by fast retransmit and NewReno fast recovery (RFC 5681 §3.2, RFC 6582). A
 * zero window is probed by the persist timer (RFC 9293 §3.8.6.1). ACKs for in-order data may be
 * delayed (RFC 5681 §4.2). Keep-alive (RFC 1122 §4.2.3.6) is optional.
 */
public final class TcpConnection implements EventSource {

  static final long NEVER = Long.MAX_VALUE;
  private static final TcpEvents[] NO_SUBSCRIBERS = new TcpEvents[0];
  static final int EVENT_ESTABLISHED = 1;
  static final int EVENT_READABLE = 2;
  static final int EVENT_WRITABLE = 4;
  static final int EVENT_CLOSED = 8;
  /** RFC 9293 §3.8.6.2.1 / 3.7.1: without window scaling the window field tops out at 65535. */
  static final int MAX_UNSCALED_WINDOW = 0xFFFF;
  /** RFC 5681 §3.2: fast retransmit on the third duplicate ACK. */
  static final int DUP_ACK_THRESHOLD = 3;

  final TcpLayer layer;
  final TcpConfig config;
  final int localAddress;
  final int localPort;
  final int remoteAddress;
  final int remotePort;
  final long key;
  /** The listener this connection was accepted through, or null for an active open. */
  final TcpListener listener;
  /** Who hears this connection's events; copied on (rare) change, so delivery never allocates. */
  private TcpEvents[] subscribers = NO_SUBSCRIBERS;
  /** Events raised since the last delivery ({@code EVENT_*} bits), delivered by the layer afterwards. */
  private int pendingEvents;

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
  /** RCV.NXT + RCV.WND as last advertised: the right edge we offered, which never moves left. */
  private int rcvAdvertisedEdge;
  /** An ACK is owed now. */
  private boolean ackNeeded;
  /** An ACK is owed by this time at the latest (delayed ACK, RFC 5681 §4.2), or {@link #NEVER}. */
  private long delayedAckAtNs = NEVER;
  /** In-order bytes received since our last ACK: every second full-sized segment is acknowledged. */
  private int unackedBytes;
  /** The largest segment the peer sent so far (its effective MSS as far as we can tell). */
  private int rcvMss = TcpOptions.DEFAULT_MSS;

  // Congestion control and loss recovery (RFC 5681, RFC 6582).
  private final CongestionControl cc;
  private int dupAcks;
  private boolean inRecovery;
  /** RFC 6582 "recover": SND.MAX when recovery (or the last timeout) began. */
  private int recover;
  /** RFC 6582 §3.2 step 5: the timer is reset only by the first partial ACK. */
  private boolean partialAckSeen;
  /** The largest window the peer ever offered (sender SWS avoidance, RFC 9293 §3.8.6.2.1). */
  private int maxSndWnd;
  /** End of the last small segment sent (Minshall's refinement of Nagle's algorithm). */
  private int sndSml;
  private boolean noDelay;

  // Persist timer (RFC 9293 §3.8.6.1, RFC 1122 §4.2.2.17).
  private long persistAtNs = NEVER;
  private int persistBackoff;
  private int probesUnanswered;

  // Keep-alive (RFC 9293 §3.8.4, RFC 1122 §4.2.3.6).
  private boolean keepAlive;
  private long keepAliveAtNs = NEVER;
  private int keepAlivesUnanswered;

  // Per-connection statistics (see TcpInfo).
  private long segmentsIn;
  private long segmentsOut;
  private long bytesIn;
  private long bytesOut;
  private long timeoutRetransmits;
  private long fastRetransmits;
  private long retransmittedSegments;
  private long duplicateAcksIn;
  private long windowProbes;
  private long keepAliveProbes;
  private long delayedAcks;

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
    this.cc = config.newCongestionControl();
    this.noDelay = config.noDelay;
    this.keepAlive = config.keepAlive;
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
    rcvAdvertisedEdge = rcvNxt; // nothing offered yet
    sndWnd = syn.window(); // RFC 7323 §2.2: never scaled in a SYN
    sndWl1 = irs;
    sndWl2 = iss;
    maxSndWnd = sndWnd;
    sendMss = effectiveMss(peerMss);
    state = TcpState.SYN_RECEIVED;
    segmentsIn++;
    output(nowNs);
  }

  private void initSend(int isn) {
    iss = isn;
    sndUna = isn;
    sndNxt = isn;
    highestSent = isn;
    sndBufSeq = add(isn, 1);
    recover = isn;
    sndSml = isn;
  }

  private int effectiveMss(int peerMss) {
    // RFC 9293 §3.7.1 (MUST-15, MUST-16): 536 when the peer sent none; never above what our MTU allows.
    int peer = peerMss > 0 ? peerMss : TcpOptions.DEFAULT_MSS;
    return Math.max(1, Math.min(peer, layer.localMss()));
  }

  // ---------------------------------------------------------------- application side

  /**
   * Adds a subscriber to this connection's events. Events are never delivered while a segment, a
   * timer or a call is half-way through the connection: they are raised as things happen and
   * delivered by {@link TcpLayer#deliverEvents()} once the work that raised them is complete, so a
   * subscriber may read, write or close from inside an event and sees a consistent connection.
   *
   * @return cancels the subscription (idempotent)
   */
  public Runnable subscribe(TcpEvents subscriber) {
    java.util.Objects.requireNonNull(subscriber, "subscriber");
    TcpEvents[] grown = java.util.Arrays.copyOf(subscribers, subscribers.length + 1);
    grown[subscribers.length] = subscriber;
    subscribers = grown;
    return () -> unsubscribe(subscriber);
  }

  private void unsubscribe(TcpEvents subscriber) {
    for (int i = 0; i < subscribers.length; i++) {
      if (subscribers[i] == subscriber) {
        TcpEvents[] shrunk = new TcpEvents[subscribers.length - 1];
        System.arraycopy(subscribers, 0, shrunk, 0, i);
        System.arraycopy(subscribers, i + 1, shrunk, i, subscribers.length - i - 1);
        subscribers = shrunk.length == 0 ? NO_SUBSCRIBERS : shrunk;
        return;
      }
    }
  }

  /** Records an event; the layer delivers it after the current work (see {@link #subscribe}). */
  private void raise(int event) {
    if (pendingEvents == 0 && subscribers.length > 0) {
      layer.eventsPending(this);
    }
    if (subscribers.length > 0) {
      pendingEvents |= event;
    }
  }

  /** Delivers the events raised since the last delivery, in the order the connection lives them. */
  @Override
  public void deliverEvents() {
    int events = pendingEvents;
    pendingEvents = 0;
    TcpEvents[] subs = subscribers; // a subscriber may (un)subscribe: this delivery keeps its list
    for (TcpEvents s : subs) {
      if ((events & EVENT_ESTABLISHED) != 0) {
        s.onEstablished(this);
      }
      if ((events & EVENT_READABLE) != 0) {
        s.onReadable(this);
      }
      if ((events & EVENT_WRITABLE) != 0) {
        s.onWritable(this);
      }
      if ((events & EVENT_CLOSED) != 0) {
        s.onClosed(this);
      }
    }
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
      // RFC 9293 §3.8.6.2.2: the right edge moves only in steps of min(half the buffer, one MSS).
      // Once what is left of our last offer falls below half the largest window, announce each such
      // step at once, not with the next (possibly delayed) ACK: the sender may be waiting for it.
      int offered = offeredWindow();
      if (receiveWindow() > offered && offered < maxReceiveWindow() / 2) {
        ackNeeded = true;
        output(nowNs);
      }
    }
    return n;
  }

  /** Nagle's algorithm off ({@code true}) or on (RFC 9293 §3.7.4, MUST-17); turning it off sends what it held. */
  public void setNoDelay(boolean on, long nowNs) {
    boolean was = noDelay;
    noDelay = on;
    if (on && !was && state != TcpState.CLOSED) {
      output(nowNs);
    }
  }

  public boolean noDelay() {
    return noDelay;
  }

  /** Keep-alive on or off for this connection, with the timings of its {@link TcpConfig}. */
  public void setKeepAlive(boolean on, long nowNs) {
    keepAlive = on;
    keepAlivesUnanswered = 0;
    keepAliveAtNs = on && state.isSynchronized() ? nowNs + config.keepAliveIdleNs : NEVER;
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
    switch (state) {
      case SYN_RECEIVED, ESTABLISHED, FIN_WAIT_1, FIN_WAIT_2, CLOSE_WAIT ->
          // RFC 9293 §3.10.5: "Send a reset segment: <SEQ=SND.NXT><CTL=RST>".
          emitControl(TcpHeader.FLAG_RST, sndMax(), 0, 0);
      default -> {
        // SYN-SENT: nothing to reset yet. CLOSING, LAST-ACK, TIME-WAIT (RFC 9293 §3.10.5):
        // "Respond with 'ok' and delete the TCB": both sides are done sending.
      }
    }
    becomeClosed(TcpError.ABORTED);
  }

  // ---------------------------------------------------------------- segment arrives (RFC 9293 §3.10.7)

  /** A segment for this connection; the layer has verified its checksum. */
  void process(TcpHeader seg, ByteBuf buf, int payloadIndex, int payloadLength, int peerMss, long nowNs) {
    segmentsIn++;
    if (keepAliveAtNs != NEVER) { // anything from the peer shows it is alive (RFC 1122 §4.2.3.6)
      keepAliveAtNs = nowNs + config.keepAliveIdleNs;
      keepAlivesUnanswered = 0;
    }
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
        emitControl(TcpHeader.FLAG_RST, segAck, 0, 0);
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
    rcvAdvertisedEdge = add(rcvNxt, roomWindow()); // what our SYN offered
    sendMss = effectiveMss(peerMss);
    if (ack) {
      acknowledge(segAck, nowNs, true);
    }
    if (gt(sndUna, iss)) {
      // Our SYN is acknowledged: ESTABLISHED. RFC 7323 §2.2: the window of a SYN is never scaled.
      sndWnd = seg.window();
      maxSndWnd = sndWnd;
      sndWl1 = seg.sequenceNumber();
      sndWl2 = segAck;
      state = TcpState.ESTABLISHED;
      ackNeeded = true;
      layer.counters().increment(StackCounter.TCP_ESTABLISHED);
      established(nowNs);
    } else {
      // Simultaneous open (RFC 9293 §3.5, figure 8): SYN-RECEIVED, SYN-ACK with our ISS.
      state = TcpState.SYN_RECEIVED;
      sndWnd = seg.window();
      maxSndWnd = sndWnd;
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

    // First: sequence number acceptability (RFC 9293 §3.10.7.4, the four cases). RCV.WND here is
    // the room we have, which is never less than what we offered (the window does not shrink).
    int window = Math.max(roomWindow(), offeredWindow());
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
        maxSndWnd = Math.max(maxSndWnd, sndWnd);
        sndWl1 = seq;
        sndWl2 = segAck;
        layer.counters().increment(StackCounter.TCP_ESTABLISHED);
        if (listener != null) {
          listener.established(this);
        }
        established(nowNs);
      } else {
        emitControl(TcpHeader.FLAG_RST, segAck, 0, 0);
        return;
      }
    }
    // SND.MAX, not SND.NXT: after a timeout SND.NXT went back, and ACKs for data sent before it
    // are still good news.
    if (gt(segAck, sndMax())) {
      ackNeeded = true; // acknowledges something not yet sent
      return;
    }
    probesUnanswered = 0; // any acceptable ACK shows the peer is there (RFC 1122 §4.2.2.17)
    if (gt(segAck, sndUna)) {
      onNewAck(segAck, nowNs);
    } else if (payloadLength == 0 && !fin && segAck == sndUna && seg.window() == sndWnd
        && sndMax() != sndUna && persistAtNs == NEVER) {
      // RFC 5681 §2: a duplicate ACK — data outstanding, no data or SYN/FIN in it, the same ACK
      // number and the same window.
      onDuplicateAck(nowNs);
    }
    // RFC 9293 §3.10.7.4: update the send window only from newer segments.
    if (lt(sndWl1, seq) || (sndWl1 == seq && le(sndWl2, segAck))) {
      sndWnd = seg.window();
      maxSndWnd = Math.max(maxSndWnd, sndWnd);
      sndWl1 = seq;
      sndWl2 = segAck;
    }
    if (persistAtNs != NEVER && sndWnd > 0) {
      leavePersist();
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

  private void established(long nowNs) {
    cc.start(sendMss, nowNs);
    if (keepAlive) {
      keepAliveAtNs = nowNs + config.keepAliveIdleNs;
    }
    if (synRetransmitted) {
      rtt.afterSynTimeout(); // RFC 6298 §5.7: RTO back to 3 s if the SYN timed out
    }
    raise(EVENT_ESTABLISHED);
  }

  /** A new cumulative ACK (RFC 9293 §3.10.7.4 fifth step): congestion control and NewReno recovery. */
  private void onNewAck(int segAck, long nowNs) {
    int acked = diff(segAck, sndUna);
    int flightBefore = diff(sndMax(), sndUna);
    if (inRecovery) {
      if (ge(segAck, recover)) {
        // RFC 6582 §3.2 step 5, full acknowledgment: recovery ends.
        inRecovery = false;
        dupAcks = 0;
        acknowledge(segAck, nowNs, true);
        cc.onExitRecovery(diff(sndMax(), sndUna), nowNs);
      } else {
        // Partial acknowledgment: the next hole is lost too; retransmit it at once. The timer is
        // reset only by the first partial ACK ("impatient" variant).
        acknowledge(segAck, nowNs, !partialAckSeen);
        partialAckSeen = true;
        cc.onPartialAck(acked);
        retransmitHead(nowNs);
      }
      return;
    }
    dupAcks = 0;
    acknowledge(segAck, nowNs, true);
    cc.onAck(acked, flightBefore, nowNs);
  }

  /** RFC 5681 §3.2 and RFC 6582 §3.2: count duplicate ACKs; the third starts fast retransmit. */
  private void onDuplicateAck(long nowNs) {
    dupAcks++;
    duplicateAcksIn++;
    layer.counters().increment(StackCounter.TCP_DUP_ACKS_IN);
    if (inRecovery) {
      cc.onDuplicateAckInRecovery(); // step 4: a segment left the network; output() may send new data
      return;
    }
    // RFC 6582 §3.2 step 2: only when the ACK covers more than "recover", so one window of losses
    // (or the duplicates a timeout's retransmissions provoke) reduces the window once.
    if (dupAcks == DUP_ACK_THRESHOLD && ge(sndUna, recover)) {
      inRecovery = true;
      partialAckSeen = false;
      recover = sndMax();
      cc.onEnterRecovery(diff(sndMax(), sndUna), nowNs);
      fastRetransmits++;
      layer.counters().increment(StackCounter.TCP_FAST_RETRANSMITS);
      retransmitHead(nowNs);
    }
  }

  /**
   * SND.UNA advances to {@code segAck}: free acknowledged data, take an RTT sample, manage the
   * timer (restarted only if {@code restartTimer}, RFC 6298 §5.3).
   */
  private void acknowledge(int segAck, long nowNs, boolean restartTimer) {
    // The SYN occupies ISS; data starts at sndBufSeq; the FIN follows the data.
    int dataAcked = diff(segAck, sndBufSeq);
    if (dataAcked > 0) {
      int n = Math.min(dataAcked, sendBuffer.length());
      sendBuffer.consume(n);
      sndBufSeq = add(sndBufSeq, n);
    }
    sndUna = segAck;
    if (lt(sndNxt, sndUna)) {
      sndNxt = sndUna; // after a timeout's go-back: this was sent before and has arrived
    }
    retries = 0;
    // RFC 6298 §3 (Karn): only segments never retransmitted are timed; timingRtt is cleared on retransmission.
    if (timingRtt && ge(segAck, rttEndSeq)) {
      // Time is the caller's and should not run backwards; if it does, the sample is 0, not an error
      // half-way through processing an ACK.
      rtt.sample(Math.max(0, nowNs - rttSentNs));
      timingRtt = false;
    }
    // RFC 6298 §5.2/5.3: stop the timer when all is acknowledged, else restart it.
    if (sndUna == sndMax()) {
      retransmitAtNs = NEVER;
    } else if (restartTimer || retransmitAtNs == NEVER) {
      retransmitAtNs = nowNs + rtt.rtoNs();
    }
    if (dataAcked > 0) {
      raise(EVENT_WRITABLE);
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
    rcvMss = Math.max(rcvMss, Math.min(length, layer.localMss()));
    if (offset == 0) {
      boolean gap = !outOfOrder.isEmpty();
      receiveBuffer.append(buf, index, length);
      int ready = outOfOrder.advance(length);
      receiveBuffer.commit(ready);
      rcvNxt = add(rcvNxt, length + ready);
      bytesIn += length + ready;
      layer.counters().add(StackCounter.TCP_IN_BYTES, length + ready);
      ackInOrderData(length + ready, gap, nowNs);
      raise(EVENT_READABLE);
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

  /**
   * RFC 5681 §4.2 and RFC 1122 §4.2.3.2: in-order data may wait up to the delayed-ACK time, but
   * every second full-sized segment is acknowledged at once, and so is data that fills (part of) a
   * gap, so the sender's fast recovery learns of it.
   */
  private void ackInOrderData(int bytes, boolean filledGap, long nowNs) {
    unackedBytes += bytes;
    if (filledGap || config.delayedAckNs == 0 || unackedBytes >= 2 * rcvMss) {
      ackNeeded = true;
    } else if (delayedAckAtNs == NEVER) {
      delayedAckAtNs = nowNs + config.delayedAckNs;
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
    raise(EVENT_READABLE);
  }

  private void enterTimeWait(long nowNs) {
    state = TcpState.TIME_WAIT;
    retransmitAtNs = NEVER;
    timeWaitUntilNs = nowNs + config.timeWaitNs();
  }

  // ---------------------------------------------------------------- output

  /** Sends whatever is due now: SYN, data within the windows, FIN, and an ACK if one is owed. */
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
        break; // data, and a FIN queued in SYN-RECEIVED, wait for ESTABLISHED (RFC 9293 §3.10.4)
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
    emit(flags, iss, (flags & TcpHeader.FLAG_ACK) != 0 ? rcvNxt : 0, 0, 0, true);
    sndNxt = add(iss, 1);
    highestSent = sndNxt;
    if (!retransmission) {
      startTiming(nowNs);
    }
    armRetransmit(nowNs);
  }

  /**
   * Sends new data (and data after a timeout's go-back) as far as the peer's window, the congestion
   * window, silly-window avoidance and Nagle allow; then the FIN when its turn comes; then arms the
   * persist timer if data waits for a window that is closed.
   */
  private void sendData(long nowNs) {
    while (true) {
      int offset = diff(sndNxt, sndBufSeq);
      int unsent = sendBuffer.length() - offset;
      if (unsent <= 0) {
        break;
      }
      int inFlight = diff(sndNxt, sndUna);
      int peerRoom = diff(add(sndUna, sndWnd), sndNxt);
      int room = Math.min(peerRoom, cc.cwnd() + limitedTransmitAllowance() - inFlight);
      int n = Math.min(Math.min(unsent, sendMss), room);
      if (n <= 0 || !mayTransmit(n, unsent, peerRoom)) {
        break;
      }
      transmit(offset, n, nowNs);
    }
    if (finQueued && sndNxt == finSeq) {
      // The FIN needs no window: it is sent once every byte before it has been (RFC 9293 §3.10.4).
      emit(TcpHeader.FLAG_FIN | TcpHeader.FLAG_ACK, sndNxt, rcvNxt, 0, 0, false);
      boolean retransmission = lt(sndNxt, sndMax());
      if (retransmission) {
        countRetransmission();
      }
      sndNxt = add(sndNxt, 1);
      if (gt(sndNxt, highestSent)) {
        highestSent = sndNxt;
      }
      armRetransmit(nowNs);
    }
    maybeEnterPersist(nowNs);
  }

  /**
   * RFC 3042 limited transmit (RFC 5681 §3.2 SHOULD): on the first and second duplicate ACK, one
   * more new segment each may go beyond cwnd, so a small window still gathers the three duplicates
   * fast retransmit needs. cwnd itself does not change.
   */
  private int limitedTransmitAllowance() {
    return !inRecovery && dupAcks > 0 && dupAcks < DUP_ACK_THRESHOLD && !lt(sndNxt, sndMax())
        ? dupAcks * sendMss : 0;
  }

  /**
   * Whether {@code n} bytes (less than the queued {@code unsent}, or all of them) may go now: RFC
   * 9293 §3.8.6.2.1 (sender silly-window avoidance) and §3.7.4 (Nagle), with Minshall's refinement
   * — a small segment is held only while an earlier small segment is unacknowledged, so the tail of
   * a large write does not wait for a delayed ACK.
   */
  private boolean mayTransmit(int n, int unsent, int peerRoom) {
    if (n >= sendMss || lt(sndNxt, sndMax())) {
      return true; // a full segment, or a retransmission after a timeout's go-back
    }
    if (n < unsent) {
      if (n < peerRoom) {
        return false; // cut short by cwnd: wait for ACKs to open it rather than send a sliver
      }
      // Cut short by the peer's window: only if that is at least half the largest window it
      // offered; otherwise wait for more (the persist timer overrides if nothing is in flight).
      return n >= maxSndWnd / 2;
    }
    // n == unsent: everything queued fits. Nagle holds it while a small segment is in flight.
    if (noDelay || finQueued) {
      return true;
    }
    return !(gt(sndSml, sndUna) && le(sndSml, sndNxt));
  }

  /** Sends {@code n} bytes at SND.NXT ({@code offset} into the send buffer) and advances SND.NXT. */
  private void transmit(int offset, int n, long nowNs) {
    boolean last = n == sendBuffer.length() - offset;
    // After a go-back the segments may be cut differently: a retransmission can reach past SND.MAX.
    int fresh = Math.max(0, Math.min(n, diff(add(sndNxt, n), sndMax())));
    emit(TcpHeader.FLAG_ACK | (last ? TcpHeader.FLAG_PSH : 0), sndNxt, rcvNxt, offset, n, false);
    if (fresh < n) {
      countRetransmission();
    }
    if (fresh > 0) {
      bytesOut += fresh;
      layer.counters().add(StackCounter.TCP_OUT_BYTES, fresh);
    }
    sndNxt = add(sndNxt, n);
    if (n < sendMss) {
      sndSml = sndNxt;
    }
    if (gt(sndNxt, highestSent)) {
      highestSent = sndNxt;
    }
    if (fresh == n) {
      startTiming(nowNs); // Karn (RFC 6298 §3): time only segments sent for the first time
    }
    armRetransmit(nowNs);
  }

  /**
   * Retransmits the first unacknowledged segment without moving SND.NXT (fast retransmit and
   * partial ACKs, RFC 5681 §3.2 step 2 and RFC 6582 §3.2 step 5): at most one MSS of data, or the
   * FIN if only the FIN is outstanding.
   */
  private void retransmitHead(long nowNs) {
    int offset = diff(sndUna, sndBufSeq);
    int outstanding = Math.min(sendBuffer.length() - offset, diff(sndMax(), sndUna));
    int n = Math.min(sendMss, outstanding);
    if (n > 0) {
      emit(TcpHeader.FLAG_ACK, sndUna, rcvNxt, offset, n, false);
    } else if (finQueued && sndUna == finSeq) {
      emit(TcpHeader.FLAG_FIN | TcpHeader.FLAG_ACK, sndUna, rcvNxt, 0, 0, false);
    } else {
      return;
    }
    countRetransmission();
    timingRtt = false; // Karn: the ACK could be for either copy
    armRetransmit(nowNs);
  }

  private void countRetransmission() {
    retransmittedSegments++;
    layer.counters().increment(StackCounter.TCP_RETRANS_SEGS);
  }

  private int sndMax() {
    return gt(highestSent, sndNxt) ? highestSent : sndNxt;
  }

  /**
   * A pure ACK, {@code <SEQ=SND.MAX><ACK=RCV.NXT><CTL=ACK>}. RFC 9293 says SEQ=SND.NXT; after a
   * timeout's go-back SND.NXT is below what the peer already has, and the peer would drop such an
   * ACK as old — two connections in that state drop each other's ACKs until they time out (found by
   * TcpSimulationTest). SND.MAX is always acceptable to the peer, as Linux's ACKs are.
   */
  private void sendAck() {
    emit(TcpHeader.FLAG_ACK, sndMax(), rcvNxt, 0, 0, false);
  }

  /**
   * Every segment of this connection leaves here: it carries our current window (taken now, so the
   * offered right edge is remembered) and, when it has ACK, settles any ACK we owed.
   */
  private void emit(int flags, int seq, int ack, int dataOffset, int dataLength, boolean synOptions) {
    int window = takeWindow();
    layer.sendSegment(this, flags, seq, ack, window, dataLength > 0 ? sendBuffer : null, dataOffset, dataLength,
        synOptions);
    segmentsOut++;
    if ((flags & TcpHeader.FLAG_ACK) != 0) {
      ackNeeded = false;
      delayedAckAtNs = NEVER;
      unackedBytes = 0;
    }
  }

  /** A RST (or another segment without our window and data), e.g. {@code <SEQ=SEG.ACK><CTL=RST>}. */
  private void emitControl(int flags, int seq, int ack, int window) {
    layer.sendSegment(this, flags, seq, ack, window, null, 0, 0, false);
    segmentsOut++;
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

  // ---------------------------------------------------------------- receive window

  /** The largest window we can ever offer: the buffer, capped by the unscaled window field. */
  private int maxReceiveWindow() {
    return Math.min(receiveBuffer.capacity(), MAX_UNSCALED_WINDOW);
  }

  /** Free receive space, capped by the unscaled window field. */
  private int roomWindow() {
    return Math.min(receiveBuffer.free(), MAX_UNSCALED_WINDOW);
  }

  /** What is left of the window we last offered: the offered right edge minus RCV.NXT. */
  private int offeredWindow() {
    return Math.max(0, Math.min(diff(rcvAdvertisedEdge, rcvNxt), MAX_UNSCALED_WINDOW));
  }

  /**
   * The window to offer now, with receiver-side silly-window avoidance (RFC 9293 §3.8.6.2.2): the
   * right edge moves only when it can move by at least min(half the buffer, one MSS); it never
   * moves left.
   */
  private int receiveWindow() {
    int offered = offeredWindow();
    int step = Math.min(receiveBuffer.capacity() / 2, rcvMss);
    // RFC 9293 §3.8.6.2.2: RCV.BUFF - RCV.USER - RCV.WND >= min(Fr * RCV.BUFF, Eff.snd.MSS), Fr = 1/2.
    return receiveBuffer.free() - offered >= step ? roomWindow() : offered;
  }

  private int takeWindow() {
    int window = receiveWindow();
    rcvAdvertisedEdge = add(rcvNxt, window);
    return window;
  }

  // ---------------------------------------------------------------- persist timer

  /**
   * Data waits, nothing is in flight, and the peer's window does not let it go: only the persist
   * timer will find out when the window opens (RFC 9293 §3.8.6.1, RFC 1122 §4.2.2.17).
   */
  private void maybeEnterPersist(long nowNs) {
    if (persistAtNs != NEVER || !state.isSynchronized()) {
      return;
    }
    int unsent = sendBuffer.length() - diff(sndNxt, sndBufSeq);
    if (unsent > 0 && sndNxt == sndUna) {
      persistBackoff = 0;
      persistAtNs = nowNs + rtt.rtoNs();
      retransmitAtNs = NEVER;
    }
  }

  private void leavePersist() {
    persistAtNs = NEVER;
    persistBackoff = 0;
    if (lt(sndUna, sndNxt)) {
      sndNxt = sndUna; // the probe byte was refused; it goes again with the rest
    }
  }

  /**
   * The persist timer expired. With a zero window: send one byte beyond it as a probe (RFC 9293
   * §3.8.6.1), and back off. With a small window that silly-window avoidance held back: send what
   * it allows (the RFC's override timeout).
   */
  private void onPersistTimeout(long nowNs) {
    persistAtNs = NEVER;
    int offset = diff(sndUna, sndBufSeq);
    int unsent = sendBuffer.length() - offset;
    if (unsent <= 0) {
      return;
    }
    if (probesUnanswered >= config.dataRetries) {
      layer.counters().increment(StackCounter.TCP_TIMEOUTS);
      becomeClosed(TcpError.TIMED_OUT); // the peer stopped answering even probes
      return;
    }
    if (sndWnd > 0) {
      sndNxt = sndUna;
      int n = Math.min(Math.min(unsent, sendMss), Math.min(sndWnd, cc.cwnd()));
      transmit(offset, n, nowNs);
      return;
    }
    boolean retransmission = lt(sndUna, sndMax());
    emit(TcpHeader.FLAG_ACK, sndUna, rcvNxt, offset, 1, false);
    sndNxt = add(sndUna, 1);
    if (gt(sndNxt, highestSent)) {
      highestSent = sndNxt;
    }
    if (!retransmission) {
      bytesOut += 1;
      layer.counters().add(StackCounter.TCP_OUT_BYTES, 1);
    }
    windowProbes++;
    probesUnanswered++;
    layer.counters().increment(StackCounter.TCP_WINDOW_PROBES);
    persistBackoff = Math.min(persistBackoff + 1, 30);
    persistAtNs = nowNs + persistIntervalNs();
  }

  /** RTO doubled per probe, at most the maximum RTO (RFC 1122 §4.2.2.17: exponential backoff). */
  private long persistIntervalNs() {
    long interval = rtt.rtoNs();
    for (int i = 0; i < persistBackoff && interval < config.maxRtoNs; i++) {
      interval *= 2;
    }
    return Math.min(interval, config.maxRtoNs);
  }

  // ---------------------------------------------------------------- timers

  /** The next time {@link #onTimer} has work: a deadline in nowNs terms, or {@link #NEVER}. */
  long nextDeadline() {
    return Math.min(Math.min(retransmitAtNs, timeWaitUntilNs),
        Math.min(Math.min(persistAtNs, delayedAckAtNs), keepAliveAtNs));
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
    if (state != TcpState.CLOSED && persistAtNs != NEVER && persistAtNs - nowNs <= 0) {
      onPersistTimeout(nowNs);
    }
    if (state != TcpState.CLOSED && keepAliveAtNs != NEVER && keepAliveAtNs - nowNs <= 0) {
      onKeepAliveTimeout(nowNs);
    }
    if (state != TcpState.CLOSED && delayedAckAtNs != NEVER && delayedAckAtNs - nowNs <= 0) {
      delayedAckAtNs = NEVER;
      delayedAcks++;
      layer.counters().increment(StackCounter.TCP_DELAYED_ACKS);
      sendAck();
    }
  }

  /**
   * RFC 6298 §5.4–5.6: retransmit the earliest unacknowledged segment, back off, restart the timer;
   * RFC 5681 §3.1: ssthresh from the flight size, cwnd to one segment (the loss window), so what
   * follows is resent in slow start as ACKs come back.
   */
  private void onRetransmitTimeout(long nowNs) {
    boolean handshake = state == TcpState.SYN_SENT || state == TcpState.SYN_RECEIVED;
    if (!handshake && sndWnd == 0 && sendBuffer.length() > diff(sndUna, sndBufSeq)) {
      // The peer's window closed under data in flight (RFC 1122 §4.2.2.16): what was in flight
      // beyond it was refused, not lost. Send the earliest octet again as a zero-window probe and
      // let the persist timer go on, so a peer that answers is never timed out (RFC 1122 §4.2.2.17).
      timingRtt = false;
      sndNxt = sndUna;
      persistBackoff = 0;
      onPersistTimeout(nowNs);
      return;
    }
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
      countRetransmission();
      output(nowNs);
      armRetransmit(nowNs);
      return;
    }
    timeoutRetransmits++;
    layer.counters().increment(StackCounter.TCP_RTO_EXPIRIES);
    cc.onRetransmitTimeout(diff(sndMax(), sndUna), nowNs);
    inRecovery = false;
    dupAcks = 0;
    recover = sndMax(); // RFC 6582 §3.2 step 1 after a timeout: no fast retransmit for this window's echoes
    sndNxt = sndUna;
    sendData(nowNs);
    if (ackNeeded) {
      sendAck();
    }
    armRetransmit(nowNs);
  }

  /**
   * Keep-alive (RFC 1122 §4.2.3.6): after the idle time, a segment with SEG.SEQ = SND.NXT-1 and no
   * data, which the peer must answer with an ACK; after the configured number of unanswered probes
   * the peer is dead and the connection fails with "timed out".
   */
  private void onKeepAliveTimeout(long nowNs) {
    boolean idle = sndUna == sndMax() && sendBuffer.length() == diff(sndNxt, sndBufSeq);
    if (!keepAlive || !(state == TcpState.ESTABLISHED || state == TcpState.CLOSE_WAIT || state == TcpState.FIN_WAIT_2)) {
      keepAliveAtNs = NEVER;
      return;
    }
    if (!idle) {
      keepAliveAtNs = nowNs + config.keepAliveIntervalNs; // the retransmission timer watches the peer
      return;
    }
    if (keepAlivesUnanswered >= config.keepAliveProbes) {
      layer.counters().increment(StackCounter.TCP_KEEPALIVE_TIMEOUTS);
      becomeClosed(TcpError.TIMED_OUT);
      return;
    }
    emit(TcpHeader.FLAG_ACK, add(sndNxt, -1), rcvNxt, 0, 0, false);
    keepAlivesUnanswered++;
    keepAliveProbes++;
    layer.counters().increment(StackCounter.TCP_KEEPALIVE_PROBES);
    keepAliveAtNs = nowNs + config.keepAliveIntervalNs;
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
    raise(EVENT_CLOSED);
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
        + " rcvWnd=" + offeredWindow() + " unread=" + receiveBuffer.length() + " retries=" + retries
        + " rto=" + rtt.rtoNs() / 1_000_000 + "ms" + (retransmitAtNs == NEVER ? "" : " rtx@" + retransmitAtNs)
        + (persistAtNs == NEVER ? "" : " persist@" + persistAtNs) + " " + cc + (inRecovery ? " recovering" : "")
        + " dupAcks=" + dupAcks;
  }

  /** A snapshot of this connection's state and counters. */
  public TcpInfo info() {
    return new TcpInfo(state, segmentsIn, segmentsOut, bytesIn, bytesOut, timeoutRetransmits, fastRetransmits,
        retransmittedSegments, duplicateAcksIn, windowProbes, keepAliveProbes, delayedAcks, cc.cwnd(), cc.ssthresh(),
        rtt.srttNs(), rtt.rtoNs(), sndWnd, offeredWindow(), sendMss, cc.name(), inRecovery);
  }

  @Override
  public String toString() {
    return "TcpConnection[" + io.tcpstack.wire.Ipv4Address.toString(remoteAddress) + ":" + remotePort
        + " -> :" + localPort + " " + state + "]";
  }
}
