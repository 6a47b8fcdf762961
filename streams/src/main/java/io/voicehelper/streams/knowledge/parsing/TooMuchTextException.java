package io.voicehelper.streams.knowledge.parsing;

import org.xml.sax.SAXException;

/** Thrown from inside a parse when a document has more text than the parser accepts, to stop reading at once. */
final class TooMuchTextException extends SAXException {

  private static final long serialVersionUID = 1L;

  TooMuchTextException(long limit) {
    super("more than " + limit + " characters of text");
  }
}
