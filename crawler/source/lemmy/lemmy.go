// Package lemmy collects Lemmy posts and their comments through API v3
// (Lemmy 0.19): the post, then its comments in publication order page by
// page (without max_depth, whose tree fetch ignores paging), sub-trees
// read again where child_count says comments are missing. Ids are
// ActivityPub ids; the post is the thread starter; scores are signed.
// The endpoints, limits and mapping are in docs/platforms.md, "Lemmy".
package lemmy

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/reactions-research/reactions/crawler/source"
	"github.com/reactions-research/reactions/crawler/source/idset"
	"github.com/reactions-research/reactions/reaction"
)

func init() {
	source.Register(reaction.Lemmy, func() source.Adapter { return &Adapter{} })
}

// Paging and re-query bounds.
const (
	// PageSize is the comments asked per page (Lemmy's maximum).
	PageSize = 50
	// MaxDepth is the depth of a sub-tree re-query.
	MaxDepth = 8
	// maxPages bounds one post's listing (500,000 comments).
	maxPages = 10_000
	// maxRequery bounds the sub-tree re-queries of one post per run.
	maxRequery = 50
)

// Adapter collects Lemmy posts. The zero value is ready to use.
type Adapter struct{}

type postView struct {
	Post struct {
		ID         int64   `json:"id"`
		Name       string  `json:"name"`
		Body       *string `json:"body"`
		Published  string  `json:"published"`
		Deleted    bool    `json:"deleted"`
		Removed    bool    `json:"removed"`
		APID       string  `json:"ap_id"`
		LanguageID int     `json:"language_id"`
	} `json:"post"`
	Creator creator `json:"creator"`
	Counts  struct {
		Comments int64 `json:"comments"`
		Score    int64 `json:"score"`
	} `json:"counts"`
}

type creator struct {
	Name    string `json:"name"`
	ActorID string `json:"actor_id"`
}

type commentView struct {
	Comment struct {
		ID         int64  `json:"id"`
		PostID     int64  `json:"post_id"`
		Content    string `json:"content"`
		Removed    bool   `json:"removed"`
		Deleted    bool   `json:"deleted"`
		Published  string `json:"published"`
		APID       string `json:"ap_id"`
		Path       string `json:"path"`
		LanguageID int    `json:"language_id"`
	} `json:"comment"`
	Creator creator `json:"creator"`
	Counts  struct {
		Score      int64 `json:"score"`
		ChildCount int64 `json:"child_count"`
	} `json:"counts"`
}

// Collect reads every post of the source.
func (a *Adapter) Collect(ctx context.Context, env *source.Env) error {
	base := strings.TrimRight(env.Source.BaseURL, "/")
	if u, err := url.Parse(base); err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return fmt.Errorf("lemmy: base_url %q is not an http(s) URL", env.Source.BaseURL)
	}
	c := &crawl{env: env, api: base + "/api/v3", fails: source.Failures{Stats: env.Stats}}
	found, err := c.discover(ctx)
	if err != nil {
		return err
	}
	posts := append(append([]string(nil), env.Source.Posts...), found...)
	if len(posts) > 0 {
		c.loadLanguages(ctx)
	}
	named := map[string]bool{}
	for _, p := range posts {
		if named[p] {
			continue
		}
		named[p] = true
		if err := ctx.Err(); err != nil {
			return err
		}
		if _, err := strconv.ParseInt(p, 10, 64); err != nil {
			env.Stats.Error("bad_input", fmt.Errorf("lemmy: post %q is not a post id", p))
			continue
		}
		if err := c.post(ctx, p); err != nil {
			return err
		}
	}
	return c.fails.Err(reaction.Lemmy)
}

type crawl struct {
	env   *source.Env
	api   string
	langs map[int]string
	fails source.Failures
}

