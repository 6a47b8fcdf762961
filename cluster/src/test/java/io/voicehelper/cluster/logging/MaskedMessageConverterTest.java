package io.voicehelper.cluster.logging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.AsyncAppender;
import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.joran.JoranConfigurator;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.LoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import io.voicehelper.edge.http.logging.PiiMasking;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The node's own logback.xml masks personal data in every log line. */
class MaskedMessageConverterTest {

  @Test
  void theNodesLogConfigurationMasksPersonalData() throws Exception {
    LoggerContext context = new LoggerContext();
    context.setMDCAdapter(new ch.qos.logback.classic.util.LogbackMDCAdapter());
    JoranConfigurator configurator = new JoranConfigurator();
    configurator.setContext(context);
    configurator.doConfigure(getClass().getResource("/logback.xml"));
    try {
      Logger root = context.getLogger(Logger.ROOT_LOGGER_NAME);
      ConsoleAppender<ILoggingEvent> console = (ConsoleAppender<ILoggingEvent>)
          ((AsyncAppender) root.getAppender("ASYNC")).getAppender("STDOUT");
      LoggingEvent event = new LoggingEvent(Logger.class.getName(), context.getLogger("test"), Level.INFO,
          "login failed for alice.liu@example.com from 13812345678, id 11010519491231123X", null, null);

      String line = new String(console.getEncoder().encode(event), StandardCharsets.UTF_8);

      assertTrue(line.contains("a***@example.com"), line);
      assertFalse(line.contains("alice.liu"), line);
      assertFalse(line.contains("13812345678"), line);
      assertFalse(line.contains("11010519491231123X"), line);
    } finally {
      context.stop();
    }
  }

  @Test
  void aLineItsWriterMaskedIsNotScannedAgain() {
    MaskedMessageConverter converter = new MaskedMessageConverter();
    LoggerContext context = new LoggerContext();
    String text = "{\"requestId\":\"13812345678\"}"; // as written; a masking writer would not have left it
    LoggingEvent marked = new LoggingEvent(Logger.class.getName(), context.getLogger("test"), Level.INFO, text,
        null, null);
    marked.addMarker(PiiMasking.MASKED);
    LoggingEvent unmarked = new LoggingEvent(Logger.class.getName(), context.getLogger("test"), Level.INFO, text,
        null, null);

    assertEquals(text, converter.convert(marked));
    assertEquals("{\"requestId\":\"*******5678\"}", converter.convert(unmarked));
  }
}
