// The voice page's microphone processor (an AudioWorklet): resamples the audio context's rate (48 kHz, 44.1 kHz, …)
// to 16 kHz through a Kaiser-windowed sinc low-pass (polyphase, so nothing above 8 kHz folds back into speech), converts
// to PCM16 little-endian and posts one 20 ms frame (640 bytes) at a time to the page, which sends it to the socket.
'use strict';

const TARGET_RATE = 16000;
const FRAME_MS = 20;
const ZERO_CROSSINGS = 24; // per side of the sinc: a transition band of about 600 Hz at 48 kHz
const KAISER_BETA = 8.6; // about 90 dB stopband attenuation
const PASSBAND = 0.92; // cutoff as a share of the lower Nyquist frequency: 7.36 kHz for 16 kHz output
const MAX_PHASES = 512; // odd rates get their phase quantised to 1/512 of an input sample

function gcd(a, b) {
  return b === 0 ? a : gcd(b, a % b);
}

/** Zeroth-order modified Bessel function of the first kind (its series), for the Kaiser window. */
function besselI0(x) {
  let sum = 1;
  let term = 1;
  for (let k = 1; k < 50; k++) {
    term *= (x / (2 * k)) ** 2;
    sum += term;
    if (term < sum * 1e-12) break;
  }
  return sum;
}

class Pcm16Downsampler extends AudioWorkletProcessor {
  constructor() {
    super();
    const inRate = sampleRate; // the global of the worklet scope: the context's rate
    // Polyphase L/M: output sample n sits at input position n*M/L; its fractional part picks one of L filters.
    let g = gcd(inRate, TARGET_RATE);
    let phases = TARGET_RATE / g;
    let step = inRate / g;
    if (phases > MAX_PHASES) {
      phases = MAX_PHASES;
      step = Math.round((inRate / TARGET_RATE) * MAX_PHASES);
      g = 0;
    }
    this.phases = phases;
    this.step = step;
    // The cutoff in cycles per input sample, below both Nyquist frequencies (this also serves upsampling).
    const cutoff = (PASSBAND * Math.min(inRate, TARGET_RATE)) / 2 / inRate;
    this.half = Math.ceil(ZERO_CROSSINGS / (2 * cutoff)); // taps on each side, in input samples
    const taps = 2 * this.half;
    const norm = besselI0(KAISER_BETA);
    this.kernels = [];
    for (let p = 0; p < phases; p++) {
      const frac = p / phases;
      const kernel = new Float32Array(taps);
      let sum = 0;
      for (let k = 0; k < taps; k++) {
        const x = k - this.half + 1 - frac; // distance from the output position, in input samples
        const w = x / this.half;
        const window = Math.abs(w) >= 1 ? 0 : besselI0(KAISER_BETA * Math.sqrt(1 - w * w)) / norm;
        const arg = 2 * cutoff * x;
        const sinc = arg === 0 ? 1 : Math.sin(Math.PI * arg) / (Math.PI * arg);
        kernel[k] = 2 * cutoff * sinc * window;
        sum += kernel[k];
      }
      for (let k = 0; k < taps; k++) kernel[k] /= sum; // unity gain at DC
      this.kernels.push(kernel);
    }
    this.input = new Float32Array(4096);
    this.inputLength = this.half - 1; // starts with silence before the first sample
    this.position = this.half - 1; // input index of the next output sample (its integer part)
    this.phase = 0; // its fractional part, in 1/phases
    this.frameSamples = (TARGET_RATE * FRAME_MS) / 1000;
    this.frame = new DataView(new ArrayBuffer(this.frameSamples * 2));
    this.frameLength = 0;
    this.port.postMessage({ type: 'ready', inputRate: inRate, outputRate: TARGET_RATE, taps, exact: g !== 0 });
  }

  process(inputs) {
    const channels = inputs[0];
    if (!channels || channels.length === 0) return true; // no source connected yet
    const n = channels[0].length;
    this.reserve(n);
    const into = this.inputLength;
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (const channel of channels) s += channel[i];
      this.input[into + i] = s / channels.length; // a stereo device is mixed down to mono
    }
    this.inputLength += n;
    this.resample();
    return true;
  }

  reserve(n) {
    if (this.inputLength + n <= this.input.length) return;
    const bigger = new Float32Array((this.inputLength + n) * 2);
    bigger.set(this.input.subarray(0, this.inputLength));
    this.input = bigger;
  }

  resample() {
    const { half, input } = this;
    // Output sample at position+phase needs input[position-half+1 .. position+half].
    while (this.position + half < this.inputLength) {
      const kernel = this.kernels[this.phase];
      const start = this.position - half + 1;
      let acc = 0;
      for (let k = 0; k < kernel.length; k++) acc += kernel[k] * input[start + k];
      this.emit(acc);
      this.phase += this.step;
      this.position += Math.floor(this.phase / this.phases);
      this.phase %= this.phases;
    }
    // Keep what the next outputs still need.
    const keepFrom = this.position - half + 1;
    if (keepFrom > 0) {
      input.copyWithin(0, keepFrom, this.inputLength);
      this.inputLength -= keepFrom;
      this.position -= keepFrom;
    }
  }

  emit(sample) {
    const clamped = Math.max(-1, Math.min(1, sample));
    const value = clamped < 0 ? Math.round(clamped * 0x8000) : Math.round(clamped * 0x7fff);
    this.frame.setInt16(2 * this.frameLength++, value, true); // little-endian whatever the platform
    if (this.frameLength === this.frameSamples) {
      const bytes = this.frame.buffer;
      this.port.postMessage({ type: 'frame', pcm: bytes }, [bytes]);
      this.frame = new DataView(new ArrayBuffer(this.frameSamples * 2));
      this.frameLength = 0;
    }
  }
}

registerProcessor('pcm16-downsampler', Pcm16Downsampler);
