// The home page's summary: every pipeline, its tables, their row counts and build times.
import {pipelineSummaries} from "../lib/home/pipeline-summaries.js";

process.stdout.write(JSON.stringify(await pipelineSummaries(), null, 2));
