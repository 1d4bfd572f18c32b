package replay

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/reactions-research/reactions/store"
	"github.com/reactions-research/reactions/store/chtest/chdb"
)

func TestClassify(t *testing.T) {
	for sql, want := range map[string]kind{
		"INSERT INTO reactions (a, b) FORMAT Native":                                                     kindBatch,
		"INSERT INTO reaction_minutes (story, n)\nSELECT story, sum(sign) FROM reactions GROUP BY story": kindOther,
		"  select 1": kindQuery,
		store.OtherDatabase + "SELECT count() FROM other.stories": kindSkip,
		"WITH x AS (SELECT 1) SELECT * FROM x":                    kindQuery,
		"(SELECT 1) UNION ALL (SELECT 2)":                         kindQuery,
		"CREATE TABLE IF NOT EXISTS t (x UInt8) ENGINE = Memory":  kindOther,
		"ALTER TABLE reactions ADD COLUMN is_root UInt8":          kindOther,
		"DETACH TABLE reaction_minutes_mv":                        kindOther,
	} {
		if got := classify(sql); got != want {
			t.Errorf("%q: %v, want %v", sql, got, want)
		}
	}
}

func TestOrdered(t *testing.T) {
	for sql, want := range map[string]bool{
		"SELECT id FROM t ORDER BY id":                                   true,
		"SELECT count() FROM (SELECT m FROM t ORDER BY m)":               false,
		"SELECT 'ORDER BY' AS s FROM t":                                  false,
		"SELECT p FROM (SELECT p FROM t) GROUP BY p ORDER BY p":          true,
		"SELECT x_order BY FROM t":                                       false,
		"SELECT source FROM runs\nGROUP BY source\nORDER BY max(x) DESC": true,
	} {
		if got := ordered(sql); got != want {
			t.Errorf("%q: %v, want %v", sql, got, want)
		}
	}
}

// TestTSV: values as clickhouse-go holds them become the text ClickHouse
// reads, escapes included.
func TestTSV(t *testing.T) {
	at := time.Date(2020, 10, 1, 2, 3, 4, 0, time.UTC)
	for _, tc := range []struct {
		v    any
		typ  string
		want string
	}{
		{"it's\t\"x\"\n\\ ü\x00", "String", `it's\t"x"\n\\ ü\0`},
		{"support", "Enum8('neutral' = 0, 'support' = 1)", "support"},
		{int64(-3), "Int64", "-3"},
		{uint64(18446744073709551615), "UInt64", "18446744073709551615"},
		{int8(-1), "Int8", "-1"},
		{0.1, "Float64", "0.1"},
		{at, "DateTime('UTC')", "2020-10-01 02:03:04"},
		{at, "DateTime('Asia/Kolkata')", "2020-10-01 07:33:04"},
		{at, "DateTime64(3, 'UTC')", "2020-10-01 02:03:04.000"},
		{[]string{"a'b", "c\\d", "e\tf"}, "Array(String)", `['a\'b','c\\d','e\tf']`},
		{[]int64{1, -2}, "Array(Int64)", "[1,-2]"},
		{[]string{}, "Array(String)", "[]"},
		{(*string)(nil), "Nullable(String)", `\N`},
	} {
		got, err := tsv(tc.v, tc.typ, time.UTC)
		if err != nil || got != tc.want {
			t.Errorf("%#v as %s: %q %v, want %q", tc.v, tc.typ, got, err, tc.want)
		}
	}
	if _, err := tsv(map[string]int{}, "Map(String, Int32)", time.UTC); err == nil || !strings.Contains(err.Error(), "replay") {
		t.Errorf("a type it cannot write: %v", err)
	}
}

// TestCanonicalAgrees: a value scanned from 18.16 and the same value in
// 26.7's JSON have one canonical form.
func TestCanonicalAgrees(t *testing.T) {
	at := time.Date(2020, 10, 1, 2, 3, 4, 0, time.UTC)
	for _, tc := range []struct {
		v   any
		js  string
		typ string
	}{
		{at, `"2020-10-01 02:03:04"`, "DateTime('UTC')"},
		{at, `"2020-10-01 07:33:04"`, "DateTime('Asia/Kolkata')"},
		{at, `"2020-10-01 02:03:04"`, "DateTime"},
		{0.1111111111111111, `0.1111111111111111`, "Float64"},
		{int64(-40), `-40`, "Int64"},
		{uint64(1796639376686080257), `1796639376686080257`, "UInt64"},
		{[]string{"a", "b"}, `["a","b"]`, "Array(String)"},
		{[]int64{}, `[]`, "Array(Int64)"},
		{"x\ty", `"x\ty"`, "String"},
	} {
		d := json.NewDecoder(strings.NewReader(tc.js))
		d.UseNumber()
		var v any
		if err := d.Decode(&v); err != nil {
			t.Fatal(err)
		}
		got, err := canonicalJSON(v, tc.typ, time.UTC)
		if want := canonical(tc.v); err != nil || got != want {
			t.Errorf("%s as %s: %q %v, want %q", tc.js, tc.typ, got, err, want)
		}
	}
}

// TestRoundTripOnChDB writes values as Check replays them into chDB and
// reads them back as Check compares them: every value comes back as it
// went in.
func TestRoundTripOnChDB(t *testing.T) {
	eng, err := chdb.Shared()
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2020, 10, 1, 2, 3, 4, 0, time.UTC)
	cols := []struct {
		typ string
		v   any
	}{
		{"String", "it's\t\"x\"\n\\ ü\x00 😢"},
		{"Enum8('neutral' = 0, 'support' = 1)", "support"},
		{"Int64", int64(-40)},
		{"UInt64", uint64(18446744073709551615)},
		{"Int8", int8(-1)},
		{"UInt8", uint8(1)},
		{"Float64", 0.1111111111111111},
		{"Float64", 1e-300},
		{"DateTime('UTC')", at},
		{"DateTime('Asia/Kolkata')", at},
		{"DateTime", at},
		{"Array(String)", []string{"a'b", "c\\d", "e\tf\ng", ""}},
		{"Array(Int64)", []int64{1, -2}},
		{"Nullable(String)", (*string)(nil)},
	}
	var def, row []string
	for i, c := range cols {
		def = append(def, fmt.Sprintf("c%d %s", i, c.typ))
		s, err := tsv(c.v, c.typ, time.UTC)
		if err != nil {
			t.Fatal(err)
		}
		row = append(row, s)
	}
	for _, q := range []string{
		"CREATE DATABASE replay_round_trip",
		"CREATE TABLE replay_round_trip.t (" + strings.Join(def, ", ") + ") ENGINE = Memory",
		"INSERT INTO replay_round_trip.t FORMAT TabSeparated\n" + strings.Join(row, "\t") + "\n",
	} {
		if err := eng.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	defer eng.Exec("DROP DATABASE replay_round_trip")
	if err := eng.Exec("SET session_timezone = 'UTC'"); err != nil {
		t.Fatal(err)
	}
	res, err := runChDB(eng, "SELECT * FROM replay_round_trip.t", time.UTC)
	if err != nil || len(res.rows) != 1 {
		t.Fatalf("%+v %v", res, err)
	}
	for i, c := range cols {
		if res.types[i] != c.typ {
			t.Errorf("column %d: type %s, want %s", i, res.types[i], c.typ)
		}
		if want := canonical(c.v); res.rows[0][i] != want {
			t.Errorf("%s: %q came back as %q", c.typ, want, res.rows[0][i])
		}
	}
}
