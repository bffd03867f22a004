import {createRng} from "./src/lib/core/random.js";
import {generateFleet} from "./src/lib/meters/fleet.js";
import {generateIntervals} from "./src/lib/meters/readings.js";
import {defaultMeterConfig, utilityProfiles} from "./src/lib/meters/config.js";
const fleet = generateFleet({rng: createRng(1), meters: 100000, mix: utilityProfiles.default!});
const t = performance.now(); let n = 0;
for (const iv of generateIntervals({rng: createRng(2), fleet, start: new Date("2024-06-02T18:30:00Z"), days: 1, config: defaultMeterConfig})) n += iv.usage.length;
console.log(n, ((performance.now() - t) / 1000).toFixed(2));
