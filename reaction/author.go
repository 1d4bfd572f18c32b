package reaction

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"os"
	"path/filepath"
	"strings"
	"sync"
)

// Pseudonymizer turns author handles into keyed hashes, so that a researcher
// can follow one author across reactions without storing who they are.
//
// The zero value is not usable; build one with NewPseudonymizer.
type Pseudonymizer struct {
	key  []byte
	keep bool
	// macs holds keyed HMAC states for reuse: Reset returns one to its
	// keyed start without hashing the key again.
	macs sync.Pool
}

// NewPseudonymizer returns a Pseudonymizer keyed with secret. With keep set
// (the researcher's explicit --keep-authors opt-in) Author returns handles
// unchanged.
func NewPseudonymizer(secret []byte, keep bool) (*Pseudonymizer, error) {
	if len(secret) < 16 && !keep {
		return nil, errors.New("pseudonymisation secret is shorter than 16 bytes")
	}
	return &Pseudonymizer{key: append([]byte(nil), secret...), keep: keep}, nil
}

// Author returns the stored form of a handle on a platform: "" for an empty
// or deleted handle, otherwise "a_" followed by 16 hex digits of
// HMAC-SHA256(secret, platform + "\x00" + handle), or the handle itself when
// authors are kept.
func (p *Pseudonymizer) Author(platform Platform, handle string) string {
	handle = strings.TrimSpace(handle)
	switch handle {
	case "", "[deleted]", "[removed]":
		return ""
	}
	if p.keep {
		return handle
	}
	m, _ := p.macs.Get().(hash.Hash)
	if m == nil {
		m = hmac.New(sha256.New, p.key)
	} else {
		m.Reset()
	}
	var buf [sha256.Size]byte
	m.Write([]byte(platform))
	m.Write([]byte{0})
	m.Write([]byte(handle))
	sum := m.Sum(buf[:0])
	p.macs.Put(m)
	var out [2 + 16]byte
	out[0], out[1] = 'a', '_'
	hex.Encode(out[2:], sum[:8])
	return string(out[:])
}

// KeepsAuthors reports whether raw handles are kept (opt-in).
func (p *Pseudonymizer) KeepsAuthors() bool { return p.keep }

// LoadSecret returns the installation's pseudonymisation secret: given,
// when it is not empty (it must have at least 16 characters), otherwise
// the content of stateDir/secret, which is created with 32 random bytes
// (mode 0600) on first use.
func LoadSecret(stateDir, given string) ([]byte, error) {
	if given != "" {
		if len(given) < 16 {
			return nil, errors.New("the secret is shorter than 16 characters")
		}
		return []byte(given), nil
	}
	path := filepath.Join(stateDir, "secret")
	b, err := os.ReadFile(path)
	if err == nil {
		s := strings.TrimSpace(string(b))
		if len(s) < 32 {
			return nil, fmt.Errorf("secret file %s is damaged (too short): restore it from a backup, or remove it to start a new pseudonym space", path)
		}
		return []byte(s), nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("read secret: %w", err)
	}
	if err := os.MkdirAll(stateDir, 0o700); err != nil {
		return nil, fmt.Errorf("create state directory: %w", err)
	}
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return nil, fmt.Errorf("generate secret: %w", err)
	}
	s := hex.EncodeToString(raw)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, os.ErrExist) { // another process created it first
		return LoadSecret(stateDir, "")
	}
	if err != nil {
		return nil, fmt.Errorf("create secret: %w", err)
	}
	if _, err := f.WriteString(s + "\n"); err != nil {
		f.Close()
		return nil, fmt.Errorf("write secret: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return nil, fmt.Errorf("write secret: %w", err)
	}
	return []byte(s), f.Close()
}
