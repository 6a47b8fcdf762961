package io.voicehelper.edge.http.auth;

import io.voicehelper.entities.identity.Identity.Actor;
import io.voicehelper.entities.identity.Permission;
import io.voicehelper.entities.identity.Role;
import java.util.Set;

/**
 * Who a request acts for, established by {@link Authentication} from its credential alone: the tenant (which scopes
 * every entity id and query), the user or API key, the role and the permissions.
 *
 * @param subject the user id, or the API key id for {@link Kind#API_KEY}
 */
public record Principal(String tenantId, String subject, Role role, Set<Permission> permissions, Kind kind) {

  /** The kind of credential a principal came from. */
  public enum Kind {
    USER,
    API_KEY
  }

  public Principal {
    permissions = Set.copyOf(permissions);
  }

  public boolean has(Permission permission) {
    return permissions.contains(permission);
  }

  /** The principal as the actor of an administrative action, seen from {@code ip}. */
  public Actor actor(String ip) {
    return new Actor(tenantId, subject, role, ip);
  }
}
