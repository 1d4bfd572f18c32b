package stance

import (
	"fmt"
	"math"
	"math/bits"
)

// featureVersion changes whenever feature extraction changes in a way that
// makes older models meaningless; Load rejects models of another version.
const featureVersion = 2

// FeatureConfig selects and weights the feature groups. It is stored in the
// model so that a loaded model extracts the features it was trained on.
type FeatureConfig struct {
	// Words enables word unigrams, bigrams and trigrams (with negation and
	// final-clause variants).
	Words bool `json:"words"`
	// Chars enables character 3-5-grams inside words.
	Chars bool `json:"chars"`
	// Cues enables the lexicon cue features and their combinations.
	Cues bool `json:"cues"`
	// Sentiment enables the sentiment (VADER lexicon) features.
	Sentiment bool `json:"sentiment"`
	// WordScale weights the word n-grams; like the character n-grams they
	// are also divided by the square root of their number.
	WordScale float32 `json:"word_scale"`
	// CharScale weights the character n-grams.
	CharScale float32 `json:"char_scale"`
	// CueScale weights the cue and sentiment features.
	CueScale float32 `json:"cue_scale"`
}

// DefaultFeatures is the configuration of the shipped model.
func DefaultFeatures() FeatureConfig {
	return FeatureConfig{Words: true, Chars: true, Cues: true, Sentiment: true, WordScale: 1, CharScale: 0.5, CueScale: 1}
}

// scratch is the per-call working memory of feature extraction, pooled so that
// Classify does not allocate.
//
// Extraction either collects the features (feats/vals, for training and
// Explain) or, when weights is set, scores them as it goes: z accumulates
// weight·value in the order the features are produced, which is the order
// Model.scores sums them in, so both give the same float32 logits.
type scratch struct {
	norm      []byte
	toks      []token
	feats     []uint64 // feature hashes (collecting only)
	vals      []float32
	weights   []float32    // the model's weights (Model.w): score instead of collecting
	mask      uint64       // the model's bucket mask
	subjKey   string       // the subject of the last Classify call with this scratch
	subj      *subjectInfo // and what was derived from it
	z         [3]float32
	pend      [64]pending // features not yet flushed
	npend     int
	sent      uint16
	nHashtags int
	// nQuoteLines counts the lines quoted with ">".
	nQuoteLines int
	extra       [32]wordInfo
	nExtra      int
	sentInfo    []sentStat
	hits        []hit
	noLex       bool // tokenising lexicon entries: no lookups
	debug       bool // record feature names (Explain only)
	names       []string
}

// hit is a token with cues (a phrase counts at its first token).
type hit struct {
	i    int
	bits uint32
}

// sentStat summarises one sentence.
type sentStat struct {
	critic, attack bool
	// question: the sentence asks ("?"); eval: it has a praise,
	// condolence, attack, blame, motive, sarcasm, defence or rhetoric cue; ref: it
	// refers to the subject (a name, a pronoun, "you"); content: it has a
	// token outside quoted lines other than punctuation.
	question, eval, ref, content bool
	val                          float32
}

func (sc *scratch) reset() {
	sc.norm = sc.norm[:0]
	sc.toks = sc.toks[:0]
	sc.feats = sc.feats[:0]
	sc.vals = sc.vals[:0]
	sc.z = [3]float32{}
	sc.npend = 0
	sc.sent = 0
	sc.nHashtags = 0
	sc.nQuoteLines = 0
	sc.nExtra = 0
	sc.sentInfo = sc.sentInfo[:0]
}

// Feature namespaces.
const (
	nsBias uint64 = iota + 1
	nsUni
	nsBi
	nsTri
	nsFinal
	nsNeg
	nsChar
	nsCue
	nsCueN2
	nsCueNeg
	nsCueFinal
	nsCuePre
	nsCueCritic
	nsCueQuoted
	nsMisc
	nsSentBin
	nsSentVal
	nsQuoteWord // a word on a quoted line
)