func (c *crawl) loadLanguages(ctx context.Context) {
	var site struct {
		AllLanguages []struct {
			ID   int    `json:"id"`
			Code string `json:"code"`
		} `json:"all_languages"`
	}
	if err := c.getJSON(ctx, c.api+"/site", &site); err != nil {
		// The run goes on without languages; a cancelled one ends at the
		// next post.
		_ = c.fails.Fail(ctx, "site languages", fmt.Errorf("lemmy: site languages (languages left empty): %w", err))
		return
	}
	c.langs = map[int]string{}
	for _, l := range site.AllLanguages {
		if l.ID != 0 && l.Code != "und" {
			c.langs[l.ID] = l.Code
		}
	}
}

// postRun is one post's crawl.
type postRun struct {
	id       string
	rootID   string
	comments map[int64]*commentView
	order    []int64 // comment ids in listing order
	emitted  map[int64]bool
	deleted  map[int64]bool
}

func (c *crawl) post(ctx context.Context, id string) error {
	env := c.env
	var pv struct {
		PostView postView `json:"post_view"`
	}
	if err := c.getJSON(ctx, c.api+"/post?id="+id, &pv); err != nil {
		return c.fails.Fail(ctx, "post "+id, fmt.Errorf("lemmy: post %s: %w", id, err))
	}
	env.Stats.Page()
	p := pv.PostView
	if p.Post.APID == "" {
		env.Stats.Error("parse", fmt.Errorf("lemmy: post %s has no ap_id", id))
		return nil
	}
	run := &postRun{id: id, rootID: reaction.MakeID(reaction.Lemmy, p.Post.APID), comments: map[int64]*commentView{},
		emitted: idset.Decode[int64](env.State.Get("post/" + id + "/emitted")),
		deleted: idset.Decode[int64](env.State.Get("post/" + id + "/deleted"))}

	// The post itself, id 0 in the emitted set.
	deleted := p.Post.Deleted || p.Post.Removed
	if !run.emitted[0] || (deleted && !run.deleted[0]) {
		if err := c.emitPost(p); err != nil {
			return err
		}
		run.emitted[0] = true
		if deleted {
			run.deleted[0] = true
		}
	}
	if err := c.listComments(ctx, run); err != nil {
		return err
	}
	c.requery(ctx, run)
	var emitted, newDeleted int
	for _, cid := range run.order {
		cv := run.comments[cid]
		del := cv.Comment.Deleted || cv.Comment.Removed
		if run.emitted[cid] && (!del || run.deleted[cid]) {
			continue
		}
		ok, err := c.emitComment(ctx, run, cv)
		if err != nil {
			return err
		}
		if ok {
			emitted++
			run.emitted[cid] = true
			if del {
				run.deleted[cid] = true
				newDeleted++
			}
		}
	}
	env.State.Set("post/"+id+"/emitted", idset.Encode(run.emitted))
	env.State.Set("post/"+id+"/deleted", idset.Encode(run.deleted))
	env.Log.Info("lemmy post read", "post", id, "comments", len(run.order), "emitted", emitted, "newly_deleted", newDeleted)
	return nil
}

// listComments pages through the flat listing of the post's comments.
func (c *crawl) listComments(ctx context.Context, run *postRun) error {
	walk := source.Walk{What: fmt.Sprintf("lemmy: comments of post %s", run.id), Max: maxPages}
	for page := 1; ; page++ {
		if err := walk.Next(strconv.Itoa(page)); err != nil {
			c.env.Stats.Error(source.ErrorKind(err), err)
			return nil
		}
		u := fmt.Sprintf("%s/comment/list?post_id=%s&sort=Old&type_=All&limit=%d&page=%d", c.api, run.id, PageSize, page)
		var res struct {
			Comments []commentView `json:"comments"`
		}
		if err := c.getJSON(ctx, u, &res); err != nil {
			what := fmt.Sprintf("comments of post %s, page %d", run.id, page)
			return c.fails.Fail(ctx, what, fmt.Errorf("lemmy: %s: %w", what, err))
		}
		c.env.Stats.Page()
		if len(res.Comments) == 0 {
			return nil
		}
		if c.add(run, res.Comments) == 0 {
			err := walk.Repeats(fmt.Sprintf("page %d holds only comments of earlier pages (the server ignores page)", page))
			c.env.Stats.Error(source.ErrorKind(err), err)
			return nil
		}
	}
}

