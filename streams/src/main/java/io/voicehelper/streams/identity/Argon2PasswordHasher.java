package io.voicehelper.streams.identity;

import com.typesafe.config.Config;
import io.voicehelper.entities.identity.PasswordHasher;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import org.springframework.security.crypto.argon2.Argon2PasswordEncoder;

/**
 * Argon2id password hashes (spring-security-crypto on Bouncy Castle), computed on a dispatcher of their own: each
 * hash takes tens of milliseconds of CPU and {@code memory} of RAM, which must not stall the default dispatcher.
 */
public final class Argon2PasswordHasher implements PasswordHasher {

  /**
   * Parameters of Argon2id, read once from {@code voicehelper.auth.password-hashing}.
   *
   * @param memoryKib memory per hash, in KiB
   * @param iterations passes over the memory
   * @param parallelism lanes
   */
  public record Settings(int memoryKib, int iterations, int parallelism) {
    public Settings {
      if (memoryKib < 8 * parallelism || iterations < 1 || parallelism < 1) {
        throw new IllegalArgumentException("voicehelper.auth.password-hashing: memory must be at least 8 KiB per "
            + "lane, iterations and parallelism at least 1");
      }
    }

    public static Settings fromConfig(Config config) {
      return new Settings((int) (config.getBytes("memory") / 1024), config.getInt("iterations"),
          config.getInt("parallelism"));
    }
  }

  private static final int SALT_BYTES = 16;
  private static final int HASH_BYTES = 32;

  private final Argon2PasswordEncoder encoder;
  private final Executor executor;

  /** @param executor where hashing runs: a dispatcher for blocking or CPU-heavy work, never the default one */
  public Argon2PasswordHasher(Settings settings, Executor executor) {
    this.encoder = new Argon2PasswordEncoder(SALT_BYTES, HASH_BYTES, settings.parallelism(), settings.memoryKib(),
        settings.iterations());
    this.executor = executor;
  }

  @Override
  public CompletionStage<String> hash(String password) {
    return CompletableFuture.supplyAsync(() -> encoder.encode(password), executor);
  }

  @Override
  public CompletionStage<Boolean> matches(String password, String hash) {
    return CompletableFuture.supplyAsync(() -> encoder.matches(password, hash), executor);
  }
}
