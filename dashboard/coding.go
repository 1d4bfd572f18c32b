package dashboard

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/reactions-research/reactions/coding"
	"github.com/reactions-research/reactions/coding/study"
	"github.com/reactions-research/reactions/reaction"
	"github.com/reactions-research/reactions/store"
	"github.com/reactions-research/reactions/story"
)

// The hand-coding API (docs/api.md, "Hand-coding"): the codebook, the
// samples, one coder's view of a sample, the disputes to adjudicate, the
// report, and POST /api/v1/codings to record codes, undos and
// adjudications. A coding item never carries the classifier's label or
// score: coding is blind.

// CodebookJSON is the answer of GET /api/v1/codebook.
type CodebookJSON struct {
	Story string `json:"story"`
	// Default reports that the story defines no codebook and the README's
	// labelling rule applies.
	Default  bool           `json:"default"`
	Codebook story.Codebook `json:"codebook"`
	// Keys maps the keyboard keys to codes: 1 support, 2 criticism,
	// 3 neutral, 0 unclear.
	Keys map[string]reaction.Stance `json:"keys"`
}

// codeKeys are the keyboard keys of the Code view.
var codeKeys = map[string]reaction.Stance{"1": reaction.Support, "2": reaction.Criticism, "3": reaction.Neutral, "0": coding.Unclear}

func (s *Server) codebook(r *http.Request) (any, error) {
	p, e := newParams(r, "story")
	if e != nil {
		return nil, e
	}
	id, e := p.story()
	if e != nil {
		return nil, e
	}
	ctx, cancel := context.WithTimeout(r.Context(), queryTimeout)
	defer cancel()
	rec, err := s.loadStory(ctx, id)
	if err != nil {
		return nil, err
	}
	var cb *story.Codebook
	if rec != nil {
		cb = rec.Story.Codebook
	}
	return &CodebookJSON{Story: id, Default: cb == nil, Codebook: cb.Or(), Keys: codeKeys}, nil
}

// SamplesJSON is the answer of GET /api/v1/samples.
type SamplesJSON struct {
	Story   string             `json:"story"`
	Samples []study.SampleJSON `json:"samples"`
}

func (s *Server) samples(r *http.Request) (any, error) {
	p, e := newParams(r, "story")
	if e != nil {
		return nil, e
	}
	id, e := p.story()
	if e != nil {
		return nil, e
	}
	ctx, cancel := context.WithTimeout(r.Context(), queryTimeout)
	defer cancel()
	rep, err := s.report(ctx, id)
	if err != nil {
		return nil, err
	}
	out := &SamplesJSON{Story: id, Samples: rep.JSON(coding.Counts{}, nil).Samples}
	return out, nil
}

// report returns the story's cached coding report (404 for a story that
// does not exist).
func (s *Server) report(ctx context.Context, id string) (*study.Report, error) {
	if _, err := s.loadStory(ctx, id); err != nil {
		return nil, err
	}
	return s.reports.Get(ctx, s.st, id)
}

// CodingItemJSON is one item of a sample as a coder sees it.
type CodingItemJSON struct {
	Position  int               `json:"position"`
	ID        string            `json:"id"`
	Platform  reaction.Platform `json:"platform"`
	CreatedAt *time.Time        `json:"created_at"`
	URL       string            `json:"url"`
	// Text is the reaction's text: crawled, hostile; render it as text.
	Text string `json:"text"`
	// ContentWarning is the warning its author put on it (Mastodon's
	// spoiler text), empty when none: part of what the author said.
	ContentWarning string `json:"content_warning"`
	// Missing reports that the reaction is no longer stored.
	Missing bool `json:"missing"`
	// Overlap reports that every coder codes this item (reliability).
	Overlap bool `json:"overlap"`
	// Assigned reports that this coder should code it: an overlap item,
	// or an item no other coder has coded.
	Assigned bool `json:"assigned"`
	// Code is this coder's current code (null: none yet), CodedAt when.
	Code    *reaction.Stance `json:"code"`
	CodedAt *time.Time       `json:"coded_at"`
	// Others is the number of other coders who coded the item.
	Others int `json:"others"`
}

