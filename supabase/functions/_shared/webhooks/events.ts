/**
 * The names GitHub sends in X-GitHub-Event: the webhook events of @octokit/webhooks-types 7.6.1
 * (its EventPayloadMap; test/webhooks/github-webhook-payloads.test.ts keeps the two equal) and the
 * newer ones GitHub documents beyond it. A delivery naming anything else did not come from GitHub
 * as GitHub is today: it is refused (400) and recorded nowhere, whereas a real event we have no use
 * for is answered 202 and recorded as ignored.
 */
export const GITHUB_WEBHOOK_EVENTS: ReadonlySet<string> = new Set([
  "branch_protection_configuration", "branch_protection_rule", "check_run", "check_suite", "code_scanning_alert",
  "commit_comment", "create", "custom_property", "custom_property_values", "delete", "dependabot_alert", "deploy_key",
  "deployment", "deployment_protection_rule", "deployment_review", "deployment_status", "discussion",
  "discussion_comment", "fork", "github_app_authorization", "gollum", "installation", "installation_repositories",
  "installation_target", "issue_comment", "issues", "label", "marketplace_purchase", "member", "membership",
  "merge_group", "meta", "milestone", "org_block", "organization", "package", "page_build", "ping", "project",
  "project_card", "project_column", "public", "pull_request", "pull_request_review", "pull_request_review_comment",
  "pull_request_review_thread", "push", "registry_package", "release", "repository", "repository_dispatch",
  "repository_import", "repository_vulnerability_alert", "secret_scanning_alert", "secret_scanning_alert_location",
  "security_advisory", "sponsorship", "star", "status", "team", "team_add", "watch", "workflow_dispatch",
  "workflow_job", "workflow_run",
  // Documented by GitHub after the types' release.
  "issue_dependencies", "personal_access_token_request", "projects_v2", "projects_v2_item", "projects_v2_status_update",
  "repository_advisory", "repository_ruleset", "secret_scanning_scan", "security_and_analysis", "sub_issues",
]);

/** The events github-webhook acts on; every other one is answered 202 and recorded as ignored. */
export const ROUTED_EVENTS = ["push", "pull_request", "installation", "installation_repositories", "ping"] as const;
