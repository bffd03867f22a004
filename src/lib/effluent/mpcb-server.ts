import {closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, writeFileSync, writeSync} from "node:fs";
import {createServer, type IncomingMessage, type Server, type ServerResponse} from "node:http";
import type {AddressInfo} from "node:net";
import {join} from "node:path";
import JSZip from "jszip";
import {CsvParser} from "../core/csv.js";
import {isLabError} from "../core/errors.js";
import {checkMpcbAuth} from "./mpcb-auth.js";
import {MEASURES, MPCB_COLUMNS} from "./mpcb-columns.js";
import {parseMultipart} from "./multipart.js";
import {checkMpcbHeader, parseMpcbRow} from "./read-feeds.js";
import type {CetpReading} from "./types.js";
import {formatLocalTime} from "./write-feeds.js";

export interface MpcbServerOptions {
  host?: string;
  port?: number;
  /** Uploaded readings are appended to `<inboxDir>/<siteId>/cetp_mpcb_export.csv`. */
  inboxDir: string;
  /** Site configuration, calibration and diagnostics live here (outside the inbox). */
  stateDir: string;
  /** Site id → site key. */
  sites: Record<string, string>;
  now?: () => Date;
  utcOffsetMinutes?: number;
  log?: (line: string) => void;
  /** Largest accepted request body. */
  maxBodyBytes?: number;
}

interface SiteState {
  serverConfigLastUpdatedTime: string;
  siteConfig?: unknown;
  configSynchronized: boolean;
  calibrationSynchronized: boolean;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string
  ) {
    super(message);
  }
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

/**
 * A local stand-in for the MPCB Central Server (Open API v2.3) on 127.0.0.1: the eight routes,
 * authenticated per site (see mpcb-auth.ts), uploads validated row by row and appended durably
 * (fsync) to the inbox as an MPCB export, where live mode and the catalog pick them up.
 * Malformed requests get a 4xx with `{status: "Failed", statusMessage}` saying what is wrong.
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
    maxBodyBytes = 20 * 2 ** 20
  } = options;
  const keys = new Map(Object.entries(options.sites));
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

  const body = (req: IncomingMessage) =>
    new Promise<Buffer>((resolve, reject) => {
      const chunks: Buffer[] = [];
      let size = 0;
      req.on("data", (c: Buffer) => {
        size += c.length;
        if (size > maxBodyBytes) (reject(new HttpError(413, `request body over ${maxBodyBytes} bytes`)), req.destroy());
        else chunks.push(c);
      });
      req.on("end", () => resolve(Buffer.concat(chunks)));
      req.on("error", reject);
    });

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
    const claimed = payload[field] ?? (payload.SiteDetails as Record<string, unknown> | undefined)?.siteId;
    if (typeof claimed !== "string" || !claimed) throw new HttpError(400, `missing "${field}"`);
    if (claimed !== siteId)
      throw new HttpError(403, `siteId "${claimed}" does not match the authenticated site "${siteId}"`);
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
    let zip: JSZip;
    try {
      zip = await JSZip.loadAsync(zipPart.data);
    } catch {
      throw new HttpError(400, `${zipPart.filename ?? "upload"} is not a zip file`);
    }
    const files = Object.values(zip.files).filter((f) => !f.dir);
    const metadata = files.find((f) => f.name.toLowerCase().endsWith(".json"));
    const data = files.find((f) => f !== metadata);
    if (!metadata || !data) throw new HttpError(400, "the zip must hold a data file and a metadata file (*.json)");
    let meta: Record<string, unknown>;
    try {
      meta = JSON.parse(await metadata.async("string"));
    } catch {
      throw new HttpError(400, `${metadata.name}: not JSON`);
    }
    if (meta.format !== "delimited")
      throw new HttpError(
        400,
        `${metadata.name}: format "${String(meta.format)}" is not supported; use "delimited" (the MPCB export layout)`
      );
    const parser = new CsvParser(data.name);
    const records = [...parser.push((await data.async("string")).replace(/^\uFEFF/, "")), ...parser.end()];
    if (!records.length) throw new HttpError(400, `${data.name}: empty`);
    const rows: CetpReading[] = [];
    try {
      checkMpcbHeader({fields: records[0]!.fields, file: data.name});
      for (const r of records.slice(1))
        rows.push(parseMpcbRow({fields: r.fields, line: r.line, file: data.name, utcOffsetMinutes}));
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
    const quote = (s: string) => `"${s.replaceAll('"', '""')}"`;
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
      fsyncAppend(path, lines.join("\r\n") + "\r\n", MPCB_COLUMNS.map((c) => quote(c.header)).join(",") + "\r\n");
      serials.set(siteId, serial);
    };
    // Appends are serialised: two uploads never interleave their lines.
    await (appending = appending.then(write, write));
    log(`${route}: ${siteId} +${rows.length} readings → ${path}`);
    const state = readState(siteId);
    return {
      status: "Success",
      serverConfigLastUpdatedTime: state.serverConfigLastUpdatedTime,
      ConfigurationDownloadFlag: state.configSynchronized ? "False" : "True",
      ConfigurationUpdateFlag: state.siteConfig ? "False" : "True",
      RemoteCalibrationUpdateFlag: state.calibrationSynchronized ? "False" : "True",
      DiagnosticUpdateFlag: "False",
      statusMessage: `file uploaded successfully. ${rows.length} readings stored.`
    };
  }

  async function handle(route: Route, req: IncomingMessage, siteId: string) {
    const raw = await body(req);
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
        fsyncAppend(
          join(stateDir, `${siteId}-diagnostics.jsonl`),
          JSON.stringify({received_at: now().toISOString(), ...payload}) + "\n"
        );
        return {status: "Success", diagnosticUpdateStatus: "Received Site diagnostics successfully"};
      }
    }
  }

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const send = (status: number, payload: unknown) =>
      res.writeHead(status, {"content-type": "application/json"}).end(JSON.stringify(payload));
    const path = new URL(req.url ?? "/", "http://127.0.0.1").pathname.replace(/^\/MPCBServer/, "").replace(/^\//, "");
    const route = ROUTES.find((r) => r === path);
    if (!route)
      return send(404, {
        status: "Failed",
        statusMessage: `no route /${path}; routes: ${ROUTES.map((r) => `/${r}`).join(", ")}`
      });
    if (req.method !== "POST") return send(405, {status: "Failed", statusMessage: `/${route} takes POST`});
    const auth = checkMpcbAuth({headers: req.headers, keys, now: now()});
    if (!auth.ok) {
      req.resume();
      return send(auth.status, {status: "Failed", statusMessage: auth.reason});
    }
    handle(route, req, auth.siteId).then(
      (payload) => send(200, payload),
      (error) => {
        const status = error instanceof HttpError ? error.status : isLabError(error) ? 400 : 500;
        if (status === 500) log(`mpcb server: /${route} failed: ${error instanceof Error ? error.stack : error}`);
        send(status, {status: "Failed", statusMessage: error instanceof Error ? error.message : String(error)});
      }
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
