package io.voicehelper.cluster.logging;

import ch.qos.logback.classic.pattern.MessageConverter;
import ch.qos.logback.classic.spi.ILoggingEvent;
import io.voicehelper.edge.http.logging.PiiMasking;

/**
 * Logback's {@code %msg} with personal data masked (e-mail addresses, phone numbers, ID numbers), so that no log line
 * of a node carries them, whoever wrote it. Used as {@code %maskedMsg} in {@code logback.xml}.
 */
public final class MaskedMessageConverter extends MessageConverter {

  @Override
  public String convert(ILoggingEvent event) {
    return PiiMasking.mask(super.convert(event));
  }
}
