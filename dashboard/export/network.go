package export

import (
	"bufio"
	"context"
	"encoding/xml"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/reactions-research/reactions/dashboard/network"
	"github.com/reactions-research/reactions/store"
)

// The network formats besides CSV (an edge list plus a nodes file).
const (
	// GraphML is read by networkx (read_graphml), igraph, Gephi and yEd.
	GraphML Format = "graphml"
	// GEXF (1.2) is Gephi's own format; networkx reads it too.
	GEXF Format = "gexf"
)

// NetworkFormats lists the formats of a reply network.
var NetworkFormats = []Format{GraphML, GEXF, CSV}

// ParseNetworkFormat returns the network format named s.
func ParseNetworkFormat(s string) (Format, error) {
	for _, f := range NetworkFormats {
		if string(f) == s {
			return f, nil
		}
	}
	return "", fmt.Errorf("%q is not one of graphml, gexf, csv", s)
}

// The parts of a CSV network (Request.Part).
const (
	EdgesPart = "edges"
	NodesPart = "nodes"
)

// NodesPath is where WriteFile puts the nodes of a CSV network written to
// path: "x.csv" gives "x.nodes.csv".
func NodesPath(path string) string {
	return strings.TrimSuffix(path, ".csv") + ".nodes.csv"
}

// NetworkEdgeColumns document the edges of a network (the CSV edge list's
// columns, the GraphML and GEXF edge attributes).
var NetworkEdgeColumns = []Column{
	{"source", "string", "node id of the replier"},
	{"target", "string", "node id of the author replied to"},
	{"replies", "int64", "replies from source to target in the range (the edge weight; GraphML and GEXF also carry it as weight)"},
	{"support", "int64", "of these replies, those supporting the subject"},
	{"criticism", "int64", "of these replies, those criticising the subject"},
	{"neutral", "int64", "of these replies, the neutral ones"},
	{"dominant", "string", "the most frequent stance of these replies; mixed on a tie"},
}

// NetworkNodeColumns document the nodes of a network.
var NetworkNodeColumns = []Column{
	{"id", "string", "the author's pseudonym (prefixed platform: only where the same author string occurs on two platforms)"},
	{"label", "string", "the same as id"},
	{"platform", "string", "platform of the author"},
	{"reactions", "int64", "the author's reactions in the range (thread starters not included)"},
	{"support", "int64", "of these, those supporting the subject"},
	{"criticism", "int64", "of these, those criticising the subject"},
	{"neutral", "int64", "of these, the neutral ones"},
	{"dominant", "string", "the most frequent stance of the author's reactions; mixed on a tie, none without reactions"},
	{"thread_starters", "int64", "thread starters by the author (is_root: usually the news) posted or answered in the range"},
	{"replies_sent", "int64", "weight of the author's edges out"},
	{"replies_received", "int64", "weight of the author's edges in"},
}

// Network writes the signed reply network of req to w and returns its
// metadata: GraphML, GEXF, or for CSV the part req.Part (the edge list
// by default, or the nodes).
func (e *Exporter) Network(ctx context.Context, req Request, w io.Writer) (*Meta, error) {
	net, m, err := e.network(ctx, &req)
	if err != nil || req.MetaOnly {
		return m, err
	}
	if err := writeNetwork(w, net, m, req.Format, req.Part, !req.NoBOM); err != nil {
		return nil, err
	}
	return m, nil
}

