package replay

import (
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"
	"time"
)

// unwrap strips Nullable(…) and LowCardinality(…) from a ClickHouse type.
func unwrap(typ string) string {
	for {
		switch {
		case strings.HasPrefix(typ, "Nullable(") && strings.HasSuffix(typ, ")"):
			typ = typ[len("Nullable(") : len(typ)-1]
		case strings.HasPrefix(typ, "LowCardinality(") && strings.HasSuffix(typ, ")"):
			typ = typ[len("LowCardinality(") : len(typ)-1]
		default:
			return typ
		}
	}
}

// element returns T of Array(T), or "" when typ is no array.
func element(typ string) string {
	typ = unwrap(typ)
	if strings.HasPrefix(typ, "Array(") && strings.HasSuffix(typ, ")") {
		return typ[len("Array(") : len(typ)-1]
	}
	return ""
}

// timeLayout returns the text layout and location of a Date or DateTime
// type (ok false for other types); a DateTime without a time zone is in
// local, the session's.
func timeLayout(typ string, local *time.Location) (layout string, loc *time.Location, ok bool, err error) {
	typ = unwrap(typ)
	var args string
	switch {
	case typ == "Date" || typ == "Date32":
		return "2006-01-02", time.UTC, true, nil
	case typ == "DateTime":
		return "2006-01-02 15:04:05", local, true, nil
	case strings.HasPrefix(typ, "DateTime(") || strings.HasPrefix(typ, "DateTime64("):
		args = typ[strings.IndexByte(typ, '(')+1 : len(typ)-1]
	default:
		return "", nil, false, nil
	}
	layout, loc = "2006-01-02 15:04:05", local
	parts := strings.SplitN(args, ",", 2)
	if strings.HasPrefix(typ, "DateTime64(") {
		p, err := strconv.Atoi(strings.TrimSpace(parts[0]))
		if err != nil {
			return "", nil, false, fmt.Errorf("type %s: %w", typ, err)
		}
		if p > 0 {
			layout += "." + strings.Repeat("0", p)
		}
		parts = parts[1:]
	}
	if len(parts) > 0 {
		name := strings.Trim(strings.TrimSpace(parts[0]), "'")
		if loc, err = time.LoadLocation(name); err != nil {
			return "", nil, false, fmt.Errorf("type %s: %w", typ, err)
		}
	}
	return layout, loc, true, nil
}

// tsv returns v, a value of a column of type typ as clickhouse-go holds
// it, in ClickHouse's TabSeparated text. local is the session's time zone.
func tsv(v any, typ string, local *time.Location) (string, error) {
	if v == nil {
		return `\N`, nil
	}
	rv := reflect.ValueOf(v)
	if rv.Kind() == reflect.Pointer {
		if rv.IsNil() {
			return `\N`, nil
		}
		return tsv(rv.Elem().Interface(), typ, local)
	}
	if _, ok := v.([]byte); !ok && rv.Kind() == reflect.Slice {
		// An array is written in its quoted form, which escapes tabs and
		// line breaks itself, and not escaped again.
		return quotedArray(rv, element(typ), local)
	}
	s, err := text(v, typ, local)
	return escape(s, false), err
}

// text returns a scalar value as ClickHouse reads it from text, unescaped.
func text(v any, typ string, local *time.Location) (string, error) {
	switch x := v.(type) {
	case string:
		return x, nil
	case []byte:
		return string(x), nil
	case bool:
		return strconv.FormatBool(x), nil
	case time.Time:
		layout, loc, ok, err := timeLayout(typ, local)
		if err != nil {
			return "", err
		}
		if !ok {
			return "", fmt.Errorf("a time.Time for a column of type %s", typ)
		}
		return x.In(loc).Format(layout), nil
	case float32:
		return float(float64(x), 32), nil
	case float64:
		return float(x, 64), nil
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return strconv.FormatInt(rv.Int(), 10), nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return strconv.FormatUint(rv.Uint(), 10), nil
	}
	return "", fmt.Errorf("no text form for a %T (column type %s): teach store/chtest/replay", v, typ)
}

func float(f float64, bits int) string {
	switch {
	case math.IsNaN(f):
		return "nan"
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	}
	return strconv.FormatFloat(f, 'g', -1, bits)
}

