package io.tcpstack.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tcpstack.stats.StackCounter;
import io.tcpstack.testing.ProcessResult;
import io.tcpstack.testing.TunStack;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * What a blind attacker or a scanner on the link gets from the stack, through a real TUN device in
 * a fresh namespace: a python3 script (standard library, packet sockets) sends crafted segments
 * from 198.18.0.77 — an address nobody owns on the link, never the kernel's — and reads the
 * stack's replies off the device: SYN+FIN, XMAS and all-flags probes, ACKs for no connection, and,
 * on a connection of its own, an in-window RST and SYN and a too-old ACK (RFC 5961 §3, §4, §5:
 * one challenge ACK each), a burst of bad RSTs (§7: the stack's budget, here 10 a second on
 * average, lets only some be answered), and the exact RST that does reset it. Needs root and
 * /dev/net/tun: skipped with the reason otherwise, failed under CI=true.
 */
class BlindSegmentsOverTunIntegrationTest {

  private static final Duration LIMIT = Duration.ofSeconds(60);
  /** On the link's /24, owned by nobody: neither the kernel (198.18.0.1) nor the stack (198.18.0.2). */
  private static final String UNUSED = "198.18.0.77";
  private static final int LISTEN_PORT = 7;
  private static final int CLOSED_PORT = 9;
  private static final int BURST = 200;
  private static final int CHALLENGE_ACK_LIMIT = 10;

  @Test
  void craftedSegmentsGetExactlyTheRepliesOfTheTableAndChallengeAcksAreRateLimited() throws IOException {
    Path script = TunStack.script("/tun/blind_segments.py");
    // A plain device: one packet per write, so the script sees each reply on its own.
    try (TunStack net = TunStack.start(null, 0, b -> b.challengeAckLimit(CHALLENGE_ACK_LIMIT).challengeAckSeed(1));
        TcpServerSocket server = TcpServerSocket.bind(net.runtime(), LISTEN_PORT, 16)) {
      Map<StackCounter, Long> before = net.runtime().counters().snapshot();
      ProcessResult r = net.ns().exec(LIMIT, "python3", script.toString(), net.device(), TunStack.STACK, UNUSED,
          String.valueOf(LISTEN_PORT), String.valueOf(CLOSED_PORT), String.valueOf(BURST));
      assertEquals(0, r.exitCode(), r.toString());
      Map<String, List<String>> replies = parse(r.stdout());
      Map<StackCounter, Long> after = net.runtime().counters().snapshot();

      assertEquals(List.of(), replies.get("synfin-listen"), "SYN+FIN at a listener: dropped, as Linux");
      assertEquals(List.of("R 12345 0"), replies.get("ack-listen"), "<SEQ=SEG.ACK><CTL=RST> (RFC 9293 §3.10.7.2)");
      assertEquals(List.of("R 777 0"), replies.get("ack-closed"), "RFC 9293 §3.10.7.1");
      assertEquals(List.of("RA 0 3001"), replies.get("xmas-closed"), "the FIN counts: ACK = SEQ + 1");
      assertEquals(List.of(), replies.get("xmas-listen"));
      assertEquals(List.of(), replies.get("allflags-listen"), "never a RST for a RST");
      assertEquals(List.of("RA 0 4003"), replies.get("noflags-closed"));

      List<String> synAck = replies.get("syn");
      assertEquals(1, synAck.size(), r.toString());
      String[] f = synAck.get(0).split(" ");
      assertEquals("SA", f[0]);
      assertEquals("5001", f[2]);
      long iss = Long.parseLong(f[1]);
      String challenge = "A " + ((iss + 1) & 0xFFFF_FFFFL) + " 5001";
      assertEquals(List.of(), replies.get("ack"));
      assertEquals(List.of(challenge), replies.get("rst-in-window"), "RFC 5961 §3.2");
      assertEquals(List.of(challenge), replies.get("syn-in-window"), "RFC 5961 §4.2");
      assertEquals(List.of(challenge), replies.get("old-ack"), "RFC 5961 §5.2");

      List<String> burst = replies.get("rst-burst");
      for (String s : burst) {
        assertEquals(challenge, s);
      }
      long sent = after.get(StackCounter.TCP_CHALLENGE_ACKS) - before.get(StackCounter.TCP_CHALLENGE_ACKS);
      long suppressed = after.get(StackCounter.TCP_CHALLENGE_ACKS_SUPPRESSED)
          - before.get(StackCounter.TCP_CHALLENGE_ACKS_SUPPRESSED);
      assertEquals(3 + burst.size(), sent, "every challenge ACK counted reached the link: " + replies);
      assertEquals(BURST - burst.size(), suppressed, "every bad RST of the burst answered or counted as suppressed");
      // The burst takes milliseconds; it may straddle one second boundary: at most two budgets of
      // at most 1.5 times the limit.
      assertTrue(burst.size() <= 2 * (CHALLENGE_ACK_LIMIT + CHALLENGE_ACK_LIMIT / 2), "rate-limited: " + burst.size());
      assertEquals(1, after.get(StackCounter.TCP_ACK_REJECTS) - before.get(StackCounter.TCP_ACK_REJECTS));
      assertEquals(1, after.get(StackCounter.TCP_IN_BAD_FLAGS) - before.get(StackCounter.TCP_IN_BAD_FLAGS));

      assertEquals(List.of(), replies.get("exact-rst"));
      assertEquals(List.of("R " + ((iss + 1) & 0xFFFF_FFFFL) + " 0"), replies.get("ack-after-reset"),
          "the exact RST reset the connection: its 4-tuple now reaches the listener");
      assertEquals(1, after.get(StackCounter.TCP_ESTAB_RESETS) - before.get(StackCounter.TCP_ESTAB_RESETS));
      assertEquals(0, after.get(StackCounter.LOOP_ERRORS));
    }
  }

  /** The script's "reply CASE FLAGS SEQ ACK LEN" lines, by case, as "FLAGS SEQ ACK" (LEN must be 0). */
  private static Map<String, List<String>> parse(String stdout) {
    Map<String, List<String>> cases = new LinkedHashMap<>();
    for (String line : stdout.split("\n")) {
      String[] w = line.trim().split(" ");
      if (w[0].equals("case")) {
        cases.put(w[1], new ArrayList<>());
      } else if (w[0].equals("reply")) {
        assertEquals("0", w[5], "no data in any reply: " + line);
        cases.get(w[1]).add(w[2] + " " + w[3] + " " + w[4]);
      }
    }
    return cases;
  }
}
