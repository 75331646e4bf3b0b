package io.tcpstack.metrics;

import io.tcpstack.stats.CounterSet;
import io.tcpstack.stats.StackCounter;
import io.tcpstack.tcp.TcpInfo;
import io.tcpstack.tcp.TcpState;
import io.tcpstack.tcp.TcpTableEntry;
import java.lang.management.ManagementFactory;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.RecordComponent;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.function.ToLongFunction;
import javax.management.Attribute;
import javax.management.AttributeList;
import javax.management.AttributeNotFoundException;
import javax.management.DynamicMBean;
import javax.management.InstanceAlreadyExistsException;
import javax.management.JMException;
import javax.management.MBeanAttributeInfo;
import javax.management.MBeanException;
import javax.management.MBeanInfo;
import javax.management.MBeanOperationInfo;
import javax.management.MBeanParameterInfo;
import javax.management.MBeanServer;
import javax.management.ObjectName;
import javax.management.ReflectionException;
import javax.management.openmbean.CompositeData;
import javax.management.openmbean.CompositeDataSupport;
import javax.management.openmbean.CompositeType;
import javax.management.openmbean.OpenDataException;
import javax.management.openmbean.OpenType;
import javax.management.openmbean.SimpleType;
import javax.management.openmbean.TabularData;
import javax.management.openmbean.TabularDataSupport;
import javax.management.openmbean.TabularType;

/**
 * The stack's counters and gauges as one JMX MBean, {@code io.tcpstack:type=Stack,name=NAME}, for
 * jconsole, VisualVM or any JMX client. Read-only.
 *
 * <ul>
 *   <li>Attributes: every {@link StackCounter} in CamelCase ({@code TCP_IN_SEGS} is {@code
 *       TcpInSegs}), a {@code long}, described by {@link StackCounter#description()} — read from the
 *       {@link CounterSet} on the caller's thread; and the gauges of {@link StackGauges} ({@code
 *       ConnectionsEstablished}, {@code ConnectionsTimeWait}, ... one per TCP state, {@code HalfOpen},
 *       {@code BufferMemoryInUse}, ...) — read on the stack thread through a {@link StackAccess},
 *       once per {@code getAttributes} call.
 *   <li>Operations: {@code connections()} and {@code connections(int limit)} return the TCP table
 *       ({@link ConnectionTable}) as {@link TabularData}, one {@link CompositeData} row per listener,
 *       connection and TIME-WAIT record with every {@link TcpInfo} field — jconsole shows it as a
 *       table to page through; {@code connectionsText()} returns the same as {@code ss}-like text.
 *       Connections are thus listed on demand, rather than registered as MBeans of their own that
 *       would come and go by the thousand.
 *   <li>{@code watchConnection(String connection)} registers one connection as an MBean of its own,
 *       {@code io.tcpstack:type=Connection,name=NAME,connection="LOCAL PEER"} ({@link
 *       ConnectionMBean}), whose attributes are its TcpInfo read live — for watching cwnd or SRTT
 *       move in jconsole's charts. {@code connection} is {@code "LOCAL_ADDRESS:PORT
 *       PEER_ADDRESS:PORT"} as the table shows them, or only the peer when that is unambiguous.
 *       {@code unwatchConnection} takes it off again, as does unregistering the stack's MBean.
 * </ul>
 *
 * <p>{@link #register} puts it on the platform MBeanServer under a name that is free — a second
 * stack in the same JVM gets {@code name=NAME-2} — and the returned registration takes it off.
 */
public final class StackMBean implements DynamicMBean {

  /** The JMX domain of the stack's MBeans. */
  public static final String DOMAIN = "io.tcpstack";

  private static final String ROW = "row";
  /** The items of a table row before the TcpInfo fields. */
  private static final String[] FIXED_ITEMS = {
    ROW, "state", "localAddress", "localPort", "remoteAddress", "remotePort", "acceptQueue", "backlog", "halfOpen",
    "timerNs"
  };
  private static final RecordComponent[] INFO_FIELDS = TcpInfo.class.getRecordComponents();
  private static final CompositeType ROW_TYPE = rowType();
  private static final TabularType TABLE_TYPE = tableType();

  private final CounterSet<StackCounter> counters;
  private final StackAccess stack;
  /** The attributes by name: counters first, then gauges. */
  private final Map<String, Attr> attributes = new LinkedHashMap<>();
  private final MBeanInfo info;
  private final MBeanServer server = ManagementFactory.getPlatformMBeanServer();
  /** The {@code name} key this MBean is registered under, once it is. */
  private volatile String registeredName;
  /** Connections registered by {@code watchConnection}, by their "LOCAL PEER" text. */
  private final Map<String, ObjectName> watched = new java.util.concurrent.ConcurrentHashMap<>();

