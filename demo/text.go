package demo

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/reactions-research/reactions/reaction"
)

// kind is what a generated text does; it fixes the intended stance.
type kind uint8

const (
	kindSupport         kind = iota // condolence, grief worded negatively, thanks for sharing
	kindSupportPersonal             // a personal story of loss
	kindSupportShort                // "💔", "RIP Jack"
	kindCeleb                       // a well-known account's condolence
	kindDefence                     // defence of the subject by attacking the critics
	kindDefenceReply                // a defender answering a critic
	kindCritPrivacy                 // "should have stayed private"
	kindCritPolite                  // "with respect, but …"
	kindCritSarcasm                 // sarcasm aimed at the subject
	kindCritMotive                  // motives questioned ("for clout")
	kindCritReply                   // a critic answering a defender
	kindNews                        // news sharing (headline, maybe a link)
	kindQuestion                    // factual question
	kindAnswer                      // factual answer to a question
	kindChatter                     // unrelated chatter, meta
	kindSpam                        // spam full of positive words
	kindOther                       // an opinion about something else (media, healthcare)
	kindRoot                        // a thread's root: a neutral news post
)

// stance is the stance the generator intends for a text of kind k.
func (k kind) stance() reaction.Stance {
	switch k {
	case kindSupport, kindSupportPersonal, kindSupportShort, kindCeleb, kindDefence, kindDefenceReply:
		return reaction.Support
	case kindCritPrivacy, kindCritPolite, kindCritSarcasm, kindCritMotive, kindCritReply:
		return reaction.Criticism
	}
	return reaction.Neutral
}

// writer composes texts; it remembers what it wrote so that texts repeat
// only when a pool is exhausted (short reactions do repeat, as in life).
type writer struct {
	r    *rand.Rand
	seen map[string]bool
}

func newWriter(r *rand.Rand) *writer { return &writer{r: r, seen: map[string]bool{}} }

// textSpec says what to write.
type textSpec struct {
	kind     kind
	lang     string // "en", "es", "fr", "de", "pt"
	platform reaction.Platform
	// mention is a made-up handle a reply may address ("" for none).
	mention string
	// h is the hours since the post: texts never mention what has not
	// happened yet (the debate, Zelda Williams, the awards).
	h float64
	// hashtag, when set, is added unless the text carries it already.
	hashtag string
}

// maxBluesky is the length limit of a Bluesky post, in graphemes (runes
// here: the texts have no combining sequences longer than one rune).
const maxBluesky = 300

// write returns a text for s, distinct from earlier ones when possible.
func (w *writer) write(s textSpec) string {
	var t string
	for try := 0; try < 12; try++ {
		t = w.compose(s)
		if s.hashtag != "" && !strings.Contains(strings.ToLower(t), strings.ToLower(s.hashtag)) {
			t += " " + s.hashtag
		}
		if s.platform == reaction.Bluesky && utf8.RuneCountInString(t) > maxBluesky {
			continue
		}
		if !w.seen[t] {
			break
		}
	}
	w.seen[t] = true
	return t
}

func pick[T any](r *rand.Rand, xs []T) T { return xs[r.IntN(len(xs))] }

func chance(r *rand.Rand, p float64) bool { return r.Float64() < p }

