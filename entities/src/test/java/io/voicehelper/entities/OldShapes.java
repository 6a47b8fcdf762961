package io.voicehelper.entities;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.Map;
import java.util.Optional;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;
import org.apache.pekko.serialization.SerializerWithStringManifest;
import org.apache.pekko.serialization.jackson.JacksonObjectMapperProvider;

/** Reads a message as an older version of its class wrote it: CBOR with only the fields that version had. */
public final class OldShapes {

  private OldShapes() {}

  /** {@code fields} as the journal holds them, read back as the class of {@code sample} through Pekko's serializer. */
  @SuppressWarnings("unchecked")
  public static <T> T read(ActorSystem<?> system, Map<String, Object> fields, T sample) {
    Serialization serialization = SerializationExtension.get(system);
    ObjectMapper cbor = JacksonObjectMapperProvider.get(system).getOrCreate("jackson-cbor", Optional.empty());
    try {
      SerializerWithStringManifest serializer = (SerializerWithStringManifest) serialization.findSerializerFor(sample);
      byte[] bytes = cbor.writeValueAsBytes(fields);
      Object read = serialization.deserialize(bytes, serializer.identifier(), serializer.manifest(sample)).get();
      assertTrue(sample.getClass().isInstance(read));
      return (T) read;
    } catch (JsonProcessingException e) {
      throw new AssertionError(e);
    }
  }
}
