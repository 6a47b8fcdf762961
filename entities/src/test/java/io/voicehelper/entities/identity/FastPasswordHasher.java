package io.voicehelper.entities.identity;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/** A {@link PasswordHasher} for tests: salted SHA-256, instant. Never for real passwords. */
public final class FastPasswordHasher implements PasswordHasher {

  @Override
  public CompletionStage<String> hash(String password) {
    String salt = Secrets.random(8);
    return CompletableFuture.completedFuture(salt + "$" + Secrets.sha256(salt + password));
  }

  @Override
  public CompletionStage<Boolean> matches(String password, String hash) {
    int dollar = hash.indexOf('$');
    String salt = hash.substring(0, dollar);
    return CompletableFuture.completedFuture(hash.equals(salt + "$" + Secrets.sha256(salt + password)));
  }
}
