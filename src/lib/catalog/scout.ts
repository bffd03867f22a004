import {existsSync, readdirSync, statSync} from "node:fs";
import {join, relative, resolve, sep} from "node:path";
import type {Duck} from "../core/duckdb.js";
import {quoteString} from "../core/sql.js";
import {hashFiles} from "./hash-pool.js";

export interface ScoutOptions {
  catalog: Duck;
  projectDir: string;
  sourceRoots: string[];
  stableWaitMs: number;
  hashThreads: number;
  now?: () => Date;
  sleep?: (ms: number) => Promise<void>;
  log?: (line: string) => void;
  onHashed?: (bytes: number) => void;
}

export interface ScoutResult {
  filesSeen: number;
  /** Locations that are new or whose content changed, now pointing at their current version. */
  changed: number;
  newVersions: number;
  /** Files skipped because they were still being written. */
  unstable: string[];
  missing: number;
  unreadable: string[];
}

interface Found {
  rootId: number;
  rel: string;
  abs: string;
  size: number;
  mtimeMs: number;
}

function walk(root: string, visit: (abs: string, size: number, mtimeMs: number) => void): void {
  for (const entry of readdirSync(root, {withFileTypes: true})) {
    // Hidden and temporary names are never data: editors and copy tools write through them.
    if (entry.name.startsWith(".") || /\.(tmp|part|crdownload|swp)$/.test(entry.name) || entry.name.endsWith("~"))
      continue;
    const abs = join(root, entry.name);
    if (entry.isDirectory()) walk(abs, visit);
    else if (entry.isFile()) {
      const stat = statSync(abs, {throwIfNoEntry: false});
      if (stat) visit(abs, stat.size, stat.mtimeMs);
    }
  }
}

const ts = (d: Date) => quoteString(d.toISOString());

/**
 * Walks the source roots and records what is there: new and changed files are checked for
 * stability (same size and mtime across `stableWaitMs`), hashed on a thread pool, and registered
 * as immutable versions (one per distinct content, however many paths hold it). Unchanged files
 * (same size and mtime as recorded) are not re-read.
 */
