package io.tcpstack.stats;

/**
 * Every event the stack counts. Names follow the MIB-II / {@code /proc/net/snmp} vocabulary where
 * one exists, so numbers can be compared with Linux's. A counter whose {@link #isDrop()} is true
 * counts packets the stack discarded; their sum is the stack's total of dropped input. Each has a
 * one-line {@link #description()}, the first sentence of its Javadoc, for {@code /metrics} and JMX.
 */
public enum StackCounter implements CounterSet.Described {
  /** IP datagrams read from the device (before any validation). */
  IP_IN_RECEIVES(false,
      "IP datagrams read from the device (before any validation)."),
  /** Dropped: shorter than a minimal IPv4 header. */
  IP_IN_TRUNCATED(true,
      "Dropped: shorter than a minimal IPv4 header."),
  /** Dropped: IP version neither 4 nor 6 (or not 4, when handed to the IPv4 layer alone). */
  IP_IN_BAD_VERSION(true,
      "Dropped: IP version neither 4 nor 6 (or not 4, when handed to the IPv4 layer alone)."),
  /** Dropped: IHL below 5 or beyond the packet. */
  IP_IN_BAD_HEADER_LENGTH(true,
      "Dropped: IHL below 5 or beyond the packet."),
  /** Dropped: total length below the header length or beyond what was read. */
  IP_IN_BAD_TOTAL_LENGTH(true,
      "Dropped: total length below the header length or beyond what was read."),
  /** Dropped: header checksum wrong (RFC 791 §3.1, RFC 1122 §3.2.1.2). */
  IP_IN_BAD_CHECKSUM(true,
      "Dropped: header checksum wrong (RFC 791 §3.1, RFC 1122 §3.2.1.2)."),
  /** Dropped: source address a host must not accept (RFC 1122 §3.2.1.3). */
  IP_IN_BAD_SOURCE(true,
      "Dropped: source address a host must not accept (RFC 1122 §3.2.1.3)."),
  /** Dropped: destination is not this stack's address (a host does not forward, RFC 1122 §3.3.1). */
  IP_IN_NOT_FOR_US(true,
      "Dropped: destination is not this stack's address (a host does not forward, RFC 1122 §3.3.1)."),
  /**
   * Dropped: carries a Loose or Strict Source Route option; the stack offers no source routing (RFC
   * 7126 §4.3, §4.4), as Linux with its default {@code accept_source_route=0}.
   */
  IP_IN_SOURCE_ROUTED(true,
      "Dropped: carries a Loose or Strict Source Route option; the stack offers no source routing (RFC 7126 §4.3, §4.4), as Linux with its default accept_source_route=0."),
  /** Dropped: no handler for the IP protocol number. */
  IP_IN_UNKNOWN_PROTOCOL(true,
      "Dropped: no handler for the IP protocol number."),
  /** Datagrams handed to a protocol handler (ICMP, TCP, ...). */
  IP_IN_DELIVERS(false,
      "Datagrams handed to a protocol handler (ICMP, TCP, ...)."),
  /**
   * Datagrams longer than the MTU read from the link: super-segments it merged (GRO) or the local
   * host's TSO handed over whole (TUN offloads).
   */
  IP_IN_SUPER_PACKETS(false,
      "Datagrams longer than the MTU read from the link: super-segments it merged (GRO) or the local host's TSO handed over whole (TUN offloads)."),
  /** IP datagrams written to the device, counting each fragment. */
  IP_OUT_REQUESTS(false,
      "IP datagrams written to the device, counting each fragment."),
  /** Datagrams not sent: too large for the MTU with DF set, or larger than 65535 bytes. */
  IP_OUT_DISCARDS(false,
      "Datagrams not sent: too large for the MTU with DF set, or larger than 65535 bytes."),
  /** Datagrams longer than the MTU handed to the link as TCP super-segments for it to cut (TSO). */
  IP_OUT_SUPER_PACKETS(false,
      "Datagrams longer than the MTU handed to the link as TCP super-segments for it to cut (TSO)."),
  /** Datagrams split into fragments (RFC 791 §3.2). */
  IP_FRAG_OKS(false,
      "Datagrams split into fragments (RFC 791 §3.2)."),
  /** Fragments created. */
  IP_FRAG_CREATES(false,
      "Fragments created."),
  /** Fragments received (each counted once). */
  IP_REASM_REQDS(false,
      "Fragments received (each counted once)."),
  /** Datagrams reassembled and delivered. */
  IP_REASM_OKS(false,
      "Datagrams reassembled and delivered."),
  /** Dropped: a datagram whose reassembly timed out (its fragments). */
  IP_REASM_TIMEOUT(true,
      "Dropped: a datagram whose reassembly timed out (its fragments)."),
  /** Dropped: fragment inconsistent (bad length or offset, conflicting end, overlap). */
  IP_REASM_INVALID(true,
      "Dropped: fragment inconsistent (bad length or offset, conflicting end, overlap)."),
  /** Dropped: reassembly memory or slot limit reached. */
  IP_REASM_OVER_LIMIT(true,
      "Dropped: reassembly memory or slot limit reached."),
  /** A fragment identical in place to one already held, ignored (duplicated by the path). */
  IP_REASM_DUPLICATES(false,
      "A fragment identical in place to one already held, ignored (duplicated by the path)."),
  /** ICMP messages delivered. */
  ICMP_IN_MSGS(false,
      "ICMP messages delivered."),
  /** Dropped: ICMP message shorter than its 8-byte header. */
  ICMP_IN_TRUNCATED(true,
      "Dropped: ICMP message shorter than its 8-byte header."),
  /** Dropped: ICMP checksum wrong. */
  ICMP_IN_BAD_CHECKSUM(true,
      "Dropped: ICMP checksum wrong."),
  /** Echo requests received. */
  ICMP_IN_ECHOS(false,
      "Echo requests received."),
  /** ICMP messages of a type this stack does not act on (yet), ignored. */
  ICMP_IN_IGNORED(false,
      "ICMP messages of a type this stack does not act on (yet), ignored."),
  /** Destination Unreachable messages received (RFC 792), "fragmentation needed" included. */
  ICMP_IN_DEST_UNREACHS(false,
      "Destination Unreachable messages received (RFC 792), \"fragmentation needed\" included."),
  /** Time Exceeded messages received (RFC 792). */
  ICMP_IN_TIME_EXCDS(false,
      "Time Exceeded messages received (RFC 792)."),
  /** Parameter Problem messages received (RFC 792). */
  ICMP_IN_PARM_PROBS(false,
      "Parameter Problem messages received (RFC 792)."),
  /**
   * Dropped: an ICMP error message whose quoted datagram is shorter than an IPv4 header and 8 bytes
   * (RFC 792), not IPv4, a fragment other than the first, or not one this host sent.
   */
  ICMP_IN_ERRORS(true,
      "Dropped: an ICMP error message whose quoted datagram is shorter than an IPv4 header and 8 bytes (RFC 792), not IPv4, a fragment other than the first, or not one this host sent."),
  /** Echo replies sent. */
  ICMP_OUT_ECHO_REPS(false,
      "Echo replies sent."),
  /** Time Exceeded (fragment reassembly) messages sent (RFC 1122 §3.3.2). */
  ICMP_OUT_TIME_EXCEEDS(false,
      "Time Exceeded (fragment reassembly) messages sent (RFC 1122 §3.3.2)."),
  /** Destination Unreachable messages sent: Port Unreachable for UDP to a closed port (RFC 1122 §4.1.3.1). */
  ICMP_OUT_DEST_UNREACHS(false,
      "Destination Unreachable messages sent: Port Unreachable for UDP to a closed port (RFC 1122 §4.1.3.1)."),
  /**
   * ICMP error messages not sent because the rate limit was reached ({@link
   * io.tcpstack.ip.IcmpRateLimiter}; Linux's {@code IcmpOutRateLimitGlobal} plus {@code
   * IcmpOutRateLimitHost}).
   */
  ICMP_OUT_RATE_LIMITED(false,
      "ICMP error messages not sent because the rate limit was reached (io.tcpstack.ip.IcmpRateLimiter; Linux's IcmpOutRateLimitGlobal plus IcmpOutRateLimitHost)."),
  /** IPv6 packets read from the device (before any validation; RFC 4293 ipSystemStatsInReceives). */
  IP6_IN_RECEIVES(false,
      "IPv6 packets read from the device (before any validation; RFC 4293 ipSystemStatsInReceives)."),
  /** Dropped: shorter than the 40-byte IPv6 header (RFC 8200 §3). */
  IP6_IN_TRUNCATED(true,
      "Dropped: shorter than the 40-byte IPv6 header (RFC 8200 §3)."),
  /** Dropped: Payload Length beyond the bytes read (RFC 8200 §3). */
  IP6_IN_BAD_LENGTH(true,
      "Dropped: Payload Length beyond the bytes read (RFC 8200 §3)."),
  /**
   * Dropped: destination neither this stack's IPv6 address nor a multicast group it listens to
   * (all-nodes, all-routers, MLDv2 routers, its solicited-node group); or multicast but not
   * ICMPv6; or IPv6 has no address configured.
   */
  IP6_IN_NOT_FOR_US(true,
      "Dropped: destination neither this stack's IPv6 address nor a multicast group it listens to (all-nodes, all-routers, MLDv2 routers, its solicited-node group); or multicast but not ICMPv6; or IPv6 has no address configured."),
  /**
   * Dropped: source address a host must not accept: multicast (RFC 4291 §2.7), loopback (§2.5.3),
   * IPv4-mapped (§2.5.5.2), this stack's own, or unspecified except toward a multicast group (where
   * Neighbor Discovery and MLD use it).
   */
  IP6_IN_BAD_SOURCE(true,
      "Dropped: source address a host must not accept: multicast (RFC 4291 §2.7), loopback (§2.5.3), IPv4-mapped (§2.5.5.2), this stack's own, or unspecified except toward a multicast group (where Neighbor Discovery and MLD use it)."),
  /** Dropped: an extension header runs past the packet, or an option past its header (RFC 8200 §4). */
  IP6_IN_BAD_EXTENSION(true,
      "Dropped: an extension header runs past the packet, or an option past its header (RFC 8200 §4)."),
  /** Dropped: a Hop-by-Hop Options header not right after the IPv6 header (RFC 8200 §4.1); Parameter Problem sent. */
  IP6_IN_MISPLACED_HOP_BY_HOP(true,
      "Dropped: a Hop-by-Hop Options header not right after the IPv6 header (RFC 8200 §4.1); Parameter Problem sent."),
  /**
   * Dropped: an unrecognized option whose type's high bits say discard (RFC 8200 §4.2: 01, 10 and
   * 11); Parameter Problem code 2 sent for 10, and for 11 unless to multicast.
   */
  IP6_IN_UNKNOWN_OPTION(true,
      "Dropped: an unrecognized option whose type's high bits say discard (RFC 8200 §4.2: 01, 10 and 11); Parameter Problem code 2 sent for 10, and for 11 unless to multicast."),
  /** Dropped: a Routing header with Segments Left non-zero (RFC 8200 §4.4: no type is recognized); Parameter Problem sent. */
  IP6_IN_ROUTING_HEADER(true,
      "Dropped: a Routing header with Segments Left non-zero (RFC 8200 §4.4: no type is recognized); Parameter Problem sent."),
  /** Dropped: a Next Header value nothing here handles (RFC 8200 §4); Parameter Problem code 1 sent. */
  IP6_IN_UNKNOWN_NEXT_HEADER(true,
      "Dropped: a Next Header value nothing here handles (RFC 8200 §4); Parameter Problem code 1 sent."),
  /** Dropped: a non-final fragment whose length is not a multiple of 8 (RFC 8200 §4.5); Parameter Problem sent. */
  IP6_IN_BAD_FRAGMENT(true,
      "Dropped: a non-final fragment whose length is not a multiple of 8 (RFC 8200 §4.5); Parameter Problem sent."),
  /** Packets whose Next Header was "No Next Header" (59): nothing to deliver (RFC 8200 §4.7). */
  IP6_IN_NO_NEXT_HEADER(false,
      "Packets whose Next Header was \"No Next Header\" (59): nothing to deliver (RFC 8200 §4.7)."),
  /** Atomic fragments (offset 0, M clear) processed on their own, not reassembled (RFC 6946 §4). */
  IP6_IN_ATOMIC_FRAGMENTS(false,
      "Atomic fragments (offset 0, M clear) processed on their own, not reassembled (RFC 6946 §4)."),
  /** IPv6 packets handed to an upper-layer protocol (ICMPv6, TCP, ...). */
  IP6_IN_DELIVERS(false,
      "IPv6 packets handed to an upper-layer protocol (ICMPv6, TCP, ...)."),
  /** IPv6 packets written to the device, counting each fragment. */
  IP6_OUT_REQUESTS(false,
      "IPv6 packets written to the device, counting each fragment."),
  /** IPv6 packets not sent: larger than 65535 bytes of payload. */
  IP6_OUT_DISCARDS(false,
      "IPv6 packets not sent: larger than 65535 bytes of payload."),
  /** IPv6 packets this host fragmented because they exceeded the MTU (RFC 8200 §4.5: only the source fragments). */
  IP6_FRAG_OKS(false,
      "IPv6 packets this host fragmented because they exceeded the MTU (RFC 8200 §4.5: only the source fragments)."),
  /** IPv6 fragments created. */
  IP6_FRAG_CREATES(false,
      "IPv6 fragments created."),
  /** ICMPv6 messages received whole, checksum right. */
  ICMP6_IN_MSGS(false,
      "ICMPv6 messages received whole, checksum right."),
  /** Dropped: ICMPv6 message shorter than its 8-byte header (RFC 4443 §2.1). */
  ICMP6_IN_TRUNCATED(true,
      "Dropped: ICMPv6 message shorter than its 8-byte header (RFC 4443 §2.1)."),
  /** Dropped: ICMPv6 checksum wrong (RFC 4443 §2.3). */
  ICMP6_IN_BAD_CHECKSUM(true,
      "Dropped: ICMPv6 checksum wrong (RFC 4443 §2.3)."),
  /** Echo Requests received (RFC 4443 §4.1). */
  ICMP6_IN_ECHOS(false,
      "Echo Requests received (RFC 4443 §4.1)."),
  /**
   * Neighbor Discovery (RFC 4861: router and neighbor solicitations and advertisements, redirects)
   * and MLD messages received and ignored: a TUN link is point-to-point with no link layer, so
   * there are no neighbours to discover (the kernel sends Router Solicitations and MLD reports).
   */
  ICMP6_IN_NDP_IGNORED(false,
      "Neighbor Discovery (RFC 4861: router and neighbor solicitations and advertisements, redirects) and MLD messages received and ignored: a TUN link is point-to-point with no link layer, so there are no neighbours to discover (the kernel sends Router Solicitations and MLD reports)."),
  /** Other ICMPv6 messages (echo replies, unknown informational types), ignored (RFC 4443 §2.4 (b)). */
  ICMP6_IN_IGNORED(false,
      "Other ICMPv6 messages (echo replies, unknown informational types), ignored (RFC 4443 §2.4 (b))."),
  /** Destination Unreachable messages received (RFC 4443 §3.1). */
  ICMP6_IN_DEST_UNREACHS(false,
      "Destination Unreachable messages received (RFC 4443 §3.1)."),
  /** Packet Too Big messages received (RFC 4443 §3.2, RFC 8201). */
  ICMP6_IN_PKT_TOO_BIGS(false,
      "Packet Too Big messages received (RFC 4443 §3.2, RFC 8201)."),
  /** Time Exceeded messages received (RFC 4443 §3.3). */
  ICMP6_IN_TIME_EXCDS(false,
      "Time Exceeded messages received (RFC 4443 §3.3)."),
  /** Parameter Problem messages received (RFC 4443 §3.4). */
  ICMP6_IN_PARM_PROBS(false,
      "Parameter Problem messages received (RFC 4443 §3.4)."),
  /**
   * Dropped: an ICMPv6 error whose quoted packet is shorter than an IPv6 header and 8 bytes of its
   * transport header, not IPv6, not from this host, or not the first fragment.
   */
  ICMP6_IN_ERRORS(true,
      "Dropped: an ICMPv6 error whose quoted packet is shorter than an IPv6 header and 8 bytes of its transport header, not IPv6, not from this host, or not the first fragment."),
  /** Echo Replies sent (RFC 4443 §4.2). */
  ICMP6_OUT_ECHO_REPS(false,
      "Echo Replies sent (RFC 4443 §4.2)."),
  /** Destination Unreachable messages sent (RFC 4443 §3.1). */
  ICMP6_OUT_DEST_UNREACHS(false,
      "Destination Unreachable messages sent (RFC 4443 §3.1)."),
  /** Parameter Problem messages sent (RFC 4443 §3.4). */
  ICMP6_OUT_PARM_PROBS(false,
      "Parameter Problem messages sent (RFC 4443 §3.4)."),
  /** Time Exceeded (fragment reassembly) messages sent (RFC 4443 §3.3, RFC 8200 §4.5). */
  ICMP6_OUT_TIME_EXCDS(false,
      "Time Exceeded (fragment reassembly) messages sent (RFC 4443 §3.3, RFC 8200 §4.5)."),
  /** ICMPv6 errors not sent because of the rate limit (RFC 4443 §2.4 (f)). */
  ICMP6_OUT_RATE_LIMITED(false,
      "ICMPv6 errors not sent because of the rate limit (RFC 4443 §2.4 (f))."),
  /**
   * ICMPv6 errors not sent because RFC 4443 §2.4 (e) forbids them: about an ICMPv6 error, to a
   * multicast destination, or from an unspecified or multicast source.
   */
  ICMP6_OUT_SUPPRESSED(false,
      "ICMPv6 errors not sent because RFC 4443 §2.4 (e) forbids them: about an ICMPv6 error, to a multicast destination, or from an unspecified or multicast source."),
  /** TCP segments received (before any check). */
  TCP_IN_SEGS(false,
      "TCP segments received (before any check)."),
  /** Dropped: TCP header truncated, bad data offset or malformed options (RFC 9293 MUST-7). */
  TCP_IN_ERRS(true,
      "Dropped: TCP header truncated, bad data offset or malformed options (RFC 9293 MUST-7)."),
  /** Dropped: TCP checksum wrong (RFC 9293 §3.1, MUST-3). */
  TCP_IN_BAD_CHECKSUM(true,
      "Dropped: TCP checksum wrong (RFC 9293 §3.1, MUST-3)."),
  /** Segments to a port with no connection and no listener (answered with RST). */
  TCP_NO_PORT(false,
      "Segments to a port with no connection and no listener (answered with RST)."),
  /** TCP segments sent, retransmissions included. */
  TCP_OUT_SEGS(false,
      "TCP segments sent, retransmissions included."),
  /** RSTs sent. */
  TCP_OUT_RSTS(false,
      "RSTs sent."),
  /** Segments retransmitted (SYN, SYN-ACK, data, FIN). */
  TCP_RETRANS_SEGS(false,
      "Segments retransmitted (SYN, SYN-ACK, data, FIN)."),
  /** Connections opened by connect (SYN-SENT). */
  TCP_ACTIVE_OPENS(false,
      "Connections opened by connect (SYN-SENT)."),
  /** Connections opened by a listener (SYN-RECEIVED). */
  TCP_PASSIVE_OPENS(false,
      "Connections opened by a listener (SYN-RECEIVED)."),
  /** Connections that reached ESTABLISHED. */
  TCP_ESTABLISHED(false,
      "Connections that reached ESTABLISHED."),
  /** Established connections reset by the peer. */
  TCP_ESTAB_RESETS(false,
      "Established connections reset by the peer."),
  /** Connections aborted because retransmissions went unanswered. */
  TCP_TIMEOUTS(false,
      "Connections aborted because retransmissions went unanswered."),
  /** SYNs not admitted because the listener's backlog was full. */
  TCP_LISTEN_OVERFLOWS(true,
      "SYNs not admitted because the listener's backlog was full."),
  /**
   * SYNs dropped because the listener's half-open (SYN) queue, or the stack's ({@code
   * StackConfig.maxHalfOpen}), was full and SYN cookies are off.
   */
  TCP_SYN_QUEUE_OVERFLOWS(true,
      "SYNs dropped because the listener's half-open (SYN) queue, or the stack's (StackConfig.maxHalfOpen), was full and SYN cookies are off."),
  /**
   * SYN-ACKs sent with a SYN cookie (RFC 4987 §3.6) because a half-open queue was full: no state
   * kept for them (Linux's {@code SyncookiesSent}).
   */
  TCP_SYN_COOKIES_SENT(false,
      "SYN-ACKs sent with a SYN cookie (RFC 4987 §3.6) because a half-open queue was full: no state kept for them (Linux's SyncookiesSent)."),
  /** ACKs whose SYN cookie checked out: each made a connection (Linux's {@code SyncookiesRecv}). */
  TCP_SYN_COOKIES_VALIDATED(false,
      "ACKs whose SYN cookie checked out: each made a connection (Linux's SyncookiesRecv)."),
  /**
   * ACKs for no connection on a listening port, while cookies were being sent, whose cookie was
   * forged, altered or expired: answered with RST (Linux's {@code SyncookiesFailed}).
   */
  TCP_SYN_COOKIES_FAILED(true,
      "ACKs for no connection on a listening port, while cookies were being sent, whose cookie was forged, altered or expired: answered with RST (Linux's SyncookiesFailed)."),
  /** SYNs (or SYN-cookie ACKs) refused with RST because the stack held its maximum number of connections. */
  TCP_CONNECTION_LIMIT_RESETS(true,
      "SYNs (or SYN-cookie ACKs) refused with RST because the stack held its maximum number of connections."),
  /** Segments (or parts) dropped because the stack's buffer memory was exhausted. */
  TCP_RCV_MEMORY_DROPS(true,
      "Segments (or parts) dropped because the stack's buffer memory was exhausted."),
  /** Connections closed in FIN-WAIT-2 because the peer's FIN did not come in time after the application let go. */
  TCP_FIN_WAIT_2_TIMEOUTS(false,
      "Connections closed in FIN-WAIT-2 because the peer's FIN did not come in time after the application let go."),
  /**
   * Connections reset because new data arrived after the application closed them (RFC 9293 §3.6,
   * RFC 1122 §4.2.2.13, RFC 2525 §2.17; Linux's TCPAbortOnData).
   */
  TCP_ABORT_ON_DATA(false,
      "Connections reset because new data arrived after the application closed them (RFC 9293 §3.6, RFC 1122 §4.2.2.13, RFC 2525 §2.17; Linux's TCPAbortOnData)."),
  /**
   * Connections reset because the application closed them with received data unread (RFC 2525
   * §2.17; Linux's TCPAbortOnClose).
   */
  TCP_ABORT_ON_CLOSE(false,
      "Connections reset because the application closed them with received data unread (RFC 2525 §2.17; Linux's TCPAbortOnClose)."),
  /** Connections aborted because sent data stayed unacknowledged for the user timeout (RFC 5482). */
  TCP_USER_TIMEOUTS(false,
      "Connections aborted because sent data stayed unacknowledged for the user timeout (RFC 5482)."),
  /** Lingering closes that gave up: the peer had not acknowledged everything in time, RST sent. */
  TCP_LINGER_TIMEOUTS(false,
      "Lingering closes that gave up: the peer had not acknowledged everything in time, RST sent."),
  /** Connections that entered TIME-WAIT (each then kept as a compact record). */
  TCP_TIME_WAITS(false,
      "Connections that entered TIME-WAIT (each then kept as a compact record)."),
  /**
   * Challenge ACKs sent (RFC 5961): for a RST in the window but not at RCV.NXT (§3.2), a SYN in a
   * synchronized state or TIME-WAIT (§4.2), an ACK outside SND.UNA - MAX.SND.WND .. SND.MAX (§5.2).
   */
  TCP_CHALLENGE_ACKS(false,
      "Challenge ACKs sent (RFC 5961): for a RST in the window but not at RCV.NXT (§3.2), a SYN in a synchronized state or TIME-WAIT (§4.2), an ACK outside SND.UNA - MAX.SND.WND .. SND.MAX (§5.2)."),
  /**
   * Challenge ACKs not sent because the stack's budget for the second was spent (RFC 5961 §7; the
   * budget is {@code StackConfig.challengeAckLimit}, drawn at random each second as Linux does).
   */
  TCP_CHALLENGE_ACKS_SUPPRESSED(false,
      "Challenge ACKs not sent because the stack's budget for the second was spent (RFC 5961 §7; the budget is StackConfig.challengeAckLimit, drawn at random each second as Linux does)."),
  /**
   * Dropped: a segment in a synchronized state whose SEG.ACK lies outside SND.UNA - MAX.SND.WND ..
   * SND.MAX — older than any window the peer offered, or acknowledging what was never sent (RFC 5961
   * §5.2, RFC 9293 §3.10.7.4 fifth step); answered with a challenge ACK.
   */
  TCP_ACK_REJECTS(true,
      "Dropped: a segment in a synchronized state whose SEG.ACK lies outside SND.UNA - MAX.SND.WND .. SND.MAX — older than any window the peer offered, or acknowledging what was never sent (RFC 5961 §5.2, RFC 9293 §3.10.7.4 fifth step); answered with a challenge ACK."),
  /**
   * Dropped: a control-bit combination no state accepts — SYN with FIN at a listener (as Linux does;
   * see docs/rfc-coverage.md, "Unusual segments").
   */
  TCP_IN_BAD_FLAGS(true,
      "Dropped: a control-bit combination no state accepts — SYN with FIN at a listener (as Linux does; see docs/rfc-coverage.md, \"Unusual segments\")."),
  /**
   * Dropped: a segment without the Timestamps option on a connection that negotiated it (RFC 7323
   * §3.2: SHOULD be dropped silently).
   */
  TCP_TS_MISSING_DROPS(true,
      "Dropped: a segment without the Timestamps option on a connection that negotiated it (RFC 7323 §3.2: SHOULD be dropped silently)."),
  /** Dropped: an old duplicate recognised by its timestamp, and acknowledged (PAWS, RFC 7323 §5.3). */
  TCP_PAWS_DROPS(true,
      "Dropped: an old duplicate recognised by its timestamp, and acknowledged (PAWS, RFC 7323 §5.3)."),
  /** Segments that arrived ahead of a gap and were kept. */
  TCP_OUT_OF_ORDER(false,
      "Segments that arrived ahead of a gap and were kept."),
  /**
   * Dropped: a segment ahead of a gap that would have made a new range when the reassembly queue
   * already holds its most (32, {@code Assembler.MAX_RANGES}); the peer retransmits it.
   */
  TCP_OUT_OF_ORDER_QUEUE_FULL(true,
      "Dropped: a segment ahead of a gap that would have made a new range when the reassembly queue already holds its most (32, Assembler.MAX_RANGES); the peer retransmits it."),
  /** SACK blocks received (RFC 2018 §3). */
  TCP_SACK_BLOCKS_IN(false,
      "SACK blocks received (RFC 2018 §3)."),
  /** SACK blocks ignored: outside SND.UNA..SND.MAX or malformed (RFC 2018 §3, RFC 6675 §3). */
  TCP_SACK_BLOCKS_INVALID(true,
      "SACK blocks ignored: outside SND.UNA..SND.MAX or malformed (RFC 2018 §3, RFC 6675 §3)."),
  /** Duplicate segments reported to the peer with a D-SACK (RFC 2883 §4). */
  TCP_DSACKS_OUT(false,
      "Duplicate segments reported to the peer with a D-SACK (RFC 2883 §4)."),
  /** D-SACK blocks received: the peer got something twice (RFC 2883 §4). */
  TCP_DSACKS_IN(false,
      "D-SACK blocks received: the peer got something twice (RFC 2883 §4)."),
  /** Loss recoveries with SACK (RFC 6675 §5). */
  TCP_SACK_RECOVERIES(false,
      "Loss recoveries with SACK (RFC 6675 §5)."),
  /** Segments found lost by the SACK scoreboard (RFC 6675 IsLost, or RACK, RFC 8985 §6.2). */
  TCP_SACK_LOST_SEGMENTS(false,
      "Segments found lost by the SACK scoreboard (RFC 6675 IsLost, or RACK, RFC 8985 §6.2)."),
  /** Segments found lost by RACK's time-based test (RFC 8985 §6.2). */
  TCP_RACK_LOST_SEGMENTS(false,
      "Segments found lost by RACK's time-based test (RFC 8985 §6.2)."),
  /** Tail loss probes sent (RFC 8985 §7). */
  TCP_TLP_PROBES(false,
      "Tail loss probes sent (RFC 8985 §7)."),
  /** Recoveries undone: every retransmission in them proved unneeded (D-SACK, RFC 2883 §5; RFC 8985 §7.4). */
  TCP_SPURIOUS_RECOVERY_UNDOS(false,
      "Recoveries undone: every retransmission in them proved unneeded (D-SACK, RFC 2883 §5; RFC 8985 §7.4)."),
  /** Retransmission timer expiries on established connections (RFC 6298 §5.4). */
  TCP_RTO_EXPIRIES(false,
      "Retransmission timer expiries on established connections (RFC 6298 §5.4)."),
  /** Fast retransmits on the third duplicate ACK (RFC 5681 §3.2). */
  TCP_FAST_RETRANSMITS(false,
      "Fast retransmits on the third duplicate ACK (RFC 5681 §3.2)."),
  /** Duplicate ACKs received (RFC 5681 §2). */
  TCP_DUP_ACKS_IN(false,
      "Duplicate ACKs received (RFC 5681 §2)."),
  /** ACKs sent when the delayed-ACK timer expired (RFC 5681 §4.2). */
  TCP_DELAYED_ACKS(false,
      "ACKs sent when the delayed-ACK timer expired (RFC 5681 §4.2)."),
  /** Keep-alive probes sent (RFC 1122 §4.2.3.6). */
  TCP_KEEPALIVE_PROBES(false,
      "Keep-alive probes sent (RFC 1122 §4.2.3.6)."),
  /** Connections closed because keep-alive probes went unanswered. */
  TCP_KEEPALIVE_TIMEOUTS(false,
      "Connections closed because keep-alive probes went unanswered."),
  /** Zero-window probes sent. */
  TCP_WINDOW_PROBES(false,
      "Zero-window probes sent."),
  /** Dropped: an ICMP error about a TCP segment of no open connection (TIME-WAIT included). */
  TCP_ICMP_NO_CONNECTION(true,
      "Dropped: an ICMP error about a TCP segment of no open connection (TIME-WAIT included)."),
  /**
   * Dropped: an ICMP error quoting a sequence number outside SND.UNA..SND.MAX of its connection —
   * stale, or forged by someone who cannot see the connection (RFC 5927 §4.1).
   */
  TCP_ICMP_OUT_OF_WINDOW(true,
      "Dropped: an ICMP error quoting a sequence number outside SND.UNA..SND.MAX of its connection — stale, or forged by someone who cannot see the connection (RFC 5927 §4.1)."),
  /**
   * Soft ICMP errors (unreachable, time exceeded, parameter problem) a connection remembered: it goes
   * on, and reports the error if it then times out (RFC 1122 §4.2.3.9, RFC 5927 §5.2).
   */
  TCP_ICMP_SOFT_ERRORS(false,
      "Soft ICMP errors (unreachable, time exceeded, parameter problem) a connection remembered: it goes on, and reports the error if it then times out (RFC 1122 §4.2.3.9, RFC 5927 §5.2)."),
  /** Connection attempts (SYN-SENT) ended at once by ICMP protocol or port unreachable: "refused". */
  TCP_ICMP_HARD_ERRORS(false,
      "Connection attempts (SYN-SENT) ended at once by ICMP protocol or port unreachable: \"refused\"."),
  /**
   * Path MTU estimates lowered by a Datagram Too Big message (RFC 1191); a connection with data in
   * flight then sends it again at once in segments of the new size.
   */
  TCP_PMTU_UPDATES(false,
      "Path MTU estimates lowered by a Datagram Too Big message (RFC 1191); a connection with data in flight then sends it again at once in segments of the new size."),
  /** Payload bytes delivered in order to receive buffers. */
  TCP_IN_BYTES(false,
      "Payload bytes delivered in order to receive buffers."),
  /** Payload bytes sent for the first time. */
  TCP_OUT_BYTES(false,
      "Payload bytes sent for the first time."),
  /** UDP datagrams delivered to a socket's receive queue (Linux's {@code UdpInDatagrams}). */
  UDP_IN_DATAGRAMS(false,
      "UDP datagrams delivered to a socket's receive queue (Linux's UdpInDatagrams)."),
  /**
   * Dropped: a valid UDP datagram to a port no socket is bound to, or whose connected socket waits
   * for another peer; answered with ICMP Port Unreachable within the rate limit (RFC 1122
   * §4.1.3.1; Linux's {@code UdpNoPorts}).
   */
  UDP_NO_PORTS(true,
      "Dropped: a valid UDP datagram to a port no socket is bound to, or whose connected socket waits for another peer; answered with ICMP Port Unreachable within the rate limit (RFC 1122 §4.1.3.1; Linux's UdpNoPorts)."),
  /**
   * Dropped: UDP datagrams received but not delivered for a reason other than a closed port —
   * header truncated, length field below 8 or beyond the IP payload, bad checksum, receive queue
   * full (Linux's {@code UdpInErrors}, which counts the same; the last two also have counters of
   * their own below).
   */
  UDP_IN_ERRORS(true,
      "Dropped: UDP datagrams received but not delivered for a reason other than a closed port — header truncated, length field below 8 or beyond the IP payload, bad checksum, receive queue full (Linux's UdpInErrors, which counts the same; the last two also have counters of their own below)."),
  /** Of {@link #UDP_IN_ERRORS}: the checksum was wrong (RFC 768; Linux's {@code UdpInCsumErrors}). */
  UDP_IN_CSUM_ERRORS(false,
      "Of #UDP_IN_ERRORS: the checksum was wrong (RFC 768; Linux's UdpInCsumErrors)."),
  /**
   * Of {@link #UDP_IN_ERRORS}: the socket's receive queue had no room for the datagram, its {@code
   * SO_RCVBUF}-like byte limit reached (Linux's {@code UdpRcvbufErrors}).
   */
  UDP_RCVBUF_ERRORS(false,
      "Of #UDP_IN_ERRORS: the socket's receive queue had no room for the datagram, its SO_RCVBUF-like byte limit reached (Linux's UdpRcvbufErrors)."),
  /** UDP datagrams sent (Linux's {@code UdpOutDatagrams}). */
  UDP_OUT_DATAGRAMS(false,
      "UDP datagrams sent (Linux's UdpOutDatagrams)."),
  /**
   * ICMP error messages about a UDP datagram we sent that were reported to its connected socket
   * (RFC 1122 §4.1.3.3); those about an unconnected socket or a closed port, and the transient
   * kinds, are ignored as Linux does without {@code IP_RECVERR}, and counted in {@link
   * #ICMP_IN_IGNORED}.
   */
  UDP_ICMP_ERRORS_REPORTED(false,
      "ICMP error messages about a UDP datagram we sent that were reported to its connected socket (RFC 1122 §4.1.3.3); those about an unconnected socket or a closed port, and the transient kinds, are ignored as Linux does without IP_RECVERR, and counted in #ICMP_IN_IGNORED."),
  /** Packets the device refused to take (write failed). */
  DEVICE_TX_ERRORS(false,
      "Packets the device refused to take (write failed)."),
  /** Packets read from the device larger than the receive buffer, truncated and dropped. */
  DEVICE_RX_ERRORS(true,
      "Packets read from the device larger than the receive buffer, truncated and dropped."),
  /** Unexpected exceptions caught by the stack loop (a bug: each is logged). */
  LOOP_ERRORS(false,
      "Unexpected exceptions caught by the stack loop (a bug: each is logged).");

  private final boolean drop;
  private final String description;

  /**
   * @param description the first sentence of the constant's Javadoc, {@code {@code x}} written as
   *     {@code x}: what {@code /metrics} shows as HELP and JMX as the attribute's description
   *     ({@code StackCounterTest} holds the two equal)
   */
  StackCounter(boolean drop, String description) {
    this.drop = drop;
    this.description = description;
  }

  /**
   * Whether this counter counts discarded input.
   *
   * @return true for a drop counter, whose increments the stack logs at DEBUG with the reason
   */
  public boolean isDrop() {
    return drop;
  }

  /** One line saying what the counter counts: the first sentence of its Javadoc. */
  public String description() {
    return description;
  }
}
