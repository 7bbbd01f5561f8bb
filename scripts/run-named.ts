// `npm run bench -- <name>` and `npm run eval -- <name>`: run <folder>/<name>.ts, where each
// benchmark or evaluation prints its figures (a benchmark: one JSON line).
import { readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const [folder, name, ...rest] = process.argv.slice(2);
const dir = join(dirname(fileURLToPath(import.meta.url)), "..", folder);
const names = readdirSync(dir).filter((f) => f.endsWith(".ts")).map((f) => f.slice(0, -3)).sort();
if (!name || !names.includes(name)) {
  console.error(`usage: npm run ${folder} -- <${names.join("|")}>`);
  process.exit(2);
}
process.argv = [process.argv[0], join(dir, `${name}.ts`), ...rest];
await import(pathToFileURL(join(dir, `${name}.ts`)).href);
