import {resolve} from "node:path";
import {startMpcbServer} from "../../src/lib/effluent/mpcb-server.js";
import {labPaths} from "../../src/lib/catalog/paths.js";
import {readSecret} from "../../src/lib/core/secret.js";
import {flag, numberFlag, refuseArgvSecret, stringFlag, UsageError, type Verb} from "../verb.js";

/** `ID:KEY` pairs, one a line or comma-separated, as in $LAB_MPCB_SITE_KEYS or a keys file. */
export function parseSiteKeys({text, source}: {text: string; source: string}): Record<string, string> {
  const sites: Record<string, string> = {};
  for (const pair of text.split(/[,\n]/).map((p) => p.trim())) {
    if (!pair || pair.startsWith("#")) continue;
    const colon = pair.indexOf(":");
    const id = pair.slice(0, colon).trim();
    const key = pair.slice(colon + 1).trim();
    // The message never repeats the pair: it may hold a key.
    if (colon <= 0 || !key) throw new UsageError(`${source}: every entry must be ID:KEY`);
    sites[id] = key;
  }
  return sites;
}

export const serveVerb: Verb = {
  name: "serve",
  summary: "local protocol servers: `serve mpcb` (the MPCB Central Server API v2.3 on 127.0.0.1)",
  help: `usage: lab serve mpcb [--port 8088] [--site-keys-file FILE] [--inbox DIR]
                  [--upload-quota-mb 256] [--diagnostics-quota-mb 16]

Starts a stand-in for the MPCB Central Server (Open API v2.3) on 127.0.0.1 with the eight routes
(/realtimeUpload, /delayedUpload, /getConfig, /uploadConfig, /completedConfig,
/getcalibrationconfig, /updatecalibrationconfig, /uploadDiagnosticInfo), under /MPCBServer or /.
Uploads (multipart zip: an MPCB-layout data file + a metadata JSON) are validated and appended,
fsynced, to INBOX/<site>/cetp_mpcb_export.csv: with the default inbox that is the site's dataset
(datasets/effluent/<site>/), which the catalog analyses like any site and \`lab run effluent --follow\`
can follow; implausible readings go to .lab/mpcb/<site>-quarantine.jsonl with the reason.
Requests are signed per site over method, path, timestamp and body (see
src/lib/effluent/mpcb-auth.ts); each signature is accepted once.

Site keys are never taken on the command line: put ID:KEY pairs (one a line) in a file readable
only by you and pass --site-keys-file FILE, or set $LAB_MPCB_SITE_KEYS="ID:KEY,ID:KEY". The
server refuses to start without at least one key.

options:
  --port N                  port on 127.0.0.1 (default 8088)
  --site-keys-file FILE     accepted sites and keys, ID:KEY one a line (else $LAB_MPCB_SITE_KEYS)
  --inbox DIR               where uploads land (default datasets/effluent: one dataset per site)
  --upload-quota-mb N       stored uploads per site, past which uploads get 507 (default 256)
  --diagnostics-quota-mb N  stored diagnostics per site (default 16)

example: LAB_MPCB_SITE_KEYS=CETP-DEMO:$(cat ~/.mpcb-key) npm run lab -- serve mpcb --port 8088`,
  flags: [
    // "site" is declared so refuseArgvSecret can say where the keys go instead.
    ...["site-keys-file", "site", "inbox"].map(flag.string),
    flag.port(),
    flag.positive("upload-quota-mb"),
    flag.positive("diagnostics-quota-mb")
  ],
  async run(args) {
    const [what] = args.positionals;
    if (what !== "mpcb") throw new UsageError("expected: serve mpcb");
    refuseArgvSecret({args, flag: "site", fileFlag: "site-keys-file", env: "LAB_MPCB_SITE_KEYS"});
    const file = stringFlag(args, "site-keys-file");
    const text = readSecret({name: "site keys", env: "LAB_MPCB_SITE_KEYS", file});
    if (!text)
      throw new UsageError(
        "no site keys: pass --site-keys-file FILE (ID:KEY one a line) or set $LAB_MPCB_SITE_KEYS=ID:KEY[,ID:KEY…]"
      );
    const sites = parseSiteKeys({text, source: file ?? "$LAB_MPCB_SITE_KEYS"});
    const mb = 2 ** 20;
    const server = await startMpcbServer({
      port: numberFlag(args, "port", 8088),
      inboxDir: resolve(stringFlag(args, "inbox") ?? "datasets/effluent"),
      stateDir: resolve(labPaths().labDir, "mpcb"),
      sites,
      quota: {
        uploadBytes: numberFlag(args, "upload-quota-mb", 256)! * mb,
        diagnosticsBytes: numberFlag(args, "diagnostics-quota-mb", 16)! * mb
      },
      log: (line) => console.log(line)
    });
    console.log(`MPCB server listening on ${server.url} for site(s) ${Object.keys(sites).join(", ")} (Ctrl-C to stop)`);
    await new Promise<void>((resolveStop) => {
      process.once("SIGINT", resolveStop);
      process.once("SIGTERM", resolveStop);
    });
    await server.close();
  }
};
