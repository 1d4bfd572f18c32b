package lemmy

import (
	"html"
	"regexp"
	"strings"
)

// Markdown to plain text, minimal and careful: Lemmy content is Markdown
// (markdown-it with HTML disabled), and a reader sees the rendered text.
// Only what changes the visible text is undone:
//
//   - fenced code blocks lose their fences, keep their lines;
//   - headings, block quotes and Lemmy's ":::" spoiler fences lose their
//     markers (a spoiler keeps its title); thematic breaks are dropped;
//   - inline: code spans and autolinks keep their content verbatim; images
//     become their alt text, links their text (the URL when the text is
//     empty); **strong**, *em*, _em_ (not inside words) and ~~strike~~
//     lose their delimiters; backslash escapes and entity references
//     (with the ";") are decoded once;
//   - list markers, line breaks and everything else stay as typed.

var (
	headingRe  = regexp.MustCompile(`^#{1,6}(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$`)
	hrRe       = regexp.MustCompile(`^ {0,3}(?:(?:-[ \t]*){3,}|(?:\*[ \t]*){3,}|(?:_[ \t]*){3,})$`)
	autoLinkRe = regexp.MustCompile(`<([A-Za-z][A-Za-z0-9+.-]{1,31}:[^<>\s]*)>`)
	escapeRe   = regexp.MustCompile(`\\([!-/:-@\[-` + "`" + `{-~])`)
	imageRe    = regexp.MustCompile(`!\[([^\]]*)\]\(([^()\s]*)(?:\s+"[^"]*")?\)`)
	linkRe     = regexp.MustCompile(`\[([^\]]*)\]\(([^()\s]*)(?:\s+"[^"]*")?\)`)
	strongRe   = regexp.MustCompile(`\*\*([^\s*](?:[^*]*[^\s*])?)\*\*`)
	emRe       = regexp.MustCompile(`\*([^\s*](?:[^*]*[^\s*])?)\*`)
	strikeRe   = regexp.MustCompile(`~~([^\s~](?:[^~]*[^\s~])?)~~`)
	uStrongRe  = regexp.MustCompile(`(^|[^\pL\pN_])__([^\s_](?:[^_]*[^\s_])?)__($|[^\pL\pN_])`)
	uEmRe      = regexp.MustCompile(`(^|[^\pL\pN_])_([^\s_](?:[^_]*[^\s_])?)_($|[^\pL\pN_])`)
	entityRe   = regexp.MustCompile(`&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});`)
)

// markdownText returns the visible text of Lemmy Markdown.
func markdownText(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	var out []string
	fence := ""
	for _, line := range strings.Split(s, "\n") {
		t := strings.TrimLeft(line, " ")
		if fence != "" {
			if strings.HasPrefix(t, fence) && strings.Trim(strings.TrimSpace(t), fence[:1]) == "" {
				fence = ""
				continue
			}
			out = append(out, line)
			continue
		}
		if strings.HasPrefix(t, "```") || strings.HasPrefix(t, "~~~") {
			fence = t[:3]
			continue
		}
		if hrRe.MatchString(t) {
			continue
		}
		for strings.HasPrefix(t, ">") {
			t = strings.TrimPrefix(strings.TrimPrefix(t, ">"), " ")
		}
		if m := headingRe.FindStringSubmatch(t); m != nil {
			t = m[1]
		}
		if strings.HasPrefix(t, ":::") {
			rest := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(t[3:]), "spoiler"))
			if rest == "" {
				continue
			}
			t = rest
		}
		t = strings.TrimRight(t, " \t")
		if strings.HasSuffix(t, `\`) && !strings.HasSuffix(t, `\\`) {
			t = strings.TrimSuffix(t, `\`) // a hard line break
		}
		out = append(out, inline(t))
	}
	return strings.TrimSpace(strings.Join(out, "\n"))
}

// inline strips inline Markdown from one line. Text that must stay verbatim
// (code spans, autolinks, escaped characters) is parked in private-use
// placeholders while the delimiters around it are removed.
func inline(t string) string {
	var parked []string
	park := func(v string) string {
		parked = append(parked, v)
		return string(rune(0xF0000 + len(parked) - 1))
	}
	t = codeSpans(t, park)
	t = autoLinkRe.ReplaceAllStringFunc(t, func(m string) string { return park(m[1 : len(m)-1]) })
	t = escapeRe.ReplaceAllStringFunc(t, func(m string) string { return park(m[1:]) })
	t = imageRe.ReplaceAllString(t, "$1")
	t = linkRe.ReplaceAllStringFunc(t, func(m string) string {
		g := linkRe.FindStringSubmatch(m)
		if g[1] == "" {
			return g[2]
		}
		return g[1]
	})
	for range 2 { // nested emphasis: ***x*** and **_x_**
		t = strongRe.ReplaceAllString(t, "$1")
		t = uStrongRe.ReplaceAllString(t, "$1$2$3")
		t = emRe.ReplaceAllString(t, "$1")
		t = uEmRe.ReplaceAllString(t, "$1$2$3")
		t = strikeRe.ReplaceAllString(t, "$1")
	}
	t = entityRe.ReplaceAllStringFunc(t, html.UnescapeString)
	if len(parked) > 0 {
		var b strings.Builder
		for _, r := range t {
			if i := int(r) - 0xF0000; i >= 0 && i < len(parked) {
				b.WriteString(parked[i])
				continue
			}
			b.WriteRune(r)
		}
		t = b.String()
	}
	return t
}

// codeSpans parks the content of each code span: a run of n backticks up
// to the next run of exactly n backticks (an unmatched run stays literal,
// and so does a backslash-escaped backtick).
func codeSpans(t string, park func(string) string) string {
	if !strings.Contains(t, "`") {
		return t
	}
	run := func(i int) int {
		j := i
		for j < len(t) && t[j] == '`' {
			j++
		}
		return j - i
	}
	var b strings.Builder
	for i := 0; i < len(t); {
		if t[i] == '\\' && i+1 < len(t) && t[i+1] == '`' {
			b.WriteString(t[i : i+2]) // an escaped backtick opens nothing
			i += 2
			continue
		}
		if t[i] != '`' {
			b.WriteByte(t[i])
			i++
			continue
		}
		n := run(i)
		end := -1
		for j := i + n; j < len(t); {
			if t[j] != '`' {
				j++
				continue
			}
			m := run(j)
			if m == n {
				end = j
				break
			}
			j += m
		}
		if end < 0 {
			b.WriteString(t[i : i+n])
			i += n
			continue
		}
		body := t[i+n : end]
		if len(body) > 1 && strings.HasPrefix(body, " ") && strings.HasSuffix(body, " ") && strings.TrimSpace(body) != "" {
			body = body[1 : len(body)-1]
		}
		b.WriteString(park(body))
		i = end + n
	}
	return b.String()
}
