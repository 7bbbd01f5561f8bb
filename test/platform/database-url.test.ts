import { describe, expect, it } from "vitest";
import { dbUrlProblem, redactUrl, redactUrlsIn } from "../../src/database-url.ts";

describe("a database URL as it is shown", () => {
  it("masks the password and keeps the user, host, port and database", () => {
    expect(redactUrl("postgres://app:s3cr%2Ft@db.example:6543/postgres?sslmode=require")).toBe("postgres://app:***@db.example:6543/postgres?sslmode=require");
  });

  it("shows a URL without a password as it is", () => {
    expect(redactUrl("postgres://app@db.example:5432/postgres")).toBe("postgres://app@db.example:5432/postgres");
  });

  it("shows a URL without its scheme as no URL, never its text (it parses with the password in its path)", () => {
    expect(redactUrl("app:hunter2@db.example:5432/postgres")).toBe("(not a URL)");
    expect(redactUrl("not a url")).toBe("(not a URL)");
  });

  it("masks every postgres URL's password in a tool's output, leaving the rest of the text", () => {
    const out = "failed to connect to postgres://postgres:pw1@127.0.0.1:5432/postgres?sslmode=disable\nthen postgresql://u:pw2@h/db: refused";
    expect(redactUrlsIn(out)).toBe("failed to connect to postgres://postgres:***@127.0.0.1:5432/postgres?sslmode=disable\nthen postgresql://u:***@h/db: refused");
  });

  it("names a URL of another scheme with its password masked", () => {
    expect(dbUrlProblem("mysql://root:topsecret@h/db")).toBe("SUPABASE_DB_URL must be a postgres:// URL, got mysql:// (mysql://root:***@h/db)");
  });
});
