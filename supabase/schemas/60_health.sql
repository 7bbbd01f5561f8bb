-- The pipeline's health in one call, for the health function: migrations applied, the codeguard
-- schedules with their last runs, the Vault secrets the dispatch needs, and the queue's figures.

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
  return pg_catalog.jsonb_build_object('job_runs', v_runs, 'http_responses', v_responses);
end $$;

-- Every schedule of pg_cron (ours are named codeguard-…) with its last run, for `codeguard schedules`
-- and the health function.
create function public.pipeline_schedules()
returns table (name text, schedule text, command text, active boolean, last_status text, last_run_at timestamptz,
               last_message text)
language sql stable security definer set search_path = ''
as $$
  select coalesce(j.jobname, 'job ' || j.jobid), j.schedule, j.command, j.active, r.status, r.start_time, r.return_message
  from cron.job j
  left join lateral (select d.status, d.start_time, d.return_message from cron.job_run_details d
                     where d.jobid = j.jobid order by d.runid desc limit 1) r on true
  order by 1
$$;

create function public.pipeline_health() returns jsonb
language plpgsql stable security definer set search_path = ''
as $$
declare
  v_migrations jsonb := pg_catalog.jsonb_build_object('applied', 0, 'latest', null);
begin
  -- The CLI's history table exists once `supabase db push` / `migration up` has run.
  if pg_catalog.to_regclass('supabase_migrations.schema_migrations') is not null then
    execute 'select pg_catalog.jsonb_build_object(''applied'', count(*), ''latest'', max(version))
             from supabase_migrations.schema_migrations' into v_migrations;
  end if;
  return pg_catalog.jsonb_build_object(
    'migrations', v_migrations,
    -- Since when pg_cron could run the schedules (its launcher starts with the server): a schedule
    -- is late only once it has missed its runs since then, not for the time a project was paused.
    'scheduler_since', pg_catalog.pg_postmaster_start_time(),
    'schedules', (select coalesce(pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
                    'name', s.name, 'schedule', s.schedule, 'active', s.active,
                    'last_status', s.last_status, 'last_run_at', s.last_run_at) order by s.name), '[]')
                  from public.pipeline_schedules() s where s.name like 'codeguard-%'),
    -- What dispatch_scan_workers needs: project_url, and secret_key (or the legacy service_role_key).
    'vault_missing', (select coalesce(pg_catalog.jsonb_agg(n order by n), '[]')
                      from unnest(array['project_url', 'secret_key']) n
                      where not exists (select 1 from vault.decrypted_secrets s
                                        where s.name = n or (n = 'secret_key' and s.name = 'service_role_key'))),
    'queue', public.scan_queue_stats(),
    -- How long ready jobs wait for a worker (61_queue_metrics.sql).
    'lag', public.scan_queue_lag());
end $$;
