-- Claim: ready jobs for a worker, in one statement per round, with a short lease.

-- Claims up to p_limit ready jobs for p_worker_id with a lease of p_lease_seconds (renewed by the
-- worker's heartbeats): highest priority first, then oldest run_after; SKIP LOCKED, so concurrent
-- claimers never wait on each other's rows; never more running jobs per company than its
-- max_concurrent_scans; and no jobs of a source that is down, but for one probe
-- (22_scan_source_outages.sql).
--
-- One statement per round. Each company's candidates (in claim order) are paired with its free
-- slots (in slot order), taken with SKIP LOCKED; candidates left without a slot stay pending. A
-- candidate is taken only if its company has a free slot and no busy retired slot — two probes of
-- the slots' primary key, a handful of rows per company — rather than by counting its running jobs
-- first: the count walked an index whose entries for jobs that left running stay until VACUUM, so a
-- busy queue's claims got slower with every job finished (1.06–1.20× the throughput without it, 4
-- no-op workers, 10,000 jobs). A company at its cap with many ready jobs costs the claim one probe
-- per job it walks past. A round that comes back short is followed by another that only considers
-- companies with a free slot nobody else holds (a company that just reached its cap, or whose free
-- slots other claimers are taking, does not take the candidate places again; the EXISTS locks the
-- slot it finds, which this claim may then take), up to three rounds; a later round that claims
-- nothing ends the claim. Rows go straight out of each round's statement.
--
-- Round 0 runs only when a source's circuit is due for a probe: it claims one job of that source
-- (a job's source: scan_job_source, its repository's).
--
-- Plans: generic (planning this statement at every call cost more than running it: ~1 ms against
-- ~0.4), and pinned to the ready index walk by the planner settings below. Why pinned: a generic
-- plan is made once per connection, and one made while the table's statistics said "empty" (a
-- fresh or truncated queue) sorted every ready row for every claim — 2.5 ms a claim at 3,000 ready
-- jobs, for as long as the connection lived. No seq scan, bitmap scan or sort leaves the ordered
-- walk of scan_queue_ready (and primary-key lookups) as the only plan, whatever the statistics.
create function public.claim_scan_jobs(
  p_worker_id text,
  p_lease_seconds integer default 30,
  p_scan_types text[] default null,
  p_limit integer default 10
) returns setof public.scan_queue
language plpgsql volatile security definer set search_path = ''
  set plan_cache_mode = force_generic_plan set enable_seqscan = off set enable_bitmapscan = off set enable_sort = off
as $$
declare
  v_now timestamptz := public.scan_queue_now();
  v_claimed integer := 0;
  v_n integer;
  -- Sources that are down: their jobs are not claimed, but for the probe of round 0.
  v_blocked text[];
  -- Round 0: the source whose probe this claim took.
  v_probe_source text;
begin
  if p_worker_id is null or p_worker_id = '' then
    raise exception 'claim_scan_jobs: p_worker_id is required' using errcode = '22023';
  end if;
  if p_lease_seconds is null or p_lease_seconds not between 1 and 3600 then
    raise exception 'claim_scan_jobs: p_lease_seconds must be between 1 and 3600, got %', p_lease_seconds
      using errcode = '22023';
  end if;
  if p_limit is null or p_limit < 1 then
    return;
  end if;

  -- Normally no source is down, and this is one probe of an empty primary key.
  -- A job's source is its repository's (scan_job_source), so only while a source is down does the
  -- claim look each candidate's up; otherwise the filter below stops at `v_blocked is null`.
  if exists (select 1 from public.scan_source_outages) then
    select pg_catalog.array_agg(o.source) into v_blocked from public.scan_source_outages o;
    -- Take the probe of one source whose wait is over, if this claimer runs jobs that read sources.
    with due as (
      select o.source from public.scan_source_outages o
      where o.blocked_until <= v_now and (o.probe_until is null or o.probe_until <= v_now)
        and exists (select 1 from public.scan_job_types t
                    where t.source is not null and (p_scan_types is null or t.name = any (p_scan_types)))
      order by o.blocked_until limit 1
      for update skip locked
    )
    update public.scan_source_outages o
    set probe_until = v_now + pg_catalog.make_interval(secs => p_lease_seconds), probe_job_id = null
    from due d where o.source = d.source
    returning o.source into v_probe_source;
  end if;

  for v_round in (case when v_probe_source is null then 1 else 0 end)..3 loop
    return query
    with candidates as (
      select q.id, q.company_id, q.priority, q.run_after from public.scan_queue q
      where q.status = 'pending' and q.run_after <= v_now
        and (p_scan_types is null or q.scan_type = any (p_scan_types))
        and (case when v_round = 0 then public.scan_job_source(q.scan_type, q.repository_id) = v_probe_source
                  else v_blocked is null
                       or coalesce(public.scan_job_source(q.scan_type, q.repository_id), '') <> all (v_blocked) end)
        -- The company has a free slot (from round 2 on: one nobody else is taking, locked for us)…
        and (case when v_round <= 1
                  then exists (select 1 from public.scan_queue_company_slots f
                               where f.company_id = q.company_id and f.job_id is null and not f.retiring)
                  else exists (select 1 from public.scan_queue_company_slots f
                               where f.company_id = q.company_id and f.job_id is null and not f.retiring
                               for update of f skip locked) end)
        -- …and no retired slot still busy (a lowered cap: nothing more until those jobs leave running).
        and not exists (select 1 from public.scan_queue_company_slots b
                        where b.company_id = q.company_id and b.retiring and b.job_id is not null)
      order by q.priority, q.run_after, q.id
      limit case when v_round = 0 then 1 else p_limit - v_claimed end
      for update of q skip locked
    ), ranked as (
      select d.id, d.company_id,
             row_number() over (partition by d.company_id order by d.priority, d.run_after, d.id) as rank
      from candidates d
    ), slots as (
      -- Up to as many free slots as the company has candidates. (No candidate's company has a busy
      -- retired slot: the candidates' filter read that in this statement's snapshot. Asking again
      -- here cost 4 no-op workers ~7 % of their throughput.)
      select w.company_id, s.slot, row_number() over (partition by w.company_id order by s.slot) as rank
      from (select r.company_id, max(r.rank) as wanted from ranked r group by r.company_id) w
      cross join lateral (
        select s.slot from public.scan_queue_company_slots s
        where s.company_id = w.company_id and s.job_id is null and not s.retiring
        order by s.slot
        limit w.wanted
        for update of s skip locked
      ) s
    ), paired as (
      select r.id, r.company_id, s.slot from ranked r join slots s on s.company_id = r.company_id and s.rank = r.rank
    ), taken as (
      update public.scan_queue_company_slots s set job_id = p.id
      from paired p where s.company_id = p.company_id and s.slot = p.slot
    ), claimed as (
      update public.scan_queue q
      set status = 'running', attempts = q.attempts + 1, worker_id = p_worker_id, lease_seconds = p_lease_seconds,
          lease_expires_at = v_now + pg_catalog.make_interval(secs => p_lease_seconds), started_at = v_now,
          heartbeat_at = v_now, progress = 0, progress_message = null
      where q.id = any (array(select p.id from paired p))
      returning q.*
    ), logged as (
      insert into public.scan_job_events (job_id, company_id, kind, attempt, worker_id, data, created_at)
      select c.id, c.company_id, 'claimed', c.attempts, c.worker_id,
             case when v_round = 0 then pg_catalog.jsonb_build_object('probe', v_probe_source) end, v_now
      from claimed c
    ), probing as (
      update public.scan_source_outages o set probe_job_id = c.id
      from claimed c where v_round = 0 and o.source = v_probe_source
    )
    select c.* from claimed c order by c.priority, c.run_after, c.id;
    get diagnostics v_n = row_count;
    v_claimed := v_claimed + v_n;
    if v_round = 0 and v_n = 0 then -- nothing of that source to probe with: the next claim may try again
      update public.scan_source_outages o set probe_until = null where o.source = v_probe_source;
    end if;
    exit when v_claimed >= p_limit or (v_round > 1 and v_n = 0);
  end loop;
