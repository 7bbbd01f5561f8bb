/**
 * Checks that a decoded GitHub answer has the shape the client relies on, so a malformed page fails
 * as one clear MalformedResponse naming the field, before any of it is used or cached. Hand-written
 * (not zod) because the core takes no dependency that Deno and Node would resolve differently.
 */
import { MalformedResponse } from "./errors.ts";

/** A reader bound to one response URL: every failure names the URL and the JSON path. */
export class ShapeReader {
  constructor(readonly url: string) {}

  fail(path: string, expected: string, got: unknown): never {
    const kind = got === null ? "null" : Array.isArray(got) ? "array" : typeof got;
    throw new MalformedResponse(this.url, `${path || "<root>"} should be ${expected}, got ${kind}`);
  }
  obj(v: unknown, path: string): Record<string, unknown> {
    if (typeof v !== "object" || v === null || Array.isArray(v)) this.fail(path, "an object", v);
    return v as Record<string, unknown>;
  }
  arr(v: unknown, path: string): unknown[] {
    if (!Array.isArray(v)) this.fail(path, "an array", v);
    return v as unknown[];
  }
  str(v: unknown, path: string): string {
    if (typeof v !== "string") this.fail(path, "a string", v);
    return v as string;
  }
  strOrNull(v: unknown, path: string): string | null {
    return v === null || v === undefined ? null : this.str(v, path);
  }
  int(v: unknown, path: string): number {
    if (typeof v !== "number" || !Number.isInteger(v)) this.fail(path, "an integer", v);
    return v as number;
  }
  intOrNull(v: unknown, path: string): number | null {
    return v === null || v === undefined ? null : this.int(v, path);
  }
  bool(v: unknown, path: string): boolean {
    if (typeof v !== "boolean") this.fail(path, "a boolean", v);
    return v as boolean;
  }
  oneOf<T extends string>(v: unknown, path: string, allowed: readonly T[]): T {
    if (typeof v !== "string" || !(allowed as readonly string[]).includes(v)) {
      this.fail(path, `one of ${allowed.join("|")}`, v);
    }
    return v as T;
  }
}
