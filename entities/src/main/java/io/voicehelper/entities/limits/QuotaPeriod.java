package io.voicehelper.entities.limits;

import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.temporal.ChronoUnit;

/** The period a token quota counts over, in UTC calendar terms; usage starts from zero in each new period. */
public enum QuotaPeriod {
  DAY,
  MONTH;

  public static QuotaPeriod parse(String text) {
    return switch (text.strip().toLowerCase()) {
      case "day", "daily" -> DAY;
      case "month", "monthly" -> MONTH;
      default -> throw new IllegalArgumentException("quota period must be day or month, not " + text);
    };
  }

  /** The period {@code at} falls in: {@code 2026-11-24} or {@code 2026-11}. */
  public String key(Instant at) {
    LocalDate date = at.atZone(ZoneOffset.UTC).toLocalDate();
    return switch (this) {
      case DAY -> date.toString();
      case MONTH -> date.toString().substring(0, 7);
    };
  }

  public Instant start(Instant at) {
    ZonedDateTime day = at.atZone(ZoneOffset.UTC).truncatedTo(ChronoUnit.DAYS);
    return switch (this) {
      case DAY -> day.toInstant();
      case MONTH -> day.withDayOfMonth(1).toInstant();
    };
  }

  /** When the period {@code at} falls in ends, and the quota is available again. */
  public Instant end(Instant at) {
    ZonedDateTime start = start(at).atZone(ZoneOffset.UTC);
    return switch (this) {
      case DAY -> start.plusDays(1).toInstant();
      case MONTH -> start.plusMonths(1).toInstant();
    };
  }
}
