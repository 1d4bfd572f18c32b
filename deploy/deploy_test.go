// Package deploy_test checks the deployment files that cannot run here (no
// Docker engine, no Kubernetes) by validating them with the real tools:
// Debian's docker-compose, Prometheus' promtool, and a YAML parse of the
// Kubernetes manifests with the kinds and probes they must have.
package deploy_test

import (
	"bytes"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/reactions-research/reactions/story"
)

func need(t *testing.T, tool, pkg string) string {
	t.Helper()
	p, err := exec.LookPath(tool)
	if err != nil {
		t.Fatalf("%s is needed to validate the deployment files: install it with `apt-get install %s` (`make test` does)", tool, pkg)
	}
	return p
}

// TestComposeConfig: docker-compose.yml is valid in every profile, and
// the cluster profile has what docs/scaling.md promises.
func TestComposeConfig(t *testing.T) {
	compose := need(t, "docker-compose", "docker-compose")
	for _, profile := range []string{"", "cluster"} {
		args := []string{"-f", filepath.Join("..", "docker-compose.yml")}
		if profile != "" {
			args = append(args, "--profile", profile)
		}
		cmd := exec.Command(compose, append(args, "config")...)
		cmd.Env = append(os.Environ(), "REACTIONS_SECRET=test-secret", "REACTIONS_CONTACT=test@example.org")
		var out, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &stderr
		if err := cmd.Run(); err != nil {
			t.Fatalf("docker-compose config (profile %q): %v\n%s", profile, err, stderr.String())
		}
		if profile != "cluster" {
			continue
		}
		var cfg struct {
			Services map[string]struct {
				Image    string   `yaml:"image"`
				Command  []string `yaml:"command"`
				Profiles []string `yaml:"profiles"`
			} `yaml:"services"`
		}
		if err := yaml.Unmarshal(out.Bytes(), &cfg); err != nil {
			t.Fatal(err)
		}
		var ch, keeper, shards, routed int
		for name, s := range cfg.Services {
			if !strings.HasPrefix(name, "ch-") && !strings.HasPrefix(name, "cluster-") && name != "keeper" {
				continue
			}
			if len(s.Profiles) != 1 || s.Profiles[0] != "cluster" {
				t.Errorf("%s: profiles %v, want [cluster]", name, s.Profiles)
			}
			switch {
			case s.Image == "clickhouse/clickhouse-server:26.8":
				ch++
			case strings.HasPrefix(s.Image, "clickhouse/clickhouse-keeper:"):
				keeper++
			}
			cmd := strings.Join(s.Command, " ")
			if strings.Contains(cmd, "--shard 0/2") || strings.Contains(cmd, "--shard 1/2") {
				shards++
			}
			if strings.HasPrefix(cmd, "crawl ") && strings.Contains(cmd, "cluster-aggregator-0:8081,http://cluster-aggregator-1:8081") {
				routed++
			}
		}
		if ch != 4 || keeper != 1 || shards != 2 || routed != 2 {
			t.Errorf("cluster profile: %d ClickHouse 26.8 servers, %d Keeper, %d sharded aggregators, %d routing crawlers; want 4, 1, 2, 2", ch, keeper, shards, routed)
		}
	}
}

// TestPrometheusConfigs: promtool accepts every Prometheus config.
func TestPrometheusConfigs(t *testing.T) {
	promtool := need(t, "promtool", "prometheus")
	for _, f := range []string{"prometheus.yml", "clickhouse-cluster/prometheus.yml"} {
		if out, err := exec.Command(promtool, "check", "config", f).CombinedOutput(); err != nil {
			t.Errorf("promtool check config %s: %v\n%s", f, err, out)
		}
	}
}

type manifest struct {
	APIVersion string `yaml:"apiVersion"`
	Kind       string `yaml:"kind"`
	Metadata   struct {
		Name string `yaml:"name"`
	} `yaml:"metadata"`
	Data map[string]string `yaml:"data"`
	Spec struct {
		Replicas             int   `yaml:"replicas"`
		VolumeClaimTemplates []any `yaml:"volumeClaimTemplates"`
		Template             struct {
			Spec podSpec `yaml:"spec"`
		} `yaml:"template"`
	} `yaml:"spec"`
}

type podSpec struct {
	Containers []struct {
		Args           []string `yaml:"args"`
		ReadinessProbe *struct {
			HTTPGet struct {
				Path string `yaml:"path"`
			} `yaml:"httpGet"`
		} `yaml:"readinessProbe"`
	} `yaml:"containers"`
}

// TestKubernetesManifests: the manifests parse as YAML with the kinds the
// cluster mode needs, the aggregators keep their spools and answer
// readiness from /healthz, and the example story is one reactions reads.
func TestKubernetesManifests(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("k8s", "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no manifests in deploy/k8s (%v)", err)
	}
	kinds := map[string]int{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		dec := yaml.NewDecoder(bytes.NewReader(b))
		dec.KnownFields(false)
		for i := 0; ; i++ {
			var m manifest
			if err := dec.Decode(&m); errors.Is(err, io.EOF) {
				break
			} else if err != nil {
				t.Fatalf("%s, document %d: %v", f, i+1, err)
			}
			if m.APIVersion == "" || m.Kind == "" || m.Metadata.Name == "" {
				t.Errorf("%s, document %d: apiVersion %q kind %q name %q", f, i+1, m.APIVersion, m.Kind, m.Metadata.Name)
			}
			kinds[m.Kind]++
			args := ""
			if cs := m.Spec.Template.Spec.Containers; len(cs) > 0 {
				args = strings.Join(cs[0].Args, " ")
			}
			switch m.Kind {
			case "StatefulSet":
				c := m.Spec.Template.Spec.Containers[0]
				if len(m.Spec.VolumeClaimTemplates) == 0 || c.ReadinessProbe == nil || c.ReadinessProbe.HTTPGet.Path != "/healthz" ||
					!strings.Contains(args, "--shard $(POD_INDEX)/2") || m.Spec.Replicas != 2 {
					t.Errorf("%s: the aggregators' StatefulSet needs 2 replicas, a spool volume, readiness from /healthz and --shard from the pod index", m.Metadata.Name)
				}
			case "Deployment", "Job":
				if strings.HasPrefix(args, "crawl ") && !strings.Contains(args, "reactions-aggregator-0.reactions-aggregator:8081,http://reactions-aggregator-1.reactions-aggregator:8081") {
					t.Errorf("%s: a crawler must name every aggregator, in order", m.Metadata.Name)
				}
				if strings.HasPrefix(args, "dashboard ") {
					if c := m.Spec.Template.Spec.Containers[0]; c.ReadinessProbe == nil || c.ReadinessProbe.HTTPGet.Path != "/healthz" {
						t.Errorf("%s: the dashboard's readiness comes from /healthz", m.Metadata.Name)
					}
				}
			case "ConfigMap":
				for name, text := range m.Data {
					if _, err := story.Parse([]byte(text)); err != nil {
						t.Errorf("%s: %s is not a story reactions reads: %v", m.Metadata.Name, name, err)
					}
				}
			}
		}
	}
	for _, k := range []string{"StatefulSet", "Deployment", "Job", "Service", "Secret", "ConfigMap"} {
		if kinds[k] == 0 {
			t.Errorf("no %s among the manifests (%v)", k, kinds)
		}
	}
}
