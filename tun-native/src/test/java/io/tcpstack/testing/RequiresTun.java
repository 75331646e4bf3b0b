package io.tcpstack.testing;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Marks a test class or method that needs root and TUN: it runs
 * {@link Privileged#assumeRootAndTun()} first (skip with the reason, or fail on CI).
 */
@Target({ElementType.TYPE, ElementType.METHOD})
@Retention(RetentionPolicy.RUNTIME)
@ExtendWith(RequiresTun.Extension.class)
public @interface RequiresTun {

  /** The JUnit extension behind {@link RequiresTun}. */
  final class Extension implements BeforeAllCallback, BeforeEachCallback {
    @Override
    public void beforeAll(ExtensionContext context) {
      Privileged.assumeRootAndTun();
    }

    @Override
    public void beforeEach(ExtensionContext context) {
      Privileged.assumeRootAndTun();
    }
  }
}
