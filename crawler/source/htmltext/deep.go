package htmltext

import (
	"bytes"
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// MaxParseDepth is the nesting the HTML parser accepts (x/net/html rejects
// a document whose elements nest deeper).
const MaxParseDepth = 512

// KeepDepth is how deep CutDeep keeps a document: well below
// MaxParseDepth, since the parser adds elements of its own (html, body,
// tbody, …) and closes others implicitly.
const KeepDepth = 256

// TooDeep reports whether err is the parser's refusal of a document nested
// deeper than MaxParseDepth.
func TooDeep(err error) bool {
	return err != nil && strings.Contains(err.Error(), "open stack of elements exceeds")
}

// CutDeep returns doc without what lies more than depth elements deep:
// those elements and all their content are dropped, everything above them
// is kept as it was. A document the parser refuses as too deep (TooDeep)
// parses once cut, and what was nested shallowly reads as before. Depth is
// counted from the tags as written; elements that may omit their end tag
// (p, li, td, …) and void elements are not counted, so that the count does
// not drift.
func CutDeep(doc []byte, depth int) []byte {
	var out bytes.Buffer
	out.Grow(len(doc))
	z := html.NewTokenizer(bytes.NewReader(doc))
	d := 0
	for {
		tt := z.Next()
		if tt == html.ErrorToken {
			return out.Bytes()
		}
		raw := z.Raw()
		switch tt {
		case html.StartTagToken:
			name, _ := z.TagName()
			if counted(atom.Lookup(name)) {
				d++
				if d > depth {
					continue
				}
			}
		case html.EndTagToken:
			name, _ := z.TagName()
			if counted(atom.Lookup(name)) && d > 0 {
				d--
				if d >= depth {
					continue
				}
			}
		}
		if d > depth {
			continue
		}
		out.Write(raw)
	}
}

// counted reports whether an element counts toward CutDeep's depth: not a
// void element, nor one whose end tag may be left out.
func counted(a atom.Atom) bool {
	switch a {
	case atom.Area, atom.Base, atom.Br, atom.Col, atom.Embed, atom.Hr, atom.Img, atom.Input, atom.Link,
		atom.Meta, atom.Param, atom.Source, atom.Track, atom.Wbr,
		atom.P, atom.Li, atom.Dt, atom.Dd, atom.Tr, atom.Td, atom.Th, atom.Option, atom.Optgroup,
		atom.Thead, atom.Tbody, atom.Tfoot, atom.Colgroup, atom.Caption, atom.Rb, atom.Rt, atom.Rp, atom.Rtc,
		atom.Html, atom.Head, atom.Body:
		return false
	}
	return true
}