// add records comments of the post and returns how many were new.
func (c *crawl) add(run *postRun, cs []commentView) int {
	n := 0
	for i := range cs {
		cv := cs[i]
		if _, ok := run.comments[cv.Comment.ID]; ok {
			continue
		}
		if strconv.FormatInt(cv.Comment.PostID, 10) != run.id && cv.Comment.PostID != 0 {
			continue
		}
		run.comments[cv.Comment.ID] = &cv
		run.order = append(run.order, cv.Comment.ID)
		n++
	}
	return n
}

// requery reads again the sub-trees of comments that have fewer
// descendants than their child_count.
func (c *crawl) requery(ctx context.Context, run *postRun) {
	desc := map[int64]int64{}
	for _, cv := range run.comments {
		ids := pathIDs(cv.Comment.Path)
		for _, a := range ids[:max(len(ids)-1, 0)] {
			desc[a]++
		}
	}
	var short []int64
	for _, cid := range run.order {
		cv := run.comments[cid]
		if cv.Counts.ChildCount > desc[cid] {
			short = append(short, cid)
		}
	}
	done := map[int64]bool{}
	count := 0
	for _, cid := range short {
		// An ancestor's re-query covers this one (to MaxDepth levels).
		covered := false
		for _, a := range pathIDs(run.comments[cid].Comment.Path) {
			if a != cid && done[a] {
				covered = true
			}
		}
		if covered {
			continue
		}
		if count == maxRequery {
			c.env.Stats.Error("truncated", fmt.Errorf("lemmy: post %s: %d comments count more replies than the listing holds, and only %d sub-trees are asked again per run: the others' missing replies were not read: %w",
				run.id, len(short), maxRequery, source.ErrTruncated))
			return
		}
		count++
		done[cid] = true
		u := fmt.Sprintf("%s/comment/list?parent_id=%d&max_depth=%d&sort=Old&type_=All", c.api, cid, MaxDepth)
		var res struct {
			Comments []commentView `json:"comments"`
		}
		if err := c.getJSON(ctx, u, &res); err != nil {
			if what := fmt.Sprintf("replies of comment %d", cid); c.fails.Fail(ctx, what, fmt.Errorf("lemmy: %s: %w", what, err)) != nil {
				return
			}
			continue
		}
		c.env.Stats.Page()
		c.add(run, res.Comments)
	}
}

// pathIDs returns the comment ids of a path "0.a.b" (without the "0").
func pathIDs(path string) []int64 {
	parts := strings.Split(path, ".")
	out := make([]int64, 0, len(parts))
	for _, p := range parts {
		if n, err := strconv.ParseInt(p, 10, 64); err == nil && n != 0 {
			out = append(out, n)
		}
	}
	return out
}

func (c *crawl) emitPost(p postView) error {
	created, err := parseTime(p.Post.Published)
	if err != nil {
		c.env.Stats.Error("parse", fmt.Errorf("lemmy: post %d: %w", p.Post.ID, err))
		return nil
	}
	r := reaction.Reaction{
		Platform:  reaction.Lemmy,
		ID:        reaction.MakeID(reaction.Lemmy, p.Post.APID),
		URL:       p.Post.APID,
		CreatedAt: created,
		Lang:      c.langs[p.Post.LanguageID],
		Likes:     p.Counts.Score,
		Replies:   max(p.Counts.Comments, 0),
		IsRoot:    true,
	}
	r.RootID = r.ID
	if p.Post.Deleted || p.Post.Removed {
		r.Deleted = true
	} else {
		r.Author = c.author(p.Creator)
		r.Text = p.Post.Name
		if p.Post.Body != nil {
			if body := markdownText(*p.Post.Body); body != "" {
				r.Text += "\n\n" + body
			}
		}
	}
	if err := c.env.Emit(r); err != nil {
		return fmt.Errorf("lemmy: emit: %w", err)
	}
	return nil
}