// CodingSampleJSON is the answer of GET /api/v1/coding/sample: a sample in
// presentation order from one coder's side.
type CodingSampleJSON struct {
	Story string `json:"story"`
	// Sample names the sample; what it was drawn by (the classifier's
	// labels among them) stays out of the coder's view.
	Sample string `json:"sample"`
	// Overlap is the share of the sample every coder codes.
	Overlap float64 `json:"overlap"`
	Coder   string  `json:"coder"`
	// Items are the sample's items in presentation order.
	Items []CodingItemJSON `json:"items"`
	// Assigned and Done count the items assigned to the coder and those
	// of them coded: the progress bar.
	Assigned int `json:"assigned"`
	Done     int `json:"done"`
	// Next is the position of the first assigned item the coder has not
	// coded (where to resume), null when every one is done.
	Next *int `json:"next"`
}

func (s *Server) codingSample(r *http.Request) (any, error) {
	p, e := newParams(r, "story", "sample", "coder")
	if e != nil {
		return nil, e
	}
	id, e := p.story()
	if e != nil {
		return nil, e
	}
	name, e := p.name("sample")
	if e != nil {
		return nil, e
	}
	coder, e := p.name("coder")
	if e != nil {
		return nil, e
	}
	ctx, cancel := context.WithTimeout(r.Context(), queryTimeout)
	defer cancel()
	if _, err := s.loadStory(ctx, id); err != nil {
		return nil, err
	}
	smp, err := s.st.GetSample(ctx, id, name)
	if errors.Is(err, store.ErrNotFound) {
		return nil, &apiError{Status: http.StatusNotFound, Param: "sample", Msg: fmt.Sprintf("sample: story %s has no sample %s", id, strconv.QuoteToASCII(name))}
	}
	if err != nil {
		return nil, err
	}
	items, err := s.st.SampleItems(ctx, id, name)
	if err != nil {
		return nil, err
	}
	ids := make([]string, len(items))
	for i, it := range items {
		ids[i] = it.ID
	}
	rs, err := s.st.ReactionsByID(ctx, id, ids)
	if err != nil {
		return nil, err
	}
	latest, err := s.st.LatestCodings(ctx, id)
	if err != nil {
		return nil, err
	}
	mine := map[string]store.Coding{}
	others := map[string]int{}
	for _, c := range latest {
		switch {
		case c.Adjudication:
		case c.Coder == coder:
			mine[c.ID] = c
		default:
			others[c.ID]++
		}
	}
	out := &CodingSampleJSON{Story: id, Sample: smp.Name, Overlap: smp.Overlap, Coder: coder, Items: make([]CodingItemJSON, len(items))}
	for i, it := range items {
		x := rs[it.ID]
		ci := CodingItemJSON{Position: it.Position, ID: it.ID, Platform: x.Platform, URL: safeURL(x.URL), Text: x.Text, ContentWarning: x.ContentWarning,
			Missing: x.ID == "", Overlap: it.Overlap, Others: others[it.ID]}
		if !x.CreatedAt.IsZero() {
			t := x.CreatedAt
			ci.CreatedAt = &t
		}
		if c, ok := mine[it.ID]; ok {
			code, at := c.Code, c.CodedAt
			ci.Code, ci.CodedAt = &code, &at
		}
		ci.Assigned = it.Overlap || ci.Code != nil || ci.Others == 0
		if ci.Assigned {
			out.Assigned++
			if ci.Code != nil {
				out.Done++
			} else if out.Next == nil {
				pos := it.Position
				out.Next = &pos
			}
		}
		out.Items[i] = ci
	}
	return out, nil
}

// safeURL keeps http(s) links only (crawled URLs are hostile input).
func safeURL(s string) string {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
		return ""
	}
	return s
}

