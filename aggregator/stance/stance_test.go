package stance

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/reactions-research/reactions/reaction"
)

type labelled struct {
	text, subject string
	want          reaction.Stance
}

// Fresh texts for each hard pattern of the labelling rule
// (../shared/data/stance/README.md). None of them is in the training data or
// the dev set; subjects are invented.
var hardPatterns = map[string][]labelled{
	"condolence with negative words": {
		{"This is absolutely devastating. I'm so sorry, Marisol.", "Marisol Vega (news anchor)", reaction.Support},
		{"Heartbroken for the whole family. No one should have to bury a child.", "Tom and Erin Walsh", reaction.Support},
		{"Awful, awful news. Thinking of you Greg 💔", "Greg Hanlon (radio host)", reaction.Support},
		{"I can't stop crying. Rest in peace, little one.", "Priya and Sam Castellano", reaction.Support},
	},
	"attacking critics": {
		{"The trolls mocking her weight should be ashamed of themselves.", "Dana Ruiz (pop singer)", reaction.Support},
		{"Everyone calling him a coward has never stepped onto a pitch. Pathetic.", "Leo Marsh (goalkeeper)", reaction.Support},
		{"The hate in these comments is disgusting. Leave her alone.", "Ana Petrovic (swimmer)", reaction.Support},
		{"Y'all judging a grieving father are vile. Get a life.", "Mark Ellison", reaction.Support},
	},
	"polite criticism": {
		{"With all due respect, this should have stayed a private family matter.", "Carla Benton (actress)", reaction.Criticism},
		{"I wish him well, truly, but that apology was nothing but damage control.", "Victor Sand (comedian)", reaction.Criticism},
		{"Respectfully, a CEO who fires 3,000 people should not be getting a bonus.", "Helena Brandt (CEO of Norvik)", reaction.Criticism},
	},
	"sarcasm": {
		{"Wow, so brave to post your hospital selfie for 20 million followers 🙄", "Kylie Marsh (influencer)", reaction.Criticism},
		{"Such a heartfelt apology, filmed with three cameras and a ring light 🙄", "Jake Dorsey (YouTuber)", reaction.Criticism},
		{"So brave of him to quit right before the final. Real hero stuff.", "Ben Okafor (sprinter)", reaction.Criticism},
		{"Oh great, another celebrity discovering accountability the week their album drops. Love that for her.", "Tara Quinn (singer)", reaction.Criticism},
	},
	"negation": {
		{"Not a coward. Not weak. A young man who knew his limits.", "Ben Okafor (sprinter)", reaction.Support},
		{"Not impressed. Not sorry. Not buying the tears.", "Victor Sand (comedian)", reaction.Criticism},
		{"She did nothing wrong. Nothing.", "Ana Petrovic (swimmer)", reaction.Support},
	},
	"mixed with a final stance": {
		{"Sending love to the family, honestly. But posting the funeral on TikTok was wrong.", "Kylie Marsh (influencer)", reaction.Criticism},
		{"The layoffs are brutal and I hate that they happened. Still, he handled it with real decency.", "Omar Haddad (CEO of Brightline)", reaction.Support},
		{"I was furious at first, not going to lie. Then I read his statement and he's right. Respect.", "Leo Marsh (goalkeeper)", reaction.Support},
		{"Love her music, always will. But this apology felt fake.", "Tara Quinn (singer)", reaction.Criticism},
	},
	"emotive neutral headline": {
		{"Tragic: three dead in highway pile-up near Denver, police say https://t.co/Xy7Qw2", "Marisol Vega (news anchor)", reaction.Neutral},
		{"BREAKING: Heartbreaking scenes as floodwaters reach the city centre. Live updates: https://t.co/Ab3Cd4", "Mayor Lena Ortiz", reaction.Neutral},
	},
	"positive spam": {
		{"AMAZING deals on sunglasses!!! 😍 Love them? 60% off today only, shop now 👉 link in bio", "Dana Ruiz (pop singer)", reaction.Neutral},
		{"Win a FREE iPhone!!! 🎉 Follow us and tag 3 friends, best giveaway ever", "Leo Marsh (goalkeeper)", reaction.Neutral},
	},
	"unrelated complaint or cheer": {
		{"Ugh my flight got cancelled again, worst airline ever", "Omar Haddad (CEO of Brightline)", reaction.Neutral},
		{"What a game last night!! So happy for the Bulls 🏀", "Ana Petrovic (swimmer)", reaction.Neutral},
		{"My neighbour's dog has been barking since 6am, I hate this building", "Greg Hanlon (radio host)", reaction.Neutral},
	},
}

