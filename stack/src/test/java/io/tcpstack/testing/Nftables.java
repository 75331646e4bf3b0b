package io.tcpstack.testing;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The nftables rules of a namespace, as {@code nft list ruleset} shows them. */
public final class Nftables {

  /** A rule with a counter and a comment: {@code ... counter packets 12 bytes 3456 ... comment "name"}. */
  private static final Pattern RULE_COUNTER =
      Pattern.compile("counter packets (\\d+) bytes (\\d+) .*comment \"([^\"]+)\"");

  private Nftables() {}

  /** How many packets each commented rule with a counter has matched, by comment. */
  public static Map<String, Long> ruleCounters(TestNamespace ns) {
    return ruleCounters(ns.exec("nft", "list", "ruleset").assertSuccess().stdout());
  }

  /** {@link #ruleCounters(TestNamespace)} from a listing already taken. */
  public static Map<String, Long> ruleCounters(String listing) {
    Map<String, Long> matched = new LinkedHashMap<>();
    Matcher m = RULE_COUNTER.matcher(listing);
    while (m.find()) {
      matched.put(m.group(3), Long.parseLong(m.group(1)));
    }
    return matched;
  }

  /** How many bytes each commented rule with a counter has matched, by comment, from a listing. */
  public static Map<String, Long> ruleBytes(String listing) {
    Map<String, Long> matched = new LinkedHashMap<>();
    Matcher m = RULE_COUNTER.matcher(listing);
    while (m.find()) {
      matched.put(m.group(3), Long.parseLong(m.group(2)));
    }
    return matched;
  }
}
