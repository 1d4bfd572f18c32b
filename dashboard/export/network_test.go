package export_test

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"

	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/reactions-research/reactions/dashboard/export"
	"github.com/reactions-research/reactions/dashboard/internal/fixture"
	"github.com/reactions-research/reactions/dashboard/network"
	"github.com/reactions-research/reactions/internal/golden"
	"github.com/reactions-research/reactions/reaction"
	"github.com/reactions-research/reactions/store/chtest"
)

// graph is a network as read back from a file: "source>target" and node
// ids to their attributes, as text.
type graph struct {
	nodes map[string]map[string]string
	edges map[string]map[string]string
}

// GraphML as networkx and igraph read it.
type graphML struct {
	XMLName xml.Name `xml:"http://graphml.graphdrawing.org/xmlns graphml"`
	Keys    []struct {
		ID   string `xml:"id,attr"`
		For  string `xml:"for,attr"`
		Name string `xml:"attr.name,attr"`
		Type string `xml:"attr.type,attr"`
	} `xml:"key"`
	Graph struct {
		EdgeDefault string `xml:"edgedefault,attr"`
		Nodes       []struct {
			ID   string    `xml:"id,attr"`
			Data []gmlData `xml:"data"`
		} `xml:"node"`
		Edges []struct {
			ID     string    `xml:"id,attr"`
			Source string    `xml:"source,attr"`
			Target string    `xml:"target,attr"`
			Data   []gmlData `xml:"data"`
		} `xml:"edge"`
	} `xml:"graph"`
}

type gmlData struct {
	Key   string `xml:"key,attr"`
	Value string `xml:",chardata"`
}

// parseGraphML reads a GraphML file and checks what readers rely on:
// declared keys of GraphML's types, data only under declared keys of the
// right domain and of their type, unique ids, edges between nodes.
func parseGraphML(t *testing.T, b []byte) graph {
	t.Helper()
	var doc graphML
	if err := xml.Unmarshal(b, &doc); err != nil {
		t.Fatalf("GraphML does not parse: %v", err)
	}
	if doc.Graph.EdgeDefault != "directed" {
		t.Errorf("edgedefault %q", doc.Graph.EdgeDefault)
	}
	type key struct{ domain, name, typ string }
	keys := map[string]key{}
	for _, k := range doc.Keys {
		switch k.Type {
		case "boolean", "int", "long", "float", "double", "string":
		default:
			t.Errorf("key %s has type %q, not a GraphML type", k.ID, k.Type)
		}
		if _, dup := keys[k.ID]; dup {
			t.Errorf("key %s declared twice", k.ID)
		}
		keys[k.ID] = key{k.For, k.Name, k.Type}
	}
	attrs := func(domain string, data []gmlData) map[string]string {
		out := map[string]string{}
		for _, d := range data {
			k, ok := keys[d.Key]
			if !ok || k.domain != domain {
				t.Fatalf("data under key %q, not a declared %s key", d.Key, domain)
			}
			checkType(t, k.typ, d.Value)
			out[k.name] = d.Value
		}
		return out
	}
	g := graph{nodes: map[string]map[string]string{}, edges: map[string]map[string]string{}}
	for _, n := range doc.Graph.Nodes {
		if _, dup := g.nodes[n.ID]; dup {
			t.Errorf("node %s twice", n.ID)
		}
		g.nodes[n.ID] = attrs("node", n.Data)
	}
	ids := map[string]bool{}
	for _, e := range doc.Graph.Edges {
		if ids[e.ID] {
			t.Errorf("edge id %s twice", e.ID)
		}
		ids[e.ID] = true
		if g.nodes[e.Source] == nil || g.nodes[e.Target] == nil {
			t.Errorf("edge %s joins %s and %s, not both nodes", e.ID, e.Source, e.Target)
		}
		g.edges[e.Source+">"+e.Target] = attrs("edge", e.Data)
	}
	return g
}

func checkType(t *testing.T, typ, v string) {
	t.Helper()
	var err error
	switch typ {
	case "int", "long", "integer":
		_, err = strconv.ParseInt(v, 10, 64)
	case "double", "float":
		_, err = strconv.ParseFloat(v, 64)
	}
	if err != nil {
		t.Errorf("value %q is not of type %s", v, typ)
	}
}

// GEXF 1.2 as Gephi and networkx read it.
type gexf struct {
	XMLName xml.Name `xml:"http://www.gexf.net/1.2draft gexf"`
	Version string   `xml:"version,attr"`
	Graph   struct {
		DefaultEdgeType string `xml:"defaultedgetype,attr"`
		Attributes      []struct {
			Class string `xml:"class,attr"`
			Attrs []struct {
				ID    string `xml:"id,attr"`
				Title string `xml:"title,attr"`
				Type  string `xml:"type,attr"`
			} `xml:"attribute"`
		} `xml:"attributes"`
		Nodes []struct {
			ID     string       `xml:"id,attr"`
			Label  string       `xml:"label,attr"`
			Values []gexfValues `xml:"attvalues>attvalue"`
		} `xml:"nodes>node"`
		Edges []struct {
			ID     string       `xml:"id,attr"`
			Source string       `xml:"source,attr"`
			Target string       `xml:"target,attr"`
			Weight string       `xml:"weight,attr"`
			Values []gexfValues `xml:"attvalues>attvalue"`
		} `xml:"edges>edge"`
	} `xml:"graph"`
}

