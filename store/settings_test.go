package store_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"net/url"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/reactions-research/reactions/reaction"
	"github.com/reactions-research/reactions/store"
	"github.com/reactions-research/reactions/store/chtest"
	"github.com/reactions-research/reactions/store/chtest/chdb"
)

// TestPinnedSettingsByVersion: each setting is sent from the first version
// that knows it (async_insert came in 21.11, deduplicate_insert in 26.2).
func TestPinnedSettingsByVersion(t *testing.T) {
	old := clickhouse.Settings{"insert_deduplicate": 0}
	async := clickhouse.Settings{"insert_deduplicate": 0, "async_insert": 0}
	all := clickhouse.Settings{"insert_deduplicate": 0, "async_insert": 0, "deduplicate_insert": "disable"}
	for _, tc := range []struct {
		version string
		want    clickhouse.Settings
	}{
		{"18.16.1", old},
		{"21.10.6.2", old},
		{"21.11.1.8636", async},
		{"25.8.4.13", async},
		{"26.1.3.52", async},
		{"26.2.1.1", all},
		{"26.7.2.1", all},
		{"26.8", all},
		{"27.1.1", all},
	} {
		got, err := store.PinnedSettings(tc.version)
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: %v %v, want %v", tc.version, got, err, tc.want)
		}
	}
	for _, v := range []string{"", "26", "x.y.z", "26.-1"} {
		if got, err := store.PinnedSettings(v); err == nil {
			t.Errorf("%q: %v, want an error", v, got)
		}
	}
}

// TestPinnedSettingsFollowTheServer puts the test server (18.16) behind a
// proxy that passes its handshake on unchanged, then behind proxies that
// announce it as newer versions: the store sends each connection the
// settings of the version its server announced. 18.16 itself is sent
// insert_deduplicate only, and works; announced as 21.11 it is sent
// async_insert too, and refuses it as unknown, which shows the setting was
// sent.
func TestPinnedSettingsFollowTheServer(t *testing.T) {
	dsn := chtest.DSN(t)
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	via := func(p *helloProxy) string {
		v := *u
		v.Host = p.addr()
		return v.String()
	}

	same := startHelloProxy(t, u.Host, 0, 0)
	s, err := store.Open(ctx, via(same), store.Options{})
	if err != nil {
		t.Fatalf("18.16 as itself: %v", err)
	}
	defer s.Close()
	if res, err := s.Write(ctx, sample(10, reaction.Support)); err != nil || res.New != 10 {
		t.Fatalf("insert on 18.16: %+v %v", res, err)
	}
	sent := same.sent()
	if !strings.Contains(sent, "insert_deduplicate") {
		t.Errorf("18.16 was not sent insert_deduplicate")
	}
	for _, name := range []string{"async_insert", "deduplicate_insert"} {
		if strings.Contains(sent, name) {
			t.Errorf("18.16 was sent %s, which it does not know", name)
		}
	}

	as2111 := startHelloProxy(t, u.Host, 21, 11)
	_, err = store.Open(ctx, via(as2111), store.Options{NoMigrate: true})
	if err == nil || !strings.Contains(err.Error(), "async_insert") {
		t.Errorf("18.16 announced as 21.11: %v, want it to refuse async_insert", err)
	}
	t.Logf("18.16 announced as 21.11: %v", err)
	if !strings.Contains(as2111.sent(), "async_insert") {
		t.Errorf("a server announced as 21.11 was not sent async_insert")
	}

	// 18.16's protocol revision has settings sent as numbers, so
	// clickhouse-go refuses to send a string-valued one.
	as268 := startHelloProxy(t, u.Host, 26, 8)
	_, err = store.Open(ctx, via(as268), store.Options{NoMigrate: true})
	if err == nil || !strings.Contains(err.Error(), "deduplicate_insert") {
		t.Errorf("18.16 announced as 26.8: %v, want deduplicate_insert to be sent", err)
	}
	t.Logf("18.16 announced as 26.8: %v", err)
}

// helloProxy forwards connections to a ClickHouse server, rewriting the
// version in the server's handshake (major 0: unchanged), and keeps what
// clients send.
type helloProxy struct {
	ln           net.Listener
	target       string
	major, minor uint64

	mu  sync.Mutex
	buf bytes.Buffer
}