// compose writes one text (possibly one already written). It is long on
// purpose: it is one grammar, whose branches choose the parts of one text
// together (by platform, kind of reaction and stance), so that the choices
// of one part can be read beside the others; the words are in
// phrases_en.go.
func (w *writer) compose(s textSpec) string {
	r := w.r
	if s.lang != "" && s.lang != "en" {
		return w.composeI18n(s)
	}
	if s.platform == reaction.HackerNews && s.kind != kindRoot && chance(r, 0.6) {
		switch s.kind.stance() {
		case reaction.Support:
			return pick(r, enHNSupport)
		case reaction.Criticism:
			return pick(r, enHNCriticism)
		default:
			if s.kind != kindAnswer && s.kind != kindNews {
				return pick(r, enHNNeutral)
			}
		}
	}
	var parts []string
	add := func(xs ...string) {
		for _, x := range xs {
			if x != "" {
				parts = append(parts, x)
			}
		}
	}
	final := "" // appended without a space (sarcasm's "🙄")
	switch s.kind {
	case kindSupport:
		if s.h >= awardsHour && chance(r, 0.7) {
			add(pick(r, enAwardsSupport))
			if chance(r, 0.4) {
				add(pick(r, enSupportClose))
			}
			break
		}
		if chance(r, 0.45) {
			add(pick(r, enSupportOpen))
		}
		pools := [][]string{enSupportCore, enSupportGrief, enSupportThanks}
		first := pick(r, pools)
		add(pick(r, first))
		if chance(r, 0.55) {
			second := pick(r, pools)
			s2 := pick(r, second)
			if len(parts) == 0 || s2 != parts[len(parts)-1] {
				add(s2)
			}
		}
		if chance(r, 0.5) {
			add(pick(r, enSupportClose))
		}
	case kindSupportPersonal:
		add(fmt.Sprintf(pick(r, enPersonalLoss), 16+r.IntN(20), 2004+r.IntN(16)))
		add(pick(r, enPersonalMiddle))
		if chance(r, 0.4) {
			add(pick(r, enPersonalMiddle))
		}
		add(pick(r, enPersonalClose))
		if chance(r, 0.3) {
			add(pick(r, []string{"❤️", "🤍", "💙"}))
		}
		if s.platform != reaction.Bluesky && chance(r, 0.35) {
			// A longer story: a second paragraph.
			return strings.Join(parts[:len(parts)-1], " ") + "\n\n" + parts[len(parts)-1]
		}
	case kindSupportShort:
		return pick(r, enShortSupport)
	case kindCeleb:
		add(pick(r, enSupportCeleb))
		if chance(r, 0.5) {
			add(pick(r, []string{"❤️", "🤍", "💔", "🙏🏾", "💕"}))
		}
	case kindDefence:
		if chance(r, 0.25) {
			add(pick(r, enSupportCore))
		}
		d := pick(r, enSupportDefence)
		for strings.Contains(d, "Zelda") && s.h < zeldaHour {
			d = pick(r, enSupportDefence)
		}
		add(d)
		if chance(r, 0.25) {
			add(pick(r, enDefenceTail))
		}
	case kindDefenceReply:
		line := pick(r, enDefenceReply)
		if s.mention != "" {
			add("@" + s.mention + " " + line)
		} else {
			add(upperFirst(line))
		}
		if chance(r, 0.45) {
			add(pick(r, enDefenceTail))
		}
	case kindCritPrivacy:
		if chance(r, 0.3) {
			add(pick(r, []string{"Honestly?", "Hmm.", "Yikes.", "I'm sorry but", "Idk.", "Look."}))
		}
		add(pick(r, enCritPrivacy))
		if chance(r, 0.35) {
			add(pick(r, enCritPrivacy))
		}
	case kindCritPolite:
		lead := pick(r, enCritPoliteLead)
		body := pick(r, append(append([]string{}, enCritPrivacy...), enCritMotive...))
		if strings.HasSuffix(lead, ",") || strings.HasSuffix(lead, "but") || strings.HasSuffix(lead, "honestly") {
			body = lowerFirst(body)
		}
		add(lead + " " + body)
	case kindCritSarcasm:
		add(pick(r, enSarcasmOpen))
		final = pick(r, enSarcasmEnd)
		add(pick(r, enCritSarcasm))
	case kindCritMotive:
		add(pick(r, enCritMotive))
		if chance(r, 0.3) {
			add(pick(r, enCritPrivacy))
		}
	case kindCritReply:
		line := pick(r, enCritReply)
		if s.mention != "" {
			line = "@" + s.mention + " " + line
		}
		add(line)
	case kindNews, kindRoot:
		var h string
		switch {
		case s.h >= awardsHour && chance(r, 0.7):
			h = pick(r, enAwardsNews)
		case chance(r, 0.3):
			h = pick(r, enNewsEmotive)
		case s.h >= 20:
			h = pick(r, append(append([]string{}, enNewsHeadline...), enNewsHeadlineLate...))
		default:
			h = pick(r, enNewsHeadline)
		}
		add(pick(r, enNewsPrefix) + h)
		if s.kind == kindNews && chance(r, 0.6) || s.kind == kindRoot && s.platform != reaction.Reddit && s.platform != reaction.Discourse && chance(r, 0.5) {
			add(link(r, h))
		}
	case kindQuestion:
		add(pick(r, enNeutralQuestion))
	case kindAnswer:
		add(pick(r, []string{
			"The article says it happened on Wednesday.", "She was about halfway along, per the post.",
			"It's in the main post, slide three.", "There's a statement from their rep on the wire.",
			"John retweeted it but hasn't written anything of his own yet.", "It was in Los Angeles, I think.",
			"Her post mentions the complications in the second paragraph.", "Not sure, the reports differ.",
		}))
	case kindChatter:
		add(pick(r, enNeutralChatter))
	case kindSpam:
		t := pick(r, enNeutralSpam)
		if chance(r, 0.6) {
			t += " " + pick(r, []string{"https://bit.ly/", "https://tinyurl.example/", "https://shop.example.net/"}) + randToken(r, 7)
		}
		return t
	case kindOther:
		add(pick(r, enNeutralOther))
	}
	t := strings.Join(parts, " ") + final
	return w.style(t, s)
}

