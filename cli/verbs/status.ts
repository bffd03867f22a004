import {loadConfig} from "../../src/lib/catalog/config.js";
import {formatQueueStatus, queueStatus, type QueueStatus} from "../../src/lib/catalog/queue-status.js";
import {DEFAULT_QUEUE_SCHEMA, resolveQueueUrl} from "../../src/lib/catalog/queue-url.js";
import {catalogStatus} from "../../src/lib/catalog/status.js";
import {labPaths} from "../../src/lib/catalog/paths.js";
import {tableOwner} from "../../src/lib/registry.js";
import {flag, stringFlag, type Verb} from "../verb.js";

export const statusVerb: Verb = {
  name: "status",
  summary: "files, versions, jobs by state, last errors, plugins, warehouse topics and rows set aside per dataset",
  help: `usage: lab status [--json] [--lab-dir DIR]

Shows what the catalog holds: files and versions, jobs by state with the last errors, every
plugin (built-in and from plugins/, with the reason a broken one was skipped) and the warehouse
topics with their row counts, the pipeline (or plugin) that declares each and what a row is, and
how many rows each dataset had set aside (the quarantine tables: file, line, column and reason of
each are on the pipeline's page and the catalog page), and the code versions (git commit) that
ran the jobs and derivations. With a PostgreSQL queue configured (LAB_QUEUE_URL or lab.config.ts
\`queue\`), also its jobs waiting, running, taken back and failed, and the workers seen lately.`,
  flags: [flag.boolean("json"), flag.string("lab-dir")],
  async run(args) {
    const paths = labPaths({labDir: stringFlag(args, "lab-dir")});
    const status = await catalogStatus({paths});
    const queue = await configuredQueue(paths.projectDir);
    const userPlugins = status.plugins.filter((p) => p.source === "user" && p.status === "OK");
    const topics = status.topics.map((t) => {
      const owner = tableOwner({table: t.topic, userPlugins});
      return {
        ...t,
        pipeline: owner?.owner ?? "undeclared",
        description: owner?.description ?? "no pipeline or plugin declares it"
      };
    });
    if (args.flags.json) return void console.log(JSON.stringify({...status, topics, queue}, null, 2));
    const lines = [
      status.ingestRunningPid
        ? `an ingest is running (pid ${status.ingestRunningPid}); showing its last published snapshot`
        : "",
      `files     ${status.files} (${status.missingFiles} gone)   versions ${status.versions}`,
      `jobs      ${
        Object.entries(status.jobsByStatus)
          .map(([s, n]) => `${s} ${n}`)
          .join("  ") || "none"
      }`,
      ...(queue ? formatQueueStatus(queue) : []),
      "plugins",
      ...status.plugins.map(
        (p) =>
          `  ${p.status === "OK" ? "✓" : "✗"} ${p.name.padEnd(20)} ${p.source.padEnd(8)} ${p.status === "OK" ? `tags ${p.tags.join(",")} → ${p.topics.join(",")}` : p.error}`
      ),
      "topics",
      ...topics.map(
        (t) =>
          `  ${t.topic.padEnd(28)} ${String(t.rows).padStart(12)} rows in ${String(t.files).padStart(3)} file(s)  ${t.pipeline.padEnd(10)} ${t.description}`
      ),
      "rows set aside",
      ...(status.quarantine.length
        ? status.quarantine.map((q) => {
            const owner = tableOwner({table: q.topic, userPlugins})?.owner ?? "undeclared";
            return `  ${`${owner}/${q.dataset}`.padEnd(28)} ${String(q.rows).padStart(12)} rows in ${q.topic}`;
          })
        : ["  none: every row read was kept"]),
      "code",
      ...(status.codeVersions.length
        ? status.codeVersions.map((v) => `  ${v.version.padEnd(52)} ${String(v.jobs).padStart(6)} job(s)`)
        : ["  no job has recorded one yet"]),
      ...status.derived.map((d) => `  ${d.key.padEnd(28)} derived by ${d.codeVersion ?? "an unrecorded version"}`),
      ...(status.lastErrors.length
        ? [
            "last errors",
            ...status.lastErrors.map((e) => `  job ${e.job_id} ${e.status} ${e.plugin} ${e.path}: ${e.error}`)
          ]
        : [])
    ];
    console.log(lines.filter(Boolean).join("\n"));
  }
};

/** The queue's status when one is configured; a configured queue without its URL says so. */
async function configuredQueue(projectDir: string): Promise<QueueStatus | undefined> {
  const config = await loadConfig({projectDir});
  const schema = config.queue?.schema ?? DEFAULT_QUEUE_SCHEMA;
  let url: string | undefined;
  try {
    url = resolveQueueUrl({setting: config.queue, projectDir});
  } catch (error) {
    const base = {where: "(no URL)", schema, waiting: 0, running: 0, takenBack: 0, failed: 0, workers: []};
    return {...base, error: (error as Error).message};
  }
  return url ? queueStatus({url, schema}) : undefined;
}
