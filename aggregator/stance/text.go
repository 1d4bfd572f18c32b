package stance

import (
	"slices"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/jonreiter/govader"
)

// tokKind is the kind of a token.
type tokKind uint8

const (
	kWord  tokKind = iota // a word (folded to lower case, accents removed)
	kSubj                 // a mention of the subject by name, handle or hashtag
	kRole                 // a word of the subject's description ("gymnast", "ceo")
	kUser                 // another @handle
	kURL                  // a link
	kNum                  // a number
	kEmoji                // one emoji
	kPunct                // "?", "!", a quote mark, "/s"
	kBound                // end of a sentence (not a feature itself)
)

// token flags.
const (
	fCaps      uint8 = 1 << iota // written in capitals
	fNeg                         // inside a negation scope
	fFinal                       // inside the final clause after a contrast marker
	fQuoted                      // inside quotation marks or a quoted line
	fLineQuote                   // on a line quoted with ">" (someone else's words)
	fTitle                       // a word written with a capital initial, not all in capitals
)

// token is one token of an analysed text; its text is norm[s:e].
type token struct {
	s, e  int32
	h     uint64 // hash of the token text
	info  *wordInfo
	sent  uint16 // sentence number
	kind  tokKind
	flags uint8
}

// wordInfo is what the lexicons know about one token.
type wordInfo struct {
	val     float32   // sentiment valence, VADER scale
	cues    uint32    // bit set of single-token cues
	phrases []phrase  // phrases that start with this token
	valOnly *wordInfo // the same valence without cues (for inflected forms)
	// group: a word for a group of people that, before a verb in "-ing",
	// names the critics (criticGroups)
	group bool
}

// phrase is a multi-token cue; rest holds the hashes of the tokens after the first.
type phrase struct {
	rest []uint64
	cue  cue
}

// refWildcard in a phrase matches a subject mention, a pronoun or "you".
const refWildcard = ^uint64(0)

// tables are the lexicon tables, built once and read-only afterwards.
type tables struct {
	words     map[string]*wordInfo
	prefixes  map[string]uint32
	prefixLen []int // distinct prefix lengths, ascending
}

var (
	tablesOnce sync.Once
	tbl        *tables
)

// lex returns the lexicon tables, building them on first use.
func lex() *tables {
	tablesOnce.Do(func() { tbl = buildTables() })
	return tbl
}

func buildTables() *tables {
	t := &tables{words: map[string]*wordInfo{}, prefixes: map[string]uint32{}}
	get := func(w string) *wordInfo {
		wi := t.words[w]
		if wi == nil {
			wi = &wordInfo{}
			t.words[w] = wi
		}
		return wi
	}
	// Sentiment: VADER's lexicon and emoji descriptions, then our additions.
	sia := govader.NewSentimentIntensityAnalyzer()
	for w, v := range sia.Lexicon {
		if strings.ContainsFunc(w, unicode.IsSpace) {
			continue
		}
		get(foldString(w)).val = float32(v)
	}
	for e, desc := range sia.EmojiDict {
		var v float64
		for _, w := range strings.Fields(desc) {
			v += sia.Lexicon[w]
		}
		if v != 0 {
			r, _ := utf8.DecodeRuneInString(e)
			get(string(r)).val = float32(v)
		}
	}
	for w, v := range valenceExtra {
		get(foldString(w)).val = v
	}
	// Cues.
	sc := scratch{noLex: true}
	plens := map[int]bool{}
	for c := cue(0); c < numCues; c++ {
		for _, entry := range lexicon[c] {
			if strings.HasSuffix(entry, "*") && !strings.Contains(entry, " ") && len(entry) > 2 {
				p := foldString(strings.TrimSuffix(entry, "*"))
				t.prefixes[p] |= 1 << c
				plens[len(p)] = true
				continue
			}
			parts := entryTokens(&sc, entry)
			switch len(parts) {
			case 0:
				continue
			case 1:
				get(parts[0]).cues |= 1 << c
			default:
				ph := phrase{cue: c}
				for _, p := range parts[1:] {
					if p == "@s" {
						ph.rest = append(ph.rest, refWildcard)
					} else {
						ph.rest = append(ph.rest, hashString(p))
					}
				}
				wi := get(parts[0])
				wi.phrases = append(wi.phrases, ph)
			}
		}
	}
	for _, w := range criticGroups {
		get(w).group = true
	}
	for n := range plens {
		t.prefixLen = append(t.prefixLen, n)
	}
	sortInts(t.prefixLen)
	// Fold prefix cues into the words we already know, so that the hot path
	// checks prefixes only for unknown words.
	for w, wi := range t.words {
		wi.cues |= t.prefixCues([]byte(w))
		if wi.val != 0 {
			wi.valOnly = &wordInfo{val: wi.val}
		}
	}
	return t
}

