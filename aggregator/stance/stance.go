// Package stance labels a reaction's stance toward the subject of a news
// story: support, criticism or neutral.
//
// Stance is not sentiment. "I'm so so sorry" is support, "the people hating on
// her are vile" is support, "so brave to share this with 30 million followers
// 🙄" is criticism and a headline full of sad words is neutral. The classifier
// is a multinomial logistic regression over hashed features: word 1-3-grams
// (with subject mentions mapped to a placeholder, negation scopes and the
// final clause after "but"/"still"/"pero"/"mais"/"aber" marked), character
// 3-5-grams, multilingual cue lexicons (condolence, praise, attacks on critics,
// blame, motive questioning, sarcasm, news, spam, …) and a sentiment score
// computed from the VADER lexicon shipped with govader.
//
// The default model is embedded and trained only on the package's own
// labelled data (data/*.jsonl: English, Spanish, French and German, in the
// styles of the platforms crawled), so that any labelled set outside the
// repository, such as the shared development set, measures it honestly.
// Researchers can train their own with Train (or "reactions classify train")
// and point the aggregator at it with Load.
package stance

import (
	"bytes"
	_ "embed"
	"fmt"
	"os"
	"sync"

	"github.com/reactions-research/reactions/reaction"
)

// VersionPrefix starts every classifier version string.
const VersionPrefix = "stance-v2"

// The default model is trained on data/*.jsonl and nothing else; regenerate
// it after changing the data, the lexicons or feature extraction:
//
//go:generate go run ./internal/genmodel
//go:embed model/default.model
var defaultModel []byte

// Classifier labels stance toward a subject. Safe for concurrent use.
type Classifier struct {
	m        *Model
	version  string
	subjects subjectCache
	pool     sync.Pool
}

var (
	defaultOnce sync.Once
	defaultC    *Classifier
)

// Default returns the classifier with the embedded default model (loaded once).
// It panics if the embedded model is corrupt, which the package tests rule out.
func Default() *Classifier {
	defaultOnce.Do(func() {
		m, err := ReadModel(bytes.NewReader(defaultModel))
		if err != nil {
			panic(fmt.Sprintf("stance: embedded default model: %v", err))
		}
		defaultC = New(m)
	})
	return defaultC
}

// Load reads a model file written by Train/Save (the aggregator's --model flag).
func Load(path string) (*Classifier, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("load model: %w", err)
	}
	defer f.Close()
	m, err := ReadModel(f)
	if err != nil {
		return nil, fmt.Errorf("load model %s: %w", path, err)
	}
	return New(m), nil
}

// New returns a classifier for a trained or loaded model.
func New(m *Model) *Classifier {
	lex() // build the lexicon tables now rather than on the first call
	c := &Classifier{m: m, version: VersionPrefix + "+" + m.Meta.Kind + "-" + m.Hash()}
	c.pool.New = func() any {
		return &scratch{
			norm: make([]byte, 0, 512),
			toks: make([]token, 0, 128),
			hits: make([]hit, 0, 64),
			// Score while extracting (see scratch).
			weights: m.w,
			mask:    m.mask(),
		}
	}
	return c
}

// Model returns the classifier's model.
func (c *Classifier) Model() *Model { return c.m }

// Version is recorded with every label, e.g. "stance-v2+lr-1a2b3c4d": the
// feature/code version and the first 8 hex digits of the model's SHA-256.
func (c *Classifier) Version() string { return c.version }

// Classify returns the stance of text toward subject and a score in [0,1]
// (the model's probability for that stance).
func (c *Classifier) Classify(text, subject string) (reaction.Stance, float64) {
	p := c.Probabilities(text, subject)
	best := 0
	for k := 1; k < 3; k++ {
		if p[k] > p[best] {
			best = k
		}
	}
	return classes[best], p[best]
}

// Probabilities returns the probabilities of support, criticism and neutral,
// in that order (the order of reaction.Stances).
func (c *Classifier) Probabilities(text, subject string) [3]float64 {
	sc := c.pool.Get().(*scratch)
	// Reactions come story by story: most calls have the subject of the
	// previous call on the same scratch.
	if sc.subj == nil || sc.subjKey != subject {
		sc.subj, sc.subjKey = c.subjects.get(subject), subject
	}
	sc.extract(text, sc.subj, &c.m.Meta.Features)
	z := sc.z
	c.pool.Put(sc)
	return softmax(z)
}
