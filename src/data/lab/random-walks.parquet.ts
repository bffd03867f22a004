// The demo's random walks, as promoted into the warehouse by the catalog.
import {emitWarehouseParquet} from "../../lib/catalog/warehouse.js";

await emitWarehouseParquet({
  topics: ["random_walks"],
  sql: "SELECT walk, step, value FROM random_walks ORDER BY walk, step"
});