  /** An attribute: a counter (read anywhere) or a gauge (from a snapshot taken on the stack thread). */
  private record Attr(String description, StackCounter counter, ToLongFunction<StackGauges> gauge) {}

  /**
   * An MBean over one stack, not yet registered ({@link #register}).
   *
   * @param counters the stack's counters ({@code NetworkStack.counters()}), not null
   * @param stack how to read the gauges and the TCP table on the stack thread, not null
   * @throws NullPointerException if either is null
   */
  public StackMBean(CounterSet<StackCounter> counters, StackAccess stack) {
    this.counters = Objects.requireNonNull(counters, "counters");
    this.stack = Objects.requireNonNull(stack, "stack");
    for (StackCounter c : StackCounter.values()) {
      attributes.put(camelCase(c.name()), new Attr(c.description(), c, null));
    }
    for (TcpState s : TcpState.values()) {
      attributes.put("Connections" + camelCase(s.name()),
          new Attr("TCP connections in " + s + " now" + stateNote(s), null, g -> g.connections(s)));
    }
    gauge("HalfOpen", "Connections in SYN-RECEIVED of all listeners.", StackGauges::halfOpen);
    gauge("BufferMemoryInUse", "Bytes of send and receive buffers held by connections now.",
        StackGauges::bufferMemoryInUse);
    gauge("BufferMemoryBudget", "The most buffer memory all connections may hold together (--buffer-memory).",
        StackGauges::bufferMemoryBudget);
    gauge("BufferMemoryPeak", "The highest buffer memory held at once so far.", StackGauges::bufferMemoryPeak);
    gauge("BufferSpareChunks", "Buffer chunks kept for reuse rather than released.", StackGauges::bufferSpareChunks);
    gauge("BufferRefusals", "Times a connection was refused a buffer chunk because the budget was spent.",
        StackGauges::bufferRefusals);
    gauge("ReassembliesInProgress", "IP datagrams whose fragments are being reassembled.",
        StackGauges::reassembliesInProgress);
    List<MBeanAttributeInfo> infos = new ArrayList<>();
    attributes.forEach((name, a) -> infos.add(new MBeanAttributeInfo(name, "long", a.description(), true, false,
        false)));
    MBeanOperationInfo[] operations = {
      new MBeanOperationInfo("connections", "The TCP table: listeners, connections with their TCP_INFO, "
          + "TIME-WAIT records; the first " + ConnectionTable.DEFAULT_LIMIT + " rows.", new MBeanParameterInfo[0],
          TabularData.class.getName(), MBeanOperationInfo.INFO),
      new MBeanOperationInfo("connections", "The TCP table, at most limit rows.", new MBeanParameterInfo[] {
        new MBeanParameterInfo("limit", "int", "the most rows to return (at most " + ConnectionTable.MAX_LIMIT + ")")
      }, TabularData.class.getName(), MBeanOperationInfo.INFO),
      new MBeanOperationInfo("connectionsText", "The TCP table as ss-like text; the first "
          + ConnectionTable.DEFAULT_LIMIT + " rows.", new MBeanParameterInfo[0], String.class.getName(),
          MBeanOperationInfo.INFO),
      new MBeanOperationInfo("watchConnection", "Registers one connection as an MBean of type Connection whose "
          + "attributes are its TCP_INFO, read live; returns its ObjectName.", new MBeanParameterInfo[] {
            new MBeanParameterInfo("connection", String.class.getName(), "'LOCAL_ADDRESS:PORT PEER_ADDRESS:PORT' as "
                + "the table shows them, or only 'PEER_ADDRESS:PORT' when one connection has that peer")
          }, String.class.getName(), MBeanOperationInfo.ACTION),
      new MBeanOperationInfo("unwatchConnection", "Unregisters a connection registered by watchConnection; "
          + "true if it was.", new MBeanParameterInfo[] {
            new MBeanParameterInfo("connection", String.class.getName(), "as given to watchConnection")
          }, "boolean", MBeanOperationInfo.ACTION)
    };
    this.info = new MBeanInfo(getClass().getName(), "The counters and gauges of one tcpstack stack.",
        infos.toArray(new MBeanAttributeInfo[0]), null, operations, null);
  }

  private void gauge(String name, String description, ToLongFunction<StackGauges> value) {
    attributes.put(name, new Attr(description, null, value));
  }

  private static String stateNote(TcpState s) {
    return switch (s) {
      case LISTEN -> ": listening ports.";
      case TIME_WAIT -> ": TIME-WAIT records.";
      case CLOSED -> ": closed connections the application has not disposed of yet.";
      default -> ".";
    };
  }

