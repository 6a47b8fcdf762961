package io.voicehelper.streams.knowledge.storage;

import io.voicehelper.entities.knowledge.ObjectStore;
import org.apache.pekko.actor.typed.ActorSystem;

/** Builds the object store that the configuration asks for. */
public final class ObjectStores {

  private ObjectStores() {}

  /** The store of {@code voicehelper.knowledge.object-store} in the system's configuration. */
  public static ObjectStore fromSystem(ActorSystem<?> system) {
    return create(ObjectStoreSettings.fromSystem(system), system);
  }

  /**
   * The store the settings ask for. An S3 store holds an HTTP client: it is closed when the system terminates.
   */
  public static ObjectStore create(ObjectStoreSettings settings, ActorSystem<?> system) {
    return switch (settings.type()) {
      case FILESYSTEM -> new FileSystemObjectStore(settings.filesystemRoot(), system, settings.blockingDispatcher());
      case S3 -> {
        S3ObjectStore store = new S3ObjectStore(settings.s3(), system, settings.blockingDispatcher());
        system.getWhenTerminated().thenRun(store::close);
        yield store;
      }
    };
  }
}
