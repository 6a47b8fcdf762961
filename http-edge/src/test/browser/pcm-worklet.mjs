// The voice page's microphone worklet (src/main/resources/web/assets/pcm-worklet.js) outside the browser: its source
// runs in a node:vm context that stands in for the AudioWorkletGlobalScope, fed with sines at 48 kHz and 44.1 kHz in
// 128-sample render quanta. Checks the 20 ms frames (640 bytes, PCM16 LE, 50 per second), that speech-band tones keep
// their level and that tones above 8 kHz are removed instead of folding back into the band (naive decimation would
// keep them at full level).
//
//   node pcm-worklet.mjs
//
// Exit code 0 when every check passed, 1 otherwise; prints one JSON line with "ok":true and the measured levels.
// Run by PcmWorkletTest; needs only Node.
import { readFileSync } from 'node:fs';
import vm from 'node:vm';

const SOURCE = new URL('../../main/resources/web/assets/pcm-worklet.js', import.meta.url);
const QUANTUM = 128;
const SECONDS = 1;

/** Runs the worklet at {@code rate} over {@code seconds} of {@code signal(t)}; answers its messages. */
function run(rate, signal) {
  const messages = [];
  let Processor = null;
  const scope = {
    sampleRate: rate,
    AudioWorkletProcessor: class {
      constructor() { this.port = { postMessage: (message) => messages.push(message) }; }
    },
    registerProcessor: (name, type) => { Processor = type; },
  };
  vm.runInNewContext(readFileSync(SOURCE, 'utf8'), scope, { filename: 'pcm-worklet.js' });
  const processor = new Processor();
  const total = rate * SECONDS;
  for (let at = 0; at < total; at += QUANTUM) {
    const block = new Float32Array(QUANTUM);
    for (let i = 0; i < QUANTUM; i++) block[i] = signal((at + i) / rate);
    processor.process([[block]], [[new Float32Array(QUANTUM)]]);
  }
  return messages;
}

/** The RMS of the decoded samples after the filter's start-up, as a share of full scale. */
function rms(frames) {
  const samples = [];
  for (const f of frames) {
    const view = new DataView(f.pcm);
    for (let i = 0; i < f.pcm.byteLength; i += 2) samples.push(view.getInt16(i, true) / 32768);
  }
  const steady = samples.slice(1600); // skip the first 100 ms
  return Math.sqrt(steady.reduce((sum, s) => sum + s * s, 0) / steady.length);
}

const sine = (hz, amplitude) => (t) => amplitude * Math.sin(2 * Math.PI * hz * t);
const dB = (ratio) => 20 * Math.log10(ratio);

const failures = [];
const check = (condition, message) => { if (!condition) failures.push(message); };
const levels = {};
for (const rate of [48000, 44100]) {
  const probe = run(rate, sine(1000, 0.5));
  const ready = probe.find((m) => m.type === 'ready');
  check(ready && ready.inputRate === rate && ready.outputRate === 16000, `${rate}: ready message ${JSON.stringify(ready)}`);
  const frames = probe.filter((m) => m.type === 'frame');
  check(frames.every((f) => f.pcm.byteLength === 640), `${rate}: every frame is 640 bytes`);
  // One second in: 50 frames, less the filter's delay (half its length, under 2 ms) and the last partial frame.
  check(frames.length === 49 || frames.length === 50, `${rate}: ${frames.length} frames for one second`);
  for (const [hz, amplitude] of [[300, 0.5], [1000, 0.5], [3400, 0.5], [6000, 0.5]]) {
    const level = rms(run(rate, sine(hz, amplitude)).filter((m) => m.type === 'frame'));
    const gain = dB(level / (amplitude / Math.SQRT2));
    levels[`${rate}/${hz}Hz`] = Number(gain.toFixed(2));
    check(Math.abs(gain) < 0.5, `${rate}: ${hz} Hz passes within 0.5 dB, not ${gain.toFixed(2)} dB`);
  }
  for (const hz of [9000, 12000, 15000, 20000]) {
    const level = rms(run(rate, sine(hz, 0.5)).filter((m) => m.type === 'frame'));
    const gain = dB(Math.max(level, 1e-9) / (0.5 / Math.SQRT2));
    levels[`${rate}/${hz}Hz`] = Number(gain.toFixed(1));
    check(gain < -60, `${rate}: ${hz} Hz (it would alias into the speech band) is down 60 dB, not ${gain.toFixed(1)} dB`);
  }
  // Full scale and beyond clips instead of wrapping around.
  const loud = run(rate, sine(1000, 1.5)).filter((m) => m.type === 'frame');
  check(rms(loud) > 0.7 && rms(loud) <= 1, `${rate}: an overdriven tone clips (${rms(loud).toFixed(3)})`);
}

if (failures.length) {
  console.error(`FAILED: ${failures.join('; ')}`);
  console.error(JSON.stringify(levels));
  process.exitCode = 1;
} else {
  console.log(JSON.stringify({ ok: true, levels }));
}
