package store

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/reactions-research/reactions/store/localch"
)

// DefaultDatabase is the database used on the local server.
const DefaultDatabase = "reactions"

// OpenDefault opens the store every subcommand uses: the server named by
// REACTIONS_CLICKHOUSE when set, otherwise the local server under
// stateDir/clickhouse (started if needed).
func OpenDefault(ctx context.Context, stateDir string) (*Store, error) {
	dsn, err := DefaultDSN(ctx, stateDir)
	if err != nil {
		return nil, err
	}
	return Open(ctx, dsn, Options{})
}

// DefaultDSN returns REACTIONS_CLICKHOUSE, or the DSN of the local server
// under stateDir/clickhouse, starting it if needed.
func DefaultDSN(ctx context.Context, stateDir string) (string, error) {
	if dsn := os.Getenv(DSNEnv); dsn != "" {
		return dsn, nil
	}
	srv, err := localch.Ensure(ctx, filepath.Join(stateDir, "clickhouse"), 60*time.Second)
	if err != nil {
		return "", fmt.Errorf("local ClickHouse: %w", err)
	}
	return srv.DSN(DefaultDatabase), nil
}

// StateDir returns the state directory: REACTIONS_HOME or ./.reactions.
func StateDir() string {
	if d := os.Getenv("REACTIONS_HOME"); d != "" {
		return d
	}
	return ".reactions"
}
