package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/reactions-research/reactions/crawler/source"
	"github.com/reactions-research/reactions/crawler/source/bluesky"
	"github.com/reactions-research/reactions/crawler/source/mastodon"
	"github.com/reactions-research/reactions/crawler/source/reddit"
	"github.com/reactions-research/reactions/reaction"
	"github.com/reactions-research/reactions/store"
	"github.com/reactions-research/reactions/store/localch"
)

// The command is the only part of reactions that reads the environment:
// it hands what it finds to the packages in their config structs. The
// variables, besides REACTIONS_LOG_LEVEL and REACTIONS_LOG_FORMAT (main.go)
// and the platform credentials (credentials):
const (
	// homeEnv is the state directory. Default ./.reactions.
	homeEnv = "REACTIONS_HOME"
	// dsnEnv is the ClickHouse DSN every command uses, e.g.
	// clickhouse://user:pass@host:9000/db. Default: a local server under
	// the state directory, started when needed.
	dsnEnv = "REACTIONS_CLICKHOUSE"
	// serverEnv is the command that runs that local server, e.g.
	// "/opt/clickhouse/clickhouse server". Default: the first of
	// localch.Binary's candidates found.
	serverEnv = "REACTIONS_CLICKHOUSE_SERVER"
	// secretEnv is the pseudonymisation secret (at least 16 characters).
	// Default: the state directory's secret file, created on first use.
	secretEnv = "REACTIONS_SECRET"
	// contactEnv is the default of crawl --contact.
	contactEnv = "REACTIONS_CONTACT"
	// ingestTokenEnv is the ingest API's bearer token: required of
	// senders by "reactions aggregate", sent by crawl --aggregator and
	// reclassify --aggregator.
	ingestTokenEnv = "REACTIONS_INGEST_TOKEN"
	// clusterEnv is the ClickHouse cluster the schema lives on
	// (store.Options.Cluster). Default: none, one server.
	clusterEnv = "REACTIONS_CLICKHOUSE_CLUSTER"
)

// stateDirectory returns the state directory.
func stateDirectory() string {
	if d := os.Getenv(homeEnv); d != "" {
		return d
	}
	return ".reactions"
}

// defaultDSN returns the DSN every command uses: REACTIONS_CLICKHOUSE, or
// that of the local server under stateDir/clickhouse, which it starts when
// none runs there.
func defaultDSN(ctx context.Context, stateDir string) (string, error) {
	if dsn := os.Getenv(dsnEnv); dsn != "" {
		return dsn, nil
	}
	srv, err := localch.Ensure(ctx, filepath.Join(stateDir, "clickhouse"),
		localch.Options{Command: strings.Fields(os.Getenv(serverEnv)), Timeout: 60 * time.Second})
	if err != nil {
		return "", fmt.Errorf("local ClickHouse: %w", err)
	}
	return srv.DSN(store.DefaultDatabase), nil
}

// openDefault opens the store every command uses (see defaultDSN).
func openDefault(ctx context.Context, stateDir string) (*store.Store, error) {
	dsn, err := defaultDSN(ctx, stateDir)
	if err != nil {
		return nil, err
	}
	return store.Open(ctx, dsn, storeOptions())
}

// storeOptions are the options of every store a command opens: the
// ClickHouse cluster named by REACTIONS_CLICKHOUSE_CLUSTER, if any.
func storeOptions() store.Options {
	return store.Options{Cluster: os.Getenv(clusterEnv)}
}

// loadSecret returns the pseudonymisation secret: REACTIONS_SECRET, or
// the state directory's secret file.
func loadSecret(stateDir string) ([]byte, error) {
	s, err := reaction.LoadSecret(stateDir, os.Getenv(secretEnv))
	if err != nil && os.Getenv(secretEnv) != "" {
		return nil, fmt.Errorf("%s: %w", secretEnv, err)
	}
	return s, err
}

// credentials returns the platform accounts found in the environment,
// under the variables each adapter names in its messages.
func credentials() source.Credentials {
	return source.Credentials{
		RedditClientID:      os.Getenv(reddit.EnvClientID),
		RedditClientSecret:  os.Getenv(reddit.EnvClientSecret),
		MastodonAccessToken: os.Getenv(mastodon.EnvAccessToken),
		BlueskyHandle:       os.Getenv(bluesky.HandleEnv),
		BlueskyAppPassword:  os.Getenv(bluesky.PasswordEnv),
	}
}
