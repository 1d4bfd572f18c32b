// Package e2e holds the end-to-end test of the whole path on a real
// ClickHouse: the replicas (demo data plus every platform's edge-case
// fixture) → the crawler with the real adapters → the aggregator over HTTP
// → ClickHouse → the dashboard's API and exports, checked against the
// replicas' ground truth per platform and per hour. It has no code of its
// own; run it with "go test ./e2e".
package e2e
