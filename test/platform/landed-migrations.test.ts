// A landed migration is never edited: a database that applied it will not apply it again, so an
// edit reaches fresh databases only and the two drift apart (twice this month the baseline had
// been edited after it landed, and commits had to restore it). Each landed migration's SHA-256 is
// pinned here; a change to the schema comes as a new migration (and the schema file beside it).
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { REPO_ROOT } from "../../src/local/migrate.ts";

const MIGRATIONS = join(REPO_ROOT, "supabase", "migrations");

/**
 * Every migration on main, with the SHA-256 of its file (`sha256sum supabase/migrations/<file>`).
 * When a migration lands on main, the lead adds its line here in the same merge.
 */
const LANDED: [file: string, sha256: string][] = [
  ["20261201000000_baseline.sql", "acca41c2852c23caa2d3a8a3a006d16b12877752d393ec8a2e6856277afac2f0"],
  ["20261201120000_pr_by_number_and_dispatch_fan_out.sql", "44ecddeee7d1646a76b69c95199cc57707d1e57383ceeeba302e21c921e8d350"],
  ["20261201130000_scores_alerts_reports.sql", "d8771eb9c6bc0d65b311158a885af2d1c11b5e7ba221c0f34246e164c49c0cba"],
  ["20261201140000_github_webhooks.sql", "9329eeb66fdde4db3c3f6b5c68b3376bfe8857bde7b03780785f1d9d9d35f010"],
  ["20261201160000_queue_metrics.sql", "94937bf87b0c80c6c3eefb0ee29009d27b10756dc01a9b0c3c6ac92d62d8db54"],
  ["20261201170000_onboarding.sql", "62f7ea1a3d9c572ebe0d2fed0df73dd251e0674b427a7a379bc70afd51398fab"],
  ["20261201170100_dispatch_secrets.sql", "9155b8e6e066dafaaa3b81593dcdb9c062f09f4842de07ee7d8d13f9e448d3f8"],
  ["20261201180000_prune_webhook_deliveries.sql", "2dba80afdf66adc392582bd2a3d671c031172413e7ebda309d784caa3580d041"],
  ["20261201180100_reaper_frees_seats.sql", "f53e590069b5e9bc0f527d8bf9efba8fc581d25492da8a47d61858226bb8b402"],
  ["20261201180200_scan_default_branch.sql", "40e5615d01f3e587711c537d1f0cf33ce2320cf7147067b32ee110937064619c"],
  ["20261201190000_repository_suspects.sql", "fd6e6b6f078b4a15bed5ce82dbc937a099132b12eb33bb53eb9cd91ca0640834"],
  ["20261201200000_edge_worker_cap.sql", "3f7d086bfb5887614d914aa4bf19d1ce5dae2bfea4f05dbd2a628fd9c37c3038"],
  ["20261201200100_prune_ai_debt_scores.sql", "f43fe1063e9130df0039ff8401f7712125af90583b41c10e0d792cbe88e25ea6"],
  ["20261201200200_sla_per_job_type.sql", "9348a2aeff216eca0e4f360214f20e62be74fa9b553f0cb48bc17d62821e8fbf"],
  // Submitted 2026-12-07 with issues 22–26 (if that submission did not land, they may still be changed: unpin them then).
  ["20261206105000_git_ai_notes.sql", "4b9c4495a94604c58682624c702a971e585338958c7e752186e52fe86a00dc81"],
  ["20261206120000_sample_aware_score.sql", "6d7b11ac4e4cb56232a930df998d4759fef7f03cd29a6035bd97ccb5548730b5"],
  ["20261206120100_report_snapshot.sql", "022f87dfb4997a6d722586f43896dd8e5817ef1edcf3a1f994307a15038db4a2"],
  ["20261206120200_scan_window_setting.sql", "09dc97cf11e5039271ff4656bc636a8e89167cf1e97e753ff2ff9d2251080ed5"],
  ["20261206140000_slack_retry_rounds.sql", "0da0122b1d3317e076e0afd074fc243c84b3486eb2018ebf59307076fe5c533b"],
  ["20261206140100_webhook_installation_owner_and_replays.sql", "4c5a8f9c7d4d9d4404a9f55276b4b19484a5ec0d748469b79891972ff4b3da5e"],
  ["20261206140200_source_timeouts.sql", "043f62e609ce8352b450cc928940dc614137dbac043b91e5850286416c7f9ae5"],
  ["20261206140300_slack_url_grammar.sql", "eb23c5c94d48353a49fd2ad086461dce1f2e008653f6337267dc5aa43ce2e8fd"],
  ["20261206140400_write_lock_timeouts.sql", "7da3e3f51a44e5073421ec80e2c34bca4ab6b3943d0be0931fa8d44349b4ec37"],
  ["20261206140500_members_need_auth_user.sql", "791130aff9884c90371210bcf8b9caa3f345ad956929dbede8079fa67f650237"],
  ["20261206140600_member_pending_cap.sql", "a77f962effb9458c208954203c970337eedb6240303b5a053bb72cef95b71638"],
  ["20261206180000_dashboard.sql", "8099a54eb4106241f03b8a21b520503abb038dd2f2526b95e8438ac48d641f45"],
  ["20261206190000_dashboard_report_figures.sql", "15e5633a6fd6c2b090f7e8b15dfebfaaed250221e045c91b3962b78d9fb7a6a3"],
  ["20261206200000_one_per_agent_figure.sql", "10f16e54bd6059e07bd37cbf59ad04f4e3f72b05faa53d37897135959184f43e"],
  // Submitted 2026-12-07 with issues 21, 24 and 25 (if that submission did not land, they may still be changed: unpin them then).
  ["20261207100000_repository_source.sql", "8ebfc72502e3569990dca6da248b1563cdce6ac58373cbba419d14e6e93e0b43"],
  ["20261207110000_score_job_lineage.sql", "aa51fa383e62e16361bf758eff3599c302155fe10a5bf0b3bbf54534658ff769"],
  ["20261207120000_member_api_rates_and_registration_cap.sql", "954943933464f05acfda59beeaad1b4279a5c30ecff5ba9fcd405aeb01a55a9d"],
  ["20261207130000_reaper_sees_unseen_leases.sql", "e16284832eb746ffcc9e20e469a31ef5544912bd4339aa1545f5803e80a9fabb"],
  ["20261207140000_pipeline_setting.sql", "d8c7c037a0d796c6efa09c3880db546da6da8a1df96042ec0f06b04593513ed6"],
  ["20261207150000_health_scheduler_since.sql", "9fb82e6a6c30203bbe80540401bc3a3c47c6539439873ecdcd3545936663b5a3"],
];

const sha256 = (file: string) => createHash("sha256").update(readFileSync(join(MIGRATIONS, file))).digest("hex");

describe("landed migrations", () => {
  it.each(LANDED)("%s is as it landed", (file, pinned) => {
    expect(existsSync(join(MIGRATIONS, file)), `${file} landed on main and was removed: a database that applied it keeps it; restore it (git checkout main -- supabase/migrations/${file})`).toBe(true);
    expect(sha256(file), `${file} landed on main and may not be edited (a database that applied it will not apply it again): ` +
      `restore it (git checkout main -- supabase/migrations/${file}) and put the change in a new migration, with the schema file (supabase/schemas) beside it`).toBe(pinned);
  });

  it("the migrations not landed yet come after the last landed one (a database that has it would skip an earlier one)", () => {
    const landed = new Set(LANDED.map(([f]) => f));
    const last = LANDED.map(([f]) => f).sort().at(-1)!;
    const early = readdirSync(MIGRATIONS).filter((f) => f.endsWith(".sql") && !landed.has(f) && f < last);
    expect(early, `these migrations sort before ${last}, the last landed one: give them a later timestamp`).toEqual([]);
  });
});
