package replay

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/reactions-research/reactions/store"
	"github.com/reactions-research/reactions/store/chtest/chdb"
)

// Summary counts what Check did.
type Summary struct {
	Engine string // the version of ClickHouse replayed on
	// Statements counts the statements replayed in order other than
	// queries and batch INSERTs (DDL, INSERT … SELECT).
	Statements int
	// Inserts and Rows count the INSERTs replayed and their rows.
	Inserts, Rows int
	// Queries counts the distinct queries whose results were compared.
	Queries int
	// Unchecked counts the distinct queries whose results depend on the
	// engine (version(), system tables, now()): run on 26.7, not compared.
	Unchecked int
	// Gone counts the distinct queries the test server no longer answers
	// at the end (a table the workload dropped): run on 26.7, not
	// compared.
	Gone int
	// Skipped counts the statements about another database of the test
	// server (store.OtherDatabase), which chDB does not hold: not replayed.
	Skipped int
}

func (s Summary) String() string {
	return fmt.Sprintf("replayed on ClickHouse %s: %d statements, %d INSERTs (%d rows); %d queries compared, %d run only, %d about other databases skipped",
		s.Engine, s.Statements, s.Inserts, s.Rows, s.Queries, s.Unchecked+s.Gone, s.Skipped)
}

// checkMu serialises Check: the chDB session is one per process, and
// Check switches its current database.
var checkMu sync.Mutex

// Check replays what r recorded on a fresh chDB database named as st's
// (the test server's database the workload ran on, normally on 18.16),
// and compares the result of every recorded query on both. It fails t,
// naming the statement, for every statement ClickHouse 26.7 refuses and
// every result that differs. Without chDB installed it fails t with how to
// install it.
//
// Statements are replayed in the order the server received them (an
// INSERT when it was acknowledged); queries run at the end, on the final
// data of both databases. Only acknowledged INSERTs are recorded, but any
// other statement is, whatever its outcome: a workload must not send
// statements that fail.
func Check(t testing.TB, st *store.Store, r *Recorder) Summary {
	t.Helper()
	events := r.snapshot()
	eng, err := chdb.Shared()
	if err != nil {
		t.Fatalf("the SQL test needs ClickHouse 26.7 as a library (chDB): %v", err)
	}
	checkMu.Lock()
	defer checkMu.Unlock()
	sum := Summary{Engine: eng.Version()}
	ref := st.ServerVersion()
	ctx := context.Background()

	var tz string
	if err := st.Conn().QueryRow(ctx, "SELECT timezone()").Scan(&tz); err != nil {
		t.Fatalf("time zone of the test server: %v", err)
	}
	local, err := time.LoadLocation(tz)
	if err != nil {
		t.Fatalf("time zone of the test server: %v", err)
	}
	// The session's settings: the test server's time zone, JSON numbers
	// unquoted, and the settings the store pins on a connection to 26.7.
	// They are set back to their defaults at the end, as the session is
	// shared.
	settings, err := store.PinnedSettings(eng.Version())
	if err != nil {
		t.Fatal(err)
	}
	settings["session_timezone"] = tz
	settings["output_format_json_quote_64bit_integers"] = 0
	settings["output_format_json_quote_64bit_floats"] = 0
	db := st.Database()
	setup := []string{"CREATE DATABASE " + db, "USE " + db}
	cleanup := []string{"USE default", "DROP DATABASE " + db}
	for _, k := range slices.Sorted(maps.Keys(settings)) {
		setup = append(setup, fmt.Sprintf("SET %s = %s", k, literal(settings[k])))
		cleanup = append(cleanup, fmt.Sprintf("SET %s = DEFAULT", k))
	}
	defer func() {
		for _, q := range cleanup {
			if err := eng.Exec(q); err != nil {
				t.Errorf("chDB: %s: %v", q, err)
			}
		}
	}()
	for _, q := range setup {
		if err := eng.Exec(q); err != nil {
			t.Fatalf("chDB: %s: %v", q, err)
		}
	}

	var queries []string
	seen := map[string]bool{}
	for _, e := range events {
		if e.insert != nil {
			q, rows, err := insertStatement(e.insert, local)
			if err != nil {
				t.Errorf("%s: %v", e.insert.Query, err)
				continue
			}
			if err := eng.Exec(q); err != nil {
				t.Errorf("ClickHouse %s refuses an INSERT that %s took (%d rows): %v\n%s", sum.Engine, ref, rows, err, short(e.insert.Query))
			}
			sum.Inserts++
			sum.Rows += rows
			continue
		}
		switch classify(e.sql) {
		case kindBatch:
			// Replayed with its rows once acknowledged.
		case kindSkip:
			sum.Skipped++
		case kindQuery:
			if !seen[e.sql] {
				seen[e.sql] = true
				queries = append(queries, e.sql)
			}
		default:
			if err := eng.Exec(e.sql); err != nil {
				t.Errorf("ClickHouse %s refuses a statement: %v\n%s", sum.Engine, err, short(e.sql))
			}
			sum.Statements++
		}
	}
	if sum.Statements == 0 || len(queries) == 0 {
		t.Fatalf("the recording holds %d statements and %d queries: does clickhouse-go still log each query as %q?",
			sum.Statements, len(queries), sentMessage)
	}

	for _, q := range queries {
		want, errServer := runServer(ctx, st, q)
		got, errChDB := runChDB(eng, q, local)
		switch {
		case errChDB != nil && errServer == nil:
			t.Errorf("ClickHouse %s refuses a query that %s answers: %v\n%s", sum.Engine, ref, errChDB, short(q))
			continue
		case errServer != nil:
			sum.Gone++
			continue
		case engineDependent(q):
			sum.Unchecked++
			continue
		}
		sum.Queries++
		if diff := compare(want, got, ordered(q)); diff != "" {
			t.Errorf("a query answers differently on %s and %s: %s\n%s", ref, sum.Engine, diff, short(q))
		}
	}
	return sum
}