// inflected looks up an unknown word without a common inflectional ending
// ("schlechten" -> "schlecht", "tristes" -> "triste", "brisee" -> "brise"),
// keeping only its sentiment: cues are matched on exact forms.
func (t *tables) inflected(w []byte) *wordInfo {
	for _, suf := range [...]string{"en", "er", "es", "em", "e", "s", "n"} {
		n := len(w) - len(suf)
		if n < 4 || string(w[n:]) != suf {
			continue
		}
		if wi := t.words[string(w[:n])]; wi != nil && wi.val != 0 {
			return t.valOnly(wi)
		}
	}
	return nil
}

// valOnly returns a shared wordInfo carrying only wi's valence.
func (t *tables) valOnly(wi *wordInfo) *wordInfo {
	if wi.valOnly == nil {
		return wi
	}
	return wi.valOnly
}

// entryTokens tokenises a lexicon entry the way texts are tokenised.
func entryTokens(sc *scratch, entry string) []string {
	var out []string
	for _, part := range strings.Fields(entry) {
		if part == "@s" {
			out = append(out, part)
			continue
		}
		sc.reset()
		sc.words(part, nil)
		for _, tk := range sc.toks {
			if tk.kind == kBound {
				continue
			}
			out = append(out, string(sc.norm[tk.s:tk.e]))
		}
	}
	return out
}

// prefixCues returns the cues of the prefix entries that w starts with.
func (t *tables) prefixCues(w []byte) uint32 {
	var c uint32
	for _, n := range t.prefixLen {
		if n > len(w) {
			break
		}
		c |= t.prefixes[string(w[:n])]
	}
	return c
}

func sortInts(a []int) {
	for i := 1; i < len(a); i++ {
		for j := i; j > 0 && a[j] < a[j-1]; j-- {
			a[j], a[j-1] = a[j-1], a[j]
		}
	}
}

// foldString lower-cases s and removes accents, like the tokenizer does.
func foldString(s string) string {
	var b []byte
	for _, r := range s {
		b = appendFolded(b, r)
	}
	return string(b)
}

// appendFolded appends r lower-cased and without accents.
func appendFolded(b []byte, r rune) []byte {
	if r < utf8.RuneSelf {
		if 'A' <= r && r <= 'Z' {
			r += 'a' - 'A'
		}
		return append(b, byte(r))
	}
	switch r {
	case '’', 'ʼ', '‘', '`', '´':
		return append(b, '\'')
	case 'ß':
		return append(b, 's', 's')
	case 'œ', 'Œ':
		return append(b, 'o', 'e')
	case 'æ', 'Æ':
		return append(b, 'a', 'e')
	}
	r = unicode.ToLower(r)
	switch r {
	case 'à', 'á', 'â', 'ä', 'ã', 'å', 'ā':
		r = 'a'
	case 'ç', 'č', 'ć':
		r = 'c'
	case 'è', 'é', 'ê', 'ë', 'ē', 'ę':
		r = 'e'
	case 'ì', 'í', 'î', 'ï':
		r = 'i'
	case 'ñ', 'ń':
		r = 'n'
	case 'ò', 'ó', 'ô', 'ö', 'õ', 'ø':
		r = 'o'
	case 'ù', 'ú', 'û', 'ü':
		r = 'u'
	case 'ý', 'ÿ':
		r = 'y'
	case 'š', 'ś':
		r = 's'
	case 'ž', 'ź', 'ż':
		r = 'z'
	case 'ł':
		r = 'l'
	}
	return utf8.AppendRune(b, r)
}

