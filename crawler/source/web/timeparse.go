package web

import (
	"strconv"
	"strings"
	"time"
)

// machineLayouts are the machine-readable forms sites put in datetime,
// data-* attributes and JSON-LD. A form without offset is read as UTC.
var machineLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05Z0700",
	"2006-01-02T15:04:05.999999999Z0700",
	"2006-01-02T15:04Z07:00",
	"2006-01-02T15:04:05",
	"2006-01-02T15:04:05.999999999",
	"2006-01-02T15:04",
	"2006-01-02 15:04:05Z07:00",
	"2006-01-02 15:04:05 -0700",
	"2006-01-02 15:04:05 -0700 MST",
	"2006-01-02 15:04:05",
	"2006-01-02 15:04",
	time.RFC1123Z,
	time.RFC1123,
	time.RFC850,
	time.ANSIC,
	"2006-01-02",
}

// humanLayouts are the printed forms of dates, after normalizeHuman (commas
// and "at" removed, am/pm lower case, month names in English). English
// month names match in any case. There is no zone in them: they are read as
// UTC (see the package comment).
var humanLayouts = []string{
	"January 2 2006 3:04 pm",
	"January 2 2006 3:04:05 pm",
	"January 2 2006 15:04",
	"January 2 2006 15:04:05",
	"Jan 2 2006 3:04 pm",
	"Jan 2 2006 15:04",
	"2 January 2006 3:04 pm",
	"2 January 2006 15:04",
	"2 January 2006 15:04:05",
	"2 Jan 2006 3:04 pm",
	"2 Jan 2006 15:04",
	"Monday January 2 2006 3:04 pm",
	"Monday January 2 2006 15:04",
	"Monday 2 January 2006 15:04",
	"Mon Jan 2 2006 3:04 pm",
	"Mon 2 Jan 2006 15:04",
	"January 2 2006",
	"Jan 2 2006",
	"2 January 2006",
	"2 Jan 2006",
	"Monday January 2 2006",
	"Monday 2 January 2006",
	"2006-01-02 3:04 pm",
	"3:04 pm January 2 2006",
	"15:04 2 January 2006",
}

// localMonths maps month names in other languages (Spanish, French,
// German, Portuguese, Italian, Dutch) to English, so that "10 de junio de
// 2024 a las 9:37" parses. Accents are kept: the map is matched after
// lower-casing.
var localMonths = map[string]string{
	"enero": "January", "febrero": "February", "marzo": "March", "abril": "April", "mayo": "May", "junio": "June",
	"julio": "July", "agosto": "August", "septiembre": "September", "setiembre": "September", "octubre": "October",
	"noviembre": "November", "diciembre": "December",
	"janvier": "January", "février": "February", "fevrier": "February", "mars": "March", "avril": "April", "mai": "May",
	"juin": "June", "juillet": "July", "août": "August", "aout": "August", "septembre": "September", "octobre": "October",
	"novembre": "November", "décembre": "December", "decembre": "December",
	"januar": "January", "jänner": "January", "februar": "February", "märz": "March", "juni": "June", "juli": "July",
	"oktober": "October", "dezember": "December",
	"janeiro": "January", "fevereiro": "February", "março": "March", "maio": "May", "junho": "June", "julho": "July",
	"setembro": "September", "outubro": "October", "novembro": "November", "dezembro": "December",
	"gennaio": "January", "febbraio": "February", "aprile": "April", "maggio": "May", "giugno": "June",
	"luglio": "July", "settembre": "September", "ottobre": "October", "dicembre": "December",
	"januari": "January", "februari": "February", "maart": "March", "mei": "May",
	"augustus": "August",
}

// fillerWords are connectors printed between date and time ("at", "a las",
// "à", "um", "Uhr", "de", "om", "alle", "às").
var fillerWords = map[string]bool{
	"at": true, "on": true, "a": true, "las": true, "la": true, "à": true, "um": true, "uhr": true,
	"de": true, "del": true, "om": true, "alle": true, "às": true, "le": true, "el": true,
}

// parseTime reads a comment's time: machine forms first (RFC 3339 with any
// offset, converted to UTC; Unix seconds or milliseconds), then printed
// dates in a few English and European layouts, read as UTC. Relative times
// ("2 hours ago") and anything else are not guessed: ok is false.
func parseTime(raw string) (t time.Time, ok bool) {
	s := strings.TrimSpace(raw)
	if s == "" {
		return time.Time{}, false
	}
	if isDigits(s) {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return time.Time{}, false
		}
		switch {
		case len(s) == 10 || len(s) == 9:
			t = time.Unix(n, 0)
		case len(s) == 13:
			t = time.UnixMilli(n)
		default:
			return time.Time{}, false
		}
		return inRange(t.UTC())
	}
	for _, l := range machineLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return inRange(t.UTC())
		}
	}
	h := normalizeHuman(s)
	for _, l := range humanLayouts {
		if t, err := time.Parse(l, h); err == nil {
			return inRange(t.UTC())
		}
	}
	return time.Time{}, false
}

// inRange rejects times a reaction cannot carry (see reaction.Validate).
func inRange(t time.Time) (time.Time, bool) {
	if t.Year() < 1990 || t.Year() > 2200 {
		return time.Time{}, false
	}
	return t, true
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// normalizeHuman rewrites a printed date into the vocabulary of
// humanLayouts: lower-case am/pm ("p.m.", "PM"), no commas, periods after
// day numbers or "h" between hours and minutes, localized month names in
// English, connectors removed.
func normalizeHuman(s string) string {
	s = strings.NewReplacer(",", " ", "a.m.", "am", "p.m.", "pm", "A.M.", "am", "P.M.", "pm", "\u00a0", " ", "\u202f", " ").Replace(s)
	words := strings.Fields(s)
	out := words[:0]
	for i, w := range words {
		lw := strings.ToLower(w)
		switch {
		case lw == "am" || lw == "pm":
			out = append(out, lw)
			continue
		case strings.HasSuffix(lw, "am") && len(lw) > 2 && lw[len(lw)-3] >= '0' && lw[len(lw)-3] <= '9':
			out = append(out, lw[:len(lw)-2], "am") // 9:37am
			continue
		case strings.HasSuffix(lw, "pm") && len(lw) > 2 && lw[len(lw)-3] >= '0' && lw[len(lw)-3] <= '9':
			out = append(out, lw[:len(lw)-2], "pm")
			continue
		}
		if fillerWords[lw] {
			continue
		}
		lw = strings.TrimSuffix(lw, ".") // "10." (German day), "Jun."
		w = strings.TrimSuffix(w, ".")
		if en, ok := localMonths[lw]; ok {
			out = append(out, en)
			continue
		}
		// French "9 h 37" / "9h37" -> "9:37".
		if lw == "h" && i > 0 && i+1 < len(words) && isDigits(words[i+1]) && len(out) > 0 && isDigits(out[len(out)-1]) {
			out[len(out)-1] += ":"
			continue
		}
		if a, b, ok := strings.Cut(lw, "h"); ok && isDigits(a) && isDigits(b) && b != "" {
			out = append(out, a+":"+b)
			continue
		}
		if len(out) > 0 && strings.HasSuffix(out[len(out)-1], ":") && isDigits(lw) {
			out[len(out)-1] += lw
			continue
		}
		if isDigits(lw) || strings.ContainsAny(lw, ":-") {
			out = append(out, lw)
			continue
		}
		out = append(out, w)
	}
	return strings.Join(out, " ")
}
