package demo

import (
	"encoding/json"
	"testing"

	"github.com/reactions-research/reactions/story"
)

// TestExamples: the example story files load, and examples/demo.yaml is
// the story "reactions demo" crawls, for replicas on 127.0.0.1:9000.
func TestExamples(t *testing.T) {
	for _, f := range []string{"../examples/teigen-loss.yaml", "../examples/demo.yaml"} {
		if _, err := story.Load(f); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
	file, err := story.Load("../examples/demo.yaml")
	if err != nil {
		t.Fatal(err)
	}
	want := Story("http://127.0.0.1:9000")
	if err := want.Validate(); err != nil {
		t.Fatal(err)
	}
	a, _ := json.MarshalIndent(file, "", " ")
	b, _ := json.MarshalIndent(want, "", " ")
	if string(a) != string(b) {
		t.Errorf("examples/demo.yaml differs from demo.Story:\nfile:\n%s\ndemo.Story:\n%s", a, b)
	}
}
