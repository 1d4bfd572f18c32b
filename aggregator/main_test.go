package aggregator_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime/pprof"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/reactions-research/reactions/aggregator"
	"github.com/reactions-research/reactions/store"
	"github.com/reactions-research/reactions/store/localch"
)

// helperEnv makes the test binary run an aggregator instead of the tests
// (the helper-process pattern), so that a test can kill -9 it.
const helperEnv = "REACTIONS_AGGREGATOR_TEST_HELPER"

func TestMain(m *testing.M) {
	if os.Getenv(helperEnv) != "" {
		if err := runHelper(); err != nil {
			fmt.Fprintln(os.Stderr, "helper:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// runHelper runs an aggregator on the DSN and state directory in the
// environment, writes its address to the address file, and serves until
// SIGTERM (graceful) or SIGKILL.
func runHelper() error {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	if path := os.Getenv("HELPER_CPUPROFILE"); path != "" {
		f, err := os.Create(path)
		if err != nil {
			return err
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	st, err := store.Open(ctx, os.Getenv("HELPER_DSN"), store.Options{DialTimeout: 2 * time.Second})
	if err != nil {
		return err
	}
	defer st.Close()
	cfg := aggregator.Config{
		StateDir: os.Getenv("HELPER_STATE"), Registerer: prometheus.NewRegistry(),
		Logger:       slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo})),
		RetryInitial: 100 * time.Millisecond, RetryMax: time.Second, WriteTimeout: 10 * time.Second,
	}
	if v := os.Getenv("HELPER_BATCH_SIZE"); v != "" {
		cfg.BatchSize, _ = strconv.Atoi(v)
	}
	a, err := aggregator.New(ctx, cfg, st)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	runDone := make(chan error, 1)
	go func() { runDone <- a.Run(ctx) }()
	srv := &http.Server{Handler: a.Handler()}
	go srv.Serve(ln)
	addrFile := os.Getenv("HELPER_ADDR_FILE")
	if err := os.WriteFile(addrFile+".tmp", []byte(ln.Addr().String()), 0o600); err != nil {
		return err
	}
	if err := os.Rename(addrFile+".tmp", addrFile); err != nil {
		return err
	}
	<-ctx.Done()
	sctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_ = srv.Shutdown(sctx)
	if err := a.Close(sctx); err != nil {
		return err
	}
	return <-runDone
}

// helperProc is an aggregator running in a child process.
type helperProc struct {
	cmd    *exec.Cmd
	url    string
	stderr *syncBuffer
	exited chan struct{}
}

// startHelper starts an aggregator process on dsn and state, and waits
// until it serves.
func startHelper(t testing.TB, dsn, state string, env ...string) *helperProc {
	t.Helper()
	addrFile := filepath.Join(t.TempDir(), "addr")
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), helperEnv+"=1", "HELPER_DSN="+dsn, "HELPER_STATE="+state, "HELPER_ADDR_FILE="+addrFile)
	cmd.Env = append(cmd.Env, env...)
	p := &helperProc{cmd: cmd, stderr: &syncBuffer{}, exited: make(chan struct{})}
	cmd.Stderr = p.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { cmd.Wait(); close(p.exited) }()
	t.Cleanup(func() { p.kill() })
	deadline := time.Now().Add(60 * time.Second)
	for {
		b, err := os.ReadFile(addrFile)
		if err == nil {
			p.url = "http://" + string(b)
			return p
		}
		select {
		case <-p.exited:
			t.Fatalf("aggregator process exited during start-up: %s", p.stderr.String())
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("aggregator process did not start: %s", p.stderr.String())
		}
	}
}

// stop sends SIGTERM and waits for the process to exit.
func (p *helperProc) stop() {
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	<-p.exited
}

// kill sends SIGKILL and waits for the process to be gone.
func (p *helperProc) kill() {
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.exited
}

// health returns the aggregator's /healthz.
func healthOf(t testing.TB, base string) aggregator.Health {
	t.Helper()
	code, body := doHTTP(t, base, "", http.MethodGet, "/healthz", "", "", nil)
	var h aggregator.Health
	if code != http.StatusOK || json.Unmarshal(body, &h) != nil {
		t.Fatalf("healthz: %d %s", code, body)
	}
	return h
}

// waitDrained waits until the aggregator's spool is empty.
func waitDrained(t testing.TB, base string, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		h := healthOf(t, base)
		if h.SpoolRecords == 0 && h.ClickHouse == "ok" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("spool not drained after %s: %+v", timeout, h)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// chServer is a ClickHouse server of one test, which the test may kill and
// restart (on the same ports). The shared test server is never killed.
type chServer struct {
	t   testing.TB
	srv *localch.Server
	cmd *exec.Cmd // after a restart
}

func dedicatedClickHouse(t testing.TB) *chServer {
	t.Helper()
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	srv, err := localch.Ensure(ctx, dir, localch.Options{Timeout: 80 * time.Second})
	if err != nil {
		t.Fatalf("start a dedicated ClickHouse server (the test kills it): %v", err)
	}
	c := &chServer{t: t, srv: srv}
	t.Cleanup(c.stop)
	return c
}

func (c *chServer) dsn() string { return c.srv.DSN("reactions") }

func (c *chServer) pid() int {
	if c.cmd != nil {
		return c.cmd.Process.Pid
	}
	return c.srv.PID
}

// kill stops the server with SIGKILL and waits until its port is closed.
func (c *chServer) kill() {
	c.t.Helper()
	if err := syscall.Kill(c.pid(), syscall.SIGKILL); err != nil {
		c.t.Fatalf("kill ClickHouse: %v", err)
	}
	if c.cmd != nil {
		c.cmd.Wait()
	}
	for i := 0; i < 100; i++ {
		conn, err := net.DialTimeout("tcp", "127.0.0.1:"+strconv.Itoa(c.srv.TCPPort), 100*time.Millisecond)
		if err != nil {
			return
		}
		conn.Close()
		time.Sleep(100 * time.Millisecond)
	}
	c.t.Fatal("ClickHouse still listens after SIGKILL")
}

// restart starts the server again with its config (same ports and data).
func (c *chServer) restart() {
	c.t.Helper()
	bin, err := localch.Binary()
	if err != nil {
		c.t.Fatal(err)
	}
	logf, err := os.OpenFile(filepath.Join(c.srv.Dir, "log", "restart.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		c.t.Fatal(err)
	}
	defer logf.Close()
	cmd := exec.Command(bin[0], append(bin[1:], "--config-file="+filepath.Join(c.srv.Dir, "config.xml"))...)
	cmd.Dir, cmd.Stdout, cmd.Stderr = c.srv.Dir, logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		c.t.Fatal(err)
	}
	c.cmd = cmd
	deadline := time.Now().Add(80 * time.Second)
	for {
		conn, err := net.DialTimeout("tcp", "127.0.0.1:"+strconv.Itoa(c.srv.TCPPort), time.Second)
		if err == nil {
			conn.Close()
			return
		}
		if time.Now().After(deadline) {
			b, _ := os.ReadFile(filepath.Join(c.srv.Dir, "log", "restart.log"))
			c.t.Fatalf("ClickHouse did not come back: %s", b)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func (c *chServer) stop() {
	if c.cmd != nil {
		_ = c.cmd.Process.Kill()
		c.cmd.Wait()
		return
	}
	_ = localch.Stop(c.srv.Dir)
}
