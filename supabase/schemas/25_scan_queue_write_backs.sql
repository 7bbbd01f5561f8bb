-- Write-backs of the claimant, fenced by job id + attempt + status running: a late, duplicate or
-- reaped worker's write is refused (and the refusal logged), never applied. Every exit from
-- running frees the job's slot in the same transaction, and every exit to a finished status turns
-- the job's follow-up (an enqueue that arrived while it ran) into a pending job.

-- Extends the lease by the claim's lease_seconds and records progress (0–100) and a message (a
-- `progress` event when either is given). If a cancel was requested, the job becomes cancelled
-- here instead and the answer has cancel_requested = true: the worker stops.
create function public.heartbeat_scan_job(
  p_job_id uuid,
  p_attempt integer,
  p_progress integer default null,
  p_message text default null
) returns public.scan_job_write
language plpgsql volatile security definer set search_path = ''
as $$
declare
  v_now timestamptz := public.scan_queue_now();
  v_job public.scan_queue;
begin
  if p_progress is not null and p_progress not between 0 and 100 then
    raise exception 'heartbeat_scan_job: p_progress must be between 0 and 100, got %', p_progress using errcode = '22023';
  end if;
  update public.scan_queue q
  set heartbeat_at = v_now,
      lease_expires_at = case when q.cancel_requested_at is null
                              then v_now + pg_catalog.make_interval(secs => q.lease_seconds) end,
      progress = coalesce(p_progress, q.progress),
      progress_message = coalesce(p_message, q.progress_message),
      status = case when q.cancel_requested_at is null then 'running' else 'cancelled' end,
      completed_at = case when q.cancel_requested_at is null then null else v_now end
  where q.id = p_job_id and q.attempts = p_attempt and q.status = 'running'
  returning q.* into v_job;
  if not found then
    return public.scan_queue_refusal(p_job_id, p_attempt, 'heartbeat');
  end if;
  if p_progress is not null or p_message is not null then
    insert into public.scan_job_events (job_id, company_id, kind, attempt, worker_id, message, data, created_at)
    values (v_job.id, v_job.company_id, 'progress', v_job.attempts, v_job.worker_id, p_message,
            pg_catalog.jsonb_build_object('progress', v_job.progress), v_now);
  end if;
  if v_job.status = 'cancelled' then
    perform public.scan_queue_free_slots(array[v_job.company_id], array[v_job.id]);
    insert into public.scan_job_events (job_id, company_id, kind, attempt, worker_id, message, created_at)
    values (v_job.id, v_job.company_id, 'cancelled', v_job.attempts, v_job.worker_id,
            'cancelled at the worker''s heartbeat', v_now);
    perform public.scan_queue_job_finished(array[v_job.id]);
  end if;
  return public.scan_queue_accepted(v_job);
end $$;

-- The job succeeded: completed, with its result. A cancel requested while it ran does not undo
-- finished work.
create function public.complete_scan_job(
  p_job_id uuid,
  p_attempt integer,
  p_result jsonb default null
) returns public.scan_job_write
language plpgsql volatile security definer set search_path = ''
as $$
declare
  v_now timestamptz := public.scan_queue_now();
  v_job public.scan_queue;
begin
  with done as (
    update public.scan_queue q
    set status = 'completed', completed_at = v_now, result = p_result, progress = 100, lease_expires_at = null,
        error = null
    where q.id = p_job_id and q.attempts = p_attempt and q.status = 'running'
    returning q.*
  ), logged as (
    insert into public.scan_job_events (job_id, company_id, kind, attempt, worker_id, created_at)
    select d.id, d.company_id, 'completed', d.attempts, d.worker_id, v_now from done d
  )
  select * into v_job from done;
  if v_job.id is null then
    return public.scan_queue_refusal(p_job_id, p_attempt, 'complete');
  end if;
  perform public.scan_queue_free_slots(array[v_job.company_id], array[v_job.id]);
  if v_job.follow_up is not null then
    perform public.scan_queue_job_finished(array[v_job.id]);
  end if;
  return public.scan_queue_accepted(v_job);
end $$;

