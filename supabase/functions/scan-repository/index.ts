// scan-repository: one worker per invocation — claim scan jobs, read each repository from its
// source, detect, complete. The composition root: which implementation reads which source
// (public.repositories.source) is chosen here.
import { githubSource } from "../_shared/github/source.ts";
import { serveQueueWorker } from "../_shared/http/serve-queue-worker.ts";
import { REPOSITORY_SCAN_WORKER, repositoryScanProcessors } from "../_shared/scan/repository-scan.ts";

serveQueueWorker(({ db, config }) => ({
  name: REPOSITORY_SCAN_WORKER,
  // GitHub Enterprise Server, or the local GitHub of `npm start`; default api.github.com.
  processors: (types) => repositoryScanProcessors({ db, sources: { github: githubSource({ db, baseUrl: config.githubApiUrl }) } }, types),
}));