// emitComment emits one comment; false when it could not be read.
func (c *crawl) emitComment(ctx context.Context, run *postRun, cv *commentView) (bool, error) {
	cm := cv.Comment
	created, err := parseTime(cm.Published)
	if err == nil && cm.APID == "" {
		err = fmt.Errorf("no ap_id: %w", source.ErrParse)
	}
	if err != nil {
		c.env.Stats.Error("parse", fmt.Errorf("lemmy: comment %d: %w", cm.ID, err))
		return false, nil
	}
	parent, err := c.parentOf(ctx, run, cv)
	if err != nil {
		return false, err
	}
	r := reaction.Reaction{
		Platform:  reaction.Lemmy,
		ID:        reaction.MakeID(reaction.Lemmy, cm.APID),
		ParentID:  parent,
		RootID:    run.rootID,
		URL:       cm.APID,
		CreatedAt: created,
		Lang:      c.langs[cm.LanguageID],
		Likes:     cv.Counts.Score,
		Replies:   max(cv.Counts.ChildCount, 0),
	}
	if cm.Deleted || cm.Removed {
		r.Deleted = true
	} else {
		r.Author = c.author(cv.Creator)
		r.Text = markdownText(cm.Content)
	}
	if err := c.env.Emit(r); err != nil {
		return false, fmt.Errorf("lemmy: emit: %w", err)
	}
	return true, nil
}

// parentOf returns the id of what the comment answers.
func (c *crawl) parentOf(ctx context.Context, run *postRun, cv *commentView) (string, error) {
	ids := pathIDs(cv.Comment.Path)
	if len(ids) == 0 || ids[len(ids)-1] != cv.Comment.ID {
		c.env.Stats.Error("parse", fmt.Errorf("lemmy: comment %d: path %q does not end with its id (answering the post instead)", cv.Comment.ID, cv.Comment.Path))
		return run.rootID, nil
	}
	if len(ids) == 1 {
		return run.rootID, nil
	}
	pid := ids[len(ids)-2]
	if p, ok := run.comments[pid]; ok {
		return reaction.MakeID(reaction.Lemmy, p.Comment.APID), nil
	}
	var res struct {
		CommentView commentView `json:"comment_view"`
	}
	err := c.getJSON(ctx, fmt.Sprintf("%s/comment?id=%d", c.api, pid), &res)
	if err == nil && res.CommentView.Comment.APID != "" {
		run.comments[pid] = &res.CommentView // not in order: not emitted, only a parent
		return reaction.MakeID(reaction.Lemmy, res.CommentView.Comment.APID), nil
	}
	if ctx.Err() != nil {
		return "", ctx.Err()
	}
	if err == nil {
		err = fmt.Errorf("no ap_id: %w", source.ErrParse)
	}
	c.env.Stats.Error(source.ErrorKind(err), fmt.Errorf("lemmy: parent %d of comment %d (answering the post instead): %w", pid, cv.Comment.ID, err))
	return run.rootID, nil
}

func (c *crawl) author(cr creator) string {
	name := cr.Name
	host := ""
	if u, err := url.Parse(cr.ActorID); err == nil {
		host = strings.ToLower(u.Hostname())
	}
	if name == "" || host == "" {
		return c.env.Authors.Author(reaction.Lemmy, name)
	}
	return c.env.Authors.Author(reaction.Lemmy, name+"@"+host)
}

// parseTime reads Lemmy timestamps: RFC 3339 (0.19) or naive, meaning UTC
// (before 0.19).
func parseTime(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, errors.New("published is missing")
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t.UTC(), nil
	}
	if t, err := time.Parse("2006-01-02T15:04:05.999999999", s); err == nil {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("published %q is not a timestamp", s)
}

func (c *crawl) getJSON(ctx context.Context, u string, v any) error {
	resp, err := c.env.Fetch.Get(ctx, u, nil)
	if err != nil {
		return err
	}
	c.fails.OK()
	if err := json.Unmarshal(resp.Body, v); err != nil {
		return &source.ParseError{URL: u, Err: err}
	}
	return nil
}
