-- Outages of the sources jobs read (GitHub; a job's source: scan_job_source). A source that refuses connections, times out or
-- answers 5xx is not the job's fault: the job is snoozed without spending an attempt, and claiming
-- the source's jobs pauses while it is down — a circuit breaker in the database, so that every
-- worker (edge invocations keep nothing between calls) sees the same state.
--
-- The circuit of a source: closed (no row), or open (a row) until its blocked_until; then the next
-- claim takes one job of the source as the probe (probe_job_id, for one lease). If the probe's
-- source answers, the worker says so (scan_source_answered) and the row goes: the circuit is
-- closed, workers are notified, every waiting job is claimable again. If the probe meets the
-- outage again, blocked_until moves on by the next step of the backoff. A probe whose worker died
-- is replaced when its lease has run out. Jobs that were already running when the source went
-- down report too, but only the probe's report grows the backoff (eight workers failing at once
-- are one outage, not eight).
--
-- Why a backoff of 5 s doubling to 30 s: a source that comes back is used again within 30 s, and
-- a source that stays down costs it one request a probe. A job gives up after it has waited on
-- outages of its source for 6 hours (scan_queue_outage_give_up), with a reason saying what to do.

create table public.scan_source_outages (
  source text primary key,
  since timestamptz not null,
  -- Failed probes so far (the first report counts as one): the step of the backoff.
  failures integer not null check (failures >= 1),
  -- No job of the source is claimed before this; then one, as the probe.
  blocked_until timestamptz not null,
  probe_job_id uuid,
  -- While the probe holds (a lease from its claim), no other probe is taken.
  probe_until timestamptz,
  last_error text not null,
  updated_at timestamptz not null
);
alter table public.scan_source_outages enable row level security; -- the pipeline's alone: no policy

comment on table public.scan_source_outages is
  'Sources (GitHub) that are down: their jobs are not claimed before blocked_until, then one probe at a time. No row: the source is up.';

-- Wait before the next probe after `p_failures` failed ones: 5 s, 10 s, 20 s, then 30 s, ± 10 %.
create function public.scan_queue_outage_backoff(p_failures integer) returns interval
language sql volatile
as $$
  select pg_catalog.make_interval(secs => least(30, 5 * power(2, greatest(p_failures, 1) - 1)) * (0.9 + 0.2 * pg_catalog.random()))
$$;

-- How long a job waits on outages of its source before it gives up (dead, with what to do).
create function public.scan_queue_outage_give_up() returns interval
language sql immutable
as $$ select interval '6 hours' $$;

-- The source a job reads: for a type that reads one (scan_job_types.source not null), its
-- repository's (repositories.source) — a GitHub and a GitLab repository's scans are the same job
-- types, and an outage of one must not pause the other —, or the type's for a job without a
-- repository; null for a type that reads none. Outages, probes and answers are keyed on it.
create function public.scan_job_source(p_scan_type public.scan_type_name, p_repository_id uuid) returns text
language sql stable security definer set search_path = ''
as $$
  select case when t.source is null then null
              else coalesce((select r.source from public.repositories r where r.id = p_repository_id), t.source) end
  from public.scan_job_types t where t.name = p_scan_type
$$;

-- The claimant met an outage of its job's source (connection refused, timeout, 5xx after the
-- client's own retries): the job goes back to pending until the source's next probe, without
-- spending an attempt, and the source's circuit opens (or, for the probe, stays open longer).
-- A job that has waited on outages for longer than scan_queue_outage_give_up() goes dead instead,
-- saying what to do; a job whose cancel was requested becomes cancelled.
create function public.report_scan_source_outage(p_job_id uuid, p_attempt integer, p_error text)
returns public.scan_job_write
language plpgsql volatile security definer set search_path = ''
as $$
declare
  v_now timestamptz := public.scan_queue_now();
  v_job public.scan_queue;
  v_source text;
  v_outage public.scan_source_outages;
  v_error text := coalesce(p_error, 'the source did not answer');
  v_give_up boolean;
begin
  select q.* into v_job from public.scan_queue q
  where q.id = p_job_id and q.attempts = p_attempt and q.status = 'running'
  for update;
  if not found then
    return public.scan_queue_refusal(p_job_id, p_attempt, 'report outage');
  end if;
  v_source := public.scan_job_source(v_job.scan_type, v_job.repository_id);
  if v_source is null then
    raise exception 'report_scan_source_outage: job type % reads no source (scan_job_types.source is null)', v_job.scan_type
      using errcode = '22023', hint = 'Fail the job instead (fail_scan_job), or give its type a source.';
  end if;

  insert into public.scan_source_outages as o (source, since, failures, blocked_until, last_error, updated_at)
  values (v_source, v_now, 1, v_now + public.scan_queue_outage_backoff(1), v_error, v_now)
  on conflict (source) do update
    set failures = case when o.probe_job_id = p_job_id then o.failures + 1 else o.failures end,
        blocked_until = case when o.probe_job_id = p_job_id then v_now + public.scan_queue_outage_backoff(o.failures + 1)
                             else o.blocked_until end,
        probe_job_id = case when o.probe_job_id = p_job_id then null else o.probe_job_id end,
        probe_until = case when o.probe_job_id = p_job_id then null else o.probe_until end,
        last_error = excluded.last_error, updated_at = v_now
  returning o.* into v_outage;

  v_give_up := v_job.source_outage_since is not null and v_now - v_job.source_outage_since >= public.scan_queue_outage_give_up();
  update public.scan_queue q
  set status = case when q.cancel_requested_at is not null then 'cancelled' when v_give_up then 'dead' else 'pending' end,
      run_after = case when v_give_up or q.cancel_requested_at is not null then q.run_after
                       else greatest(v_outage.blocked_until, v_now) end,
      attempts_waived = q.attempts_waived + 1, -- an outage never spends an attempt, even the one it gives up on
      completed_at = case when v_give_up or q.cancel_requested_at is not null then v_now end,
      source_outage_since = coalesce(q.source_outage_since, v_now),
      error = case when v_give_up then pg_catalog.format(
                '%s has been unreachable for this job since %s (%s); it gave up after %s. Check %s''s status '
                '(for GitHub: https://www.githubstatus.com) and that the worker reaches it (GITHUB_API_URL, network), '
                'then retry the job: select public.retry_scan_job(%L)',
                v_source, q.source_outage_since, v_error, public.scan_queue_outage_give_up(), v_source, q.id)
                   else v_error end,
      lease_expires_at = null
  where q.id = v_job.id
  returning q.* into v_job;
  perform public.scan_queue_free_slots(array[v_job.company_id], array[v_job.id]);
  insert into public.scan_job_events (job_id, company_id, kind, attempt, worker_id, message, data, created_at)
  values (v_job.id, v_job.company_id,
          case v_job.status when 'pending' then 'snoozed' when 'dead' then 'failed' else 'cancelled' end,
          v_job.attempts, v_job.worker_id, v_job.error,
          pg_catalog.jsonb_build_object('source', v_source, 'outage_since', v_outage.since, 'failed_probes', v_outage.failures,
                                        'until', case when v_job.status = 'pending' then v_job.run_after end,
                                        'next_status', v_job.status),
          v_now);
  if v_job.status <> 'pending' then
    perform public.scan_queue_job_finished(array[v_job.id]);
  end if;
  return public.scan_queue_accepted(v_job);
