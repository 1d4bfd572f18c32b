package golden

import (
	"os"
	"path/filepath"
	"testing"
)

func TestFirstDiff(t *testing.T) {
	for _, tc := range []struct{ got, want, diff string }{
		{"a\nb\n", "a\nb\n", "no difference"},
		{"a\nb\n", "a\nc\n", `line 2: got "b", want "c"`},
		{"a\nb\n", "a\n", `line 2: got "b", want ""`},
		{"a", "a\nmore", `line 2: got "", want "more"`},
	} {
		if d := FirstDiff([]byte(tc.got), []byte(tc.want)); d != tc.diff {
			t.Errorf("FirstDiff(%q, %q) = %s, want %s", tc.got, tc.want, d, tc.diff)
		}
	}
}

// TestCheckUpdates: under -update Check writes the file (and its
// directory) and then passes.
func TestCheckUpdates(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "x.golden")
	*update = true
	defer func() { *update = false }()
	Check(t, path, []byte("fresh\n"))
	if b, err := os.ReadFile(path); err != nil || string(b) != "fresh\n" {
		t.Fatalf("%q %v", b, err)
	}
}
