package stance

import (
	"strings"
	"sync"
	"sync/atomic"
	"unicode"
	"unicode/utf8"
)

// subjectInfo holds the name tokens derived from a subject string such as
// "Chrissy Teigen and John Legend" or "Kiara Dunmore (Olympic gymnast)".
type subjectInfo struct {
	names map[string]struct{} // folded name tokens: "chrissy", "teigen", "john", "legend"
	roles map[string]struct{} // folded description tokens: "olympic", "gymnast"
	long  []string            // name tokens of 4+ bytes, for handles and hashtags
	// filter has subjectFilterBit set for every name and role word, and
	// words lists them with their hashes, names first.
	filter uint64
	words  []subjectWord
}

// subjectWord is a name or role word of a subject.
type subjectWord struct {
	h    uint64
	w    string
	kind tokKind // kSubj or kRole
}

// subjectFilterBit is the bit of a word with FNV-1a hash h in
// subjectInfo.filter: the top bits of h times a Fibonacci constant, which
// spreads FNV-1a's weakly mixed bits.
func subjectFilterBit(h uint64) uint64 { return 1 << ((h * 0x9E3779B97F4A7C15) >> 58) }

// subjectStop lists words of a subject string that are not names.
var subjectStop = map[string]bool{
	"and": true, "the": true, "of": true, "a": true, "an": true, "&": true, "y": true, "e": true,
	"et": true, "und": true, "de": true, "del": true, "la": true, "le": true, "les": true, "der": true,
	"die": true, "das": true, "for": true, "at": true, "in": true, "on": true, "by": true, "von": true,
	"du": true, "des": true, "el": true, "los": true, "las": true, "with": true, "her": true, "his": true,
	"their": true, "family": true, "jr": true, "sr": true,
}

// subjectTitles are words that describe a role; they count as role words.
var subjectTitles = map[string]bool{
	"mr": true, "mrs": true, "ms": true, "dr": true, "sir": true, "dame": true, "senator": true,
	"sen": true, "mayor": true, "minister": true, "president": true, "governor": true, "coach": true,
	"prince": true, "princess": true, "king": true, "queen": true, "lord": true, "rep": true,
	"ceo": true, "judge": true, "officer": true, "pastor": true, "father": true, "saint": true,
	"alcalde": true, "alcaldesa": true, "ministra": true, "ministro": true, "presidente": true,
	"presidenta": true, "senora": true, "senor": true, "ministre": true, "maire": true,
	"madame": true, "monsieur": true, "mme": true, "m": true, "burgermeister": true,
	"burgermeisterin": true, "ministerin": true, "frau": true, "herr": true, "prasident": true,
	"prasidentin": true, "kanzler": true, "kanzlerin": true, "trainer": true, "trainerin": true,
}

func deriveSubject(subject string) *subjectInfo {
	si := &subjectInfo{names: map[string]struct{}{}, roles: map[string]struct{}{}}
	main, desc := subject, ""
	if i := strings.IndexAny(subject, "(["); i >= 0 {
		main, desc = subject[:i], subject[i+1:]
	}
	// A list ("Chrissy Teigen, John Legend, chrissyteigen", as a story's
	// subject list is joined): the first item names the subject; a later
	// item names it too if it looks like a name or a handle, and is a
	// description otherwise ("Kiara Dunmore, Olympic gymnast").
	for k, item := range strings.FieldsFunc(main, func(r rune) bool { return r == ',' || r == ';' }) {
		if k == 0 || si.isNameItem(item) {
			si.addNames(item)
		} else {
			desc += " " + item
		}
	}
	for _, w := range splitSubject(desc) {
		w = strings.Trim(w, "-'")
		if subjectStop[w] || len(w) < 3 {
			continue
		}
		if _, isName := si.names[w]; !isName {
			si.roles[w] = struct{}{}
		}
	}
	for w := range si.names {
		si.words = append(si.words, subjectWord{hashString(w), w, kSubj})
	}
	for w := range si.roles {
		si.words = append(si.words, subjectWord{hashString(w), w, kRole})
	}
	for _, sw := range si.words {
		si.filter |= subjectFilterBit(sw.h)
	}
	for w := range si.names {
		if len(w) >= 4 && !strings.Contains(w, "-") {
			si.long = append(si.long, w)
		}
	}
	return si
}