// hashString is FNV-1a over s.
func hashString(s string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 1099511628211
	}
	return h
}

// hashBytes is FNV-1a over b.
func hashBytes(b []byte) uint64 {
	h := uint64(14695981039346656037)
	for _, c := range b {
		h ^= uint64(c)
		h *= 1099511628211
	}
	return h
}

// isEmoji reports whether r is a pictographic symbol worth a token.
func isEmoji(r rune) bool {
	switch {
	case r >= 0x1F300 && r <= 0x1FAFF:
		return true
	case r >= 0x2600 && r <= 0x27BF:
		return true
	case r >= 0x2B00 && r <= 0x2BFF, r == 0x2764, r == 0x2728:
		return true
	case r >= 0x1F000 && r <= 0x1F2FF:
		return true
	}
	return false
}

func isRegional(r rune) bool { return r >= 0x1F1E6 && r <= 0x1F1FF }

// isEmojiModifier reports whether r only modifies the emoji before it:
// variation selectors ("❤️"), the zero-width joiner, skin tones, the keycap.
func isEmojiModifier(r rune) bool {
	return r == 0xFE0E || r == 0xFE0F || r == 0x200D || r == 0x20E3 || (r >= 0x1F3FB && r <= 0x1F3FF)
}

func isWordRune(r rune) bool {
	if r < utf8.RuneSelf {
		return asciiClass[r]&cWord != 0
	}
	return unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r)
}

// ASCII character classes, for the tokenizer's fast paths.
const (
	cSpace = 1 << iota // unicode.IsSpace
	cWord              // isWordRune: a letter or digit
	cSlash             // '/'
)

var asciiClass = func() (t [utf8.RuneSelf]uint8) {
	for r := rune(0); r < utf8.RuneSelf; r++ {
		if unicode.IsSpace(r) {
			t[r] |= cSpace
		}
		if unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r) {
			t[r] |= cWord
		}
		if r == '/' {
			t[r] |= cSlash
		}
	}
	return t
}()

func isApos(r rune) bool { return r == '\'' || r == '’' || r == 'ʼ' }

// emoticons maps ASCII emoticons to an emoji with the same meaning.
var emoticons = map[string]string{
	":)": "🙂", ":-)": "🙂", ":))": "🙂", ":D": "😀", ":-D": "😀", "xD": "😆", "XD": "😆",
	";)": "😉", ";-)": "😉", ":(": "🙁", ":-(": "🙁", ":((": "🙁", ":'(": "😢", "<3": "❤",
	":/": "😕", ":-/": "😕", ":P": "😛", ":p": "😛", "-_-": "😑",
}

// frenchElision maps an elided French article or pronoun to its full form.
var frenchElision = map[string]string{
	"l": "le", "d": "de", "j": "je", "c": "ce", "n": "ne", "s": "se", "m": "me", "t": "te",
	"qu": "que", "jusqu": "jusque", "lorsqu": "lorsque", "puisqu": "puisque",
}

// tokenize splits text into tokens in sc; subj may be nil. A line that
// starts with ">" quotes someone else (Markdown, as on Reddit, Hacker News
// and Lemmy): its tokens are marked fQuoted and fLineQuote.
func (sc *scratch) tokenize(text string, subj *subjectInfo) {
	sc.reset()
	start := -1
	lineStart, quoteFrom := true, -1
	var cls uint8 // the ASCII classes seen in the current chunk
	for i := 0; i < len(text); {
		if start >= 0 {
			// inside a chunk: skip its ASCII bytes quickly
			for i < len(text) && text[i] < utf8.RuneSelf && asciiClass[text[i]]&cSpace == 0 {
				cls |= asciiClass[text[i]]
				i++
			}
			if i == len(text) {
				break
			}
		}
		r, n := rune(text[i]), 1
		var space bool
		if r < utf8.RuneSelf {
			c := asciiClass[r]
			space = c&cSpace != 0
			cls |= c
		} else {
			r, n = utf8.DecodeRuneInString(text[i:])
			space = unicode.IsSpace(r)
		}
		if space {
			if start >= 0 {
				sc.chunk(text[start:i], subj, cls&cSlash != 0)
				start = -1
			}
			cls = 0
			if r == '\n' {
				sc.quoteLine(quoteFrom)
				quoteFrom = -1
				sc.bound()
				lineStart = true
			}
		} else if start < 0 {
			start = i
			if lineStart && r == '>' {
				quoteFrom = len(sc.toks)
			}
			lineStart = false
		}
		i += n
	}
	if start >= 0 {
		sc.chunk(text[start:], subj, cls&cSlash != 0)
	}
	sc.quoteLine(quoteFrom)
}

