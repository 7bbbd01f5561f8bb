// send-slack-digest: runs send_slack_digest jobs — a company's weekly digest to its Slack incoming webhook.
import { serveQueueWorker } from "../_shared/http/serve-queue-worker.ts";
import { SLACK_DIGEST_WORKER, slackDigestProcessor } from "../_shared/slack/send-digest.ts";

serveQueueWorker(({ db }) => ({
  name: SLACK_DIGEST_WORKER,
  // A run waits out Slack's retries (at most 1 + 2 + 4 + 8 s between attempts) within its budget.
  processors: (types) => Object.fromEntries(types.filter((t) => t === "send_slack_digest").map((t) => [t, slackDigestProcessor({ db })])),
}));
