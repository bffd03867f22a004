// Every dataset folder the catalog knows: its pipeline, whether it is a simulation, its files and options.
import {emitPageParquet} from "../../lib/site/page-data.js";

await emitPageParquet({
  topics: ["catalog_datasets"],
  sql: "SELECT pipeline, dataset, folder, simulated, files, newest_mtime, options_file FROM catalog_datasets ORDER BY pipeline, dataset"
});