// quoteLine marks the tokens from toks[from] on as a quoted line (none if
// from is negative).
func (sc *scratch) quoteLine(from int) {
	if from < 0 || from == len(sc.toks) {
		return
	}
	for i := from; i < len(sc.toks); i++ {
		sc.toks[i].flags |= fQuoted | fLineQuote
	}
	sc.nQuoteLines++
}

// chunk tokenises one whitespace-free chunk; slash tells whether c contains
// a '/' (only then can it be "/s" or a link other than "www.").
func (sc *scratch) chunk(c string, subj *subjectInfo, slash bool) {
	if len(c) <= 3 { // most chunks skip the map: emoticons are short and start so
		switch c[0] {
		case ':', ';', 'x', 'X', '<', '-':
			if e, ok := emoticons[c]; ok {
				sc.emoji(e)
				return
			}
		}
	}
	if slash {
		switch {
		case c == "/s":
			sc.placeholder("/s", kPunct)
			return
		case strings.HasPrefix(c, "u/") || strings.HasPrefix(c, "/u/"):
			sc.handle(strings.TrimPrefix(strings.TrimPrefix(c, "/"), "u/"), subj) // a Reddit user
			return
		}
		// A Markdown link, [text](url): the text, then the link.
		if k := strings.Index(c, "]("); k >= 0 && isURL(c[k+2:]) {
			sc.words(c[:k], subj)
			sc.url(c)
			return
		}
	}
	if strings.HasPrefix(c, "www.") || slash && isURL(c) || !slash && isDomain(c) {
		sc.url(c)
		return
	}
	switch c[0] {
	case '@':
		if len(c) > 1 {
			sc.handle(c[1:], subj)
			return
		}
	case '#':
		if len(c) > 1 {
			sc.hashtag(c[1:], subj)
			return
		}
	}
	sc.words(c, subj)
}

// url adds a link token for chunk c, and ends the sentence if c does.
func (sc *scratch) url(c string) {
	sc.placeholder("<url>", kURL)
	if last := c[len(c)-1]; last == '.' || last == '!' || last == '?' {
		sc.bound()
	}
}

// domainSuffixes are the endings of a bare domain such as "people.com" or
// "(nbcnews.com)" (a link source as Reddit and Hacker News show it).
var domainSuffixes = [...]string{".com", ".org", ".net", ".co.uk", ".io", ".news", ".example", ".gov", ".edu", ".tv", ".de", ".fr", ".es"}

// isDomain reports whether chunk c, without surrounding brackets or a final
// full stop, is a bare domain: a name, a dot and one of domainSuffixes.
func isDomain(c string) bool {
	c = strings.TrimRight(strings.TrimLeft(c, "(["), ")].,")
	dot := strings.IndexByte(c, '.')
	if dot <= 0 {
		return false
	}
	for _, suf := range domainSuffixes {
		if len(c) > len(suf) && strings.HasSuffix(c, suf) {
			for i := 0; i < len(c); i++ {
				if b := c[i]; !isASCIIAlnum(b) && b != '.' && b != '-' {
					return false
				}
			}
			return true
		}
	}
	return false
}

func isURL(c string) bool {
	if strings.HasPrefix(c, "www.") {
		return true
	}
	slash := strings.IndexByte(c, '/')
	if slash < 0 {
		return false // no "://" either
	}
	if strings.Contains(c[slash-min(slash, 1):], "://") {
		return true
	}
	// bare links such as t.co/abc or bit.ly/xyz
	if slash == 0 {
		return false
	}
	dot := strings.IndexByte(c[:slash], '.')
	return dot > 0 && dot < slash-1 && slash < len(c)-1
}