end $$;

-- Which jobs heard from their source lately: one row per job, at its attempt's first answer
-- (scan_source_answered), kept 10 minutes. It tells one repository whose requests hang apart from
-- the source hanging for everyone (report_scan_source_timeout): other jobs' answers since the
-- timed-out attempt began say the source is up.
create table public.scan_source_answers (
  source text not null,
  job_id uuid not null,
  answered_at timestamptz not null,
  primary key (source, job_id)
);
create index scan_source_answers_source_answered on public.scan_source_answers (source, answered_at);
alter table public.scan_source_answers enable row level security; -- the pipeline's alone: no policy

-- The claimant's source answered (any answer that is not an outage: 2xx, 304, 4xx): the source is
-- up. Closes its circuit if it was open and wakes the workers, and the job's own wait on outages
-- ends; the answer is noted (scan_source_answers) as evidence that the source is up. Fenced like
-- every write-back; answers whether a circuit was closed.
create function public.scan_source_answered(p_job_id uuid, p_attempt integer) returns boolean
language plpgsql volatile security definer set search_path = ''
as $$
declare
  v_closed boolean;
  v_source text;
  v_now timestamptz := public.scan_queue_now();
begin
  with job as (
    select q.id, q.source_outage_since, public.scan_job_source(q.scan_type, q.repository_id) as source from public.scan_queue q
    where q.id = p_job_id and q.attempts = p_attempt and q.status = 'running'
  ), cleared as ( -- only when set: most jobs never met an outage, and this runs once per job
    update public.scan_queue q set source_outage_since = null
    from job j where q.id = j.id and j.source_outage_since is not null
  ), closed as (
    delete from public.scan_source_outages o
    using job j
    where o.source = j.source
    returning o.source
  )
  select exists (select 1 from closed), (select j.source from job j)
  into v_closed, v_source;
  if v_source is not null then
    insert into public.scan_source_answers as a (source, job_id, answered_at) values (v_source, p_job_id, v_now)
    on conflict (source, job_id) do update set answered_at = excluded.answered_at;
    delete from public.scan_source_answers a where a.source = v_source and a.answered_at < v_now - interval '10 minutes';
  end if;
  if v_closed then
    perform pg_catalog.pg_notify('scan_queue_jobs', '');
  end if;
  return v_closed;
end $$;

-- The claimant's requests to its source all went unanswered (timeouts, every try: no refused
-- connection, no 5xx). Either the source hangs for everyone — an outage — or only this job's
-- requests hang (one repository the source cannot serve in time), and opening the source's
-- circuit for that would pause every company's jobs, the hung one then probing and reopening it
-- over and over. Evidence decides: when another job of the source heard from it since this attempt
-- began (scan_source_answers), the source is up and the timeout is this job's — a failed attempt
-- (fail_scan_job: retried after its backoff, dead after max_attempts, saying why), the circuit
-- untouched. Without such evidence it is an outage (report_scan_source_outage).
create function public.report_scan_source_timeout(p_job_id uuid, p_attempt integer, p_error text)
returns public.scan_job_write
language plpgsql volatile security definer set search_path = ''
as $$
declare
  v_job public.scan_queue;
  v_source text;
  v_others integer;
begin
  select q.* into v_job from public.scan_queue q where q.id = p_job_id and q.attempts = p_attempt and q.status = 'running';
  if found then
    v_source := public.scan_job_source(v_job.scan_type, v_job.repository_id);
    select count(*)::integer into v_others from public.scan_source_answers a
    where a.source = v_source and a.job_id <> p_job_id and a.answered_at >= v_job.started_at;
    if v_others > 0 then
      return public.fail_scan_job(p_job_id, p_attempt, pg_catalog.format(
        '%s did not answer this job''s requests in time (%s) while it answered %s other job(s) meanwhile: '
        'this repository''s requests hang, not %s; counted as a failed attempt',
        v_source, coalesce(p_error, 'timeouts'), v_others, v_source), true);
    end if;
  end if;
  return public.report_scan_source_outage(p_job_id, p_attempt, p_error);
end $$;
