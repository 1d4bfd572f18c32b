package coding

import (
	"fmt"
	"math/rand/v2"
	"strings"

	"github.com/reactions-research/reactions/reaction"
)

// Unclear is the code a coder gives when no stance can be judged (key 0).
// It is not a stance: agreement, validation and correction treat it as a
// missing value.
const Unclear reaction.Stance = "unclear"

// ParseCode reads a code as coders and spreadsheets write it: support,
// criticism, neutral or unclear (any case), or 1, 2, 3 or 0.
func ParseCode(s string) (reaction.Stance, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "support", "1":
		return reaction.Support, nil
	case "criticism", "2":
		return reaction.Criticism, nil
	case "neutral", "3":
		return reaction.Neutral, nil
	case "unclear", "0":
		return Unclear, nil
	}
	return "", fmt.Errorf("unknown code %q: want support, criticism, neutral, unclear or 1, 2, 3, 0", s)
}

// nClass is the number of stances; class indices follow reaction.Stances
// (support 0, criticism 1, neutral 2).
const nClass = 3

const (
	iSupport   = 0
	iCriticism = 1
	iNeutral   = 2
)

// class returns the index of a stance, or -1 for anything else (unclear,
// unlabelled), which every statistic treats as missing.
func class(s reaction.Stance) int {
	switch s {
	case reaction.Support:
		return iSupport
	case reaction.Criticism:
		return iCriticism
	case reaction.Neutral:
		return iNeutral
	}
	return -1
}

// Counts are reactions by predicted stance, in one bucket or a whole story.
type Counts struct {
	Support   int64 `json:"support"`
	Criticism int64 `json:"criticism"`
	Neutral   int64 `json:"neutral"`
}

func (c Counts) total() int64 { return c.Support + c.Criticism + c.Neutral }

func (c Counts) floats() [nClass]float64 {
	return [nClass]float64{float64(c.Support), float64(c.Criticism), float64(c.Neutral)}
}

// DefaultMinBucket is MinBucket's default: a share from fewer than 10
// support and criticism reactions is not shown, raw or corrected (its 95 %
// interval would span more than half the scale).
const DefaultMinBucket = 10

// Options tune the intervals and the small-bucket rule. The zero value
// gives the defaults.
type Options struct {
	// Replicates is the number of bootstrap replicates behind every
	// interval but the buckets'. Default 1000.
	Replicates int
	// BucketReplicates is the number of those replicates behind each
	// bucket's interval in a series, fewer so that a year of hourly
	// buckets stays cheap (a bucket costs about BucketReplicates × 50–100
	// ns).
	// From one seed to another the endpoints then move by about 5 % of
	// the interval's width (3 % with 1000). Default 400; at most
	// Replicates.
	BucketReplicates int
	// Seed seeds every random draw, so the same codes give the same
	// intervals. Default 0 (a valid seed).
	Seed uint64
	// MinBucket is the fewest predicted support + criticism reactions a
	// bucket needs to show a criticism share, raw or corrected. Default
	// DefaultMinBucket; at least 1.
	MinBucket int
}

func (o Options) withDefaults() Options {
	if o.Replicates <= 0 {
		o.Replicates = 1000
	}
	if o.BucketReplicates <= 0 {
		o.BucketReplicates = 400
	}
	if o.MinBucket <= 0 {
		o.MinBucket = DefaultMinBucket
	}
	return o
}

// Enough reports whether a bucket with these predicted counts is large
// enough to show a criticism share (support + criticism ≥ MinBucket). The
// same rule holds with and without codes, so a chart never shows a point
// for one and not the other.
func (o Options) Enough(c Counts) bool {
	return c.Support+c.Criticism >= int64(o.withDefaults().MinBucket)
}

// The random streams of the package, one per purpose, so that changing one
// computation leaves the draws of the others as they were.
const (
	streamRounding uint64 = iota + 0x636f64696e67 // "coding"
	streamAlpha
	streamValidate
	streamPosterior
)

func newRand(seed, stream uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, stream)) }