// splitSubject splits part of a subject string into folded words.
func splitSubject(s string) []string {
	return strings.FieldsFunc(foldString(s), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '-' && r != '\''
	})
}

// addNames adds the name words of one item of a subject string; titles
// ("Senator", "Dr") become role words.
func (si *subjectInfo) addNames(item string) {
	for _, w := range splitSubject(item) {
		w = strings.TrimSuffix(strings.Trim(w, "-'"), "'s")
		switch {
		case subjectStop[w] || len(w) < 2:
		case subjectTitles[w]:
			si.roles[w] = struct{}{}
		default:
			si.names[w] = struct{}{}
			for _, p := range strings.Split(w, "-") { // "Jean-Luc" -> also "jean", "luc"
				if len(p) >= 3 {
					si.names[p] = struct{}{}
				}
			}
			// "D'Angelo", "O'Neil": the tokenizer may split an elided prefix.
			if k := strings.IndexByte(w, '\''); k > 0 && k <= 2 && len(w)-k-1 >= 3 {
				si.names[w[k+1:]] = struct{}{}
			}
		}
	}
}

// isNameItem reports whether a later item of a subject list names the
// subject: a handle or hashtag ("@chrissyteigen", "#RIPJack"), a word that
// contains a name already found ("chrissyteigen"), or words that all start
// with a capital letter, leaving out short linking words ("John Legend",
// "Port of Ellery").
func (si *subjectInfo) isNameItem(item string) bool {
	item = strings.TrimSpace(item)
	if item == "" {
		return false
	}
	if item[0] == '@' || item[0] == '#' {
		return true
	}
	words := strings.Fields(item)
	if len(words) == 1 {
		w := foldString(words[0])
		for n := range si.names {
			if len(n) >= 4 && strings.Contains(w, n) {
				return true
			}
		}
	}
	for _, w := range words {
		if subjectStop[foldString(w)] {
			continue
		}
		if r, _ := utf8.DecodeRuneInString(w); !unicode.IsUpper(r) {
			return false
		}
	}
	return true
}

// lookup classifies a folded word: kSubj for a name, kRole for a description
// word, kWord otherwise.
func (si *subjectInfo) lookup(w []byte) tokKind { return si.lookupHash(hashBytes(w), w) }

// lookupHash is lookup for a word whose FNV-1a hash h is known: most words
// are neither names nor role words, and the filter tells so at once.
func (si *subjectInfo) lookupHash(h uint64, w []byte) tokKind {
	if si.filter&subjectFilterBit(h) == 0 {
		return kWord
	}
	for i := range si.words {
		if sw := &si.words[i]; sw.h == h && sw.w == string(w) {
			return sw.kind
		}
	}
	return kWord
}

// matchesHandle reports whether a handle or hashtag (without @ or #) names the
// subject: it equals or contains a name of four letters or more, ignoring case
// and underscores.
func (si *subjectInfo) matchesHandle(h string) bool {
	var buf [64]byte
	b := buf[:0]
	for _, r := range h {
		if r == '_' || r == '.' {
			continue
		}
		b = appendFolded(b, r)
	}
	if _, ok := si.names[string(b)]; ok {
		return true
	}
	for _, n := range si.long {
		if strings.Contains(string(b), n) {
			return true
		}
	}
	return false
}

// maxSubjects bounds the per-classifier cache of derived subjects.
const maxSubjects = 1024

// subjectCache caches derived subjects per subject string, bounded.
type subjectCache struct {
	m sync.Map // string -> *subjectInfo
	n atomic.Int64
}

func (c *subjectCache) get(subject string) *subjectInfo {
	if v, ok := c.m.Load(subject); ok {
		return v.(*subjectInfo)
	}
	si := deriveSubject(subject)
	if c.n.Add(1) > maxSubjects {
		c.m.Clear()
		c.n.Store(1)
	}
	c.m.Store(subject, si)
	return si
}
