package io.tcpstack.tcp;

import java.util.Arrays;
import java.util.Objects;

/**
 * The subscribers of a connection, a listener or a channel: a list copied on (rare) change, so that
 * delivering an event walks a plain array and allocates nothing, and a subscriber added or
 * cancelled during a delivery does not disturb it. Cancellation takes effect at once: {@link
 * #contains} tells a delivery to skip a subscriber cancelled meanwhile. Stack thread only.
 *
 * @param <T> the subscriber type
 */
public final class Subscribers<T> {

  private static final Object[] NONE = new Object[0];

  private Object[] items = NONE;

  /** Adds {@code subscriber} (again, if it is there already); returns what cancels this one entry. */
  public Runnable add(T subscriber) {
    Objects.requireNonNull(subscriber, "subscriber");
    Object[] grown = Arrays.copyOf(items, items.length + 1);
    grown[items.length] = subscriber;
    items = grown;
    return () -> remove(subscriber);
  }

  /** Removes one entry of {@code subscriber}, if any. */
  public void remove(T subscriber) {
    for (int i = 0; i < items.length; i++) {
      if (items[i] == subscriber) {
        Object[] shrunk = items.length == 1 ? NONE : new Object[items.length - 1];
        System.arraycopy(items, 0, shrunk, 0, i);
        System.arraycopy(items, i + 1, shrunk, i, items.length - i - 1);
        items = shrunk;
        return;
      }
    }
  }

  /** Whether {@code subscriber} is (still) subscribed. */
  public boolean contains(Object subscriber) {
    for (Object t : items) {
      if (t == subscriber) {
        return true;
      }
    }
    return false;
  }

  public boolean isEmpty() {
    return items.length == 0;
  }

  /**
   * The subscribers now, in subscription order, for one delivery: a later change makes a new array
   * and leaves this one as it is. Do not modify it.
   */
  public Object[] snapshot() {
    return items;
  }
}