// Misc feature ids.
const (
	mCriticAttack uint64 = iota + 1
	mCriticNeg
	mAttackPlain
	mSarcPos
	mCondolNeg
	mPoliteContrast
	mQMark
	mQStart
	mSubj0
	mSubj1
	mSubj2
	mPron
	mYou
	mNoRef
	mRole
	mURL
	mUser
	mHashtag
	mCaps
	mExcl
	mQuote
	mEmoji
	mLen
	mContrast
	mNegPraise
	mNegBlame
	mNegCondol
	mFinalRef
	mNegSentSubj
	mPosSentCritic
	mStartQuestion
	mSarcSubj
	mFirstPerson
	mCriticDocAttack
	mCriticDocNeg
	mReply
	mQuoteLine      // a line quoted with ">"
	mQuoteReply     // own words after a quoted line
	mHeadline       // most words capitalised, as in a headline
	mEmojiOnly      // nothing but emoji
	mShort          // three tokens or fewer
	mLong           // 40 tokens or more
	mQuestionEval   // a question with evaluative words: often rhetorical
	mQuestionPlain  // a question without them: often a request for facts
	mQuestionCritic // a question about the critics
	mQuestionSubj   // a question that refers to the subject
	mAllQuestions   // every sentence asks
)

func mix(h, x uint64) uint64 {
	h ^= x + 0x9E3779B97F4A7C15 + (h << 6) + (h >> 2)
	h *= 0xBF58476D1CE4E5B9
	h ^= h >> 31
	return h
}

// add adds feature h with value v. Features are buffered and flushed in
// batches: collected, or scored with the logits in registers.
func (sc *scratch) add(h uint64, v float32) {
	if sc.npend == len(sc.pend) {
		sc.flush()
	}
	sc.pend[sc.npend] = pending{h, v}
	sc.npend++
}

// pending is a feature not yet flushed.
type pending struct {
	h uint64
	v float32
}

// flush collects or scores the buffered features, in order.
func (sc *scratch) flush() {
	ps := sc.pend[:sc.npend]
	sc.npend = 0
	w := sc.weights
	if w == nil {
		for _, p := range ps {
			sc.feats = append(sc.feats, p.h)
			sc.vals = append(sc.vals, p.v)
		}
		return
	}
	z0, z1, z2 := sc.z[0], sc.z[1], sc.z[2]
	mask := sc.mask
	for _, p := range ps {
		b := 3 * (p.h & mask)
		ws := w[b : b+3 : b+3]
		// The conversions keep every product rounded on its own (no fused
		// multiply-add), as in Model.scores.
		z0 += float32(ws[0] * p.v)
		z1 += float32(ws[1] * p.v)
		z2 += float32(ws[2] * p.v)
	}
	sc.z = [3]float32{z0, z1, z2}
}

// name records the name of the feature just added (debug only).
func (sc *scratch) name(format string, args ...any) {
	if sc.debug {
		for len(sc.names) < len(sc.feats)+sc.npend-1 {
			sc.names = append(sc.names, "?")
		}
		sc.names = append(sc.names, fmt.Sprintf(format, args...))
	}
}

func compound(x float32) float32 {
	return x / float32(math.Sqrt(float64(x*x+15)))
}

func sentBin(c float32) uint64 {
	switch {
	case c <= -0.5:
		return 0
	case c <= -0.05:
		return 1
	case c < 0.05:
		return 2
	case c < 0.5:
		return 3
	}
	return 4
}

var hBOS = hashString("<s>")

// extract analyses text and fills sc.feats/sc.vals, or sc.z when sc.weights
// is set. The analysis passes run first, each over the tokens; the feature
// groups are then emitted in a fixed order, which the scoring paths and the
// golden file depend on (a float32 sum depends on its order).
func (sc *scratch) extract(text string, subj *subjectInfo, fc *FeatureConfig) {
	sc.tokenize(text, subj)
	var st textStats
	sc.markScopes(&st)
	sc.countCues(&st)
	sc.countTokens(&st)
	sc.sentenceSentiment(&st)

	sc.add(mix(nsBias, 0), 1)
	if sc.debug {
		sc.name("bias")
	}
	if fc.Words {
		sc.wordFeatures(fc.WordScale)
	}
	if fc.Chars {
		sc.charFeatures(fc.CharScale)
	}
	if fc.Cues {
		sc.cueFeatures(&st, fc.CueScale)
	}
	if fc.Sentiment {
		sc.sentimentFeatures(&st, fc.CueScale)
	}
	sc.flush()
}

