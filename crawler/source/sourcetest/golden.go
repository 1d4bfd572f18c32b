package sourcetest

import (
	"bytes"
	"flag"
	"os"
	"testing"
)

// update is go test's -update flag: Golden rewrites its files instead of
// comparing. Only test binaries import this package.
var update = flag.Bool("update", false, "rewrite golden files in testdata")

// Golden compares got with the golden file at path, byte for byte; with
// go test -update it first rewrites the file with got.
func Golden(t testing.TB, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("reactions differ from %s:\n%s", path, got)
	}
}
