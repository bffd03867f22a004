// `npm run format` rewrites every file Prettier owns (see .prettierignore); `npm run format -- --check`
// only checks them and fails on the first difference, as CI does. Prettier itself would write and
// exit 0 when given both --write and --check, hence this switch.
import {spawnSync} from "node:child_process";

const check = process.argv.slice(2).includes("--check");
const result = spawnSync("prettier", [check ? "--check" : "--write", "--log-level", check ? "log" : "warn", "."], {
  stdio: "inherit"
});
process.exit(result.status ?? 1);
