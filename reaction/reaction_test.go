package reaction

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func valid() Reaction {
	return Reaction{
		Story: "teigen-loss", Platform: HackerNews, ID: "hackernews:41234567", ParentID: "hackernews:41234560",
		CreatedAt: time.Date(2020, 10, 1, 12, 0, 0, 0, time.UTC), Text: "I'm so so sorry",
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name   string
		change func(r *Reaction)
		field  string // "" = valid
	}{
		{"valid", func(r *Reaction) {}, ""},
		{"bad story", func(r *Reaction) { r.Story = "Teigen Loss" }, "story:"},
		{"empty story", func(r *Reaction) { r.Story = "" }, "story:"},
		{"unknown platform", func(r *Reaction) { r.Platform = "twitter" }, "platform:"},
		{"missing id", func(r *Reaction) { r.ID = "" }, "id: missing"},
		{"id without prefix", func(r *Reaction) { r.ID = "41234567" }, "id:"},
		{"id of another platform", func(r *Reaction) { r.ID = "reddit:t1_x" }, "id:"},
		{"id not UTF-8", func(r *Reaction) { r.ID = "hackernews:\xff" }, "id: not valid UTF-8"},
		{"missing created_at", func(r *Reaction) { r.CreatedAt = time.Time{} }, "created_at: missing"},
		{"created_at out of range", func(r *Reaction) { r.CreatedAt = time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC) }, "created_at:"},
		// Side fields never reject a reaction (Repair deals with them).
		{"parent without prefix", func(r *Reaction) { r.ParentID = "123" }, ""},
		{"text too long", func(r *Reaction) { r.Text = strings.Repeat("a", MaxTextBytes+1) }, ""},
		{"text not UTF-8", func(r *Reaction) { r.Text = "ok \xff" }, ""},
		{"negative likes", func(r *Reaction) { r.Likes = -40 }, ""},
		{"negative replies", func(r *Reaction) { r.Replies = -1 }, ""},
		{"bad stance", func(r *Reaction) { r.Stance = "positive" }, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := valid()
			tt.change(&r)
			err := r.Validate()
			if tt.field == "" {
				if err != nil {
					t.Fatalf("want valid, got %v", err)
				}
				return
			}
			if err == nil || !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tt.field) {
				t.Fatalf("want an ErrInvalid naming %q, got %v", tt.field, err)
			}
		})
	}
}

// TestRepair: a bad side field is cleared or kept, named in the result,
// and the reaction stays valid; good side fields are left alone.
func TestRepair(t *testing.T) {
	long := strings.Repeat("é", MaxTextBytes/2) + "x" // MaxTextBytes+1 bytes, the cut falls inside no character
	tests := []struct {
		name   string
		change func(r *Reaction)
		fixed  []string
		check  func(r *Reaction) bool
	}{
		{"nothing to repair", func(r *Reaction) { r.Likes, r.Lang, r.URL = -40, "pt-BR", "https://example.org/a?b=c" }, nil,
			func(r *Reaction) bool {
				return r.Likes == -40 && r.Lang == "pt-BR" && r.URL == "https://example.org/a?b=c"
			}},
		{"a web page's language name", func(r *Reaction) { r.Lang = "English" }, nil, func(r *Reaction) bool { return r.Lang == "English" }},
		{"parent without prefix", func(r *Reaction) { r.ParentID = "123" }, []string{"parent_id"}, func(r *Reaction) bool { return r.ParentID == "" }},
		{"parent is itself", func(r *Reaction) { r.ParentID = r.ID }, []string{"parent_id"}, func(r *Reaction) bool { return r.ParentID == "" }},
		{"root not UTF-8", func(r *Reaction) { r.RootID = "hackernews:\xff" }, []string{"root_id"}, func(r *Reaction) bool { return r.RootID == "" }},
		{"relative url", func(r *Reaction) { r.URL = "/item?id=1" }, []string{"url"}, func(r *Reaction) bool { return r.URL == "" }},
		{"javascript url", func(r *Reaction) { r.URL = "javascript:alert(1)" }, []string{"url"}, func(r *Reaction) bool { return r.URL == "" }},
		{"first_seen before 1970", func(r *Reaction) { r.FirstSeen = time.Date(1969, 1, 1, 0, 0, 0, 0, time.UTC) }, []string{"first_seen"},
			func(r *Reaction) bool { return r.FirstSeen.IsZero() }},
		{"author not UTF-8", func(r *Reaction) { r.Author = "a_\xff" }, []string{"author"}, func(r *Reaction) bool { return r.Author == "" }},
		{"text not UTF-8", func(r *Reaction) { r.Text = "ok \xff!" }, []string{"text"}, func(r *Reaction) bool { return r.Text == "ok \uFFFD!" }},
		{"text too long", func(r *Reaction) { r.Text = long }, []string{"text"},
			func(r *Reaction) bool { return len(r.Text) == MaxTextBytes && utf8.ValidString(r.Text) }},
		{"content warning not UTF-8", func(r *Reaction) { r.ContentWarning = "loss\xfe" }, []string{"content_warning"},
			func(r *Reaction) bool { return r.ContentWarning == "loss\uFFFD" }},
		{"not a language", func(r *Reaction) { r.Lang = "en_US!" }, []string{"lang"}, func(r *Reaction) bool { return r.Lang == "" }},
		{"negative replies", func(r *Reaction) { r.Replies = -3 }, []string{"replies"}, func(r *Reaction) bool { return r.Replies == 0 }},
		{"unknown stance", func(r *Reaction) { r.Stance = "positive" }, []string{"stance"}, func(r *Reaction) bool { return r.Stance == "" }},
		{"several", func(r *Reaction) { r.Lang, r.Replies = "??", -1 }, []string{"lang", "replies"}, func(r *Reaction) bool { return true }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := valid()
			tt.change(&r)
			fixed, err := r.Check()
			if err != nil {
				t.Fatalf("a side field rejected the reaction: %v", err)
			}
			if !slices.Equal(fixed, tt.fixed) {
				t.Errorf("repaired %v, want %v", fixed, tt.fixed)
			}
			if !tt.check(&r) {
				t.Errorf("after repair: %+v", r)
			}
			for _, f := range fixed {
				if !slices.Contains(SideFields, f) {
					t.Errorf("%q is not in SideFields", f)
				}
			}
			if again := r.Repair(); again != nil {
				t.Errorf("a second Repair changed %v", again)
			}
		})
	}
	r := valid()
	r.ID = ""
	if _, err := r.Check(); err == nil {
		t.Error("Check accepted a reaction without id")
	}
}

