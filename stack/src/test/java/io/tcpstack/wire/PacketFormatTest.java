package io.tcpstack.wire;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.buffer.ByteBufUtil;
import org.junit.jupiter.api.Test;

/** The TRACE log's one-line packet descriptions, compared with what tcpdump prints for the same bytes. */
class PacketFormatTest {

  /** A SYN with the options Linux sends (MSS, SACK-Permitted, timestamps, NOP, window scale): 198.18.0.1:40000 > 198.18.0.2:80. */
  private static final String LINUX_SYN = "4500003c1c4640004006f6c8c6120001c6120002"
      + "9c4000500000000100000000a002faf0aa440000020405b40402080a000000070000000001030307";

  private static String describe(String hex) {
    ByteBuf b = Unpooled.wrappedBuffer(ByteBufUtil.decodeHexDump(hex));
    try {
      return PacketFormat.describe(b);
    } finally {
      b.release();
    }
  }

  @Test
  void synWithOptionsReadsLikeTcpdump() {
    assertEquals("IP 198.18.0.1.40000 > 198.18.0.2.80: Flags [S], seq 1, win 64240, "
        + "options [mss 1460,sackOK,TS val 7 ecr 0,nop,wscale 7], length 0", describe(LINUX_SYN));
  }

  @Test
  void ackWithDataShowsAckAndPayloadLength() {
    // 20-byte IPv4 header, 20-byte TCP header with flags PSH|ACK, 3 bytes of data.
    String hex = "4500002b00004000400600000a0000010a000002" + "1f900050000000640000012c501800ff00000000" + "616263";
    assertEquals("IP 10.0.0.1.8080 > 10.0.0.2.80: Flags [P.], seq 100, ack 300, win 255, length 3", describe(hex));
  }

  @Test
  void garbageIsNamedNotThrown() {
    assertEquals("empty packet", describe(""));
    assertEquals("IP version 9, length 2", describe("9000"));
    assertEquals("IP truncated, length 4", describe("45000014"));
    assertEquals("IP bad header length 8", describe("4200001400000000400600000a0000010a000002"));
    // A TCP header that claims 60 bytes in a 20-byte segment.
    assertEquals("IP 10.0.0.1.1 > 10.0.0.2.2: Flags [S], seq 0, win 0, bad header length 60",
        describe("4500002800000000400600000a0000010a000002" + "000100020000000000000000f002000000000000"));
    // A timestamp option that claims 10 bytes where 4 are left.
    assertEquals("IP 10.0.0.1.1 > 10.0.0.2.2: Flags [S], seq 0, win 0, options [bad opt 8], length 0",
        describe("4500002c00000000400600000a0000010a000002" + "000100020000000000000000600200000000000" + "0080a0000"));
  }

  @Test
  void otherProtocolsAndFragments() {
    assertEquals("IP 10.0.0.1 > 10.0.0.2: ICMP type 8 code 0, length 8",
        describe("4500001c00000000400100000a0000010a000002" + "0800f7ff00000000"));
    assertEquals("IP 10.0.0.1.5000 > 10.0.0.2.7: UDP, length 2",
        describe("4500001e00000000401100000a0000010a000002" + "13880007000a00006869"));
    assertEquals("IP 10.0.0.1 > 10.0.0.2: fragment id 7 offset 8+, proto 17, length 8",
        describe("4500001c00072001401100000a0000010a000002" + "0000000000000000"));
  }

  @Test
  void ipv6() {
    assertEquals("IP6 fd00::1.40000 > fd00::2.80: Flags [R.], seq 5, ack 6, win 0, length 0",
        describe("6000000000140640" + "fd000000000000000000000000000001" + "fd000000000000000000000000000002"
            + "9c40005000000005000000065014000000000000"));
  }
}
