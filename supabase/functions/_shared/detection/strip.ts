/**
 * Strips every catalog mark from a commit, to evaluate the suspected tier as if the agent had
 * left no trace: AI co-author trailers, agent trailers and footers are removed, aider's name
 * suffix and subject prefix dropped, and an agent identity replaced by the committer's (or an
 * anonymous one when the committer is an agent too).
 */
import type { Commit } from "./records.ts";
import { lineHasMark } from "./marks.ts";
import { type CompiledCatalog, DEFAULT_CATALOG, lookupIdentity } from "./matcher.ts";

const ANONYMOUS = { name: "Anonymous", email: "anonymous@example.invalid" };

/** A copy of the commit without marks. */
export function stripMarks(commit: Commit, catalog: CompiledCatalog = DEFAULT_CATALOG): Commit {
  const lines = (commit.message ?? "").split("\n");
  let subject = lines[0] ?? "";
  for (const row of catalog.subjectPrefix) {
    if (subject.toLowerCase().startsWith(row.match)) subject = subject.slice(row.match.length);
  }
  const body = lines.slice(1).filter((l) => !lineHasMark(l, catalog));
  while (body.length > 0 && body[body.length - 1].trim() === "") body.pop();
  const message = [subject, ...body].join("\n") + (commit.message?.endsWith("\n") ? "\n" : "");

  const unsuffix = (name: string) => {
    for (const row of [...catalog.nameSuffix.author, ...catalog.nameSuffix.committer]) {
      if (name.toLowerCase().endsWith(row.match)) return name.slice(0, name.length - row.match.length);
    }
    return name;
  };
  let committer = { name: unsuffix(commit.committer_name), email: commit.committer_email };
  if (lookupIdentity(catalog, committer.email, committer.name)) committer = ANONYMOUS;
  let author = { name: unsuffix(commit.author_name), email: commit.author_email };
  if (lookupIdentity(catalog, author.email, author.name)) author = committer;
  return {
    ...commit,
    author_name: author.name,
    author_email: author.email,
    committer_name: committer.name,
    committer_email: committer.email,
    message,
  };
}
