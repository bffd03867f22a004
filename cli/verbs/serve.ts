import {resolve} from "node:path";
import {startMpcbServer} from "../../src/lib/effluent/mpcb-server.js";
import {labPaths} from "../../src/lib/catalog/paths.js";
import {UsageError, numberFlag, stringFlag, type Verb} from "../verb.js";

export const serveVerb: Verb = {
  name: "serve",
  summary: "local protocol servers: `serve mpcb` (the MPCB Central Server API v2.3 on 127.0.0.1)",
  help: `usage: lab serve mpcb [--port 8088] [--site ID:KEY[,ID:KEY…]] [--inbox DIR]

Starts a stand-in for the MPCB Central Server (Open API v2.3) on 127.0.0.1 with the eight routes
(/realtimeUpload, /delayedUpload, /getConfig, /uploadConfig, /completedConfig,
/getcalibrationconfig, /updatecalibrationconfig, /uploadDiagnosticInfo), under /MPCBServer or /.
Uploads (multipart zip: an MPCB-layout data file + a metadata JSON) are validated and appended,
fsynced, to INBOX/<site>/cetp_mpcb_export.csv, where \`lab run effluent --follow\` and the catalog
pick them up. Requests are authenticated per site (see src/lib/effluent/mpcb-auth.ts).

options:
  --port N       port on 127.0.0.1 (default 8088)
  --site ID:KEY  accepted sites and keys (default CETP-DEMO with $MPCB_SITE_KEY or "demo-key")
  --inbox DIR    where uploads land (default datasets/effluent/live)`,
  async run(args) {
    const [what] = args.positionals;
    if (what !== "mpcb") throw new UsageError("expected: serve mpcb");
    const sites = Object.fromEntries(
      (stringFlag(args, "site") ?? `CETP-DEMO:${process.env.MPCB_SITE_KEY ?? "demo-key"}`).split(",").map((pair) => {
        const [id, key] = pair.split(":");
        if (!id || !key) throw new UsageError(`--site needs ID:KEY, got "${pair}"`);
        return [id, key];
      })
    );
    const server = await startMpcbServer({
      port: numberFlag(args, "port", 8088),
      inboxDir: resolve(stringFlag(args, "inbox") ?? "datasets/effluent/live"),
      stateDir: resolve(labPaths().labDir, "mpcb"),
      sites,
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