func TestHardPatterns(t *testing.T) {
	c := Default()
	for pattern, cases := range hardPatterns {
		t.Run(pattern, func(t *testing.T) {
			for _, tc := range cases {
				got, score := c.Classify(tc.text, tc.subject)
				if got != tc.want {
					t.Errorf("Classify(%q, %q) = %s (%.2f), want %s", tc.text, tc.subject, got, score, tc.want)
				}
			}
		})
	}
}

func TestNonEnglish(t *testing.T) {
	tests := []struct {
		lang string
		labelled
	}{
		// Spanish
		{"es", labelled{"Mucha fuerza, Carmen. Toda mi admiración y todo mi cariño ❤️", "Carmen Ruiz (actriz)", reaction.Support}},
		{"es", labelled{"Lo siento muchísimo, qué pérdida tan terrible. Un abrazo a la familia.", "Carmen Ruiz (actriz)", reaction.Support}},
		{"es", labelled{"Los que la critican no tienen vergüenza. Déjenla en paz.", "Carmen Ruiz (actriz)", reaction.Support}},
		{"es", labelled{"Qué vergüenza. Todo lo hace para llamar la atención.", "Carmen Ruiz (actriz)", reaction.Criticism}},
		{"es", labelled{"Le deseo lo mejor, pero publicar esas fotos fue un error.", "Carmen Ruiz (actriz)", reaction.Criticism}},
		{"es", labelled{"¿A qué hora es la rueda de prensa?", "Carmen Ruiz (actriz)", reaction.Neutral}},
		// French
		{"fr", labelled{"Toutes mes condoléances, Paul. On pense très fort à toi.", "Paul Girard (chanteur)", reaction.Support}},
		{"fr", labelled{"Ceux qui l'insultent devraient avoir honte. Laissez-le tranquille.", "Paul Girard (chanteur)", reaction.Support}},
		{"fr", labelled{"Quelle honte. Des excuses uniquement pour faire le buzz.", "Paul Girard (chanteur)", reaction.Criticism}},
		{"fr", labelled{"J'aime ses chansons, mais ces excuses sonnent faux.", "Paul Girard (chanteur)", reaction.Criticism}},
		{"fr", labelled{"Le concert de samedi est maintenu ?", "Paul Girard (chanteur)", reaction.Neutral}},
		// German
		{"de", labelled{"Mein herzliches Beileid, Sabine. Ganz viel Kraft für dich.", "Sabine Krüger (Moderatorin)", reaction.Support}},
		{"de", labelled{"Die Leute, die sie beleidigen, sollten sich schämen. Lasst sie in Ruhe.", "Sabine Krüger (Moderatorin)", reaction.Support}},
		{"de", labelled{"Geschmacklos und peinlich. Alles nur für die Aufmerksamkeit.", "Sabine Krüger (Moderatorin)", reaction.Criticism}},
		{"de", labelled{"Ich mag sie wirklich, aber diese Entschuldigung war reine PR.", "Sabine Krüger (Moderatorin)", reaction.Criticism}},
		{"de", labelled{"Wann läuft die Sendung am Samstag?", "Sabine Krüger (Moderatorin)", reaction.Neutral}},
	}
	c := Default()
	for _, tc := range tests {
		got, score := c.Classify(tc.text, tc.subject)
		if got != tc.want {
			t.Errorf("%s: Classify(%q) = %s (%.2f), want %s", tc.lang, tc.text, got, score, tc.want)
		}
	}
}

func TestClassifyScoreAndEdgeCases(t *testing.T) {
	c := Default()
	for _, text := range []string{"", " ", "🙄", "?", strings.Repeat("so sorry ", 2000), strings.Repeat("a. ", 70000),
		"\xff\xfe bad utf8", "@someone #tag https://x.y/z", "#", "@", "\"", "#ÀÉÎ", "d'", "l'attention"} {
		st, score := c.Classify(text, "Some Person")
		if !st.Valid() {
			t.Errorf("Classify(%.20q) = invalid stance %q", text, st)
		}
		if score < 0 || score > 1 {
			t.Errorf("Classify(%.20q) score %v out of [0,1]", text, score)
		}
	}
}