// DisputeJSON is one item whose coders disagree (or that was adjudicated).
type DisputeJSON struct {
	ID        string            `json:"id"`
	Sample    string            `json:"sample"`
	Platform  reaction.Platform `json:"platform"`
	CreatedAt *time.Time        `json:"created_at"`
	URL       string            `json:"url"`
	Text      string            `json:"text"`
	// ContentWarning is the author's content warning, empty when none.
	ContentWarning string `json:"content_warning"`
	// Codes are the coders' current codes.
	Codes []CodeJSON `json:"codes"`
	// Adjudication is the final code an adjudicator gave, null while the
	// item waits for one.
	Adjudication *CodeJSON `json:"adjudication"`
}

// CodeJSON is one coder's (or adjudicator's) current code.
type CodeJSON struct {
	Coder   string          `json:"coder"`
	Code    reaction.Stance `json:"code"`
	CodedAt time.Time       `json:"coded_at"`
}

// DisputesJSON is the answer of GET /api/v1/disputes.
type DisputesJSON struct {
	Story string `json:"story"`
	// Pending is the number of disputes without an adjudication.
	Pending int `json:"pending"`
	// Disputes lists the pending ones first, then those adjudicated.
	Disputes []DisputeJSON `json:"disputes"`
}

func (s *Server) disputes(r *http.Request) (any, error) {
	p, e := newParams(r, "story")
	if e != nil {
		return nil, e
	}
	id, e := p.story()
	if e != nil {
		return nil, e
	}
	ctx, cancel := context.WithTimeout(r.Context(), queryTimeout)
	defer cancel()
	if _, err := s.loadStory(ctx, id); err != nil {
		return nil, err
	}
	latest, err := s.st.LatestCodings(ctx, id)
	if err != nil {
		return nil, err
	}
	byID := map[string]*DisputeJSON{}
	var order []string
	stances := map[string]map[reaction.Stance]bool{}
	for _, c := range latest {
		d := byID[c.ID]
		if d == nil {
			d = &DisputeJSON{ID: c.ID, Sample: c.Sample, Codes: []CodeJSON{}}
			byID[c.ID] = d
			order = append(order, c.ID)
		}
		cj := CodeJSON{Coder: c.Coder, Code: c.Code, CodedAt: c.CodedAt}
		if c.Adjudication {
			if d.Adjudication == nil || !c.CodedAt.Before(d.Adjudication.CodedAt) {
				d.Adjudication = &cj
			}
			continue
		}
		d.Codes = append(d.Codes, cj)
		if c.Code.Valid() {
			if stances[c.ID] == nil {
				stances[c.ID] = map[reaction.Stance]bool{}
			}
			stances[c.ID][c.Code] = true
		}
	}
	out := &DisputesJSON{Story: id, Disputes: []DisputeJSON{}}
	var ids []string
	var pending, done []DisputeJSON
	for _, x := range order {
		d := byID[x]
		if len(stances[x]) < 2 && d.Adjudication == nil {
			continue
		}
		ids = append(ids, x)
		if d.Adjudication == nil {
			pending = append(pending, *d)
		} else {
			done = append(done, *d)
		}
	}
	rs, err := s.st.ReactionsByID(ctx, id, ids)
	if err != nil {
		return nil, err
	}
	for _, d := range append(pending, done...) {
		x := rs[d.ID]
		d.Platform, d.URL, d.Text, d.ContentWarning = x.Platform, safeURL(x.URL), x.Text, x.ContentWarning
		if !x.CreatedAt.IsZero() {
			t := x.CreatedAt
			d.CreatedAt = &t
		}
		out.Disputes = append(out.Disputes, d)
	}
	out.Pending = len(pending)
	return out, nil
}

// CodingReportJSON is the answer of GET /api/v1/coding/report: the report
// of `reactions code report --json`, and beside it which classifier
// versions labelled the story, known with or without codes (the dashboard
// names the story's model near the chart).
type CodingReportJSON struct {
	*study.JSON
	// ClassifierVersions counts the story's reactions per classifier
	// version that labelled them.
	ClassifierVersions map[string]int64 `json:"classifier_versions"`
}

