// `codeguard member add <email|auth uid>`: a signed-up user becomes a member of the company, which
// is what lets them read its rows (row-level security matches auth.uid()).
import { action, companyOption, UsageError } from "../args.ts";
import { runDbCommand } from "../db-command.ts";
import type { MemberRole } from "../../onboarding/onboarding.ts";

export const summary = "member add <email|auth uid> [--role owner|admin|member]: a signed-up user joins the company";

export const USAGE = `usage: codeguard member add <email|user id> [--company ID|NAME] [--role owner|admin|member] [--db-url URL]
  the person must have signed up or been invited (Authentication → Users) first; --company defaults to $CODEGUARD_COMPANY`;

export async function run(args: string[]): Promise<number> {
  const [verb, rest] = action(args);
  if (verb !== "add") {
    console.error(verb ? `codeguard member: unknown action ${verb}\n${USAGE}` : USAGE);
    return 2;
  }
  return await runDbCommand({ name: "member add", usage: USAGE, valued: ["company", "role"] }, rest, async (parsed, api) => {
    if (parsed.positional.length !== 1) throw new UsageError("give one member: the email they sign in with, or their user id");
    const companyId = await api.resolveCompany(companyOption(parsed));
    const m = await api.addMember(companyId, parsed.positional[0], parsed.options.get("role") as MemberRole | undefined);
    console.log(`${m.created ? "added" : "updated"}: ${m.email || "(no email)"} (${m.user_id}) is ${/^[aeiou]/.test(m.role) ? "an" : "a"} ${m.role} of company ${companyId}`);
  });
}