func startHelloProxy(t *testing.T, target string, major, minor uint64) *helloProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &helloProxy{ln: ln, target: target, major: major, minor: minor}
	var wg sync.WaitGroup
	var conns sync.Map
	t.Cleanup(func() {
		ln.Close()
		conns.Range(func(k, _ any) bool { k.(net.Conn).Close(); return true })
		wg.Wait()
	})
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s, err := net.DialTimeout("tcp", target, 5*time.Second)
			if err != nil {
				c.Close()
				continue
			}
			conns.Store(c, true)
			conns.Store(s, true)
			wg.Add(2)
			go func() {
				defer wg.Done()
				io.Copy(io.MultiWriter(s, p), c)
				s.Close()
			}()
			go func() {
				defer wg.Done()
				p.forwardHello(c, s)
				c.Close()
			}()
		}
	}()
	return p
}

func (p *helloProxy) addr() string { return p.ln.Addr().String() }

// Write keeps what a client sends.
func (p *helloProxy) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.buf.Write(b)
}

func (p *helloProxy) sent() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.buf.String()
}

// forwardHello copies the server's answers to the client, with the version
// in its hello rewritten.
func (p *helloProxy) forwardHello(client, server net.Conn) {
	r := bufio.NewReader(server)
	if p.major != 0 {
		code, err := r.ReadByte()
		if err != nil || code != 0 {
			return
		}
		n, err := binary.ReadUvarint(r)
		if err != nil {
			return
		}
		name := make([]byte, n)
		if _, err := io.ReadFull(r, name); err != nil {
			return
		}
		if _, err := binary.ReadUvarint(r); err != nil {
			return
		}
		if _, err := binary.ReadUvarint(r); err != nil {
			return
		}
		out := binary.AppendUvarint([]byte{0}, n)
		out = append(out, name...)
		out = binary.AppendUvarint(binary.AppendUvarint(out, p.major), p.minor)
		if _, err := client.Write(out); err != nil {
			return
		}
	}
	io.Copy(client, r)
}

// TestPinnedSettingsOn26: ClickHouse 26.7 knows every setting the store
// pins for it, and with them a block equal to the one before is written
// again on a table that deduplicates, which insert_deduplicate=0 alone
// does not do since 26.2 (deduplicate_insert overrides it).
func TestPinnedSettingsOn26(t *testing.T) {
	eng, err := chdb.Shared()
	if err != nil {
		t.Fatal(err)
	}
	pinned, err := store.PinnedSettings(eng.Version())
	if err != nil {
		t.Fatal(err)
	}
	var names, set []string
	for k, v := range pinned {
		names = append(names, "'"+k+"'")
		if s, ok := v.(string); ok {
			v = "'" + s + "'"
		}
		set = append(set, fmt.Sprintf("%s = %v", k, v))
	}
	out, err := eng.Query("SELECT count() FROM system.settings WHERE name IN ("+strings.Join(names, ", ")+")", "TSV")
	if err != nil || strings.TrimSpace(string(out)) != fmt.Sprint(len(pinned)) {
		t.Fatalf("ClickHouse %s knows %q of %d pinned settings (%v)", eng.Version(), out, len(pinned), err)
	}
	count := func(settings string) string {
		t.Helper()
		for _, q := range []string{
			"DROP TABLE IF EXISTS default.pinned_dedup",
			"CREATE TABLE default.pinned_dedup (x UInt8) ENGINE = MergeTree ORDER BY x SETTINGS non_replicated_deduplication_window = 100",
			"INSERT INTO default.pinned_dedup SETTINGS " + settings + " VALUES (1)",
			"INSERT INTO default.pinned_dedup SETTINGS " + settings + " VALUES (1)",
		} {
			if err := eng.Exec(q); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
		out, err := eng.Query("SELECT count() FROM default.pinned_dedup", "TSV")
		if err != nil {
			t.Fatal(err)
		}
		return strings.TrimSpace(string(out))
	}
	if n := count(strings.Join(set, ", ")); n != "2" {
		t.Errorf("with the pinned settings %s rows, want 2", n)
	}
	if n := count("async_insert = 0, insert_deduplicate = 0"); n != "1" {
		t.Errorf("with insert_deduplicate = 0 alone %s rows: does 26.7 no longer deduplicate there?", n)
	}
	if err := eng.Exec("DROP TABLE default.pinned_dedup"); err != nil {
		t.Fatal(err)
	}
}
