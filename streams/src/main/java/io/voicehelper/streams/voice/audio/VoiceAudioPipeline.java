package io.voicehelper.streams.voice.audio;

import io.voicehelper.streams.voice.VoiceActivityDetector;
import java.util.function.Supplier;
import org.apache.pekko.NotUsed;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.util.ByteString;

/** The caller-side audio stages of a call put together. */
public final class VoiceAudioPipeline {

  private VoiceAudioPipeline() {}

  /**
   * A caller's audio (PCM16 chunks of any size, as they come off the socket) to segment events: noise suppression
   * when enabled, then voice activity detection and segmentation on the VAD dispatcher. The {@link SegmentEvent.Audio}
   * it emits is the denoised audio, ready for ASR. Each materialization takes a new detector from
   * {@code newDetector} (usually {@link VoiceActivityDetectors#newDetector}).
   */
  public static Flow<ByteString, SegmentEvent, NotUsed> inbound(
      VoiceAudioSettings settings, Supplier<VoiceActivityDetector> newDetector) {
    Flow<ByteString, SegmentEvent, NotUsed> segment =
        SpeechSegmenter.flow(newDetector, settings.segmenter(), settings.stageBuffer());
    return settings.noiseSuppression().enabled()
        ? NoiseSuppressor.flow(settings.noiseSuppression()).via(segment)
        : segment;
  }
}
