// The one argument parser of every codeguard command (src/cli/args.ts).
import { describe, expect, it } from "vitest";
import { parseArgs, UsageError, wantsHelp } from "../../src/cli/args.ts";

describe("parseArgs", () => {
  it("--name value, --name=value, flags, positional, - and everything after --", () => {
    const { positional, options } = parseArgs(["a", "--db-url", "postgres://x", "--company=acme", "--json", "-", "--", "--json", "-x"], ["db-url", "company"], ["json"]);
    expect(positional).toEqual(["a", "-", "--json", "-x"]);
    expect(Object.fromEntries(options)).toEqual({ "db-url": "postgres://x", company: "acme", json: true });
  });

  it("refuses an unknown option, a short one, a flag given a value, and a missing value", () => {
    expect(() => parseArgs(["--nope"], [])).toThrow(new UsageError("unknown option --nope"));
    expect(() => parseArgs(["-x"], [])).toThrow(/unknown option -x/);
    expect(() => parseArgs(["--json=1"], [], ["json"])).toThrow(/unknown option --json=1/);
    expect(() => parseArgs(["--notes"], ["notes"])).toThrow(/--notes needs a value/);
    // an option where a value should be: a missing value, not a file named --summary
    expect(() => parseArgs(["--notes", "--summary"], ["notes"], ["summary"])).toThrow(/--notes needs a value/);
    expect(parseArgs(["--notes=--odd"], ["notes"]).options.get("notes")).toBe("--odd");
  });
});

describe("wantsHelp", () => {
  it("-h or --help anywhere before --", () => {
    expect(wantsHelp(["add", "x", "--help"])).toBe(true);
    expect(wantsHelp(["-h"])).toBe(true);
    expect(wantsHelp(["x", "--", "--help"])).toBe(false);
    expect(wantsHelp(["--helpful"])).toBe(false);
  });
});