func (s *Server) codingReport(r *http.Request) (any, error) {
	p, e := newParams(r, "story")
	if e != nil {
		return nil, e
	}
	id, e := p.story()
	if e != nil {
		return nil, e
	}
	ctx, cancel := context.WithTimeout(r.Context(), queryTimeout)
	defer cancel()
	rep, err := s.report(ctx, id)
	if err != nil {
		return nil, err
	}
	raw, err := study.Raw(ctx, s.st, id)
	if err != nil {
		return nil, err
	}
	cnt, err := s.st.CountReactions(ctx, store.ReactionQuery{Story: id})
	if err != nil {
		return nil, err
	}
	return &CodingReportJSON{JSON: rep.JSON(raw, cnt.Classifiers), ClassifierVersions: cnt.Classifiers}, nil
}

// CodingsRequest is the body of POST /api/v1/codings.
type CodingsRequest struct {
	Story string          `json:"story"`
	Codes []CodingRequest `json:"codes"`
}

// CodingRequest is one code to record.
type CodingRequest struct {
	// Sample is the sample the item is coded in; required for a coder's
	// code (the item must be in it), optional for an adjudication.
	Sample string `json:"sample"`
	ID     string `json:"id"`
	// Coder is the coder's (or adjudicator's) name, stored as given.
	Coder string `json:"coder"`
	// Code is support, criticism, neutral or unclear (or 1, 2, 3, 0), or
	// withdrawn to take the coder's code back (undo).
	Code string `json:"code"`
	// Adjudication records the item's final code.
	Adjudication bool `json:"adjudication"`
}

// CodingsJSON is the answer of POST /api/v1/codings.
type CodingsJSON struct {
	Story  string         `json:"story"`
	Stored int            `json:"stored"`
	Codes  []store.Coding `json:"codes"`
}

// maxCodingsBody bounds the body of POST /api/v1/codings.
const maxCodingsBody = 1 << 20

// maxCodesPerRequest bounds the codes of one POST.
const maxCodesPerRequest = 1000