export async function scout({
  catalog,
  projectDir,
  sourceRoots,
  stableWaitMs,
  hashThreads,
  now = () => new Date(),
  sleep = (ms) => new Promise((r) => setTimeout(r, ms)),
  log = () => {},
  onHashed
}: ScoutOptions): Promise<ScoutResult> {
  const started = now();
  const found: Found[] = [];
  for (const rootPath of sourceRoots) {
    const abs = resolve(projectDir, rootPath);
    const rel = relative(projectDir, abs) || ".";
    let [root] = await catalog.all<{root_id: number}>(`SELECT root_id FROM source_roots WHERE path = ?`, [rel]);
    if (!root)
      [root] = await catalog.all<{root_id: number}>(
        `INSERT INTO source_roots (path, added_at) VALUES (?, ?) RETURNING root_id`,
        [rel, started]
      );
    if (!existsSync(abs)) continue;
    walk(abs, (file, size, mtimeMs) =>
      found.push({rootId: root!.root_id, rel: relative(abs, file).split(sep).join("/"), abs: file, size, mtimeMs})
    );
  }

  const known = new Map<string, {file_id: number; size: bigint; mtime_ms: number; missing: boolean}>();
  for await (const rows of catalog.stream<{
    file_id: number;
    root_id: number;
    rel_path: string;
    size: bigint;
    mtime_ms: number;
    missing: boolean;
  }>(`SELECT file_id, root_id, rel_path, size, mtime_ms, missing FROM file_locations`)) {
    for (const row of rows) known.set(`${row.root_id}\0${row.rel_path}`, row);
  }

  let candidates = found.filter((f) => {
    const k = known.get(`${f.rootId}\0${f.rel}`);
    return !k || k.missing || Number(k.size) !== f.size || k.mtime_ms !== f.mtimeMs;
  });

  // A file still being written changes size or mtime across a short wait: leave it for next time.
  const unstable: string[] = [];
  if (candidates.length && stableWaitMs > 0) {
    await sleep(stableWaitMs);
    candidates = candidates.filter((f) => {
      const stat = statSync(f.abs, {throwIfNoEntry: false});
      if (stat && stat.size === f.size && stat.mtimeMs === f.mtimeMs) return true;
      unstable.push(f.abs);
      log(`skipped ${relative(projectDir, f.abs)}: still being written`);
      return false;
    });
  }

  const hashes = await hashFiles({
    paths: candidates.map((c) => c.abs),
    threads: hashThreads,
    onHashed: (r) => onHashed?.(r.size ?? 0)
  });
  const unreadable: string[] = [];
  const at = now();
  let newVersions = 0;
  const versionOf = new Map<string, number>();
  const distinct = [...new Set(candidates.map((c) => hashes.get(c.abs)?.hash).filter((h): h is string => !!h))];
  for (let i = 0; i < distinct.length; i += 500) {
    const chunk = distinct.slice(i, i + 500);
    for (const row of await catalog.all<{file_version_id: number; content_hash: string}>(
      `SELECT file_version_id, content_hash FROM file_versions WHERE content_hash IN (${chunk.map(quoteString).join(",")})`
    ))
      versionOf.set(row.content_hash, row.file_version_id);
  }
  const fresh = candidates.filter((c) => {
    const h = hashes.get(c.abs)?.hash;
    return h && !versionOf.has(h);
  });
  const seenHash = new Set<string>();
  const inserts = fresh.filter((c) => {
    const h = hashes.get(c.abs)!.hash!;
    if (seenHash.has(h)) return false; // identical content at two new paths: one version
    seenHash.add(h);
    return true;
  });
  for (let i = 0; i < inserts.length; i += 500) {
    const values = inserts
      .slice(i, i + 500)
      .map((c) => `(${quoteString(hashes.get(c.abs)!.hash!)}, ${c.size}, ${ts(new Date(c.mtimeMs))}, ${ts(at)})`);
    for (const row of await catalog.all<{file_version_id: number; content_hash: string}>(
      `INSERT INTO file_versions (content_hash, size, mtime, first_seen) VALUES ${values.join(",")} RETURNING file_version_id, content_hash`
    )) {
      versionOf.set(row.content_hash, row.file_version_id);
      newVersions++;
    }
  }

  let changed = 0;
  const newLocations: string[] = [];
  const history: string[] = [];
  await catalog.run("BEGIN TRANSACTION");
  try {
    for (const c of candidates) {
      const result = hashes.get(c.abs);
      if (!result?.hash) {
        unreadable.push(c.abs);
        log(`could not read ${relative(projectDir, c.abs)}: ${result?.error ?? "unknown error"}`);
        continue;
      }
      const version = versionOf.get(result.hash)!;
      const k = known.get(`${c.rootId}\0${c.rel}`);
      if (k) {
        const [prev] = await catalog.all<{current_version_id: number}>(
          `UPDATE file_locations SET size = ?, mtime_ms = ?, current_version_id = ?, last_seen = ?, missing = false WHERE file_id = ? RETURNING current_version_id`,
          [c.size, c.mtimeMs, version, at, k.file_id]
        );
        if (prev) history.push(`(${k.file_id}, ${version}, ${ts(at)})`);
      } else {
        newLocations.push(
          `(${c.rootId}, ${quoteString(c.rel)}, ${c.size}, ${c.mtimeMs}, ${version}, ${ts(at)}, ${ts(at)})`
        );
      }
      changed++;
    }
    for (let i = 0; i < newLocations.length; i += 500) {
      for (const row of await catalog.all<{file_id: number; current_version_id: number}>(
        `INSERT INTO file_locations (root_id, rel_path, size, mtime_ms, current_version_id, first_seen, last_seen) VALUES ${newLocations.slice(i, i + 500).join(",")} RETURNING file_id, current_version_id`
      )) {
        history.push(`(${row.file_id}, ${row.current_version_id}, ${ts(at)})`);
      }
    }
    for (let i = 0; i < history.length; i += 500)
      await catalog.run(`INSERT INTO location_versions VALUES ${history.slice(i, i + 500).join(",")}`);
    // Locations that vanished are marked missing (their rows leave the current view, lineage stays).
    const present = new Set(found.map((f) => `${f.rootId}\0${f.rel}`));
    const gone = [...known.entries()].filter(([key, k]) => !k.missing && !present.has(key)).map(([, k]) => k.file_id);
    for (let i = 0; i < gone.length; i += 500)
      await catalog.run(
        `UPDATE file_locations SET missing = true WHERE file_id IN (${gone.slice(i, i + 500).join(",")})`
      );
    await catalog.run("COMMIT");
    return {filesSeen: found.length, changed, newVersions, unstable, missing: gone.length, unreadable};
  } catch (error) {
    await catalog.run("ROLLBACK");
    throw error;
  }
}
