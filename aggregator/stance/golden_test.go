package stance

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"math"
	"math/rand/v2"
	"os"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/reactions-research/reactions/internal/golden"
)

const goldenPath = "testdata/golden.tsv"

// goldenInput is one text whose label and score the golden file records.
type goldenInput struct {
	set, id       string
	text, subject string
}

// key identifies an input in the golden file.
func (g goldenInput) key() string { return g.set + "/" + g.id }

// digest fingerprints the input, so that a changed data file is reported as
// such rather than as a changed label.
func (g goldenInput) digest() string {
	s := sha256.Sum256([]byte(g.subject + "\x00" + g.text))
	return hex.EncodeToString(s[:8])
}

// goldenInputs returns every text the golden file covers: the built-in data,
// the held-out set, the benchmark texts, the hard patterns, the hand-written
// edge cases in testdata/golden_inputs.jsonl and generated texts that mix
// every kind of token the tokenizer knows.
func goldenInputs(t *testing.T) []goldenInput {
	t.Helper()
	var in []goldenInput
	builtin, err := BuiltinExamples()
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range builtin {
		in = append(in, goldenInput{"builtin", e.ID, e.Text, e.Subject})
	}
	for _, e := range heldoutExamples(t) {
		in = append(in, goldenInput{"heldout", e.ID, e.Text, e.Subject})
	}
	for i, b := range benchTexts {
		in = append(in, goldenInput{"bench", strconv.Itoa(i + 1), b.text, b.subject})
	}
	patterns := make([]string, 0, len(hardPatterns))
	for p := range hardPatterns {
		patterns = append(patterns, p)
	}
	sort.Strings(patterns)
	for _, p := range patterns {
		for i, c := range hardPatterns[p] {
			in = append(in, goldenInput{"hard", strings.ReplaceAll(p, " ", "-") + "-" + strconv.Itoa(i+1), c.text, c.subject})
		}
	}
	f, err := os.Open("testdata/golden_inputs.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for line := 1; sc.Scan(); line++ {
		var e struct{ ID, Subject, Text string }
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Fatalf("testdata/golden_inputs.jsonl line %d: %v", line, err)
		}
		in = append(in, goldenInput{"edge", e.ID, e.Text, e.Subject})
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	for i, text := range []string{strings.Repeat("so sorry ", 2000), strings.Repeat("a. ", 70000),
		"\xff\xfe bad utf8", "so\xc3 sorry\xe2\x82", "#\xff\xfeTag", "@\xffuser", strings.Repeat("brav", 300)} {
		in = append(in, goldenInput{"long", strconv.Itoa(i + 1), text, "Some Person"})
	}
	return append(in, generatedInputs()...)
}

