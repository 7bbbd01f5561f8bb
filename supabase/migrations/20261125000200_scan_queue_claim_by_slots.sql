-- claim_scan_jobs: which companies are at their cap is read from their slots, per candidate, instead
-- of counting running jobs first.
--
-- Why: the count (v_full, 20261124001000_scan_queue.sql) walked the whole scan_queue_running index on
-- every claim, and that index keeps an entry for every job that has left running until VACUUM
-- removes it: between two autovacuum runs each claim walked one entry more per job finished, so a busy
-- queue's claims got slower with every job (and the count was a second statement per claim). A
-- candidate is now taken only if its company has a free slot and no busy retired slot: two probes of
-- the slots' primary key, a handful of rows per company, kept small by HOT updates. A company at its
-- cap with many ready jobs still costs the claim one probe per job it walks past, as the count's filter
-- did (the fairness test: another company's single job waits at most one claim round).
-- Measured (bench/queue.ts drive, 4 no-op workers, 10,000 jobs, 4 interleaved rounds, each variant in
-- its own database of one cluster): 1.06–1.20× the throughput with the count (median 1.12×).
-- Otherwise as in 20261124005000_scan_queue_company_slots.sql.
create or replace function public.claim_scan_jobs(
  p_worker_id text,
  p_lease_seconds integer default 180,
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

  for v_round in 1..3 loop
    return query
    with candidates as (
      select q.id, q.company_id, q.priority, q.run_after from public.scan_queue q
      where q.status = 'pending' and q.run_after <= v_now
        and (p_scan_types is null or q.scan_type = any (p_scan_types))
        -- The company has a free slot (from round 2 on: one nobody else is taking, locked for us)…
        and (case when v_round = 1
                  then exists (select 1 from public.scan_queue_company_slots f
                               where f.company_id = q.company_id and f.job_id is null and not f.retiring)
                  else exists (select 1 from public.scan_queue_company_slots f
                               where f.company_id = q.company_id and f.job_id is null and not f.retiring
                               for update of f skip locked) end)
        -- …and no retired slot still busy (a lowered cap: nothing more until those jobs leave running).
        and not exists (select 1 from public.scan_queue_company_slots b
                        where b.company_id = q.company_id and b.retiring and b.job_id is not null)
      order by q.priority, q.run_after, q.id
      limit p_limit - v_claimed
      for update of q skip locked
    ), ranked as (
      select d.id, d.company_id,
             row_number() over (partition by d.company_id order by d.priority, d.run_after, d.id) as rank
      from candidates d
    ), slots as (
      -- Up to as many free slots as the company has candidates. (No candidate's company has a busy
      -- retired slot: the candidates' filter read that in this statement's snapshot. Asking again here,
      -- as 20261124005000 did, cost 4 no-op workers ~7 % of their throughput.)
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
      insert into public.scan_job_events (job_id, company_id, kind, attempt, worker_id, created_at)
      select c.id, c.company_id, 'claimed', c.attempts, c.worker_id, v_now from claimed c
    )
    select c.* from claimed c order by c.priority, c.run_after, c.id;
    get diagnostics v_n = row_count;
    v_claimed := v_claimed + v_n;
    exit when v_claimed >= p_limit or (v_round > 1 and v_n = 0);
  end loop;
end $$;

