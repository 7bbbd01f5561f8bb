-- Issue 24 #9: one repository whose GitHub requests hang opened GitHub's circuit for every company,
-- over and over (its job the probe, hanging again), and the hung job spent no attempt and had no
-- time limit. A timeout is now told apart from an outage by other jobs' answers since the attempt
-- began (scan_source_answers): then it is the job's failed attempt, the circuit untouched.

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

grant select on public.scan_source_answers to service_role;

-- The claimant's source answered (any answer that is not an outage: 2xx, 304, 4xx): the source is
-- up. Closes its circuit if it was open and wakes the workers, and the job's own wait on outages
-- ends; the answer is noted (scan_source_answers) as evidence that the source is up. Fenced like
-- every write-back; answers whether a circuit was closed.
create or replace function public.scan_source_answered(p_job_id uuid, p_attempt integer) returns boolean
language plpgsql volatile security definer set search_path = ''
as $$
declare
  v_closed boolean;
  v_source text;
  v_now timestamptz := public.scan_queue_now();
begin
  with job as (
    select q.id, q.scan_type, q.source_outage_since from public.scan_queue q
    where q.id = p_job_id and q.attempts = p_attempt and q.status = 'running'
  ), cleared as ( -- only when set: most jobs never met an outage, and this runs once per job
    update public.scan_queue q set source_outage_since = null
    from job j where q.id = j.id and j.source_outage_since is not null
  ), closed as (
    delete from public.scan_source_outages o
    using job j join public.scan_job_types t on t.name = j.scan_type
    where o.source = t.source
    returning o.source
  )
  select exists (select 1 from closed), (select t.source from job j join public.scan_job_types t on t.name = j.scan_type)
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
    select t.source into v_source from public.scan_job_types t where t.name = v_job.scan_type;
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

revoke all on function public.report_scan_source_timeout(uuid, integer, text) from public, anon, authenticated, service_role;
grant execute on function public.report_scan_source_timeout(uuid, integer, text) to service_role;