-- complete_scan_job for many jobs in one statement: p_jobs is a JSON array of
-- {"job_id", "attempt", "result"?}. Answers the accepted jobs, then one refusal per element that
-- did not complete (stale attempt, finished job …). A long-lived worker sends the completions that
-- pile up while one is in flight together (queue/worker/completer.ts), which is what lets 16
-- workers outrun graphile-worker (bench/queue.ts). One statement on the common path: the answers
-- are built from the UPDATE's RETURNING rather than read again, the slots are freed inline (a call
-- of scan_queue_free_slots would add a statement to every completion), and refusals are looked for
-- only when some element was not accepted.
create function public.complete_scan_jobs(p_jobs jsonb)
returns setof public.scan_job_write
language plpgsql volatile security definer set search_path = ''
  set plan_cache_mode = force_generic_plan set enable_seqscan = off set enable_bitmapscan = off
as $$
declare
  v_now timestamptz := public.scan_queue_now();
  v_accepted public.scan_job_write[];
  v_follow uuid[];
  v_refused record;
begin
  if p_jobs is null or pg_catalog.jsonb_typeof(p_jobs) <> 'array' then
    raise exception 'complete_scan_jobs: p_jobs must be a JSON array of {job_id, attempt, result}' using errcode = '22023';
  end if;
  with input as (
    select (e ->> 'job_id')::uuid as job_id, (e ->> 'attempt')::integer as attempt,
           case when pg_catalog.jsonb_typeof(e -> 'result') = 'null' then null else e -> 'result' end as result
    from pg_catalog.jsonb_array_elements(p_jobs) e
  ), done as (
    update public.scan_queue q
    set status = 'completed', completed_at = v_now, result = i.result, progress = 100, lease_expires_at = null,
        error = null
    from input i
    -- Primary-key lookups whatever the statistics say. The status is compared with a parameter so
    -- that the planner cannot walk another index instead, whose dead entries grow with churn.
    where q.id = any (array(select i2.job_id from input i2))
      and q.id = i.job_id and q.attempts = i.attempt and q.status = (select 'running'::text)
    returning q.id, q.company_id, q.attempts, q.worker_id, q.run_after, q.cancel_requested_at, q.follow_up
  ), logged as (
    insert into public.scan_job_events (job_id, company_id, kind, attempt, worker_id, created_at)
    select d.id, d.company_id, 'completed', d.attempts, d.worker_id, v_now from done d
  ), freed as (
    update public.scan_queue_company_slots s set job_id = null
    from done d where s.company_id = d.company_id and s.job_id = d.id and not s.retiring
  ), retired as (
    delete from public.scan_queue_company_slots s using done d
    where s.company_id = d.company_id and s.job_id = d.id and s.retiring
  )
  select array_agg(row(true, d.id, d.attempts, 'completed', d.run_after, null, d.cancel_requested_at is not null, null)::public.scan_job_write),
         array_agg(d.id) filter (where d.follow_up is not null)
    into v_accepted, v_follow from done d;
  if v_follow is not null then
    perform public.scan_queue_job_finished(v_follow);
  end if;
  return query select * from unnest(v_accepted);

  if coalesce(pg_catalog.cardinality(v_accepted), 0) = pg_catalog.jsonb_array_length(p_jobs) then
    return;
  end if;
  for v_refused in
    select (e ->> 'job_id')::uuid as job_id, (e ->> 'attempt')::integer as attempt
    from pg_catalog.jsonb_array_elements(p_jobs) e
    where not exists (select 1 from unnest(v_accepted) a
                      where a.job_id = (e ->> 'job_id')::uuid and a.attempt = (e ->> 'attempt')::integer)
  loop
    return next public.scan_queue_refusal(v_refused.job_id, v_refused.attempt, 'complete');
  end loop;
end $$;

-- The attempt failed. Retryable and attempts left: pending again after the backoff
-- (scan_queue_backoff). Otherwise dead, with the error. A job whose cancel was requested
-- becomes cancelled rather than retried.
create function public.fail_scan_job(
  p_job_id uuid,
  p_attempt integer,
  p_error text,
  p_retryable boolean default true
) returns public.scan_job_write
language plpgsql volatile security definer set search_path = ''
as $$
declare
  v_now timestamptz := public.scan_queue_now();
  v_job public.scan_queue;
