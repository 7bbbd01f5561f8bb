// A validator for the slice of OpenAPI 3.0 schemas GitHub's description uses (type, nullable,
// properties, required, items, enum, oneOf/anyOf/allOf, additionalProperties: false), to check the
// local GitHub's REST answers against @octokit/openapi. Returns every mismatch with its JSON path.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT } from "../../src/local/migrate.ts";

export type Schema = {
  type?: string;
  nullable?: boolean;
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  enum?: unknown[];
  oneOf?: Schema[];
  anyOf?: Schema[];
  allOf?: Schema[];
  additionalProperties?: boolean | Schema;
  format?: string;
};

interface OpenApi {
  paths: Record<string, Record<string, { parameters?: { name: string; in: string }[]; responses: Record<string, { content?: Record<string, { schema: Schema }> }> }>>;
}

let spec: OpenApi | null = null;
export function githubOpenApi(): OpenApi {
  spec ??= JSON.parse(readFileSync(join(REPO_ROOT, "node_modules/@octokit/openapi/generated/api.github.com.deref.json"), "utf8")) as OpenApi;
  return spec;
}

export function responseSchema(path: string, method: string, status: string): Schema {
  const op = githubOpenApi().paths[path]?.[method];
  if (!op) throw new Error(`no ${method.toUpperCase()} ${path} in GitHub's OpenAPI description`);
  const schema = op.responses[status]?.content?.["application/json"]?.schema;
  if (!schema) throw new Error(`no ${status} JSON response for ${method.toUpperCase()} ${path}`);
  return schema;
}

export function queryParameters(path: string, method: string): string[] {
  return (githubOpenApi().paths[path][method].parameters ?? []).filter((p) => p.in === "query").map((p) => p.name);
}

export function validateAgainst(schema: Schema, value: unknown, path = "$"): string[] {
  if (value === null) return schema.nullable || schema.type === "null" || schema.enum?.includes(null) || (schema.oneOf ?? schema.anyOf ?? []).some((s) => validateAgainst(s, null).length === 0) ? [] : [`${path}: null where not nullable`];
  if (schema.allOf) return schema.allOf.flatMap((s) => validateAgainst(s, value, path));
  const alternatives = schema.oneOf ?? schema.anyOf;
  if (alternatives) {
    const results = alternatives.map((s) => validateAgainst(s, value, path));
    return results.some((r) => r.length === 0) ? [] : [`${path}: matches none of ${alternatives.length} alternatives (${results.map((r) => r[0]).join(" | ")})`];
  }
  if (schema.enum && !schema.enum.includes(value)) return [`${path}: ${JSON.stringify(value)} not in ${JSON.stringify(schema.enum)}`];
  switch (schema.type) {
    case "string":
      if (typeof value !== "string") return [`${path}: expected string`];
      if (schema.format === "date-time" && Number.isNaN(Date.parse(value))) return [`${path}: not a date-time`];
      return [];
    case "integer":
      return Number.isInteger(value) ? [] : [`${path}: expected integer`];
    case "number":
      return typeof value === "number" ? [] : [`${path}: expected number`];
    case "boolean":
      return typeof value === "boolean" ? [] : [`${path}: expected boolean`];
    case "array":
      if (!Array.isArray(value)) return [`${path}: expected array`];
      return schema.items ? value.flatMap((v, i) => validateAgainst(schema.items!, v, `${path}[${i}]`)) : [];
    case "object":
    case undefined: {
      if (schema.type === undefined && !schema.properties) return [];
      if (typeof value !== "object" || Array.isArray(value)) return [`${path}: expected object`];
      const o = value as Record<string, unknown>;
      const errors = (schema.required ?? []).filter((k) => !(k in o)).map((k) => `${path}.${k}: required but missing`);
      for (const [k, v] of Object.entries(o)) {
        const prop = schema.properties?.[k];
        if (prop) errors.push(...validateAgainst(prop, v, `${path}.${k}`));
        else if (schema.additionalProperties === false) errors.push(`${path}.${k}: not allowed`);
      }
      return errors;
    }
    default:
      return [];
  }
}