  /** {@code TCP_FIN_WAIT_2_TIMEOUTS} as {@code TcpFinWait2Timeouts}. */
  static String camelCase(String constant) {
    StringBuilder s = new StringBuilder(constant.length());
    for (String part : constant.split("_")) {
      if (!part.isEmpty()) {
        s.append(part.charAt(0)).append(part.substring(1).toLowerCase(Locale.ROOT));
      }
    }
    return s.toString();
  }

  // ---------------------------------------------------------------- registration

  /** A registered MBean; {@link #close()} unregisters it. */
  public interface Registration extends AutoCloseable {
    /**
     * The name the MBean was registered under.
     *
     * @return the name, {@code io.tcpstack:type=Stack,name=...}
     */
    ObjectName name();

    @Override
    void close();
  }

  /**
   * Registers {@code mbean} on the platform MBeanServer as {@code io.tcpstack:type=Stack,name=NAME},
   * {@code name} with the characters an ObjectName value cannot hold unquoted replaced by {@code _},
   * and {@code -2}, {@code -3}, ... appended when a stack of that name is already registered.
   *
   * @param mbean the MBean to register, not null
   * @param name the stack's name, e.g. its device's, not null
   * @return the registration; closing it unregisters the MBean and every connection it watches
   * @throws IllegalStateException if the MBeanServer refuses the MBean for another reason than a
   *     taken name
   */
  public static Registration register(StackMBean mbean, String name) {
    MBeanServer server = ManagementFactory.getPlatformMBeanServer();
    String base = name.replaceAll("[,=:\"*?\\\\\\n]", "_");
    for (int n = 1; ; n++) {
      try {
        ObjectName objectName = new ObjectName(DOMAIN + ":type=Stack,name=" + (n == 1 ? base : base + "-" + n));
        server.registerMBean(mbean, objectName);
        mbean.registeredName = objectName.getKeyProperty("name");
        return new Registration() {
          @Override
          public ObjectName name() {
            return objectName;
          }

          @Override
          public void close() {
            mbean.unwatchAll();
            try {
              server.unregisterMBean(objectName);
            } catch (JMException e) {
              // already gone: nothing to undo
            }
          }
        };
      } catch (InstanceAlreadyExistsException e) {
        // taken by another stack in this JVM: try the next suffix
      } catch (JMException e) {
        throw new IllegalStateException("cannot register the stack's MBean as " + base + ": " + e, e);
      }
    }
  }

  // ---------------------------------------------------------------- DynamicMBean

  @Override
  public Object getAttribute(String attribute) throws AttributeNotFoundException, MBeanException {
    Attr a = attributes.get(attribute);
    if (a == null) {
      throw new AttributeNotFoundException("no attribute " + attribute + " (see the MBeanInfo for the names)");
    }
    if (a.counter() != null) {
      return counters.get(a.counter());
    }
    return a.gauge().applyAsLong(gauges());
  }

  @Override
  public AttributeList getAttributes(String[] names) {
    AttributeList list = new AttributeList();
    StackGauges gauges = null;
    for (String name : names) {
      Attr a = attributes.get(name);
      if (a == null) {
        continue; // as the specification asks: attributes that cannot be read are left out
      }
      if (a.counter() != null) {
        list.add(new Attribute(name, counters.get(a.counter())));
      } else {
        try {
          if (gauges == null) {
            gauges = stack.read(StackGauges::collect); // one trip to the stack thread for all of them
          }
          list.add(new Attribute(name, a.gauge().applyAsLong(gauges)));
        } catch (IllegalStateException e) {
          // the stack is closed or busy: the gauge is left out
        }
      }
    }
    return list;
  }

  private StackGauges gauges() throws MBeanException {
    try {
      return stack.read(StackGauges::collect);
    } catch (IllegalStateException e) {
      throw new MBeanException(e, e.getMessage());
    }
  }

  @Override
  public void setAttribute(Attribute attribute) throws AttributeNotFoundException {
    throw new AttributeNotFoundException(attribute.getName() + " is read-only: every attribute is");
  }

  @Override
  public AttributeList setAttributes(AttributeList attributes) {
    return new AttributeList(); // none is writable
  }

