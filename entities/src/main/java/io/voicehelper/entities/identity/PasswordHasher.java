package io.voicehelper.entities.identity;

import java.util.concurrent.CompletionStage;

/** Port to a slow password hash (Argon2id in production); both calls are CPU-heavy and run off the caller's thread. */
public interface PasswordHasher {

  /** A self-describing hash (algorithm, parameters and salt included). */
  CompletionStage<String> hash(String password);

  CompletionStage<Boolean> matches(String password, String hash);
}
