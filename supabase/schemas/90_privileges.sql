-- Who may do what, in one place. Everything in `public` is first taken back from the API roles
-- (whatever defaults the project had: 01_default_privileges.sql), then each role gets exactly
-- what it needs:
--   anon           nothing (the publishable/anon key is public: it proves nothing about a caller);
--   authenticated  a member reads their own company's rows, through row-level security, and the
--                  queue's figures for their company; writes go through the functions of the API
--                  (later issues), never straight to tables;
--   service_role   the pipeline: it reads every table, writes the tenants, and calls the functions of
--                  the queue and the scans.
-- The edge functions connect as postgres (SUPABASE_DB_URL), the owner. No role but the owner holds
-- TRUNCATE, TRIGGER, REFERENCES or MAINTAIN (RLS governs none of them), nor a sequence.
-- test/platform/privileges.test.ts checks this from the catalogs.

revoke all on all tables in schema public from public, anon, authenticated, service_role;
revoke all on all sequences in schema public from public, anon, authenticated, service_role;
revoke all on all functions in schema public from public, anon, authenticated, service_role;

grant select on public.companies, public.users, public.repositories, public.repository_sources, public.scan_queue, public.scan_job_events,
  public.scan_job_types, public.scans, public.scan_results, public.pull_requests, public.team_metrics to authenticated;
grant select on public.github_installations, public.github_installation_repositories, public.github_webhook_deliveries
  to authenticated;
grant execute on function public.current_company_id(), public.member_scan_queue_stats(interval) to authenticated;

-- The pipeline. It reads every table; it writes the tenants' rows (onboarding), and the queue, the
-- slots, the outages and the cache only through the functions below, which keep their rules.
grant select on public.companies, public.users, public.repositories, public.repository_sources, public.scan_queue, public.scan_job_events,
  public.scan_job_types, public.scan_queue_company_slots, public.scan_source_outages, public.scan_source_answers,
  public.github_etag_cache, public.scans, public.scan_results, public.pull_requests, public.team_metrics, public.pipeline_settings,
  public.scan_workers, public.member_api_requests, public.scan_queue_reaper
  to service_role;
grant select on public.github_installations, public.github_installation_repositories, public.github_webhook_deliveries
  to service_role;
grant update on public.pipeline_settings to service_role;
grant insert, update, delete on public.companies, public.users, public.repositories to service_role;
grant execute on function
  public.current_company_id(),
  public.scan_queue_job_types(text),
  public.enqueue_scan(uuid, uuid, text, integer, timestamptz, jsonb, text, integer),
  public.enqueue_scans(jsonb),
  public.claim_scan_jobs(text, integer, text[], integer),
  public.claim_next_scan_job(text, integer, text[]),
  public.claim_scan_job(uuid, text, integer),
  public.heartbeat_scan_job(uuid, integer, integer, text),
  public.complete_scan_job(uuid, integer, jsonb),
  public.complete_scan_jobs(jsonb),
  public.fail_scan_job(uuid, integer, text, boolean),
  public.snooze_scan_job(uuid, integer, timestamptz, text),
  public.report_scan_source_outage(uuid, integer, text),
  public.report_scan_source_timeout(uuid, integer, text),
  public.scan_source_answered(uuid, integer),
  public.cancel_scan_job(uuid, text),
  public.retry_scan_job(uuid),
  public.reap_expired_scan_jobs(),
  public.prune_scan_queue(interval, interval, interval),
  public.scan_queue_stats(uuid, interval),
  public.set_github_token(uuid, text),
  public.resolve_company(text),
  public.create_company(text, jsonb),
  public.add_repository(uuid, text, text),
  public.set_company_scan_window(uuid, integer),
  public.add_company_member(uuid, text, text),
  public.set_dispatch_secret(text, text),
  public.github_token(uuid),
  public.github_etag_cache_get(uuid, text, text),
  public.github_etag_cache_put(uuid, text, text, text, bytea, text),
  public.prune_github_etag_cache(uuid, interval),
  public.repository_scan_target(uuid, integer),
  public.set_scan_default_branch(uuid, integer, text),
  public.begin_scan(uuid, integer),
  public.record_scan_page(uuid, integer, jsonb),
  public.scan_rows(uuid, integer),
  public.scan_repository_evidence(uuid, integer, timestamptz),
  public.scan_rows_with_new_notes(uuid, integer, jsonb),
  public.weekly_report_origins(uuid, date),
  public.complete_scan(uuid, integer, jsonb),
  public.enqueue_daily_auto_scans(date),
  public.dispatch_scan_workers(integer, text),
  public.begin_scan_worker(text, text, integer),
  public.end_scan_worker(text),
  public.pipeline_setting_int(text, integer),
  public.pipeline_setting(text),
  public.pipeline_health(),
  public.scan_queue_lag(interval),
  public.queue_metrics(),
  public.pipeline_schedules(),
  public.prune_platform_history(interval, interval)
to service_role;
-- GitHub webhooks (35_github_webhooks.sql) and members' scan requests (47_scan_requests.sql): the
-- functions call them with what they verified (a signature, a user's session).
grant execute on function
  public.set_github_webhook_secret(uuid, text),
  public.github_webhook_secret(uuid),
  public.link_github_installation(uuid, bigint, text),
  public.record_github_webhook_delivery(uuid, text, text, uuid, bigint, jsonb, integer, text),
  public.prune_github_webhook_deliveries(interval),
  public.member_request_scan(uuid, uuid, text, text, jsonb),
  public.member_scan_status(uuid, uuid),
  public.member_cancel_scan(uuid, uuid),
  public.member_api_admit(uuid, text)
to service_role;
-- The members' dashboard (49_dashboard.sql): the dashboard function finds the member's company and
-- reads the figures beside the report's (weekly_report_data, granted below).
grant execute on function
  public.member_company_id(uuid),
  public.dashboard_company(uuid, date),
  public.dashboard_repository(uuid, uuid, date)
to service_role;
-- Scores, alerts, reports, the Slack digest and the dashboards (43–48): members read their
-- company's rows (the dashboards through the views that filter them); the jobs' functions are the
-- service's (the helpers they call run as their owner and need no grant). The materialized views
-- have no row-level security, so only the service reads them.
grant select on public.ai_debt_scores, public.alerts, public.governance_reports, public.slack_deliveries,
  public.slack_delivery_attempts, public.repository_risk_overview, public.company_weekly_trend to authenticated;
grant select on public.ai_debt_scores, public.alerts, public.governance_reports, public.slack_deliveries,
  public.slack_delivery_attempts, public.dashboard_repository_risk, public.dashboard_company_weekly_trend,
  public.repository_risk_overview, public.company_weekly_trend to service_role;
grant execute on function
  public.calculate_ai_debt_score(uuid, uuid),
  public.run_calculate_scores(uuid, integer),
  public.prune_ai_debt_scores(interval),
  public.evaluate_company_alerts(uuid),
  public.run_generate_alerts(uuid, integer),
  public.enqueue_job_alerts(),
  public.weekly_report_data(uuid, date),
  public.save_governance_report(uuid, date, date, jsonb, text, text, uuid),
  public.governance_report(uuid, date),
  public.enqueue_weekly_reports(date),
  public.set_slack_webhook_url(uuid, text),
  public.slack_webhook_url(uuid),
  public.prepare_slack_delivery(uuid, date, jsonb, uuid),
  public.record_slack_attempt(uuid, integer, integer, text, text, integer),
  public.enqueue_slack_digests(date),
  public.refresh_dashboard_views(),
  public.run_refresh_views(uuid, integer),
  public.enqueue_refresh_views()
to service_role;
