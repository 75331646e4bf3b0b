/** The device interface the stack core sees, and devices for tests and impairment. */
package io.tcpstack.device;
