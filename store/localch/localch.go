// Package localch runs the local ClickHouse server that reactions uses when
// no REACTIONS_CLICKHOUSE DSN is given. The server's data, config and logs
// live under <state dir>/clickhouse; it listens on free loopback ports and
// keeps running between commands, so "reactions crawl" and a later
// "reactions export" see the same data.
package localch

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"text/template"
	"time"
)

// ErrNoServer means no ClickHouse server binary was found. Its message says
// how to get one.
var ErrNoServer = errors.New("no ClickHouse server found: install one with `apt-get install clickhouse-server` " +
	"(Debian/Ubuntu), or set REACTIONS_CLICKHOUSE=clickhouse://user:pass@host:9000/db to use an existing server, " +
	"or run the stack with docker-compose (see README.md)")

// Server describes a running local server.
type Server struct {
	Dir      string `json:"dir"`
	PID      int    `json:"pid"`
	TCPPort  int    `json:"tcp_port"`
	HTTPPort int    `json:"http_port"`
	Binary   string `json:"binary"`
}

// DSN returns the server's DSN for database db.
func (s *Server) DSN(db string) string {
	return fmt.Sprintf("clickhouse://default@127.0.0.1:%d/%s?dial_timeout=10s", s.TCPPort, db)
}

// Binary returns the command that runs a ClickHouse server: Debian's
// /usr/sbin/clickhouse-server, "clickhouse-server" on PATH, or "clickhouse
// server" from an official install.
func Binary() ([]string, error) {
	for _, p := range []string{"/usr/sbin/clickhouse-server", "/usr/bin/clickhouse-server"} {
		if _, err := os.Stat(p); err == nil {
			return []string{p}, nil
		}
	}
	if p, err := exec.LookPath("clickhouse-server"); err == nil {
		return []string{p}, nil
	}
	if p, err := exec.LookPath("clickhouse"); err == nil {
		return []string{p, "server"}, nil
	}
	return nil, ErrNoServer
}

// Options tune Ensure. The zero value is ready to use.
type Options struct {
	// Command runs a ClickHouse server, e.g. ["/opt/ch/clickhouse",
	// "server"]. Default: Binary's.
	Command []string
	// Timeout bounds the wait for a server it starts to accept
	// connections. Default 60 s.
	Timeout time.Duration
}

// Ensure returns the server for dir (normally <state dir>/clickhouse),
// starting one if none is running. Two processes calling Ensure at once
// start one server.
func Ensure(ctx context.Context, dir string, opt Options) (*Server, error) {
	if opt.Timeout <= 0 {
		opt.Timeout = 60 * time.Second
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create %s: %w", dir, err)
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	dir = abs
	unlock, err := lock(filepath.Join(dir, "lock"))
	if err != nil {
		return nil, err
	}
	defer unlock()

	if s, err := readState(dir); err == nil && s.alive() {
		return s, nil
	}
	bin := opt.Command
	if len(bin) == 0 {
		if bin, err = Binary(); err != nil {
			return nil, err
		}
	}
	tcp, err := freePort()
	if err != nil {
		return nil, err
	}
	httpPort, err := freePort()
	if err != nil {
		return nil, err
	}
	s := &Server{Dir: dir, TCPPort: tcp, HTTPPort: httpPort, Binary: strings.Join(bin, " ")}
	if err := s.writeConfig(); err != nil {
		return nil, err
	}
	logf, err := os.OpenFile(filepath.Join(dir, "log", "stdout.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open server log: %w", err)
	}
	defer logf.Close()
	args := append(bin[1:], "--config-file="+filepath.Join(dir, "config.xml"))
	cmd := exec.Command(bin[0], args...)
	cmd.Dir = dir
	cmd.Stdout, cmd.Stderr = logf, logf
	// Its own session: the server outlives this command (and Ctrl-C).
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", s.Binary, err)
	}
	s.PID = cmd.Process.Pid
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()

	deadline := time.Now().Add(opt.Timeout)
	for {
		if s.listening() {
			break
		}
		select {
		case err := <-exited:
			return nil, fmt.Errorf("ClickHouse server exited during start-up (%v); see %s", err, filepath.Join(dir, "log"))
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			_ = cmd.Process.Kill()
			return nil, fmt.Errorf("ClickHouse server did not accept connections within %s; see %s", opt.Timeout, filepath.Join(dir, "log"))
		}
	}
	if err := s.writeState(); err != nil {
		return nil, err
	}
	return s, nil
}

