-- A scan's writes wait at most 10 s for a lock held elsewhere. Each of them takes the job's own
-- rows first (complete_scan completes the job, then sets the repository's watermark), so a write
-- queued behind an operator's open transaction or a slow ALTER TABLE held the job's row, and with
-- it every heartbeat of the job, for as long as that lock lasted: a 60 s SHARE lock on
-- repositories cost 6 of 10 jobs their lease and an attempt. Past 10 s the statement fails with
-- lock_not_available (55P03); the worker hands the job back without spending an attempt
-- (queue/worker/outcomes.ts), and the next claim goes on from the scan's checkpoint. 10 s is a
-- third of the 30 s lease: a heartbeat waiting behind such a write still lands in time.
alter function public.set_scan_default_branch(uuid, integer, text) set lock_timeout = '10s';
alter function public.begin_scan(uuid, integer) set lock_timeout = '10s';
alter function public.record_scan_page(uuid, integer, jsonb) set lock_timeout = '10s';
alter function public.complete_scan(uuid, integer, jsonb) set lock_timeout = '10s';
