import {
  closeSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  statSync,
  writeFileSync,
  writeSync
} from "node:fs";
import {createServer, type IncomingMessage, type Server, type ServerResponse} from "node:http";
import type {AddressInfo} from "node:net";
import {join} from "node:path";
import {CsvParser} from "../core/csv.js";
import {LabError, isLabError} from "../core/errors.js";
import {HttpError} from "./http-error.js";
import {ReplayGuard, checkMpcbHeaders, checkMpcbSignature} from "./mpcb-auth.js";
import {MEASURES, MPCB_COLUMNS} from "./mpcb-columns.js";
import {parseMultipart} from "./multipart.js";
import {implausibility} from "./plausibility.js";
import {checkMpcbHeader, parseMpcbRow} from "./read-feeds.js";
import type {CetpReading} from "./types.js";
import {readUploadZip} from "./upload-zip.js";
import {formatLocalTime} from "./write-feeds.js";

export interface MpcbServerOptions {
  host?: string;
  port?: number;
  /** Uploaded readings are appended to `<inboxDir>/<siteId>/cetp_mpcb_export.csv`. */
  inboxDir: string;
  /** Site configuration, calibration and diagnostics live here (outside the inbox). */
  stateDir: string;
  /** Site id → site key; at least one (there is no default key). */
  sites: Record<string, string>;
  now?: () => Date;
  utcOffsetMinutes?: number;
  log?: (line: string) => void;
  /** Largest accepted upload body (20 MiB), and body of the JSON routes (1 MiB). */
  maxBodyBytes?: number;
  maxJsonBodyBytes?: number;
  /** Largest total an upload's zip may expand to (64 MiB). */
  maxUncompressedBytes?: number;
  /** Per site: bytes of stored uploads (export and quarantine, 256 MiB) and of diagnostics (16 MiB). */
  quota?: {uploadBytes?: number; diagnosticsBytes?: number};
}

/** Site ids name files and folders: letters, digits, `.`, `_`, `-`, and not `.` or `..`. */
const SITE_ID = /^(?!\.\.?$)[A-Za-z0-9._-]{1,64}$/;

/** A body over the limit is read and discarded up to this many times the limit, then cut off. */
const DISCARD_FACTOR = 8;

interface SiteState {
  serverConfigLastUpdatedTime: string;
  siteConfig?: unknown;
  configSynchronized: boolean;
  calibrationSynchronized: boolean;
}

const ROUTES = [
  "realtimeUpload",
  "delayedUpload",
  "getConfig",
  "uploadConfig",
  "completedConfig",
  "getcalibrationconfig",
  "updatecalibrationconfig",
  "uploadDiagnosticInfo"
] as const;
type Route = (typeof ROUTES)[number];

function fsyncAppend(path: string, text: string, header?: string): void {
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

const fileBytes = (path: string) => (existsSync(path) ? statSync(path).size : 0);

/**
 * Reads a request body up to `maxBytes`. A larger body is read on and discarded (up to
 * DISCARD_FACTOR times the limit) so the client gets its 413 instead of a reset connection.
 */
function readBody({req, maxBytes}: {req: IncomingMessage; maxBytes: number}): Promise<Buffer> {
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const tooLarge = () => new HttpError(413, `request body over ${maxBytes} bytes`);
    req.on("data", (c: Buffer) => {
      size += c.length;
      if (size <= maxBytes) chunks.push(c);
      else if (chunks.length) chunks.length = 0;
      if (size > maxBytes * DISCARD_FACTOR) {
        req.removeAllListeners("data");
        req.pause();
        reject(Object.assign(tooLarge(), {closeConnection: true}));
      }
    });
    req.on("end", () => (size > maxBytes ? reject(tooLarge()) : resolve(Buffer.concat(chunks))));
    req.on("error", reject);
  });
}

/**
 * A local stand-in for the MPCB Central Server (Open API v2.3) on 127.0.0.1: the eight routes,
 * authenticated per site and per request (see mpcb-auth.ts), uploads validated row by row and
 * appended durably (fsync) to the inbox as an MPCB export, where live mode and the catalog pick
 * them up; readings that cannot be real are quarantined with the reason beside the site's state.
 * Every request is answered — a 4xx/5xx with `{status: "Failed", statusMessage}` saying what is
 * wrong — and none can crash the server, fill its memory or its disk past the configured bounds.
 */
