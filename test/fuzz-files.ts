/**
 * Seeded malformed files for the readers' fuzz tests: mutations of valid seed files (flipped
 * bytes, cuts, duplicated lines, inserted quotes, line breaks, NULs and BOMs) and generated ones
 * (random bytes, CSV/JSON soup, huge fields, deep nesting, far dates, giant numbers), optionally
 * gzipped (whole, cut or with flipped bytes). The same seed gives the same files.
 */
import {mkdtempSync, rmSync, writeFileSync} from "node:fs";
import {tmpdir} from "node:os";
import {dirname, join} from "node:path";
import {gzipSync} from "node:zlib";
import {isLabError} from "../src/lib/core/errors.js";
import {createRng, type Rng} from "../src/lib/core/random.js";

export interface FuzzFile {
  /** The file's name (also the label readers put in their errors). */
  name: string;
  path: string;
  /** How it was made, for a failing assertion's message. */
  recipe: string;
}

const INSERTS = ['"', '""', "\n", "\r", "\r\n", "\0", "\uFEFF", ",", "{", "}", "[", "]", "\\", "\u00e9", "\ud83d"];
const SOUP = '",\n\r{}[]:0123456789-TZ. e+abcNA\t\\';

const pick = <T>(rng: Rng, list: readonly T[]): T => list[rng.int(0, list.length - 1)]!;

function mutate(rng: Rng, bytes: Buffer): {bytes: Buffer; recipe: string} {
  const kind = rng.int(0, 6);
  const at = () => rng.int(0, bytes.length);
  switch (kind) {
    case 0: {
      const out = Buffer.from(bytes);
      const n = rng.int(1, 8);
      for (let i = 0; i < n && out.length; i++) out[rng.int(0, out.length - 1)] = rng.int(0, 255);
      return {bytes: out, recipe: `flip ${n} bytes`};
    }
    case 1: {
      const cut = at();
      return {bytes: bytes.subarray(0, cut), recipe: `cut at ${cut}`};
    }
    case 2: {
      const lines = bytes.toString("latin1").split("\n");
      const i = rng.int(0, lines.length - 1);
      const times = rng.int(1, 50);
      lines.splice(i, 0, ...Array<string>(times).fill(lines[i]!));
      return {bytes: Buffer.from(lines.join("\n"), "latin1"), recipe: `duplicate line ${i + 1} ×${times}`};
    }
    case 3: {
      const n = rng.int(1, 5);
      let out = bytes;
      const what: string[] = [];
      for (let i = 0; i < n; i++) {
        const s = pick(rng, INSERTS);
        const p = rng.int(0, out.length);
        out = Buffer.concat([out.subarray(0, p), Buffer.from(s), out.subarray(p)]);
        what.push(JSON.stringify(s));
      }
      return {bytes: out, recipe: `insert ${what.join(" ")}`};
    }
    case 4: {
      // Swap a stretch of text for a far date or a giant number.
      const s = pick(rng, [
        "0001-01-01",
        "9999-12-31",
        "2204-03-01",
        "-271821-04-20",
        "1e309",
        "9".repeat(400),
        "-0",
        "NaN"
      ]);
      const p = at();
      return {
        bytes: Buffer.concat([bytes.subarray(0, p), Buffer.from(s), bytes.subarray(Math.min(bytes.length, p + 10))]),
        recipe: `splice ${s.slice(0, 12)}`
      };
    }
    case 5: {
      const p = at();
      const size = rng.int(1, 4) * 250_000;
      const fill = pick(rng, ["x", '"', "1", " "]);
      return {
        bytes: Buffer.concat([bytes.subarray(0, p), Buffer.alloc(size, fill), bytes.subarray(p)]),
        recipe: `huge field of ${size} ${JSON.stringify(fill)}`
      };
    }
    default: {
      const a = at(),
        b = at();
      return {
        bytes: Buffer.concat([bytes.subarray(Math.min(a, b)), bytes.subarray(0, Math.min(a, b))]),
        recipe: `rotate at ${Math.min(a, b)}`
      };
    }
  }
}

function generate(rng: Rng): {bytes: Buffer; recipe: string} {
  switch (rng.int(0, 4)) {
    case 0: {
      const n = rng.int(0, 4000);
      return {bytes: Buffer.from(Array.from({length: n}, () => rng.int(0, 255))), recipe: `${n} random bytes`};
    }
    case 1: {
      const n = rng.int(0, 4000);
      return {
        bytes: Buffer.from(Array.from({length: n}, () => pick(rng, [...SOUP])).join("")),
        recipe: `${n} chars of soup`
      };
    }
    case 2: {
      const depth = rng.int(1, 4) * 25_000;
      const open = pick(rng, ["[", '{"a":', '[{"ts":']);
      return {bytes: Buffer.from(open.repeat(depth)), recipe: `nesting ${depth} deep`};
    }
    case 3: {
      const n = rng.int(1, 200);
      const rows = Array.from({length: n}, (_, i) => `${i},${"9".repeat(rng.int(1, 400))}.${i}e${rng.int(-400, 400)}`);
      return {bytes: Buffer.from(`ts,value\n${rows.join("\n")}\n`), recipe: `${n} giant numbers`};
    }
    default: {
      const n = rng.int(1, 30);
      return {
        bytes: Buffer.from('"'.repeat(n) + "\n".repeat(rng.int(0, 3)) + '"a""b'.repeat(n)),
        recipe: "odd quoting"
      };
    }
  }
}

