package io.tcpstack.metrics;

import io.tcpstack.NetworkStack;
import io.tcpstack.tcp.TcpInfo;
import io.tcpstack.tcp.TcpTableEntry;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.RecordComponent;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The stack's TCP table at one moment — listeners, connections with their {@link TcpInfo}, TIME-WAIT
 * records — as aligned text in the manner of {@code ss -tani} or as JSON. What {@code GET
 * /connections} of {@code ./tcpstack serve} returns. At most {@code limit} rows are taken, so a
 * table of a hundred thousand connections cannot exhaust memory; {@link #truncated()} says when
 * rows were left out, and both forms say so.
 *
 * @param rows the rows taken: listeners by port, then connections, then TIME-WAIT records
 * @param total how many rows the table had in all
 * @param limit the most rows that were to be taken
 */
public record ConnectionTable(List<TcpTableEntry> rows, int total, int limit) {

  /** The rows taken when no limit is asked for. */
  public static final int DEFAULT_LIMIT = 10_000;
  /**
   * The most rows anyone may ask for: the answer is built whole, about 1 KB of JSON a row held two
   * or three times over while it is made, and the launcher's heap is 128 MiB.
   */
  public static final int MAX_LIMIT = 20_000;

  private static final RecordComponent[] INFO_FIELDS = TcpInfo.class.getRecordComponents();

  /**
   * A table of the given rows; {@link #collect} is how one is usually made.
   *
   * @param rows the rows taken, not null, no null element; copied
   * @param total how many rows the table had in all
   * @param limit the most rows that were to be taken
   */
  public ConnectionTable {
    rows = List.copyOf(rows);
  }

  /**
   * Takes the table of {@code stack}, at most {@code limit} rows (clamped to 0..{@link #MAX_LIMIT}).
   * Stack thread.
   *
   * @param stack the stack whose table to take, not null
   * @param limit the most rows to take ({@link #DEFAULT_LIMIT} is the usual); clamped as said
   * @return the table, immutable, which may then go to any thread
   */
  public static ConnectionTable collect(NetworkStack stack, int limit) {
    int max = Math.max(0, Math.min(limit, MAX_LIMIT));
    List<TcpTableEntry> rows = new ArrayList<>(Math.min(max, 1024));
    int total = stack.tcp().table(max, stack.nowNs(), rows::add);
    return new ConnectionTable(rows, total, max);
  }

  /**
   * Whether rows were left out because of the limit.
   *
   * @return true if the table had more rows than were taken
   */
  public boolean truncated() {
    return rows.size() < total;
  }

  // ---------------------------------------------------------------- text

  /**
   * Aligned text: a header line, then one line per row — state, Recv-Q, Send-Q, local and peer
   * address — and under each connection an indented line of its {@link TcpInfo} in {@code ss -ti}'s
   * {@code key:value} style. Sizes are bytes, times milliseconds. A last line says if rows were cut.
   *
   * @return the text, lines ended by a line feed
   */
  public String text() {
    String[] header = {"State", "Recv-Q", "Send-Q", "Local Address:Port", "Peer Address:Port"};
    List<String[]> cells = new ArrayList<>(rows.size());
    int[] width = new int[header.length];
    for (int i = 0; i < header.length; i++) {
      width[i] = header[i].length();
    }
    for (TcpTableEntry r : rows) {
      String[] line = {
        r.state().name(),
        Long.toString(recvQ(r)),
        Long.toString(sendQ(r)),
        hostPort(r.localAddress(), Integer.toString(r.localPort())),
        r.isListener() ? "*:*" : hostPort(r.remoteAddress(), Integer.toString(r.remotePort()))
      };
      for (int i = 0; i < line.length; i++) {
        width[i] = Math.max(width[i], line[i].length());
      }
      cells.add(line);
    }
    StringBuilder out = new StringBuilder(128 + rows.size() * 320);
    appendRow(out, header, width);
    for (int k = 0; k < rows.size(); k++) {
      appendRow(out, cells.get(k), width);
      TcpTableEntry r = rows.get(k);
      if (r.info() != null) {
        out.append('\t').append(infoLine(r.info())).append('\n');
      } else if (r.timerNs() >= 0) {
        out.append("\ttimer:(timewait,").append(millis(r.timerNs())).append("ms)\n");
      } else if (r.isListener()) {
        out.append("\thalf_open:").append(r.halfOpen()).append('\n');
      }
    }
    out.append(summary()).append('\n');
    return out.toString();
  }

  /** The last line of {@link #text()}: how many rows, and whether and how the list was cut. */
  String summary() {
    if (truncated()) {
      return "# truncated: " + rows.size() + " of " + total + " rows shown (limit " + limit
          + "; ask for more with ?limit=N, at most " + MAX_LIMIT + ")";
    }
    return "# " + total + (total == 1 ? " row" : " rows");
  }

  private static void appendRow(StringBuilder out, String[] cells, int[] width) {
    for (int i = 0; i < cells.length; i++) {
      boolean last = i == cells.length - 1;
      boolean number = i == 1 || i == 2;
      int pad = width[i] - cells[i].length();
      if (number) {
        out.append(" ".repeat(pad)).append(cells[i]);
      } else {
        out.append(cells[i]);
        if (!last) {
          out.append(" ".repeat(pad));
        }
      }
      if (!last) {
        out.append("  ");
      }
    }
    out.append('\n');
  }

  /** ss's Recv-Q: unread bytes of a connection, the accept queue of a listener. */
  private static long recvQ(TcpTableEntry r) {
    return r.isListener() ? r.acceptQueue() : r.info() != null ? r.info().receiveQueueBytes() : 0;
  }

  /** ss's Send-Q: unacknowledged and unsent bytes of a connection, the backlog of a listener. */
  private static long sendQ(TcpTableEntry r) {
    return r.isListener() ? r.backlog() : r.info() != null ? r.info().sendQueueBytes() : 0;
  }

  /** {@code host:port}, an IPv6 host in brackets (RFC 3986 §3.2.2). */
  static String hostPort(String host, String port) {
    return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
  }

  /** One connection's TcpInfo as {@code ss -ti} would put it, sizes in bytes, times in ms. */
  static String infoLine(TcpInfo i) {
    StringBuilder s = new StringBuilder(256);
    s.append(i.congestionControl());
    if (i.timestamps()) {
      s.append(" ts");
    }
    if (i.sack()) {
      s.append(" sack");
    }
    s.append(" wscale:").append(i.sendWindowScale()).append(',').append(i.receiveWindowScale())
        .append(" rto:").append(millis(i.rtoNs()))
        .append(" rtt:").append(millis(i.srttNs())).append('/').append(millis(i.rttvarNs()))
        .append(" mss:").append(i.sendMss())
        .append(" pmtu:").append(i.pathMtu())
        .append(" rcvmss:").append(i.receiveMss())
        .append(" cwnd:").append(i.cwnd())
        .append(" ssthresh:").append(i.ssthresh() == Integer.MAX_VALUE ? "-" : Integer.toString(i.ssthresh()))
        .append(" snd_wnd:").append(i.sendWindow())
        .append(" rcv_wnd:").append(i.receiveWindow())
        .append(" bytes_sent:").append(i.bytesOut())
        .append(" bytes_acked:").append(i.bytesAcked())
        .append(" bytes_received:").append(i.bytesIn())
        .append(" segs_out:").append(i.segmentsOut())
        .append(" segs_in:").append(i.segmentsIn())
        .append(" unacked:").append(i.unackedBytes())
        .append(" retrans:").append(i.retries()).append('/').append(i.retransmittedSegments())
        .append(" rto_expiries:").append(i.timeoutRetransmits())
        .append(" fast_retrans:").append(i.fastRetransmits())
        .append(" lost:").append(i.lostBytes())
        .append(" sacked:").append(i.sackedBytes())
        .append(" dup_acks:").append(i.duplicateAcks())
        .append(" delayed_acks:").append(i.delayedAcks())
        .append(" window_probes:").append(i.windowProbes())
        .append(" keepalive_probes:").append(i.keepAliveProbes());
    if (i.inRecovery()) {
      s.append(" recovery");
    }
    return s.toString();
  }

  private static String millis(long ns) {
    return String.format(Locale.ROOT, "%.3f", ns / 1e6);
  }

  // ---------------------------------------------------------------- JSON

  /**
   * The table as one JSON object: {@code total}, {@code limit}, {@code truncated}, and {@code
   * connections}, an array of objects with {@code state}, {@code localAddress}, {@code localPort},
   * {@code remoteAddress}, {@code remotePort}, and {@code info} — every {@link TcpInfo} component
   * by its name (times in ns, sizes in bytes), or null — plus {@code acceptQueue}, {@code backlog},
   * {@code halfOpen} for a listener and {@code timerNs} for a TIME-WAIT record.
   *
   * @return the JSON text
   */
  public String json() {
    StringBuilder out = new StringBuilder(64 + rows.size() * 900);
    out.append("{\"total\":").append(total).append(",\"limit\":").append(limit)
        .append(",\"truncated\":").append(truncated()).append(",\"connections\":[");
    for (int k = 0; k < rows.size(); k++) {
      TcpTableEntry r = rows.get(k);
      out.append(k == 0 ? "\n" : ",\n").append("{\"state\":");
      Json.string(r.state().name(), out).append(",\"localAddress\":");
      Json.string(r.localAddress(), out).append(",\"localPort\":").append(r.localPort()).append(",\"remoteAddress\":");
      Json.string(r.remoteAddress(), out).append(",\"remotePort\":").append(r.remotePort());
      if (r.isListener()) {
        out.append(",\"acceptQueue\":").append(r.acceptQueue()).append(",\"backlog\":").append(r.backlog())
            .append(",\"halfOpen\":").append(r.halfOpen());
      }
      if (r.timerNs() >= 0) {
        out.append(",\"timerNs\":").append(r.timerNs());
      }
      out.append(",\"info\":");
      if (r.info() == null) {
        out.append("null");
      } else {
        infoJson(r.info(), out);
      }
      out.append('}');
    }
    return out.append("\n]}\n").toString();
  }

  private static void infoJson(TcpInfo info, StringBuilder out) {
    out.append('{');
    for (int f = 0; f < INFO_FIELDS.length; f++) {
      RecordComponent c = INFO_FIELDS[f];
      if (f > 0) {
        out.append(',');
      }
      Json.string(c.getName(), out).append(':');
      Object v;
      try {
        v = c.getAccessor().invoke(info);
      } catch (IllegalAccessException | InvocationTargetException e) {
        throw new IllegalStateException("cannot read TcpInfo." + c.getName(), e);
      }
      if (v instanceof Number || v instanceof Boolean) {
        out.append(v);
      } else {
        Json.string(v == null ? null : v.toString(), out);
      }
    }
    out.append('}');
  }
}
