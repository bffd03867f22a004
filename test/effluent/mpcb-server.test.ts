import {existsSync, mkdtempSync, readFileSync} from "node:fs";
import {tmpdir} from "node:os";
import {join} from "node:path";
import JSZip from "jszip";
import {afterAll, beforeAll, describe, expect, test} from "vitest";
import {mpcbAuthHeaders} from "../../src/lib/effluent/mpcb-auth.js";
import {MPCB_COLUMNS} from "../../src/lib/effluent/mpcb-columns.js";
import {startMpcbServer} from "../../src/lib/effluent/mpcb-server.js";
import {readMpcbExport} from "../../src/lib/effluent/read-feeds.js";

const NOW = new Date("2024-03-01T04:35:00Z"); // 10:05 IST
const SITE = "CETP-TEST";
const KEY = "site-secret";
let server: Awaited<ReturnType<typeof startMpcbServer>>;
let inbox: string;
let state: string;

const header = MPCB_COLUMNS.map((c) => `"${c.header}"`).join(",");
const row = (n: number, time: string, cod: string) =>
  [n, time, cod, "NA", "7.2", "NA", "41", "NA", "7.5", "NA"].map((v) => `"${v}"`).join(",");

async function zipUpload({
  data,
  meta = {format: "delimited"}
}: {
  data: string;
  meta?: unknown;
}): Promise<{body: Buffer; type: string}> {
  const zip = new JSZip();
  zip.file("data.csv", data);
  zip.file("metadata.json", JSON.stringify(meta));
  const bytes = await zip.generateAsync({type: "nodebuffer"});
  const boundary = "----lab" + "x".repeat(12);
  const body = Buffer.concat([
    Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="upload.zip"\r\nContent-Type: application/zip\r\n\r\n`
    ),
    bytes,
    Buffer.from(`\r\n--${boundary}--\r\n`)
  ]);
  return {body, type: `multipart/form-data; boundary=${boundary}`};
}

let tick = 0;
/** Signs a request as a site would; each call a millisecond later, as signatures are single-use. */
function sign({
  route,
  body,
  siteId = SITE,
  key = KEY,
  now = new Date(NOW.getTime() + ++tick)
}: {
  route: string;
  body: Buffer | string;
  siteId?: string;
  key?: string;
  now?: Date;
}): Record<string, string> {
  return mpcbAuthHeaders({siteId, key, path: `/MPCBServer/${route}`, body, now});
}

async function post(
  route: string,
  {
    body,
    type = "application/json",
    headers = sign({route, body})
  }: {body: Buffer | string; type?: string; headers?: Record<string, string>}
) {
  const response = await fetch(`${server.url}/${route}`, {
    method: "POST",
    headers: {...headers, "content-type": type},
    body: typeof body === "string" ? body : new Uint8Array(body)
  });
  return {status: response.status, json: (await response.json()) as Record<string, unknown>};
}

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), "mpcb-"));
  inbox = join(dir, "inbox");
  state = join(dir, "state");
  server = await startMpcbServer({inboxDir: inbox, stateDir: state, sites: {[SITE]: KEY}, now: () => NOW});
});
afterAll(() => server.close());

describe("MPCB server", () => {
  test("a realtime upload is validated and appended durably as an MPCB export the readers accept", async () => {
    const upload = await zipUpload({
      data: [header, row(1, "2024-03-01 10:03", "195.2"), row(2, "2024-03-01 10:04", "201.7")].join("\r\n")
    });
    const {status, json} = await post("realtimeUpload", upload);
    expect(status).toBe(200);
    expect(json).toMatchObject({
      status: "Success",
      ConfigurationDownloadFlag: "True",
      ConfigurationUpdateFlag: "True",
      RemoteCalibrationUpdateFlag: "True"
    });
    const more = await zipUpload({data: [header, row(1, "2024-03-01 09:10", "190.0")].join("\n")});
    expect((await post("delayedUpload", more)).status).toBe(200);
    const report = await readMpcbExport({path: join(inbox, SITE, "cetp_mpcb_export.csv")});
    expect(report.rows.map((r) => [r.ts.toISOString(), r.inlet_cod])).toEqual([
      ["2024-03-01T03:40:00.000Z", 190],
      ["2024-03-01T04:33:00.000Z", 195.2],
      ["2024-03-01T04:34:00.000Z", 201.7]
    ]);
    expect(readFileSync(join(inbox, SITE, "cetp_mpcb_export.csv"), "utf-8").split("\r\n")[3]).toMatch(/^"3",/);
  });

  test("bad requests get a clear 4xx", async () => {
    const good = await zipUpload({data: [header, row(1, "2024-03-01 10:03", "195.2")].join("\n")});
    expect(await post("realtimeUpload", {...good, headers: {}})).toEqual({
      status: 401,
      json: {status: "Failed", statusMessage: "missing Authorization or Timestamp header"}
    });
    expect(
      (await post("realtimeUpload", {...good, headers: sign({route: "realtimeUpload", body: good.body, key: "wrong"})}))
        .json.statusMessage
    ).toBe("digest does not match the site key, method, path, timestamp and body");
    expect(
      (
        await post("realtimeUpload", {
          ...good,
          headers: sign({route: "realtimeUpload", body: good.body, now: new Date(NOW.getTime() - 3600e3)})
        })
      ).status
    ).toBe(401);
    expect(
      (
        await post("realtimeUpload", {
          ...good,
          headers: sign({route: "realtimeUpload", body: good.body, siteId: "OTHER"})
        })
      ).status
    ).toBe(403);
    const bad = await zipUpload({data: [header, row(1, "2024-03-01 10:03", "lots")].join("\n")});
    expect(await post("realtimeUpload", bad)).toEqual({
      status: 400,
      json: {
        status: "Failed",
        statusMessage:
          'data.csv:2:CETP_INLET-COD - (mg/l) Raw: not a number: "lots" (hint: use a number, or NA for a missing value)'
      }
    });
    const stale = await zipUpload({data: [header, row(1, "2024-03-01 08:00", "195")].join("\n")});
    expect((await post("realtimeUpload", stale)).json.statusMessage).toMatch(
      /over 15 minutes old: send it with \/delayedUpload/
    );
    expect(
      (await post("realtimeUpload", {body: Buffer.from("--x\r\n"), type: "multipart/form-data; boundary=x"})).status
    ).toBe(400);
    expect((await post("realtimeUpload", {body: "{}", type: "application/json"})).status).toBe(415);
    expect((await post("getConfig", {body: "{not json"})).status).toBe(400);
    expect((await post("getConfig", {body: JSON.stringify({siteId: "OTHER"})})).status).toBe(403);
    expect((await fetch(`${server.url}/nowhere`, {method: "POST"})).status).toBe(404);
    expect((await fetch(`${server.url}/getConfig`)).status).toBe(405);
  });

  test("configuration, calibration and diagnostics routes follow the protocol's handshakes", async () => {
    expect((await post("getConfig", {body: JSON.stringify({siteId: SITE, monitoringid: "M1"})})).json).toMatchObject({
      status: "Success",
      SiteDetails: {siteId: SITE}
    });
    expect(
      (await post("uploadConfig", {body: JSON.stringify({Command: "ConfigFetch", SiteDetails: {siteId: SITE}})})).json
    ).toEqual({status: "Success", configUpdateStatus: "Received Site configuration successfully"});
    expect(
      (await post("completedConfig", {body: JSON.stringify({siteId: SITE, monitoringid: "M1", ConfigUpdated: "True"})}))
        .json
    ).toEqual({status: "Success", calibrationUpdateStatus: "Server and Site Configuration Synchronized"});
    expect(
      (
        await post("getcalibrationconfig", {
          body: JSON.stringify({siteId: SITE, monitoringid: "M1", CalibrationType: "Scheduled"})
        })
      ).json
    ).toMatchObject({status: "Success", calibration: {siteId: SITE}});
    expect(
      (await post("getcalibrationconfig", {body: JSON.stringify({siteId: SITE, CalibrationType: "Sometimes"})})).status
    ).toBe(400);
    expect(
      (
        await post("updatecalibrationconfig", {
          body: JSON.stringify({siteId: SITE, monitoringid: "M1", CalibrationType: "Scheduled"})
        })
      ).json
    ).toEqual({status: "Success", calibrationUpdateStatus: "Server and Site Calibration Synchronized"});
    expect(
      (
        await post("uploadDiagnosticInfo", {
          body: JSON.stringify({
            Command: "DiagnosticFetch",
            SiteDetails: {siteId: SITE},
            diagnosticJson: [{analyserId: "A1", diagnostics: [{key: "lamp", value: "ok", category: "optics"}]}]
          })
        })
      ).json
    ).toEqual({status: "Success", diagnosticUpdateStatus: "Received Site diagnostics successfully"});
    expect(readFileSync(join(state, `${SITE}-diagnostics.jsonl`), "utf-8")).toContain('"lamp"');
    // After the handshakes, the next upload no longer asks for configuration or calibration.
    const upload = await zipUpload({data: [header, row(1, "2024-03-01 10:05", "194")].join("\n")});
    expect((await post("realtimeUpload", upload)).json).toMatchObject({
      ConfigurationDownloadFlag: "False",
      ConfigurationUpdateFlag: "False",
      RemoteCalibrationUpdateFlag: "False"
    });
    expect(existsSync(join(state, `${SITE}.json`))).toBe(true);
  });
});