// textStats is what the analysis passes of extract find in a text.
type textStats struct {
	// firstContent is the first token that is not a sentence bound (-1 if
	// none); lastContrast is the contrast marker that starts the final
	// clause (-1 if none), and hasContrast tells whether there is one.
	firstContent, lastContrast int
	hasContrast                bool

	// counted has the bit of every cue with a count in cnt, neg, final or
	// pre; the other cues add no feature.
	counted uint32
	// Cue counts outside negation, inside it, in the final clause and
	// before the contrast.
	cnt, neg, final, pre [numCues]uint16
	// critWords counts blame, motive and attack words in sentences about
	// the subject's critics; quoted counts cue words in quotation marks.
	critWords, quoted [numCues]uint16

	// Token counts: subject mentions, third-person pronouns, second person,
	// role words, links, other handles, words in capitals, "!", quotation
	// marks, "?" and first-person words.
	nSubj, nPron, nYou, nRole, nURL, nUser, nCaps, nExcl, nQuote, nQ, nFirst int
	// nContent counts the tokens outside quoted lines, nEmoji the emoji
	// among them; nMid counts the words that do not start a sentence, and
	// nTitleMid those of them with a capital initial.
	nContent, nEmoji, nMid, nTitleMid int
	// refFinal tells whether the final clause refers to the subject.
	refFinal bool

	// Sentiment (VADER scale): of the whole text, of the final clause (the
	// whole text without a contrast) and before the contrast.
	sAll, sFinal, sPre float32
	// Sentiment of the sentences about the critics and of the others.
	sCritic, sOther float32
	// Positive and negative sentiment of the sentences that refer to the
	// subject and not to the critics.
	posSubj, negSubj float32
}

// markScopes is the first pass: it records each token's cues (phrases at
// their first token) in sc.hits, marks quotation spans and negation scopes,
// and finds the contrast that starts the final clause, whose tokens it marks.
func (sc *scratch) markScopes(st *textStats) {
	toks := sc.toks
	st.firstContent, st.lastContrast = -1, -1
	negLeft := 0
	hits := sc.hits[:0]
	inQuote := false
	for i := range toks {
		t := &toks[i]
		if t.kind == kBound {
			negLeft = 0
			continue
		}
		if st.firstContent < 0 {
			st.firstContent = i
		}
		if t.kind == kPunct && sc.norm[t.s] == '"' {
			inQuote = !inQuote
		} else if inQuote {
			t.flags |= fQuoted
		}
		bits := uint32(0)
		if t.info != nil {
			bits = t.info.cues
			for _, ph := range t.info.phrases {
				if matchPhrase(toks, i, ph.rest) {
					bits |= 1 << ph.cue
				}
			}
		}
		if sc.criticGroup(i) {
			bits |= 1 << cueCritic
		}
		if negLeft > 0 && (t.kind == kWord || t.kind == kSubj || t.kind == kRole) {
			t.flags |= fNeg
			negLeft--
		}
		if bits&(1<<cueWeakContrast) != 0 && i > st.firstContent {
			bits |= sc.weakContrast(st, i)
		}
		if bits&(1<<cueContrast) != 0 {
			negLeft = 0
			if i > st.firstContent {
				st.lastContrast = i
			}
		}
		if bits&(1<<cueNegator) != 0 {
			negLeft = 3
		}
		if t.kind == kPunct || t.flags&fCommaAfter != 0 {
			negLeft = 0
		}
		if bits != 0 {
			hits = append(hits, hit{i, bits})
		}
	}
	sc.hits = hits
	st.hasContrast = st.lastContrast > 0
	if st.hasContrast {
		for i := st.lastContrast + 1; i < len(toks); i++ {
			toks[i].flags |= fFinal
		}
	}
}

// criticGroups are words for a group of people that, followed by a verb in
// "-ing", usually name the subject's critics: "people lecturing her",
// "everyone pretending", "a bunch of dudes dunking on her".
var criticGroups = []string{"people", "those", "anyone", "everyone", "folks", "yall", "y'all", "guys",
	"dudes", "accounts", "commenters", "posters", "men", "adults", "strangers", "randos", "users", "redditors"}

// notCriticVerbs are verbs in "-ing" after which such a group is not the
// critics: the bereaved, the grieving, the supporters and the readers.
var notCriticVerbs = hashSet("grieving", "going", "losing", "suffering", "struggling", "hurting", "living",
	"dealing", "mourning", "healing", "trying", "having", "reading", "coping", "experiencing", "sharing",
	"supporting", "sending", "praying", "donating", "defending", "waiting", "feeling", "carrying", "working")