// network resolves req, builds its network and its metadata.
func (e *Exporter) network(ctx context.Context, req *Request) (*network.Network, *Meta, error) {
	req.What = "network"
	if _, err := ParseNetworkFormat(string(req.Format)); err != nil {
		return nil, nil, err
	}
	if req.Part != "" && req.Part != EdgesPart && req.Part != NodesPart {
		return nil, nil, fmt.Errorf("part %q is not one of edges, nodes", req.Part)
	}
	if req.Part == NodesPart && req.Format != CSV {
		return nil, nil, fmt.Errorf("part nodes applies to CSV only (GraphML and GEXF hold the nodes)")
	}
	rec, srcs, err := e.Resolve(ctx, req)
	if err != nil {
		return nil, nil, err
	}
	net, err := network.Build(ctx, e.Store, network.Request{Story: req.Story, From: req.From, To: req.To, Platform: req.Platform,
		Quotes: req.Quotes})
	if err != nil {
		return nil, nil, err
	}
	cnt, err := e.Store.CountReactions(ctx, store.ReactionQuery{Story: req.Story, From: req.From, To: req.To,
		Platforms: platformList(req.Platform), NoRoots: true})
	if err != nil {
		return nil, nil, err
	}
	m := e.baseMeta(req, rec, srcs)
	m.ClassifierVersions = cnt.Classifiers
	sum := net.Summary
	m.Network, m.Reactions = &sum, sum.Reactions
	m.Columns, m.NodeColumns = NetworkEdgeColumns, NetworkNodeColumns
	m.RowCount = int64(len(net.Edges))
	if req.Part == NodesPart {
		m.RowCount = int64(len(net.Nodes))
		m.Parameters["part"] = NodesPart
	}
	m.Parameters["quotes"] = strconv.FormatBool(req.Quotes)
	quotes := "Quote posts (relation quote, Bluesky) are counted apart (network.counted_apart.quotes); --quotes makes them edges."
	if req.Quotes {
		quotes = "Quote posts (relation quote, Bluesky) are edges too: replies counts replies and quotes together."
	}
	m.Notes = append(m.Notes,
		"Nodes are pseudonymous authors; an edge goes from the author of a reply to the author of the reaction it answers, weighted by the number of replies in the range and split by the replier's stance toward the subject.",
		"Thread starters (is_root, usually the news itself) are not reactions: their authors are nodes because people answer them (thread_starters counts them), but their own stance is in no count.",
		"Only stored data is used: parent ids and authors of the current reaction states. Parents are looked up in the whole story, also before the range.",
		"Counted apart (network.counted_apart), never edges: deleted reactions, reactions without a pseudonym, replies whose parent is not stored, is deleted or has no pseudonym, and replies to oneself.",
		"reciprocity is the share of edges whose reverse edge exists (networkx overall_reciprocity). criticism_to_support counts edges whose dominant stance is criticism aimed at an author whose dominant stance is support; support_to_criticism the reverse; their shares are of all edges.",
		quotes,
		"row_count is the number of edges (of nodes for a nodes file); the nodes file of a CSV export is named in nodes_file.")
	return net, m, nil
}

