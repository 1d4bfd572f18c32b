package web

import (
	"bytes"
	"net/http"
	"strings"
	"unicode/utf8"

	"golang.org/x/net/html/charset"
)

// toUTF8 returns a page body as UTF-8. Colly already converts a body whose
// Content-Type names a charset; an older site may declare it only in a
// <meta charset> (or not at all, in windows-1252). A body that is valid
// UTF-8 is kept as is, even if its <meta> says otherwise: mislabelled UTF-8
// is far more common than Latin-1 text that happens to be valid UTF-8.
func toUTF8(body []byte, contentType string) []byte {
	if utf8.Valid(body) {
		return body
	}
	enc, name, _ := charset.DetermineEncoding(body, contentType)
	if name != "utf-8" {
		if out, err := enc.NewDecoder().Bytes(body); err == nil {
			return out
		}
	}
	return bytes.ToValidUTF8(body, []byte("\uFFFD"))
}

// isHTML reports whether a response is an HTML page, by the rule Colly's
// OnHTML applies: its Content-Type (sniffed from the body when the header is
// missing) is text/html or application/xhtml+xml.
func isHTML(contentType string, body []byte) bool {
	if contentType == "" {
		contentType = http.DetectContentType(body)
	}
	mt, _, _ := strings.Cut(contentType, ";")
	switch strings.ToLower(strings.TrimSpace(mt)) {
	case "text/html", "application/xhtml+xml":
		return true
	}
	return false
}
