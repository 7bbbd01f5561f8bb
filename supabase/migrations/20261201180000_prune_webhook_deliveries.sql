-- Webhook deliveries are pruned hourly, keeping 30 days (supabase/schemas/80_schedules.sql): GitHub
-- redelivers only the last 3 days' ones, and a month of them answers "what did that push do?".
select cron.schedule('codeguard-prune-github-webhook-deliveries', '29 * * * *', $$select public.prune_github_webhook_deliveries()$$);
grant execute on function public.prune_github_webhook_deliveries(interval) to service_role;