// writeNetwork writes net in format f (part: a CSV network's edges or
// nodes).
func writeNetwork(w io.Writer, net *network.Network, m *Meta, f Format, part string, bom bool) error {
	var err error
	switch {
	case f == GraphML:
		err = writeGraphML(w, net, m)
	case f == GEXF:
		err = writeGEXF(w, net, m)
	case part == NodesPart:
		err = writeNodesCSV(w, net, bom)
	default:
		err = writeEdgesCSV(w, net, bom)
	}
	if err != nil {
		return fmt.Errorf("write network: %w", err)
	}
	return nil
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func writeEdgesCSV(w io.Writer, net *network.Network, bom bool) error {
	c := newCSV(w, bom)
	if err := c.begin(columnNames(NetworkEdgeColumns)); err != nil {
		return err
	}
	for _, e := range net.Edges {
		if err := c.row([]string{e.Source, e.Target, itoa(e.Replies), itoa(e.Support), itoa(e.Criticism), itoa(e.Neutral), e.Dominant}, nil, nil); err != nil {
			return err
		}
	}
	return c.end(nil)
}

func writeNodesCSV(w io.Writer, net *network.Network, bom bool) error {
	c := newCSV(w, bom)
	if err := c.begin(columnNames(NetworkNodeColumns)); err != nil {
		return err
	}
	for _, n := range net.Nodes {
		if err := c.row(nodeCells(&n), nil, nil); err != nil {
			return err
		}
	}
	return c.end(nil)
}

// nodeCells are a node's values in NetworkNodeColumns order.
func nodeCells(n *network.Node) []string {
	return []string{n.ID, n.ID, string(n.Platform), itoa(n.Reactions), itoa(n.Support), itoa(n.Criticism), itoa(n.Neutral),
		n.Dominant, itoa(n.ThreadStarters), itoa(n.RepliesSent), itoa(n.RepliesReceived)}
}

// edgeCells are an edge's attribute values: NetworkEdgeColumns from
// replies on.
func edgeCells(e *network.Edge) []string {
	return []string{itoa(e.Replies), itoa(e.Support), itoa(e.Criticism), itoa(e.Neutral), e.Dominant}
}

// attrType is the type of a column in GraphML (attr.type) and GEXF.
func attrType(c Column, gexf bool) string {
	if c.Type != "int64" {
		return "string"
	}
	if gexf {
		return "integer"
	}
	return "long"
}

// xmlWriter writes indented XML elements, escaping every value
// (xml.EscapeText: invalid characters become U+FFFD).
type xmlWriter struct {
	bw    *bufio.Writer
	depth int
	err   error
}

func newXMLWriter(w io.Writer) *xmlWriter {
	x := &xmlWriter{bw: bufio.NewWriterSize(w, 64<<10)}
	x.raw(xml.Header)
	return x
}

func (x *xmlWriter) raw(s string) {
	if x.err == nil {
		_, x.err = x.bw.WriteString(s)
	}
}

func (x *xmlWriter) escaped(s string) {
	if x.err == nil {
		x.err = xml.EscapeText(x.bw, []byte(s))
	}
}

// open writes the indented tag name with attributes kv (name, value, …),
// unclosed.
func (x *xmlWriter) open(name string, kv []string) {
	x.raw(strings.Repeat("  ", x.depth) + "<" + name)
	for i := 0; i+1 < len(kv); i += 2 {
		x.raw(" " + kv[i] + `="`)
		x.escaped(kv[i+1])
		x.raw(`"`)
	}
}

// start writes <name k="v"> on its own line.
func (x *xmlWriter) start(name string, kv ...string) {
	x.open(name, kv)
	x.raw(">\n")
	x.depth++
}

// end writes </name> on its own line.
func (x *xmlWriter) end(name string) {
	x.depth--
	x.raw(strings.Repeat("  ", x.depth) + "</" + name + ">\n")
}

// empty writes <name k="v"/>.
func (x *xmlWriter) empty(name string, kv ...string) {
	x.open(name, kv)
	x.raw("/>\n")
}

// text writes <name k="v">text</name>.
func (x *xmlWriter) text(name, text string, kv ...string) {
	x.open(name, kv)
	x.raw(">")
	x.escaped(text)
	x.raw("</" + name + ">\n")
}

func (x *xmlWriter) close() error {
	if x.err != nil {
		return x.err
	}
	return x.bw.Flush()
}

func description(m *Meta) string {
	d := "Signed reply network of story " + m.Story.ID + " from " + formatTime(m.From) + " to " + formatTime(m.To)
	if m.Platform != "" {
		d += " on " + m.Platform
	}
	return d + ", by " + m.Tool + " " + m.ToolVersion + " (metadata in the .meta.json sidecar)"
}

// writeGraphML writes the network as GraphML, with typed keys for every
// node and edge column and weight (= replies) on edges.
func writeGraphML(w io.Writer, net *network.Network, m *Meta) error {
	x := newXMLWriter(w)
	nodeCols, edgeCols := NetworkNodeColumns[2:], NetworkEdgeColumns[2:] // id and label, source and target are XML attributes
	x.start("graphml", "xmlns", "http://graphml.graphdrawing.org/xmlns",
		"xmlns:xsi", "http://www.w3.org/2001/XMLSchema-instance",
		"xsi:schemaLocation", "http://graphml.graphdrawing.org/xmlns http://graphml.graphdrawing.org/xmlns/1.0/graphml.xsd")
	x.text("desc", description(m))
	x.empty("key", "id", "label", "for", "node", "attr.name", "label", "attr.type", "string")
	for _, c := range nodeCols {
		x.empty("key", "id", "n_"+c.Name, "for", "node", "attr.name", c.Name, "attr.type", attrType(c, false))
	}
	for _, c := range edgeCols {
		x.empty("key", "id", "e_"+c.Name, "for", "edge", "attr.name", c.Name, "attr.type", attrType(c, false))
	}
	x.empty("key", "id", "weight", "for", "edge", "attr.name", "weight", "attr.type", "double")
	x.start("graph", "id", m.Story.ID, "edgedefault", "directed")
	for i := range net.Nodes {
		n := &net.Nodes[i]
		x.start("node", "id", n.ID)
		x.text("data", n.ID, "key", "label")
		for j, v := range nodeCells(n)[2:] {
			x.text("data", v, "key", "n_"+nodeCols[j].Name)
		}
		x.end("node")
	}
	for i := range net.Edges {
		e := &net.Edges[i]
		x.start("edge", "id", "e"+strconv.Itoa(i), "source", e.Source, "target", e.Target)
		for j, v := range edgeCells(e) {
			x.text("data", v, "key", "e_"+edgeCols[j].Name)
		}
		x.text("data", itoa(e.Replies), "key", "weight")
		x.end("edge")
	}
	x.end("graph")
	x.end("graphml")
	return x.close()
}

// writeGEXF writes the network as GEXF 1.2 (what Gephi 0.9 and later, and
// networkx, read), with the edge weight = replies.
func writeGEXF(w io.Writer, net *network.Network, m *Meta) error {
	x := newXMLWriter(w)
	nodeCols, edgeCols := NetworkNodeColumns[2:], NetworkEdgeColumns[2:]
	x.start("gexf", "xmlns", "http://www.gexf.net/1.2draft",
		"xmlns:xsi", "http://www.w3.org/2001/XMLSchema-instance",
		"xsi:schemaLocation", "http://www.gexf.net/1.2draft http://www.gexf.net/1.2draft/gexf.xsd", "version", "1.2")
	x.start("meta", "lastmodifieddate", m.GeneratedAt.Format("2006-01-02"))
	x.text("creator", m.Tool+" "+m.ToolVersion)
	x.text("description", description(m))
	x.end("meta")
	x.start("graph", "mode", "static", "defaultedgetype", "directed")
	for _, cls := range []struct {
		name string
		cols []Column
	}{{"node", nodeCols}, {"edge", edgeCols}} {
		x.start("attributes", "class", cls.name)
		for i, c := range cls.cols {
			x.empty("attribute", "id", strconv.Itoa(i), "title", c.Name, "type", attrType(c, true))
		}
		x.end("attributes")
	}
	attvalues := func(vals []string) {
		x.start("attvalues")
		for i, v := range vals {
			x.empty("attvalue", "for", strconv.Itoa(i), "value", v)
		}
		x.end("attvalues")
	}
	x.start("nodes")
	for i := range net.Nodes {
		n := &net.Nodes[i]
		x.start("node", "id", n.ID, "label", n.ID)
		attvalues(nodeCells(n)[2:])
		x.end("node")
	}
	x.end("nodes")
	x.start("edges")
	for i := range net.Edges {
		e := &net.Edges[i]
		x.start("edge", "id", strconv.Itoa(i), "source", e.Source, "target", e.Target, "weight", itoa(e.Replies))
		attvalues(edgeCells(e))
		x.end("edge")
	}
	x.end("edges")
	x.end("graph")
	x.end("gexf")
	return x.close()
}