end $$;

-- Claims one job (see claim_scan_jobs), or answers null.
create function public.claim_next_scan_job(
  p_worker_id text,
  p_lease_seconds integer default 30,
  p_scan_types text[] default null
) returns public.scan_queue
language sql volatile security definer set search_path = ''
as $$ select j from public.claim_scan_jobs(p_worker_id, p_lease_seconds, p_scan_types, 1) j limit 1 $$;

-- Claims one given job — a request that names the job to process now (the scan-repository
-- function's {"job_id": …}) — if it is ready, its company has a free slot, and its source is not
-- down; otherwise answers nothing (another worker holds it, it waits, or it is finished). The
-- same claim as claim_scan_jobs, for one row found by its key.
create function public.claim_scan_job(p_job_id uuid, p_worker_id text, p_lease_seconds integer default 30)
returns setof public.scan_queue
language plpgsql volatile security definer set search_path = ''
as $$
declare
  v_now timestamptz := public.scan_queue_now();
  v_job public.scan_queue;
  v_slot smallint;
begin
  if p_worker_id is null or p_worker_id = '' then
    raise exception 'claim_scan_job: p_worker_id is required' using errcode = '22023';
  end if;
  if p_lease_seconds is null or p_lease_seconds not between 1 and 3600 then
    raise exception 'claim_scan_job: p_lease_seconds must be between 1 and 3600, got %', p_lease_seconds using errcode = '22023';
  end if;
  select q.* into v_job from public.scan_queue q
  where q.id = p_job_id and q.status = 'pending' and q.run_after <= v_now
    and not exists (select 1 from public.scan_source_outages o
                    where o.source = public.scan_job_source(q.scan_type, q.repository_id))
    and not exists (select 1 from public.scan_queue_company_slots b
                    where b.company_id = q.company_id and b.retiring and b.job_id is not null)
  for update of q skip locked;
  if not found then
    return;
  end if;
  select s.slot into v_slot from public.scan_queue_company_slots s
  where s.company_id = v_job.company_id and s.job_id is null and not s.retiring
  order by s.slot limit 1
  for update of s skip locked;
  if not found then
    return;
  end if;
  update public.scan_queue_company_slots s set job_id = v_job.id where s.company_id = v_job.company_id and s.slot = v_slot;
  return query
  with claimed as (
    update public.scan_queue q
    set status = 'running', attempts = q.attempts + 1, worker_id = p_worker_id, lease_seconds = p_lease_seconds,
        lease_expires_at = v_now + pg_catalog.make_interval(secs => p_lease_seconds), started_at = v_now,
        heartbeat_at = v_now, progress = 0, progress_message = null
    where q.id = v_job.id
    returning q.*
  ), logged as (
    insert into public.scan_job_events (job_id, company_id, kind, attempt, worker_id, data, created_at)
    select c.id, c.company_id, 'claimed', c.attempts, c.worker_id, '{"named": true}', v_now from claimed c
  )
  select * from claimed;
end $$;
