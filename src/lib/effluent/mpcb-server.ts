import {mkdirSync} from "node:fs";
import {createServer, type IncomingMessage, type Server, type ServerResponse} from "node:http";
import type {AddressInfo} from "node:net";
import {LabError, isLabError} from "../core/errors.js";
import {HttpError} from "./http-error.js";
import {ReplayGuard, checkMpcbHeaders, checkMpcbSignature} from "./mpcb-auth.js";
import {SiteRoutes} from "./mpcb-site-routes.js";
import {UploadStore, parseUpload, type UploadRoute} from "./mpcb-upload.js";

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
  /** Requests read and handled at once (8); more get a 503 at once, so memory stays bounded. */
  maxConcurrentRequests?: number;
  /** Per site: bytes of stored uploads (export and quarantine, 256 MiB) and of diagnostics (16 MiB). */
  quota?: {uploadBytes?: number; diagnosticsBytes?: number};
}

/** Site ids name files and folders: letters, digits, `.`, `_`, `-`, and not `.` or `..`. */
const SITE_ID = /^(?!\.\.?$)[A-Za-z0-9._-]{1,64}$/;

/** A body over the limit is read and discarded up to this many times the limit, then cut off. */
const DISCARD_FACTOR = 8;

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
    req.on("close", () => reject(new HttpError(400, "the client closed the connection before the body ended")));
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
    maxUncompressedBytes = 64 * 2 ** 20,
    maxConcurrentRequests = 8
  } = options;
  let active = 0;
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

  const sites = new SiteRoutes({stateDir, now, diagnosticsQuotaBytes: quota.diagnosticsBytes});
  const store = new UploadStore({inboxDir, stateDir, utcOffsetMinutes, quotaBytes: quota.uploadBytes});

  async function upload(route: UploadRoute, req: IncomingMessage, raw: Buffer, siteId: string) {
    const {rows, quarantined, file} = await parseUpload({
      route,
      contentType: String(req.headers["content-type"] ?? ""),
      raw,
      now: now(),
      utcOffsetMinutes,
      maxUncompressedBytes
    });
    const path = await store.append({route, siteId, file, rows, quarantined, now: now()});
    log(
      `${route}: ${siteId} +${rows.length} readings → ${path}${quarantined.length ? `, ${quarantined.length} quarantined` : ""}`
    );
    const state = sites.readState(siteId);
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
    return sites.answer({route, raw, siteId});
  }

  async function serve(req: IncomingMessage, res: ServerResponse) {
    const send = (status: number, payload: unknown) =>
      res.writeHead(status, {"content-type": "application/json"}).end(JSON.stringify(payload));
    const fail = (error: unknown) => {
      const status = error instanceof HttpError ? error.status : isLabError(error) ? 400 : 500;
      if (status === 500) log(`mpcb server: ${req.url} failed: ${error instanceof Error ? error.stack : error}`);
      if (res.headersSent) return void res.destroy();
      if ((error as {closeConnection?: boolean} | undefined)?.closeConnection) {
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
      if (active >= maxConcurrentRequests) {
        req.resume();
        res.setHeader("retry-after", "1");
        return send(503, {status: "Failed", statusMessage: `busy: ${active} requests in progress; retry shortly`});
      }
      active++;
      res.once("close", () => active--);
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

  // A slow client may hold a request slot for at most this long.
  const server = createServer({headersTimeout: 10_000, requestTimeout: 60_000}, (req, res) => void serve(req, res));
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
