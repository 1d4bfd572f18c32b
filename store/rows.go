package store

import (
	"fmt"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/reactions-research/reactions/reaction"
)

// rowBuffer collects rows for one INSERT into reactions column by column,
// in the order of reactionColumns, so that the batch takes each column as
// one typed slice: appending row by row boxes twenty-two values per row into
// interfaces, which cost more than the rest of a write.
type rowBuffer struct {
	story, platform, id, parentID, rootID, relation []string
	isRoot                                          []uint8
	url                                             []string
	createdAt, firstSeen                            []time.Time
	author, contentWarning, text, lang              []string
	likes, replies                                  []int64
	deleted                                         []uint8
	stance                                          []string
	score                                           []float64
	classifier                                      []string
	digest, version                                 []uint64
	sign                                            []int8
}

// newRowBuffer returns a buffer with room for n rows.
func newRowBuffer(n int) *rowBuffer {
	return &rowBuffer{
		story: make([]string, 0, n), platform: make([]string, 0, n), id: make([]string, 0, n),
		parentID: make([]string, 0, n), rootID: make([]string, 0, n), relation: make([]string, 0, n), isRoot: make([]uint8, 0, n), url: make([]string, 0, n),
		createdAt: make([]time.Time, 0, n), firstSeen: make([]time.Time, 0, n), author: make([]string, 0, n),
		contentWarning: make([]string, 0, n), text: make([]string, 0, n), lang: make([]string, 0, n),
		likes: make([]int64, 0, n), replies: make([]int64, 0, n), deleted: make([]uint8, 0, n),
		stance: make([]string, 0, n), score: make([]float64, 0, n), classifier: make([]string, 0, n),
		digest: make([]uint64, 0, n), version: make([]uint64, 0, n), sign: make([]int8, 0, n),
	}
}

// add appends one row: the state r with its digest, version and sign.
func (b *rowBuffer) add(r *reaction.Reaction, digest, version uint64, sign int8) {
	var deleted, isRoot uint8
	if r.Deleted {
		deleted = 1
	}
	if r.IsRoot {
		isRoot = 1
	}
	b.story = append(b.story, r.Story)
	b.platform = append(b.platform, string(r.Platform))
	b.id = append(b.id, r.ID)
	b.parentID = append(b.parentID, r.ParentID)
	b.rootID = append(b.rootID, r.RootID)
	b.relation = append(b.relation, r.Relation)
	b.isRoot = append(b.isRoot, isRoot)
	b.url = append(b.url, r.URL)
	b.createdAt = append(b.createdAt, r.CreatedAt)
	b.firstSeen = append(b.firstSeen, r.FirstSeen)
	b.author = append(b.author, r.Author)
	b.contentWarning = append(b.contentWarning, r.ContentWarning)
	b.text = append(b.text, r.Text)
	b.lang = append(b.lang, r.Lang)
	b.likes = append(b.likes, r.Likes)
	b.replies = append(b.replies, r.Replies)
	b.deleted = append(b.deleted, deleted)
	b.stance = append(b.stance, string(r.Stance))
	b.score = append(b.score, r.StanceScore)
	b.classifier = append(b.classifier, r.Classifier)
	b.digest = append(b.digest, digest)
	b.version = append(b.version, version)
	b.sign = append(b.sign, sign)
}

// len returns the number of rows collected.
func (b *rowBuffer) len() int { return len(b.id) }

// appendTo hands the collected columns to a batch prepared with
// reactionColumns.
func (b *rowBuffer) appendTo(batch driver.Batch) error {
	cols := []any{b.story, b.platform, b.id, b.parentID, b.rootID, b.relation, b.isRoot, b.url, b.createdAt, b.firstSeen,
		b.author, b.contentWarning, b.text, b.lang, b.likes, b.replies, b.deleted, b.stance, b.score, b.classifier,
		b.digest, b.version, b.sign}
	for i, c := range cols {
		if err := batch.Column(i).Append(c); err != nil {
			return fmt.Errorf("append %d rows to column %d of reactions: %w", b.len(), i, err)
		}
	}
	return nil
}

// appendStatesTo hands the +1 rows collected (the states written) to a
// batch prepared with historyColumns, observed_at from the version (the
// writer's clock in nanoseconds), and returns how many.
func (b *rowBuffer) appendStatesTo(batch driver.Batch) (int, error) {
	var keep []int
	for i, s := range b.sign {
		if s == 1 {
			keep = append(keep, i)
		}
	}
	observed := make([]time.Time, len(keep))
	for j, i := range keep {
		observed[j] = time.Unix(int64(b.version[i]/1e9), 0).UTC()
	}
	cols := []any{pick(b.story, keep), pick(b.platform, keep), pick(b.id, keep), pick(b.parentID, keep), pick(b.rootID, keep),
		pick(b.relation, keep), pick(b.isRoot, keep), pick(b.url, keep), pick(b.createdAt, keep), pick(b.firstSeen, keep),
		pick(b.author, keep), pick(b.contentWarning, keep), pick(b.text, keep), pick(b.lang, keep), pick(b.likes, keep),
		pick(b.replies, keep), pick(b.deleted, keep), pick(b.stance, keep), pick(b.score, keep), pick(b.classifier, keep),
		pick(b.digest, keep), pick(b.version, keep), observed}
	for c, col := range cols {
		if err := batch.Column(c).Append(col); err != nil {
			return 0, fmt.Errorf("append %d states to column %d of reaction_history: %w", len(keep), c, err)
		}
	}
	return len(keep), nil
}

// pick returns the elements of col at the indexes keep.
func pick[T any](col []T, keep []int) []T {
	out := make([]T, len(keep))
	for j, i := range keep {
		out[j] = col[i]
	}
	return out
}