func hashSet(words ...string) map[uint64]bool {
	m := make(map[uint64]bool, len(words))
	for _, w := range words {
		m[hashString(w)] = true
	}
	return m
}

// criticGroup reports whether token i starts "<group> <verb>ing" as in
// criticGroups.
func (sc *scratch) criticGroup(i int) bool {
	toks := sc.toks
	if t := &toks[i]; t.info == nil || !t.info.group || t.kind != kWord || i+1 >= len(toks) || toks[i+1].kind != kWord {
		return false
	}
	next := &toks[i+1]
	w := sc.norm[next.s:next.e]
	return len(w) > 4 && string(w[len(w)-3:]) == "ing" && !notCriticVerbs[next.h]
}

// weakContrast handles a weak contrast marker at token i: "Still, ..." or
// ", though ..." start a final clause (it returns the contrast cue bit);
// "..., though." at a clause end makes that clause the final one.
func (sc *scratch) weakContrast(st *textStats, i int) uint32 {
	toks := sc.toks
	if prev := &toks[i-1]; prev.kind == kBound || prev.flags&fCommaAfter != 0 {
		return 1 << cueContrast
	}
	if toks[i].flags&fCommaAfter != 0 || i+1 == len(toks) || toks[i+1].kind == kBound || toks[i+1].kind == kPunct {
		j := i - 1
		for j > st.firstContent && toks[j].kind != kBound && toks[j].flags&fCommaAfter == 0 {
			j--
		}
		if j > st.firstContent {
			st.lastContrast = j
		}
	}
	return 0
}

// countCues is the second pass, over the cue hits: it marks the sentences
// about the critics and those with an attack, and counts each cue by
// position. Praise, condolence, blame and motive words in quotation marks,
// and blame, motive and attack words in sentences about the critics, are
// counted apart: they are not the writer's own stance toward the subject.
func (sc *scratch) countCues(st *textStats) {
	toks := sc.toks
	nSent := int(sc.sent) + 1
	for range nSent {
		sc.sentInfo = append(sc.sentInfo, sentStat{})
	}
	for _, h := range sc.hits {
		if h.bits&(1<<cueCritic) != 0 && toks[h.i].flags&fLineQuote == 0 {
			sc.sentInfo[toks[h.i].sent].critic = true
		}
	}
	const evalCues = 1<<cueCondolence | 1<<cuePraise | 1<<cueAttack | 1<<cueBlame | 1<<cueMotive | 1<<cueSarcasm | 1<<cueDefend | 1<<cueRhetoric
	for _, h := range sc.hits {
		t := &toks[h.i]
		inCritic := sc.sentInfo[t.sent].critic
		if t.flags&fLineQuote == 0 && h.bits&evalCues != 0 {
			sc.sentInfo[t.sent].eval = true
		}
		for set := h.bits; set != 0; set &= set - 1 {
			c := cue(bits.TrailingZeros32(set))
			if t.flags&fLineQuote != 0 {
				// A quoted line: someone else's words, whatever they say.
				if c < cueNegator {
					st.quoted[c]++
				}
				continue
			}
			if t.flags&fQuoted != 0 && (c == cuePraise || c == cueCondolence || c == cueBlame || c == cueMotive) {
				// "real" and "relatable": scare quotes; "attention seeker":
				// a quoted accusation.
				st.quoted[c]++
				continue
			}
			if inCritic && (c == cueBlame || c == cueMotive || c == cueAttack) {
				// "everyone calling her a quitter": the critics' words, or
				// words aimed at the critics.
				st.critWords[c]++
				continue
			}
			st.counted |= 1 << c
			if t.flags&fNeg != 0 {
				st.neg[c]++
			} else {
				st.cnt[c]++
			}
			if st.hasContrast {
				if t.flags&fFinal != 0 {
					st.final[c]++
				} else if h.i < st.lastContrast {
					st.pre[c]++
				}
			}
		}
		if h.bits&(1<<cueAttack) != 0 && t.flags&(fNeg|fLineQuote) == 0 {
			sc.sentInfo[t.sent].attack = true
		}
	}
}

