package io.voicehelper.streams.knowledge.parsing;

import io.voicehelper.entities.knowledge.DocumentPipeline;
import java.io.InputStream;

/** Turns a file's bytes into structured text. The type is detected from the content; the name is only a hint. */
public interface DocumentParser {

  /**
   * Reads {@code in} to its end (the caller closes it).
   *
   * @throws DocumentPipeline.Failed for an unsupported type, a corrupt or encrypted file, or a file without text,
   *     with a reason a user can act on
   */
  ParsedDocument parse(InputStream in, String fileName);
}
