package store

import "testing"

func TestRedactDSN(t *testing.T) {
	for in, want := range map[string]string{
		"clickhouse://user:s3cret@db.example.org:9000/reactions": "clickhouse://user:xxxxx@db.example.org:9000/reactions",
		"clickhouse://user@127.0.0.1:9000/reactions":             "clickhouse://user@127.0.0.1:9000/reactions",
		"clickhouse://127.0.0.1:9000":                            "clickhouse://127.0.0.1:9000",
		"clickhouse://user:pw@%zz":                               "(unparsable DSN)",
	} {
		if got := RedactDSN(in); got != want {
			t.Errorf("RedactDSN(%q) = %q, want %q", in, got, want)
		}
	}
}
