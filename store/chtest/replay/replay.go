// Package replay checks on ClickHouse 26.7 the SQL a store sends: a
// Recorder keeps, while a workload runs against the test server (18.16),
// every statement as the server received it (bound parameters included)
// and the rows of every INSERT it acknowledged; Check replays them in order
// on a fresh chDB database (package chdb), so that the schema's
// materialized views run on 26.7 too, then runs every query of the
// recording on both databases and compares the results value for value and
// type for type. Nothing names the statements: a query or migration added
// to the store is checked as soon as a workload sends it.
package replay

import (
	"context"
	"log/slog"
	"strings"
	"sync"

	"github.com/reactions-research/reactions/store"
)

// Recorder keeps what stores opened with its Options send. It is safe for
// concurrent use.
type Recorder struct {
	mu     sync.Mutex
	events []event
}

// event is a statement as sent (sql), or an acknowledged INSERT.
type event struct {
	sql    string
	insert *store.Insert
}

// NewRecorder returns an empty recorder.
func NewRecorder() *Recorder { return &Recorder{} }

// Options returns store options that record into r: clickhouse-go's debug
// log, which holds each statement as sent, and the store's OnInsert hook.
func (r *Recorder) Options() store.Options {
	return store.Options{Logger: slog.New(recordHandler{r}), OnInsert: r.recordInsert}
}

func (r *Recorder) recordInsert(ins store.Insert) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, event{insert: &ins})
}

func (r *Recorder) snapshot() []event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]event(nil), r.events...)
}

// sentMessage is the message of clickhouse-go's debug record of a
// statement sent, whose attribute "query" holds its text.
const sentMessage = "sending query"

// recordHandler is a slog.Handler that keeps the statements clickhouse-go
// logs as sent, and drops every other record.
type recordHandler struct{ r *Recorder }

func (h recordHandler) Enabled(context.Context, slog.Level) bool { return true }

func (h recordHandler) Handle(_ context.Context, rec slog.Record) error {
	if rec.Message != sentMessage {
		return nil
	}
	rec.Attrs(func(a slog.Attr) bool {
		if a.Key != "query" {
			return true
		}
		h.r.mu.Lock()
		h.r.events = append(h.r.events, event{sql: a.Value.String()})
		h.r.mu.Unlock()
		return false
	})
	return nil
}

func (h recordHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h recordHandler) WithGroup(string) slog.Handler      { return h }

// kind is what Check does with a statement.
type kind int

const (
	kindBatch kind = iota // a batch INSERT: replayed from its recorded rows
	kindQuery             // run on both engines at the end, results compared
	kindOther             // DDL, INSERT … SELECT and the like: replayed in order
	kindSkip              // about another database of the server: not replayed
)

// batchSuffix ends the statement clickhouse-go sends for a batch INSERT
// (PrepareBatch), whose rows follow in blocks.
const batchSuffix = " FORMAT Native"

// classify tells a statement's kind from its first word.
func classify(sql string) kind {
	if strings.HasPrefix(sql, store.OtherDatabase) {
		return kindSkip
	}
	switch strings.ToUpper(firstWord(sql)) {
	case "INSERT":
		if strings.HasSuffix(strings.TrimSpace(sql), batchSuffix) {
			return kindBatch
		}
	case "SELECT", "WITH", "SHOW", "DESCRIBE", "DESC", "EXISTS", "EXPLAIN":
		return kindQuery
	}
	return kindOther
}

func firstWord(sql string) string {
	s := strings.TrimLeft(sql, " \t\r\n(")
	if i := strings.IndexAny(s, " \t\r\n("); i >= 0 {
		return s[:i]
	}
	return s
}

// engineDependent reports whether a query's result depends on the engine
// or the moment, not on the data: it runs on 26.7 but is not compared.
func engineDependent(sql string) bool {
	l := strings.ToLower(sql)
	for _, s := range []string{"version()", "system.", "now()", "today()", "uptime()"} {
		if strings.Contains(l, s) {
			return true
		}
	}
	return false
}

// ordered reports whether a query orders its result: an ORDER BY outside
// any parentheses and string literals.
func ordered(sql string) bool {
	depth := 0
	var quote byte
	u := strings.ToUpper(sql)
	for i := 0; i < len(u); i++ {
		c := u[i]
		switch {
		case quote != 0:
			if c == '\\' {
				i++
			} else if c == quote {
				quote = 0
			}
		case c == '\'' || c == '"' || c == '`':
			quote = c
		case c == '(':
			depth++
		case c == ')':
			depth--
		case depth == 0 && strings.HasPrefix(u[i:], "ORDER BY") && (i == 0 || !isWord(u[i-1])):
			return true
		}
	}
	return false
}

func isWord(c byte) bool {
	return c == '_' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9'
}