  @Override
  public Object invoke(String actionName, Object[] params, String[] signature)
      throws MBeanException, ReflectionException {
    int args = params == null ? 0 : params.length;
    try {
      if (actionName.equals("connections") && args == 0) {
        return connections(ConnectionTable.DEFAULT_LIMIT);
      }
      if (actionName.equals("connections") && args == 1 && params[0] instanceof Integer limit) {
        return connections(limit);
      }
      if (actionName.equals("connectionsText") && args == 0) {
        return stack.read(s -> ConnectionTable.collect(s, ConnectionTable.DEFAULT_LIMIT)).text();
      }
      if (actionName.equals("watchConnection") && args == 1 && params[0] instanceof String connection) {
        return watchConnection(connection).getCanonicalName();
      }
      if (actionName.equals("unwatchConnection") && args == 1 && params[0] instanceof String connection) {
        return unwatchConnection(connection);
      }
    } catch (IllegalStateException | IllegalArgumentException e) {
      throw new MBeanException(e, e.getMessage());
    } catch (OpenDataException e) {
      throw new MBeanException(e, "cannot build the table: " + e.getMessage());
    }
    throw new ReflectionException(new NoSuchMethodException(actionName),
        "no operation " + actionName + " with " + args + " arguments");
  }

  @Override
  public MBeanInfo getMBeanInfo() {
    return info;
  }

  /**
   * Registers the connection {@code connection} names ({@code "LOCAL_ADDRESS:PORT PEER_ADDRESS:PORT"},
   * or {@code "PEER_ADDRESS:PORT"} alone when only one connection has that peer) as a {@link
   * ConnectionMBean}; registering one already watched returns its name again.
   *
   * @param connection {@code "LOCAL_ADDRESS:PORT PEER_ADDRESS:PORT"} or {@code "PEER_ADDRESS:PORT"},
   *     IPv6 addresses in brackets, as {@link ConnectionTable#text()} shows them; not null
   * @return the name of the connection's MBean, {@code
   *     io.tcpstack:type=Connection,name=NAME,connection="LOCAL PEER"}
   * @throws IllegalArgumentException if {@code connection} is malformed, or no connection, or more
   *     than one, matches
   * @throws IllegalStateException if the stack thread cannot be read ({@link StackAccess#read})
   * @throws MBeanException if the MBeanServer refuses the connection's MBean
   */
  public ObjectName watchConnection(String connection) throws MBeanException {
    String[] parts = connection.strip().split("\\s+");
    if (parts.length < 1 || parts.length > 2 || parts[0].isEmpty()) {
      throw new IllegalArgumentException("give 'LOCAL_ADDRESS:PORT PEER_ADDRESS:PORT', or 'PEER_ADDRESS:PORT'");
    }
    String[] peer = hostPort(parts[parts.length - 1]);
    Integer wantLocal = parts.length == 2 ? Integer.valueOf(hostPort(parts[0])[1]) : null;
    List<TcpTableEntry> matches = stack.read(s -> {
      List<TcpTableEntry> found = new ArrayList<>();
      s.tcp().table(Integer.MAX_VALUE, s.nowNs(), e -> {
        if (e.info() != null && e.remoteAddress().equals(peer[0]) && Integer.toString(e.remotePort()).equals(peer[1])
            && (wantLocal == null || e.localPort() == wantLocal)) {
          found.add(e);
        }
      });
      return found;
    });
    if (matches.size() != 1) {
      throw new IllegalArgumentException(matches.isEmpty() ? "no connection " + connection + " in the TCP table"
          : matches.size() + " connections have the peer " + parts[0] + ": give 'LOCAL_ADDRESS:PORT PEER_ADDRESS:PORT'");
    }
    TcpTableEntry e = matches.get(0);
    String key = ConnectionTable.hostPort(e.localAddress(), Integer.toString(e.localPort())) + " "
        + ConnectionTable.hostPort(e.remoteAddress(), Integer.toString(e.remotePort()));
    ObjectName existing = watched.get(key);
    if (existing != null) {
      return existing;
    }
    try {
      ObjectName name = new ObjectName(DOMAIN + ":type=Connection,name="
          + (registeredName == null ? "unregistered" : registeredName) + ",connection=" + ObjectName.quote(key));
      server.registerMBean(new ConnectionMBean(stack, e.localPort(), e.remoteAddress(), e.remotePort()), name);
      watched.put(key, name);
      return name;
    } catch (JMException ex) {
      throw new MBeanException(ex, "cannot register " + key + ": " + ex);
    }
  }

  /**
   * Unregisters a connection {@link #watchConnection} registered; whether one was.
   *
   * @param connection as given to {@link #watchConnection}, not null; a peer alone unregisters every
   *     watched connection with that peer
   * @return true if a watched connection was unregistered
   */
  public boolean unwatchConnection(String connection) {
    String[] parts = connection.strip().split("\\s+");
    String peer = parts[parts.length - 1];
    boolean any = false;
    for (Map.Entry<String, ObjectName> w : watched.entrySet()) {
      String key = w.getKey();
      if (key.equals(connection.strip()) || (parts.length == 1 && key.endsWith(" " + peer))) {
        watched.remove(key);
        unregister(w.getValue());
        any = true;
      }
    }
    return any;
  }

