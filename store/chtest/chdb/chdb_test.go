package chdb_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/reactions-research/reactions/store/chtest/chdb"
)

// TestSession runs statements on the engine: DDL, an INSERT with inline
// data holding every byte value, and a query, in one session.
func TestSession(t *testing.T) {
	s, err := chdb.Shared()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(s.Version(), "26.") {
		t.Fatalf("version %q, want 26.x", s.Version())
	}
	for _, q := range []string{
		"CREATE DATABASE chdb_session_test",
		"CREATE TABLE chdb_session_test.t (s String) ENGINE = MergeTree ORDER BY s",
		"INSERT INTO chdb_session_test.t (s) FORMAT TabSeparated\na\\0b\\tc\n",
	} {
		if err := s.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	out, err := s.Query("SELECT hex(s) FROM chdb_session_test.t", "TSV")
	if err != nil || string(out) != "6100620963\n" {
		t.Fatalf("%q %v", out, err)
	}
	if _, err := s.Query("SELECT nonsense(", "TSV"); err == nil || !strings.Contains(err.Error(), "Syntax error") {
		t.Fatalf("a syntax error: %v", err)
	}
}

// TestMissingLibrarySaysHowToInstall: without the library, the error says
// how to install it.
func TestMissingLibrarySaysHowToInstall(t *testing.T) {
	t.Setenv(chdb.Env, "")
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	_, err := chdb.LibraryPath()
	if !errors.Is(err, chdb.ErrNotInstalled) || !strings.Contains(err.Error(), "scripts/setup.sh test") ||
		!strings.Contains(err.Error(), chdb.Package()) {
		t.Fatalf("%v", err)
	}
	t.Setenv(chdb.Env, "/nonexistent/libchdb.so")
	if _, err := chdb.LibraryPath(); err == nil || !strings.Contains(err.Error(), chdb.Env) {
		t.Fatalf("a missing %s: %v", chdb.Env, err)
	}
}

// TestGoKeepsItsSignals: once the engine runs, a nil dereference still
// panics (chDB's own handler would crash the process after a long sleep).
func TestGoKeepsItsSignals(t *testing.T) {
	if _, err := chdb.Shared(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		if r := recover(); r == nil {
			t.Fatal("no panic")
		}
	}()
	var p *int
	t.Log(*p)
}
