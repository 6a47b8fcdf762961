package io.voicehelper.entities;

/**
 * Marker for every message, event and state that crosses a node boundary or reaches the journal.
 * Bound to Pekko's {@code jackson-cbor} serializer in this module's {@code reference.conf}.
 */
public interface CborSerializable {}