// quotedArray returns an array in ClickHouse's text form: ['a','b'], [1,2].
func quotedArray(rv reflect.Value, elem string, local *time.Location) (string, error) {
	var b strings.Builder
	b.WriteByte('[')
	for i := range rv.Len() {
		if i > 0 {
			b.WriteByte(',')
		}
		e := rv.Index(i)
		if e.Kind() == reflect.Pointer || e.Kind() == reflect.Interface {
			if e.IsNil() {
				b.WriteString("NULL")
				continue
			}
			e = e.Elem()
		}
		if e.Kind() == reflect.Slice && e.Type().Elem().Kind() != reflect.Uint8 {
			s, err := quotedArray(e, element(elem), local)
			if err != nil {
				return "", err
			}
			b.WriteString(s)
			continue
		}
		s, err := text(e.Interface(), elem, local)
		if err != nil {
			return "", err
		}
		if needsQuotes(e.Interface()) {
			b.WriteString("'" + escape(s, true) + "'")
		} else {
			b.WriteString(s)
		}
	}
	b.WriteByte(']')
	return b.String(), nil
}

func needsQuotes(v any) bool {
	switch v.(type) {
	case string, []byte, time.Time:
		return true
	}
	return false
}

// escape escapes s as ClickHouse's escaped (TabSeparated) and quoted text
// forms read it.
func escape(s string, quoted bool) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\\':
			b.WriteString(`\\`)
		case '\t':
			b.WriteString(`\t`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case 0:
			b.WriteString(`\0`)
		case '\'':
			if quoted {
				b.WriteString(`\'`)
			} else {
				b.WriteByte(c)
			}
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// canonical is how results are compared: integers and strings as text,
// floats in their shortest exact form, times as Unix nanoseconds, arrays
// as [a,b].
func canonical(v any) string {
	if v == nil {
		return "NULL"
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Pointer, reflect.Interface:
		if rv.IsNil() {
			return "NULL"
		}
		return canonical(rv.Elem().Interface())
	case reflect.Slice:
		if b, ok := v.([]byte); ok {
			return string(b)
		}
		parts := make([]string, rv.Len())
		for i := range parts {
			parts[i] = canonical(rv.Index(i).Interface())
		}
		return "[" + strings.Join(parts, ",") + "]"
	case reflect.Float32:
		return float(rv.Float(), 32)
	case reflect.Float64:
		return float(rv.Float(), 64)
	}
	if t, ok := v.(time.Time); ok {
		return strconv.FormatInt(t.UnixNano(), 10)
	}
	if s, err := text(v, "", time.UTC); err == nil {
		return s
	}
	return fmt.Sprint(v)
}

// canonicalJSON is canonical for a value of a column of type typ as
// ClickHouse writes it in JSON (decoded with UseNumber). Strings must be
// valid UTF-8, as the project's are (reaction.Validate): JSON cannot carry
// other bytes.
func canonicalJSON(v any, typ string, local *time.Location) (string, error) {
	if v == nil {
		return "NULL", nil
	}
	if elem := element(typ); elem != "" {
		a, ok := v.([]any)
		if !ok {
			return "", fmt.Errorf("%v is no array (type %s)", v, typ)
		}
		parts := make([]string, len(a))
		for i, e := range a {
			s, err := canonicalJSON(e, elem, local)
			if err != nil {
				return "", err
			}
			parts[i] = s
		}
		return "[" + strings.Join(parts, ",") + "]", nil
	}
	u := unwrap(typ)
	switch x := v.(type) {
	case json.Number:
		switch u {
		case "Float32", "Float64":
			bits := 64
			if u == "Float32" {
				bits = 32
			}
			f, err := strconv.ParseFloat(x.String(), bits)
			return float(f, bits), err
		}
		return x.String(), nil
	case bool:
		return strconv.FormatBool(x), nil
	case string:
		layout, loc, ok, err := timeLayout(u, local)
		if err != nil {
			return "", err
		}
		if ok {
			if layout != "2006-01-02" {
				layout = "2006-01-02 15:04:05.999999999" // the fraction is optional
			}
			t, err := time.ParseInLocation(layout, x, loc)
			if err != nil {
				return "", err
			}
			return strconv.FormatInt(t.UnixNano(), 10), nil
		}
		return x, nil
	}
	b, err := json.Marshal(v)
	return string(b), err
}