// handle tokenises an @handle: the subject if it contains a subject name.
func (sc *scratch) handle(h string, subj *subjectInfo) {
	end := 0
	for end < len(h) {
		b := h[end]
		if b == '_' || b == '.' || ('0' <= b && b <= '9') || ('a' <= b && b <= 'z') || ('A' <= b && b <= 'Z') {
			end++
			continue
		}
		break
	}
	name := h[:end]
	if rest := h[end:]; name != "" && len(rest) > 1 && rest[0] == '@' {
		// A fediverse handle, @user@instance.social: the instance is part of it.
		k := 1
		for k < len(rest) && (isASCIIAlnum(rest[k]) || rest[k] == '.' || rest[k] == '-') {
			k++
		}
		for k > 1 && rest[k-1] == '.' {
			k-- // a full stop after the handle ends the sentence
		}
		end += k
	}
	if subj != nil && subj.matchesHandle(name) {
		sc.placeholder("<subj>", kSubj)
	} else if name != "" {
		sc.placeholder("<user>", kUser)
	}
	if rest := h[end:]; rest != "" {
		rest = strings.TrimPrefix(strings.TrimPrefix(rest, "'s"), "’s")
		sc.words(rest, nil)
	}
}

// hashtag tokenises a #hashtag: its camel-case parts become words; a tag that
// contains a subject name is a subject mention.
func (sc *scratch) hashtag(tag string, subj *subjectInfo) {
	sc.nHashtags++
	if subj != nil {
		end := 0
		for end < len(tag) && (isASCIIAlnum(tag[end]) || tag[end] >= utf8.RuneSelf) {
			end++
		}
		if subj.matchesHandle(tag[:end]) {
			// Split anyway so that "#StandWithKiara" keeps "stand with".
			if !hasCamel(tag[:end]) {
				sc.placeholder("<subj>", kSubj)
				sc.words(tag[end:], nil)
				return
			}
		}
	}
	// Split at camel-case boundaries: "StandWithKiara", "RIPJack".
	from := 0
	var prev rune
	for i, r := range tag {
		if i > 0 && unicode.IsUpper(r) {
			next, _ := utf8.DecodeRuneInString(tag[i+utf8.RuneLen(r):])
			if unicode.IsLower(prev) || unicode.IsDigit(prev) || (unicode.IsUpper(prev) && unicode.IsLower(next)) {
				sc.words(tag[from:i], subj)
				from = i
			}
		}
		prev = r
	}
	sc.words(tag[from:], subj)
}

func hasCamel(s string) bool {
	sawLower := false
	for _, r := range s {
		if unicode.IsLower(r) {
			sawLower = true
		} else if unicode.IsUpper(r) && sawLower {
			return true
		}
	}
	return false
}

func isASCIIAlnum(b byte) bool {
	return ('0' <= b && b <= '9') || ('a' <= b && b <= 'z') || ('A' <= b && b <= 'Z') || b == '_'
}

