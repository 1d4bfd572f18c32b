package crawler

import (
	"fmt"
	"math"
	"testing"
)

// TestSentLineFormat: the sent log's lines are written in the documented
// format (state.go) and read back unchanged.
func TestSentLineFormat(t *testing.T) {
	tests := []struct {
		source, id string
		e          sentEntry
	}{
		{"web", "web:https://news.example.com/2020/10/01/teigen/#comment-12", sentEntry{digest: 0x0123456789abcdef, firstSeen: 1601510400}},
		{"reddit-search", "reddit:t1_abc", sentEntry{digest: 0, firstSeen: 0}},
		{"hn", "hackernews:41234567", sentEntry{digest: math.MaxUint64, firstSeen: math.MaxUint32}},
		{"lemmy", "lemmy:https://lemmy.example/comment/7", sentEntry{digest: 0xf, firstSeen: 7}},
	}
	var buf []byte
	for _, tt := range tests {
		buf = appendSentLine(buf[:0], tt.source, tt.id, tt.e)
		want := fmt.Sprintf("%s\t%s\t%016x\t%d\n", tt.source, tt.id, tt.e.digest, tt.e.firstSeen)
		if string(buf) != want {
			t.Errorf("appendSentLine = %q, want %q", buf, want)
		}
		src, id, e, ok := parseSentLine(buf)
		if !ok || src != tt.source || id != tt.id || e != tt.e {
			t.Errorf("parseSentLine(%q) = %q, %q, %+v, %v", buf, src, id, e, ok)
		}
	}
}
