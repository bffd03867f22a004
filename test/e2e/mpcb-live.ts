/**
 * A site's logger uploading to `lab serve mpcb` as it would in the field: the real server started
 * with `npm run lab -- serve mpcb` in a project, its site key read from a file, and two signed
 * multipart zip uploads (a delayed batch of the last two hours, then the last ten minutes in real
 * time). The server appends them to datasets/effluent/<site>/cetp_mpcb_export.csv, which the next
 * ingest analyses as that site.
 */
import {chmodSync, writeFileSync} from "node:fs";
import {join, resolve} from "node:path";
import JSZip from "jszip";
import {mpcbAuthHeaders} from "../../src/lib/effluent/mpcb-auth.js";
import {MPCB_COLUMNS} from "../../src/lib/effluent/mpcb-columns.js";
import {formatLocalTime} from "../../src/lib/effluent/write-feeds.js";
import {startNode} from "../run-node.js";

export interface LiveUpload {
  /** Readings the server accepted. */
  readings: number;
  first: Date;
  last: Date;
  /** The highest inlet COD uploaded (a ten-minute spike). */
  peak: number;
}

const header = MPCB_COLUMNS.map((c) => `"${c.header}"`).join(",");

async function multipartZip(data: string): Promise<{body: Buffer; type: string}> {
  const zip = new JSZip();
  zip.file("data.csv", data);
  zip.file("metadata.json", JSON.stringify({format: "delimited"}));
  const boundary = "----labliveupload";
  const body = Buffer.concat([
    Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="upload.zip"\r\nContent-Type: application/zip\r\n\r\n`
    ),
    await zip.generateAsync({type: "nodebuffer"}),
    Buffer.from(`\r\n--${boundary}--\r\n`)
  ]);
  return {body, type: `multipart/form-data; boundary=${boundary}`};
}

/** Two hours of one-minute readings ending a minute ago, with a ten-minute spike to 260 mg/L in the middle. */
function readings(now: Date): {ts: Date; cod: number}[] {
  const end = Math.floor(now.getTime() / 60_000) * 60_000 - 60_000;
  return Array.from({length: 120}, (_, m) => ({
    ts: new Date(end - (119 - m) * 60_000),
    cod: m >= 60 && m < 70 ? 260 : 190 + (m % 5)
  }));
}

export async function uploadLiveSite({
  projectDir,
  siteId,
  keysFile
}: {
  projectDir: string;
  siteId: string;
  /** Where to write the site's key (outside datasets/), mode 600. */
  keysFile: string;
}): Promise<LiveUpload> {
  const key = `e2e-${siteId}-key`;
  keysFile = resolve(keysFile);
  writeFileSync(keysFile, `${siteId}:${key}\n`);
  chmodSync(keysFile, 0o600);
  const env: NodeJS.ProcessEnv = {...process.env, FORCE_COLOR: "0"};
  delete env.LAB_DIR;
  delete env.LAB_MPCB_SITE_KEYS;
  const server = startNode(
    ["--import", "tsx", join("cli", "lab.ts"), "serve", "mpcb", "--port", "0", "--site-keys-file", keysFile],
    {cwd: projectDir, env, timeoutMs: 120_000}
  );
  try {
    // A server that exits (a bad key file, a port in use) fails at once with what it printed.
    await Promise.race([
      server.waitFor(" for site(s) ", 60_000),
      server.done.then((run) => {
        throw new Error(`lab serve mpcb exited (${run.status ?? run.signal}):\n${run.stdout}${run.stderr}`);
      })
    ]);
    const url = /listening on (http:\/\/127\.0\.0\.1:\d+\/MPCBServer)/.exec(server.output())?.[1];
    if (!url) throw new Error(`no server URL in: ${server.output()}`);
    const rows = readings(new Date());
    const csv = (part: typeof rows) =>
      [
        header,
        ...part.map((r, i) =>
          [i + 1, formatLocalTime(r.ts, 330), r.cod, "NA", "7.2", "NA", "41", "NA", "7.5", "NA"]
            .map((v) => `"${v}"`)
            .join(",")
        )
      ].join("\r\n");
    for (const [route, part] of [
      ["delayedUpload", rows.slice(0, 110)],
      ["realtimeUpload", rows.slice(110)]
    ] as const) {
      const {body, type} = await multipartZip(csv(part));
      const headers = mpcbAuthHeaders({siteId, key, path: `/MPCBServer/${route}`, body, now: new Date()});
      const response = await fetch(`${url}/${route}`, {
        method: "POST",
        headers: {...headers, "content-type": type},
        body: new Uint8Array(body)
      });
      if (response.status !== 200)
        throw new Error(`${route}: HTTP ${response.status} ${await response.text()}\n${server.output()}`);
    }
    return {readings: rows.length, first: rows[0]!.ts, last: rows.at(-1)!.ts, peak: 260};
  } finally {
    server.kill();
    await server.done;
  }
}