// words tokenises plain text without whitespace.
func (sc *scratch) words(c string, subj *subjectInfo) {
	i := 0
	for i < len(c) {
		r, n := rune(c[i]), 1
		if r >= utf8.RuneSelf {
			r, n = utf8.DecodeRuneInString(c[i:])
		} else if asciiClass[r]&cWord != 0 {
			if j, ok := sc.asciiWord(c, i, subj); ok {
				i = j
				continue
			}
		}
		switch {
		case isEmojiModifier(r):
			// part of the emoji before it: a variation selector, a joiner,
			// a skin tone
		case isWordRune(r):
			j := i + n
			for j < len(c) {
				if b := c[j]; b < utf8.RuneSelf && asciiClass[b]&cWord != 0 {
					j++ // the common case: an ASCII letter or digit
					continue
				}
				r2, n2 := rune(c[j]), 1
				if r2 >= utf8.RuneSelf {
					r2, n2 = utf8.DecodeRuneInString(c[j:])
				}
				if isWordRune(r2) {
					j += n2
					continue
				}
				// apostrophes, hyphens and asterisks inside a word
				if isApos(r2) || r2 == '-' || r2 == '*' {
					if j+n2 < len(c) {
						r3, _ := utf8.DecodeRuneInString(c[j+n2:])
						if isWordRune(r3) {
							j += n2
							continue
						}
					}
				}
				// digits with separators: 2,400 or 5.5
				if (r2 == ',' || r2 == '.') && j+1 < len(c) && isDigit(c[j-1]) && isDigit(c[j+1]) {
					j++
					continue
				}
				break
			}
			sc.word(c[i:j], subj)
			i = j
			continue
		case isEmoji(r):
			sc.emoji(c[i : i+n])
		case isRegional(r):
			if len(sc.toks) == 0 || string(sc.last()) != "<flag>" {
				sc.placeholder("<flag>", kEmoji)
			}
		case r == '?' || r == '¿':
			if r == '?' && !sc.lastIs("?") {
				sc.placeholder("?", kPunct)
				sc.bound()
			}
		case r == '!' || r == '¡':
			if r == '!' && !sc.lastIs("!") {
				sc.placeholder("!", kPunct)
				sc.bound()
			}
		case r == '"' || r == '“' || r == '”' || r == '«' || r == '»' || r == '„':
			sc.placeholder("\"", kPunct)
		case r == '.' || r == '…' || r == ';' || r == '。':
			sc.bound()
		case r == ',' || r == ':' || r == '—' || r == '–' || r == '(' || r == ')':
			sc.comma()
		case r == '%':
			sc.placeholder("%", kPunct)
		}
		i += n
	}
}

func isDigit(b byte) bool { return '0' <= b && b <= '9' }

// asciiWord is words' fast path for the common word: ASCII letters and
// digits ended by the end of the chunk or by an ASCII character that cannot
// continue a word. It folds, hashes and pushes the word starting at c[i] in
// one pass, as word does, and returns where it ends; it returns false and
// leaves everything as it was when the word needs the general path.
func (sc *scratch) asciiWord(c string, i int, subj *subjectInfo) (int, bool) {
	s := len(sc.norm)
	if cap(sc.norm)-s < len(c)-i {
		sc.norm = slices.Grow(sc.norm, len(c)-i)
	}
	buf := sc.norm[s:cap(sc.norm)]    // the folded word goes here
	h := uint64(14695981039346656037) // FNV-1a of the folded word, as hashBytes
	k, letters, lower := 0, 0, false
	title := 'A' <= c[i] && c[i] <= 'Z'
	var prev byte
	run := 0
	j := i
	for ; j < len(c); j++ {
		b := c[j]
		if b >= utf8.RuneSelf || asciiClass[b]&cWord == 0 {
			break
		}
		if b >= 'A' { // a letter: only letters and digits get here
			letters++
			if b >= 'a' {
				lower = true
			} else {
				b += 'a' - 'A'
			}
		}
		// squeeze letters repeated more than twice: "sooo" -> "soo"
		if b == prev {
			run++
			if run > 2 && b >= 'a' {
				continue
			}
		} else {
			prev, run = b, 1
		}
		buf[k] = b
		k++
		h = (h ^ uint64(b)) * 1099511628211
	}
	if j < len(c) {
		switch b := c[j]; {
		case b >= utf8.RuneSelf, b == '\'', b == '-', b == '*':
			return 0, false // a letter, an apostrophe or a joiner: the word may go on
		case (b == ',' || b == '.') && isDigit(c[j-1]):
			return 0, false // perhaps a number with separators: 2,400 or 5.5
		}
	}
	if letters == 0 {
		sc.placeholder("<num>", kNum)
		return j, true
	}
	sc.norm = sc.norm[:s+k]
	var fl uint8
	if !lower && letters >= 2 {
		fl = fCaps
	} else if title && lower {
		fl = fTitle
	}
	sc.push(int32(s), int32(s+k), kWord, fl, subj, h)
	return j, true
}