  private void unwatchAll() {
    for (ObjectName name : watched.values()) {
      unregister(name);
    }
    watched.clear();
  }

  private void unregister(ObjectName name) {
    try {
      server.unregisterMBean(name);
    } catch (JMException e) {
      // already gone
    }
  }

  /** {@code host:port} or {@code [v6]:port} as {host, port}. */
  private static String[] hostPort(String s) {
    int colon = s.lastIndexOf(':');
    if (colon <= 0 || colon == s.length() - 1) {
      throw new IllegalArgumentException("not ADDRESS:PORT: " + s);
    }
    String host = s.substring(0, colon);
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
    }
    return new String[] {host, s.substring(colon + 1)};
  }

  /**
   * The TCP table of at most {@code limit} rows as open data.
   *
   * @param limit the most rows, clamped to 0..{@link ConnectionTable#MAX_LIMIT}
   * @return one row per listener, connection and TIME-WAIT record, indexed by {@code row}
   * @throws OpenDataException if a row does not fit the table's open type (a bug: the types are
   *     fixed)
   * @throws IllegalStateException if the stack thread cannot be read ({@link StackAccess#read})
   */
  public TabularData connections(int limit) throws OpenDataException {
    ConnectionTable table = stack.read(s -> ConnectionTable.collect(s, limit));
    TabularDataSupport data = new TabularDataSupport(TABLE_TYPE);
    int row = 0;
    for (TcpTableEntry e : table.rows()) {
      data.put(row(row++, e));
    }
    return data;
  }

  // ---------------------------------------------------------------- open types

  private static CompositeData row(int row, TcpTableEntry e) throws OpenDataException {
    Map<String, Object> values = new LinkedHashMap<>();
    values.put(ROW, row);
    values.put("state", e.state().name());
    values.put("localAddress", e.localAddress());
    values.put("localPort", e.localPort());
    values.put("remoteAddress", e.remoteAddress());
    values.put("remotePort", e.remotePort());
    values.put("acceptQueue", e.acceptQueue());
    values.put("backlog", e.backlog());
    values.put("halfOpen", e.halfOpen());
    values.put("timerNs", e.timerNs());
    for (RecordComponent c : INFO_FIELDS) {
      if (values.containsKey(c.getName())) {
        continue;
      }
      Object v = null;
      if (e.info() != null) {
        try {
          v = c.getAccessor().invoke(e.info());
        } catch (IllegalAccessException | InvocationTargetException ex) {
          throw new IllegalStateException("cannot read TcpInfo." + c.getName(), ex);
        }
        if (!(v instanceof Number) && !(v instanceof Boolean)) {
          v = String.valueOf(v);
        }
      }
      values.put(c.getName(), v);
    }
    return new CompositeDataSupport(ROW_TYPE, values);
  }

  private static CompositeType rowType() {
    List<String> names = new ArrayList<>(List.of(FIXED_ITEMS));
    List<OpenType<?>> types = new ArrayList<>(List.of(SimpleType.INTEGER, SimpleType.STRING, SimpleType.STRING,
        SimpleType.INTEGER, SimpleType.STRING, SimpleType.INTEGER, SimpleType.INTEGER, SimpleType.INTEGER,
        SimpleType.INTEGER, SimpleType.LONG));
    for (RecordComponent c : INFO_FIELDS) {
      if (names.contains(c.getName())) {
        continue; // the state: an item already
      }
      names.add(c.getName());
      Class<?> t = c.getType();
      types.add(t == long.class ? SimpleType.LONG : t == int.class ? SimpleType.INTEGER
          : t == boolean.class ? SimpleType.BOOLEAN : SimpleType.STRING);
    }
    String[] n = names.toArray(new String[0]);
    try {
      return new CompositeType("io.tcpstack.TcpTableRow", "One listener, connection or TIME-WAIT record; the TcpInfo "
          + "items are null for listeners and TIME-WAIT records.", n, n, types.toArray(new OpenType<?>[0]));
    } catch (OpenDataException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  private static TabularType tableType() {
    try {
      return new TabularType("io.tcpstack.TcpTable", "The stack's TCP table, as ss lists it.", ROW_TYPE,
          new String[] {ROW});
    } catch (OpenDataException e) {
      throw new ExceptionInInitializerError(e);
    }
  }
}
