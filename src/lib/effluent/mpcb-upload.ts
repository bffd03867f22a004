import {closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, statSync, writeSync} from "node:fs";
import {join} from "node:path";
import {CsvParser} from "../core/csv.js";
import {isLabError} from "../core/errors.js";
import {HttpError} from "./http-error.js";
import {MEASURES, MPCB_COLUMNS} from "./mpcb-columns.js";
import {parseMultipart} from "./multipart.js";
import {implausibility} from "./plausibility.js";
import {siteOptionsAtOffset} from "./dataset-options.js";
import {checkMpcbHeader, parseMpcbRow} from "./read-feeds.js";
import type {CetpReading} from "./types.js";
import {readUploadZip} from "./upload-zip.js";
import {formatLocalTime} from "./write-feeds.js";

export type UploadRoute = "realtimeUpload" | "delayedUpload";

export interface Quarantined {
  line: number;
  reason: string;
  reading: CetpReading;
}

/** Appends `text` (after `header` when the file is new) and fsyncs before returning. */
export function fsyncAppend(path: string, text: string, header?: string): void {
  const fresh = !existsSync(path);
  const fd = openSync(path, "a");
  try {
    if (fresh && header) writeSync(fd, header);
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

export const fileBytes = (path: string) => (existsSync(path) ? statSync(path).size : 0);

/**
 * An upload request (multipart/form-data with a zip of an MPCB-layout data file and a metadata
 * JSON) → its readings, and those that cannot be real with the reason. Any malformed part is an
 * HttpError saying what is wrong.
 */
export async function parseUpload({
  route,
  contentType,
  raw,
  now,
  utcOffsetMinutes,
  maxUncompressedBytes
}: {
  route: UploadRoute;
  contentType: string;
  raw: Buffer;
  now: Date;
  utcOffsetMinutes: number;
  maxUncompressedBytes: number;
}): Promise<{rows: CetpReading[]; quarantined: Quarantined[]; file: string}> {
  if (!contentType.startsWith("multipart/form-data"))
    throw new HttpError(415, "uploads are multipart/form-data with a zip file");
  const parts = parseMultipart({body: raw, contentType});
  const zipPart =
    parts.find((p) => p.filename?.toLowerCase().endsWith(".zip")) ??
    parts.find((p) => p.data.subarray(0, 2).toString() === "PK");
  if (!zipPart) throw new HttpError(400, "No files were uploaded.");
  const upload = await readUploadZip({data: zipPart.data, name: zipPart.filename ?? "upload", maxUncompressedBytes});
  const {meta, metaName} = upload;
  if (meta.format !== "delimited")
    throw new HttpError(
      400,
      `${metaName}: format "${String(meta.format).slice(0, 40)}" is not supported; use "delimited" (the MPCB export layout)`
    );
  const file = upload.dataName;
  const parser = new CsvParser(file);
  const records = [...parser.push(upload.text.replace(/^\uFEFF/, "")), ...parser.end()];
  if (!records.length) throw new HttpError(400, `${file}: empty`);
  const rows: CetpReading[] = [];
  const quarantined: Quarantined[] = [];
  const site = siteOptionsAtOffset(utcOffsetMinutes);
  try {
    checkMpcbHeader({fields: records[0]!.fields, file});
    for (const r of records.slice(1)) {
      const reading = parseMpcbRow({fields: r.fields, line: r.line, file, header: records[0]!.fields, site});
      const reason = implausibility({reading, now});
      if (reason) quarantined.push({line: r.line, reason, reading});
      else rows.push(reading);
    }
  } catch (error) {
    throw new HttpError(400, isLabError(error) ? error.message : String(error));
  }
  if (route === "realtimeUpload") {
    const stale = rows.find((r) => now.getTime() - r.ts.getTime() > 15 * 60_000);
    if (stale)
      throw new HttpError(
        400,
        `a reading from ${formatLocalTime(stale.ts, utcOffsetMinutes)} is over 15 minutes old: send it with /delayedUpload`
      );
  }
  return {rows, quarantined, file};
}

const quote = (s: string) => `"${s.replaceAll('"', '""')}"`;

/**
 * Where uploads land: readings appended durably (fsync) to `<inboxDir>/<site>/cetp_mpcb_export.csv`
 * as an MPCB export, quarantined ones to `<stateDir>/<site>-quarantine.jsonl`, both within the
 * site's quota. Appends are serialised: two uploads never interleave their lines.
 */
export class UploadStore {
  private appending: Promise<unknown> = Promise.resolve();
  private readonly serials = new Map<string, number>();

  constructor(
    private readonly options: {inboxDir: string; stateDir: string; utcOffsetMinutes: number; quotaBytes: number}
  ) {}

  /** Appends one upload's readings and quarantined readings; returns the export's path. */
  async append({
    route,
    siteId,
    file,
    rows,
    quarantined,
    now
  }: {
    route: UploadRoute;
    siteId: string;
    file: string;
    rows: CetpReading[];
    quarantined: Quarantined[];
    now: Date;
  }): Promise<string> {
    const {inboxDir, stateDir, utcOffsetMinutes, quotaBytes} = this.options;
    const dir = join(inboxDir, siteId);
    mkdirSync(dir, {recursive: true});
    const path = join(dir, "cetp_mpcb_export.csv");
    const quarantinePath = join(stateDir, `${siteId}-quarantine.jsonl`);
    const quarantineText = quarantined
      .map((q) =>
        JSON.stringify({
          received_at: now.toISOString(),
          route,
          file,
          line: q.line,
          reason: q.reason,
          reading: {...q.reading, ts: Number.isFinite(q.reading.ts.getTime()) ? q.reading.ts.toISOString() : null}
        })
      )
      .join("\n");
    const write = () => {
      // "S. No" continues the file's numbering (counted once per site, then kept in memory).
      let serial =
        this.serials.get(siteId) ??
        (existsSync(path) ? Math.max(0, readFileSync(path, "utf-8").split("\n").filter(Boolean).length - 1) : 0);
      const lines = rows.map((r) =>
        [
          String(++serial),
          formatLocalTime(r.ts, utcOffsetMinutes),
          ...MEASURES.map((m) => (r[m] === null ? "NA" : String(r[m])))
        ]
          .map(quote)
          .join(",")
      );
      const text = rows.length ? lines.join("\r\n") + "\r\n" : "";
      const headerLine = MPCB_COLUMNS.map((c) => quote(c.header)).join(",") + "\r\n";
      const stored = fileBytes(path) + fileBytes(quarantinePath);
      const adding = Buffer.byteLength(text) + (stored ? 0 : headerLine.length) + Buffer.byteLength(quarantineText);
      if (stored + adding > quotaBytes)
        throw new HttpError(
          507,
          `site ${siteId} has ${stored} bytes stored, and this upload would pass its quota of ${quotaBytes}`
        );
      if (quarantined.length) fsyncAppend(quarantinePath, quarantineText + "\n");
      if (!rows.length) return;
      fsyncAppend(path, text, headerLine);
      this.serials.set(siteId, serial);
    };
    await (this.appending = this.appending.then(write, write));
    return path;
  }
}