type gexfValues struct {
	For   string `xml:"for,attr"`
	Value string `xml:"value,attr"`
}

func parseGEXF(t *testing.T, b []byte) graph {
	t.Helper()
	var doc gexf
	if err := xml.Unmarshal(b, &doc); err != nil {
		t.Fatalf("GEXF does not parse: %v", err)
	}
	if doc.Version != "1.2" || doc.Graph.DefaultEdgeType != "directed" {
		t.Errorf("version %q, defaultedgetype %q", doc.Version, doc.Graph.DefaultEdgeType)
	}
	type attr struct{ title, typ string }
	decl := map[string]map[string]attr{}
	for _, a := range doc.Graph.Attributes {
		decl[a.Class] = map[string]attr{}
		for _, x := range a.Attrs {
			switch x.Type {
			case "integer", "long", "double", "float", "boolean", "string":
			default:
				t.Errorf("attribute %s has type %q", x.Title, x.Type)
			}
			decl[a.Class][x.ID] = attr{x.Title, x.Type}
		}
	}
	values := func(class string, vs []gexfValues) map[string]string {
		out := map[string]string{}
		for _, v := range vs {
			a, ok := decl[class][v.For]
			if !ok {
				t.Fatalf("attvalue for %q: no %s attribute", v.For, class)
			}
			checkType(t, a.typ, v.Value)
			out[a.title] = v.Value
		}
		return out
	}
	g := graph{nodes: map[string]map[string]string{}, edges: map[string]map[string]string{}}
	for _, n := range doc.Graph.Nodes {
		g.nodes[n.ID] = values("node", n.Values)
		g.nodes[n.ID]["label"] = n.Label
	}
	for _, e := range doc.Graph.Edges {
		if g.nodes[e.Source] == nil || g.nodes[e.Target] == nil {
			t.Errorf("edge %s joins %s and %s, not both nodes", e.ID, e.Source, e.Target)
		}
		checkType(t, "double", e.Weight)
		g.edges[e.Source+">"+e.Target] = values("edge", e.Values)
		g.edges[e.Source+">"+e.Target]["weight"] = e.Weight
	}
	return g
}

func parseCSVGraph(t *testing.T, edges, nodes []byte) graph {
	t.Helper()
	g := graph{nodes: map[string]map[string]string{}, edges: map[string]map[string]string{}}
	er, nr := readCSV(t, edges), readCSV(t, nodes)
	if strings.Join(er[0], ",") != "source,target,replies,support,criticism,neutral,dominant" {
		t.Fatalf("edge list header %v", er[0])
	}
	for _, row := range nr[1:] {
		m := map[string]string{}
		for i, h := range nr[0] {
			m[h] = row[i]
		}
		g.nodes[row[0]] = m
	}
	for _, row := range er[1:] {
		m := map[string]string{}
		for i, h := range er[0][2:] {
			m[h] = row[i+2]
		}
		if g.nodes[row[0]] == nil || g.nodes[row[1]] == nil {
			t.Errorf("edge %v joins nodes not in the nodes file", row)
		}
		g.edges[row[0]+">"+row[1]] = m
	}
	return g
}

