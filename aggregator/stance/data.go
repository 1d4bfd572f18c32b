package stance

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/reactions-research/reactions/reaction"
)

// Example is one labelled reaction: a line of a labelled JSONL file, in the
// format of the shared development set.
type Example struct {
	// ID identifies the example, e.g. "dev-teigen-loss-001".
	ID string `json:"id,omitempty"`
	// Story is the story key; leave-one-story-out evaluation groups by it.
	Story string `json:"story"`
	// Subject is who the stance is about.
	Subject string `json:"subject"`
	// Text is the reaction.
	Text string `json:"text"`
	// Stance is the label.
	Stance reaction.Stance `json:"stance"`
	// Hard marks items where surface sentiment points away from the stance.
	Hard bool `json:"hard"`
	// Lang is the language code ("en", "es", "fr", "de").
	Lang string `json:"lang,omitempty"`
}

// ReadExamples reads labelled JSONL: one Example per line; blank lines are
// skipped. Errors name the line.
func ReadExamples(r io.Reader) ([]Example, error) {
	var out []Example
	br := bufio.NewReaderSize(r, 64<<10)
	for line := 1; ; line++ {
		b, err := br.ReadBytes('\n')
		if len(bytes.TrimSpace(b)) > 0 {
			var ex Example
			if jerr := json.Unmarshal(b, &ex); jerr != nil {
				return nil, fmt.Errorf("line %d: %w", line, jerr)
			}
			ex.Stance = reaction.Stance(strings.ToLower(strings.TrimSpace(string(ex.Stance))))
			switch {
			case !ex.Stance.Valid():
				return nil, fmt.Errorf("line %d: stance %q is not one of %v", line, ex.Stance, reaction.Stances)
			case strings.TrimSpace(ex.Text) == "":
				return nil, fmt.Errorf("line %d: empty text", line)
			}
			out = append(out, ex)
		}
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", line, err)
		}
	}
}

// ReadExamplesFile reads a labelled JSONL file; errors name the file and line.
func ReadExamplesFile(path string) ([]Example, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read examples: %w", err)
	}
	defer f.Close()
	ex, err := ReadExamples(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return ex, nil
}