// style applies the surface variation of real posts: hashtags, casing,
// typos, stretched words, dropped punctuation.
func (w *writer) style(t string, s textSpec) string {
	r := w.r
	if s.kind == kindRoot {
		return t
	}
	if s.kind.stance() == reaction.Support && s.kind != kindCeleb && chance(r, 0.04) {
		t = strings.Replace(t, "so ", "soooo ", 1)
	}
	if chance(r, 0.05) {
		t = typo(r, t)
	}
	if chance(r, 0.10) && s.platform != reaction.HackerNews {
		t = strings.ToLower(t)
	}
	if chance(r, 0.03) && s.kind.stance() != reaction.Neutral {
		t = strings.ToUpper(t)
	}
	if chance(r, 0.18) {
		t = strings.TrimSuffix(t, ".")
	}
	tagP := 0.02
	switch s.platform {
	case reaction.Mastodon:
		tagP = 0.5
	case reaction.Bluesky:
		tagP = 0.15
	case reaction.HackerNews, reaction.Reddit:
		tagP = 0
	}
	if chance(r, tagP) {
		n := 1 + r.IntN(2)
		for i := 0; i < n; i++ {
			tag := pick(r, enHashtags)
			if !strings.Contains(t, tag) {
				t += " " + tag
			}
		}
	}
	return t
}

func (w *writer) composeI18n(s textSpec) string {
	r := w.r
	p := i18n[s.lang]
	var parts []string
	switch s.kind.stance() {
	case reaction.Support:
		switch {
		case s.kind == kindDefence || s.kind == kindDefenceReply:
			d := pick(r, p.defence)
			if s.mention != "" {
				d = "@" + s.mention + " " + d
			}
			parts = append(parts, d)
		case chance(r, 0.4):
			parts = append(parts, pick(r, p.supportGrief), pick(r, p.support))
		default:
			parts = append(parts, pick(r, p.support))
			if chance(r, 0.4) {
				parts = append(parts, pick(r, p.support))
			}
		}
	case reaction.Criticism:
		switch {
		case s.kind == kindCritPolite:
			parts = append(parts, pick(r, p.politeLead)+" "+pick(r, p.critPolite))
		case s.kind == kindCritSarcasm:
			return pick(r, p.critSarcasm)
		default:
			parts = append(parts, pick(r, p.criticism))
			if chance(r, 0.3) {
				parts = append(parts, pick(r, p.criticism))
			}
		}
	default:
		if s.kind == kindQuestion || s.kind == kindAnswer {
			return pick(r, p.question)
		}
		h := pick(r, p.news)
		if chance(r, 0.5) {
			h += " " + link(r, h)
		}
		return h
	}
	if len(parts) == 2 && parts[0] == parts[1] {
		parts = parts[:1]
	}
	if c := pick(r, p.close); c != "" && s.kind.stance() == reaction.Support {
		parts = append(parts, c)
	}
	t := strings.Join(parts, " ")
	if s.platform == reaction.Mastodon && chance(r, 0.4) {
		t += " " + pick(r, enHashtags[:2])
	}
	return t
}

// link makes a made-up article URL from a headline.
func link(r *rand.Rand, headline string) string {
	host := pick(r, linkHosts)
	if strings.Contains(host, "bit.ly") {
		return host + randToken(r, 7)
	}
	var b strings.Builder
	for _, f := range strings.Fields(strings.ToLower(headline)) {
		f = strings.TrimFunc(f, func(c rune) bool { return !unicode.IsLetter(c) && !unicode.IsDigit(c) })
		if f == "" || !isASCII(f) {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('-')
		}
		b.WriteString(f)
		if b.Len() > 48 {
			break
		}
	}
	if b.Len() == 0 {
		b.WriteString(randToken(r, 8))
	}
	return host + b.String()
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

const tokenChars = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"

func randToken(r *rand.Rand, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = tokenChars[r.IntN(len(tokenChars))]
	}
	return string(b)
}

// typo swaps two adjacent letters inside one longer word.
func typo(r *rand.Rand, t string) string {
	words := strings.Split(t, " ")
	var cand []int
	for i, w := range words {
		if len(w) >= 5 && isASCII(w) && !strings.ContainsAny(w, "@#/:0123456789") {
			cand = append(cand, i)
		}
	}
	if len(cand) == 0 {
		return t
	}
	i := pick(r, cand)
	b := []byte(words[i])
	j := 1 + r.IntN(len(b)-3)
	b[j], b[j+1] = b[j+1], b[j]
	words[i] = string(b)
	return strings.Join(words, " ")
}

func upperFirst(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	return string(unicode.ToUpper(r)) + s[n:]
}

func lowerFirst(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	if len(s) > n && unicode.IsUpper(rune(s[n])) { // "I'm", acronyms
		return s
	}
	if r == 'I' && (len(s) == 1 || s[1] == ' ' || s[1] == '\'') {
		return s
	}
	return string(unicode.ToLower(r)) + s[n:]
}