export async function startMpcbServer(
  options: MpcbServerOptions
): Promise<{url: string; server: Server; close(): Promise<void>}> {
  const {
    inboxDir,
    stateDir,
    now = () => new Date(),
    utcOffsetMinutes = 330,
    log = () => {},
    maxBodyBytes = 20 * 2 ** 20,
    maxJsonBodyBytes = 2 ** 20,
    maxUncompressedBytes = 64 * 2 ** 20
  } = options;
  const quota = {uploadBytes: 256 * 2 ** 20, diagnosticsBytes: 16 * 2 ** 20, ...options.quota};
  const keys = new Map(Object.entries(options.sites));
  if (!keys.size)
    throw new LabError({
      reason: "the MPCB server needs at least one site key",
      hint: "pass --site-keys-file FILE (ID:KEY one a line) or set $LAB_MPCB_SITE_KEYS=ID:KEY"
    });
  for (const [id, key] of keys) {
    if (!SITE_ID.test(id))
      throw new LabError({reason: `site id "${id}" must be 1–64 letters, digits, ".", "_" or "-"`});
    if (!key) throw new LabError({reason: `site "${id}" has an empty key`});
  }
  const replays = new ReplayGuard();
  mkdirSync(inboxDir, {recursive: true});
  mkdirSync(stateDir, {recursive: true});
  let appending: Promise<unknown> = Promise.resolve();
  const serials = new Map<string, number>();

  const statePath = (siteId: string) => join(stateDir, `${siteId}.json`);
  const readState = (siteId: string): SiteState =>
    existsSync(statePath(siteId))
      ? JSON.parse(readFileSync(statePath(siteId), "utf-8"))
      : {serverConfigLastUpdatedTime: now().toISOString(), configSynchronized: false, calibrationSynchronized: false};
  const writeState = (siteId: string, state: SiteState) =>
    writeFileSync(statePath(siteId), JSON.stringify(state, null, 2));

  const json = (raw: Buffer): Record<string, unknown> => {
    try {
      const value = JSON.parse(raw.toString("utf-8"));
      if (!value || typeof value !== "object" || Array.isArray(value)) throw new Error("not an object");
      return value as Record<string, unknown>;
    } catch (error) {
      throw new HttpError(400, `request body is not a JSON object (${(error as Error).message})`);
    }
  };

  const requireSite = (payload: Record<string, unknown>, siteId: string, field = "siteId") => {
    const details = payload.SiteDetails;
    const claimed =
      payload[field] ?? (details && typeof details === "object" ? (details as {siteId?: unknown}).siteId : undefined);
    if (typeof claimed !== "string" || !claimed) throw new HttpError(400, `missing "${field}"`);
    if (claimed !== siteId)
      throw new HttpError(403, `siteId "${claimed.slice(0, 64)}" does not match the authenticated site "${siteId}"`);
  };

  async function upload(route: Route, req: IncomingMessage, raw: Buffer, siteId: string) {
    const type = String(req.headers["content-type"] ?? "");
    if (!type.startsWith("multipart/form-data"))
      throw new HttpError(415, "uploads are multipart/form-data with a zip file");
    const parts = parseMultipart({body: raw, contentType: type});
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
    const data = {name: upload.dataName};
    const parser = new CsvParser(data.name);
    const records = [...parser.push(upload.text.replace(/^\uFEFF/, "")), ...parser.end()];
    if (!records.length) throw new HttpError(400, `${data.name}: empty`);
    const rows: CetpReading[] = [];
    const quarantined: {line: number; reason: string; reading: CetpReading}[] = [];
    try {
      checkMpcbHeader({fields: records[0]!.fields, file: data.name});
      for (const r of records.slice(1)) {
        const reading = parseMpcbRow({fields: r.fields, line: r.line, file: data.name, utcOffsetMinutes});
        const reason = implausibility({reading, now: now()});
        if (reason) quarantined.push({line: r.line, reason, reading});
        else rows.push(reading);
      }
    } catch (error) {
      throw new HttpError(400, isLabError(error) ? error.message : String(error));
    }
    if (route === "realtimeUpload") {
      const stale = rows.find((r) => now().getTime() - r.ts.getTime() > 15 * 60_000);
      if (stale)
        throw new HttpError(
          400,
          `a reading from ${formatLocalTime(stale.ts, utcOffsetMinutes)} is over 15 minutes old: send it with /delayedUpload`
        );
    }
    const dir = join(inboxDir, siteId);
    mkdirSync(dir, {recursive: true});
    const path = join(dir, "cetp_mpcb_export.csv");
    const quarantinePath = join(stateDir, `${siteId}-quarantine.jsonl`);
    const quote = (s: string) => `"${s.replaceAll('"', '""')}"`;
    const quarantineText = quarantined
      .map((q) =>
        JSON.stringify({
          received_at: now().toISOString(),
          route,
          file: data.name,
          line: q.line,
          reason: q.reason,
          reading: {...q.reading, ts: Number.isFinite(q.reading.ts.getTime()) ? q.reading.ts.toISOString() : null}
        })
      )
      .join("\n");
    const write = () => {
      // "S. No" continues the file's numbering (counted once per site, then kept in memory).
      let serial =
        serials.get(siteId) ??
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
      if (stored + adding > quota.uploadBytes)
        throw new HttpError(
          507,
          `site ${siteId} has ${stored} bytes stored, and this upload would pass its quota of ${quota.uploadBytes}`
        );
      if (quarantined.length) fsyncAppend(quarantinePath, quarantineText + "\n");
      if (!rows.length) return;
      fsyncAppend(path, text, headerLine);
      serials.set(siteId, serial);
    };
    // Appends are serialised: two uploads never interleave their lines.
    await (appending = appending.then(write, write));
    log(
      `${route}: ${siteId} +${rows.length} readings → ${path}${quarantined.length ? `, ${quarantined.length} quarantined` : ""}`
    );
    const state = readState(siteId);
    return {
      status: "Success",
      serverConfigLastUpdatedTime: state.serverConfigLastUpdatedTime,
      ConfigurationDownloadFlag: state.configSynchronized ? "False" : "True",
      ConfigurationUpdateFlag: state.siteConfig ? "False" : "True",
      RemoteCalibrationUpdateFlag: state.calibrationSynchronized ? "False" : "True",
      DiagnosticUpdateFlag: "False",
      statusMessage: `file uploaded successfully. ${rows.length} readings stored.${
        quarantined.length
          ? ` ${quarantined.length} quarantined as implausible (line ${quarantined[0]!.line}: ${quarantined[0]!.reason}${quarantined.length > 1 ? "; …" : ""}).`
          : ""
      }`
    };
  }

  async function handle(route: Route, req: IncomingMessage, raw: Buffer, siteId: string) {
    if (route === "realtimeUpload" || route === "delayedUpload") return upload(route, req, raw, siteId);
    const payload = json(raw);
    const state = readState(siteId);
    switch (route) {
      case "getConfig":
        requireSite(payload, siteId);
        return {
          status: "Success",
          serverConfigLastUpdatedTime: state.serverConfigLastUpdatedTime,
          SiteDetails: {
            siteName: siteId,
            siteLabel: siteId,
            siteId,
            siteConfigLastUpdatedTime: state.serverConfigLastUpdatedTime,
            customparameters: {}
          },
          CollectorDetails: [],
          configJson: {},
          AcquisitionSystemDetails: {AcquisitionVersion: "2.3", AcquisitionSystem: "Pipeline Lab"}
        };
      case "uploadConfig":
        requireSite(payload, siteId);
        if (payload.Command !== "ConfigFetch") throw new HttpError(400, `"Command" must be "ConfigFetch"`);
        writeState(siteId, {...state, siteConfig: payload});
        return {status: "Success", configUpdateStatus: "Received Site configuration successfully"};
      case "completedConfig":
        requireSite(payload, siteId);
        if (payload.ConfigUpdated !== "True") throw new HttpError(400, `"ConfigUpdated" must be "True"`);
        writeState(siteId, {...state, configSynchronized: true});
        return {status: "Success", calibrationUpdateStatus: "Server and Site Configuration Synchronized"};
      case "getcalibrationconfig":
        requireSite(payload, siteId);
        if (!["Scheduled", "Immediate"].includes(String(payload.CalibrationType)))
          throw new HttpError(400, `"CalibrationType" must be "Scheduled" or "Immediate"`);
        return {
          status: "Success",
          calibration: {
            siteId,
            calibratorName: "zero-span",
            frequency: "weekly",
            sequence: [
              {
                function: "zero",
                duration_secs: "300",
                value: "0",
                sequenceName: "zero",
                type: String(payload.CalibrationType)
              }
            ],
            execute_Immediate: payload.CalibrationType === "Immediate" ? "True" : "False"
          }
        };
      case "updatecalibrationconfig":
        requireSite(payload, siteId);
        writeState(siteId, {...state, calibrationSynchronized: true});
        return {status: "Success", calibrationUpdateStatus: "Server and Site Calibration Synchronized"};
      case "uploadDiagnosticInfo": {
        requireSite(payload, siteId);
        if (payload.Command !== "DiagnosticFetch" || !Array.isArray(payload.diagnosticJson))
          throw new HttpError(400, `expected "Command": "DiagnosticFetch" and a "diagnosticJson" array`);
        const diagnostics = join(stateDir, `${siteId}-diagnostics.jsonl`);
        const record = JSON.stringify({received_at: now().toISOString(), ...payload}) + "\n";
        if (fileBytes(diagnostics) + record.length > quota.diagnosticsBytes)
          throw new HttpError(
            507,
            `site ${siteId}'s stored diagnostics would pass their quota of ${quota.diagnosticsBytes} bytes`
          );
        fsyncAppend(diagnostics, record);
        return {status: "Success", diagnosticUpdateStatus: "Received Site diagnostics successfully"};
      }
    }
  }

  async function serve(req: IncomingMessage, res: ServerResponse) {
    const send = (status: number, payload: unknown) =>
      res.writeHead(status, {"content-type": "application/json"}).end(JSON.stringify(payload));
    const fail = (error: unknown) => {
      const status = error instanceof HttpError ? error.status : isLabError(error) ? 400 : 500;
      if (status === 500) log(`mpcb server: ${req.url} failed: ${error instanceof Error ? error.stack : error}`);
      if (res.headersSent) return void res.destroy();
      if ((error as {closeConnection?: boolean}).closeConnection) {
        res.setHeader("connection", "close");
        res.once("finish", () => req.socket.destroy());
      }
      send(status, {
        status: "Failed",
        statusMessage: status === 500 ? "internal error" : error instanceof Error ? error.message : String(error)
      });
    };
    try {
      const target = req.url ?? "/";
      const path = new URL(target, "http://127.0.0.1").pathname.replace(/^\/MPCBServer/, "").replace(/^\//, "");
      const route = ROUTES.find((r) => r === path);
      if (!route) {
        req.resume();
        return send(404, {
          status: "Failed",
          statusMessage: `no route /${path.slice(0, 64)}; routes: ${ROUTES.map((r) => `/${r}`).join(", ")}`
        });
      }
      if (req.method !== "POST") {
        req.resume();
        return send(405, {status: "Failed", statusMessage: `/${route} takes POST`});
      }
      const claim = checkMpcbHeaders({headers: req.headers, keys, now: now()});
      if (!claim.ok) {
        req.resume();
        return send(claim.status, {status: "Failed", statusMessage: claim.reason});
      }
      const upload = route === "realtimeUpload" || route === "delayedUpload";
      const raw = await readBody({req, maxBytes: upload ? maxBodyBytes : maxJsonBodyBytes});
      const signed = checkMpcbSignature({claim, method: req.method, path: target, body: raw});
      if (!signed.ok) return send(signed.status, {status: "Failed", statusMessage: signed.reason});
      if (!replays.accept({siteId: claim.siteId, digest: claim.digest, atMs: claim.atMs, nowMs: now().getTime()}))
        return send(401, {status: "Failed", statusMessage: "this signature was already used: sign each request anew"});
      send(200, await handle(route, req, raw, claim.siteId));
    } catch (error) {
      fail(error);
    }
  }

  const server = createServer((req, res) => void serve(req, res));
  // Requests Node's parser refuses (unknown methods, bad headers) are answered in JSON too.
  server.on("clientError", (error: NodeJS.ErrnoException, socket) => {
    if (!socket.writable || error.code === "ECONNRESET") return void socket.destroy();
    const status = error.code === "HPE_HEADER_OVERFLOW" ? "431 Request Header Fields Too Large" : "400 Bad Request";
    const text = JSON.stringify({
      status: "Failed",
      statusMessage: `malformed HTTP request (${error.code ?? "parse error"})`
    });
    socket.end(
      `HTTP/1.1 ${status}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(text)}\r\nConnection: close\r\n\r\n${text}`
    );
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, options.host ?? "127.0.0.1", resolve));
  const {port} = server.address() as AddressInfo;
  return {
    url: `http://${options.host ?? "127.0.0.1"}:${port}/MPCBServer`,
    server,
    close: () => new Promise((r) => server.close(() => r()))
  };
}
