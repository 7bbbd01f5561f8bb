// scan-repository: one worker per invocation — claim scan jobs, scan on GitHub, detect, complete.
import { serveQueueWorker } from "../_shared/http/serve-queue-worker.ts";
import { REPOSITORY_SCAN_WORKER, repositoryScanProcessors } from "../_shared/scan/repository-scan.ts";

serveQueueWorker(({ db, config }) => ({
  name: REPOSITORY_SCAN_WORKER,
  // GitHub Enterprise Server, or the local GitHub of `npm start`; default api.github.com.
  processors: (types) => repositoryScanProcessors({ db, githubBaseUrl: config.githubApiUrl }, types),
}));