func TestVersion(t *testing.T) {
	v := Default().Version()
	if !regexp.MustCompile(`^stance-v2\+lr-[0-9a-f]{8}$`).MatchString(v) {
		t.Errorf("Version() = %q, want stance-v2+lr-<8 hex>", v)
	}
	if len(defaultModel) > 2<<20 {
		t.Errorf("embedded model is %d bytes, want < 2 MB", len(defaultModel))
	}
}

func TestDeterministic(t *testing.T) {
	a, b := Default(), New(Default().Model())
	for _, cases := range hardPatterns {
		for _, tc := range cases {
			s1, p1 := a.Classify(tc.text, tc.subject)
			s2, p2 := a.Classify(tc.text, tc.subject)
			s3, p3 := b.Classify(tc.text, tc.subject)
			if s1 != s2 || p1 != p2 || s1 != s3 || p1 != p3 {
				t.Errorf("%q: %s %v / %s %v / %s %v", tc.text, s1, p1, s2, p2, s3, p3)
			}
		}
	}
	// Training is deterministic too.
	ex, err := BuiltinExamples()
	if err != nil {
		t.Fatal(err)
	}
	ex = ex[:300]
	opts := DefaultTrainOptions()
	opts.Epochs = 3
	m1, err := Train(ex, opts)
	if err != nil {
		t.Fatal(err)
	}
	m2, err := Train(ex, opts)
	if err != nil {
		t.Fatal(err)
	}
	if m1.Hash() != m2.Hash() {
		t.Errorf("two trainings on the same data: models %s and %s", m1.Hash(), m2.Hash())
	}
}

func TestConcurrent(t *testing.T) {
	c := Default()
	type item struct {
		text, subject string
		want          reaction.Stance
		score         float64
	}
	var items []item
	for _, cases := range hardPatterns {
		for _, tc := range cases {
			s, p := c.Classify(tc.text, tc.subject)
			items = append(items, item{tc.text, tc.subject, s, p})
		}
	}
	var wg sync.WaitGroup
	errs := make(chan string, 16)
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < 200; i++ {
				it := items[(g*7+i)%len(items)]
				// distinct subjects exercise the subject cache concurrently
				if i%50 == 0 {
					c.Classify(it.text, it.subject+" #"+string(rune('a'+g)))
				}
				if s, p := c.Classify(it.text, it.subject); s != it.want || p != it.score {
					select {
					case errs <- it.text:
					default:
					}
					return
				}
			}
		}(g)
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Errorf("concurrent Classify(%q) differs from sequential", e)
	}
}

func TestSaveLoadRoundTrip(t *testing.T) {
	ex, err := BuiltinExamples()
	if err != nil {
		t.Fatal(err)
	}
	opts := DefaultTrainOptions()
	opts.Epochs, opts.Bits, opts.Restarts = 5, 16, 1
	m, err := Train(ex, opts)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "model")
	if err := m.Save(path); err != nil {
		t.Fatal(err)
	}
	c1 := New(m)
	c2, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if c1.Version() != c2.Version() {
		t.Errorf("version after reload %s, want %s", c2.Version(), c1.Version())
	}
	for _, e := range ex[:200] {
		s1, p1 := c1.Classify(e.Text, e.Subject)
		s2, p2 := c2.Classify(e.Text, e.Subject)
		if s1 != s2 || p1 != p2 {
			t.Fatalf("%q: %s %v before save, %s %v after load", e.Text, s1, p1, s2, p2)
		}
	}
	var buf bytes.Buffer
	if _, err := m.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadModel(&buf); err != nil {
		t.Errorf("ReadModel(WriteTo) = %v", err)
	}
}

func TestLoadErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad")
	if err := os.WriteFile(bad, []byte("not a model"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(bad); err == nil || !strings.Contains(err.Error(), "not a stance model") {
		t.Errorf("Load(garbage) = %v, want a 'not a stance model' error", err)
	}
	if _, err := Load(filepath.Join(dir, "missing")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Load(missing) = %v, want ErrNotExist", err)
	}
	if _, err := Train(nil, DefaultTrainOptions()); !errors.Is(err, ErrNoExamples) {
		t.Errorf("Train(nil) = %v, want ErrNoExamples", err)
	}
}

func TestReadExamples(t *testing.T) {
	good := `{"id":"a","story":"s","subject":"X Y","text":"so sorry","stance":"support","hard":true,"lang":"en"}

{"story":"s","subject":"X Y","text":"who?","stance":"Neutral"}
`
	ex, err := ReadExamples(strings.NewReader(good))
	if err != nil {
		t.Fatal(err)
	}
	if len(ex) != 2 || !ex[0].Hard || ex[1].Stance != reaction.Neutral {
		t.Errorf("ReadExamples = %+v", ex)
	}
	tests := []struct{ in, want string }{
		{`{"text":"a","stance":"support"}` + "\n" + `{"text":"b","stance":"angry"}`, "line 2: stance"},
		{`{"text":"a","stance":"support"}` + "\n\n" + `{"text":`, "line 3"},
		{`{"text":"","stance":"support"}`, "line 1: empty text"},
	}
	for _, tc := range tests {
		if _, err := ReadExamples(strings.NewReader(tc.in)); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ReadExamples(%q) = %v, want error containing %q", tc.in, err, tc.want)
		}
	}
}

// TestQuotedLines checks that a line starting with ">" is marked as quoted,
// and only that line.
func TestQuotedLines(t *testing.T) {
	var sc scratch
	sc.tokenize("> she did it for attention\n\nYou're a ghoul. >:(", deriveSubject("Chrissy Teigen"))
	var quoted, own []string
	for _, tk := range sc.toks {
		if tk.kind == kBound {
			continue
		}
		if tk.flags&fLineQuote != 0 {
			quoted = append(quoted, string(sc.norm[tk.s:tk.e]))
		} else {
			own = append(own, string(sc.norm[tk.s:tk.e]))
		}
	}
	if got := strings.Join(quoted, " "); got != "she did it for attention" {
		t.Errorf("quoted %q", got)
	}
	if got := strings.Join(own, " "); got != "you're a ghoul" {
		t.Errorf("own words %q", got)
	}
	if sc.nQuoteLines != 1 {
		t.Errorf("%d quoted lines, want 1", sc.nQuoteLines)
	}
}

func TestSubjectDerivation(t *testing.T) {
	tests := []struct {
		subject string
		names   []string
		roles   []string
		handles map[string]bool
	}{
		{"Chrissy Teigen and John Legend", []string{"chrissy", "teigen", "john", "legend"}, nil,
			map[string]bool{"chrissyteigen": true, "johnlegend": true, "JohnLegend": true, "randomuser": false}},
		{"Kiara Dunmore (Olympic gymnast)", []string{"kiara", "dunmore"}, []string{"olympic", "gymnast"},
			map[string]bool{"kiaradunmore": true, "kiara_d": true, "usagym": false}},
		{"Derek Halvorsen (CEO of Corvanta)", []string{"derek", "halvorsen"}, []string{"ceo", "corvanta"},
			map[string]bool{"dhalvorsen": true, "corvanta": false}},
		{"Senator Raymond Cole", []string{"raymond", "cole"}, []string{"senator"}, nil},
		{"Lucía Serrano (cantante)", []string{"lucia", "serrano"}, []string{"cantante"}, map[string]bool{"LuciaSerranoOficial": true}},
		// A story's subject list, joined with commas.
		{"Chrissy Teigen, John Legend, chrissyteigen, johnlegend", []string{"chrissy", "teigen", "john", "legend", "chrissyteigen", "johnlegend"}, nil,
			map[string]bool{"JohnLegend": true, "chrissyteigen": true}},
		{"Kiara Dunmore, Olympic gymnast", []string{"kiara", "dunmore"}, []string{"olympic", "gymnast"}, nil},
		{"Maddie Korver, @madsplays, #TeamMads", []string{"maddie", "korver", "madsplays", "teammads"}, nil, nil},
	}
	for _, tc := range tests {
		si := deriveSubject(tc.subject)
		for _, n := range tc.names {
			if si.lookup([]byte(n)) != kSubj {
				t.Errorf("%q: %q is not a name", tc.subject, n)
			}
		}
		for _, r := range tc.roles {
			if si.lookup([]byte(r)) != kRole {
				t.Errorf("%q: %q is not a role word", tc.subject, r)
			}
		}
		for h, want := range tc.handles {
			if got := si.matchesHandle(h); got != want {
				t.Errorf("%q: matchesHandle(%q) = %v, want %v", tc.subject, h, got, want)
			}
		}
	}
}

