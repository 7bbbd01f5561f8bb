-- Housekeeping of the platform's own history tables, which grow without bound otherwise:
-- pg_cron never prunes cron.job_run_details (a per-second schedule writes 86,400 rows a day), and
-- net._http_response only has pg_net's TTL. Keep a week of runs and six hours of responses.
create function public.prune_platform_history(p_runs_older_than interval default '7 days',
  p_responses_older_than interval default '6 hours') returns jsonb
language plpgsql security definer set search_path = '' as $$
declare v_runs bigint; v_responses bigint;
begin
  delete from cron.job_run_details where end_time < now() - p_runs_older_than;
  get diagnostics v_runs = row_count;
  delete from net._http_response where created < now() - p_responses_older_than;
  get diagnostics v_responses = row_count;
  return jsonb_build_object('job_runs', v_runs, 'http_responses', v_responses);
end $$;
revoke execute on function public.prune_platform_history(interval, interval) from public, anon, authenticated;
grant execute on function public.prune_platform_history(interval, interval) to service_role;

select cron.schedule('codeguard-prune-platform-history', '17 * * * *', $$select public.prune_platform_history()$$);
