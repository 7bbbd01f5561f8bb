// `npm run deploy [-- --dry-run] [--project-ref REF] [--only db|functions]`: see src/deploy/deploy.ts.
import { deploy } from "../src/deploy/deploy.ts";

const USAGE = "usage: npm run deploy -- [--dry-run] [--project-ref REF] [--only db|functions]   (reads SUPABASE_PROJECT_REF, SUPABASE_ACCESS_TOKEN, SUPABASE_DB_URL, SUPABASE_SECRET_KEY)";
const args = process.argv.slice(2);
let dryRun = false;
let only: "db" | "functions" | undefined;
let projectRef: string | undefined;
for (let i = 0; i < args.length; i++) {
  const a = args[i];
  if (a === "--dry-run") dryRun = true;
  else if (a === "--project-ref" && args[i + 1]) projectRef = args[++i];
  else if (a.startsWith("--project-ref=")) projectRef = a.slice("--project-ref=".length);
  else if (a === "--only" && (args[i + 1] === "db" || args[i + 1] === "functions")) only = args[++i] as "db" | "functions";
  else if (a === "--only=db" || a === "--only=functions") only = a.slice("--only=".length) as "db" | "functions";
  else if (a === "-h" || a === "--help") {
    console.log(USAGE);
    process.exit(0);
  } else {
    console.error(`deploy: unknown option ${a}\n${USAGE}`);
    process.exit(2);
  }
}
process.exitCode = await deploy({ dryRun, only, projectRef, env: process.env });
