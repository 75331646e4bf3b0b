package io.tcpstack.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import io.tcpstack.tcp.TcpError;
import java.io.IOException;
import java.net.NoRouteToHostException;
import org.junit.jupiter.api.Test;

/** What the blocking API throws for each way a connection can end ({@link TcpError}). */
class ErrorExceptionsTest {

  @Test
  void eachErrorBecomesTheExceptionThatSaysWhatHappened() {
    assertInstanceOf(ConnectionRefusedException.class, StackCall.exceptionFor(TcpError.REFUSED, "x"));
    assertInstanceOf(ConnectionResetException.class, StackCall.exceptionFor(TcpError.RESET, "x"));
    assertInstanceOf(ConnectionTimedOutException.class, StackCall.exceptionFor(TcpError.TIMED_OUT, "x"));
    assertInstanceOf(SocketClosedException.class, StackCall.exceptionFor(TcpError.ABORTED, "x"));
    // Timed out after a router's ICMP soft error (RFC 1122 §4.2.3.9): what java.net throws for
    // Linux's EHOSTUNREACH / ENETUNREACH, saying which.
    for (TcpError e : new TcpError[] {TcpError.NET_UNREACHABLE, TcpError.HOST_UNREACHABLE, TcpError.ADMIN_PROHIBITED,
        TcpError.TTL_EXCEEDED}) {
      assertInstanceOf(NoRouteToHostException.class, StackCall.exceptionFor(e, "x"), e.name());
    }
    assertInstanceOf(ConnectionTimedOutException.class, StackCall.exceptionFor(TcpError.PARAMETER_PROBLEM, "x"));
  }

  @Test
  void theMessageSaysWhatTheRouterReportedAndWhere() {
    IOException e = StackCall.exceptionFor(TcpError.HOST_UNREACHABLE, "connecting to 198.19.9.9:80");
    assertEquals("host unreachable (connecting to 198.19.9.9:80)", e.getMessage());
  }
}
