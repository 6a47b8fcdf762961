package io.voicehelper.cluster.logging;

import ch.qos.logback.classic.pattern.MessageConverter;
import ch.qos.logback.classic.spi.ILoggingEvent;
import io.voicehelper.edge.http.logging.PiiMasking;

/**
 * Logback's {@code %msg} with personal data masked (e-mail addresses, phone numbers, ID numbers), so that no log line
 * of a node carries them, whoever wrote it. Used as {@code %maskedMsg} in {@code logback.xml}. Events marked
 * {@link PiiMasking#MASKED} were masked field by field by their writer and are not scanned again.
 */
public final class MaskedMessageConverter extends MessageConverter {

  @Override
  public String convert(ILoggingEvent event) {
    String message = super.convert(event);
    return preMasked(event) ? message : PiiMasking.mask(message);
  }

  private static boolean preMasked(ILoggingEvent event) {
    var markers = event.getMarkerList();
    if (markers == null) return false;
    for (var marker : markers) {
      if (marker.contains(PiiMasking.MASKED)) return true;
    }
    return false;
  }
}