// TestNetworkExportGolden writes the thread fixture's network in the
// three formats, compares each file with its golden file, and reads each
// back: all three hold the same nodes and edges, those of the network.
func TestNetworkExportGolden(t *testing.T) {
	s := chtest.New(t)
	fixture.LoadThreads(t, s)
	e := &export.Exporter{Store: s, Version: "test", Now: func() time.Time { return genTime }}
	ctx := context.Background()
	want, err := network.Build(ctx, s, network.Request{Story: fixture.ThreadsID, From: fixture.ThreadsStart, To: fixture.ThreadsEnd})
	if err != nil {
		t.Fatal(err)
	}
	if want.Summary.Nodes != 9 || want.Summary.Edges != 12 {
		t.Fatalf("the fixture's network: %+v", want.Summary)
	}
	dir := t.TempDir()
	read := func(name string) []byte {
		t.Helper()
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	graphs := map[export.Format]graph{}
	for _, f := range export.NetworkFormats {
		name := "network." + string(f)
		req := export.Request{Story: fixture.ThreadsID, What: "network", Format: f, Command: "reactions export --what network"}
		m, err := e.WriteFile(ctx, req, filepath.Join(dir, name))
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if m.Network == nil || m.Network.Edges != 12 || m.RowCount != 12 || m.Reactions != 23 {
			t.Errorf("%s metadata: %+v", f, m)
		}
		golden.Check(t, filepath.Join("testdata", "network", name), read(name))
		meta := regexp.MustCompile(`"generated_at": "[^"]*"`).ReplaceAll(read(name+".meta.json"), []byte(`"generated_at": "(scrubbed)"`))
		golden.Check(t, filepath.Join("testdata", "network", name+".meta.json"), meta)
		switch f {
		case export.GraphML:
			graphs[f] = parseGraphML(t, read(name))
		case export.GEXF:
			graphs[f] = parseGEXF(t, read(name))
		case export.CSV:
			if m.NodesFile != "network.nodes.csv" {
				t.Errorf("nodes file %q", m.NodesFile)
			}
			golden.Check(t, filepath.Join("testdata", "network", "network.nodes.csv"), read("network.nodes.csv"))
			graphs[f] = parseCSVGraph(t, read(name), read("network.nodes.csv"))
		}
	}
	for f, g := range graphs {
		if len(g.nodes) != len(want.Nodes) || len(g.edges) != len(want.Edges) {
			t.Errorf("%s: %d nodes and %d edges, want %d and %d", f, len(g.nodes), len(g.edges), len(want.Nodes), len(want.Edges))
		}
		for _, n := range want.Nodes {
			got := g.nodes[n.ID]
			for k, v := range map[string]string{"label": n.ID, "platform": string(n.Platform), "reactions": fmt.Sprint(n.Reactions),
				"support": fmt.Sprint(n.Support), "criticism": fmt.Sprint(n.Criticism), "neutral": fmt.Sprint(n.Neutral),
				"dominant": n.Dominant, "thread_starters": fmt.Sprint(n.ThreadStarters),
				"replies_sent": fmt.Sprint(n.RepliesSent), "replies_received": fmt.Sprint(n.RepliesReceived)} {
				if got[k] != v {
					t.Errorf("%s: node %s %s = %q, want %q", f, n.ID, k, got[k], v)
				}
			}
		}
		for _, e := range want.Edges {
			got := g.edges[e.Source+">"+e.Target]
			attrs := map[string]string{"replies": fmt.Sprint(e.Replies), "support": fmt.Sprint(e.Support),
				"criticism": fmt.Sprint(e.Criticism), "neutral": fmt.Sprint(e.Neutral), "dominant": e.Dominant}
			if f != export.CSV {
				attrs["weight"] = fmt.Sprint(e.Replies)
			}
			for k, v := range attrs {
				if got[k] != v {
					t.Errorf("%s: edge %s>%s %s = %q, want %q", f, e.Source, e.Target, k, got[k], v)
				}
			}
		}
	}

	// A range and a platform: Hacker News only, its three authors.
	var buf bytes.Buffer
	m, err := e.Network(ctx, export.Request{Story: fixture.ThreadsID, Format: export.GraphML, Platform: reaction.HackerNews}, &buf)
	if err != nil {
		t.Fatal(err)
	}
	g := parseGraphML(t, buf.Bytes())
	if len(g.nodes) != 3 || len(g.edges) != 4 || m.Network.Reciprocity == nil || *m.Network.Reciprocity != 0.5 {
		t.Errorf("hackernews: %d nodes, %d edges, %+v", len(g.nodes), len(g.edges), m.Network)
	}
	buf.Reset()
	m, err = e.Network(ctx, export.Request{Story: fixture.ThreadsID, Format: export.CSV, Part: export.NodesPart,
		From: fixture.ThreadsPublished, To: fixture.ThreadsPublished.Add(time.Hour)}, &buf)
	if err != nil {
		t.Fatal(err)
	}
	if m.RowCount != int64(len(readCSV(t, buf.Bytes()))-1) || m.Network.Reactions != 10 {
		t.Errorf("first hour: %d node rows, %+v", m.RowCount, m.Network)
	}

	// Bad requests name the problem.
	for _, req := range []export.Request{
		{Story: fixture.ThreadsID, Format: export.Parquet},
		{Story: fixture.ThreadsID, Format: export.GEXF, Part: export.NodesPart},
		{Story: fixture.ThreadsID, Format: export.CSV, Part: "vertices"},
	} {
		if _, err := e.Network(ctx, req, &buf); err == nil {
			t.Errorf("%+v: no error", req)
		}
	}
}

// TestNetworkSidecarHoldsTheSummary: the metadata carries the summary the
// command prints, under documented names.
func TestNetworkSidecarHoldsTheSummary(t *testing.T) {
	s := chtest.New(t)
	fixture.LoadThreads(t, s)
	e := &export.Exporter{Store: s, Version: "test", Now: func() time.Time { return genTime }}
	m, err := e.Network(context.Background(), export.Request{Story: fixture.ThreadsID, Format: export.GEXF, MetaOnly: true}, nil)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(m)
	var side map[string]any
	json.Unmarshal(b, &side)
	net := side["network"].(map[string]any)
	for _, k := range []string{"nodes", "edges", "replies", "reactions", "top_level", "reciprocity", "criticism_to_support",
		"support_to_criticism", "criticism_to_support_share", "support_to_criticism_share", "counted_apart"} {
		if _, ok := net[k]; !ok {
			t.Errorf("sidecar network lacks %s: %v", k, net)
		}
	}
	if len(side["node_columns"].([]any)) != len(export.NetworkNodeColumns) || side["what"] != "network" {
		t.Errorf("sidecar %v", side)
	}
}
