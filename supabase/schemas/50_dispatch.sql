-- Waking the workers (edge functions) through pg_net, two ways:
--  * at once: a trigger on enqueue posts when ready jobs appear (pg_net sends after commit, so a
--    rolled-back enqueue wakes nobody);
--  * as the backstop: pg_cron every 10 seconds, for retries whose backoff ended, snoozed jobs whose
--    time came, jobs the reaper handed on, probes of a source that is down, and lost wake-ups.
-- Which function runs a job type is public.scan_job_types.worker. The functions' URL and key come
-- from Vault, the pattern Supabase documents for cron → edge function calls: `project_url`, and the
-- project's secret key `secret_key` (sb_secret_…, sent in the apikey header: Supabase's current
-- keys are not JWTs) or, for a project still on the legacy keys, `service_role_key` (sent as a
-- bearer token). Without them nothing is sent (the health function says so). The functions accept
-- any of the project's secret keys, so rotating one is: create a new secret key, store it with
-- vault.update_secret, then delete the old key (README, "Deploying to Supabase").

-- How many workers to start now, per worker function: one per five ready jobs it can run, at most
-- p_max_workers each (a worker drains until the queue is empty, so a few are enough; the
-- per-company cap keeps fairness). Jobs of a source that is down count only when its probe is due.
create function public.dispatch_scan_workers(p_max_workers integer default 2, p_reason text default 'tick')
returns integer
language plpgsql security definer set search_path = ''
as $$
declare
  v_now timestamptz := public.scan_queue_now();
  v_url text;
  v_secret_key text;
  v_legacy_key text;
  v_headers jsonb;
  v_worker record;
  v_started integer := 0;
begin
  select decrypted_secret into v_url from vault.decrypted_secrets where name = 'project_url';
  select decrypted_secret into v_secret_key from vault.decrypted_secrets where name = 'secret_key';
  select decrypted_secret into v_legacy_key from vault.decrypted_secrets where name = 'service_role_key';
  if v_url is null or (v_secret_key is null and v_legacy_key is null) then
    return 0; -- not configured (see README: Vault secrets project_url and secret_key)
  end if;
  v_headers := case when v_secret_key is not null
                    then pg_catalog.jsonb_build_object('Content-Type', 'application/json', 'apikey', v_secret_key)
                    else pg_catalog.jsonb_build_object('Content-Type', 'application/json', 'Authorization', 'Bearer ' || v_legacy_key) end;
  for v_worker in
    select t.worker, count(*)::integer as ready, bool_or(o.source is not null) as probing
    from (select q.scan_type from public.scan_queue q
          where q.status = 'pending' and q.run_after <= v_now
          order by q.priority, q.run_after, q.id limit 50 * p_max_workers) q
    join public.scan_job_types t on t.name = q.scan_type
    left join public.scan_source_outages o on o.source = t.source
    where t.worker is not null
      and (o.source is null or (o.blocked_until <= v_now and (o.probe_until is null or o.probe_until <= v_now)))
    group by t.worker
  loop
    for i in 1 .. (case when v_worker.probing then 1 else least(p_max_workers, ceil(v_worker.ready / 5.0)::integer) end) loop
      perform net.http_post(
        url := v_url || '/functions/v1/' || v_worker.worker,
        body := pg_catalog.jsonb_build_object('reason', p_reason),
        headers := v_headers,
        timeout_milliseconds := 10000);
      v_started := v_started + 1;
    end loop;
  end loop;
  return v_started;
end $$;

create function public.dispatch_scan_workers_on_enqueue() returns trigger
language plpgsql security definer set search_path = ''
as $$
begin
  perform public.dispatch_scan_workers(1, 'enqueue');
  return null;
end $$;

create trigger scan_queue_dispatch_on_enqueue
  after insert on public.scan_queue
  for each statement execute function public.dispatch_scan_workers_on_enqueue();
