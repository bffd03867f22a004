// Seeded random walks for the SQL-over-Parquet demo page, printed as Parquet.
import {createRng} from "../../lib/core/random.js";
import {writeRowsAsParquetToStream} from "../../lib/core/stdout.js";
import {randomWalkColumns} from "../../lib/demo/pipeline.js";
import {randomWalks} from "../../lib/demo/random-walks.js";

await writeRowsAsParquetToStream({columns: randomWalkColumns, rows: randomWalks({rng: createRng(1), walks: 3, steps: 500})});