func (s *Server) postCodings(r *http.Request) (any, error) {
	if e := sameOrigin(r); e != nil {
		return nil, e
	}
	if _, e := newParams(r); e != nil {
		return nil, e
	}
	// Read the body to its end (a body left unread closes the connection).
	body, err := io.ReadAll(io.LimitReader(r.Body, maxCodingsBody+1))
	if err != nil {
		return nil, &apiError{Status: http.StatusBadRequest, Msg: "body: cannot be read: " + truncate(err.Error(), 200)}
	}
	if len(body) > maxCodingsBody {
		return nil, &apiError{Status: http.StatusRequestEntityTooLarge, Msg: fmt.Sprintf("body: more than %d bytes", maxCodingsBody)}
	}
	var req CodingsRequest
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		return nil, &apiError{Status: http.StatusBadRequest, Msg: "body: not a JSON object {story, codes: [{sample, id, coder, code, adjudication}]}: " + truncate(err.Error(), 200)}
	}
	if dec.More() {
		return nil, &apiError{Status: http.StatusBadRequest, Msg: "body: one JSON object only"}
	}
	switch {
	case !reaction.ValidStoryID(req.Story):
		return nil, badParam("story", "%s is not a story id", strconv.QuoteToASCII(truncate(req.Story, 80)))
	case len(req.Codes) == 0:
		return nil, badParam("codes", "empty: give at least one code")
	case len(req.Codes) > maxCodesPerRequest:
		return nil, badParam("codes", "%d codes: at most %d per request", len(req.Codes), maxCodesPerRequest)
	}
	ctx, cancel := context.WithTimeout(r.Context(), queryTimeout)
	defer cancel()
	if _, err := s.loadStory(ctx, req.Story); err != nil {
		return nil, err
	}
	items := map[string]map[string]bool{} // sample → ids
	inSample := func(name, id string) (bool, error) {
		if items[name] == nil {
			its, err := s.st.SampleItems(ctx, req.Story, name)
			if err != nil {
				return false, err
			}
			items[name] = map[string]bool{}
			for _, it := range its {
				items[name][it.ID] = true
			}
		}
		return items[name][id], nil
	}
	var coded map[string]bool // ids with a code, for adjudications
	out := make([]store.Coding, 0, len(req.Codes))
	for i, c := range req.Codes {
		at := fmt.Sprintf("codes[%d]", i)
		coder := strings.TrimSpace(c.Coder)
		if e := checkName(at+".coder", coder); e != nil {
			return nil, e
		}
		code, err := coding.ParseCode(c.Code)
		if strings.EqualFold(strings.TrimSpace(c.Code), string(store.CodeWithdrawn)) {
			code, err = store.CodeWithdrawn, nil
		}
		if err != nil {
			return nil, badParam(at+".code", "%v (or withdrawn to take a code back)", err)
		}
		if c.Sample != "" {
			if e := checkName(at+".sample", c.Sample); e != nil {
				return nil, e
			}
		}
		switch {
		case c.ID == "" || len(c.ID) > 2048 || !utf8.ValidString(c.ID):
			return nil, badParam(at+".id", "missing or not a reaction id")
		case c.Sample == "" && !c.Adjudication:
			return nil, badParam(at+".sample", "missing: a coder codes the items of a sample")
		case c.Sample != "":
			ok, err := inSample(c.Sample, c.ID)
			if err != nil {
				return nil, err
			}
			if !ok {
				return nil, badParam(at+".id", "%s is not an item of sample %s", strconv.QuoteToASCII(truncate(c.ID, 80)), strconv.QuoteToASCII(c.Sample))
			}
		default: // an adjudication outside a sample: the item must be coded
			if coded == nil {
				latest, err := s.st.LatestCodings(ctx, req.Story)
				if err != nil {
					return nil, err
				}
				coded = map[string]bool{}
				for _, x := range latest {
					coded[x.ID] = true
				}
			}
			if !coded[c.ID] {
				return nil, badParam(at+".id", "%s has no code to adjudicate", strconv.QuoteToASCII(truncate(c.ID, 80)))
			}
		}
		out = append(out, store.Coding{Story: req.Story, Sample: c.Sample, ID: c.ID, Coder: coder, Code: code,
			Adjudication: c.Adjudication, Source: "dashboard"})
	}
	if err := s.st.WriteCodings(ctx, out); err != nil {
		return nil, err
	}
	return &CodingsJSON{Story: req.Story, Stored: len(out), Codes: out}, nil
}

// checkName checks a coder or sample name: 1-200 bytes of UTF-8 text
// without control characters.
func checkName(field, s string) *apiError {
	if s == "" || len(s) > 200 || !utf8.ValidString(s) || strings.IndexFunc(s, unicode.IsControl) >= 0 {
		return badParam(field, "missing, longer than 200 bytes or not plain text")
	}
	return nil
}

// name returns a required name parameter (a sample or a coder).
func (p *params) name(field string) (string, *apiError) {
	s := strings.TrimSpace(p.get(field))
	if e := checkName(field, s); e != nil {
		return "", e
	}
	return s, nil
}

// sameOrigin refuses a write from another site: a JSON body (the only
// type accepted, which a cross-site form cannot send without a CORS
// preflight this server never answers), and no Origin or Sec-Fetch-Site
// saying it came from elsewhere.
func sameOrigin(r *http.Request) *apiError {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/json" {
		return &apiError{Status: http.StatusUnsupportedMediaType, Msg: "send the body as application/json"}
	}
	if site := r.Header.Get("Sec-Fetch-Site"); site != "" && site != "same-origin" && site != "none" {
		return &apiError{Status: http.StatusForbidden, Msg: "writes are accepted from the dashboard's own pages only"}
	}
	if o := r.Header.Get("Origin"); o != "" {
		u, err := url.Parse(o)
		if err != nil || u.Host != r.Host {
			return &apiError{Status: http.StatusForbidden, Msg: "writes are accepted from the dashboard's own pages only"}
		}
	}
	return nil
}