// countTokens is the third pass, over all tokens: it counts token kinds and
// references to the subject, and sums the sentiment of the text, of its
// clauses and of each sentence, with VADER's rules for negation, boosters
// and capitals.
func (sc *scratch) countTokens(st *textStats) {
	toks := sc.toks
	var sAll, sFinal, sPre float32
	for i := range toks {
		t := &toks[i]
		if t.kind == kBound || t.flags&fLineQuote != 0 {
			continue // quoted lines are someone else's words
		}
		st.nContent++
		sent := &sc.sentInfo[t.sent]
		if t.kind != kPunct {
			sent.content = true
		}
		switch t.kind {
		case kSubj:
			st.nSubj++
			sent.ref = true
			if t.flags&fFinal != 0 {
				st.refFinal = true
			}
		case kWord:
			if i > 0 && toks[i-1].kind != kBound {
				st.nMid++
				if t.flags&fTitle != 0 {
					st.nTitleMid++
				}
			}
		case kEmoji:
			st.nEmoji++
		case kRole:
			st.nRole++
		case kURL:
			st.nURL++
		case kUser:
			st.nUser++
		case kPunct:
			switch sc.norm[t.s] {
			case '?':
				st.nQ++
				sent.question = true
			case '!':
				st.nExcl++
			case '"':
				st.nQuote++
			}
		}
		if t.flags&fCaps != 0 && t.e-t.s >= 3 {
			st.nCaps++
		}
		if t.info == nil {
			continue
		}
		if t.info.cues&(1<<cuePronoun|1<<cueYou) != 0 {
			sent.ref = true
		}
		if t.info.cues&(1<<cuePronoun) != 0 {
			st.nPron++
			if t.flags&fFinal != 0 {
				st.refFinal = true
			}
		}
		if t.info.cues&(1<<cueYou) != 0 {
			st.nYou++
			if t.flags&fFinal != 0 {
				st.refFinal = true
			}
		}
		if w := sc.norm[t.s:t.e]; len(w) <= 2 && (string(w) == "i" || string(w) == "my" || string(w) == "me") {
			st.nFirst++
		}
		v := t.info.val
		if v == 0 {
			continue
		}
		v = sc.adjustValence(i, v)
		sAll += v
		if st.hasContrast {
			if t.flags&fFinal != 0 {
				sFinal += v
			} else {
				sPre += v
			}
		}
		sent.val += v
	}
	if !st.hasContrast {
		sFinal = sAll
	}
	st.sAll, st.sFinal, st.sPre = sAll, sFinal, sPre
}

// adjustValence applies VADER's rules to the valence v of token i: negation
// flips and damps it, a booster before it and capitals strengthen it.
func (sc *scratch) adjustValence(i int, v float32) float32 {
	t := &sc.toks[i]
	if t.flags&fNeg != 0 {
		v *= -0.74
	}
	if i > 0 && sc.toks[i-1].info != nil && sc.toks[i-1].info.cues&(1<<cueBooster) != 0 {
		if v > 0 {
			v += 0.293
		} else {
			v -= 0.293
		}
	}
	if t.flags&fCaps != 0 {
		if v > 0 {
			v += 0.733
		} else {
			v -= 0.733
		}
	}
	return v
}

// sentenceSentiment sums the sentiment of the sentences about the critics
// and of the others, and, once per sentence that refers to the subject (and
// not to the critics), its sentiment by sign.
func (sc *scratch) sentenceSentiment(st *textStats) {
	for _, s := range sc.sentInfo[:int(sc.sent)+1] {
		if s.critic {
			st.sCritic += s.val
		} else {
			st.sOther += s.val
		}
	}
	lastSent := -1
	for i := range sc.toks {
		t := &sc.toks[i]
		if int(t.sent) == lastSent {
			continue
		}
		if t.kind == kSubj || (t.info != nil && t.info.cues&(1<<cuePronoun|1<<cueYou) != 0) {
			lastSent = int(t.sent)
			s := sc.sentInfo[t.sent]
			if !s.critic {
				if s.val < 0 {
					st.negSubj += s.val
				} else {
					st.posSubj += s.val
				}
			}
		}
	}
}

