package lemmy

import "testing"

func TestMarkdownText(t *testing.T) {
	cases := []struct{ in, want string }{
		{"plain text", "plain text"},
		{"The strike is also hitting **Antwerp**.", "The strike is also hitting Antwerp."},
		{"*em* and _em_ and __strong__ and ~~gone~~", "em and em and strong and gone"},
		{"snake_case_name and 2\\*3\\*4", "snake_case_name and 2*3*4"},
		{"2*3*4", "234"}, // CommonMark makes the 3 emphasis
		{"[the statement](https://example.org/s \"title\") here", "the statement here"},
		{"[](https://example.org/empty)", "https://example.org/empty"},
		{"![a photo](https://example.org/p.jpg)", "a photo"},
		{"<https://example.org/a_b*c*>", "https://example.org/a_b*c*"},
		{"`**not bold**` and `` a`b ``", "**not bold** and a`b"},
		{"\\`not code\\` and \\\\", "`not code` and \\"},
		{"Tom &amp; Jerry &lt;3 &copy; AT&T &nope", "Tom & Jerry <3 © AT&T &nope"},
		{"\\&amp; is literal", "&amp; is literal"},
		{"# Heading\n## Sub ##\n> quoted\n> > nested", "Heading\nSub\nquoted\nnested"},
		{"- item one\n- item two\n1. first", "- item one\n- item two\n1. first"},
		{"before\n\n---\n\nafter", "before\n\n\nafter"},
		{"```\ncode *kept*\n```\nafter", "code *kept*\nafter"},
		{"::: spoiler Spoiler title\nhidden text\n:::", "Spoiler title\nhidden text"},
		{"line one  \nline two\\\nthree", "line one\nline two\nthree"},
		{"Ünïcödé _wörter_ 日本語 **太字**", "Ünïcödé wörter 日本語 太字"},
		{"\\# not a heading\n\\> not a quote\n\\- not a list", "# not a heading\n> not a quote\n- not a list"},
	}
	for _, c := range cases {
		if got := markdownText(c.in); got != c.want {
			t.Errorf("markdownText(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}