/**
 * `count` files named `fuzz-<i><ext>` in a fresh folder: about two in three mutate a seed (one to
 * three mutations), the rest are generated; with `gzip`, a share is gzipped and some of those cut
 * or flipped after compression.
 */
export function fuzzFiles({
  seed,
  seeds,
  count,
  exts
}: {
  seed: string;
  seeds: string[];
  count: number;
  /** Extensions to cycle through (".csv", ".json.gz", …); a `.gz` one is compressed. */
  exts: string[];
}): FuzzFile[] {
  const rng = createRng(seed);
  const dir = mkdtempSync(join(tmpdir(), "fuzz-"));
  const files: FuzzFile[] = [];
  for (let i = 0; i < count; i++) {
    const ext = exts[i % exts.length]!;
    let made: {bytes: Buffer; recipe: string};
    if (rng.next() < 0.67) {
      made = {bytes: Buffer.from(pick(rng, seeds)), recipe: "seed"};
      const n = rng.int(1, 3);
      for (let k = 0; k < n; k++) {
        const m = mutate(rng, made.bytes);
        made = {bytes: m.bytes, recipe: `${made.recipe}; ${m.recipe}`};
      }
    } else made = generate(rng);
    if (ext.endsWith(".gz")) {
      let gz = gzipSync(made.bytes);
      const r = rng.next();
      if (r < 0.2) ((gz = gz.subarray(0, rng.int(0, gz.length))), (made.recipe += "; gzip cut"));
      else if (r < 0.35) {
        gz = Buffer.from(gz);
        const at = rng.int(0, gz.length - 1);
        gz[at] = gz[at]! ^ (1 << rng.int(0, 7));
        made.recipe += "; gzip flipped";
      } else made.recipe += "; gzip";
      made.bytes = gz;
    }
    const name = `fuzz-${i}${ext}`;
    const path = join(dir, name);
    writeFileSync(path, made.bytes);
    files.push({name, path, recipe: made.recipe});
  }
  return files;
}

/** Why a reader's failure is a bug (undefined when it is a LabError that names the file). */
export function notALabErrorNaming(error: unknown, file: FuzzFile): string | undefined {
  const text = error instanceof Error ? error.message : String(error);
  if (!isLabError(error))
    return `${file.name} (${file.recipe}): ${(error as Error)?.name ?? "thrown"}: ${text.slice(0, 300)}`;
  if (!text.includes(file.name))
    return `${file.name} (${file.recipe}): the error does not name the file: ${text.slice(0, 300)}`;
  return undefined;
}

export interface FuzzOutcome {
  /** Failures that were not a LabError naming the file: each one a reader bug. */
  bugs: string[];
  /** The slowest file's reading. */
  slowest: {name: string; ms: number};
  heapGrowthMb: number;
  /** Files refused with a LabError. */
  refused: number;
}

/**
 * Reads every file; each may give rows or fail with a LabError naming it, and nothing else. Each
 * reading is timed, and the heap measured before and after; the files' folder is removed at the end.
 */
export async function fuzzEach(
  files: FuzzFile[],
  read: (file: FuzzFile) => Promise<void> | void
): Promise<FuzzOutcome> {
  const heapBefore = process.memoryUsage().heapUsed;
  const outcome: FuzzOutcome = {bugs: [], slowest: {name: "", ms: 0}, heapGrowthMb: 0, refused: 0};
  for (const file of files) {
    const started = performance.now();
    try {
      await read(file);
    } catch (error) {
      outcome.refused++;
      const bug = notALabErrorNaming(error, file);
      if (bug) outcome.bugs.push(bug);
    }
    const ms = performance.now() - started;
    if (ms > outcome.slowest.ms) outcome.slowest = {name: `${file.name} (${file.recipe})`, ms};
  }
  outcome.heapGrowthMb = (process.memoryUsage().heapUsed - heapBefore) / 2 ** 20;
  // A run writes some 100 MB of files (the huge fields): never leave them behind.
  for (const dir of new Set(files.map((f) => dirname(f.path)))) rmSync(dir, {recursive: true, force: true});
  return outcome;
}
