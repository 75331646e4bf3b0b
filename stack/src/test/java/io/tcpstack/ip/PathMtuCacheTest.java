package io.tcpstack.ip;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** The IP layer's store of path MTU estimates (RFC 1191 §6.2, §6.3): lowered only, aged, bounded. */
class PathMtuCacheTest {

  static final int LINK_MTU = 1500;
  static final int A = 0x0A000001;
  static final int B = 0x0A000002;
  static final int C = 0x0A000003;
  static final long MINUTE = 60_000_000_000L;

  final PathMtuCache cache = new PathMtuCache(2);

  @Test
  void anUnknownDestinationHasTheLinkMtu() {
    assertEquals(LINK_MTU, cache.get(A, LINK_MTU, 0));
    assertEquals(0, cache.size());
  }

  @Test
  void anEstimateIsLoweredNeverRaisedAndNeverBelow68() {
    cache.lower(A, 1280, 0);
    assertEquals(1280, cache.get(A, LINK_MTU, 0));
    cache.lower(A, 1400, 0); // RFC 1191 §3: never raised by a Datagram Too Big
    assertEquals(1280, cache.get(A, LINK_MTU, 0));
    cache.lower(A, 20, 0); // RFC 1191 §3: never below 68
    assertEquals(68, cache.get(A, LINK_MTU, 0));
    assertEquals(LINK_MTU, cache.get(B, LINK_MTU, 0));
  }

  @Test
  void anEstimateIsForgottenTenMinutesAfterItWasLastLowered() {
    cache.lower(A, 1280, 0);
    cache.lower(A, 1006, 5 * MINUTE); // lowered again: its age restarts
    assertEquals(1006, cache.get(A, LINK_MTU, 15 * MINUTE - 1));
    assertEquals(LINK_MTU, cache.get(A, LINK_MTU, 15 * MINUTE));
    assertEquals(0, cache.size());
    cache.lower(A, 1400, 15 * MINUTE); // after expiry, a new estimate from the link MTU down
    assertEquals(1400, cache.get(A, LINK_MTU, 15 * MINUTE));
  }

  @Test
  void whenFullTheEntryThatExpiresFirstMakesRoom() {
    cache.lower(A, 1280, 0);
    cache.lower(B, 1280, MINUTE);
    cache.lower(C, 1006, 2 * MINUTE);
    assertEquals(2, cache.size());
    assertEquals(LINK_MTU, cache.get(A, LINK_MTU, 2 * MINUTE), "the oldest, A, made room");
    assertEquals(1280, cache.get(B, LINK_MTU, 2 * MINUTE));
    assertEquals(1006, cache.get(C, LINK_MTU, 2 * MINUTE));
  }

  @Test
  void anEstimateAboveTheLinkMtuIsCappedByIt() {
    cache.lower(A, 9000, 0);
    assertEquals(1500, cache.get(A, LINK_MTU, 0));
  }

  @Test
  void plateausOfRfc1191TableSevenOne() {
    assertEquals(1492, PathMtuCache.plateauBelow(1500));
    assertEquals(1006, PathMtuCache.plateauBelow(1492));
    assertEquals(508, PathMtuCache.plateauBelow(1006));
    assertEquals(508, PathMtuCache.plateauBelow(576));
    assertEquals(296, PathMtuCache.plateauBelow(508));
    assertEquals(68, PathMtuCache.plateauBelow(296));
    assertEquals(68, PathMtuCache.plateauBelow(68));
    assertEquals(32000, PathMtuCache.plateauBelow(65535));
    assertEquals(8166, PathMtuCache.plateauBelow(9000));
  }
}
