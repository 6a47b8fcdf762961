package io.voicehelper.entities.identity;

import java.util.EnumSet;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * A user's role in their tenant and the permissions it carries (the RBAC matrix of {@code docs/rbac.md}). An API key
 * acts as {@link #INTEGRATOR} with the permissions written on the key.
 */
public enum Role {
  OWNER(EnumSet.allOf(Permission.class)),
  ADMIN(EnumSet.allOf(Permission.class)),
  OPERATOR(EnumSet.of(Permission.CONVERSATIONS_READ, Permission.CONVERSATIONS_WRITE, Permission.USERS_READ,
      Permission.KNOWLEDGE_READ)),
  MEMBER(EnumSet.of(Permission.CONVERSATIONS_READ, Permission.CONVERSATIONS_WRITE, Permission.KNOWLEDGE_READ)),
  INTEGRATOR(EnumSet.of(Permission.CONVERSATIONS_READ, Permission.CONVERSATIONS_WRITE, Permission.KNOWLEDGE_READ,
      Permission.KNOWLEDGE_WRITE));

  private final Set<Permission> permissions;

  Role(Set<Permission> permissions) {
    this.permissions = Set.copyOf(permissions);
  }

  public Set<Permission> permissions() {
    return permissions;
  }

  /** Lower-case name used on the wire and in the database. */
  public String wireName() {
    return name().toLowerCase(Locale.ROOT);
  }

  public static Optional<Role> fromWireName(String name) {
    if (name == null) return Optional.empty();
    for (Role r : values()) if (r.wireName().equals(name)) return Optional.of(r);
    return Optional.empty();
  }
}
