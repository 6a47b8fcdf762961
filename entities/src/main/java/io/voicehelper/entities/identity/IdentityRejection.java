package io.voicehelper.entities.identity;

/**
 * Why {@link Accounts} refused a request; the edge maps each reason to one HTTP status. Carries no stack trace: it is
 * an answer, not a bug.
 */
public final class IdentityRejection extends RuntimeException {

  /** The reasons, each with the HTTP status the edge answers it with. */
  public enum Reason {
    /** Wrong email or password, unknown email, disabled or locked account: all the same answer. */
    INVALID_CREDENTIALS(401),
    /** Unknown, expired, spent or revoked refresh token or invitation. */
    INVALID_TOKEN(401),
    EMAIL_TAKEN(409),
    INVALID(400),
    FORBIDDEN(403),
    NOT_FOUND(404);

    public final int status;

    Reason(int status) {
      this.status = status;
    }
  }

  private final Reason reason;

  public IdentityRejection(Reason reason, String detail) {
    super(detail, null, false, false);
    this.reason = reason;
  }

  public Reason reason() {
    return reason;
  }

  public String detail() {
    return getMessage();
  }
}