// wordFeatures adds the word unigrams (negated ones apart), the final-clause
// unigrams, bigrams and trigrams within sentences, each weighted
// scale/sqrt(their number).
func (sc *scratch) wordFeatures(scale float32) {
	toks := sc.toks
	n := 0
	prev1, prev2 := hBOS, uint64(0)
	for i := range toks {
		t := &toks[i]
		if t.kind == kBound {
			prev1, prev2 = hBOS, 0
			continue
		}
		n++
		if t.flags&fLineQuote != 0 {
			prev1, prev2 = hBOS, 0
			continue
		}
		if t.flags&fFinal != 0 {
			n++
		}
		if prev1 != 0 {
			n++
			if prev2 != 0 {
				n++
			}
		}
		prev2, prev1 = prev1, t.h
	}
	v := groupValue(n, scale)
	prev1, prev2 = hBOS, 0
	for i := range toks {
		t := &toks[i]
		if t.kind == kBound {
			prev1, prev2 = hBOS, 0
			continue
		}
		if t.flags&fLineQuote != 0 {
			// A word on a quoted line: its own feature, in no n-gram.
			sc.addWord(mix(nsQuoteWord, t.h), v, "q:", t)
			prev1, prev2 = hBOS, 0
			continue
		}
		if t.flags&fNeg != 0 {
			sc.addWord(mix(nsNeg, t.h), v, "neg:", t)
		} else {
			sc.addWord(mix(nsUni, t.h), v, "w:", t)
		}
		if t.flags&fFinal != 0 {
			sc.addWord(mix(nsFinal, t.h), v, "final:", t)
		}
		if prev1 != 0 {
			sc.addWord(mix(mix(nsBi, prev1), t.h), v, "bi:_", t)
			if prev2 != 0 {
				sc.addWord(mix(mix(mix(nsTri, prev2), prev1), t.h), v, "tri:__", t)
			}
		}
		prev2, prev1 = prev1, t.h
	}
}

// addWord adds a word n-gram feature ending at token t.
func (sc *scratch) addWord(h uint64, v float32, prefix string, t *token) {
	sc.add(h, v)
	if sc.debug {
		sc.name("%s%s", prefix, sc.norm[t.s:t.e])
	}
}

// charFeatures adds the character 3-5-grams of the words of 3 bytes or
// more (3n-3 for a word of n bytes), each weighted scale/sqrt(their number).
func (sc *scratch) charFeatures(scale float32) {
	toks := sc.toks
	n := 0
	for i := range toks {
		if t := &toks[i]; t.kind == kWord && t.e-t.s >= 3 {
			n += 3*int(t.e-t.s) - 3
		}
	}
	v := groupValue(n, scale)
	for i := range toks {
		t := &toks[i]
		if t.kind == kWord && t.e-t.s >= 3 {
			sc.charGrams(sc.norm[t.s:t.e], v)
		}
	}
}

// cueFeatures adds the cue features: each cue that occurs (twice, negated,
// in the final clause, before it, in a sentence about the critics, in
// quotation marks) and the misc features built from the analysis.
func (sc *scratch) cueFeatures(st *textStats, cs float32) {
	for set := st.counted; set != 0; set &= set - 1 {
		c := cue(bits.TrailingZeros32(set))
		if c == cueQuestion {
			continue // only as question detection (mQStart)
		}
		if st.cnt[c] > 0 && c != cueHedge {
			sc.addCue(nsCue, c, cs, "cue:")
			if st.cnt[c] > 1 {
				sc.addCue(nsCueN2, c, cs, "cue2:")
			}
		}
		if c >= cueNegator {
			continue // position and negation variants only for semantic cues
		}
		if st.neg[c] > 0 {
			sc.addCue(nsCueNeg, c, cs, "cueneg:")
		}
		if st.final[c] > 0 {
			sc.addCue(nsCueFinal, c, cs, "cuefinal:")
		}
		if st.pre[c] > 0 {
			sc.addCue(nsCuePre, c, cs, "cuepre:")
		}
	}
	for _, c := range [...]cue{cueBlame, cueMotive, cueAttack} {
		if st.critWords[c] > 0 {
			sc.addCue(nsCueCritic, c, cs, "cuecritic:")
		}
	}
	for c := range cueNegator {
		if st.quoted[c] > 0 {
			sc.addCue(nsCueQuoted, c, cs, "cuequoted:")
		}
	}
	sc.miscFeatures(st, cs)
}