// word appends one word token.
func (sc *scratch) word(w string, subj *subjectInfo) {
	// Fast path for ASCII words, the common case; wordSlow handles the rest
	// and is the reference for what this loop does.
	s := len(sc.norm)
	norm := sc.norm
	caps, letters, digits := true, 0, true
	var prev byte
	run := 0
	h := uint64(14695981039346656037) // FNV-1a of the folded word, as hashBytes
	apos := false
	for i := 0; i < len(w); i++ {
		b := w[i]
		switch {
		case b >= utf8.RuneSelf:
			sc.norm = norm[:s]
			sc.wordSlow(w, subj)
			return
		case 'a' <= b && b <= 'z':
			letters++
			digits, caps = false, false
		case 'A' <= b && b <= 'Z':
			letters++
			digits = false
			b += 'a' - 'A'
		case '0' <= b && b <= '9', b == ',', b == '.':
		default:
			digits = false
			apos = apos || b == '\''
		}
		// squeeze letters repeated more than twice: "sooo" -> "soo"
		if b == prev {
			run++
			if run > 2 && b >= 'a' && b <= 'z' {
				continue
			}
		} else {
			prev, run = b, 1
		}
		norm = append(norm, b)
		h ^= uint64(b)
		h *= 1099511628211
	}
	if digits {
		sc.norm = norm[:s]
		sc.placeholder("<num>", kNum)
		return
	}
	sc.norm = norm
	var fl uint8
	if caps && letters >= 2 {
		fl = fCaps
	} else if !caps && 'A' <= w[0] && w[0] <= 'Z' {
		fl = fTitle
	}
	if apos {
		sc.pushWord(s, fl, subj)
		return
	}
	sc.push(int32(s), int32(len(norm)), kWord, fl, subj, h)
}

// wordSlow is word for any UTF-8.
func (sc *scratch) wordSlow(w string, subj *subjectInfo) {
	caps, letters := true, 0
	digits := true
	first, _ := utf8.DecodeRuneInString(w)
	for _, r := range w {
		if unicode.IsLetter(r) {
			letters++
			digits = false
			if !unicode.IsUpper(r) {
				caps = false
			}
		} else if !unicode.IsDigit(r) && r != ',' && r != '.' {
			digits = false
		}
	}
	if digits {
		sc.placeholder("<num>", kNum)
		return
	}
	s := len(sc.norm)
	var prev byte
	run := 0
	for _, r := range w {
		before := len(sc.norm)
		sc.norm = appendFolded(sc.norm, r)
		// squeeze letters repeated more than twice: "sooo" -> "soo"
		if len(sc.norm) == before+1 {
			b := sc.norm[before]
			if b == prev {
				run++
				if run > 2 && b >= 'a' && b <= 'z' {
					sc.norm = sc.norm[:before]
				}
			} else {
				prev, run = b, 1
			}
		} else {
			prev, run = 0, 0
		}
	}
	var fl uint8
	if caps && letters >= 2 {
		fl = fCaps
	} else if !caps && unicode.IsUpper(first) {
		fl = fTitle
	}
	sc.pushWord(s, fl, subj)
}

// pushWord pushes the folded word norm[s:] with flags fl, split after a
// French elision.
func (sc *scratch) pushWord(s int, fl uint8, subj *subjectInfo) {
	e := len(sc.norm)
	// French elision: l'attention, n'est, qu'elle
	if k := indexByte(sc.norm[s:e], '\''); k > 0 && e-(s+k+1) >= 2 {
		if full, ok := frenchElision[string(sc.norm[s:s+k])]; ok {
			rest := string(sc.norm[s+k+1 : e])
			sc.norm = sc.norm[:s]
			sc.norm = append(sc.norm, full...)
			sc.push(int32(s), int32(len(sc.norm)), kWord, 0, subj, hashBytes(sc.norm[s:]))
			s2 := len(sc.norm)
			sc.norm = append(sc.norm, rest...)
			sc.push(int32(s2), int32(len(sc.norm)), kWord, 0, subj, hashBytes(sc.norm[s2:]))
			return
		}
	}
	sc.push(int32(s), int32(e), kWord, fl, subj, hashBytes(sc.norm[s:e]))
}

func indexByte(b []byte, c byte) int {
	for i, x := range b {
		if x == c {
			return i
		}
	}
	return -1
}

