import {createHash} from "node:crypto";
import {createWriteStream, existsSync, readdirSync, statSync} from "node:fs";
import {readFile} from "node:fs/promises";
import {join} from "node:path";
import {Readable, Transform} from "node:stream";
import {pipeline} from "node:stream/promises";
import type {ReadableStream as NodeReadableStream} from "node:stream/web";
import {LabError} from "../../core/errors.js";

// A Crypto Lake-layout source (a local folder or an HTTP(S) base URL): its tables, its file list and downloads.

/** The Crypto Lake tables, in the order a report lists them. */
export const MARKET_TABLES = ["trades", "book", "book_delta_v2"] as const;
export type MarketTable = (typeof MARKET_TABLES)[number];

/** `<table>/exchange=<E>/symbol=<S>/dt=<YYYY-MM-DD>/<name>.parquet`, relative to the source root. */
export const LAYOUT =
  /^(trades|book|book_delta_v2)\/exchange=([^/]+)\/symbol=([^/]+)\/dt=(\d{4}-\d{2}-\d{2})\/([^/]+\.parquet)$/;

export interface SourceFile {
  path: string;
  rows?: number;
  sha256?: string;
}

export interface DayGroup {
  table: MarketTable;
  exchange: string;
  symbol: string;
  day: string;
  files: SourceFile[];
}

export const isHttp = (from: string) => /^https?:\/\//i.test(from);
export const errorMessage = (error: unknown) =>
  (error instanceof Error ? error.message : String(error)).split("\n")[0]!;
export const isDay = (text: string) =>
  /^\d{4}-\d{2}-\d{2}$/.test(text) &&
  !Number.isNaN(Date.parse(`${text}T00:00:00Z`)) &&
  new Date(`${text}T00:00:00Z`).toISOString().startsWith(text);

export function walk(dir: string, prefix = ""): string[] {
  return readdirSync(dir, {withFileTypes: true})
    .filter((e) => !e.name.startsWith("."))
    .flatMap((e) =>
      e.isDirectory() ? walk(join(dir, e.name), `${prefix}${e.name}/`) : e.isFile() ? [`${prefix}${e.name}`] : []
    );
}

/** The files under the three table folders of a local source (hidden files skipped). */
export function localLayoutFiles(root: string): string[] {
  return MARKET_TABLES.flatMap((table) => (existsSync(join(root, table)) ? walk(join(root, table), `${table}/`) : []));
}

/** Parses and checks `manifest.json`; an error names the entry and field. */
export function parseManifest(text: string, where: string): SourceFile[] {
  const hint = `a manifest is {"files": [{"path": "trades/exchange=BINANCE/symbol=BTC-USDT/dt=2024-03-01/1.parquet", "rows": 123, "sha256": "<64 hex digits>"}]}; rows and sha256 are optional`;
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new LabError({file: where, reason: `not valid JSON: ${errorMessage(error)}`, hint});
  }
  const files = (json as {files?: unknown} | null)?.files;
  if (!Array.isArray(files)) throw new LabError({file: where, reason: `expected an object with a "files" array`, hint});
  return files.map((entry, i) => {
    const e = entry as {path?: unknown; rows?: unknown; sha256?: unknown} | null;
    if (!e || typeof e.path !== "string" || !e.path)
      throw new LabError({
        file: where,
        column: `files[${i}].path`,
        reason: "each entry needs a path (a string, relative to the source root)",
        hint
      });
    if (
      e.rows !== undefined &&
      e.rows !== null &&
      !(typeof e.rows === "number" && Number.isInteger(e.rows) && e.rows >= 0)
    )
      throw new LabError({
        file: where,
        column: `files[${i}].rows`,
        reason: `rows must be a non-negative integer, got ${JSON.stringify(e.rows)}`,
        hint
      });
    if (
      e.sha256 !== undefined &&
      e.sha256 !== null &&
      !(typeof e.sha256 === "string" && /^[0-9a-fA-F]{64}$/.test(e.sha256))
    )
      throw new LabError({
        file: where,
        column: `files[${i}].sha256`,
        reason: `sha256 must be 64 hex digits, got ${JSON.stringify(e.sha256)}`,
        hint
      });
    return {
      path: e.path.replace(/^\.?\/+/, ""),
      ...(typeof e.rows === "number" ? {rows: e.rows} : {}),
      ...(typeof e.sha256 === "string" ? {sha256: e.sha256.toLowerCase()} : {})
    };
  });
}

/** The source's file list: its manifest when there is one (required over HTTP), else the folder's layout. */
export async function listSource(from: string, warnings: string[]): Promise<SourceFile[]> {
  if (isHttp(from)) {
    const url = new URL("manifest.json", from).href;
    let response: Response;
    try {
      response = await fetch(url);
    } catch (error) {
      throw new LabError({
        file: url,
        reason: `cannot fetch the manifest: ${errorMessage((error as {cause?: unknown}).cause ?? error)}`,
        hint: "check the base URL and that its server is running"
      });
    }
    if (!response.ok) {
      await response.body?.cancel();
      throw new LabError({
        file: url,
        reason: `an HTTP source needs a manifest.json listing its files, since HTTP has no directory listing (the server answered ${response.status} ${response.statusText})`,
        hint: `publish manifest.json at the base URL: {"files": [{"path": "trades/exchange=…/symbol=…/dt=YYYY-MM-DD/1.parquet", "rows": N, "sha256": "…"}]}, or acquire from a local copy of the folder`
      });
    }
    return parseManifest(await response.text(), url);
  }
  if (!existsSync(from) || !statSync(from).isDirectory())
    throw new LabError({
      file: from,
      reason: "the source is neither a folder nor an http(s) URL",
      hint: "give --from a folder laid out as <table>/exchange=<E>/symbol=<S>/dt=<YYYY-MM-DD>/*.parquet, or the base URL of one"
    });
  const onDisk = localLayoutFiles(from);
  const manifestPath = join(from, "manifest.json");
  if (!existsSync(manifestPath)) return onDisk.map((path) => ({path}));
  const files = parseManifest(await readFile(manifestPath, "utf-8"), manifestPath);
  const listed = new Set(files.map((f) => f.path));
  const unlisted = onDisk.filter((p) => LAYOUT.test(p) && !listed.has(p));
  if (unlisted.length)
    warnings.push(
      `${unlisted.length} file(s) in the folder are not in manifest.json and were not considered (e.g. ${unlisted[0]})`
    );
  return files;
}

/** Downloads `url` to `temp`, hashing as it streams; an HTTP error or a broken transfer is a reason, not a throw. */
export async function download(url: string, temp: string): Promise<{sha256: string} | {reason: string}> {
  let response: Response;
  try {
    response = await fetch(url);
  } catch (error) {
    return {reason: `${url}: cannot fetch (${errorMessage((error as {cause?: unknown}).cause ?? error)})`};
  }
  if (!response.ok || !response.body) {
    await response.body?.cancel();
    return {reason: `${url}: HTTP ${response.status} ${response.statusText}`.trimEnd()};
  }
  const hash = createHash("sha256");
  const hasher = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      hash.update(chunk);
      done(null, chunk);
    }
  });
  try {
    await pipeline(
      Readable.fromWeb(response.body as unknown as NodeReadableStream<Uint8Array>),
      hasher,
      createWriteStream(temp)
    );
  } catch (error) {
    return {reason: `${url}: download failed (${errorMessage(error)})`};
  }
  return {sha256: hash.digest("hex")};
}
