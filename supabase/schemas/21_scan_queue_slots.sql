-- The per-company cap on running jobs, as slot rows.
--
-- Why slots and not a counter: claims and completions queued on a counter row. A claim locked its
-- candidates' companies' counters until it committed, and so did every completion and failure, so
-- two workers touching the same company ran one after the other. Slots are taken with SKIP LOCKED
-- and freed by job id: nobody waits. pgbench on the embedded Postgres (claim of 4 + complete of 4 per
-- transaction, 32 companies, cap 2, 40,000 ready jobs; function times from pg_stat_user_functions):
--   1 client   counter  625–672 tx/s   claim 622–664 µs   complete 449–496 µs
--              slots    644–762 tx/s   claim 570–691 µs   complete 329–396 µs
--   4 clients  counter  1,267–1,319    claim 1.02–1.07 ms complete 0.78–0.83 ms (waits included)
--              slots    1,407–1,478    claim 0.84–0.92 ms complete 0.42–0.45 ms
--
-- How: a company has `cap` slot rows (settings.max_concurrent_scans, default 2). A claim takes a free
-- slot for each job it claims, with FOR UPDATE SKIP LOCKED: it never waits, and a slot another
-- claimer is taking at that moment is simply not free. Every exit from running frees the job's slot
-- (scan_queue_free_slots), found by company + job id, so a write can only ever free its own job's
-- slot. Slots are exclusive rows, so the cap holds under any number of concurrent claimers; and
-- since every running job holds exactly one, they are also the list of running jobs the reaper walks.
-- Lowering the cap retires the busy slots above it: the company claims nothing more until those jobs
-- have left running (jobs already running are not stopped).

create table public.scan_queue_company_slots (
  company_id uuid not null references public.companies (id) on delete cascade,
  slot smallint not null check (slot >= 1),
  -- The running job holding the slot; null when free.
  job_id uuid,
  -- Above the company's (lowered) cap: never taken again; while busy, the company claims nothing.
  retiring boolean not null default false,
  primary key (company_id, slot)
);
-- Taken and freed on every claim and exit, and only job_id changes: HOT updates, room on the page.
alter table public.scan_queue_company_slots set (fillfactor = 50);
alter table public.scan_queue_company_slots enable row level security; -- the pipeline's alone: no policy

comment on table public.scan_queue_company_slots is
  'The per-company cap on running scan_queue jobs: max_concurrent_scans slot rows per company, each free or held by one running job. Taken by claim_scan_jobs, freed on every exit from running.';

-- A company's slots follow its cap: created with the company, added when the cap rises, retired
-- (busy) or deleted (free) above a lowered cap.
create function public.scan_queue_sync_company_slots() returns trigger
language plpgsql security definer set search_path = ''
as $$
declare
  v_cap integer := public.scan_queue_company_cap(new.settings);
begin
  if tg_op = 'UPDATE' and public.scan_queue_company_cap(old.settings) = v_cap then
    return null;
  end if;
  insert into public.scan_queue_company_slots (company_id, slot)
  select new.id, g from pg_catalog.generate_series(1, v_cap) g
  on conflict (company_id, slot) do update set retiring = false where public.scan_queue_company_slots.retiring;
  delete from public.scan_queue_company_slots s where s.company_id = new.id and s.slot > v_cap and s.job_id is null;
  update public.scan_queue_company_slots s set retiring = true
  where s.company_id = new.id and s.slot > v_cap and not s.retiring;
  return null;
end $$;

create trigger scan_queue_company_slots_sync after insert or update of settings on public.companies
  for each row execute function public.scan_queue_sync_company_slots();

-- Frees the slots of jobs that left running (p_company_ids[i] is the company of p_job_ids[i]).
-- Every function that moves a job out of running calls it in the same transaction; deletes of
-- running rows (cascades) go through the trigger below. A retired slot is deleted rather than freed.
create function public.scan_queue_free_slots(p_company_ids uuid[], p_job_ids uuid[]) returns void
language plpgsql volatile security definer set search_path = '' set plan_cache_mode = force_generic_plan
as $$
begin
  if p_job_ids is null or pg_catalog.cardinality(p_job_ids) = 0 then
    return;
  end if;
  with retired as (
    delete from public.scan_queue_company_slots s using unnest(p_company_ids, p_job_ids) as u (company_id, job_id)
    where s.company_id = u.company_id and s.job_id = u.job_id and s.retiring
  )
  update public.scan_queue_company_slots s set job_id = null
  from unnest(p_company_ids, p_job_ids) as u (company_id, job_id)
  where s.company_id = u.company_id and s.job_id = u.job_id and not s.retiring;
end $$;

-- Running jobs deleted (a repository's cascade): their slots are freed.
create function public.scan_queue_slots_on_delete() returns trigger
language plpgsql security definer set search_path = ''
as $$
begin
  perform public.scan_queue_free_slots(array_agg(o.company_id), array_agg(o.id)) from old_rows o where o.status = 'running';
  return null;
end $$;

create function public.scan_queue_slots_on_truncate() returns trigger
language plpgsql security definer set search_path = ''
as $$
begin
  delete from public.scan_queue_company_slots where retiring;
  update public.scan_queue_company_slots set job_id = null where job_id is not null;
  return null;
end $$;

create trigger scan_queue_slots_delete after delete on public.scan_queue
  referencing old table as old_rows for each statement execute function public.scan_queue_slots_on_delete();
create trigger scan_queue_slots_truncate after truncate on public.scan_queue
  for each statement execute function public.scan_queue_slots_on_truncate();
