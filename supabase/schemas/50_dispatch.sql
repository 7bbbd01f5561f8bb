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

-- The pipeline's own settings (one row each), read by the functions that use them.
create table public.pipeline_settings (
  name text primary key,
  value jsonb not null,
  description text not null
);
alter table public.pipeline_settings enable row level security; -- the pipeline's alone: no policy
insert into public.pipeline_settings (name, value, description) values
  ('max_scan_workers', '8', 'Edge scan workers (invocations of scan-repository) running at once, at most. Each runs 2 jobs at a time.'),
  -- Each worker function has its own max_scan_workers seats; without a cap across them the
  -- project's connections added up per function (an invocation keeps a pool of 2–4): a Monday
  -- report run during a scan burst could hold ~64, past the smallest project's 60 direct ones.
  ('max_edge_workers', '12', 'Edge worker invocations running at once across all worker functions, at most. Each holds up to 4 database connections (2 for the SQL jobs), so 12 stay within 48 of the smallest project''s 60.'),
  ('score_debounce_seconds', '5', 'A completed scan''s calculate_scores job runs this much later, so scans finishing together are scored once.'),
  ('slack_webhook_hosts', '["hooks.slack.com"]', 'Hosts a company''s Slack webhook URL may point to (https only, but for loopback hosts).');

-- An integer setting, or p_default when it is absent or not a positive number.
create function public.pipeline_setting_int(p_name text, p_default integer) returns integer
language sql stable security definer set search_path = ''
as $$
  select coalesce((select case when pg_catalog.jsonb_typeof(s.value) = 'number' and (s.value #>> '{}')::numeric >= 1
                               then floor((s.value #>> '{}')::numeric)::integer end
                   from public.pipeline_settings s where s.name = p_name), p_default)
$$;

-- A setting's value as it is stored (jsonb), or null when it is absent: for a setting that is not a
-- number (slack_webhook_hosts, a list), read by the pipeline through its typed client.
create function public.pipeline_setting(p_name text) returns jsonb
language sql stable security definer set search_path = ''
as $$ select s.value from public.pipeline_settings s where s.name = p_name $$;

-- The edge workers running now: each invocation takes a seat when it starts (begin_scan_worker) and
-- gives it back when it ends; a seat whose invocation was killed lapses at its budget's end.
create table public.scan_workers (
  worker_id text primary key,
  function_name text not null,
  started_at timestamptz not null,
  lapses_at timestamptz not null
);
alter table public.scan_workers enable row level security; -- the pipeline's alone: no policy

-- Takes a seat for an invocation of p_function, unless max_scan_workers of it, or max_edge_workers of
-- all worker functions, are running already: the caps hold however many wake-ups arrive at once (one
-- invocation at a time decides, under one transaction lock for all functions, since the second cap
-- counts them together). Answers whether it may run.
create function public.begin_scan_worker(p_worker_id text, p_function text, p_budget_seconds integer) returns boolean
language plpgsql volatile security definer set search_path = ''
as $$
declare
  v_now timestamptz := public.scan_queue_now();
begin
  perform pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtext('codeguard.scan_workers'));
  delete from public.scan_workers w where w.lapses_at < v_now;
  if (select count(*) from public.scan_workers w where w.function_name = p_function)
     >= public.pipeline_setting_int('max_scan_workers', 8)
     or (select count(*) from public.scan_workers w) >= public.pipeline_setting_int('max_edge_workers', 12) then
    return false;
  end if;
  insert into public.scan_workers (worker_id, function_name, started_at, lapses_at)
  values (p_worker_id, p_function, v_now, v_now + pg_catalog.make_interval(secs => greatest(p_budget_seconds, 1) + 30))
  on conflict (worker_id) do nothing;
  return true;
end $$;

-- The invocation ended: its seat is free.
create function public.end_scan_worker(p_worker_id text) returns void
language sql volatile security definer set search_path = ''
as $$ delete from public.scan_workers w where w.worker_id = p_worker_id $$;

-- How many workers to start now, per worker function: one per two ready jobs it can run (a worker
-- runs two at a time and keeps claiming while its budget lasts), less the workers being woken
-- already (pg_net requests not sent yet: they will claim those jobs), and never more than the free
-- seats under max_scan_workers for that function, nor than those left under max_edge_workers for all
-- of them, counting those being woken (p_max_workers, when given, caps one call). Functions whose
-- ready jobs come first (priority, then age) get the seats first when they are short. So a bulk
-- enqueue of 200 jobs wakes 8 workers at once, not one and then the tick's, and ten single enqueues
-- in a row wake about five. Jobs of a source that is down count only when its probe is due, and then
-- for one worker.
create function public.dispatch_scan_workers(p_max_workers integer default null, p_reason text default 'tick')
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
  v_seats integer;
  v_edge_free integer;
  -- A job's source is its repository's (scan_job_source): looked up only while a source is down.
  v_outages boolean := exists (select 1 from public.scan_source_outages);
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
  v_seats := public.pipeline_setting_int('max_scan_workers', 8);
  v_edge_free := public.pipeline_setting_int('max_edge_workers', 12)
    - (select count(*)::integer from public.scan_workers w where w.lapses_at >= v_now)
    - (select count(*)::integer from net.http_request_queue r
       where r.url in (select distinct v_url || '/functions/v1/' || t.worker from public.scan_job_types t where t.worker is not null));
  for v_worker in
    select t.worker, count(*)::integer as ready, bool_or(o.source is not null) as probing,
           (select count(*)::integer from net.http_request_queue r where r.url = v_url || '/functions/v1/' || t.worker) as waking
    from (select q.scan_type, q.repository_id, q.priority, q.run_after from public.scan_queue q
          where q.status = 'pending' and q.run_after <= v_now
          order by q.priority, q.run_after, q.id limit 2 * v_seats) q
    join public.scan_job_types t on t.name = q.scan_type
    left join public.scan_source_outages o on v_outages and o.source = public.scan_job_source(q.scan_type, q.repository_id)
    where t.worker is not null
      and (o.source is null or (o.blocked_until <= v_now and (o.probe_until is null or o.probe_until <= v_now)))
    group by t.worker
    order by min(q.priority), min(q.run_after)
  loop
    for i in 1 .. least(
        coalesce(p_max_workers, v_seats),
        v_edge_free,
        v_seats - (select count(*)::integer from public.scan_workers w where w.function_name = v_worker.worker and w.lapses_at >= v_now)
                - v_worker.waking,
        case when v_worker.probing then 1 - v_worker.waking else ceil(v_worker.ready / 2.0)::integer - v_worker.waking end) loop
      perform net.http_post(
        url := v_url || '/functions/v1/' || v_worker.worker,
        body := pg_catalog.jsonb_build_object('reason', p_reason),
        headers := v_headers,
        timeout_milliseconds := 10000);
      v_started := v_started + 1;
      v_edge_free := v_edge_free - 1;
    end loop;
  end loop;
  return v_started;
end $$;

create function public.dispatch_scan_workers_on_enqueue() returns trigger
language plpgsql security definer set search_path = ''
as $$
begin
  perform public.dispatch_scan_workers(null, 'enqueue');
  return null;
end $$;

create trigger scan_queue_dispatch_on_enqueue
  after insert on public.scan_queue
  for each statement execute function public.dispatch_scan_workers_on_enqueue();
