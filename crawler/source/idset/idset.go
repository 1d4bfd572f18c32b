// Package idset writes sets of numeric ids (or 64-bit hashes) compactly for
// an adapter's source.State: sorted, the first in base 36, then the
// differences, comma-separated ("2di,1,3" for 3078, 3079, 3082). A set of
// thousands of close ids stays a few bytes per id.
package idset

import (
	"slices"
	"strconv"
	"strings"
)

// ID is what a set holds: ids (int64, non-negative) or hashes (uint64).
type ID interface{ int64 | uint64 }

// Encode writes set in the compact form; the empty set is "".
func Encode[T ID](set map[T]bool) string {
	ids := make([]T, 0, len(set))
	for id := range set {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	var b strings.Builder
	var prev T
	for i, id := range ids {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(format(id - prev))
		prev = id
	}
	return b.String()
}

// Decode reads Encode's form. A damaged value reads as far as it is valid:
// the ids after the damage are simply missing (so fetched or sent again),
// never invented.
func Decode[T ID](s string) map[T]bool {
	set := map[T]bool{}
	if s == "" {
		return set
	}
	var prev T
	for _, f := range strings.Split(s, ",") {
		d, ok := parse[T](f)
		if !ok {
			break
		}
		prev += d
		set[prev] = true
	}
	return set
}

func format[T ID](d T) string {
	var zero T
	if _, signed := any(zero).(int64); signed {
		return strconv.FormatInt(int64(d), 36)
	}
	return strconv.FormatUint(uint64(d), 36)
}

// parse reads one base-36 difference; a negative one is damage.
func parse[T ID](f string) (T, bool) {
	var zero T
	if _, signed := any(zero).(int64); signed {
		d, err := strconv.ParseInt(f, 36, 64)
		return T(d), err == nil && d >= 0
	}
	d, err := strconv.ParseUint(f, 36, 64)
	return T(d), err == nil
}
