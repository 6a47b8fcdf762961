package io.voicehelper.edge.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.voicehelper.edge.http.voice.VoiceEdgeSettings;
import io.voicehelper.edge.http.voice.VoiceRoutes;
import io.voicehelper.entities.conversation.ScriptedReplyGenerator;
import java.io.ByteArrayInputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import javax.sound.sampled.AudioFileFormat;
import javax.sound.sampled.AudioFormat;
import javax.sound.sampled.AudioInputStream;
import javax.sound.sampled.AudioSystem;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The voice page's call in a real browser against the real voice WebSocket edge, with the call itself played by
 * {@link ScriptedVoiceCalls}: {@code src/test/browser/voice-call.mjs} runs Debian's Chromium with a fake microphone
 * playing a WAV of voiced sound between silences, signs up, opens the voice page from the chat page and starts a call.
 * It checks the grey partial and the final transcript, the streamed reply with its citation and metrics, the reply's
 * audio played and cut at once by Interrupt, a dropped connection resumed with the call id and its turns redrawn,
 * a typed question answered and read to the end, and Stop. The edge checks that every audio frame was 640 bytes.
 *
 * <p>Skipped without Chromium, Node or playwright-core unless {@code VOICEHELPER_REQUIRE_BROWSER} is {@code true} (see
 * {@link BrowserScript}).
 */
@Timeout(150)
class VoiceCallPageIT {

  private static final AudioFormat WAV_FORMAT = new AudioFormat(16_000f, 16, 1, true, false);

  @Test
  void aCallerTalksInterruptsReconnectsTypesAndHangsUp() throws Exception {
    BrowserScript.require();
    Path wav = Path.of("target", "voice-call-microphone.wav").toAbsolutePath();
    writeWav(wav, 1_000, 1_600, 3_000);
    ScriptedVoiceCalls calls = new ScriptedVoiceCalls();
    try (EdgeTestKit kit = EdgeTestKit.start("VoiceCallPageIT", "", ScriptedReplyGenerator.echo(),
        (system, authentication) -> new VoiceRoutes(system, calls, authentication, VoiceEdgeSettings.fromConfig(
            system.settings().config().getConfig("voicehelper.http.voice")), 20).route())) {
      String output = BrowserScript.run("voice-call.mjs", kit.baseUrl, Duration.ofSeconds(120), wav.toString());
      assertTrue(output.contains("\"reconnects\":1"), output);
      assertTrue(calls.audioFrameSizes.size() > 100, "the microphone was heard: " + calls.audioFrameSizes.size());
      assertEquals(List.of(640), calls.distinctFrameSizes(), "every frame is 20 ms of PCM16 at 16 kHz");
    }
  }

  /**
   * A WAV of silence, then {@code voicedMs} of a speech-like sound (a 140 Hz buzz with its harmonics, its loudness
   * rising and falling four times a second like syllables), then silence.
   */
  private static void writeWav(Path wav, int beforeMs, int voicedMs, int afterMs) throws Exception {
    int rate = 16_000;
    int total = (beforeMs + voicedMs + afterMs) * rate / 1000;
    ByteBuffer pcm = ByteBuffer.allocate(total * 2).order(ByteOrder.LITTLE_ENDIAN);
    int from = beforeMs * rate / 1000;
    int to = from + voicedMs * rate / 1000;
    for (int i = 0; i < total; i++) {
      double value = 0;
      if (i >= from && i < to) {
        double t = (i - from) / (double) rate;
        double syllables = 0.55 + 0.45 * Math.sin(2 * Math.PI * 4 * t);
        for (int harmonic = 1; harmonic <= 12; harmonic++) {
          value += Math.sin(2 * Math.PI * 140 * harmonic * t) / harmonic;
        }
        value *= 5000 * syllables;
      }
      pcm.putShort((short) Math.max(Short.MIN_VALUE, Math.min(Short.MAX_VALUE, Math.round(value))));
    }
    Files.createDirectories(wav.getParent());
    try (AudioInputStream in = new AudioInputStream(new ByteArrayInputStream(pcm.array()), WAV_FORMAT, total)) {
      AudioSystem.write(in, AudioFileFormat.Type.WAVE, wav.toFile());
    }
  }
}