// generatedInputs returns reproducible random texts built from fragments that
// exercise every tokenizer path: names, handles, hashtags, links, emoticons,
// emoji, elisions, negations, contrasts, cue words and prefixes, inflections,
// accents, capitals, repeated letters, numbers and invalid UTF-8.
func generatedInputs() []goldenInput {
	frags := strings.Fields(`chrissy Chrissy CHRISSY teigen's John legend @chrissyteigen @johnlegend's @random_user
		@x.y #StandWithChrissy #RIPJack #chrissyteigen #TeamJohn #love #ÉtéIndien https://t.co/abc bit.ly/x
		www.a.com t.co/xyz. :) :( <3 xD :'( -_- /s 🙄 😭 💔 🙏 ❤️ 🇺🇸🇺🇸 ✨ l'attention qu'elle j'ai c'est
		n'est d'accord not never no nothing can't don't won't isn't but still though pero mais aber however
		sorry so SO sooooo heartbroken devastated brave bravely braveheart inspiring inspirational admirable
		troll trolls trolling haters hater critics criticizing people calling everyone saying the comments
		y'all vile disgusting pathetic selfish clout PR staged publicity attention stunt fake
		sale giveaway FREE shop now link in bio breaking: BREAKING reports police say according
		what when why how who ? ?? ! !!! " “ ” « » … ; , : — ( ) % 2,400 5.5 20% 100 2021 3rd
		schlechten traurigen tristes brisee hasses peinlich Schämt Straße Œuvre ñ naïve façade
		lo siento mucha fuerza descanse en paz qué vergüenza llamar la atención
		toutes mes condoléances quelle honte faire le buzz courage
		mein herzliches Beileid geschmacklos Aufmerksamkeit reine PR
		she her he him they them you your u ur i my me I'm im we our
		respectfully honestly with all due respect wish well truly
		mother grieving baby loss family privacy photos posting followers million
		the a an of to and in on for is was are it this that
		gymnast olympic ceo senator mayor Kiara Dunmore Derek`)
	frags = append(frags, "\xff", "\xc3", "\xe2\x82", "e\u0301", "\u00a0", "\n", "\n\n", "\t")
	subjects := []string{"Chrissy Teigen and John Legend", "Kiara Dunmore (Olympic gymnast)",
		"Derek Halvorsen (CEO of Corvanta)", "Senator Raymond Cole", "Lucía Serrano (cantante)"}
	rng := rand.New(rand.NewPCG(20201001, 4))
	seps := []string{" ", " ", " ", " ", "", ", ", ". ", "! ", "? ", "\n", "-", "'"}
	out := make([]goldenInput, 0, 1500)
	for i := 0; i < 1500; i++ {
		var b strings.Builder
		n := 1 + rng.IntN(40)
		for j := 0; j < n; j++ {
			if j > 0 {
				b.WriteString(seps[rng.IntN(len(seps))])
			}
			b.WriteString(frags[rng.IntN(len(frags))])
		}
		out = append(out, goldenInput{"gen", strconv.Itoa(i + 1), b.String(), subjects[rng.IntN(len(subjects))]})
	}
	return out
}

// goldenRow is one line of the golden file.
type goldenRow struct {
	key, digest, label string
	score              float64
}

func (r goldenRow) String() string {
	return r.key + "\t" + r.digest + "\t" + r.label + "\t" + strconv.FormatFloat(r.score, 'g', -1, 64)
}

