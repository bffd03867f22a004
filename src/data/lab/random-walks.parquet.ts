// The demo's random walks, as promoted into the warehouse by the catalog.
import {emitPageParquet} from "../../lib/site/page-data.js";

await emitPageParquet({
  topics: ["random_walks"],
  sql: "SELECT walk, step, value FROM random_walks ORDER BY walk, step"
});