// addCue adds the feature of cue c in namespace ns.
func (sc *scratch) addCue(ns uint64, c cue, v float32, prefix string) {
	sc.add(mix(ns, uint64(c)), v)
	if sc.debug {
		sc.name("%s%s", prefix, cueNames[c])
	}
}

// miscFeatures adds the features that combine cues, sentences and token
// counts (the m* ids).
func (sc *scratch) miscFeatures(st *textStats, cs float32) {
	var anyCritic, criticAttack, criticNeg, attackPlain bool
	for _, s := range sc.sentInfo[:int(sc.sent)+1] {
		anyCritic = anyCritic || s.critic
		criticAttack = criticAttack || s.critic && s.attack
		criticNeg = criticNeg || s.critic && s.val < -0.5
		attackPlain = attackPlain || s.attack && !s.critic
	}
	var first *token // the first token that is not a sentence bound
	if st.firstContent >= 0 {
		first = &sc.toks[st.firstContent]
	}
	ref := st.nSubj + st.nPron + st.nYou
	sc.misc(mCriticDocAttack, cs, anyCritic && st.cnt[cueAttack]+st.critWords[cueAttack] > 0)
	sc.misc(mCriticDocNeg, cs, anyCritic && st.sAll < -1)
	sc.misc(mCriticAttack, cs, criticAttack)
	sc.misc(mCriticNeg, cs, criticNeg)
	sc.misc(mAttackPlain, cs, attackPlain)
	sc.misc(mSarcPos, cs, st.cnt[cueSarcasm] > 0 && (st.cnt[cuePraise] > 0 || st.sAll > 1))
	sc.misc(mSarcSubj, cs, st.cnt[cueSarcasm] > 0 && ref > 0)
	sc.misc(mCondolNeg, cs, st.cnt[cueCondolence] > 0 && st.sAll < 0)
	sc.misc(mPoliteContrast, cs, st.hasContrast && st.pre[cuePolite]+st.pre[cueHedge]+st.pre[cuePraise]+st.pre[cueCondolence] > 0)
	sc.misc(mQMark, cs, st.nQ > 0)
	sc.misc(mQStart, cs, first != nil && first.info != nil && first.info.cues&(1<<cueQuestion) != 0 && st.nQ > 0)
	sc.misc(mSubj0, cs, st.nSubj == 0)
	sc.misc(mSubj1, cs, st.nSubj == 1)
	sc.misc(mSubj2, cs, st.nSubj >= 2)
	sc.misc(mPron, cs, st.nPron > 0)
	sc.misc(mYou, cs, st.nYou > 0)
	sc.misc(mNoRef, cs, ref+st.nRole == 0)
	sc.misc(mRole, cs, st.nRole > 0)
	sc.misc(mURL, cs, st.nURL > 0)
	sc.misc(mUser, cs, st.nUser > 0)
	sc.misc(mHashtag, cs, sc.nHashtags > 0)
	sc.misc(mCaps, cs, st.nCaps > 0)
	sc.misc(mExcl, cs, st.nExcl > 0)
	sc.misc(mQuote, cs, st.nQuote > 0)
	sc.misc(mContrast, cs, st.hasContrast)
	sc.misc(mNegPraise, cs, st.neg[cuePraise] > 0)
	sc.misc(mNegBlame, cs, st.neg[cueBlame]+st.neg[cueMotive] > 0)
	sc.misc(mNegCondol, cs, st.neg[cueCondolence] > 0)
	sc.misc(mFinalRef, cs, st.hasContrast && st.refFinal)
	sc.misc(mFirstPerson, cs, st.nFirst > 0)
	sc.misc(mReply, cs, first != nil && first.kind == kUser)
	sc.misc(mQuoteLine, cs, sc.nQuoteLines > 0)
	sc.misc(mQuoteReply, cs, sc.nQuoteLines > 0 && st.nContent > 0)
	sc.misc(mHeadline, cs, st.nMid >= 3 && st.nTitleMid*10 >= st.nMid*6)
	sc.misc(mEmojiOnly, cs, st.nContent > 0 && st.nEmoji == st.nContent)
	sc.misc(mShort, cs, st.nContent > 0 && st.nContent <= 3)
	sc.misc(mLong, cs, st.nContent >= 40)
	sc.questionFeatures(cs)
}