// Stop stops the server recorded in dir, if any, and waits for it to exit.
func Stop(dir string) error {
	s, err := readState(dir)
	if err != nil {
		return nil
	}
	p, err := os.FindProcess(s.PID)
	if err == nil && s.alive() {
		_ = p.Signal(syscall.SIGTERM)
		for i := 0; i < 150 && processAlive(s.PID); i++ {
			time.Sleep(100 * time.Millisecond)
		}
		if processAlive(s.PID) {
			_ = p.Signal(syscall.SIGKILL)
		}
	}
	return os.Remove(filepath.Join(dir, "server.json"))
}

func (s *Server) alive() bool { return processAlive(s.PID) && s.listening() }

func (s *Server) listening() bool {
	c, err := net.DialTimeout("tcp", "127.0.0.1:"+strconv.Itoa(s.TCPPort), time.Second)
	if err != nil {
		return false
	}
	c.Close()
	return true
}

func processAlive(pid int) bool {
	if pid <= 0 {
		return false
	}
	if err := syscall.Kill(pid, 0); err != nil {
		return false
	}
	// A zombie (exited, not reaped) is not alive.
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err == nil {
		if i := strings.LastIndexByte(string(b), ')'); i > 0 && i+2 < len(b) && b[i+2] == 'Z' {
			return false
		}
	}
	return true
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func readState(dir string) (*Server, error) {
	b, err := os.ReadFile(filepath.Join(dir, "server.json"))
	if err != nil {
		return nil, err
	}
	var s Server
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, err
	}
	return &s, nil
}

func (s *Server) writeState() error {
	b, _ := json.MarshalIndent(s, "", "  ")
	tmp := filepath.Join(s.Dir, "server.json.tmp")
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return fmt.Errorf("write server state: %w", err)
	}
	return os.Rename(tmp, filepath.Join(s.Dir, "server.json"))
}

func lock(path string) (func(), error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	return func() { syscall.Flock(int(f.Fd()), syscall.LOCK_UN); f.Close() }, nil
}

// The config works on 18.16 and on current releases: paths, loopback ports,
// a passwordless default user limited to loopback, and modest memory caps
// for a laptop.
var configTmpl = template.Must(template.New("config").Parse(`<?xml version="1.0"?>
<!-- Generated by reactions; rewritten at every start. -->
<yandex>
  <logger>
    <level>warning</level>
    <log>{{.Dir}}/log/clickhouse-server.log</log>
    <errorlog>{{.Dir}}/log/clickhouse-server.err.log</errorlog>
    <size>50M</size>
    <count>3</count>
  </logger>
  <listen_host>127.0.0.1</listen_host>
  <tcp_port>{{.TCPPort}}</tcp_port>
  <http_port>{{.HTTPPort}}</http_port>
  <path>{{.Dir}}/data/</path>
  <tmp_path>{{.Dir}}/tmp/</tmp_path>
  <user_files_path>{{.Dir}}/user_files/</user_files_path>
  <format_schema_path>{{.Dir}}/format_schemas/</format_schema_path>
  <users_config>{{.Dir}}/users.xml</users_config>
  <mark_cache_size>536870912</mark_cache_size>
  <max_concurrent_queries>100</max_concurrent_queries>
  <default_profile>default</default_profile>
  <default_database>default</default_database>
  <timezone>UTC</timezone>
</yandex>
`))

var usersTmpl = `<?xml version="1.0"?>
<yandex>
  <profiles>
    <default>
      <max_memory_usage>4000000000</max_memory_usage>
    </default>
  </profiles>
  <users>
    <default>
      <password></password>
      <networks><ip>127.0.0.1</ip><ip>::1</ip></networks>
      <profile>default</profile>
      <quota>default</quota>
    </default>
  </users>
  <quotas>
    <default>
      <interval>
        <duration>3600</duration>
        <queries>0</queries>
        <errors>0</errors>
        <result_rows>0</result_rows>
        <read_rows>0</read_rows>
        <execution_time>0</execution_time>
      </interval>
    </default>
  </quotas>
</yandex>
`

func (s *Server) writeConfig() error {
	for _, d := range []string{"data", "tmp", "user_files", "format_schemas", "log"} {
		if err := os.MkdirAll(filepath.Join(s.Dir, d), 0o700); err != nil {
			return fmt.Errorf("create %s: %w", d, err)
		}
	}
	f, err := os.Create(filepath.Join(s.Dir, "config.xml"))
	if err != nil {
		return fmt.Errorf("write ClickHouse config: %w", err)
	}
	if err := configTmpl.Execute(f, s); err != nil {
		f.Close()
		return fmt.Errorf("write ClickHouse config: %w", err)
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(s.Dir, "users.xml"), []byte(usersTmpl), 0o600)
}
