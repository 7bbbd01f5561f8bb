-- Waking the scan workers (the scan-repository edge function) through pg_net, two ways:
--  * at once: a trigger on enqueue posts when ready jobs appear (pg_net sends after commit, so a
--    rolled-back enqueue wakes nobody);
--  * as the backstop: pg_cron every 10 seconds, for retries whose backoff ended, snoozed jobs whose
--    time came, jobs a dead worker's lease released, and wake-ups that were lost.
-- The function's URL and key come from Vault (`project_url`, `service_role_key`), the pattern
-- Supabase documents for cron → edge function calls; without them nothing is sent.

-- How many workers to start now: one per five ready jobs, at most p_max_workers, minus none
-- (a worker drains until the queue is empty, so a few are enough; the per-company cap keeps fairness).
create function public.dispatch_scan_workers(p_max_workers integer default 2, p_reason text default 'tick')
returns integer
language plpgsql security definer set search_path = ''
as $$
declare
  v_url text;
  v_key text;
  v_ready integer;
  v_workers integer;
begin
  select decrypted_secret into v_url from vault.decrypted_secrets where name = 'project_url';
  select decrypted_secret into v_key from vault.decrypted_secrets where name = 'service_role_key';
  if v_url is null or v_key is null then
    return 0; -- not configured (see README: Vault secrets project_url and service_role_key)
  end if;
  select count(*) into v_ready from (
    select 1 from public.scan_queue
     where status = 'pending' and run_after <= now() and scan_type in ('full_scan', 'incremental_scan', 'pr_analysis')
     limit 5 * p_max_workers) r;
  v_workers := least(p_max_workers, ceil(v_ready / 5.0)::integer);
  for i in 1 .. v_workers loop
    perform net.http_post(
      url := v_url || '/functions/v1/scan-repository',
      body := jsonb_build_object('reason', p_reason),
      headers := jsonb_build_object('Content-Type', 'application/json', 'Authorization', 'Bearer ' || v_key),
      timeout_milliseconds := 10000);
  end loop;
  return v_workers;
end $$;
revoke execute on function public.dispatch_scan_workers(integer, text) from public, anon, authenticated;
grant execute on function public.dispatch_scan_workers(integer, text) to service_role;

create function public.dispatch_scan_workers_on_enqueue() returns trigger
language plpgsql security definer set search_path = ''
as $$
begin
  perform public.dispatch_scan_workers(1, 'enqueue');
  return null;
end $$;
revoke execute on function public.dispatch_scan_workers_on_enqueue() from public, anon, authenticated;

create trigger scan_queue_dispatch_on_enqueue
  after insert on public.scan_queue
  for each statement execute function public.dispatch_scan_workers_on_enqueue();

select cron.schedule('codeguard-dispatch-scan-workers', '10 seconds', $$select public.dispatch_scan_workers()$$);
