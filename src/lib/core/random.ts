/**
 * A seeded pseudo-random generator, passed explicitly to every stage that needs randomness.
 * sfc32 (small fast counting, 128-bit state) seeded through cyrb128, so string and numeric seeds
 * both work; `fork(label)` derives an independent stream from the seed and a label without
 * touching the parent's state, so adding a consumer never changes the draws of the others.
 */
export interface Rng {
  /** Uniform in [0, 1). */
  next(): number;
  /** Integer in [min, maxInclusive]. */
  int(min: number, maxInclusive: number): number;
  uniform(min: number, max: number): number;
  normal(mean?: number, sd?: number): number;
  exponential(rate: number): number;
  poisson(lambda: number): number;
  /** Pareto (type I) with scale xm and tail index alpha: heavy-tailed sizes. */
  pareto(xm: number, alpha: number): number;
  bernoulli(p: number): boolean;
  pick<T>(items: readonly T[]): T;
  shuffle<T>(items: readonly T[]): T[];
  fork(label: string): Rng;
  /** The seed this stream was derived from (for logs). */
  readonly seed: string;
}

function cyrb128(text: string): [number, number, number, number] {
  let h1 = 1779033703,
    h2 = 3144134277,
    h3 = 1013904242,
    h4 = 2773480762;
  for (let i = 0; i < text.length; i++) {
    const k = text.charCodeAt(i);
    h1 = h2 ^ Math.imul(h1 ^ k, 597399067);
    h2 = h3 ^ Math.imul(h2 ^ k, 2869860233);
    h3 = h4 ^ Math.imul(h3 ^ k, 951274213);
    h4 = h1 ^ Math.imul(h4 ^ k, 2716044179);
  }
  h1 = Math.imul(h3 ^ (h1 >>> 18), 597399067);
  h2 = Math.imul(h4 ^ (h2 >>> 22), 2869860233);
  h3 = Math.imul(h1 ^ (h3 >>> 17), 951274213);
  h4 = Math.imul(h2 ^ (h4 >>> 19), 2716044179);
  h1 ^= h2 ^ h3 ^ h4;
  h2 ^= h1;
  h3 ^= h1;
  h4 ^= h1;
  return [h1 >>> 0, h2 >>> 0, h3 >>> 0, h4 >>> 0];
}

export function createRng(seed: number | string): Rng {
  const seedText = String(seed);
  let [a, b, c, d] = cyrb128(seedText);
  const nextUint32 = (): number => {
    a >>>= 0;
    b >>>= 0;
    c >>>= 0;
    d >>>= 0;
    let t = (a + b) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    d = (d + 1) | 0;
    t = (t + d) | 0;
    c = (c + t) | 0;
    return t >>> 0;
  };
  // Warm up: the first outputs of sfc32 are weakly mixed.
  for (let i = 0; i < 15; i++) nextUint32();
  let spare: number | undefined;
  const next = () => nextUint32() / 4294967296;
  const rng: Rng = {
    seed: seedText,
    next,
    int(min, maxInclusive) {
      return min + Math.floor(next() * (maxInclusive - min + 1));
    },
    uniform(min, max) {
      return min + (max - min) * next();
    },
    normal(mean = 0, sd = 1) {
      if (spare !== undefined) {
        const z = spare;
        spare = undefined;
        return mean + sd * z;
      }
      let u = 0,
        v = 0,
        s = 0;
      do {
        u = 2 * next() - 1;
        v = 2 * next() - 1;
        s = u * u + v * v;
      } while (s >= 1 || s === 0);
      const f = Math.sqrt((-2 * Math.log(s)) / s);
      spare = v * f;
      return mean + sd * u * f;
    },
    exponential(rate) {
      return -Math.log(1 - next()) / rate;
    },
    poisson(lambda) {
      if (lambda <= 0) return 0;
      if (lambda < 30) {
        // Knuth's multiplication method: exact, fine for small means.
        const limit = Math.exp(-lambda);
        let k = 0,
          p = 1;
        do {
          k++;
          p *= next();
        } while (p > limit);
        return k - 1;
      }
      // Atkinson's rejection method (PA) for large means.
      const c = 0.767 - 3.36 / lambda;
      const beta = Math.PI / Math.sqrt(3 * lambda);
      const alpha = beta * lambda;
      const k = Math.log(c) - lambda - Math.log(beta);
      for (;;) {
        const u = next();
        const x = (alpha - Math.log((1 - u) / u)) / beta;
        const n = Math.floor(x + 0.5);
        if (n < 0) continue;
        const v = next();
        const y = alpha - beta * x;
        const lhs = y + Math.log(v / (1 + Math.exp(y)) ** 2);
        const rhs = k + n * Math.log(lambda) - logFactorial(n);
        if (lhs <= rhs) return n;
      }
    },
    pareto(xm, alpha) {
      return xm / Math.pow(1 - next(), 1 / alpha);
    },
    bernoulli(p) {
      return next() < p;
    },
    pick(items) {
      if (!items.length) throw new Error("pick from an empty list");
      return items[Math.floor(next() * items.length)]!;
    },
    shuffle(items) {
      const out = items.slice();
      for (let i = out.length - 1; i > 0; i--) {
        const j = Math.floor(next() * (i + 1));
        [out[i], out[j]] = [out[j]!, out[i]!];
      }
      return out;
    },
    fork(label) {
      return createRng(`${seedText}/${label}`);
    }
  };
  return rng;
}

function logFactorial(n: number): number {
  if (n < 2) return 0;
  // Stirling series: accurate to ~1e-10 for n ≥ 2, plenty for rejection sampling.
  return (n + 0.5) * Math.log(n) - n + 0.5 * Math.log(2 * Math.PI) + 1 / (12 * n) - 1 / (360 * n ** 3);
}
