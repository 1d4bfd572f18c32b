package reaction

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
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
		{"parent without prefix", func(r *Reaction) { r.ParentID = "123" }, "parent_id:"},
		{"missing created_at", func(r *Reaction) { r.CreatedAt = time.Time{} }, "created_at: missing"},
		{"created_at out of range", func(r *Reaction) { r.CreatedAt = time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC) }, "created_at:"},
		{"text too long", func(r *Reaction) { r.Text = strings.Repeat("a", MaxTextBytes+1) }, "text:"},
		{"invalid UTF-8", func(r *Reaction) { r.Text = "ok \xff" }, "text: not valid UTF-8"},
		{"negative likes", func(r *Reaction) { r.Likes = -1 }, "likes:"},
		{"negative replies", func(r *Reaction) { r.Replies = -1 }, "replies:"},
		{"bad stance", func(r *Reaction) { r.Stance = "positive" }, "stance:"},
		{"stance ok", func(r *Reaction) { r.Stance = Support }, ""},
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
	t.Setenv(SecretEnv, "")
	dir := filepath.Join(t.TempDir(), "state")
	s1, err := LoadSecret(dir)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(filepath.Join(dir, "secret"))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("secret file: %v %v", fi, err)
	}
	s2, err := LoadSecret(dir)
	if err != nil || string(s1) != string(s2) {
		t.Fatalf("second load differs: %v", err)
	}
	t.Setenv(SecretEnv, "from-the-environment-0123")
	s3, err := LoadSecret(dir)
	if err != nil || string(s3) != "from-the-environment-0123" {
		t.Fatalf("env secret: %q %v", s3, err)
	}
	t.Setenv(SecretEnv, "short")
	if _, err := LoadSecret(dir); err == nil {
		t.Error("want an error for a short REACTIONS_SECRET")
	}
	t.Setenv(SecretEnv, "")
	os.WriteFile(filepath.Join(dir, "secret"), []byte("x\n"), 0o600)
	if _, err := LoadSecret(dir); err == nil || !strings.Contains(err.Error(), "damaged") {
		t.Errorf("want a damaged-secret error, got %v", err)
	}
}
