package study

import (
	"bufio"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/reactions-research/reactions/coding"
	"github.com/reactions-research/reactions/reaction"
	"github.com/reactions-research/reactions/store"
)

// CSVColumns are the columns of a coding sheet, in order. The classifier's
// label and score are never among them: coding is blind.
var CSVColumns = []string{"id", "platform", "created_at", "url", "text", "code"}

// bom is the UTF-8 byte-order mark Excel needs to read UTF-8.
const bom = "\uFEFF"

// WriteCSV writes a coding sheet: one row per item in presentation order,
// with the reaction's id, platform, created_at (UTC, RFC 3339), url and
// text, and an empty code for the coder to fill. It is RFC 4180 with CRLF
// and a UTF-8 byte-order mark, so Excel opens it as UTF-8, and it is safe
// to open in a spreadsheet: a cell that would start a formula (=, +, -, @,
// tab, carriage return) is written with a leading apostrophe, which Excel
// and LibreOffice take as "text". Items whose reaction is no longer stored
// are written with an empty text, and counted in the returned number.
func WriteCSV(w io.Writer, items []store.SampleItem, rs map[string]reaction.Reaction) (missing int, err error) {
	bw := bufio.NewWriter(w)
	if _, err := bw.WriteString(bom); err != nil {
		return 0, err
	}
	cw := csv.NewWriter(bw)
	cw.UseCRLF = true
	if err := cw.Write(CSVColumns); err != nil {
		return 0, err
	}
	row := make([]string, len(CSVColumns))
	for _, it := range items {
		r, ok := rs[it.ID]
		if !ok {
			missing++
		}
		created := ""
		if !r.CreatedAt.IsZero() {
			created = r.CreatedAt.UTC().Format(time.RFC3339)
		}
		// ids are platform-prefixed ("reddit:…") and never start a formula;
		// they are written as they are so that the import finds them.
		row[0], row[1], row[2], row[3], row[4], row[5] = it.ID, string(r.Platform), created, SafeCell(r.URL), SafeCell(r.Text), ""
		if err := cw.Write(row); err != nil {
			return missing, err
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return missing, err
	}
	return missing, bw.Flush()
}

// SafeCell defuses a cell a spreadsheet would read as a formula (CSV
// injection: OWASP's advice) by prefixing an apostrophe.
func SafeCell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// ImportedCode is one code read from a file.
type ImportedCode struct {
	// Line is the file's line the code is on (the header is line 1).
	Line int
	ID   string
	Code reaction.Stance
}

// LineError is a problem on one line of an imported file.
type LineError struct {
	Line int
	Msg  string
}

func (e *LineError) Error() string { return fmt.Sprintf("line %d: %s", e.Line, e.Msg) }

// ImportErrors lists every bad line of an imported file; nothing was
// stored.
type ImportErrors []*LineError

// maxListed bounds the lines an ImportErrors message lists.
const maxListed = 20

func (es ImportErrors) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d bad line", len(es))
	if len(es) > 1 {
		b.WriteString("s")
	}
	b.WriteString(", nothing was stored:")
	for i, e := range es {
		if i == maxListed {
			fmt.Fprintf(&b, "\n  … and %d more", len(es)-maxListed)
			break
		}
		b.WriteString("\n  " + e.Error())
	}
	return b.String()
}

// ReadCodes reads codes from CSV with a header row naming at least the
// columns id and code (any case and order; other columns are ignored, a
// UTF-8 byte-order mark is skipped). A code is support, criticism, neutral
// or unclear, or 1, 2, 3 or 0 (coding.ParseCode); a row with an empty code
// is not coded yet and is skipped (the second result counts them). known,
// when not nil, says whether an id may be coded. Every bad line is
// reported, not only the first: the error is then ImportErrors.
func ReadCodes(r io.Reader, known func(id string) bool) ([]ImportedCode, int, error) {
	codes, skipped, bad, err := readCodes(r)
	if err != nil {
		return nil, 0, err
	}
	if known != nil {
		for _, c := range codes {
			if !known(c.ID) {
				bad = append(bad, unknownID(c, ""))
			}
		}
	}
	if len(bad) > 0 {
		bad.sort()
		return nil, 0, bad
	}
	return codes, skipped, nil
}

func unknownID(c ImportedCode, story string) *LineError {
	msg := fmt.Sprintf("unknown id %q: not a reaction of this story", truncate(c.ID, 120))
	if story != "" {
		msg = fmt.Sprintf("unknown id %q: not a reaction of story %s", truncate(c.ID, 120), story)
	}
	return &LineError{c.Line, msg}
}

func (es ImportErrors) sort() {
	slices.SortStableFunc(es, func(a, b *LineError) int { return a.Line - b.Line })
}

