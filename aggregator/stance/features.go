package stance

import (
	"fmt"
	"math"
	"math/bits"
)

// featureVersion changes whenever feature extraction changes in a way that
// makes older models meaningless; Load rejects models of another version.
const featureVersion = 1

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
	weights   *packedWeights // the model's weights: score instead of collecting
	mask      uint64         // the model's bucket mask
	wtab      *wordTable     // the classifier's word cache for this text (scoring only)
	chars     bool           // the model has character n-grams (for cache entries)
	subjKey   string         // the subject of the last Classify call with this scratch
	subj      *subjectInfo   // and what was derived from it
	z         [3]float32
	pend      [64]pending // features not yet flushed
	npend     int
	sent      uint16
	nHashtags int
	extra     [32]wordInfo
	nExtra    int
	sentInfo  []sentStat
	hits      []hit
	ph        [maxPrefixHash + 1]uint64 // prefix hashes of the word being pushed
	noLex     bool                      // tokenising lexicon entries: no lookups
	debug     bool                      // record feature names (Explain only)
	names     []string
}

// hit is a token with cues (a phrase counts at its first token).
type hit struct {
	i    int
	bits uint32
}

// sentStat summarises one sentence.
type sentStat struct {
	critic, attack bool
	val            float32
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
)

func mix(h, x uint64) uint64 {
	h ^= x + 0x9E3779B97F4A7C15 + (h << 6) + (h >> 2)
	h *= 0xBF58476D1CE4E5B9
	h ^= h >> 31
	return h
}

