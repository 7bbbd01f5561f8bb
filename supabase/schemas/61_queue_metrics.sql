-- What an on-call person alerts on: the queue's lag (for the health function) and the figures the
-- queue-metrics function serves as Prometheus text. Read-only, the service's alone.

-- How long ready jobs wait for a worker: the oldest ready job's wait now, and the waits of the jobs
-- claimed within p_window and not waiting again (claim time − the time they became ready:
-- started_at − run_after; a claim keeps run_after, a snooze or a retry moves it). A rising p95 with
-- workers idle means dispatch is not waking them.
create function public.scan_queue_lag(p_window interval default '15 minutes') returns jsonb
language sql stable security definer set search_path = ''
as $$
  with now_ as (select public.scan_queue_now() as t),
  claimed as (
    select extract(epoch from q.started_at - q.run_after)::double precision as wait
    from public.scan_queue q, now_
    where q.status <> 'pending' and q.started_at >= now_.t - p_window and q.started_at >= q.run_after
  )
  select pg_catalog.jsonb_build_object(
    'oldest_ready_seconds', (select extract(epoch from max(now_.t) - min(q.run_after))::double precision
                             from public.scan_queue q, now_ where q.status = 'pending' and q.run_after <= now_.t),
    'window_seconds', extract(epoch from p_window)::double precision,
    'claimed', (select count(*) from claimed),
    'claim_wait_p50_seconds', (select percentile_cont(0.5) within group (order by wait) from claimed),
    'claim_wait_p95_seconds', (select percentile_cont(0.95) within group (order by wait) from claimed),
    'claim_wait_max_seconds', (select max(wait) from claimed))
$$;

-- Everything queue-metrics serves, in one read: jobs by type and status, the queue's lag and lost
-- leases, a histogram of completed scans' durations by type (bounds in seconds: an incremental scan
-- takes seconds, a first full scan of a large repository tens of minutes), GitHub requests summed
-- over the scans (scans are kept, so these only grow: counters), the snoozes GitHub's rate limits
-- caused (from the job log, which pruning trims: over its retention), dead letters, and webhook
-- deliveries by outcome once the webhook ingress's table exists (read dynamically so that this file
-- does not depend on it).
create function public.queue_metrics() returns jsonb
language plpgsql stable security definer set search_path = ''
as $$
declare
  v_stats jsonb := public.scan_queue_stats();
  v_deliveries jsonb;
begin
  if pg_catalog.to_regclass('public.github_webhook_deliveries') is not null then
    execute 'select coalesce(pg_catalog.jsonb_object_agg(d.outcome, d.n), ''{}'')
             from (select outcome, count(*) as n from public.github_webhook_deliveries group by outcome) d' into v_deliveries;
  end if;
  return pg_catalog.jsonb_build_object(
    'jobs', (select coalesce(pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object('scan_type', j.scan_type, 'status', j.status, 'jobs', j.n)
                                                   order by j.scan_type, j.status), '[]')
             from (select scan_type, status, count(*) as n from public.scan_queue group by 1, 2) j),
    'ready', v_stats -> 'ready',
    'expired_leases', v_stats -> 'expired_leases',
    'overdue_heartbeats', v_stats -> 'overdue_heartbeats',
    'sources_down', (select coalesce(pg_catalog.jsonb_agg(o -> 'source'), '[]') from pg_catalog.jsonb_array_elements(v_stats -> 'source_outages') o),
    'lag', public.scan_queue_lag(),
    'scan_duration_bounds', pg_catalog.jsonb_build_array(1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600),
    'scan_durations', (select coalesce(pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
                         'scan_type', d.scan_type, 'count', d.n, 'sum', d.total,
                         'buckets', pg_catalog.jsonb_build_array(d.b1, d.b5, d.b15, d.b30, d.b60, d.b120, d.b300, d.b600, d.b1800, d.b3600))
                         order by d.scan_type), '[]')
                       from (select s.scan_type, count(*) as n, coalesce(sum(s.secs), 0) as total,
                                    count(*) filter (where s.secs <= 1) as b1, count(*) filter (where s.secs <= 5) as b5,
                                    count(*) filter (where s.secs <= 15) as b15, count(*) filter (where s.secs <= 30) as b30,
                                    count(*) filter (where s.secs <= 60) as b60, count(*) filter (where s.secs <= 120) as b120,
                                    count(*) filter (where s.secs <= 300) as b300, count(*) filter (where s.secs <= 600) as b600,
                                    count(*) filter (where s.secs <= 1800) as b1800, count(*) filter (where s.secs <= 3600) as b3600
                             from (select scan_type, extract(epoch from completed_at - started_at)::double precision as secs
                                   from public.scans where status = 'completed' and completed_at is not null) s
                             group by s.scan_type) d),
    'github_requests', (select pg_catalog.jsonb_build_object(
                          'requests', coalesce(sum((s.api_requests ->> 'requests')::bigint), 0),
                          'counted', coalesce(sum((s.api_requests ->> 'counted')::bigint), 0),
                          'not_modified', coalesce(sum((s.api_requests ->> 'not_modified')::bigint), 0),
                          'graphql_points', coalesce(sum((s.api_requests ->> 'graphql_points')::bigint), 0))
                        from public.scans s),
    'rate_limit_snoozes', (select count(*) from public.scan_job_events e where e.kind = 'snoozed' and e.message ~* 'rate limit'),
    'dead', (select coalesce(pg_catalog.jsonb_object_agg(d.scan_type, d.n), '{}')
             from (select scan_type, count(*) as n from public.scan_queue where status = 'dead' group by 1) d),
    'webhook_deliveries', v_deliveries);
end $$;
