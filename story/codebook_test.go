package story

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

const withSource = "  - platform: hackernews\n    stories: [1]\n"

func TestCodebookParses(t *testing.T) {
	file := base + withSource + `codebook:
  instructions: Code the stance toward X.
  support:
    definition: Sides with X.
    examples: ["Go X!", "  Leave X alone.  "]
  criticism:
    definition: Against X.
    examples: One example alone.
  neutral: {definition: Neither.}
`
	s, err := Parse([]byte(file))
	if err != nil {
		t.Fatal(err)
	}
	cb := s.Codebook
	if cb == nil || cb.Instructions != "Code the stance toward X." || cb.Support.Definition != "Sides with X." ||
		!reflect.DeepEqual(cb.Support.Examples, []string{"Go X!", "Leave X alone."}) ||
		!reflect.DeepEqual(cb.Criticism.Examples, []string{"One example alone."}) || cb.Neutral.Definition != "Neither." || cb.Unclear != nil {
		t.Fatalf("codebook %+v", cb)
	}
	full := cb.Or()
	if full.Unclear == nil || full.Unclear.Definition != DefaultCodebook().Unclear.Definition || full.Instructions != cb.Instructions {
		t.Errorf("Or did not fill unclear only: %+v", full)
	}
	// The stored JSON form parses back to the same codebook.
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	again, err := Parse(b)
	if err != nil {
		t.Fatalf("Parse(JSON): %v", err)
	}
	if !reflect.DeepEqual(again.Codebook.Or().Support, full.Support) || again.Codebook.Instructions != cb.Instructions {
		t.Errorf("JSON round trip changed the codebook: %+v", again.Codebook)
	}
	var viaJSON Story
	if err := json.Unmarshal(b, &viaJSON); err != nil || viaJSON.Codebook.Neutral.Definition != "Neither." {
		t.Errorf("json.Unmarshal: %v %+v", err, viaJSON.Codebook)
	}
}

func TestCodebookDefault(t *testing.T) {
	s, err := Parse([]byte(base + withSource))
	if err != nil {
		t.Fatal(err)
	}
	if s.Codebook != nil {
		t.Fatal("a story without codebook got one")
	}
	d := s.Codebook.Or()
	for name, c := range map[string]*CodeDef{"support": d.Support, "criticism": d.Criticism, "neutral": d.Neutral, "unclear": d.Unclear} {
		if c == nil || c.Definition == "" {
			t.Errorf("default codebook has no %s", name)
		}
	}
	if !strings.Contains(d.Instructions, "not its sentiment") {
		t.Errorf("default instructions are not the README's rule: %q", d.Instructions)
	}
	var ps problems
	d.validate(&ps)
	if len(ps) != 0 {
		t.Errorf("default codebook does not validate: %v", ps)
	}
}

// TestCodebookErrors: every problem names its field and the line.
func TestCodebookErrors(t *testing.T) {
	head := base + withSource // codebook: is line 6
	tests := []struct {
		name, file string
		want       []string
	}{
		{"unknown code", head + "codebook:\n  support: {definition: a}\n  criticism: {definition: b}\n  neutral: {definition: c}\n  suport: {definition: d}\n",
			[]string{`line 10: unknown key "suport" in codebook`}},
		{"unknown key in a code", head + "codebook:\n  support:\n    definition: a\n    example: [x]\n  criticism: {definition: b}\n  neutral: {definition: c}\n",
			[]string{`line 9: unknown key "example" in codebook.support (use definition, examples)`}},
		{"missing definition", head + "codebook:\n  support: {definition: a}\n  criticism:\n    examples: [x]\n  neutral: {definition: c}\n",
			[]string{"codebook.criticism (line 8): definition is missing"}},
		{"missing code", head + "codebook:\n  support: {definition: a}\n  neutral: {definition: c}\n",
			[]string{"codebook (from line 7): criticism is missing"}},
		{"empty example", head + "codebook:\n  support: {definition: a, examples: [\"x\", \" \"]}\n  criticism: {definition: b}\n  neutral: {definition: c}\n",
			[]string{"codebook.support.examples[1] (line 7): empty example"}},
		{"not a map", head + "codebook: be nice\n", []string{"line 6: codebook must be a map"}},
		{"examples not texts", head + "codebook:\n  support: {definition: a, examples: [{x: 1}]}\n  criticism: {definition: b}\n  neutral: {definition: c}\n",
			[]string{"line 7: codebook.support.examples must be a list of texts"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(tc.file))
			if err == nil {
				t.Fatalf("Parse accepted:\n%s", tc.file)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}
