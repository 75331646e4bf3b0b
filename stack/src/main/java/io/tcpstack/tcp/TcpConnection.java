package io.tcpstack.tcp;

import io.tcpstack.wire.IpAddress;
import static io.tcpstack.tcp.SeqNum.add;
import static io.tcpstack.tcp.SeqNum.diff;
import static io.tcpstack.tcp.SeqNum.gt;
import static io.tcpstack.tcp.SeqNum.le;
import static io.tcpstack.tcp.SeqNum.lt;

import io.netty.buffer.ByteBuf;
import io.tcpstack.stats.StackCounter;
import io.tcpstack.tcp.cc.CongestionControl;
import io.tcpstack.wire.Icmpv4Header;
import io.tcpstack.wire.TcpHeader;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One TCP connection: the state machine of RFC 9293 §3.3.2 and the event processing of §3.10, as a
 * pure function of the segments and the times it is given. No I/O, no threads, no clock.
 *
 * <p>The connection is split along the RFC's own seams, as gVisor's netstack is: the {@link Sender}
 * (SND.*, the send buffer, transmission, retransmission, persist), the {@link Receiver} (RCV.*,
 * reassembly, the advertised window, when an ACK is owed), {@link LossRecovery} (duplicate ACKs,
 * fast retransmit, NewReno, the congestion controller) and {@link TcpTimers} (one deadline per
 * kind, filed in the layer's timer heap). This class keeps the state and the order of the checks
 * of §3.10.7; segments in and out are {@link SegmentRepr}s, and leave through the owning {@link
 * TcpLayer}. Every comparison of sequence numbers goes through {@link SeqNum}. Stack thread only.
 *
 * <p>Events for subscribers ({@link #subscribe}) are raised as things happen and delivered by the
 * layer once the work that raised them is complete. Once the connection reaches TIME-WAIT the
 * layer keeps only a compact record of it and its buffers go back to the pool; once it is CLOSED
 * and the application has disposed of it, nothing of it remains.
 */
public final class TcpConnection extends Timed implements EventSource {

  static final long NEVER = TcpTimers.NEVER;
  /** Each connection's life at DEBUG: opened, established (with what was negotiated), peer's FIN, TIME-WAIT, closed and why. */
  private static final Logger log = LoggerFactory.getLogger(TcpConnection.class);

  static final int EVENT_ESTABLISHED = 1;
  static final int EVENT_READABLE = 2;
  static final int EVENT_WRITABLE = 4;
  static final int EVENT_CLOSED = 8;
  static final int EVENT_FIN_ACKED = 16;
  static final int EVENT_URGENT = 32;
  static final int EVENT_SOFT_ERROR = 64;

  final TcpLayer layer;
  final TcpConfig config;
  /** IPv4: our address; 0 for an IPv6 connection (see {@link #localIp}). */
  final int localAddress;
  /** Whether this connection runs over IPv6 (then {@link #key6} is its demux key, not {@link #key}). */
  final boolean ipv6;
  /** Our address, either family. */
  final IpAddress localIp;
  /** The peer's address, either family. */
  final IpAddress remoteIp;
  /** The demux key of an IPv6 connection; null for IPv4. */
  final FlowKey6 key6;
  final int localPort;
  /** IPv4: the peer's address; 0 for an IPv6 connection (see {@link #remoteIp}). */
  final int remoteAddress;
  final int remotePort;
  final long key;
  /** The listener this connection was accepted through, or null for an active open. */
  final TcpListener listener;

  final Sender sender;
  final Receiver receiver;
  final LossRecovery recovery;
  final TcpTimers timers = new TcpTimers(this);
  final RttEstimator rtt;
  /** The Timestamps option (RFC 7323 §3–§5): whether in use, our TS clock, TS.Recent, PAWS. */
  final Timestamps timestamps = new Timestamps();

  private TcpState state = TcpState.CLOSED;
  private TcpError error;
  /**
   * The path MTU estimate toward the peer (RFC 1191), set by the layer before anything is sent:
   * the IP layer's for that destination, lowered by the Datagram Too Big messages this connection
   * accepts. Sizes segments ({@link TcpLayer#mssForPathMtu}) and decides DF.
   */
  int pathMtu;
  /** The last soft ICMP error heard since the peer last acknowledged anything (RFC 1122 §4.2.3.9), or null. */
  private TcpError softError;

  /** Who hears this connection's events. */
  private final Subscribers<TcpEvents> subscribers = new Subscribers<>();
  /** Events raised since the last delivery ({@code EVENT_*} bits), delivered by the layer afterwards. */
  private int pendingEvents;
  /** The soft error {@link #EVENT_SOFT_ERROR} tells (the last raised), until it is delivered. */
  private TcpError pendingSoftError;

  /** Consecutive retransmissions without progress (RFC 9293 §3.8.3, R2). */
  int retries;
  /**
   * The Window Scale our SYN or SYN-ACK carries (RFC 7323 §2.2), or {@link
   * TcpOptions#NO_WINDOW_SCALE}; once both SYNs carried one, the shifts are in {@link
   * Sender#sndShift} and {@link Receiver#rcvShift}.
   */
  private int offeredWindowScale = TcpOptions.NO_WINDOW_SCALE;
  /** Our SYN (or SYN-ACK) offered SACK-Permitted (RFC 2018 §2). */
  private boolean offeredSack;
  /** Data a handler sent waits for the end of the turn's event delivery ({@link TcpLayer#cork}). */
  private boolean corked;
  private long corkedNs;
  /** The SYN or SYN-ACK had to be retransmitted (RFC 6298 §5.7). */
  private boolean synRetransmitted;
  /**
   * The SYN or SYN-ACK was lost: ours timed out, or the peer's SYN came again. The initial window
   * is then one segment (RFC 5681 §3.1).
   */
  private boolean synLost;

  // Keep-alive (RFC 9293 §3.8.4, RFC 1122 §4.2.3.6).
  private boolean keepAlive;
  private int keepAlivesUnanswered;

  // No connection lives forever: the user timeout (RFC 5482) and a close that reads no more.
  /** The application closed the connection completely ({@link #closeInput}): it reads no more. */
  private boolean inputClosed;
  /** The user timeout in ns (RFC 9293 §3.10.8, RFC 5482); 0: none. */
  private long userTimeoutNs;
  /** Something we sent waited for its acknowledgment when {@link #watchUserTimeout} last looked. */
  private boolean awaitingAck;
  /** Since when the peer has acknowledged nothing new while something waited: the user timeout's start. */
  private long progressNs;

  // Per-connection statistics (see TcpInfo).
  private long segmentsIn;
  private long segmentsOut;
  private long bytesIn;
  private long timeoutRetransmits;
  private long keepAliveProbes;
  private long delayedAcks;

  /** The application holds this connection (returned by connect or accept) and has not disposed it. */
  private boolean applicationOwned;
  private boolean released;
  /** Queued with the layer to hear when buffer memory is back (see {@link #waitForMemory()}). */
  private boolean waitingForMemory;
  /** The layer's record of this connection in TIME-WAIT, while the application holds it; else null. */
  private TimeWaitRecord timeWait;

  TcpConnection(TcpLayer layer, TcpConfig config, IpAddress localAddress, int localPort, IpAddress remoteAddress,
      int remotePort, TcpListener listener) {
    this.layer = layer;
    this.config = config;
    this.ipv6 = !remoteAddress.isIpv4();
    this.localIp = localAddress;
    this.remoteIp = remoteAddress;
    this.localAddress = ipv6 ? 0 : localAddress.ipv4();
    this.localPort = localPort;
    this.remoteAddress = ipv6 ? 0 : remoteAddress.ipv4();
    this.remotePort = remotePort;
    this.key = ipv6 ? 0 : TcpLayer.key(this.remoteAddress, remotePort, localPort);
    this.key6 = ipv6 ? new FlowKey6(remoteAddress.hi(), remoteAddress.lo(), remotePort, localPort) : null;
    this.listener = listener;
    this.rtt = new RttEstimator(config.minRtoNs, config.maxRtoNs, config.initialRtoNs);
    // The buffers take memory from the stack's pool only while they hold data.
    this.sender = new Sender(this, new SegmentedBuffer(layer.pool(), config.sendBufferSize));
    this.receiver = new Receiver(this, new SegmentedBuffer(layer.pool(), config.receiveBufferSize));
    this.recovery = new LossRecovery(this, sender, config.newCongestionControl(layer.defaultCongestionControl));
    sender.recovery = recovery;
    sender.noDelay = config.noDelay;
    this.keepAlive = config.keepAlive;
    this.userTimeoutNs = config.userTimeoutNs;
    this.timestamps.offset = layer.timestampOffset(localAddress, localPort, remoteAddress, remotePort);
  }

  // ---------------------------------------------------------------- opening

  /** Active open (RFC 9293 §3.10.1): sends SYN, enters SYN-SENT. */
  void open(int isn, long nowNs) {
    offeredWindowScale = ownWindowScale(); // RFC 7323 §2.2: our SYN offers it
    offeredSack = config.sack; // RFC 2018 §2
    timestamps.enabled = config.timestamps; // RFC 7323 §3.2: and timestamps, until the SYN-ACK says otherwise
    sender.start(isn);
    recovery.start(isn);
    state = TcpState.SYN_SENT;
    log.debug("{}: connecting", this);
    output(nowNs);
  }

  /** Passive open: a SYN arrived at a listener (RFC 9293 §3.10.7.2). Sends SYN-ACK, enters SYN-RECEIVED. */
  void accept(SegmentRepr syn, int isn, long nowNs) {
    sender.start(isn);
    recovery.start(isn);
    receiver.synchronize(syn.seq);
    // RFC 7323 §2.2: a SYN-ACK may carry Window Scale only if the SYN did; then both directions scale.
    if (syn.windowScale != TcpOptions.NO_WINDOW_SCALE && ownWindowScale() != TcpOptions.NO_WINDOW_SCALE) {
      offeredWindowScale = ownWindowScale();
      sender.sndShift = syn.windowScale;
      receiver.rcvShift = offeredWindowScale;
    }
    if (syn.sackPermitted && config.sack) {
      offeredSack = true; // RFC 2018 §2: a SYN-ACK offers SACK only if the SYN did
      enableSack();
    }
    // RFC 7323 §3.2: a SYN-ACK carries timestamps only if the SYN did; then every segment does.
    if (syn.timestamps && config.timestamps) {
      timestamps.negotiated(syn, nowNs);
    }
    sender.initWindow(receiver.irs, isn, syn.window); // RFC 7323 §2.2: never scaled in a SYN
    sender.sendMss = effectiveMss(syn.mss);
    state = TcpState.SYN_RECEIVED;
    segmentsIn++;
    log.debug("{}: SYN received", this);
    output(nowNs);
  }

  /**
   * Passive open completed by a SYN cookie (RFC 4987 §3.6; the layer checked it, {@link SynCookies}):
   * the listener kept nothing of the SYN, and {@code ack} — the ACK of our cookie SYN-ACK, SEQ =
   * IRS+1, ACK = ISS+1 — brings back what the cookie kept: the peer's MSS (an entry of {@link
   * SynCookies#MSS_TABLE}) and, with timestamps, its window scale ({@link
   * TcpOptions#NO_WINDOW_SCALE}: none) and SACK-Permitted. The connection enters ESTABLISHED as it
   * would from SYN-RECEIVED, without an RTT sample (no SYN-ACK was timed), is queued for accept,
   * and then processes {@code ack} like any segment, its data included.
   */
  void acceptCookie(SegmentRepr ack, int peerMss, int peerWindowScale, boolean sack, long nowNs) {
    int iss = add(ack.ack, -1);
    sender.start(iss);
    recovery.start(iss);
    sender.sndUna = ack.ack; // our SYN-ACK, sent and acknowledged
    sender.sndNxt = ack.ack;
    sender.highestSent = ack.ack;
    receiver.synchronize(add(ack.seq, -1));
    // RFC 7323 §2.2: the cookie SYN-ACK offered our scale only if the SYN had one (kept in the cookie).
    if (peerWindowScale != TcpOptions.NO_WINDOW_SCALE && ownWindowScale() != TcpOptions.NO_WINDOW_SCALE) {
      offeredWindowScale = ownWindowScale();
      sender.sndShift = peerWindowScale;
      receiver.rcvShift = offeredWindowScale;
    }
    if (sack && config.sack) {
      offeredSack = true; // RFC 2018 §2
      enableSack();
    }
    if (ack.timestamps && config.timestamps) {
      // RFC 7323 §3.2: both SYNs carried timestamps; TS.Recent starts from this ACK (§4.3).
      timestamps.enabled = true;
      timestamps.recent = ack.tsVal;
      timestamps.recentAgeNs = nowNs;
      timestamps.lastAckSent = ack.seq;
    }
    // What the SYN-ACK offered (never scaled): the peer may already have sent data into it.
    receiver.advertisedEdge = add(receiver.rcvNxt, Math.min(receiver.roomWindow(), Receiver.MAX_UNSCALED_WINDOW));
    sender.sendMss = effectiveMss(peerMss);
    sender.initWindow(ack.seq, ack.ack, ack.window << sender.sndShift); // process() shifts the field itself
    state = TcpState.ESTABLISHED;
    layer.counters().increment(StackCounter.TCP_ESTABLISHED);
    listener.establishedFromCookie(this);
    established(nowNs);
    process(ack, nowNs);
  }

  /**
   * The shift we offer (RFC 7323 §2.3): the smallest that lets the window field say the whole
   * receive buffer, at most 14; {@link TcpOptions#NO_WINDOW_SCALE} if the configuration turns it off.
   */
  private int ownWindowScale() {
    return ownWindowScale(config);
  }

  /** The shift a connection with {@code config} offers (see {@link #ownWindowScale()}); for SYN cookies too. */
  static int ownWindowScale(TcpConfig config) {
    if (!config.windowScaling) {
      return TcpOptions.NO_WINDOW_SCALE;
    }
    int shift = 0;
    while (shift < TcpOptions.MAX_WINDOW_SCALE && (config.receiveBufferSize >>> shift) > Receiver.MAX_UNSCALED_WINDOW) {
      shift++;
    }
    return shift;
  }

  /** SACK is in force both ways (RFC 2018 §2): ACKs carry blocks, and recovery uses the scoreboard. */
  private void enableSack() {
    receiver.sackEnabled = true;
    recovery.enableSack();
  }

  /** Whether SACK was negotiated on this connection (RFC 2018 §2). */
  public boolean sackEnabled() {
    return recovery.sack;
  }

  /**
   * The payload of a full-sized segment we send: RFC 9293 §3.7.1 (MUST-15, MUST-16), 536 (1220 over
   * IPv6) when the peer sent no MSS, never above what our MTU allows; less the options every segment carries (RFC
   * 6691 §3: the MSS counts no options): 12 bytes with timestamps, so 1448 at MTU 1500, as Linux.
   */
  private int effectiveMss(int peerMss) {
    // RFC 1191 §6.4: nor above what the path MTU learned so far allows.
    int peer = peerMss > 0 ? peerMss : ipv6 ? TcpOptions.DEFAULT_MSS_IPV6 : TcpOptions.DEFAULT_MSS;
    int mss = Math.min(Math.min(peer, layer.localMss(ipv6)), TcpLayer.mssForPathMtu(pathMtu, ipv6));
    return Math.max(1, mss - optionsPerSegment());
  }

  /**
   * The largest payload the peer can put in a segment to us: our MSS less the options every
   * segment carries (RFC 6691 §3), as {@link #effectiveMss} is for the other direction.
   */
  int receiveMss() {
    return Math.max(1, layer.localMss(ipv6) - optionsPerSegment());
  }

  /** The option bytes every segment after the SYN carries: the Timestamps option, once negotiated. */
  private int optionsPerSegment() {
    return timestamps.enabled ? TcpOptions.ALIGNED_TIMESTAMPS_LENGTH : 0;
  }

  // ---------------------------------------------------------------- events

  /**
   * Adds a subscriber to this connection's events. Events are never delivered while a segment, a
   * timer or a call is half-way through the connection: they are raised as things happen and
   * delivered by {@link TcpLayer#deliverEvents()} once the work that raised them is complete, so a
   * subscriber may read, write or close from inside an event and sees a consistent connection.
   *
   * @return cancels the subscription (idempotent)
   */
  public Runnable subscribe(TcpEvents subscriber) {
    return subscribers.add(subscriber);
  }

  /**
   * Records a soft error for {@link TcpEvents#onSoftError} (RFC 9293 §3.9.1.8, MUST-47); the layer
   * delivers it after the current work, as every event.
   */
  private void raiseSoftError(TcpError why) {
    if (subscribers.isEmpty()) {
      return;
    }
    pendingSoftError = why;
    raise(EVENT_SOFT_ERROR);
  }

  /** Records an event; the layer delivers it after the current work (see {@link #subscribe}). */
  void raise(int event) {
    if (subscribers.isEmpty()) {
      return;
    }
    if (pendingEvents == 0) {
      layer.eventsPending(this);
    }
    pendingEvents |= event;
  }

  /**
   * For the layer: delivers the events raised since the last delivery, in the order the connection
   * lives them. A subscriber cancelled during the delivery hears nothing more, not even the rest of
   * it; one added during it starts with the next.
   */
  @Override
  public void deliverEvents() {
    int events = pendingEvents;
    pendingEvents = 0;
    TcpError soft = pendingSoftError;
    pendingSoftError = null;
    for (Object o : subscribers.snapshot()) {
      TcpEvents s = (TcpEvents) o;
      if ((events & EVENT_ESTABLISHED) != 0 && subscribers.contains(s)) {
        s.onEstablished(this);
      }
      if ((events & EVENT_URGENT) != 0 && subscribers.contains(s)) {
        s.onUrgent(this);
      }
      if ((events & EVENT_READABLE) != 0 && subscribers.contains(s)) {
        s.onReadable(this);
      }
      if ((events & EVENT_WRITABLE) != 0 && subscribers.contains(s)) {
        s.onWritable(this);
      }
      if ((events & EVENT_FIN_ACKED) != 0 && subscribers.contains(s)) {
        s.onFinAcknowledged(this);
      }
      if ((events & EVENT_SOFT_ERROR) != 0 && subscribers.contains(s)) {
        s.onSoftError(this, soft);
      }
      if ((events & EVENT_CLOSED) != 0 && subscribers.contains(s)) {
        s.onClosed(this);
      }
    }
  }

  // ---------------------------------------------------------------- application side

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

  /** The peer's IPv4 address; 0 for an IPv6 connection. Use {@link #remoteIp()} for either family. */
  public int remoteAddress() {
    return remoteAddress;
  }

  /** The peer's address, IPv4 or IPv6. */
  public IpAddress remoteIp() {
    return remoteIp;
  }

  /** Our address on this connection, IPv4 or IPv6. */
  public IpAddress localIp() {
    return localIp;
  }

  public int remotePort() {
    return remotePort;
  }

  /** Bytes the application can read now. */
  public int readable() {
    return receiver.readable();
  }

  /** The peer sent FIN and every byte before it has been read: reads return end of stream. */
  public boolean isEndOfStream() {
    return receiver.finReceived && receiver.readable() == 0;
  }

  /** Room in the send buffer. 0 once output is shut down or the connection is closed. */
  public int writable() {
    return canSend() ? sender.buffer.free() : 0;
  }

  /** Whether data may still be queued: the handshake is under way or done, and output not shut down. */
  public boolean canSend() {
    if (sender.finQueued) {
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
   * what the window allows. Returns how many were taken; 0 when the buffer is full (or the stack's
   * buffer memory is).
   *
   * @throws IllegalStateException if output was shut down or the connection is not open
   */
  public int send(ByteBuf src, int max, long nowNs) {
    return send(src, max, false, nowNs);
  }

  /**
   * As {@link #send}, with the urgent flag of RFC 9293 §3.10.2 (MUST-30): the bytes taken are urgent
   * data, of any length (MUST-31). SND.UP moves to the octet after them (MUST-62), and every segment
   * before it — data, retransmissions, pure ACKs — carries URG and points at it until the peer has
   * acknowledged it all, so the peer hears of it even while its window is closed. The bytes stay in
   * the stream in order (urgent data is not out-of-band, RFC 6093).
   *
   * @throws IllegalStateException if output was shut down or the connection is not open
   */
  public int sendUrgent(ByteBuf src, int max, long nowNs) {
    return send(src, max, true, nowNs);
  }

  private int send(ByteBuf src, int max, boolean urgent, long nowNs) {
    if (!canSend()) {
      throw new IllegalStateException("cannot send in state " + state + (sender.finQueued ? " after shutdownOutput()" : ""));
    }
    int n = sender.queue(src, max);
    if (n > 0 && urgent) {
      sender.markUrgent();
    }
    if (n > 0) {
      if (layer.delivering()) {
        hold(nowNs); // a handler's write: sent with the others when this turn's handlers are done
      } else {
        output(nowNs);
      }
    }
    return n;
  }

  /** Holds output until {@link TcpLayer#deliverEvents} (see {@link #send} and {@link #process}). */
  private void hold(long nowNs) {
    if (!corked) {
      corked = true;
      layer.cork(this);
    }
    corkedNs = nowNs;
  }

  /** Sends what was held during the turn (see {@link #hold}). */
  void uncork() {
    corked = false;
    if (state != TcpState.CLOSED) {
      output(corkedNs);
    }
  }

  /**
   * Moves up to {@code max} received bytes into {@code dst} (RFC 9293 §3.10.3). Returns how many; 0
   * when nothing is waiting (see {@link #isEndOfStream()}). Opens the window, announcing it when it
   * grew enough (receiver-side SWS avoidance, RFC 9293 §3.8.6.2.2).
   */
  public int receive(ByteBuf dst, int max, long nowNs) {
    int n = receiver.read(dst, max);
    if (n > 0 && receiver.ackNeeded && state.isSynchronized()) {
      output(nowNs);
    }
    return n;
  }

  /**
   * How many octets of urgent data the peer sent that the application has not read yet (RFC 9293
   * §3.8.5, MUST-33): from the next octet {@link #receive} returns up to the peer's urgent pointer
   * (which may lie beyond what has arrived); 0 when there is none. {@link TcpEvents#onUrgent} says
   * when it appears or grows (MUST-32).
   */
  public int urgentRemaining() {
    return receiver.urgentRemaining();
  }

  /** Nagle's algorithm off ({@code true}) or on (RFC 9293 §3.7.4, MUST-17); turning it off sends what it held. */
  public void setNoDelay(boolean on, long nowNs) {
    boolean was = sender.noDelay;
    sender.noDelay = on;
    if (on && !was && state != TcpState.CLOSED) {
      output(nowNs);
    }
  }

  public boolean noDelay() {
    return sender.noDelay;
  }

  /** Keep-alive on or off for this connection, with the timings of its {@link TcpConfig}. */
  public void setKeepAlive(boolean on, long nowNs) {
    keepAlive = on;
    keepAlivesUnanswered = 0;
    timers.set(TcpTimers.KEEPALIVE, on && state.isSynchronized() ? nowNs + config.keepAliveIdleNs : NEVER);
  }

  /**
   * The user timeout (RFC 9293 §3.10.8, RFC 5482; Linux's {@code TCP_USER_TIMEOUT}) for this
   * connection from now on, in ns; 0 turns it off. What already waits for an acknowledgment is
   * timed from now.
   */
  public void setUserTimeout(long timeoutNs, long nowNs) {
    if (timeoutNs < 0) {
      throw new IllegalArgumentException("user timeout must be 0 (none) or positive, got " + timeoutNs + " ns");
    }
    userTimeoutNs = timeoutNs;
    awaitingAck = false;
    timers.cancel(TcpTimers.USER_TIMEOUT);
    watchUserTimeout(nowNs);
  }

  /** The user timeout in ns; 0: none. */
  public long userTimeoutNs() {
    return userTimeoutNs;
  }

  /**
   * Switches this connection's congestion control, at any time (as Linux's {@code TCP_CONGESTION}
   * does). Before the handshake completes the new algorithm replaces the old one and starts with
   * the initial window when the connection is established; afterwards it takes over the window as
   * it is, cwnd and ssthresh, without the old algorithm's history ({@link CongestionControl#resume}).
   */
  public void setCongestionControl(CongestionControl next, long nowNs) {
    CongestionControl previous = recovery.cc;
    if (state.isSynchronized()) {
      next.resume(sender.sendMss, previous.cwnd(), previous.ssthresh(), nowNs);
    }
    recovery.cc = next;
  }

  /** The name of this connection's congestion control ({@link CongestionControl#name()}). */
  public String congestionControl() {
    return recovery.cc.name();
  }

  /**
   * An RTT measurement (RFC 6298 §3): the estimator takes it for the RTO, the congestion control
   * for its own use (CUBIC's target window, HyStart++'s rounds). Every sample goes through here.
   */
  void rttSample(long rttNs, long nowNs) {
    rtt.sample(rttNs);
    recovery.cc.onRttSample(rttNs, nowNs);
  }

  /**
   * No more data from this side (RFC 9293 §3.10.4 CLOSE, and the half-close it allows): a FIN
   * follows the queued data. Reading stays possible until the peer's FIN.
   */
  public void shutdownOutput(long nowNs) {
    if (sender.finQueued) {
      return;
    }
    switch (state) {
      case SYN_SENT:
        becomeClosed(null); // RFC 9293 §3.10.4: "delete the TCB"
        return;
      case SYN_RECEIVED:
      case ESTABLISHED:
        sender.queueFin();
        state = TcpState.FIN_WAIT_1;
        break;
      case CLOSE_WAIT:
        sender.queueFin();
        state = TcpState.LAST_ACK;
        break;
      default:
        return; // already closing or closed
    }
    output(nowNs);
  }

  /**
   * CLOSE by an application that will neither read nor write again (RFC 9293 §3.10.4, Linux's
   * {@code close()}): {@link #closeInput}, then {@link #shutdownOutput}. Returns false if the
   * connection was reset instead because received data was still unread.
   */
  public boolean close(long nowNs) {
    if (!closeInput(0, nowNs)) {
      return false;
    }
    shutdownOutput(nowNs);
    return true;
  }

  /**
   * The application will read no more: its half of a complete close, as opposed to the half-close
   * of {@link #shutdownOutput} alone (the blocking API sends its FIN a little later, once its own
   * ring has drained into the connection). RFC 9293 §3.6 (RFC 1122 §4.2.2.13): "If such a host
   * issues a CLOSE call while received data is still pending in TCP, or if new data is received
   * after CLOSE is called, its TCP SHOULD send a RST to show that data was lost"; RFC 2525 §2.17
   * lists not doing so as a known failure; Linux does it. So:
   *
   * <ul>
   *   <li>with bytes unread — the connection's, or {@code unreadElsewhere} that the caller (an API
   *       ring) holds — the connection is aborted now, RST and CLOSED ({@link TcpError#ABORTED}),
   *       counted in {@link StackCounter#TCP_ABORT_ON_CLOSE}, and false returned;
   *   <li>otherwise new data that arrives from now on in ESTABLISHED, FIN-WAIT-1 or FIN-WAIT-2 is
   *       answered with RST and ends the connection ({@link StackCounter#TCP_ABORT_ON_DATA}), and
   *       FIN-WAIT-2 waits for the peer's FIN only for {@link TcpConfig.Builder#finWait2Timeout}.
   * </ul>
   */
  public boolean closeInput(int unreadElsewhere, long nowNs) {
    if (inputClosed) {
      return state != TcpState.CLOSED || error != TcpError.ABORTED;
    }
    inputClosed = true;
    if ((receiver.readable() > 0 || unreadElsewhere > 0) && state.isSynchronized() && state != TcpState.TIME_WAIT) {
      layer.counters().increment(StackCounter.TCP_ABORT_ON_CLOSE);
      abort(nowNs);
      return false;
    }
    if (state == TcpState.FIN_WAIT_2) {
      timers.set(TcpTimers.FIN_WAIT_2, nowNs + config.finWait2TimeoutNs); // Linux: tcp_fin_timeout from the close
    }
    return true;
  }

  /**
   * Everything this side sent, its FIN included, was acknowledged by the peer: FIN-WAIT-2,
   * TIME-WAIT, or CLOSED without an error. What a lingering close waits for.
   */
  public boolean isFinAcknowledged() {
    return state == TcpState.FIN_WAIT_2 || state == TcpState.TIME_WAIT || (state == TcpState.CLOSED && error == null);
  }

  /**
   * A lingering close ran out of time (the API's {@code SO_LINGER}-like close): unless everything
   * was acknowledged ({@link #isFinAcknowledged}) or the connection is over, it is aborted — RST,
   * what is queued dropped — and counted ({@link StackCounter#TCP_LINGER_TIMEOUTS}). Returns
   * whether it aborted.
   */
  public boolean lingerExpired(long nowNs) {
    if (isFinAcknowledged() || state == TcpState.CLOSED) {
      return false;
    }
    layer.counters().increment(StackCounter.TCP_LINGER_TIMEOUTS);
    abort(nowNs);
    return true;
  }

  /**
   * Calls {@link #lingerExpired} at {@code deadlineNs} (an event-driven lingering close; the
   * blocking API waits on its own clock instead).
   */
  public void lingerUntil(long deadlineNs) {
    if (state != TcpState.CLOSED && state != TcpState.TIME_WAIT) {
      timers.set(TcpTimers.LINGER, deadlineNs);
    }
  }

  /** Whether the application closed the connection completely ({@link #closeInput}). */
  public boolean isInputClosed() {
    return inputClosed;
  }

  /** ABORT (RFC 9293 §3.10.5): sends RST in synchronized states, drops everything, enters CLOSED. */
  public void abort(long nowNs) {
    abortWith(TcpError.ABORTED);
  }

  /** ABORT, reporting {@code why} to the application. */
  private void abortWith(TcpError why) {
    if (state == TcpState.CLOSED) {
      return;
    }
    switch (state) {
      case SYN_RECEIVED, ESTABLISHED, FIN_WAIT_1, FIN_WAIT_2, CLOSE_WAIT ->
          // RFC 9293 §3.10.5: "Send a reset segment: <SEQ=SND.NXT><CTL=RST>".
          emitControl(TcpHeader.FLAG_RST, sender.acceptableSeq(), 0);
      default -> {
        // SYN-SENT: nothing to reset yet. CLOSING, LAST-ACK, TIME-WAIT (RFC 9293 §3.10.5):
        // "Respond with 'ok' and delete the TCB": both sides are done sending.
      }
    }
    becomeClosed(why);
  }

  // ---------------------------------------------------------------- segment arrives (RFC 9293 §3.10.7)

  /** A segment for this connection; the layer has verified its checksum and parsed its options. */
  void process(SegmentRepr seg, long nowNs) {
    segmentsIn++;
    timestamps.arrived(seg);
    if (!seg.has(TcpHeader.FLAG_SYN)) {
      seg.window <<= sender.sndShift; // RFC 7323 §2.3: SND.WND = SEG.WND << Snd.Wind.Shift; never in a SYN
    }
    if (timers.isSet(TcpTimers.KEEPALIVE)) { // anything from the peer shows it is alive (RFC 1122 §4.2.3.6)
      timers.set(TcpTimers.KEEPALIVE, nowNs + config.keepAliveIdleNs);
      keepAlivesUnanswered = 0;
    }
    if (state == TcpState.SYN_SENT) {
      processInSynSent(seg, nowNs);
    } else {
      processSynchronized(seg, nowNs);
    }
    if (state == TcpState.ESTABLISHED && layer.batching() && !receiver.ackUrgent) {
      // One of a batch of segments read in one turn: data the segment lets go leaves now (and
      // carries the ACK), so the peer's answer may already wait at the next read; a pure ACK of
      // in-order data waits for the end of the batch — one ACK for a run of segments, as Linux's
      // GRO gives. Duplicate ACKs are never held (RFC 5681 §4.2: at once, one per segment out of
      // order).
      sender.sendData(nowNs);
      if (receiver.ackNeeded) {
        hold(nowNs);
      }
    } else if (state != TcpState.CLOSED) {
      output(nowNs);
    }
    watchUserTimeout(nowNs);
  }

  /** RFC 9293 §3.10.7.3. */
  private void processInSynSent(SegmentRepr seg, long nowNs) {
    boolean ack = seg.has(TcpHeader.FLAG_ACK);
    // First: check the ACK.
    if (ack && (le(seg.ack, sender.iss) || gt(seg.ack, sender.sndNxt))) {
      if (!seg.has(TcpHeader.FLAG_RST)) {
        emitControl(TcpHeader.FLAG_RST, seg.ack, 0);
      }
      return;
    }
    // Second: RST. Acceptable only with an acceptable ACK (RFC 5961 §3.2 adds nothing for SYN-SENT).
    if (seg.has(TcpHeader.FLAG_RST)) {
      if (ack) {
        becomeClosed(TcpError.REFUSED);
      }
      return;
    }
    if (!seg.has(TcpHeader.FLAG_SYN)) {
      return; // fifth: neither SYN nor RST — drop
    }
    // Fourth: SYN.
    receiver.synchronize(seg.seq);
    // RFC 7323 §3.2: timestamps are in force only if both SYNs carried them.
    if (timestamps.enabled && seg.timestamps) {
      timestamps.negotiated(seg, nowNs);
    } else {
      timestamps.enabled = false;
    }
    // RFC 7323 §2.2: scaling is in force both ways only if both SYNs carried the option.
    if (seg.windowScale != TcpOptions.NO_WINDOW_SCALE && offeredWindowScale != TcpOptions.NO_WINDOW_SCALE) {
      sender.sndShift = seg.windowScale;
      receiver.rcvShift = offeredWindowScale;
    }
    if (seg.sackPermitted && offeredSack) {
      enableSack(); // RFC 2018 §2: both SYNs offered it
    }
    // What our SYN offered (never scaled, so at most 65535).
    receiver.advertisedEdge = add(receiver.rcvNxt, Math.min(receiver.roomWindow(), Receiver.MAX_UNSCALED_WINDOW));
    sender.sendMss = effectiveMss(seg.mss);
    if (ack) {
      sender.acknowledge(seg.ack, nowNs, true);
    }
    if (gt(sender.sndUna, sender.iss)) {
      progressNs = nowNs; // the SYN is acknowledged: the user timeout starts again
      // Our SYN is acknowledged: ESTABLISHED. RFC 7323 §2.2: the window of a SYN is never scaled.
      sender.initWindow(seg.seq, seg.ack, seg.window);
      state = TcpState.ESTABLISHED;
      receiver.ackNeeded = true;
      layer.counters().increment(StackCounter.TCP_ESTABLISHED);
      established(nowNs);
    } else {
      // Simultaneous open (RFC 9293 §3.5, figure 8): SYN-RECEIVED, SYN-ACK with our ISS.
      state = TcpState.SYN_RECEIVED;
      sender.initWindow(seg.seq, sender.iss, seg.window);
      sender.sndNxt = sender.iss; // the SYN goes again, now with ACK
    }
  }

  private void processSynchronized(SegmentRepr seg, long nowNs) {
    int seq = seg.seq;
    boolean syn = seg.has(TcpHeader.FLAG_SYN);
    boolean fin = seg.has(TcpHeader.FLAG_FIN);
    boolean rst = seg.has(TcpHeader.FLAG_RST);

    if (timestamps.enabled && !seg.timestamps && !rst) {
      // RFC 7323 §3.2: once negotiated, a non-RST segment without timestamps SHOULD be dropped silently.
      layer.counters().increment(StackCounter.TCP_TS_MISSING_DROPS);
      return;
    }
    if (timestamps.pawsRejects(seg, nowNs)) {
      // RFC 7323 §5.3 R1 (PAWS): an old duplicate, older than the segments that set TS.Recent —
      // not acceptable: acknowledged (as an unacceptable segment is, RFC 9293 §3.10.7.4) and dropped.
      layer.counters().increment(StackCounter.TCP_PAWS_DROPS);
      receiver.ackNeeded = true;
      return;
    }

    // A retransmitted SYN in SYN-RECEIVED (our SYN-ACK was lost): answer with the SYN-ACK again,
    // echoing this SYN's timestamp (RFC 7323 §4.3).
    if (state == TcpState.SYN_RECEIVED && syn && !rst && !seg.has(TcpHeader.FLAG_ACK) && seq == receiver.irs) {
      timestamps.maybeUpdateRecent(seg, nowNs);
      sender.sndNxt = sender.iss;
      synLost = true; // the peer sent its SYN again: our SYN-ACK (or its first SYN) was lost
      return;
    }

    // First: sequence number acceptability (RFC 9293 §3.10.7.4, the four cases).
    if (!receiver.acceptable(seq, seg.segmentLength())) {
      if (rst && Rfc5961.resetAfterFin(state, seq, receiver.rcvNxt)) {
        acceptReset();
        return;
      }
      if (syn && !rst) {
        challengeAck(nowNs); // RFC 5961 §4.2: "irrespective of the sequence number"
        return;
      }
      if (!rst) {
        receiver.ackNeeded = true; // <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>
        receiver.unacceptable(seq, seg.payloadLength);
        // "If the RCV.WND is zero, no segments will be acceptable, but special allowance should be
        // made to accept valid ACKs": a peer probing our closed window (or whose ACKs follow its
        // probe) still acknowledges our data. Its text and FIN wait for the window to open.
        if (receiver.offeredWindow() == 0 && !syn && seg.has(TcpHeader.FLAG_ACK) && state != TcpState.SYN_RECEIVED) {
          processAck(seg, nowNs);
        }
      }
      return;
    }

    // Second: RST (RFC 9293 §3.10.7.4 with RFC 5961 §3.2: only an exact match resets).
    if (rst) {
      if (seq != receiver.rcvNxt && !Rfc5961.resetAfterFin(state, seq, receiver.rcvNxt)) {
        challengeAck(nowNs); // RFC 5961 §3.2 (3): in the window but not exact
        return;
      }
      acceptReset();
      return;
    }

    // Fourth: SYN in a synchronized state (RFC 9293 §3.10.7.4, RFC 5961 §4.2): challenge ACK.
    if (syn) {
      challengeAck(nowNs);
      return;
    }

    // Fifth: ACK.
    if (!seg.has(TcpHeader.FLAG_ACK)) {
      return;
    }
    // RFC 7323 §4.3 (2), §5.3 R3: an acceptable segment may set TS.Recent, which our segments echo
    // (not a RST or a SYN, which end their processing above, as Linux).
    timestamps.maybeUpdateRecent(seg, nowNs);
    int segAck = seg.ack;
    if (state == TcpState.SYN_RECEIVED) {
      if (lt(sender.sndUna, segAck) && le(segAck, sender.sndNxt)) {
        if (listener != null && !listener.hasRoomToAccept()) {
          // The accept queue is full: drop the ACK and stay half-open, as Linux does; our SYN-ACK
          // is retransmitted and the peer's next ACK may find room (RFC 9293 leaves this to us).
          layer.counters().increment(StackCounter.TCP_LISTEN_OVERFLOWS);
          return;
        }
        state = TcpState.ESTABLISHED;
        sender.initWindow(seq, segAck, seg.window);
        layer.counters().increment(StackCounter.TCP_ESTABLISHED);
        if (listener != null) {
          listener.established(this);
        }
        established(nowNs);
      } else {
        emitControl(TcpHeader.FLAG_RST, segAck, 0);
        return;
      }
    }
    if (!processAck(seg, nowNs)) {
      return;
    }

    // Sixth: URG (RFC 9293 §3.10.7.4; MUST-32): RCV.UP <- max(RCV.UP, SEG.UP), and the application
    // is told when the pointer is new or moved on and urgent data is left to read. The urgent bytes
    // stay in the stream, in order (RFC 6093 §5). In CLOSE-WAIT and later the peer sent FIN: ignored.
    if (seg.has(TcpHeader.FLAG_URG)
        && (state == TcpState.ESTABLISHED || state == TcpState.FIN_WAIT_1 || state == TcpState.FIN_WAIT_2)
        && receiver.urgent(seq, seg.urgentPointer)) {
      raise(EVENT_URGENT);
    }

    // Seventh: segment text.
    if (seg.payloadLength > 0) {
      switch (state) {
        case ESTABLISHED:
        case FIN_WAIT_1:
        case FIN_WAIT_2:
          if (inputClosed && gt(add(seq, seg.payloadLength), receiver.rcvNxt)) {
            // RFC 9293 §3.6, RFC 1122 §4.2.2.13, RFC 2525 §2.17: new data after the application's
            // CLOSE is answered with RST, "to show that data was lost" — <SEQ=SEG.ACK><CTL=RST>, as
            // Linux (TCPAbortOnData; it checks FIN-WAIT-1 and -2, and ESTABLISHED is our FIN-WAIT-1
            // while the blocking API's ring drains). A retransmission of what we have is only ACKed.
            layer.counters().increment(StackCounter.TCP_ABORT_ON_DATA);
            emitControl(TcpHeader.FLAG_RST, seg.ack, 0);
            becomeClosed(TcpError.ABORTED);
            return;
          }
          if (receiver.receiveText(seq, seg.payload, seg.payloadIndex, seg.payloadLength, nowNs)) {
            raise(EVENT_READABLE);
            if (receiver.pendingFin && receiver.rcvNxt == receiver.pendingFinSeq) {
              receiveFin(nowNs);
            }
          }
          break;
        default:
          break; // the peer already sent FIN: ignore text
      }
    }

    // Eighth: FIN.
    if (fin && !receiver.finReceived) {
      int peerFin = add(seq, seg.payloadLength);
      if (peerFin == receiver.rcvNxt) {
        receiveFin(nowNs);
      } else if (gt(peerFin, receiver.rcvNxt)) {
        receiver.pendingFin = true;
        receiver.pendingFinSeq = peerFin;
        receiver.ackNeeded = true;
      }
    }
  }

  /**
   * RFC 9293 §3.10.7.4 fifth step, once synchronized: an acceptable ACK moves SND.UNA (loss
   * recovery and congestion control hear of it), updates the send window, and may finish our
   * close. Returns false when processing of the segment ends here.
   */
  private boolean processAck(SegmentRepr seg, long nowNs) {
    int seq = seg.seq;
    int segAck = seg.ack;
    boolean fin = seg.has(TcpHeader.FLAG_FIN);
    // RFC 5961 §5.2: acceptable only if SND.UNA - MAX.SND.WND <= SEG.ACK <= SND.NXT — with SND.MAX
    // for SND.NXT: after a timeout SND.NXT went back, and ACKs for data sent before it are still
    // good news. Outside it (too old, or acknowledging what was never sent, RFC 9293 §3.10.7.4):
    // the segment is dropped, its text too, and a challenge ACK answers it.
    if (!Rfc5961.ackAcceptable(segAck, sender.sndUna, sender.sndMax(), sender.maxSndWnd, sender.iss,
        sender.bytesOut)) {
      layer.counters().increment(StackCounter.TCP_ACK_REJECTS);
      challengeAck(nowNs);
      return false;
    }
    sender.probesUnanswered = 0; // any acceptable ACK shows the peer is there (RFC 1122 §4.2.2.17)
    softError = null; // and that whatever a router said earlier no longer stops the connection
    int unaBefore = sender.sndUna;
    if (recovery.sack) {
      recovery.onAckWithSack(seg, nowNs);
    } else if (gt(segAck, sender.sndUna)) {
      recovery.onNewAck(segAck, nowNs);
    } else if (seg.payloadLength == 0 && !fin && segAck == sender.sndUna && seg.window == sender.sndWnd
        && sender.sndMax() != sender.sndUna && !timers.isSet(TcpTimers.PERSIST)) {
      // RFC 5681 §2: a duplicate ACK — data outstanding, no data or SYN/FIN in it, the same ACK
      // number and the same window.
      recovery.onDuplicateAck(nowNs);
    }
    if (sender.sndUna != unaBefore) {
      progressNs = nowNs; // the user timeout starts again (RFC 5482 §2)
    }
    // RFC 9293 §3.10.7.4: update the send window only from newer segments.
    sender.updateWindow(seq, segAck, seg.window);
    boolean ourFinAcked = sender.finAcknowledged(segAck);
    switch (state) {
      case FIN_WAIT_1:
        if (ourFinAcked) {
          state = TcpState.FIN_WAIT_2;
          // Checked when it fires: only a connection the application closed gives up (see onFinWait2Timeout).
          timers.set(TcpTimers.FIN_WAIT_2, nowNs + config.finWait2TimeoutNs);
          raise(EVENT_FIN_ACKED);
        }
        break;
      case CLOSING:
        if (ourFinAcked) {
          enterTimeWait(nowNs);
          return false;
        }
        break;
      case LAST_ACK:
        if (ourFinAcked) {
          becomeClosed(null);
          return false;
        }
        break;
      default:
        break;
    }
    return true;
  }

  /**
   * A challenge ACK, {@code <SEQ=SND.MAX><ACK=RCV.NXT><CTL=ACK>} (RFC 5961 §3.2, §4.2, §5.2), sent
   * at once if the stack's budget allows one now (§7) — one segment per challenge, as Linux's {@code
   * tcp_send_challenge_ack}, never merged with the ACKs a batch of segments holds back, so the
   * count of challenge ACKs is the count sent.
   */
  private void challengeAck(long nowNs) {
    if (layer.challengeAck(nowNs)) {
      sendAck(nowNs);
    }
  }

  /** An acceptable RST (RFC 9293 §3.10.7.4 second step): the connection ends. */
  private void acceptReset() {
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
    }
  }

  private void established(long nowNs) {
    recovery.cc.start(sender.sendMss, nowNs);
    if (synLost) {
      // RFC 5681 §3.1: once the SYN or SYN-ACK was lost, the initial window is one segment.
      recovery.cc.resume(sender.sendMss, sender.sendMss, recovery.cc.ssthresh(), nowNs);
    }
    if (keepAlive) {
      timers.set(TcpTimers.KEEPALIVE, nowNs + config.keepAliveIdleNs);
    }
    if (synRetransmitted) {
      rtt.afterSynTimeout(); // RFC 6298 §5.7: RTO back to 3 s if the SYN timed out
    }
    if (log.isDebugEnabled()) {
      log.debug("{}: established, mss {}, window scale {}/{}, sack {}, timestamps {}", this, sender.sendMss,
          sender.sndShift, receiver.rcvShift, sackEnabled(), timestamps.enabled);
    }
    raise(EVENT_ESTABLISHED);
  }

  private void receiveFin(long nowNs) {
    receiver.acceptFin();
    log.debug("{}: the peer closed its side (FIN)", this);
    switch (state) {
      case SYN_RECEIVED:
      case ESTABLISHED:
        state = TcpState.CLOSE_WAIT;
        break;
      case FIN_WAIT_1:
        if (sender.finQueued && sender.sndUna == add(sender.finSeq, 1)) {
          enterTimeWait(nowNs);
          return;
        }
        state = TcpState.CLOSING;
        break;
      case FIN_WAIT_2:
        enterTimeWait(nowNs);
        return;
      default:
        break;
    }
    raise(EVENT_READABLE);
  }

  /**
   * TIME-WAIT (RFC 9293 §3.3.2): our FIN is acknowledged and the peer's received. The ACK of the
   * peer's FIN leaves now; then the layer keeps only a compact {@link TimeWaitRecord} for 2 MSL and
   * this connection leaves the demux table. The application, if it still holds the connection,
   * sees TIME_WAIT (then CLOSED) and reads what is left, then end of stream.
   */
  private void enterTimeWait(long nowNs) {
    state = TcpState.TIME_WAIT;
    log.debug("{}: closed both ways", this);
    sendAck(nowNs); // what made us enter TIME-WAIT (the peer's FIN, or its ACK of ours) is answered now
    layer.counters().increment(StackCounter.TCP_TIME_WAITS);
    timers.cancelAll();
    layer.remove(this);
    TimeWaitRecord record = layer.enterTimeWait(this, sender.sndMax(), receiver.rcvNxt, receiver.offeredWindow(),
        receiver.offeredWindow() >>> receiver.rcvShift,
        nowNs + config.timeWaitNs());
    raise(EVENT_READABLE); // end of stream
    raise(EVENT_CLOSED);
    if (record == null) {
      state = TcpState.CLOSED; // no room for another record: the 4-tuple is free at once
    } else if (applicationOwned) {
      timeWait = record;
      record.holdFor(this);
    }
    if (!applicationOwned) {
      release();
    }
    // An application that still holds the connection keeps what it has not read; empty buffers
    // hold no memory anyway (they took their chunks only while they had data).
  }

  /** The record kept for this connection in TIME-WAIT expired or was replaced (RFC 6191): CLOSED. */
  void timeWaitEnded() {
    state = TcpState.CLOSED;
    timeWait = null;
  }

  // ---------------------------------------------------------------- output

  /** Sends whatever is due now: SYN, data within the windows, FIN, and an ACK if one is owed. */
  void output(long nowNs) {
    switch (state) {
      case SYN_SENT:
        if (sender.sndNxt == sender.iss) {
          sender.sendSyn(TcpHeader.FLAG_SYN, nowNs);
        }
        break;
      case SYN_RECEIVED:
        if (sender.sndNxt == sender.iss) {
          sender.sendSyn(TcpHeader.FLAG_SYN | TcpHeader.FLAG_ACK, nowNs);
        }
        break; // data, and a FIN queued in SYN-RECEIVED, wait for ESTABLISHED (RFC 9293 §3.10.4)
      case ESTABLISHED:
      case CLOSE_WAIT:
      case FIN_WAIT_1:
      case CLOSING:
      case LAST_ACK:
        sender.sendData(nowNs);
        break;
      default:
        break;
    }
    if (receiver.ackNeeded && state != TcpState.CLOSED && state != TcpState.SYN_SENT && state != TcpState.TIME_WAIT) {
      sendAck(nowNs);
    }
    watchUserTimeout(nowNs);
  }

  /**
   * A pure ACK, {@code <SEQ=SND.MAX><ACK=RCV.NXT><CTL=ACK>}. RFC 9293 says SEQ=SND.NXT; after a
   * timeout's go-back SND.NXT is below what the peer already has, and the peer would drop such an
   * ACK as old — two connections in that state drop each other's ACKs until they time out (found by
   * TcpSimulationTest). SND.MAX is acceptable to the peer, as Linux's ACKs are, unless it lies
   * beyond the peer's window (after a refused zero-window probe): see {@link Sender#acceptableSeq}.
   */
  private void sendAck(long nowNs) {
    emit(TcpHeader.FLAG_ACK, sender.acceptableSeq(), receiver.rcvNxt, 0, 0, false, nowNs);
  }

  /**
   * Every segment of this connection but a RST leaves here: it carries our current window (taken
   * now, so the offered right edge is remembered), our timestamp once they are in use and, when it
   * has ACK, settles any ACK we owed.
   */
  void emit(int flags, int seq, int ack, int dataOffset, int dataLength, boolean synOptions, long nowNs) {
    boolean syn = (flags & TcpHeader.FLAG_SYN) != 0;
    int urgentPointer = syn || (flags & TcpHeader.FLAG_ACK) == 0 ? -1 : sender.urgentPointer(seq);
    if (urgentPointer >= 0 && dataLength > sender.sendMss) {
      // A super-segment's pieces would all carry this pointer, an offset from the first one's
      // sequence number: urgent data goes in segments of one MSS, each pointing right.
      for (int done = 0; done < dataLength; ) {
        int len = Math.min(sender.sendMss, dataLength - done);
        int pieceFlags = done + len < dataLength ? flags & ~TcpHeader.FLAG_PSH : flags;
        emit(pieceFlags, add(seq, done), ack, dataOffset + done, len, false, nowNs);
        done += len;
      }
      return;
    }
    // RFC 2018 §3: 4 blocks fit in 40 bytes of options, 3 beside the 12 of timestamps (RFC 7323 §3.2).
    int sackRoom = timestamps.enabled ? TcpOptions.MAX_SACK_BLOCKS - 1 : TcpOptions.MAX_SACK_BLOCKS;
    if (dataLength > 0 && !syn && (flags & TcpHeader.FLAG_ACK) != 0 && receiver.sackBlocksPending() > 0) {
      // RFC 6691 §2: options and data together stay within the MSS. A full segment has no room for
      // SACK blocks: the blocks that do not fit go first in a pure ACK of their own (RFC 2018 §4:
      // the peer must hear of every out-of-order segment).
      int room = sender.sendMss - Math.min(dataLength, sender.sendMss);
      int fit = room >= TcpOptions.sackLength(1) ? (room - 4) / TcpOptions.SACK_BLOCK_LENGTH : 0;
      int wanted = Math.min(receiver.sackBlocksPending(), sackRoom);
      sackRoom = Math.min(sackRoom, fit);
      if (sackRoom < wanted) {
        emit(TcpHeader.FLAG_ACK, sender.acceptableSeq(), receiver.rcvNxt, 0, 0, false, nowNs);
      }
    }
    boolean hasAck = (flags & TcpHeader.FLAG_ACK) != 0;
    SegmentRepr out = layer.outgoing().outgoing(flags, seq, ack, receiver.takeWindow(syn))
        .withData(sender.buffer, dataOffset, dataLength);
    if (synOptions) {
      out.mss = layer.localMss(ipv6);
      out.windowScale = offeredWindowScale;
      out.sackPermitted = offeredSack;
    } else if (receiver.sackEnabled && (flags & TcpHeader.FLAG_ACK) != 0) {
      // RFC 2018 §4: an ACK while data is out of order carries SACK blocks (4 fit, 3 beside timestamps).
      out.sackBlocks = receiver.sackBlocks(out.sackLeft, out.sackRight, sackRoom);
    }
    if (timestamps.enabled) {
      // RFC 7323 §3.2: on every segment once negotiated (and on our SYN, offering them); TSecr is
      // TS.Recent (§4.3), 0 without ACK.
      out.timestamps = true;
      out.tsVal = timestamps.tsVal(nowNs);
      out.tsEcr = hasAck ? timestamps.recent : 0;
    }
    if (dataLength > sender.sendMss) {
      out.segmentSize = sender.sendMss; // a super-segment: the link cuts it (TSO)
    }
    if (urgentPointer >= 0) {
      // RFC 9293 §3.8.5: URG, and the pointer to the octet after the urgent data (MUST-62).
      out.flags |= TcpHeader.FLAG_URG;
      out.urgentPointer = urgentPointer;
    }
    layer.transmit(this, out);
    segmentsOut++;
    if (hasAck) {
      receiver.ackSent();
      timestamps.ackSent(ack);
    }
  }

  /**
   * A RST (or another segment without our window and data), e.g. {@code <SEQ=SEG.ACK><CTL=RST>}.
   * Without timestamps: RFC 7323 §3.2 recommends a RST carry none (it is not checked by PAWS).
   */
  private void emitControl(int flags, int seq, int ack) {
    layer.transmit(this, layer.outgoing().outgoing(flags, seq, ack, 0));
    segmentsOut++;
  }

  // ---------------------------------------------------------------- timers

  @Override
  void onDeadline(long nowNs) {
    timers.unfiled(); // the heap just let go of this connection: whatever is still set is filed again below
    runDueTimers(nowNs);
    timers.refile();
  }

  private void runDueTimers(long nowNs) {
    if (timers.isDue(TcpTimers.USER_TIMEOUT, nowNs)) {
      onUserTimeout(nowNs); // first: a connection out of time sends no retransmission
    }
    if (timers.isDue(TcpTimers.RETRANSMIT, nowNs)) {
      timers.cancel(TcpTimers.RETRANSMIT);
      onRetransmitTimeout(nowNs);
    }
    if (state != TcpState.CLOSED && timers.isDue(TcpTimers.PERSIST, nowNs)) {
      sender.onPersistTimeout(nowNs);
    }
    if (state != TcpState.CLOSED && timers.isDue(TcpTimers.KEEPALIVE, nowNs)) {
      onKeepAliveTimeout(nowNs);
    }
    if (recovery.sack && timers.isDue(TcpTimers.REORDER, nowNs)) {
      timers.cancel(TcpTimers.REORDER);
      recovery.onReorderTimeout(nowNs);
      output(nowNs);
    }
    if (recovery.sack && timers.isDue(TcpTimers.PROBE, nowNs)) {
      timers.cancel(TcpTimers.PROBE);
      recovery.onProbeTimeout(nowNs);
      output(nowNs);
    }
    if (state == TcpState.FIN_WAIT_2 && timers.isDue(TcpTimers.FIN_WAIT_2, nowNs)) {
      onFinWait2Timeout(nowNs);
    }
    if (timers.isDue(TcpTimers.LINGER, nowNs)) {
      timers.cancel(TcpTimers.LINGER);
      lingerExpired(nowNs);
    }
    if (state != TcpState.CLOSED && timers.isDue(TcpTimers.DELAYED_ACK, nowNs)) {
      timers.cancel(TcpTimers.DELAYED_ACK);
      delayedAcks++;
      layer.counters().increment(StackCounter.TCP_DELAYED_ACKS);
      sendAck(nowNs);
    }
    watchUserTimeout(nowNs);
  }

  /**
   * Keeps the user timeout's start (RFC 5482 §2: "the maximum amount of time that transmitted data
   * may remain unacknowledged"): when something we sent — data, SYN or FIN — starts to wait for
   * its acknowledgment the clock starts, and every ACK that advances SND.UNA restarts it ({@link
   * #processAck}); data held back by a zero window counts as waiting, as Linux's zero-window probes
   * do. The timer is set once per wait and checked when it fires ({@link #onUserTimeout}), so ACKs
   * cost no re-filing. Called after each segment, call and timer.
   */
  private void watchUserTimeout(long nowNs) {
    if (userTimeoutNs == 0 || state == TcpState.CLOSED || state == TcpState.TIME_WAIT) {
      return;
    }
    boolean waiting = !sender.idle();
    if (waiting && !awaitingAck) {
      progressNs = nowNs;
      timers.setIfIdle(TcpTimers.USER_TIMEOUT, nowNs + userTimeoutNs);
    }
    awaitingAck = waiting;
  }

  /**
   * RFC 9293 §3.10.8: "For any state if the user timeout expires, flush all queues, signal the user
   * 'error: connection aborted due to user timeout' [...] enter the CLOSED state". Linux's {@code
   * TCP_USER_TIMEOUT} closes the same way; unlike Linux we also send RST (as ABORT does, RFC 9293
   * §3.10.5), so a peer that still hears us does not keep a half of the connection.
   */
  private void onUserTimeout(long nowNs) {
    if (userTimeoutNs == 0 || sender.idle()) {
      awaitingAck = false;
      timers.cancel(TcpTimers.USER_TIMEOUT);
      return;
    }
    long dueNs = progressNs + userTimeoutNs;
    if (dueNs - nowNs > 0) {
      timers.set(TcpTimers.USER_TIMEOUT, dueNs); // the peer acknowledged something meanwhile
      return;
    }
    layer.counters().increment(StackCounter.TCP_USER_TIMEOUTS);
    abortWith(TcpError.TIMED_OUT);
  }

  /**
   * RFC 6298 §5.4–5.6: retransmit the earliest unacknowledged segment, back off, restart the timer;
   * RFC 5681 §3.1: ssthresh from the flight size, cwnd to one segment (the loss window), so what
   * follows is resent in slow start as ACKs come back.
   */
  private void onRetransmitTimeout(long nowNs) {
    boolean handshake = state == TcpState.SYN_SENT || state == TcpState.SYN_RECEIVED;
    if (!handshake && sender.probeInsteadOfRetransmit(nowNs)) {
      return;
    }
    int limit = handshake ? config.synRetries : config.dataRetries;
    if (retries >= limit) {
      layer.counters().increment(StackCounter.TCP_TIMEOUTS);
      becomeClosed(TcpError.TIMED_OUT);
      return;
    }
    retries++;
    if (retries == TcpConfig.R1_RETRIES) {
      // RFC 9293 §3.8.3 SHLD-9 (MUST-47): R1 is reached — the application hears it, once: retries
      // only grows until the peer acknowledges something (Sender#acknowledge), which starts anew.
      raiseSoftError(TcpError.RETRANSMITTING);
    }
    rtt.backoff();
    if (handshake && lt(sender.sndUna, add(sender.iss, 1))) {
      sender.goBackToSyn(); // the SYN (or SYN-ACK) again
      synRetransmitted = true;
      synLost = true;
      output(nowNs);
      sender.armRetransmit(nowNs);
      return;
    }
    timeoutRetransmits++;
    layer.counters().increment(StackCounter.TCP_RTO_EXPIRIES);
    recovery.onRetransmitTimeout(nowNs);
    if (recovery.sack) {
      sender.onTimeoutWithSack(); // the scoreboard marked everything not SACKed lost: resent in order
    } else {
      sender.goBack();
    }
    sender.sendData(nowNs);
    if (receiver.ackNeeded) {
      sendAck(nowNs);
    }
    sender.armRetransmit(nowNs);
  }

  /**
   * Keep-alive (RFC 1122 §4.2.3.6): after the idle time, a segment with SEG.SEQ = SND.NXT-1 and no
   * data, which the peer must answer with an ACK; after the configured number of unanswered probes
   * the peer is dead and the connection fails with "timed out".
   */
  private void onKeepAliveTimeout(long nowNs) {
    if (!keepAlive || !(state == TcpState.ESTABLISHED || state == TcpState.CLOSE_WAIT || state == TcpState.FIN_WAIT_2)) {
      timers.cancel(TcpTimers.KEEPALIVE);
      return;
    }
    if (!sender.idle()) {
      timers.set(TcpTimers.KEEPALIVE, nowNs + config.keepAliveIntervalNs); // the retransmission timer watches the peer
      return;
    }
    if (keepAlivesUnanswered >= config.keepAliveProbes) {
      layer.counters().increment(StackCounter.TCP_KEEPALIVE_TIMEOUTS);
      becomeClosed(TcpError.TIMED_OUT);
      return;
    }
    emit(TcpHeader.FLAG_ACK, add(sender.sndNxt, -1), receiver.rcvNxt, 0, 0, false, nowNs);
    keepAlivesUnanswered++;
    keepAliveProbes++;
    layer.counters().increment(StackCounter.TCP_KEEPALIVE_PROBES);
    timers.set(TcpTimers.KEEPALIVE, nowNs + config.keepAliveIntervalNs);
  }

  /**
   * The peer has not sent its FIN for the FIN-WAIT-2 timeout. A connection the application still
   * holds and only half-closed ({@link #shutdownOutput}) may wait for as long as it likes (it may
   * still be reading); one it closed ({@link #closeInput}) or let go of is closed quietly, as Linux
   * closes an orphaned socket after {@code tcp_fin_timeout} (60 s), which RFC 9293 leaves open.
   * The timer runs from entering FIN-WAIT-2 and is restarted by the close; a connection only
   * disposed of is looked at again each period.
   */
  private void onFinWait2Timeout(long nowNs) {
    if (applicationOwned && !inputClosed) {
      timers.set(TcpTimers.FIN_WAIT_2, nowNs + config.finWait2TimeoutNs); // look again later
      return;
    }
    timers.cancel(TcpTimers.FIN_WAIT_2);
    layer.counters().increment(StackCounter.TCP_FIN_WAIT_2_TIMEOUTS);
    becomeClosed(null);
  }

  // ---------------------------------------------------------------- ICMP errors

  /**
   * An ICMP error about one of this connection's segments (the layer matched the quoted 4-tuple).
   * RFC 5927 §4.1: acted on only if the quoted sequence number is one we sent and that is not yet
   * acknowledged, SND.UNA &lt;= SEG.SEQ &lt; SND.MAX (SND.MAX, not the RFC's SND.NXT, which goes back
   * after a timeout); otherwise it is stale or forged, and dropped. Then:
   *
   * <ul>
   *   <li>Fragmentation needed (RFC 1191): a lower path MTU estimate ({@link TcpLayer#nextPathMtu})
   *       is taken, remembered by the IP layer for new connections, and the segments in flight go
   *       again at the new size ({@link Sender#lowerMss}). One that does not lower it is ignored
   *       (§6.4: one retransmission per decrease, not per message).
   *   <li>Protocol or port unreachable in SYN-SENT: a hard error (RFC 1122 §4.2.3.9 SHOULD abort);
   *       the connect fails at once, "refused", as on Linux.
   *   <li>Everything else — net, host unreachable, prohibited, time exceeded, parameter problem, and
   *       hard errors once past SYN-SENT (RFC 5927 §5.2, as Linux, against blind resets) — is soft:
   *       the connection goes on (RFC 1122 §4.2.3.9 MUST NOT abort), the application is told at
   *       once ({@link TcpEvents#onSoftError}, RFC 9293 MUST-47) and, if the connection then times
   *       out, it reports this error instead of "timed out". An acceptable ACK forgets it.
   * </ul>
   */
  void onIcmpError(int type, int code, int nextHopMtu, int quotedSeq, int quotedTotalLength, long nowNs) {
    if (!(le(sender.sndUna, quotedSeq) && lt(quotedSeq, sender.sndMax()))) {
      layer.counters().increment(StackCounter.TCP_ICMP_OUT_OF_WINDOW);
      return;
    }
    if (type == Icmpv4Header.TYPE_DESTINATION_UNREACHABLE && code == Icmpv4Header.CODE_FRAGMENTATION_NEEDED) {
      int next = TcpLayer.nextPathMtu(pathMtu, nextHopMtu, quotedTotalLength);
      if (next >= pathMtu) {
        return;
      }
      boolean dfBefore = TcpLayer.dontFragment(pathMtu);
      pathMtu = next;
      layer.lowerPathMtu(this, next, nowNs);
      layer.counters().increment(StackCounter.TCP_PMTU_UPDATES);
      int mss = Math.min(sender.sendMss, Math.max(1, TcpLayer.mssForPathMtu(next, ipv6) - optionsPerSegment()));
      if (mss < sender.sendMss || dfBefore != TcpLayer.dontFragment(next)) {
        sender.lowerMss(mss, nowNs); // what was in flight was too big (or needs DF off): it goes again
      }
      return;
    }
    if (state == TcpState.SYN_SENT && TcpError.isHardIcmpError(type, code)) {
      layer.counters().increment(StackCounter.TCP_ICMP_HARD_ERRORS);
      becomeClosed(TcpError.REFUSED);
      return;
    }
    softError = TcpError.ofIcmp(type, code);
    layer.counters().increment(StackCounter.TCP_ICMP_SOFT_ERRORS);
    raiseSoftError(softError); // RFC 9293 §3.9.1.8 MUST-47, §3.9.2.2 SHLD-25: told now, as it happens
  }

  // ---------------------------------------------------------------- closing

  /** The connection failed (the peer stopped answering): CLOSED with {@code why}. */
  void fail(TcpError why) {
    becomeClosed(why);
  }

  private void becomeClosed(TcpError why) {
    if (state == TcpState.CLOSED) {
      return;
    }
    if (listener != null && state == TcpState.SYN_RECEIVED) {
      listener.halfOpenFailed();
    }
    state = TcpState.CLOSED;
    if (why == TcpError.TIMED_OUT && softError != null) {
      why = softError; // RFC 1122 §4.2.3.9: the soft error a router reported explains the timeout
    }
    log.debug("{}: {}", this, why == null ? "closed" : "closed: " + why);
    if (error == null) {
      error = why;
    }
    timers.cancelAll();
    layer.remove(this);
    raise(EVENT_CLOSED);
    if (!applicationOwned) {
      release();
    }
  }

  /** The application takes this connection (from connect or accept): it must {@link #dispose()} it. */
  void adopt() {
    applicationOwned = true;
    layer.owned(this, true);
  }

  /**
   * The application is done with this connection: once it is CLOSED (or in TIME-WAIT, where the
   * layer keeps a record of its own) its buffers are released (at once if it already is). Does not
   * close it — call {@link #shutdownOutput} or {@link #abort} first.
   */
  public void dispose() {
    applicationOwned = false;
    if (timeWait != null) {
      timeWait.letGo();
      timeWait = null;
    }
    if (state == TcpState.CLOSED || state == TcpState.TIME_WAIT) {
      release();
    }
  }

  /** Releases the buffers, once. */
  void release() {
    if (!released) {
      released = true;
      layer.owned(this, false);
      sender.buffer.release();
      receiver.buffer.release();
    }
  }

  /** The application could not queue data for want of stack memory: tell it when memory is back. */
  void waitForMemory() {
    if (!waitingForMemory) {
      waitingForMemory = true;
      layer.waitForMemory(this);
    }
  }

  /** Buffer memory is available again: the application may try to queue data. */
  void memoryBack() {
    waitingForMemory = false;
    if (canSend()) {
      raise(EVENT_WRITABLE);
    }
  }

  void countIn(int octets) {
    bytesIn += octets;
    layer.counters().add(StackCounter.TCP_IN_BYTES, octets);
  }

  // ---------------------------------------------------------------- for tests and statistics

  public int sndUna() {
    return sender.sndUna;
  }

  public int sndNxt() {
    return sender.sndNxt;
  }

  public int rcvNxt() {
    return receiver.rcvNxt;
  }

  public int sendMss() {
    return sender.sendMss;
  }

  public long rtoNs() {
    return rtt.rtoNs();
  }

  /** The connection's variables, for diagnostics (failing tests, debug logs). */
  public String describe() {
    Sender s = sender;
    Receiver r = receiver;
    return state + " sndUna=" + Integer.toUnsignedString(s.sndUna) + " sndNxt=+" + diff(s.sndNxt, s.sndUna)
        + " sndMax=+" + diff(s.sndMax(), s.sndUna) + " sndWnd=" + s.sndWnd + " buffered=" + s.buffer.length()
        + (s.finQueued ? " fin=+" + diff(s.finSeq, s.sndUna) : "") + " rcvNxt=" + Integer.toUnsignedString(r.rcvNxt)
        + " rcvWnd=" + r.offeredWindow() + " unread=" + r.readable() + " retries=" + retries
        + " rto=" + rtt.rtoNs() / 1_000_000 + "ms"
        + (timers.isSet(TcpTimers.RETRANSMIT) ? " rtx@" + timers.get(TcpTimers.RETRANSMIT) : "")
        + (timers.isSet(TcpTimers.PERSIST) ? " persist@" + timers.get(TcpTimers.PERSIST) : "") + " " + recovery.cc
        + (recovery.inRecovery ? " recovering" : "") + " dupAcks=" + recovery.dupAcks;
  }

  /** A snapshot of this connection's state and counters. */
  public TcpInfo info() {
    return new TcpInfo(state, segmentsIn, segmentsOut, bytesIn, sender.bytesOut, timeoutRetransmits,
        recovery.fastRetransmits, sender.retransmittedSegments, recovery.duplicateAcksIn, sender.windowProbes,
        keepAliveProbes, delayedAcks, recovery.cc.cwnd(), recovery.cc.ssthresh(), rtt.srttNs(), rtt.rtoNs(),
        sender.sndWnd, receiver.offeredWindow(), sender.sendMss, recovery.cc.name(), recovery.inRecovery,
        rtt.rttvarNs(), sender.sndShift, receiver.rcvShift, receiver.peerMss, pathMtu, sender.flightSize(),
        bytesAcked(), sender.buffer.length(), receiver.readable(), recovery.sack ? recovery.board.sackedBytes() : 0,
        recovery.sack ? recovery.board.lostBytes() : 0, retries, timestamps.enabled, recovery.sack);
  }

  /** Payload bytes acknowledged: those sent less those in flight, the SYN and FIN not counted. */
  private long bytesAcked() {
    int flight = sender.flightSize();
    int control = 0;
    if (flight > 0 && sender.sndUna == sender.iss) {
      control++; // the SYN is in flight
    }
    if (sender.finQueued && gt(sender.sndMax(), sender.finSeq)) {
      control++; // the FIN was sent (in flight, or acknowledged and the flight empty: clamped below)
    }
    return Math.max(0, Math.min(sender.bytesOut, sender.bytesOut - (flight - control)));
  }

  @Override
  public String toString() {
    return "TcpConnection[" + (ipv6 ? "[" + remoteIp + "]" : remoteIp.toString()) + ":" + remotePort
        + " -> :" + localPort + " " + state + "]";
  }
}
