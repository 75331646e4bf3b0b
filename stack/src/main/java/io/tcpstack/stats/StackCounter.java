package io.tcpstack.stats;

/**
 * Every event the stack counts. Names follow the MIB-II / {@code /proc/net/snmp} vocabulary where
 * one exists, so numbers can be compared with Linux's. A counter whose {@link #isDrop()} is true
 * counts packets the stack discarded; their sum is the stack's total of dropped input.
 */
public enum StackCounter {
  /** IP datagrams read from the device (before any validation). */
  IP_IN_RECEIVES(false),
  /** Dropped: shorter than a minimal IPv4 header. */
  IP_IN_TRUNCATED(true),
  /** Dropped: IP version neither 4 nor 6 (or not 4, when handed to the IPv4 layer alone). */
  IP_IN_BAD_VERSION(true),
  /** Dropped: IHL below 5 or beyond the packet. */
  IP_IN_BAD_HEADER_LENGTH(true),
  /** Dropped: total length below the header length or beyond what was read. */
  IP_IN_BAD_TOTAL_LENGTH(true),
  /** Dropped: header checksum wrong (RFC 791 §3.1, RFC 1122 §3.2.1.2). */
  IP_IN_BAD_CHECKSUM(true),
  /** Dropped: source address a host must not accept (RFC 1122 §3.2.1.3). */
  IP_IN_BAD_SOURCE(true),
  /** Dropped: destination is not this stack's address (a host does not forward, RFC 1122 §3.3.1). */
  IP_IN_NOT_FOR_US(true),
  /** Dropped: no handler for the IP protocol number. */
  IP_IN_UNKNOWN_PROTOCOL(true),
  /** Datagrams handed to a protocol handler (ICMP, TCP, ...). */
  IP_IN_DELIVERS(false),
  /**
   * Datagrams longer than the MTU read from the link: super-segments it merged (GRO) or the local
   * host's TSO handed over whole (TUN offloads).
   */
  IP_IN_SUPER_PACKETS(false),
  /** IP datagrams written to the device, counting each fragment. */
  IP_OUT_REQUESTS(false),
  /** Datagrams not sent: too large for the MTU with DF set, or larger than 65535 bytes. */
  IP_OUT_DISCARDS(false),
  /** Datagrams longer than the MTU handed to the link as TCP super-segments for it to cut (TSO). */
  IP_OUT_SUPER_PACKETS(false),
  /** Datagrams split into fragments (RFC 791 §3.2). */
  IP_FRAG_OKS(false),
  /** Fragments created. */
  IP_FRAG_CREATES(false),
  /** Fragments received (each counted once). */
  IP_REASM_REQDS(false),
  /** Datagrams reassembled and delivered. */
  IP_REASM_OKS(false),
  /** Dropped: a datagram whose reassembly timed out (its fragments). */
  IP_REASM_TIMEOUT(true),
  /** Dropped: fragment inconsistent (bad length or offset, conflicting end, overlap). */
  IP_REASM_INVALID(true),
  /** Dropped: reassembly memory or slot limit reached. */
  IP_REASM_OVER_LIMIT(true),
  /** A fragment identical in place to one already held, ignored (duplicated by the path). */
  IP_REASM_DUPLICATES(false),
  /** ICMP messages delivered. */
  ICMP_IN_MSGS(false),
  /** Dropped: ICMP message shorter than its 8-byte header. */
  ICMP_IN_TRUNCATED(true),
  /** Dropped: ICMP checksum wrong. */
  ICMP_IN_BAD_CHECKSUM(true),
  /** Echo requests received. */
  ICMP_IN_ECHOS(false),
  /** ICMP messages of a type this stack does not act on (yet), ignored. */
  ICMP_IN_IGNORED(false),
  /** Destination Unreachable messages received (RFC 792), "fragmentation needed" included. */
  ICMP_IN_DEST_UNREACHS(false),
  /** Time Exceeded messages received (RFC 792). */
  ICMP_IN_TIME_EXCDS(false),
  /** Parameter Problem messages received (RFC 792). */
  ICMP_IN_PARM_PROBS(false),
  /**
   * Dropped: an ICMP error message whose quoted datagram is shorter than an IPv4 header and 8 bytes
   * (RFC 792), not IPv4, a fragment other than the first, or not one this host sent.
   */
  ICMP_IN_ERRORS(true),
  /** Echo replies sent. */
  ICMP_OUT_ECHO_REPS(false),
  /** Time Exceeded (fragment reassembly) messages sent (RFC 1122 §3.3.2). */
  ICMP_OUT_TIME_EXCEEDS(false),
  /** IPv6 packets read from the device (before any validation; RFC 4293 ipSystemStatsInReceives). */
  IP6_IN_RECEIVES(false),
  /** Dropped: shorter than the 40-byte IPv6 header (RFC 8200 §3). */
  IP6_IN_TRUNCATED(true),
  /** Dropped: Payload Length beyond the bytes read (RFC 8200 §3). */
  IP6_IN_BAD_LENGTH(true),
  /**
   * Dropped: destination neither this stack's IPv6 address nor a multicast group it listens to
   * (all-nodes, all-routers, MLDv2 routers, its solicited-node group); or multicast but not
   * ICMPv6; or IPv6 has no address configured.
   */
  IP6_IN_NOT_FOR_US(true),
  /**
   * Dropped: source address a host must not accept: multicast (RFC 4291 §2.7), loopback (§2.5.3),
   * IPv4-mapped (§2.5.5.2), this stack's own, or unspecified except toward a multicast group (where
   * Neighbor Discovery and MLD use it).
   */
  IP6_IN_BAD_SOURCE(true),
  /** Dropped: an extension header runs past the packet, or an option past its header (RFC 8200 §4). */
  IP6_IN_BAD_EXTENSION(true),
  /** Dropped: a Hop-by-Hop Options header not right after the IPv6 header (RFC 8200 §4.1); Parameter Problem sent. */
  IP6_IN_MISPLACED_HOP_BY_HOP(true),
  /**
   * Dropped: an unrecognized option whose type's high bits say discard (RFC 8200 §4.2: 01, 10 and
   * 11); Parameter Problem code 2 sent for 10, and for 11 unless to multicast.
   */
  IP6_IN_UNKNOWN_OPTION(true),
  /** Dropped: a Routing header with Segments Left non-zero (RFC 8200 §4.4: no type is recognized); Parameter Problem sent. */
  IP6_IN_ROUTING_HEADER(true),
  /** Dropped: a Next Header value nothing here handles (RFC 8200 §4); Parameter Problem code 1 sent. */
  IP6_IN_UNKNOWN_NEXT_HEADER(true),
  /** Dropped: a non-final fragment whose length is not a multiple of 8 (RFC 8200 §4.5); Parameter Problem sent. */
  IP6_IN_BAD_FRAGMENT(true),
  /** Packets whose Next Header was "No Next Header" (59): nothing to deliver (RFC 8200 §4.7). */
  IP6_IN_NO_NEXT_HEADER(false),
  /** Atomic fragments (offset 0, M clear) processed on their own, not reassembled (RFC 6946 §4). */
  IP6_IN_ATOMIC_FRAGMENTS(false),
  /** IPv6 packets handed to an upper-layer protocol (ICMPv6, TCP, ...). */
  IP6_IN_DELIVERS(false),
  /** IPv6 packets written to the device, counting each fragment. */
  IP6_OUT_REQUESTS(false),
  /** IPv6 packets not sent: larger than 65535 bytes of payload. */
  IP6_OUT_DISCARDS(false),
  /** IPv6 packets this host fragmented because they exceeded the MTU (RFC 8200 §4.5: only the source fragments). */
  IP6_FRAG_OKS(false),
  /** IPv6 fragments created. */
  IP6_FRAG_CREATES(false),
  /** ICMPv6 messages received whole, checksum right. */
  ICMP6_IN_MSGS(false),
  /** Dropped: ICMPv6 message shorter than its 8-byte header (RFC 4443 §2.1). */
  ICMP6_IN_TRUNCATED(true),
  /** Dropped: ICMPv6 checksum wrong (RFC 4443 §2.3). */
  ICMP6_IN_BAD_CHECKSUM(true),
  /** Echo Requests received (RFC 4443 §4.1). */
  ICMP6_IN_ECHOS(false),
  /**
   * Neighbor Discovery (RFC 4861: router and neighbor solicitations and advertisements, redirects)
   * and MLD messages received and ignored: a TUN link is point-to-point with no link layer, so
   * there are no neighbours to discover (the kernel sends Router Solicitations and MLD reports).
   */
  ICMP6_IN_NDP_IGNORED(false),
  /** Other ICMPv6 messages (echo replies, unknown informational types), ignored (RFC 4443 §2.4 (b)). */
  ICMP6_IN_IGNORED(false),
  /** Destination Unreachable messages received (RFC 4443 §3.1). */
  ICMP6_IN_DEST_UNREACHS(false),
  /** Packet Too Big messages received (RFC 4443 §3.2, RFC 8201). */
  ICMP6_IN_PKT_TOO_BIGS(false),
  /** Time Exceeded messages received (RFC 4443 §3.3). */
  ICMP6_IN_TIME_EXCDS(false),
  /** Parameter Problem messages received (RFC 4443 §3.4). */
  ICMP6_IN_PARM_PROBS(false),
  /**
   * Dropped: an ICMPv6 error whose quoted packet is shorter than an IPv6 header and 8 bytes of its
   * transport header, not IPv6, not from this host, or not the first fragment.
   */
  ICMP6_IN_ERRORS(true),
  /** Echo Replies sent (RFC 4443 §4.2). */
  ICMP6_OUT_ECHO_REPS(false),
  /** Destination Unreachable messages sent (RFC 4443 §3.1). */
  ICMP6_OUT_DEST_UNREACHS(false),
  /** Parameter Problem messages sent (RFC 4443 §3.4). */
  ICMP6_OUT_PARM_PROBS(false),
  /** Time Exceeded (fragment reassembly) messages sent (RFC 4443 §3.3, RFC 8200 §4.5). */
  ICMP6_OUT_TIME_EXCDS(false),
  /** ICMPv6 errors not sent because of the rate limit (RFC 4443 §2.4 (f)). */
  ICMP6_OUT_RATE_LIMITED(false),
  /**
   * ICMPv6 errors not sent because RFC 4443 §2.4 (e) forbids them: about an ICMPv6 error, to a
   * multicast destination, or from an unspecified or multicast source.
   */
  ICMP6_OUT_SUPPRESSED(false),
  /** TCP segments received (before any check). */
  TCP_IN_SEGS(false),
  /** Dropped: TCP header truncated, bad data offset or malformed options (RFC 9293 MUST-7). */
  TCP_IN_ERRS(true),
  /** Dropped: TCP checksum wrong (RFC 9293 §3.1, MUST-3). */
  TCP_IN_BAD_CHECKSUM(true),
  /** Segments to a port with no connection and no listener (answered with RST). */
  TCP_NO_PORT(false),
  /** TCP segments sent, retransmissions included. */
  TCP_OUT_SEGS(false),
  /** RSTs sent. */
  TCP_OUT_RSTS(false),
  /** Segments retransmitted (SYN, SYN-ACK, data, FIN). */
  TCP_RETRANS_SEGS(false),
  /** Connections opened by connect (SYN-SENT). */
  TCP_ACTIVE_OPENS(false),
  /** Connections opened by a listener (SYN-RECEIVED). */
  TCP_PASSIVE_OPENS(false),
  /** Connections that reached ESTABLISHED. */
  TCP_ESTABLISHED(false),
  /** Established connections reset by the peer. */
  TCP_ESTAB_RESETS(false),
  /** Connections aborted because retransmissions went unanswered. */
  TCP_TIMEOUTS(false),
  /** SYNs not admitted because the listener's backlog was full. */
  TCP_LISTEN_OVERFLOWS(true),
  /**
   * SYNs dropped because the listener's half-open (SYN) queue, or the stack's ({@code
   * StackConfig.maxHalfOpen}), was full and SYN cookies are off.
   */
  TCP_SYN_QUEUE_OVERFLOWS(true),
  /**
   * SYN-ACKs sent with a SYN cookie (RFC 4987 §3.6) because a half-open queue was full: no state
   * kept for them (Linux's {@code SyncookiesSent}).
   */
  TCP_SYN_COOKIES_SENT(false),
  /** ACKs whose SYN cookie checked out: each made a connection (Linux's {@code SyncookiesRecv}). */
  TCP_SYN_COOKIES_VALIDATED(false),
  /**
   * ACKs for no connection on a listening port, while cookies were being sent, whose cookie was
   * forged, altered or expired: answered with RST (Linux's {@code SyncookiesFailed}).
   */
  TCP_SYN_COOKIES_FAILED(true),
  /** SYNs (or SYN-cookie ACKs) refused with RST because the stack held its maximum number of connections. */
  TCP_CONNECTION_LIMIT_RESETS(true),
  /** Segments (or parts) dropped because the stack's buffer memory was exhausted. */
  TCP_RCV_MEMORY_DROPS(true),
  /** Connections closed in FIN-WAIT-2 because the peer's FIN did not come in time after the application let go. */
  TCP_FIN_WAIT_2_TIMEOUTS(false),
  /**
   * Connections reset because new data arrived after the application closed them (RFC 9293 §3.6,
   * RFC 1122 §4.2.2.13, RFC 2525 §2.17; Linux's TCPAbortOnData).
   */
  TCP_ABORT_ON_DATA(false),
  /**
   * Connections reset because the application closed them with received data unread (RFC 2525
   * §2.17; Linux's TCPAbortOnClose).
   */
  TCP_ABORT_ON_CLOSE(false),
  /** Connections aborted because sent data stayed unacknowledged for the user timeout (RFC 5482). */
  TCP_USER_TIMEOUTS(false),
  /** Lingering closes that gave up: the peer had not acknowledged everything in time, RST sent. */
  TCP_LINGER_TIMEOUTS(false),
  /** Connections that entered TIME-WAIT (each then kept as a compact record). */
  TCP_TIME_WAITS(false),
  /**
   * Challenge ACKs sent (RFC 5961): for a RST in the window but not at RCV.NXT (§3.2), a SYN in a
   * synchronized state or TIME-WAIT (§4.2), an ACK outside SND.UNA - MAX.SND.WND .. SND.MAX (§5.2).
   */
  TCP_CHALLENGE_ACKS(false),
  /**
   * Challenge ACKs not sent because the stack's budget for the second was spent (RFC 5961 §7; the
   * budget is {@code StackConfig.challengeAckLimit}, drawn at random each second as Linux does).
   */
  TCP_CHALLENGE_ACKS_SUPPRESSED(false),
  /**
   * Dropped: a segment in a synchronized state whose SEG.ACK lies outside SND.UNA - MAX.SND.WND ..
   * SND.MAX — older than any window the peer offered, or acknowledging what was never sent (RFC 5961
   * §5.2, RFC 9293 §3.10.7.4 fifth step); answered with a challenge ACK.
   */
  TCP_ACK_REJECTS(true),
  /**
   * Dropped: a control-bit combination no state accepts — SYN with FIN at a listener (as Linux does;
   * see docs/rfc-coverage.md, "Unusual segments").
   */
  TCP_IN_BAD_FLAGS(true),
  /**
   * Dropped: a segment without the Timestamps option on a connection that negotiated it (RFC 7323
   * §3.2: SHOULD be dropped silently).
   */
  TCP_TS_MISSING_DROPS(true),
  /** Dropped: an old duplicate recognised by its timestamp, and acknowledged (PAWS, RFC 7323 §5.3). */
  TCP_PAWS_DROPS(true),
  /** Segments that arrived ahead of a gap and were kept. */
  TCP_OUT_OF_ORDER(false),
  /**
   * Dropped: a segment ahead of a gap that would have made a new range when the reassembly queue
   * already holds its most (32, {@code Assembler.MAX_RANGES}); the peer retransmits it.
   */
  TCP_OUT_OF_ORDER_QUEUE_FULL(true),
  /** SACK blocks received (RFC 2018 §3). */
  TCP_SACK_BLOCKS_IN(false),
  /** SACK blocks ignored: outside SND.UNA..SND.MAX or malformed (RFC 2018 §3, RFC 6675 §3). */
  TCP_SACK_BLOCKS_INVALID(true),
  /** Duplicate segments reported to the peer with a D-SACK (RFC 2883 §4). */
  TCP_DSACKS_OUT(false),
  /** D-SACK blocks received: the peer got something twice (RFC 2883 §4). */
  TCP_DSACKS_IN(false),
  /** Loss recoveries with SACK (RFC 6675 §5). */
  TCP_SACK_RECOVERIES(false),
  /** Segments found lost by the SACK scoreboard (RFC 6675 IsLost, or RACK, RFC 8985 §6.2). */
  TCP_SACK_LOST_SEGMENTS(false),
  /** Segments found lost by RACK's time-based test (RFC 8985 §6.2). */
  TCP_RACK_LOST_SEGMENTS(false),
  /** Tail loss probes sent (RFC 8985 §7). */
  TCP_TLP_PROBES(false),
  /** Recoveries undone: every retransmission in them proved unneeded (D-SACK, RFC 2883 §5; RFC 8985 §7.4). */
  TCP_SPURIOUS_RECOVERY_UNDOS(false),
  /** Retransmission timer expiries on established connections (RFC 6298 §5.4). */
  TCP_RTO_EXPIRIES(false),
  /** Fast retransmits on the third duplicate ACK (RFC 5681 §3.2). */
  TCP_FAST_RETRANSMITS(false),
  /** Duplicate ACKs received (RFC 5681 §2). */
  TCP_DUP_ACKS_IN(false),
  /** ACKs sent when the delayed-ACK timer expired (RFC 5681 §4.2). */
  TCP_DELAYED_ACKS(false),
  /** Keep-alive probes sent (RFC 1122 §4.2.3.6). */
  TCP_KEEPALIVE_PROBES(false),
  /** Connections closed because keep-alive probes went unanswered. */
  TCP_KEEPALIVE_TIMEOUTS(false),
  /** Zero-window probes sent. */
  TCP_WINDOW_PROBES(false),
  /** Dropped: an ICMP error about a TCP segment of no open connection (TIME-WAIT included). */
  TCP_ICMP_NO_CONNECTION(true),
  /**
   * Dropped: an ICMP error quoting a sequence number outside SND.UNA..SND.MAX of its connection —
   * stale, or forged by someone who cannot see the connection (RFC 5927 §4.1).
   */
  TCP_ICMP_OUT_OF_WINDOW(true),
  /**
   * Soft ICMP errors (unreachable, time exceeded, parameter problem) a connection remembered: it goes
   * on, and reports the error if it then times out (RFC 1122 §4.2.3.9, RFC 5927 §5.2).
   */
  TCP_ICMP_SOFT_ERRORS(false),
  /** Connection attempts (SYN-SENT) ended at once by ICMP protocol or port unreachable: "refused". */
  TCP_ICMP_HARD_ERRORS(false),
  /**
   * Path MTU estimates lowered by a Datagram Too Big message (RFC 1191); a connection with data in
   * flight then sends it again at once in segments of the new size.
   */
  TCP_PMTU_UPDATES(false),
  /** Payload bytes delivered in order to receive buffers. */
  TCP_IN_BYTES(false),
  /** Payload bytes sent for the first time. */
  TCP_OUT_BYTES(false),
  /** Packets the device refused to take (write failed). */
  DEVICE_TX_ERRORS(false),
  /** Packets read from the device larger than the receive buffer, truncated and dropped. */
  DEVICE_RX_ERRORS(true),
  /** Unexpected exceptions caught by the stack loop (a bug: each is logged). */
  LOOP_ERRORS(false);

  private final boolean drop;

  StackCounter(boolean drop) {
    this.drop = drop;
  }

  /** Whether this counter counts discarded input. */
  public boolean isDrop() {
    return drop;
  }
}
