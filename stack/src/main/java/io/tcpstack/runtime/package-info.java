/** The stack loop: the only package with threads, the system clock and a real device. */
package io.tcpstack.runtime;
