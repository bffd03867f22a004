// Ingestion settings for this lab: where files come from and which plugin handles which file.
// Routing is ordered and the first matching glob decides a file's tag; plugins subscribe to tags.
// The rules here come first, then each pipeline's defaults (src/lib/<domain>/index.ts `routing`),
// then the generic CSV / JSON Lines catch-alls: a rule here adds a route or overrides a default.
import type {LabConfig} from "./src/lib/catalog/config.js";

export default {
  sourceRoots: ["datasets"],
  routing: [{glob: "notes/**/*.txt", tag: "notes"}]
} satisfies Partial<LabConfig>;
