// Package chtest gives integration tests a real ClickHouse: one server per
// machine (started on first use under the system temp directory and reused
// by every test package), and a fresh database per test, dropped when the
// test ends; REACTIONS_TEST_CLICKHOUSE names another server. When no server
// can be had the test fails with instructions: it never skips, so a green
// run always means the tests ran against ClickHouse.
package chtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/reactions-research/reactions/store"
	"github.com/reactions-research/reactions/store/localch"
)

// Env names the variable holding a DSN of a server to test against.
const Env = "REACTIONS_TEST_CLICKHOUSE"

var (
	once    sync.Once
	baseDSN string
	baseErr error
)

// Dir is where the shared test server lives.
func Dir() string {
	return filepath.Join(os.TempDir(), fmt.Sprintf("reactions-test-clickhouse-%d", os.Getuid()))
}

func server() (string, error) {
	once.Do(func() {
		if dsn := os.Getenv(Env); dsn != "" {
			baseDSN = dsn
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
		defer cancel()
		srv, err := localch.Ensure(ctx, Dir(), localch.Options{Timeout: 80 * time.Second})
		if err != nil {
			baseErr = err
			return
		}
		baseDSN = srv.DSN("default")
	})
	return baseDSN, baseErr
}

// DSN returns the DSN of a fresh, empty database for this test (created on
// first connection, dropped at the end of the test).
func DSN(t testing.TB) string {
	t.Helper()
	base, err := server()
	if err != nil {
		t.Fatalf("integration tests need a real ClickHouse server and none could be started: %v\n"+
			"Install it with `sudo apt-get install clickhouse-server` (the tests start it themselves), "+
			"or set %s=clickhouse://user:pass@host:9000/db. `make test` installs it for you.", err, Env)
	}
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("%s: %v", Env, err)
	}
	name := DatabaseName(t)
	u.Path = "/" + name
	dsn := u.String()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		s, err := store.Open(ctx, dsn, store.Options{NoMigrate: true})
		if err != nil {
			return
		}
		defer s.Close()
		_ = s.Conn().Exec(ctx, "DROP DATABASE IF EXISTS "+name)
	})
	return dsn
}

// DatabaseName returns a new database name for this test: its name and a
// random suffix.
func DatabaseName(t testing.TB) string {
	b := make([]byte, 6)
	rand.Read(b)
	return strings.ToLower(fmt.Sprintf("t_%s_%s", sanitize(t.Name()), hex.EncodeToString(b)))
}

// New returns a Store on a fresh database with every migration applied.
func New(t testing.TB) *store.Store {
	t.Helper()
	return Open(t, store.Options{})
}

// Open returns a Store opened with opt on a fresh database (with every
// migration applied, unless opt.NoMigrate).
func Open(t testing.TB, opt store.Options) *store.Store {
	t.Helper()
	dsn := DSN(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	s, err := store.Open(ctx, dsn, opt)
	if err != nil {
		t.Fatalf("open test database: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func sanitize(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
		if b.Len() >= 30 {
			break
		}
	}
	return b.String()
}
