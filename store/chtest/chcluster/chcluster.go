// Package chcluster starts a real ClickHouse cluster for tests: ZooKeeper
// (Debian's zookeeper package, run from its jar on a loopback port, not as
// a system service) and shards × replicas ClickHouse servers on free
// loopback ports, with generated configs that name the cluster, each
// server's {shard} and {replica} macros, and the ZooKeeper they share.
//
// Servers can be killed (SIGKILL) and started again on the same ports and
// data, to test faults. Stop ends every process the cluster started and
// removes its directory; every process also gets SIGKILL if the test binary
// dies first (Pdeathsig), so a failed or timed-out run leaves nothing
// running.
//
// When ZooKeeper, Java or ClickHouse is missing, Start returns an error
// that says how to install it (`make test` does).
package chcluster

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"text/template"
	"time"

	"github.com/reactions-research/reactions/store/localch"
)

// Name is the name of the cluster in every server's remote_servers.
const Name = "reactions"

// ZooKeeperJar is where Debian's zookeeper package puts the server. Its
// manifest names every jar it needs.
const ZooKeeperJar = "/usr/share/java/zookeeper.jar"

// ErrNoZooKeeper says how to get ZooKeeper and Java.
var ErrNoZooKeeper = errors.New("the cluster tests need ZooKeeper and Java: install them with " +
	"`apt-get install zookeeper` (the tests start ZooKeeper themselves, on loopback; `make test` installs it)")

// Options shape a cluster. The zero value is 2 shards × 2 replicas.
type Options struct {
	// Shards is the number of shards. Default 2.
	Shards int
	// Replicas is the number of replicas of each shard. Default 2.
	Replicas int
	// Dir holds the cluster's data, configs and logs. Default: a new
	// directory under the system temp directory, removed by Stop.
	Dir string
	// StartTimeout bounds the start of every process. Default 90s.
	StartTimeout time.Duration
}

// Cluster is a running test cluster.
type Cluster struct {
	Dir      string
	ZKPort   int
	Nodes    []*Node // shard by shard, replica by replica
	ownDir   bool
	zk       *process
	timeout  time.Duration
	shards   int
	replicas int
}

// Node is one ClickHouse server of the cluster.
type Node struct {
	Shard, Replica  int // from 1
	TCPPort         int
	HTTPPort        int
	InterserverPort int
	Dir             string
	c               *Cluster
	mu              sync.Mutex
	proc            *process
}

// Start starts ZooKeeper and the cluster's servers and waits until every
// server answers.
func Start(ctx context.Context, opt Options) (*Cluster, error) {
	if opt.Shards <= 0 {
		opt.Shards = 2
	}
	if opt.Replicas <= 0 {
		opt.Replicas = 2
	}
	if opt.StartTimeout <= 0 {
		opt.StartTimeout = 90 * time.Second
	}
	java, err := exec.LookPath("java")
	if err != nil {
		return nil, ErrNoZooKeeper
	}
	if _, err := os.Stat(ZooKeeperJar); err != nil {
		return nil, ErrNoZooKeeper
	}
	bin, err := localch.Binary()
	if err != nil {
		return nil, err
	}
	c := &Cluster{Dir: opt.Dir, timeout: opt.StartTimeout, shards: opt.Shards, replicas: opt.Replicas}
	if c.Dir == "" {
		if c.Dir, err = os.MkdirTemp("", "reactions-chcluster-"); err != nil {
			return nil, err
		}
		c.ownDir = true
	}
	ok := false
	defer func() {
		if !ok {
			c.Stop()
		}
	}()
	ports, err := freePorts(1 + 3*opt.Shards*opt.Replicas)
	if err != nil {
		return nil, err
	}
	c.ZKPort, ports = ports[0], ports[1:]
	for s := 1; s <= opt.Shards; s++ {
		for r := 1; r <= opt.Replicas; r++ {
			n := &Node{Shard: s, Replica: r, TCPPort: ports[0], HTTPPort: ports[1], InterserverPort: ports[2], c: c}
			ports = ports[3:]
			n.Dir = filepath.Join(c.Dir, n.Name())
			c.Nodes = append(c.Nodes, n)
		}
	}
	if err := c.startZooKeeper(ctx, java); err != nil {
		return nil, err
	}
	for _, n := range c.Nodes {
		if err := n.writeConfig(); err != nil {
			return nil, err
		}
	}
	errs := make(chan error, len(c.Nodes))
	for _, n := range c.Nodes {
		go func() { errs <- n.start(ctx, bin) }()
	}
	for range c.Nodes {
		if e := <-errs; e != nil {
			err = errors.Join(err, e)
		}
	}
	if err != nil {
		return nil, err
	}
	ok = true
	return c, nil
}