// short cuts a statement for a message (an IN list can hold thousands of
// ids).
func short(sql string) string {
	const limit = 1500
	if len(sql) <= limit {
		return sql
	}
	return sql[:limit] + fmt.Sprintf("… (%d bytes more)", len(sql)-limit)
}

// literal is a setting's value in SQL.
func literal(v any) string {
	if s, ok := v.(string); ok {
		return "'" + escape(s, true) + "'"
	}
	return fmt.Sprint(v)
}

// insertStatement returns the INSERT that replays ins (the statement as
// sent, with its rows inline as TabSeparated) and its number of rows.
func insertStatement(ins *store.Insert, local *time.Location) (string, int, error) {
	q := strings.TrimSpace(ins.Query)
	if strings.HasSuffix(strings.ToUpper(q), " VALUES") {
		q = strings.TrimSpace(q[:len(q)-len(" VALUES")])
	}
	var b strings.Builder
	b.WriteString(q + " FORMAT TabSeparated\n")
	rows := 0
	if len(ins.Columns) > 0 {
		rows = len(ins.Columns[0].Values)
	}
	for i := range rows {
		for j, c := range ins.Columns {
			if j > 0 {
				b.WriteByte('\t')
			}
			s, err := tsv(c.Values[i], c.Type, local)
			if err != nil {
				return "", 0, fmt.Errorf("column %s: %w", c.Name, err)
			}
			b.WriteString(s)
		}
		b.WriteByte('\n')
	}
	return b.String(), rows, nil
}

// result is a query's answer: column types, and rows of canonical values.
type result struct {
	types []string
	rows  [][]string
}

func runServer(ctx context.Context, st *store.Store, q string) (result, error) {
	rows, err := st.Conn().Query(ctx, q)
	if err != nil {
		return result{}, err
	}
	defer rows.Close()
	cts := rows.ColumnTypes()
	var res result
	for _, ct := range cts {
		res.types = append(res.types, ct.DatabaseTypeName())
	}
	for rows.Next() {
		dest := make([]any, len(cts))
		for i, ct := range cts {
			dest[i] = reflect.New(ct.ScanType()).Interface()
		}
		if err := rows.Scan(dest...); err != nil {
			return result{}, err
		}
		row := make([]string, len(dest))
		for i, d := range dest {
			row[i] = canonical(reflect.ValueOf(d).Elem().Interface())
		}
		res.rows = append(res.rows, row)
	}
	return res, rows.Err()
}

func runChDB(eng *chdb.Session, q string, local *time.Location) (result, error) {
	out, err := eng.Query(q, "JSONCompactEachRowWithNamesAndTypes")
	if err != nil {
		return result{}, err
	}
	var res result
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(nil, 64<<20)
	for line := 0; sc.Scan(); line++ {
		d := json.NewDecoder(bytes.NewReader(sc.Bytes()))
		d.UseNumber()
		var vs []any
		if err := d.Decode(&vs); err != nil {
			return result{}, fmt.Errorf("read chDB's answer: %w", err)
		}
		switch line {
		case 0: // names
		case 1:
			for _, v := range vs {
				res.types = append(res.types, fmt.Sprint(v))
			}
		default:
			if len(vs) != len(res.types) {
				return result{}, fmt.Errorf("chDB answered %d values for %d columns", len(vs), len(res.types))
			}
			row := make([]string, len(vs))
			for i, v := range vs {
				if row[i], err = canonicalJSON(v, res.types[i], local); err != nil {
					return result{}, fmt.Errorf("column %d (%s): %w", i+1, res.types[i], err)
				}
			}
			res.rows = append(res.rows, row)
		}
	}
	return res, sc.Err()
}

// compare describes the first difference between a, the test server's
// result, and b, chDB's ("" when they agree); unless ordered, rows are
// compared in any order.
func compare(a, b result, ordered bool) string {
	if !slices.Equal(a.types, b.types) {
		return fmt.Sprintf("column types %v on the test server, %v on chDB", a.types, b.types)
	}
	ra, rb := a.rows, b.rows
	if !ordered {
		key := func(r []string) string { return strings.Join(r, "\x00") }
		ra, rb = slices.Clone(ra), slices.Clone(rb)
		slices.SortFunc(ra, func(x, y []string) int { return strings.Compare(key(x), key(y)) })
		slices.SortFunc(rb, func(x, y []string) int { return strings.Compare(key(x), key(y)) })
	}
	for i := range min(len(ra), len(rb)) {
		if !slices.Equal(ra[i], rb[i]) {
			return fmt.Sprintf("row %d of %d is %v on the test server, %v on chDB", i+1, len(ra), ra[i], rb[i])
		}
	}
	if len(ra) != len(rb) {
		return fmt.Sprintf("%d rows on the test server, %d on chDB", len(ra), len(rb))
	}
	return ""
}
