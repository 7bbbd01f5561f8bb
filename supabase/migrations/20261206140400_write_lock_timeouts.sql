-- Issue 24 #10: the scan's writes wait at most 10 s for a lock held elsewhere (see supabase/schemas/55_write_lock_timeouts.sql).

alter function public.set_scan_default_branch(uuid, integer, text) set lock_timeout = '10s';
alter function public.begin_scan(uuid, integer) set lock_timeout = '10s';
alter function public.record_scan_page(uuid, integer, jsonb) set lock_timeout = '10s';
alter function public.complete_scan(uuid, integer, jsonb) set lock_timeout = '10s';
