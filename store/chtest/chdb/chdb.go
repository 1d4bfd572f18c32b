// Package chdb runs SQL on chDB, the ClickHouse engine built as a library
// (libchdb.so, ClickHouse 26.7, from the npm package named in the file
// npm-package), loaded with purego, so that tests check the store's SQL on
// a current ClickHouse (the SQL only: it has no network protocol).
// scripts/setup.sh (run by `make test`) installs the library once into the
// user's cache directory; REACTIONS_LIBCHDB names another libchdb.so.
package chdb

import (
	_ "embed"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"unsafe"

	"github.com/ebitengine/purego"
)

// Env names the variable holding the path of a libchdb.so to use instead
// of the installed one.
const Env = "REACTIONS_LIBCHDB"

//go:embed npm-package
var npmPackage string

// Package returns the npm package and version that hold the library, as
// "name@version" (what scripts/setup.sh installs).
func Package() string { return strings.TrimSpace(npmPackage) }

// InstalledPath returns where scripts/setup.sh installs the library:
// <user cache dir>/reactions/chdb/<version>/libchdb.so.
func InstalledPath() (string, error) {
	dir, err := os.UserCacheDir()
	if err != nil {
		return "", err
	}
	pkg := Package()
	version := pkg[strings.LastIndexByte(pkg, '@')+1:]
	return filepath.Join(dir, "reactions", "chdb", version, "libchdb.so"), nil
}

// ErrNotInstalled is returned when no libchdb.so is found. Its message
// says how to install it.
var ErrNotInstalled = errors.New("libchdb.so (ClickHouse 26.7 as a library) is not installed")

// LibraryPath returns the libchdb.so to load: $REACTIONS_LIBCHDB, or the
// installed one.
func LibraryPath() (string, error) {
	if p := os.Getenv(Env); p != "" {
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Errorf("%s: %w", Env, err)
		}
		return p, nil
	}
	p, err := InstalledPath()
	if err != nil {
		return "", fmt.Errorf("%w: %w", ErrNotInstalled, err)
	}
	if _, err := os.Stat(p); err != nil {
		return "", fmt.Errorf("%w at %s: run `scripts/setup.sh test` (`make test` does), which downloads %s "+
			"(about 180 MB) with `npm pack` and keeps its libchdb.so there; or set %s to a libchdb.so",
			ErrNotInstalled, p, Package(), Env)
	}
	return p, nil
}

// Session is a connection to an in-memory chDB engine: its databases live
// as long as the process. chDB allows one connection per process, so every
// caller shares one (see Shared). It is safe for concurrent use; queries
// run one at a time.
type Session struct {
	mu      sync.Mutex
	conn    uintptr // chdb_connection
	version string
}

var (
	shared    *Session
	sharedErr error
	once      sync.Once

	chdbSetSignalHandlersEnabled func(enabled int32)
	chdbConnect                  func(argc int32, argv **byte) *uintptr
	chdbQueryN                   func(conn uintptr, query *byte, queryLen uintptr, format *byte, formatLen uintptr) uintptr
	chdbResultError              func(res uintptr) string
	chdbResultBuffer             func(res uintptr) unsafe.Pointer
	chdbResultLength             func(res uintptr) uintptr
	chdbDestroyResult            func(res uintptr)
)

// Shared returns the process's session, loading the library and connecting
// on first use.
func Shared() (*Session, error) {
	once.Do(func() { shared, sharedErr = open() })
	return shared, sharedErr
}

func open() (*Session, error) {
	path, err := LibraryPath()
	if err != nil {
		return nil, err
	}
	lib, err := purego.Dlopen(path, purego.RTLD_NOW|purego.RTLD_GLOBAL)
	if err != nil {
		return nil, fmt.Errorf("load %s: %w", path, err)
	}
	for name, fn := range map[string]any{
		"chdb_set_signal_handlers_enabled": &chdbSetSignalHandlersEnabled, // chDB 26.3 and later
		"chdb_connect":                     &chdbConnect,
		"chdb_query_n":                     &chdbQueryN,
		"chdb_result_error":                &chdbResultError,
		"chdb_result_buffer":               &chdbResultBuffer,
		"chdb_result_length":               &chdbResultLength,
		"chdb_destroy_query_result":        &chdbDestroyResult,
	} {
		if _, err := purego.Dlsym(lib, name); err != nil {
			return nil, fmt.Errorf("%s: no %s: %w", path, name, err)
		}
		purego.RegisterLibFunc(fn, lib, name)
	}
	// No --path: the engine keeps its databases in memory.
	var p *uintptr
	if err := keepSignals(func() error {
		arg := []byte("clickhouse\x00")
		argv := []*byte{&arg[0]}
		p = chdbConnect(1, &argv[0])
		runtime.KeepAlive(arg)
		if p == nil || *p == 0 {
			return errors.New("chdb_connect failed")
		}
		return nil
	}); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	s := &Session{conn: *p}
	out, err := s.Query("SELECT version()", "TSV")
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	s.version = strings.TrimSpace(string(out))
	return s, nil
}

// Version returns the engine's version, e.g. "26.7.2.1".
func (s *Session) Version() string { return s.version }

// Query runs one statement and returns its output in format (a ClickHouse
// output format such as "TSV" or "JSONCompactEachRowWithNamesAndTypes").
// The statement may hold any bytes, inline data of an INSERT included.
func (s *Session) Query(sql, format string) ([]byte, error) {
	if sql == "" {
		return nil, errors.New("empty statement")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	q, f := []byte(sql), []byte(format+"\x00")
	res := chdbQueryN(s.conn, &q[0], uintptr(len(q)), &f[0], uintptr(len(format)))
	runtime.KeepAlive(q)
	runtime.KeepAlive(f)
	if res == 0 {
		return nil, nil
	}
	defer chdbDestroyResult(res)
	if msg := chdbResultError(res); msg != "" {
		return nil, errors.New(strings.TrimSpace(msg))
	}
	n := chdbResultLength(res)
	if n == 0 {
		return nil, nil
	}
	return append([]byte(nil), unsafe.Slice((*byte)(chdbResultBuffer(res)), n)...), nil
}

// Exec runs a statement whose output is not needed.
func (s *Session) Exec(sql string) error {
	_, err := s.Query(sql, "TSV")
	return err
}
