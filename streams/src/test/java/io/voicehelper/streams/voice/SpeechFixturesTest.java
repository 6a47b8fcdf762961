package io.voicehelper.streams.voice;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.apache.pekko.util.ByteString;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SpeechFixturesTest {

  @Test
  void speechIsAudible16kHzPcmOfThePhrasesLength() {
    ByteString speech = SpeechFixtures.speak("how do i reset my password");

    assertTrue(Pcm.millis(speech.size()) > 1500 && Pcm.millis(speech.size()) < 3500, Pcm.millis(speech.size()) + " ms");
    assertTrue(Pcm.rmsDbfs(Pcm.samples(speech)) > -30);
  }

  @Test
  void silenceNoiseAndTonesHaveTheirLengthAndLevel() {
    assertEquals(Pcm.bytesFor(300), SpeechFixtures.silence(300).size());
    assertEquals(Double.NEGATIVE_INFINITY, Pcm.rmsDbfs(Pcm.samples(SpeechFixtures.silence(300))));
    assertEquals(-30, Pcm.rmsDbfs(Pcm.samples(SpeechFixtures.noise(1000, -30, 7))), 0.5);
    assertEquals(SpeechFixtures.noise(100, -30, 7), SpeechFixtures.noise(100, -30, 7), "repeatable per seed");
    assertEquals(-6 - 3.01, Pcm.rmsDbfs(Pcm.samples(SpeechFixtures.tone(1000, 440, -6))), 0.1, "a sine's RMS");
  }

  @Test
  void framesCutAudioAsAClientSendsIt() {
    List<ByteString> frames = SpeechFixtures.frames(SpeechFixtures.silence(50), 20);

    assertEquals(List.of(640, 640, 320), frames.stream().map(ByteString::size).toList());
    assertEquals(SpeechFixtures.silence(50), SpeechFixtures.join(frames));
  }

  @Test
  void wavFilesRoundTrip(@TempDir Path dir) {
    ByteString tone = SpeechFixtures.tone(250, 1000, -12);
    Path file = dir.resolve("tone.wav");

    SpeechFixtures.writeWav(file, tone);

    assertEquals(44 + tone.size(), SpeechFixtures.wav(tone).length);
    assertEquals(tone, SpeechFixtures.readWav(file));
  }
}