// questionFeatures adds the features of the sentences that ask: a
// rhetorical question tends to carry evaluative words, a request for facts
// does not.
func (sc *scratch) questionFeatures(cs float32) {
	var qEval, qPlain, qCritic, qSubj bool
	asked, stated := 0, 0
	for _, s := range sc.sentInfo[:int(sc.sent)+1] {
		if !s.question {
			if s.content {
				stated++
			}
			continue
		}
		asked++
		evaluative := s.eval || s.val >= 1 || s.val <= -1
		qEval = qEval || evaluative
		qPlain = qPlain || !evaluative && !s.critic
		qCritic = qCritic || s.critic
		qSubj = qSubj || s.ref
	}
	sc.misc(mQuestionEval, cs, qEval)
	sc.misc(mQuestionPlain, cs, qPlain)
	sc.misc(mQuestionCritic, cs, qCritic)
	sc.misc(mQuestionSubj, cs, qSubj)
	sc.misc(mAllQuestions, cs, asked > 0 && stated == 0)
}

// sentimentFeatures adds the sentiment features: the compound score of the
// whole text and of its parts in five bins, and the compound scores of the
// text and of its final clause as values.
func (sc *scratch) sentimentFeatures(st *textStats, cs float32) {
	cAll, cFinal := compound(st.sAll), compound(st.sFinal)
	sc.addSentBin(1, cAll, cs)
	sc.addSentBin(2, cFinal, cs)
	sc.addSentBin(3, compound(st.sOther), cs)
	if st.sCritic != 0 {
		sc.addSentBin(4, compound(st.sCritic), cs)
	}
	if st.hasContrast {
		sc.addSentBin(5, compound(st.sPre), cs)
	}
	if st.negSubj != 0 {
		sc.addSentBin(6, compound(st.negSubj), cs)
	}
	if st.posSubj != 0 {
		sc.addSentBin(7, compound(st.posSubj), cs)
	}
	sc.add(mix(nsSentVal, 1), cs*cAll)
	if sc.debug {
		sc.name("sentval:all")
	}
	sc.add(mix(nsSentVal, 2), cs*cFinal)
	if sc.debug {
		sc.name("sentval:final")
	}
}

// addSentBin adds sentiment feature k for the compound score c, by bin.
func (sc *scratch) addSentBin(k uint64, c, v float32) {
	b := sentBin(c)
	sc.add(mix(mix(nsSentBin, k), b), v)
	if sc.debug {
		sc.name("sent%d:%d", k, b)
	}
}

// misc adds the misc feature id with value v if on.
func (sc *scratch) misc(id uint64, v float32, on bool) {
	if on {
		sc.addMisc(id, v)
	}
}

func (sc *scratch) addMisc(id uint64, v float32) {
	sc.add(mix(nsMisc, id), v)
	if sc.debug {
		sc.name("misc:%d", id)
	}
}

// matchPhrase reports whether toks[i+1:] starts with the phrase rest.
func matchPhrase(toks []token, i int, rest []uint64) bool {
	j := i + 1
	for _, h := range rest {
		if j >= len(toks) {
			return false
		}
		t := &toks[j]
		if h == refWildcard {
			if t.kind != kSubj && (t.info == nil || t.info.cues&(1<<cuePronoun|1<<cueYou) == 0) {
				return false
			}
		} else if t.h != h || t.kind == kBound {
			return false
		}
		j++
	}
	return true
}

// charGrams adds the character 3-, 4- and 5-grams of w with word boundaries,
// each with value v.
func (sc *scratch) charGrams(w []byte, v float32) {
	n := len(w) + 2
	at := func(i int) byte {
		if i == 0 || i == n-1 {
			return ' '
		}
		return w[i-1]
	}
	for i := 0; i+3 <= n; i++ {
		h := uint64(14695981039346656037)
		for k := 0; k < 5 && i+k < n; k++ {
			h ^= uint64(at(i + k))
			h *= 1099511628211
			if k >= 2 {
				sc.add(mix(nsChar, h), v)
			}
		}
	}
}

// groupValue is the value of each of the n features of a group weighted s:
// s/sqrt(n).
func groupValue(n int, s float32) float32 {
	if n == 0 {
		return 0
	}
	return s / float32(math.Sqrt(float64(n)))
}
