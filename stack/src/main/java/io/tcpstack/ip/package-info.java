/**
 * IPv4 (RFC 791, host requirements of RFC 1122 §3) and ICMPv4 (RFC 792): input validation,
 * fragment reassembly (RFC 791 §3.2, RFC 815), output with fragmentation, echo. Single-threaded and
 * clock-free: time is passed in as {@code nowNs}.
 */
package io.tcpstack.ip;