// TestGolden checks that the default classifier gives exactly the recorded
// label and score (bit for bit) for every input, so that speed work on
// feature extraction cannot change a single output. After a deliberate change
// of the model, the features or the data, regenerate the file with
//
//	go test -run Golden ./aggregator/stance/ -update
//
// and review the diff.
func TestGolden(t *testing.T) {
	c := Default()
	in := goldenInputs(t)
	got := make([]goldenRow, len(in))
	seen := make(map[string]bool, len(in))
	for i, g := range in {
		if seen[g.key()] {
			t.Fatalf("duplicate golden key %s", g.key())
		}
		seen[g.key()] = true
		st, score := c.Classify(g.text, g.subject)
		got[i] = goldenRow{g.key(), g.digest(), string(st), score}
	}
	header := "# label and score of the default classifier " + c.Version() + " for each input; regenerate with -update"
	if golden.Update() {
		var b strings.Builder
		b.WriteString(header + "\n")
		for _, r := range got {
			b.WriteString(r.String() + "\n")
		}
		if err := os.WriteFile(goldenPath, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %d rows to %s", len(got), goldenPath)
		return
	}
	want, wantHeader := readGolden(t)
	if wantHeader != header {
		t.Errorf("golden file header %q, want %q: the default model changed; if that is deliberate, rerun with -update", wantHeader, header)
	}
	failures := 0
	report := func(format string, args ...any) {
		failures++
		if failures <= 20 {
			t.Errorf(format, args...)
		}
	}
	for _, r := range got {
		w, ok := want[r.key]
		switch {
		case !ok:
			report("%s: not in %s (rerun with -update after checking why)", r.key, goldenPath)
		case w.digest != r.digest:
			report("%s: input text or subject changed since the golden file was written (rerun with -update)", r.key)
		case w.label != r.label || math.Float64bits(w.score) != math.Float64bits(r.score):
			report("%s: got %s %v, want %s %v (Δ %.3g)", r.key, r.label, r.score, w.label, w.score, r.score-w.score)
		}
		delete(want, r.key)
	}
	for k := range want {
		report("%s: in %s but no longer an input", k, goldenPath)
	}
	if failures > 20 {
		t.Errorf("… and %d more differences", failures-20)
	}
}

// readGolden reads the golden file into rows by key and its header line.
func readGolden(t *testing.T) (map[string]goldenRow, string) {
	t.Helper()
	b, err := os.ReadFile(goldenPath)
	if err != nil {
		t.Fatalf("%v (create it with -update)", err)
	}
	rows := map[string]goldenRow{}
	header := ""
	for i, line := range strings.Split(strings.TrimSuffix(string(b), "\n"), "\n") {
		if strings.HasPrefix(line, "#") {
			header = line
			continue
		}
		f := strings.Split(line, "\t")
		if len(f) != 4 {
			t.Fatalf("%s line %d: %d fields, want 4", goldenPath, i+1, len(f))
		}
		score, err := strconv.ParseFloat(f[3], 64)
		if err != nil {
			t.Fatalf("%s line %d: score: %v", goldenPath, i+1, err)
		}
		rows[f[0]] = goldenRow{f[0], f[1], f[2], score}
	}
	return rows, header
}

// TestGoldenInputsCoverTokenKinds makes sure the generated golden inputs reach
// the tokenizer paths they are meant to guard.
func TestGoldenInputsCoverTokenKinds(t *testing.T) {
	var kinds [kBound + 1]int
	var prefixOnly, inflected, elided, phrases int
	var sc scratch
	for _, g := range generatedInputs() {
		sc.extract(g.text, deriveSubject(g.subject), &FeatureConfig{Words: true, Cues: true, Sentiment: true, WordScale: 1, CueScale: 1})
		for _, tk := range sc.toks {
			kinds[tk.kind]++
			if tk.info != nil && tk.info.cues != 0 && tk.info.val == 0 && len(tk.info.phrases) == 0 {
				prefixOnly++
			}
			if tk.info != nil && tk.info.cues == 0 && tk.info.val != 0 {
				inflected++
			}
		}
		if strings.Contains(g.text, "l'attention") {
			elided++
		}
		phrases += len(sc.hits)
	}
	for k, n := range kinds {
		if n == 0 {
			t.Errorf("generated golden inputs have no token of kind %d", k)
		}
	}
	if prefixOnly == 0 || inflected == 0 || elided == 0 || phrases == 0 {
		t.Errorf("generated golden inputs miss a path: prefix-only %d, valence-only %d, elided %d, cue hits %d", prefixOnly, inflected, elided, phrases)
	}
}

// TestScoreWhileExtracting checks that Classify's scoring during extraction
// (quantised weights, no feature list) gives bit for bit the logits of
// Model.scores over the collected features, which training and Explain use.
func TestScoreWhileExtracting(t *testing.T) {
	c := Default()
	fused := c.pool.Get().(*scratch)
	if fused.weights == nil {
		t.Fatal("the default classifier does not score while extracting")
	}
	for _, g := range goldenInputs(t) {
		subj := c.subjects.get(g.subject)
		var collect scratch
		collect.extract(g.text, subj, &c.m.Meta.Features)
		want := c.m.scores(&collect)
		fused.extract(g.text, subj, &c.m.Meta.Features)
		if fused.z != want {
			t.Errorf("%s: logits %v while extracting, %v from the collected features", g.key(), fused.z, want)
		}
		if len(fused.feats) != 0 {
			t.Fatalf("%s: scoring scratch collected %d features", g.key(), len(fused.feats))
		}
	}
}

// TestEmoticonShortcut checks the assumptions chunk makes to skip the
// emoticon map: every emoticon is at most 3 bytes and starts with one of the
// bytes it checks.
func TestEmoticonShortcut(t *testing.T) {
	for e := range emoticons {
		if len(e) > 3 || !strings.ContainsRune(":;xX<-", rune(e[0])) {
			t.Errorf("emoticon %q: chunk only looks up chunks of up to 3 bytes starting with one of :;xX<-", e)
		}
	}
}
