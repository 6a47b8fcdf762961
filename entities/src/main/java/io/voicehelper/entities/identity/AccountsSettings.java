package io.voicehelper.entities.identity;

import com.typesafe.config.Config;
import java.time.Duration;

/**
 * Settings of {@link Accounts}, read once from {@code voicehelper.auth.accounts} (see this module's
 * {@code reference.conf} for each key's meaning, unit and default).
 *
 * @param minPasswordLength shortest password accepted, in characters
 * @param maxPasswordLength longest password accepted, in characters (bounds the hashing work)
 * @param maxFailedLogins failed logins in a row that lock an account
 * @param lockout how long a locked account refuses every login
 * @param refreshTokenTtl how long a refresh token (and its family) may be used
 * @param invitationTtl how long an invitation can be accepted
 */
public record AccountsSettings(
    int minPasswordLength,
    int maxPasswordLength,
    int maxFailedLogins,
    Duration lockout,
    Duration refreshTokenTtl,
    Duration invitationTtl) {

  public AccountsSettings {
    if (minPasswordLength < 8) {
      throw new IllegalArgumentException("voicehelper.auth.accounts.min-password-length must be at least 8");
    }
    if (maxPasswordLength < minPasswordLength) {
      throw new IllegalArgumentException("voicehelper.auth.accounts.max-password-length must be >= the minimum");
    }
    if (maxFailedLogins < 1) {
      throw new IllegalArgumentException("voicehelper.auth.accounts.max-failed-logins must be positive");
    }
  }

  /** Reads the {@code voicehelper.auth.accounts} section. */
  public static AccountsSettings fromConfig(Config config) {
    return new AccountsSettings(
        config.getInt("min-password-length"),
        config.getInt("max-password-length"),
        config.getInt("max-failed-logins"),
        config.getDuration("lockout"),
        config.getDuration("refresh-token-ttl"),
        config.getDuration("invitation-ttl"));
  }
}