// Name returns the node's name, "s1r2" for replica 2 of shard 1: its
// {replica} macro, unique in the cluster.
func (n *Node) Name() string { return fmt.Sprintf("s%dr%d", n.Shard, n.Replica) }

// Addr returns the node's native-protocol address.
func (n *Node) Addr() string { return "127.0.0.1:" + strconv.Itoa(n.TCPPort) }

// DSN returns a DSN of database db on this node alone.
func (n *Node) DSN(db string) string {
	return fmt.Sprintf("clickhouse://default@%s/%s?dial_timeout=10s", n.Addr(), db)
}

// DSN returns a DSN of database db that names every server of the cluster
// (clickhouse-go fails over between them in order) and the cluster
// (cluster=), as a user of a cluster would write it.
func (c *Cluster) DSN(db string) string {
	addrs := make([]string, len(c.Nodes))
	for i, n := range c.Nodes {
		addrs[i] = n.Addr()
	}
	q := url.Values{"dial_timeout": {"10s"}, "cluster": {Name}}
	return "clickhouse://default@" + strings.Join(addrs, ",") + "/" + db + "?" + q.Encode()
}

// Node returns replica r of shard s (both from 1).
func (c *Cluster) Node(s, r int) *Node { return c.Nodes[(s-1)*c.replicas+(r-1)] }

// Kill kills the server with SIGKILL and waits for it to exit. Its data
// stays; Restart starts it again.
func (n *Node) Kill() {
	n.mu.Lock()
	p := n.proc
	n.proc = nil
	n.mu.Unlock()
	p.kill()
}

// Restart starts a killed or stopped server again, on the same ports and
// data, and waits until it answers.
func (n *Node) Restart(ctx context.Context) error {
	bin, err := localch.Binary()
	if err != nil {
		return err
	}
	return n.start(ctx, bin)
}

// PIDs returns the process ids of ZooKeeper and of every running server,
// for a benchmark that counts their CPU time.
func (c *Cluster) PIDs() []int {
	var out []int
	if c.zk != nil {
		out = append(out, c.zk.cmd.Process.Pid)
	}
	for _, n := range c.Nodes {
		n.mu.Lock()
		if n.proc != nil {
			out = append(out, n.proc.cmd.Process.Pid)
		}
		n.mu.Unlock()
	}
	return out
}

// Running reports whether the server's process is running.
func (n *Node) Running() bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.proc != nil && n.proc.running()
}

// Stop ends every process of the cluster (SIGTERM, then SIGKILL after a
// few seconds) and removes its directory if Start made it. It is safe to
// call more than once.
func (c *Cluster) Stop() {
	var wg sync.WaitGroup
	for _, n := range c.Nodes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			n.mu.Lock()
			p := n.proc
			n.proc = nil
			n.mu.Unlock()
			p.stop(5 * time.Second)
		}()
	}
	wg.Wait()
	c.zk.stop(5 * time.Second)
	c.zk = nil
	if c.ownDir && c.Dir != "" {
		os.RemoveAll(c.Dir)
	}
}

// Logs returns the last lines of every server's error log, for a failing
// test's message.
func (c *Cluster) Logs(lines int) string {
	var b strings.Builder
	for _, n := range c.Nodes {
		fmt.Fprintf(&b, "--- %s (%s)\n", n.Name(), n.Addr())
		b.WriteString(tail(filepath.Join(n.Dir, "log", "clickhouse-server.err.log"), lines))
	}
	return b.String()
}

func tail(path string, lines int) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	var last []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		last = append(last, sc.Text())
		if len(last) > lines {
			last = last[1:]
		}
	}
	return strings.Join(last, "\n") + "\n"
}

// process is a child process with the means to wait for it once.
type process struct {
	cmd    *exec.Cmd
	exited chan struct{}
	err    error
}

func startProcess(dir, logName string, name string, args ...string) (*process, error) {
	logf, err := os.OpenFile(filepath.Join(dir, logName), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, err
	}
	defer logf.Close()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Stdout, cmd.Stderr = logf, logf
	// Its own process group, killed with the test binary.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	p := &process{cmd: cmd, exited: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		close(p.exited)
	}()
	return p, nil
}

