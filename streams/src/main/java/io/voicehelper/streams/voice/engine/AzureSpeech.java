package io.voicehelper.streams.voice.engine;

import com.microsoft.cognitiveservices.speech.SpeechConfig;
import java.net.URI;
import java.util.concurrent.Executor;

/**
 * The Azure Speech resource a node uses (key with region, endpoint or host) and the executor that frees the SDK's
 * native objects; shared by {@link AzureSpeechRecognizer} and {@link AzureSpeechSynthesizer}.
 */
public final class AzureSpeech {

  /** The engine's name in configuration, logs and the {@code started} message. */
  public static final String NAME = "azure";

  private final VoiceEngineSettings.Azure settings;
  private final Executor blocking;

  public AzureSpeech(VoiceEngineSettings.Azure settings, Executor blocking) {
    if (!settings.configured()) throw new IllegalArgumentException("Azure Speech needs voicehelper.voice.azure.key");
    this.settings = settings;
    this.blocking = blocking;
  }

  VoiceEngineSettings.Azure settings() {
    return settings;
  }

  Executor blocking() {
    return blocking;
  }

  /** A new SDK configuration (the caller closes it): endpoint, else host, else region, with the key. */
  SpeechConfig config() {
    if (!settings.endpoint().isEmpty()) return SpeechConfig.fromEndpoint(URI.create(settings.endpoint()), settings.key());
    if (!settings.host().isEmpty()) return SpeechConfig.fromHost(URI.create(settings.host()), settings.key());
    return SpeechConfig.fromSubscription(settings.key(), settings.region());
  }

  /** What the recognizer and the synthesizer share: the resource and the name. */
  abstract static class Engine {
    protected final AzureSpeech azure;

    Engine(AzureSpeech azure) {
      this.azure = azure;
    }

    public String name() {
      return NAME;
    }
  }
}
