package stance

import (
	"embed"
	"fmt"
	"io/fs"
	"sort"
)

//go:embed data/*.jsonl
var builtinData embed.FS

// BuiltinExamples returns the package's own labelled training data (English,
// Spanish, French and German reactions to invented stories, written for the
// labelling rule). The default model is trained on it alone;
// leave-one-story-out evaluation trains on it plus the other stories of the
// evaluated file.
func BuiltinExamples() ([]Example, error) {
	names, err := fs.Glob(builtinData, "data/*.jsonl")
	if err != nil {
		return nil, fmt.Errorf("builtin data: %w", err)
	}
	sort.Strings(names)
	var out []Example
	for _, n := range names {
		f, err := builtinData.Open(n)
		if err != nil {
			return nil, fmt.Errorf("builtin data: %w", err)
		}
		ex, err := ReadExamples(f)
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("builtin data %s: %w", n, err)
		}
		out = append(out, ex...)
	}
	return out, nil
}
