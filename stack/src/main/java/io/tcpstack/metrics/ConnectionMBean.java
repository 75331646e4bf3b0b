package io.tcpstack.metrics;

import io.tcpstack.tcp.TcpInfo;
import io.tcpstack.tcp.TcpTableEntry;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.RecordComponent;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import javax.management.Attribute;
import javax.management.AttributeList;
import javax.management.AttributeNotFoundException;
import javax.management.DynamicMBean;
import javax.management.MBeanAttributeInfo;
import javax.management.MBeanException;
import javax.management.MBeanInfo;
import javax.management.ReflectionException;

/**
 * One connection watched through JMX ({@link StackMBean}'s {@code watchConnection}): its {@link
 * TcpInfo}, read live on the stack thread each time, as attributes named after the record's
 * components ({@code cwnd}, {@code srttNs}, ...) plus {@code state}, which reads {@code GONE} once the
 * connection has ended (the other attributes are then unavailable). Found by its 4-tuple in the TCP
 * table on every read — a scan, cheap beside a JMX round trip, and nothing kept in the stack.
 */
final class ConnectionMBean implements DynamicMBean {

  /** What {@code state} reads once the connection is no longer in the table. */
  static final String GONE = "GONE";
  private static final RecordComponent[] INFO_FIELDS = TcpInfo.class.getRecordComponents();

  private final StackAccess stack;
  private final int localPort;
  private final String remoteAddress;
  private final int remotePort;
  private final MBeanInfo info;

  ConnectionMBean(StackAccess stack, int localPort, String remoteAddress, int remotePort) {
    this.stack = Objects.requireNonNull(stack, "stack");
    this.localPort = localPort;
    this.remoteAddress = remoteAddress;
    this.remotePort = remotePort;
    List<MBeanAttributeInfo> attributes = new ArrayList<>();
    for (RecordComponent c : INFO_FIELDS) {
      String type = c.getType().isPrimitive() ? c.getType().getName() : String.class.getName();
      String what = c.getName().equals("state")
          ? "The RFC 9293 state, or " + GONE + " once the connection has ended." : "TcpInfo." + c.getName() + ".";
      attributes.add(new MBeanAttributeInfo(c.getName(), type, what, true, false, type.equals("boolean")));
    }
    this.info = new MBeanInfo(getClass().getName(), "The TCP_INFO of the connection from local port " + localPort
        + " to " + remoteAddress + ":" + remotePort + ", read live.", attributes.toArray(new MBeanAttributeInfo[0]),
        null, null, null);
  }

  /** The connection's TcpInfo now, or null once it is gone. */
  private TcpInfo current() {
    return stack.read(s -> {
      TcpInfo[] found = {null};
      s.tcp().table(Integer.MAX_VALUE, s.nowNs(), e -> {
        if (matches(e)) {
          found[0] = e.info();
        }
      });
      return found[0];
    });
  }

  private boolean matches(TcpTableEntry e) {
    return e.info() != null && e.localPort() == localPort && e.remotePort() == remotePort
        && e.remoteAddress().equals(remoteAddress);
  }

  @Override
  public Object getAttribute(String attribute) throws AttributeNotFoundException, MBeanException {
    RecordComponent c = component(attribute);
    if (c == null) {
      throw new AttributeNotFoundException("no attribute " + attribute);
    }
    TcpInfo now;
    try {
      now = current();
    } catch (IllegalStateException e) {
      throw new MBeanException(e, e.getMessage());
    }
    if (now == null) {
      if (attribute.equals("state")) {
        return GONE;
      }
      throw new MBeanException(new IllegalStateException("the connection has ended"), "the connection has ended");
    }
    return value(c, now);
  }

  @Override
  public AttributeList getAttributes(String[] attributes) {
    AttributeList list = new AttributeList();
    TcpInfo now;
    try {
      now = current(); // one trip to the stack thread for all of them
    } catch (IllegalStateException e) {
      return list;
    }
    for (String name : attributes) {
      RecordComponent c = component(name);
      if (c != null && now != null) {
        list.add(new Attribute(name, value(c, now)));
      } else if (c != null && name.equals("state")) {
        list.add(new Attribute(name, GONE));
      }
    }
    return list;
  }

  private static RecordComponent component(String name) {
    for (RecordComponent c : INFO_FIELDS) {
      if (c.getName().equals(name)) {
        return c;
      }
    }
    return null;
  }

  private static Object value(RecordComponent c, TcpInfo info) {
    try {
      Object v = c.getAccessor().invoke(info);
      return c.getType().isPrimitive() ? v : String.valueOf(v);
    } catch (IllegalAccessException | InvocationTargetException e) {
      throw new IllegalStateException("cannot read TcpInfo." + c.getName(), e);
    }
  }

  @Override
  public void setAttribute(Attribute attribute) throws AttributeNotFoundException {
    throw new AttributeNotFoundException(attribute.getName() + " is read-only");
  }

  @Override
  public AttributeList setAttributes(AttributeList attributes) {
    return new AttributeList();
  }

  @Override
  public Object invoke(String actionName, Object[] params, String[] signature) throws ReflectionException {
    throw new ReflectionException(new NoSuchMethodException(actionName), "no operations");
  }

  @Override
  public MBeanInfo getMBeanInfo() {
    return info;
  }
}
