// The onboarding SQL API (supabase/schemas/15_onboarding.sql and set_github_token) as typed methods:
// what `codeguard company create | repo add | member add | token set` call. Argument and answer
// types come from the generated database types, so a changed SQL signature fails the type-check.
import type { Database } from "../../supabase/functions/_shared/platform/database.types.ts";
import type { SqlFunctions } from "../../supabase/functions/_shared/platform/sql-call.ts";
import type { Db } from "../../supabase/functions/_shared/platform/db.ts";

type Fns = Database["public"]["Functions"];
/** One row of add_repository's answer. */
export type AddedRepository = Fns["add_repository"]["Returns"][number];
/** One row of add_company_member's answer. */
export type AddedMember = Fns["add_company_member"]["Returns"][number];
export type MemberRole = "owner" | "admin" | "member";

export class Onboarding {
  private readonly sql: SqlFunctions;

  constructor(db: Db) {
    this.sql = db.functions;
  }

  /** The id of the company named or identified by `company`; raises naming the companies there are. */
  async resolveCompany(company: Fns["resolve_company"]["Args"]["p_company"]): Promise<string> {
    return await this.sql.value<Fns["resolve_company"]["Returns"]>("resolve_company", [["p_company", company, "text"]]);
  }

  /** A new company with `settings` over the defaults; raises when the name is taken. Answers its id. */
  async createCompany(name: string, settings?: { [key: string]: unknown }): Promise<string> {
    return await this.sql.value<Fns["create_company"]["Returns"]>("create_company", [["p_name", name, "text"], ["p_settings", settings, "jsonb"]]);
  }

  /** Adds or reactivates `fullName` (owner/name) for the company. */
  async addRepository(companyId: string, fullName: string, defaultBranch?: string): Promise<AddedRepository> {
    const [row] = await this.sql.rows<AddedRepository>("add_repository", [
      ["p_company_id", companyId, "uuid"], ["p_full_name", fullName, "text"], ["p_default_branch", defaultBranch, "text"],
    ]);
    return row;
  }

  /** Sets the company's scan window (settings.scan_window_days); answers the one it replaced (null: the default). */
  async setScanWindow(companyId: string, days: number): Promise<number | null> {
    return await this.sql.value<number | null>("set_company_scan_window", [["p_company_id", companyId, "uuid"], ["p_days", days, "integer"]]);
  }

  /** Makes the signed-up user `member` (email or auth uid) a member of the company with `role`. */
  async addMember(companyId: string, member: string, role?: MemberRole): Promise<AddedMember> {
    const [row] = await this.sql.rows<AddedMember>("add_company_member", [
      ["p_company_id", companyId, "uuid"], ["p_member", member, "text"], ["p_role", role, "text"],
    ]);
    return row;
  }

  /** Stores the company's GitHub token in Vault (never in a table); answers the Vault secret's id. */
  async setGithubToken(companyId: string, token: string): Promise<string> {
    return await this.sql.value<Fns["set_github_token"]["Returns"]>("set_github_token", [["p_company_id", companyId, "uuid"], ["p_token", token, "text"]]);
  }
}
