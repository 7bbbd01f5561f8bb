-- The health function says when a frequent schedule (the worker dispatch, the reaper) stopped
-- running: pg_cron down, a job stuck. It needs to know since when pg_cron could have run them, so
-- that a project back from a pause, or a local stack just started, is not reported late for the
-- time it was not running: pipeline_health() answers scheduler_since (the server's start).
create or replace function public.pipeline_health() returns jsonb
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
