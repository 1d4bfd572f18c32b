package story

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// DefaultPoll is the --follow re-poll period when a story file sets none.
const DefaultPoll = 5 * time.Minute

// Parse reads a story file (YAML; JSON is valid YAML, so the aggregator parses
// JSON bodies with it too) and validates it. Unknown keys are errors naming
// their line; bad values are errors naming their field. After Parse every id
// list holds native ids only (see Validate).
func Parse(data []byte) (*Story, error) {
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, errors.New("story file is empty")
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var s Story
	if err := dec.Decode(&s); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, errors.New("story file is empty")
		}
		return nil, yamlError(err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		return nil, fmt.Errorf("line %d: a story file holds one story (a second YAML document starts here)", extra.Line)
	}
	if err := s.Validate(); err != nil {
		return nil, err
	}
	return &s, nil
}

// Load reads and parses the story file at path.
func Load(path string) (*Story, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read story file: %w", err)
	}
	s, err := Parse(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return s, nil
}

var typeNames = strings.NewReplacer(
	"story.Story", "the story",
	"story.Source", "a source",
	"story.Window", "window",
	"story.WebFields", "fields",
	"story.Annotation", "an annotation",
	"story.Codebook", "the codebook",
	"story.CodeDef", "a code of the codebook",
)

var notFoundRe = regexp.MustCompile(`^line (\d+): field (\S+) not found in type (\S+)$`)

// yamlError rewrites the YAML library's messages into the file's terms:
// "line 7: unknown key \"thread\" in a source".
func yamlError(err error) error {
	var te *yaml.TypeError
	if !errors.As(err, &te) {
		return fmt.Errorf("story file is not valid YAML: %s", strings.TrimPrefix(err.Error(), "yaml: "))
	}
	msgs := make([]string, 0, len(te.Errors))
	for _, m := range te.Errors {
		if g := notFoundRe.FindStringSubmatch(m); g != nil {
			m = fmt.Sprintf("line %s: unknown key %q in %s", g[1], g[2], typeNames.Replace(g[3]))
		}
		msgs = append(msgs, typeNames.Replace(m))
	}
	return errors.New(strings.Join(msgs, "\n"))
}

// String formats d the way story files write it: "5m", "30s", "1h30m".
func (d Duration) String() string {
	s := time.Duration(d).String()
	if strings.HasSuffix(s, "m0s") {
		s = s[:len(s)-2]
	}
	if strings.HasSuffix(s, "h0m") {
		s = s[:len(s)-2]
	}
	return s
}

// MarshalText writes d as "5m".
func (d Duration) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText reads "5m", "30s", "1h30m".
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := parseDuration(string(b))
	if err != nil {
		return err
	}
	*d = Duration(v)
	return nil
}

// UnmarshalYAML reads a duration scalar and names its line when it is bad.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return &yaml.TypeError{Errors: []string{fmt.Sprintf("line %d: a duration must be a value like 5m, not a list or map", n.Line)}}
	}
	v, err := parseDuration(n.Value)
	if err != nil {
		return &yaml.TypeError{Errors: []string{fmt.Sprintf("line %d: %v", n.Line, err)}}
	}
	*d = Duration(v)
	return nil
}

// MarshalJSON writes d as a JSON string "5m".
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(d.String()) }

// UnmarshalJSON reads a JSON string "5m".
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("a duration must be a string like \"5m\", not %s", b)
	}
	return d.UnmarshalText([]byte(s))
}

func parseDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	v, err := time.ParseDuration(s)
	if err != nil {
		if _, nerr := fmt.Sscanf(s, "%d", new(int)); nerr == nil && !strings.ContainsAny(s, "hmsuµn") {
			return 0, fmt.Errorf("%q has no unit (write %ss or 5m)", s, s)
		}
		return 0, fmt.Errorf("%q is not a duration (write 30s, 5m or 1h)", s)
	}
	return v, nil
}

// ParseRate reads a request rate written "N/period": "100/1m", "10/s",
// "300/5m", "50/10s". It returns the count and the period.
func ParseRate(s string) (n int, per time.Duration, err error) {
	num, den, ok := strings.Cut(strings.TrimSpace(s), "/")
	if !ok {
		return 0, 0, fmt.Errorf("%q is not a rate (write requests/period, e.g. 100/1m)", s)
	}
	if _, err := fmt.Sscanf(strings.TrimSpace(num), "%d", &n); err != nil || n <= 0 || fmt.Sprint(n) != strings.TrimSpace(num) {
		return 0, 0, fmt.Errorf("%q is not a rate: %q is not a positive whole number of requests", s, num)
	}
	den = strings.TrimSpace(den)
	if den != "" && (den[0] < '0' || den[0] > '9') {
		den = "1" + den
	}
	per, err = time.ParseDuration(den)
	if err != nil || per <= 0 {
		return 0, 0, fmt.Errorf("%q is not a rate: %q is not a period like 1m or 10s", s, den)
	}
	return n, per, nil
}
