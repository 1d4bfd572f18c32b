package reaction

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"sync"
	"testing"
)

// TestAuthorIsDocumentedHMAC: Author gives "a_" + 16 hex digits of
// HMAC-SHA256(secret, platform + "\x00" + handle), also when called from
// several goroutines (its HMAC states are pooled).
func TestAuthorIsDocumentedHMAC(t *testing.T) {
	key := []byte("0123456789abcdef0123456789abcdef")
	p, err := NewPseudonymizer(key, false)
	if err != nil {
		t.Fatal(err)
	}
	handles := []string{"a", "chrissy_fan_99", "  padded  ", "Ωmega", "@user@mastodon.example"}
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 50; i++ {
				for _, h := range handles {
					for _, pl := range []Platform{Reddit, Web} {
						m := hmac.New(sha256.New, key)
						m.Write([]byte(string(pl) + "\x00" + trimmed(h)))
						want := "a_" + hex.EncodeToString(m.Sum(nil)[:8])
						if got := p.Author(pl, h); got != want {
							t.Errorf("Author(%s, %q) = %q, want %q", pl, h, got, want)
							return
						}
					}
				}
			}
		}()
	}
	wg.Wait()
}

func trimmed(s string) string {
	for len(s) > 0 && s[0] == ' ' {
		s = s[1:]
	}
	for len(s) > 0 && s[len(s)-1] == ' ' {
		s = s[:len(s)-1]
	}
	return s
}
