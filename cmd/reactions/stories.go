package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/reactions-research/reactions/demo"
	"github.com/reactions-research/reactions/store"
)

// databaseFlag adds --database to a command that reads a story.
func databaseFlag(fs *flag.FlagSet) *string {
	return fs.String("database", "", "the ClickHouse `DATABASE` to use on the server (default: the one in "+dsnEnv+
		", else "+store.DefaultDatabase+"; the demo's story is found in "+demo.Database+" by itself)")
}

// openDatabase opens the store every command uses, or database on the
// same server when it is given.
func openDatabase(ctx context.Context, stateDir, database string) (*store.Store, error) {
	if database == "" {
		return openDefault(ctx, stateDir)
	}
	dsn, err := defaultDSN(ctx, stateDir)
	if err != nil {
		return nil, err
	}
	if dsn, err = store.WithDatabase(dsn, database); err != nil {
		return nil, usageErrorf("--database: %v", err)
	}
	return store.Open(ctx, dsn, storeOptions())
}

// openStory opens the database that holds story id, for a command that
// reads or rewrites it: database when given (--database), else the one
// every command uses, where the demo's story is not ("reactions demo"
// keeps it in a database of its own, so that --reset can drop it): that
// one is read from the demo's database, as the demo's output says. When
// the story is not in the database, the error names the databases of the
// server that hold it and how to reach them.
func openStory(ctx context.Context, stateDir, id, database string, stderr io.Writer) (*store.Store, error) {
	st, err := openDatabase(ctx, stateDir, database)
	if err != nil {
		return nil, err
	}
	ok, err := st.HasStory(ctx, id)
	if err != nil || ok {
		if err != nil {
			st.Close()
			return nil, err
		}
		return st, nil
	}
	others, err := st.DatabasesWithStory(ctx, id)
	where := st.Database()
	st.Close()
	if err != nil {
		return nil, err
	}
	if database == "" && id == demo.StoryID && slices.Contains(others, demo.Database) {
		fmt.Fprintf(stderr, "reactions: %s is the demo's story: reading it from database %s\n", id, demo.Database)
		return openDatabase(ctx, stateDir, demo.Database)
	}
	if len(others) > 0 {
		return nil, fmt.Errorf("no story %q in database %s; the same server holds it in database %s: add --database %s (or set %s to a DSN naming that database)",
			id, where, strings.Join(others, " and "), others[0], dsnEnv)
	}
	hint := "crawl it first (reactions crawl --story FILE)"
	if id == demo.StoryID {
		hint = "run the demo first (make demo, or reactions demo)"
	}
	return nil, fmt.Errorf("no story %q in database %s, nor in any other database of the server: %s", id, where, hint)
}