func (p *process) running() bool {
	select {
	case <-p.exited:
		return false
	default:
		return true
	}
}

func (p *process) kill() {
	if p == nil {
		return
	}
	_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
	<-p.exited
}

func (p *process) stop(grace time.Duration) {
	if p == nil {
		return
	}
	_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGTERM)
	select {
	case <-p.exited:
	case <-time.After(grace):
		p.kill()
	}
}

// waitListening waits until addr accepts connections, the process exits,
// or the timeout passes.
func waitListening(ctx context.Context, p *process, addr string, timeout time.Duration, what string) error {
	deadline := time.Now().Add(timeout)
	for {
		if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
			c.Close()
			return nil
		}
		select {
		case <-p.exited:
			return fmt.Errorf("%s exited during start-up (%v)", what, p.err)
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s did not accept connections on %s within %s", what, addr, timeout)
		}
	}
}

func (c *Cluster) startZooKeeper(ctx context.Context, java string) error {
	dir := filepath.Join(c.Dir, "zookeeper")
	if err := os.MkdirAll(filepath.Join(dir, "data"), 0o700); err != nil {
		return err
	}
	// A short tick: a killed server's session (and its replica's
	// is_active node) ends within seconds.
	cfg := fmt.Sprintf(`tickTime=500
initLimit=10
syncLimit=5
dataDir=%s
clientPort=%d
clientPortAddress=127.0.0.1
maxClientCnxns=0
admin.enableServer=false
4lw.commands.whitelist=srvr
`, filepath.Join(dir, "data"), c.ZKPort)
	if err := os.WriteFile(filepath.Join(dir, "zoo.cfg"), []byte(cfg), 0o600); err != nil {
		return err
	}
	p, err := startProcess(dir, "zookeeper.log", java,
		"-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Dzookeeper.admin.enableServer=false",
		"-cp", ZooKeeperJar+":/usr/share/java/slf4j-simple.jar", "org.apache.zookeeper.server.quorum.QuorumPeerMain", filepath.Join(dir, "zoo.cfg"))
	if err != nil {
		return err
	}
	c.zk = p
	addr := "127.0.0.1:" + strconv.Itoa(c.ZKPort)
	if err := waitListening(ctx, p, addr, c.timeout, "ZooKeeper"); err != nil {
		return fmt.Errorf("%w; see %s", err, filepath.Join(dir, "zookeeper.log"))
	}
	// Listening is not serving yet (ClickHouse 18.16 crashes when its
	// first session fails): ask until it serves.
	deadline := time.Now().Add(c.timeout)
	for !serving(addr) {
		if time.Now().After(deadline) {
			return fmt.Errorf("ZooKeeper on %s does not serve requests; see %s", addr, filepath.Join(dir, "zookeeper.log"))
		}
		time.Sleep(100 * time.Millisecond)
	}
	return nil
}

// serving asks ZooKeeper for its status ("srvr"), which names its mode once
// it serves requests.
func serving(addr string) bool {
	conn, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return false
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(2 * time.Second))
	if _, err := conn.Write([]byte("srvr")); err != nil {
		return false
	}
	b, _ := io.ReadAll(io.LimitReader(conn, 4096))
	return strings.Contains(string(b), "Mode: ")
}

