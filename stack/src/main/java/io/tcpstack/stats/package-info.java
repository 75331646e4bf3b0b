/** Counters the stack keeps, readable from any thread while the stack runs. */
package io.tcpstack.stats;