func TestNormalize(t *testing.T) {
	r := valid()
	r.ParentID = ""
	r.CreatedAt = time.Date(2020, 10, 1, 14, 0, 0, 999, time.FixedZone("CEST", 2*3600))
	r.Normalize()
	if r.RootID != r.ID {
		t.Errorf("root id %q, want %q for a root", r.RootID, r.ID)
	}
	if r.CreatedAt.Location() != time.UTC || r.CreatedAt.Nanosecond() != 0 || r.CreatedAt.Hour() != 12 {
		t.Errorf("created_at %v, want 12:00:00 UTC", r.CreatedAt)
	}
}

func TestValidStoryID(t *testing.T) {
	for s, want := range map[string]bool{
		"teigen-loss": true, "a": true, "2020-x": true, "": false, "Teigen": false, "a_b": false,
		"a b": false, strings.Repeat("a", 64): true, strings.Repeat("a", 65): false,
	} {
		if got := ValidStoryID(s); got != want {
			t.Errorf("ValidStoryID(%q) = %v", s, got)
		}
	}
}

func TestPseudonymizer(t *testing.T) {
	p, err := NewPseudonymizer([]byte("0123456789abcdef0123456789abcdef"), false)
	if err != nil {
		t.Fatal(err)
	}
	a := p.Author(Reddit, "chrissy_fan_99")
	if !strings.HasPrefix(a, "a_") || len(a) != 18 || strings.Contains(a, "chrissy") {
		t.Fatalf("pseudonym %q", a)
	}
	if p.Author(Reddit, "chrissy_fan_99") != a {
		t.Error("pseudonym not stable")
	}
	if p.Author(Mastodon, "chrissy_fan_99") == a {
		t.Error("the same handle on two platforms must not collide")
	}
	other, _ := NewPseudonymizer([]byte("another-secret-another-secret-xx"), false)
	if other.Author(Reddit, "chrissy_fan_99") == a {
		t.Error("pseudonyms must depend on the secret")
	}
	for _, h := range []string{"", "  ", "[deleted]", "[removed]"} {
		if got := p.Author(Reddit, h); got != "" {
			t.Errorf("Author(%q) = %q, want empty", h, got)
		}
	}
	keep, _ := NewPseudonymizer(nil, true)
	if keep.Author(Reddit, "chrissy_fan_99") != "chrissy_fan_99" || !keep.KeepsAuthors() {
		t.Error("--keep-authors must keep handles")
	}
	if _, err := NewPseudonymizer([]byte("short"), false); err == nil {
		t.Error("want an error for a short secret")
	}
}

func TestLoadSecret(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "state")
	s1, err := LoadSecret(dir, "")
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(filepath.Join(dir, "secret"))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("secret file: %v %v", fi, err)
	}
	s2, err := LoadSecret(dir, "")
	if err != nil || string(s1) != string(s2) {
		t.Fatalf("second load differs: %v", err)
	}
	s3, err := LoadSecret(dir, "from-the-environment-0123")
	if err != nil || string(s3) != "from-the-environment-0123" {
		t.Fatalf("given secret: %q %v", s3, err)
	}
	if _, err := LoadSecret(dir, "short"); err == nil {
		t.Error("want an error for a short secret")
	}
	os.WriteFile(filepath.Join(dir, "secret"), []byte("x\n"), 0o600)
	if _, err := LoadSecret(dir, ""); err == nil || !strings.Contains(err.Error(), "damaged") {
		t.Errorf("want a damaged-secret error, got %v", err)
	}
}