begin
  update public.scan_queue q
  set status = case when q.cancel_requested_at is not null then 'cancelled'
                    when not coalesce(p_retryable, true) or q.attempts - q.attempts_waived >= q.max_attempts then 'dead'
                    else 'pending' end,
      run_after = case when q.cancel_requested_at is null and coalesce(p_retryable, true)
                             and q.attempts - q.attempts_waived < q.max_attempts
                        then v_now + public.scan_queue_backoff(q.attempts - q.attempts_waived)
                        else q.run_after end,
      completed_at = case when q.cancel_requested_at is not null or not coalesce(p_retryable, true)
                               or q.attempts - q.attempts_waived >= q.max_attempts then v_now end,
      error = coalesce(p_error, 'failed without an error message'),
      lease_expires_at = null
  where q.id = p_job_id and q.attempts = p_attempt and q.status = 'running'
  returning q.* into v_job;
  if not found then
    return public.scan_queue_refusal(p_job_id, p_attempt, 'fail');
  end if;
  perform public.scan_queue_free_slots(array[v_job.company_id], array[v_job.id]);
  insert into public.scan_job_events (job_id, company_id, kind, attempt, worker_id, message, data, created_at)
  values (v_job.id, v_job.company_id, 'failed', v_job.attempts, v_job.worker_id, v_job.error,
          pg_catalog.jsonb_build_object('retryable', coalesce(p_retryable, true), 'next_status', v_job.status,
                                        'run_after', case when v_job.status = 'pending' then v_job.run_after end),
          v_now);
  if v_job.status = 'cancelled' then
    insert into public.scan_job_events (job_id, company_id, kind, attempt, worker_id, message, created_at)
    values (v_job.id, v_job.company_id, 'cancelled', v_job.attempts, v_job.worker_id, 'cancel requested: not retried', v_now);
  end if;
  if v_job.status <> 'pending' then
    perform public.scan_queue_job_finished(array[v_job.id]);
  end if;
  return public.scan_queue_accepted(v_job);
end $$;

-- Not now: pending again at p_until, and this attempt does not count against max_attempts (a
-- GitHub rate limit: snooze to its reset; a worker shutting down: release, p_until = now). A job
-- whose cancel was requested becomes cancelled.
create function public.snooze_scan_job(
  p_job_id uuid,
  p_attempt integer,
  p_until timestamptz,
  p_reason text default null
) returns public.scan_job_write
language plpgsql volatile security definer set search_path = ''
as $$
declare
  v_now timestamptz := public.scan_queue_now();
  v_job public.scan_queue;
begin
  if p_until is null then
    raise exception 'snooze_scan_job: p_until is required' using errcode = '22023';
  end if;
  update public.scan_queue q
  set status = case when q.cancel_requested_at is null then 'pending' else 'cancelled' end,
      run_after = greatest(p_until, v_now),
      attempts_waived = q.attempts_waived + 1,
      completed_at = case when q.cancel_requested_at is null then null else v_now end,
      lease_expires_at = null
  where q.id = p_job_id and q.attempts = p_attempt and q.status = 'running'
  returning q.* into v_job;
  if not found then
    return public.scan_queue_refusal(p_job_id, p_attempt, 'snooze');
  end if;
  perform public.scan_queue_free_slots(array[v_job.company_id], array[v_job.id]);
  insert into public.scan_job_events (job_id, company_id, kind, attempt, worker_id, message, data, created_at)
  values (v_job.id, v_job.company_id, case when v_job.status = 'cancelled' then 'cancelled' else 'snoozed' end,
          v_job.attempts, v_job.worker_id, p_reason, pg_catalog.jsonb_build_object('until', v_job.run_after), v_now);
  if v_job.status = 'cancelled' then
    perform public.scan_queue_job_finished(array[v_job.id]);
  elsif v_job.run_after <= v_now then -- released: another worker may take it at once
    perform pg_catalog.pg_notify('scan_queue_jobs', '');
  end if;
  return public.scan_queue_accepted(v_job);
end $$;
