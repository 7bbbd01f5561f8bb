// Where things are made and read, checked on the tree: the typed client of the SQL functions is made
// with each database handle (platform/db.ts), never by a module for itself; the functions' environment
// is read by platform/config.ts alone (an index.ts hands it Deno.env.toObject() and nothing else).
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = join(import.meta.dirname, "..", "..");

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (name === "node_modules") return [];
    if (statSync(path).isDirectory()) return sources(path);
    return /\.ts$/.test(name) && !/_test\.ts$/.test(name) ? [path] : [];
  });
}

const tree = [...sources(join(ROOT, "supabase", "functions")), ...sources(join(ROOT, "src")), ...sources(join(ROOT, "bench")), ...sources(join(ROOT, "scripts"))]
  .map((path) => ({ path: relative(ROOT, path), text: readFileSync(path, "utf8") }));

describe("the SQL functions' client", () => {
  it("is made with the database handle and nowhere else", () => {
    const makers = tree.filter((f) => /new SqlFunctions\(/.test(f.text)).map((f) => f.path);
    expect(makers).toEqual(["supabase/functions/_shared/platform/db.ts"]);
  });
});

describe("the edge functions' environment", () => {
  it("is read by platform/config.ts alone", () => {
    const readers = tree
      .filter((f) => f.path.startsWith("supabase/functions/"))
      .filter((f) => /\benv\.[A-Z_]+|\benv\[|Deno\.env\.get\(/.test(f.text))
      .map((f) => f.path);
    expect(readers).toEqual(["supabase/functions/_shared/platform/config.ts"]);
  });

  it("reaches config.ts whole: an index.ts reads Deno.env only to hand it to readConfig", () => {
    const raw = tree
      .filter((f) => f.path.startsWith("supabase/functions/") && /Deno\.env\.toObject\(\)/.test(f.text))
      .filter((f) => !/readConfig\(Deno\.env\.toObject\(\)\)/.test(f.text))
      .map((f) => f.path);
    expect(raw).toEqual([]);
  });
});