func TestTokenize(t *testing.T) {
	subj := deriveSubject("Chrissy Teigen and John Legend")
	tests := []struct{ in, want string }{
		{"Love u Chrissy!!! 💕💕", "love u <subj> ! | 💕 💕"},
		{"@chrissyteigen's post https://t.co/abc and bit.ly/xyz", "<subj> post <url> and <url>"},
		{"#StandWithChrissy #RIPJack", "stand with <subj> rip jack"},
		{"Sooooo SORRY, can't believe it", "soo sorry can't believe it"},
		{"C'est l'attention qu'elle veut. Désolée!", "ce est le attention que elle veut | desolee ! |"},
		{"Schämt euch, Kopf hoch", "schamt euch kopf hoch"},
		{"2,400 jobs cut, 20% of staff", "<num> jobs cut <num> % of staff"},
		{"so brave /s 🙄", "so brave /s 🙄"},
		{"❤️❤️ 🙏🏽 👨‍👩‍👧", "❤ ❤ 🙏 👨 👩 👧"},
		{"@chrissyteigen@mastodon.social and @someone@lemmy.world.", "<subj> and <user> |"},
		{"u/chrissyteigen and /u/random_99 in r/popculturechat", "<subj> and <user> in r popculturechat"},
		{"Read [her essay](https://medium.example/x). Or (people.com)", "read her essay <url> | or <url>"},
	}
	for _, tc := range tests {
		var sc scratch
		sc.tokenize(tc.in, subj)
		var parts []string
		for _, tk := range sc.toks {
			if tk.kind == kBound {
				parts = append(parts, "|")
				continue
			}
			parts = append(parts, string(sc.norm[tk.s:tk.e]))
		}
		if got := strings.Join(parts, " "); got != tc.want {
			t.Errorf("tokenize(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// moduleRoot walks up from the working directory to the directory with go.mod.
func moduleRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("go.mod not found above the test's working directory")
		}
		dir = parent
	}
}

// losoFolds is the number of folds of whole stories TestLeaveOneStoryOut
// makes of the training data. True leave-one-story-out (one fold per story,
// 78 stories) takes minutes without the race detector and far longer with it;
// 4 folds train each model on three quarters of the stories, which is a little
// harder than leaving out one (true leave-one-story-out measured accuracy
// 0.888, macro-F1 0.891, hard accuracy 0.867 where 4 folds give 0.877, 0.880
// and 0.845). The true figures are printed by
//
//	reactions classify eval --loso --no-builtin --data aggregator/stance/data/*.jsonl
const losoFolds = 4

// storyFolds returns a copy of examples whose Story is the fold of their
// story: the sorted story keys are dealt round-robin into n folds, so that
// LeaveOneStoryOut leaves whole stories out.
func storyFolds(examples []Example, n int) []Example {
	fold := map[string]string{}
	for i, s := range storiesOf(examples) {
		fold[s] = "fold-" + itoa(uint64(i%n+1))
	}
	out := make([]Example, len(examples))
	for i, e := range examples {
		e.Story = fold[e.Story]
		out[i] = e
	}
	return out
}

// Thresholds for TestLeaveOneStoryOut, measured on the training data of the
// default model stance-v2+lr-f707edeb (data/*.jsonl: 5,179 items, 147
// stories) with DefaultTrainOptions:
//
//	                                accuracy  macro-F1  hard accuracy  lowest class recall
//	training data, 4 story folds     0.855     0.856     0.830          0.823 (criticism)
//	held-out set, trained on all     0.817     0.825     0.762          0.745 (criticism)
//
// Each threshold is the measured figure minus 0.02 (0.03 for hard accuracy,
// 0.04 for the lowest class recall), rounded down. After changing the
// training data, the features or the training options, print the figures with
//
//	go test -run 'TestLeaveOneStoryOut$' -v ./aggregator/stance/
//
// and set the thresholds to the new figures minus the same margins.
var (
	losoFloors   = floors{accuracy: 0.835, macroF1: 0.836, hard: 0.800, recall: 0.783}
	unseenFloors = floors{accuracy: 0.797, macroF1: 0.805, hard: 0.732, recall: 0.705}
)

// TestLeaveOneStoryOut measures the training recipe on stories it has never
// seen, with only what the repository holds: it trains with
// DefaultTrainOptions on the package's own training data and classifies
//   - the training data itself, grouped into losoFolds folds of whole stories,
//     each fold by a model trained on the other folds; and
//   - the held-out set (testdata/heldout), whose stories, subjects and texts
//     are in no training file, by a model trained on all the training data.
//
// The held-out set is never trained on. These models, like the shipped one,
// see only the repository's data: they are what "reactions classify train
// --builtin" gives a researcher before adding labels of their own.
func TestLeaveOneStoryOut(t *testing.T) {
	builtin, err := BuiltinExamples()
	if err != nil {
		t.Fatal(err)
	}
	t.Run("training data by story", func(t *testing.T) {
		folded := storyFolds(builtin, losoFolds)
		r, per, err := LeaveOneStoryOut(folded, nil, DefaultTrainOptions())
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range storiesOf(folded) {
			pr := per[f]
			t.Logf("%s n %4d accuracy %.3f macro-F1 %.3f hard %.3f", f, pr.N, pr.Accuracy, pr.MacroF1, pr.HardAccuracy)
		}
		var b strings.Builder
		if err := r.WriteText(&b); err != nil {
			t.Fatal(err)
		}
		t.Logf("%d stories in %d folds, each classified by a model trained without it:\n%s", len(storiesOf(builtin)), losoFolds, b.String())
		checkFloors(t, r, losoFloors)
	})
	t.Run("held-out set", func(t *testing.T) {
		m, err := Train(builtin, DefaultTrainOptions())
		if err != nil {
			t.Fatal(err)
		}
		checkOnHeldout(t, New(m), "model trained on the training data only", unseenFloors)
	})
}

// TestSharedDevCrossCheck is optional: it runs only where the shared
// development set lies beside the checkout (../shared/data/stance/dev.jsonl,
// or $REACTIONS_STANCE_DEV) and says in its output whether it ran; a fresh clone has no ../shared and
// the other tests need none. Where the file exists, it checks that no
// training or held-out text copies a dev text, and repeats the evaluation
// the README reports: leave each dev story out of training in turn (training
// on the package's data plus the other dev stories).
func TestSharedDevCrossCheck(t *testing.T) {
	path := os.Getenv("REACTIONS_STANCE_DEV") // as in the demo's test
	if path == "" {
		path = filepath.Join(moduleRoot(t), "..", "shared", "data", "stance", "dev.jsonl")
	}
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		t.Logf("optional cross-check not run: %s is absent (as on a fresh clone; set REACTIONS_STANCE_DEV to point elsewhere); no other test needs it", path)
		return
	}
	dev, err := ReadExamplesFile(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("optional cross-check running on %s (%d items)", path, len(dev))
	builtin, err := BuiltinExamples()
	if err != nil {
		t.Fatal(err)
	}
	devTexts := map[string]bool{}
	for _, e := range dev {
		devTexts[normText(e.Text)] = true
	}
	for _, set := range [][]Example{builtin, heldoutExamples(t)} {
		for _, e := range set {
			if devTexts[normText(e.Text)] {
				t.Errorf("%s copies a dev text: %q", e.ID, e.Text)
			}
		}
	}
	r, per, err := LeaveOneStoryOut(dev, builtin, DefaultTrainOptions())
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range storiesOf(dev) {
		pr := per[s]
		t.Logf("%-20s n %3d accuracy %.3f macro-F1 %.3f hard %.3f", s, pr.N, pr.Accuracy, pr.MacroF1, pr.HardAccuracy)
	}
	var b strings.Builder
	if err := r.WriteText(&b); err != nil {
		t.Fatal(err)
	}
	t.Logf("leave-one-story-out on %s:\n%s", path, b.String())
	if r.MacroF1 < 0.85 {
		t.Errorf("macro-F1 %.3f, want >= 0.85", r.MacroF1)
	}
	if r.HardAccuracy < 0.70 {
		t.Errorf("hard accuracy %.3f, want >= 0.70", r.HardAccuracy)
	}
}

func TestReportJSON(t *testing.T) {
	preds := []Prediction{
		{Example: Example{Stance: reaction.Support, Hard: true}, Predicted: reaction.Support},
		{Example: Example{Stance: reaction.Criticism}, Predicted: reaction.Support},
		{Example: Example{Stance: reaction.Neutral, Hard: true}, Predicted: reaction.Neutral},
	}
	r := NewReport(preds)
	if r.N != 3 || r.HardAccuracy != 1 || r.Confusion[reaction.Criticism][reaction.Support] != 1 {
		t.Errorf("report = %+v", r)
	}
	if got := r.PerClass[reaction.Support]; got.Precision != 0.5 || got.Recall != 1 {
		t.Errorf("support = %+v, want precision 0.5 recall 1", got)
	}
}