// add adds feature h with value v. Features are buffered and flushed in
// batches: collected, or scored with the batch's weight loads independent of
// each other and the logits in registers.
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
	pw := sc.weights
	if pw == nil {
		for _, p := range ps {
			sc.feats = append(sc.feats, p.h)
			sc.vals = append(sc.vals, p.v)
		}
		return
	}
	z0, z1, z2 := sc.z[0], sc.z[1], sc.z[2]
	mask := sc.mask
	for _, p := range ps {
		b := p.h & mask
		ix := &pw.index[b/64]
		bit := uint64(1) << (b % 64)
		if ix.bits&bit == 0 {
			continue // all three weights are zero (see packedWeights)
		}
		w := &pw.w[int(ix.rank)+popcount(ix.bits&(bit-1))]
		// The conversions keep every product rounded on its own (no fused
		// multiply-add), as in Model.scores.
		z0 += float32(w[0] * p.v)
		z1 += float32(w[1] * p.v)
		z2 += float32(w[2] * p.v)
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

// extract analyses text and fills sc.feats/sc.vals, or sc.z when sc.w is set.
func (sc *scratch) extract(text string, subj *subjectInfo, fc *FeatureConfig) {
	sc.tokenize(text, subj)
	toks := sc.toks

	// Pass 1: phrases, negation scope, contrast.
	var cueCnt, cueNeg, cueFinal, cuePre [numCues]uint16
	lastContrast, firstContent := -1, -1
	negLeft := 0
	hits := sc.hits[:0] // cue bits per token, phrases at their first token
	inQuote := false
	for i := range toks {
		t := &toks[i]
		if t.kind == kBound {
			negLeft = 0
			continue
		}
		if firstContent < 0 {
			firstContent = i
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
		if negLeft > 0 && (t.kind == kWord || t.kind == kSubj || t.kind == kRole) {
			t.flags |= fNeg
			negLeft--
		}
		if bits&(1<<cueWeakContrast) != 0 && i > firstContent {
			// "Still, ..." or ", though ..." start a final clause; "..., though."
			// at a clause end makes that clause the final one.
			prev := &toks[i-1]
			if prev.kind == kBound || prev.flags&fCommaAfter != 0 {
				bits |= 1 << cueContrast
			} else if t.flags&fCommaAfter != 0 || i+1 == len(toks) || toks[i+1].kind == kBound || toks[i+1].kind == kPunct {
				j := i - 1
				for j > firstContent && toks[j].kind != kBound && toks[j].flags&fCommaAfter == 0 {
					j--
				}
				if j > firstContent {
					lastContrast = j
				}
			}
		}
		if bits&(1<<cueContrast) != 0 {
			negLeft = 0
			if firstContent >= 0 && i > firstContent {
				lastContrast = i
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
	hasContrast := lastContrast > 0
	if hasContrast {
		for i := lastContrast + 1; i < len(toks); i++ {
			toks[i].flags |= fFinal
		}
	}

	// Sentences.
	nSent := int(sc.sent) + 1
	for i := 0; i < nSent; i++ {
		sc.sentInfo = append(sc.sentInfo, sentStat{})
	}

	// Pass 2: cue counts and sentiment.
	var sAll, sFinal, sPre float32
	var nSubj, nPron, nYou, nRole, nURL, nUser, nCaps, nExcl, nQuote, nQ, nFirst int
	var refFinal bool
	var posSubjSent, negSubjSent float32
	// Which sentences talk about the subject's critics.
	for _, h := range hits {
		if h.bits&(1<<cueCritic) != 0 {
			sc.sentInfo[toks[h.i].sent].critic = true
		}
	}
	var counted uint32            // the cues with a count in cueCnt, cueNeg, cueFinal or cuePre
	var critWords [numCues]uint16 // blame/motive/attack words inside critic sentences
	var quoted [numCues]uint16    // cue words inside quotation marks
	for _, h := range hits {
		t := &toks[h.i]
		inCritic := sc.sentInfo[t.sent].critic
		for set := h.bits; set != 0; set &= set - 1 {
			c := cue(bits.TrailingZeros32(set))
			if t.flags&fQuoted != 0 && (c == cuePraise || c == cueCondolence || c == cueBlame || c == cueMotive) {
				// "real" and "relatable": scare quotes; "attention seeker": a
				// quoted accusation. Either way not the writer's own words.
				quoted[c]++
				continue
			}
			if inCritic && (c == cueBlame || c == cueMotive || c == cueAttack) {
				// "everyone calling her a quitter": the critics' words, or
				// words aimed at the critics; not blame of the subject.
				critWords[c]++
				continue
			}
			counted |= 1 << c
			if t.flags&fNeg != 0 {
				cueNeg[c]++
			} else {
				cueCnt[c]++
			}
			if hasContrast {
				if t.flags&fFinal != 0 {
					cueFinal[c]++
				} else if h.i < lastContrast {
					cuePre[c]++
				}
			}
		}
		st := &sc.sentInfo[t.sent]
		if h.bits&(1<<cueAttack) != 0 && t.flags&fNeg == 0 {
			st.attack = true
		}
	}
	for i := range toks {
		t := &toks[i]
		switch t.kind {
		case kBound:
			continue
		case kSubj:
			nSubj++
			if t.flags&fFinal != 0 {
				refFinal = true
			}
		case kRole:
			nRole++
		case kURL:
			nURL++
		case kUser:
			nUser++
		case kPunct:
			switch sc.norm[t.s] {
			case '?':
				nQ++
			case '!':
				nExcl++
			case '"':
				nQuote++
			}
		}
		if t.flags&fCaps != 0 && t.e-t.s >= 3 {
			nCaps++
		}
		if t.info == nil {
			continue
		}
		if t.info.cues&(1<<cuePronoun) != 0 {
			nPron++
			if t.flags&fFinal != 0 {
				refFinal = true
			}
		}
		if t.info.cues&(1<<cueYou) != 0 {
			nYou++
			if t.flags&fFinal != 0 {
				refFinal = true
			}
		}
		if w := sc.norm[t.s:t.e]; len(w) <= 2 && (string(w) == "i" || string(w) == "my" || string(w) == "me") {
			nFirst++
		}
		v := t.info.val
		if v == 0 {
			continue
		}
		if t.flags&fNeg != 0 {
			v *= -0.74
		}
		if i > 0 && toks[i-1].info != nil && toks[i-1].info.cues&(1<<cueBooster) != 0 {
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
		sAll += v
		if hasContrast {
			if t.flags&fFinal != 0 {
				sFinal += v
			} else {
				sPre += v
			}
		}
		sc.sentInfo[t.sent].val += v
	}
	if !hasContrast {
		sFinal = sAll
	}
	var sCritic, sOther float32
	for _, st := range sc.sentInfo[:nSent] {
		if st.critic {
			sCritic += st.val
		} else {
			sOther += st.val
		}
	}
	// Sentences that mention the subject (once each): their own sentiment.
	lastSent := -1
	for i := range toks {
		t := &toks[i]
		if int(t.sent) == lastSent {
			continue
		}
		if t.kind == kSubj || (t.info != nil && t.info.cues&(1<<cuePronoun|1<<cueYou) != 0) {
			lastSent = int(t.sent)
			st := sc.sentInfo[t.sent]
			if !st.critic {
				if st.val < 0 {
					negSubjSent += st.val
				} else {
					posSubjSent += st.val
				}
			}
		}
	}

	// Emit features.
	sc.add(mix(nsBias, 0), 1)
	if sc.debug {
		sc.name("bias")
	}
	if fc.Words {
		// The n-grams are weighted by 1/sqrt(their number): count them first.
		n := 0
		prev1, prev2 := hBOS, uint64(0)
		for i := range toks {
			t := &toks[i]
			if t.kind == kBound {
				prev1, prev2 = hBOS, 0
				continue
			}
			n++
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
		v := groupValue(n, fc.WordScale)
		prev1, prev2 = hBOS, 0
		for i := range toks {
			t := &toks[i]
			if t.kind == kBound {
				prev1, prev2 = hBOS, 0
				continue
			}
			if t.flags&fNeg != 0 {
				sc.add(mix(nsNeg, t.h), v)
				if sc.debug {
					sc.name("neg:%s", sc.norm[t.s:t.e])
				}
			} else {
				sc.add(mix(nsUni, t.h), v)
				if sc.debug {
					sc.name("w:%s", sc.norm[t.s:t.e])
				}
			}
			if t.flags&fFinal != 0 {
				sc.add(mix(nsFinal, t.h), v)
				if sc.debug {
					sc.name("final:%s", sc.norm[t.s:t.e])
				}
			}
			if prev1 != 0 {
				sc.add(mix(mix(nsBi, prev1), t.h), v)
				if sc.debug {
					sc.name("bi:_%s", sc.norm[t.s:t.e])
				}
				if prev2 != 0 {
					sc.add(mix(mix(mix(nsTri, prev2), prev1), t.h), v)
					if sc.debug {
						sc.name("tri:__%s", sc.norm[t.s:t.e])
					}
				}
			}
			prev2, prev1 = prev1, t.h
		}
	}
	if fc.Chars {
		// A word of n >= 3 bytes has 3n-3 character 3-5-grams.
		n := 0
		for i := range toks {
			if t := &toks[i]; t.kind == kWord && t.e-t.s >= 3 {
				n += 3*int(t.e-t.s) - 3
			}
		}
		v := groupValue(n, fc.CharScale)
		for i := range toks {
			t := &toks[i]
			if t.kind != kWord || t.e-t.s < 3 {
				continue
			}
			if t.gramLen != 0 {
				sc.addGrams(sc.wtab.arena[t.gramOff:t.gramOff+uint32(t.gramLen)], v)
				continue
			}
			sc.charGrams(sc.norm[t.s:t.e], v)
		}
	}
	cs := fc.CueScale
	if fc.Cues {
		for set := counted; set != 0; set &= set - 1 { // the other cues add nothing
			c := cue(bits.TrailingZeros32(set))
			if c == cueQuestion {
				continue // only as question detection (mQStart)
			}
			if cueCnt[c] > 0 && c != cueHedge {
				sc.add(mix(nsCue, uint64(c)), cs)
				if sc.debug {
					sc.name("cue:%s", cueNames[c])
				}
				if cueCnt[c] > 1 {
					sc.add(mix(nsCueN2, uint64(c)), cs)
					if sc.debug {
						sc.name("cue2:%s", cueNames[c])
					}
				}
			}
			if c >= cueNegator {
				continue // position and negation variants only for semantic cues
			}
			if cueNeg[c] > 0 {
				sc.add(mix(nsCueNeg, uint64(c)), cs)
				if sc.debug {
					sc.name("cueneg:%s", cueNames[c])
				}
			}
			if cueFinal[c] > 0 {
				sc.add(mix(nsCueFinal, uint64(c)), cs)
				if sc.debug {
					sc.name("cuefinal:%s", cueNames[c])
				}
			}
			if cuePre[c] > 0 {
				sc.add(mix(nsCuePre, uint64(c)), cs)
				if sc.debug {
					sc.name("cuepre:%s", cueNames[c])
				}
			}
		}
		for _, c := range [...]cue{cueBlame, cueMotive, cueAttack} {
			if critWords[c] > 0 {
				sc.add(mix(nsCueCritic, uint64(c)), cs)
				if sc.debug {
					sc.name("cuecritic:%s", cueNames[c])
				}
			}
		}
		for _, c := range [...]cue{cuePraise, cueCondolence, cueBlame, cueMotive} {
			if quoted[c] > 0 {
				sc.add(mix(nsCueQuoted, uint64(c)), cs)
				if sc.debug {
					sc.name("cuequoted:%s", cueNames[c])
				}
			}
		}
		anyCritic := false
		for _, st := range sc.sentInfo[:nSent] {
			anyCritic = anyCritic || st.critic
		}
		sc.misc(mCriticDocAttack, cs, anyCritic && cueCnt[cueAttack]+critWords[cueAttack] > 0)
		sc.misc(mCriticDocNeg, cs, anyCritic && sAll < -1)
		criticAttack, criticNeg, attackPlain := false, false, false
		for _, st := range sc.sentInfo[:nSent] {
			if st.critic && st.attack {
				criticAttack = true
			}
			if st.critic && st.val < -0.5 {
				criticNeg = true
			}
			if st.attack && !st.critic {
				attackPlain = true
			}
		}
		sc.misc(mCriticAttack, cs, criticAttack)
		sc.misc(mCriticNeg, cs, criticNeg)
		sc.misc(mAttackPlain, cs, attackPlain)
		sc.misc(mSarcPos, cs, cueCnt[cueSarcasm] > 0 && (cueCnt[cuePraise] > 0 || sAll > 1))
		sc.misc(mSarcSubj, cs, cueCnt[cueSarcasm] > 0 && nSubj+nPron+nYou > 0)
		sc.misc(mCondolNeg, cs, cueCnt[cueCondolence] > 0 && sAll < 0)
		sc.misc(mPoliteContrast, cs, hasContrast && cuePre[cuePolite]+cuePre[cueHedge]+cuePre[cuePraise]+cuePre[cueCondolence] > 0)
		sc.misc(mQMark, cs, nQ > 0)
		sc.misc(mQStart, cs, firstContent >= 0 && toks[firstContent].info != nil && toks[firstContent].info.cues&(1<<cueQuestion) != 0 && nQ > 0)
		sc.misc(mSubj0, cs, nSubj == 0)
		sc.misc(mSubj1, cs, nSubj == 1)
		sc.misc(mSubj2, cs, nSubj >= 2)
		sc.misc(mPron, cs, nPron > 0)
		sc.misc(mYou, cs, nYou > 0)
		sc.misc(mNoRef, cs, nSubj+nPron+nYou+nRole == 0)
		sc.misc(mRole, cs, nRole > 0)
		sc.misc(mURL, cs, nURL > 0)
		sc.misc(mUser, cs, nUser > 0)
		sc.misc(mHashtag, cs, sc.nHashtags > 0)
		sc.misc(mCaps, cs, nCaps > 0)
		sc.misc(mExcl, cs, nExcl > 0)
		sc.misc(mQuote, cs, nQuote > 0)
		sc.misc(mContrast, cs, hasContrast)
		sc.misc(mNegPraise, cs, cueNeg[cuePraise] > 0)
		sc.misc(mNegBlame, cs, cueNeg[cueBlame]+cueNeg[cueMotive] > 0)
		sc.misc(mNegCondol, cs, cueNeg[cueCondolence] > 0)
		sc.misc(mFinalRef, cs, hasContrast && refFinal)
		sc.misc(mFirstPerson, cs, nFirst > 0)
		sc.misc(mReply, cs, firstContent >= 0 && toks[firstContent].kind == kUser)
	}
	if fc.Sentiment {
		cAll, cFinal := compound(sAll), compound(sFinal)
		sc.add(mix(mix(nsSentBin, 1), sentBin(cAll)), cs)
		if sc.debug {
			sc.name("sent1:%d", sentBin(cAll))
		}
		sc.add(mix(mix(nsSentBin, 2), sentBin(cFinal)), cs)
		if sc.debug {
			sc.name("sent2:%d", sentBin(cFinal))
		}
		sc.add(mix(mix(nsSentBin, 3), sentBin(compound(sOther))), cs)
		if sc.debug {
			sc.name("sent3:%d", sentBin(compound(sOther)))
		}
		if sCritic != 0 {
			sc.add(mix(mix(nsSentBin, 4), sentBin(compound(sCritic))), cs)
			if sc.debug {
				sc.name("sent4:%d", sentBin(compound(sCritic)))
			}
		}
		if hasContrast {
			sc.add(mix(mix(nsSentBin, 5), sentBin(compound(sPre))), cs)
			if sc.debug {
				sc.name("sent5:%d", sentBin(compound(sPre)))
			}
		}
		if negSubjSent != 0 {
			sc.add(mix(mix(nsSentBin, 6), sentBin(compound(negSubjSent))), cs)
			if sc.debug {
				sc.name("sent6:%d", sentBin(compound(negSubjSent)))
			}
		}
		if posSubjSent != 0 {
			sc.add(mix(mix(nsSentBin, 7), sentBin(compound(posSubjSent))), cs)
			if sc.debug {
				sc.name("sent7:%d", sentBin(compound(posSubjSent)))
			}
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
	sc.flush()
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
	sc.eachCharGram(w, func(g uint64) { sc.add(g, v) })
}

// eachCharGram calls f with the feature hash of each character 3-, 4- and
// 5-gram of w with word boundaries, in order.
func (sc *scratch) eachCharGram(w []byte, f func(uint64)) {
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
				f(mix(nsChar, h))
			}
		}
	}
}

// addGrams adds the character n-grams of a cached word with value v: the
// same sum as charGrams, from its contiguous weights (wordTable.arena).
func (sc *scratch) addGrams(w [][3]float32, v float32) {
	if sc.npend > 0 {
		sc.flush()
	}
	z0, z1, z2 := sc.z[0], sc.z[1], sc.z[2]
	for i := range w {
		z0 += float32(w[i][0] * v)
		z1 += float32(w[i][1] * v)
		z2 += float32(w[i][2] * v)
	}
	sc.z = [3]float32{z0, z1, z2}
}

// popcount is bits.OnesCount64.
func popcount(x uint64) int { return bits.OnesCount64(x) }

// groupValue is the value of each of the n features of a group weighted s:
// s/sqrt(n).
func groupValue(n int, s float32) float32 {
	if n == 0 {
		return 0
	}
	return s / float32(math.Sqrt(float64(n)))
}