// push appends a word token norm[s:e] with FNV-1a hash h, mapping subject
// names to placeholders and attaching lexicon information.
func (sc *scratch) push(s, e int32, kind tokKind, fl uint8, subj *subjectInfo, h uint64) {
	w := sc.norm[s:e]
	if subj != nil {
		base, hb := w, h
		if n := len(base); n > 2 && base[n-2] == '\'' && base[n-1] == 's' {
			base = base[:n-2]
			hb = hashBytes(base)
		}
		switch subj.lookupHash(hb, base) {
		case kSubj:
			sc.norm = append(sc.norm[:s], "<subj>"...)
			sc.toks = append(sc.toks, token{s: s, e: s + 6, h: hSubj, kind: kSubj, flags: fl, sent: sc.sent})
			return
		case kRole:
			// A description word ("news anchor", "pop singer") stands for
			// the subject in n-grams but keeps its cues ("news").
			var info *wordInfo
			if !sc.noLex {
				info = lex().words[string(w)]
			}
			sc.norm = append(sc.norm[:s], "<role>"...)
			sc.toks = append(sc.toks, token{s: s, e: s + 6, h: hRole, info: info, kind: kRole, flags: fl, sent: sc.sent})
			return
		}
	}
	if sc.noLex {
		sc.toks = append(sc.toks, token{s: s, e: e, h: h, kind: kind, flags: fl, sent: sc.sent})
		return
	}
	sc.toks = append(sc.toks, token{s: s, e: e, h: h, info: sc.lookup(w), kind: kind, flags: fl, sent: sc.sent})
}

// lookup returns what the lexicons know about the folded word w: its entry;
// else the cues of the prefix entries it starts with, if it has 4 bytes or
// more; else a negation for a word ending in "n't", or the valence of its
// stem without an inflectional ending (inflected). Nil if nothing.
func (sc *scratch) lookup(w []byte) *wordInfo {
	t := lex()
	if info := t.words[string(w)]; info != nil {
		return info
	}
	if len(w) >= 4 {
		if c := t.prefixCues(w); c != 0 {
			if info := sc.extraInfo(c); info != nil {
				return info
			}
		}
	}
	if len(w) > 3 && w[len(w)-3] == 'n' && w[len(w)-2] == '\'' && w[len(w)-1] == 't' {
		return &negInfo
	}
	if len(w) >= 5 {
		return t.inflected(w)
	}
	return nil
}

var (
	hSubj   = hashString("<subj>")
	hRole   = hashString("<role>")
	negInfo = wordInfo{cues: 1 << cueNegator}
)

// extraInfo returns a scratch wordInfo for a word known only by prefix.
func (sc *scratch) extraInfo(c uint32) *wordInfo {
	if sc.nExtra == len(sc.extra) {
		return nil
	}
	wi := &sc.extra[sc.nExtra]
	sc.nExtra++
	*wi = wordInfo{cues: c}
	return wi
}

func (sc *scratch) emoji(e string) { sc.placeholder(e, kEmoji) }

func (sc *scratch) placeholder(p string, kind tokKind) {
	s := int32(len(sc.norm))
	sc.norm = append(sc.norm, p...)
	h := hashString(p)
	var info *wordInfo
	if !sc.noLex {
		info = lex().words[p]
	}
	sc.toks = append(sc.toks, token{s: s, e: int32(len(sc.norm)), h: h, info: info, kind: kind, sent: sc.sent})
}

// bound ends a sentence.
func (sc *scratch) bound() {
	if n := len(sc.toks); n == 0 || sc.toks[n-1].kind == kBound {
		return
	}
	sc.toks = append(sc.toks, token{kind: kBound, sent: sc.sent})
	if sc.sent < 1<<16-1 {
		sc.sent++
	}
}

// comma ends a negation scope but not the sentence.
func (sc *scratch) comma() {
	if n := len(sc.toks); n > 0 {
		sc.toks[n-1].flags |= fCommaAfter
	}
}

// fCommaAfter marks a token followed by a comma or similar (ends negation scope).
const fCommaAfter uint8 = 1 << 7

func (sc *scratch) last() []byte {
	t := sc.toks[len(sc.toks)-1]
	return sc.norm[t.s:t.e]
}

func (sc *scratch) lastIs(p string) bool {
	for i := len(sc.toks) - 1; i >= 0; i-- {
		if sc.toks[i].kind == kBound {
			continue
		}
		return string(sc.norm[sc.toks[i].s:sc.toks[i].e]) == p
	}
	return false
}