func (n *Node) start(ctx context.Context, bin []string) error {
	p, err := startProcess(filepath.Join(n.Dir, "log"), "stdout.log", bin[0],
		append(bin[1:], "--config-file="+filepath.Join(n.Dir, "config.xml"))...)
	if err != nil {
		return err
	}
	n.mu.Lock()
	n.proc = p
	n.mu.Unlock()
	if err := waitListening(ctx, p, n.Addr(), n.c.timeout, "ClickHouse "+n.Name()); err != nil {
		return fmt.Errorf("%w; see %s", err, filepath.Join(n.Dir, "log"))
	}
	// Ready once it reaches ZooKeeper: a distributed DDL sent before
	// that is lost or crashes 18.16.
	deadline := time.Now().Add(n.c.timeout)
	q := url.Values{"query": {"SELECT count() FROM system.zookeeper WHERE path = '/'"}}
	for {
		resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/?%s", n.HTTPPort, q.Encode()))
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		if !p.running() || time.Now().After(deadline) {
			return fmt.Errorf("ClickHouse %s does not reach ZooKeeper; see %s", n.Name(), filepath.Join(n.Dir, "log"))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func freePorts(k int) ([]int, error) {
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	var ports []int
	for range k {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("find a free port: %w", err)
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

func (n *Node) writeConfig() error {
	for _, d := range []string{"data", "tmp", "user_files", "format_schemas", "log"} {
		if err := os.MkdirAll(filepath.Join(n.Dir, d), 0o700); err != nil {
			return err
		}
	}
	var shards [][]*Node
	for s := 1; s <= n.c.shards; s++ {
		var rs []*Node
		for r := 1; r <= n.c.replicas; r++ {
			rs = append(rs, n.c.Node(s, r))
		}
		shards = append(shards, rs)
	}
	f, err := os.Create(filepath.Join(n.Dir, "config.xml"))
	if err != nil {
		return err
	}
	err = configTmpl.Execute(f, map[string]any{"N": n, "Shards": shards, "ZKPort": n.c.ZKPort, "Cluster": Name})
	if err2 := f.Close(); err == nil {
		err = err2
	}
	if err != nil {
		return fmt.Errorf("write %s config: %w", n.Name(), err)
	}
	return os.WriteFile(filepath.Join(n.Dir, "users.xml"), []byte(usersXML), 0o600)
}

// The config is one that ClickHouse 18.16 and current releases both read.
// internal_replication: a Distributed INSERT writes each block to one
// replica of its shard, and the Replicated table copies it to the others
// (without it, Distributed writes every replica itself and replicated
// deduplication is all that stops doubles).
var configTmpl = template.Must(template.New("config").Parse(`<?xml version="1.0"?>
<!-- Generated by reactions' test harness (store/chtest/chcluster). -->
<yandex>
  <logger>
    <level>warning</level>
    <log>{{.N.Dir}}/log/clickhouse-server.log</log>
    <errorlog>{{.N.Dir}}/log/clickhouse-server.err.log</errorlog>
    <size>20M</size>
    <count>2</count>
  </logger>
  <listen_host>127.0.0.1</listen_host>
  <tcp_port>{{.N.TCPPort}}</tcp_port>
  <http_port>{{.N.HTTPPort}}</http_port>
  <interserver_http_port>{{.N.InterserverPort}}</interserver_http_port>
  <interserver_http_host>127.0.0.1</interserver_http_host>
  <path>{{.N.Dir}}/data/</path>
  <tmp_path>{{.N.Dir}}/tmp/</tmp_path>
  <user_files_path>{{.N.Dir}}/user_files/</user_files_path>
  <format_schema_path>{{.N.Dir}}/format_schemas/</format_schema_path>
  <users_config>{{.N.Dir}}/users.xml</users_config>
  <mark_cache_size>67108864</mark_cache_size>
  <uncompressed_cache_size>67108864</uncompressed_cache_size>
  <max_concurrent_queries>100</max_concurrent_queries>
  <default_profile>default</default_profile>
  <default_database>default</default_database>
  <timezone>UTC</timezone>
  <zookeeper>
    <node><host>127.0.0.1</host><port>{{.ZKPort}}</port></node>
    <session_timeout_ms>5000</session_timeout_ms>
  </zookeeper>
  <distributed_ddl><path>/clickhouse/task_queue/ddl</path></distributed_ddl>
  <macros>
    <shard>{{.N.Shard}}</shard>
    <replica>{{.N.Name}}</replica>
  </macros>
  <remote_servers>
    <{{.Cluster}}>{{range .Shards}}
      <shard>
        <internal_replication>true</internal_replication>{{range .}}
        <replica><host>127.0.0.1</host><port>{{.TCPPort}}</port></replica>{{end}}
      </shard>{{end}}
    </{{.Cluster}}>
  </remote_servers>
</yandex>
`))

// load_balancing in_order: every server sends a shard's reads and
// Distributed writes to the first replica of the shard that answers, so the
// aggregator reads its own writes (see store's cluster documentation).
// ClickHouse 18.16 takes no string setting from clickhouse-go, so it is
// set here, in the profile.
const usersXML = `<?xml version="1.0"?>
<yandex>
  <profiles>
    <default>
      <max_memory_usage>2000000000</max_memory_usage>
      <load_balancing>in_order</load_balancing>
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
