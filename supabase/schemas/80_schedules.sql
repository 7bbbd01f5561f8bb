-- Every schedule of the pipeline, in one place (pg_cron; names start with codeguard- so the health
-- function finds them). Minutes off the hour and away from each other and from the 03:00 UTC
-- daily auto-scan.
select cron.schedule('codeguard-dispatch-scan-workers', '10 seconds', $$select public.dispatch_scan_workers()$$);
-- Leases are 30 s: with the reaper every 10 s a dead worker's job is handed on within ~40 s.
select cron.schedule('codeguard-reap-expired-scan-jobs', '10 seconds', $$select public.reap_expired_scan_jobs()$$);
select cron.schedule('codeguard-daily-auto-scan', '0 3 * * *', $$select public.enqueue_daily_auto_scans()$$);
select cron.schedule('codeguard-prune-scan-queue', '41 3 * * *', $$select public.prune_scan_queue()$$);
select cron.schedule('codeguard-prune-github-etag-cache', '23 * * * *', $$select public.prune_github_etag_cache()$$);
select cron.schedule('codeguard-prune-platform-history', '17 * * * *', $$select public.prune_platform_history()$$);
-- Webhook deliveries are kept 30 days (GitHub redelivers only the last 3 days' ones).
select cron.schedule('codeguard-prune-github-webhook-deliveries', '29 * * * *', $$select public.prune_github_webhook_deliveries()$$);
-- Score history older than 8 days thinned to each day's last score (what the trends read).
select cron.schedule('codeguard-prune-ai-debt-scores', '53 3 * * *', $$select public.prune_ai_debt_scores()$$);
-- The governance jobs (product spec): reports Monday 02:00 UTC, the Slack digest Monday 09:00 UTC,
-- the dashboards every 15 minutes; and alerts about dead or late jobs every 5 minutes.
select cron.schedule('codeguard-weekly-reports', '0 2 * * 1', $$select public.enqueue_weekly_reports()$$);
select cron.schedule('codeguard-slack-digests', '0 9 * * 1', $$select public.enqueue_slack_digests()$$);
select cron.schedule('codeguard-refresh-views', '*/15 * * * *', $$select public.enqueue_refresh_views()$$);
select cron.schedule('codeguard-job-alerts', '*/5 * * * *', $$select public.enqueue_job_alerts()$$);
