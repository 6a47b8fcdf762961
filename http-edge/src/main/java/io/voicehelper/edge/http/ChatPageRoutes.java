package io.voicehelper.edge.http;

import java.util.List;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpHeader;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * The chat page: {@code /} (and {@code /index.html}), the knowledge page {@code /knowledge.html}, the voice page
 * {@code /voice} (and {@code /voice.html}), and their scripts and styles under {@code /assets/}, served from the
 * classpath folder {@code web/}. Plain files, no build step; the pages only talk to the API.
 */
public final class ChatPageRoutes extends AllDirectives {

  /** The page loads nothing but its own files, so a strict policy costs nothing and blocks injected scripts. */
  private static final List<HttpHeader> PAGE_HEADERS = List.of(
      RawHeader.create("Cache-Control", "no-cache"),
      RawHeader.create("X-Content-Type-Options", "nosniff"),
      RawHeader.create("Referrer-Policy", "no-referrer"),
      RawHeader.create("Content-Security-Policy",
          "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
              + "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"));

  public Route route() {
    return respondWithHeaders(PAGE_HEADERS, () -> concat(
        pathSingleSlash(() -> getFromResource("web/index.html", ContentTypes.TEXT_HTML_UTF8)),
        path("index.html", () -> getFromResource("web/index.html", ContentTypes.TEXT_HTML_UTF8)),
        path("knowledge.html", () -> getFromResource("web/knowledge.html", ContentTypes.TEXT_HTML_UTF8)),
        path("voice", () -> getFromResource("web/voice.html", ContentTypes.TEXT_HTML_UTF8)),
        path("voice.html", () -> getFromResource("web/voice.html", ContentTypes.TEXT_HTML_UTF8)),
        pathPrefix("assets", () -> getFromResourceDirectory("web/assets"))));
  }
}