// readCodes returns the good lines, the number skipped and the bad lines;
// err is a problem that stops the reading (no header).
func readCodes(r io.Reader) (out []ImportedCode, skipped int, bad ImportErrors, err error) {
	br := bufio.NewReader(r)
	if b, err := br.Peek(3); err == nil && string(b) == bom {
		br.Discard(3)
	}
	cr := csv.NewReader(br)
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, 0, nil, errors.New("the file is empty: want a header row with the columns id and code")
	}
	if err != nil {
		return nil, 0, nil, fmt.Errorf("line 1: %w", err)
	}
	header = slices.Clone(header)
	idCol, codeCol := -1, -1
	for i, h := range header {
		switch strings.ToLower(strings.TrimSpace(h)) {
		case "id":
			idCol = i
		case "code":
			codeCol = i
		}
	}
	if idCol < 0 || codeCol < 0 {
		return nil, 0, nil, fmt.Errorf("line 1: the header %q has no %s column: want the columns id and code (others are ignored)",
			strings.Join(header, ","), map[bool]string{true: "id", false: "code"}[idCol < 0])
	}
	first := map[string]int{}
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if !errors.As(err, &pe) {
				return nil, 0, nil, err
			}
			bad = append(bad, &LineError{pe.Line, pe.Err.Error()})
			if errors.Is(pe.Err, csv.ErrQuote) || errors.Is(pe.Err, csv.ErrBareQuote) {
				// The rest of the file cannot be read reliably.
				return out, skipped, bad, nil
			}
			continue
		}
		line, _ := cr.FieldPos(0)
		if idCol >= len(rec) || codeCol >= len(rec) {
			if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
				continue // a blank line
			}
			bad = append(bad, &LineError{line, fmt.Sprintf("%d columns, the header has %d", len(rec), len(header))})
			continue
		}
		id, raw := strings.TrimSpace(rec[idCol]), strings.TrimSpace(rec[codeCol])
		switch {
		case id == "" && raw == "":
			continue
		case id == "":
			bad = append(bad, &LineError{line, "empty id"})
			continue
		case raw == "":
			skipped++
			continue
		}
		code, err := coding.ParseCode(raw)
		if err != nil {
			bad = append(bad, &LineError{line, fmt.Sprintf("id %s: %v", truncate(id, 120), err)})
			continue
		}
		if l, ok := first[id]; ok {
			bad = append(bad, &LineError{line, fmt.Sprintf("id %s is coded again (first on line %d): give each reaction one code", truncate(id, 120), l)})
			continue
		}
		first[id] = line
		out = append(out, ImportedCode{Line: line, ID: id, Code: code})
	}
	return out, skipped, bad, nil
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}

// ImportResult says what an import stored.
type ImportResult struct {
	// Stored is the number of codes written, Unchanged those equal to the
	// coder's current code (not written again), Skipped the rows without a
	// code, NotSampled the codes of reactions in no sample (they count for
	// agreement only).
	Stored, Unchanged, Skipped, NotSampled int
}

// Import reads codes from r (ReadCodes) and stores them as coder's, all
// in one INSERT: when any line is bad, nothing is stored and the error
// lists every bad line. An id must be a stored reaction of the story. Each
// code is recorded with the (latest) sample holding its reaction.
func Import(ctx context.Context, st *store.Store, story, coder, source string, r io.Reader) (*ImportResult, error) {
	if strings.TrimSpace(coder) == "" {
		return nil, errors.New("a coder name is required")
	}
	samples, err := st.Samples(ctx, story)
	if err != nil {
		return nil, err
	}
	sampleOf := map[string]string{}
	for _, s := range samples { // oldest first: the latest sample wins
		items, err := st.SampleItems(ctx, story, s.Name)
		if err != nil {
			return nil, err
		}
		for _, it := range items {
			sampleOf[it.ID] = s.Name
		}
	}
	codes, skipped, bad, err := readCodes(r)
	if err != nil {
		return nil, err
	}
	// Ids outside every sample must be stored reactions of the story.
	var outside []string
	for _, c := range codes {
		if _, ok := sampleOf[c.ID]; !ok {
			outside = append(outside, c.ID)
		}
	}
	stored := map[string]bool{}
	if len(outside) > 0 {
		rs, err := st.ReactionsByID(ctx, story, outside)
		if err != nil {
			return nil, err
		}
		for id := range rs {
			stored[id] = true
		}
	}
	for _, c := range codes {
		if _, ok := sampleOf[c.ID]; !ok && !stored[c.ID] {
			bad = append(bad, unknownID(c, story))
		}
	}
	if len(bad) > 0 {
		bad.sort()
		return nil, bad
	}
	latest, err := st.LatestCodings(ctx, story)
	if err != nil {
		return nil, err
	}
	current := map[string]reaction.Stance{}
	for _, c := range latest {
		if !c.Adjudication && c.Coder == coder {
			current[c.ID] = c.Code
		}
	}
	res := &ImportResult{Skipped: skipped}
	var out []store.Coding
	for _, c := range codes {
		if current[c.ID] == c.Code {
			res.Unchanged++
			continue
		}
		if _, ok := sampleOf[c.ID]; !ok {
			res.NotSampled++
		}
		out = append(out, store.Coding{Story: story, Sample: sampleOf[c.ID], ID: c.ID, Coder: coder, Code: c.Code, Source: source})
	}
	if err := st.WriteCodings(ctx, out); err != nil {
		return nil, err
	}
	res.Stored = len(out)
	return res, nil
}
