package worker

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// JSON has no NaN or infinities, but Python's json.dumps writes a float
// that is not finite as the bare tokens NaN, Infinity and -Infinity (as
// JavaScript does). nonFinite finds the first such token outside a string
// and names the field that holds it, so that a header with a NaN in its ᾱ
// table is reported as "alpha_bars[17] is NaN", not as unreadable.

// nonFiniteTokens are the tokens json.dumps writes, longest first.
var nonFiniteTokens = []string{"-Infinity", "Infinity", "NaN"}

// nonFiniteMark marks a token nonFinite replaced; the JSON decoder turns
// "\u0000" into a NUL, which no header of ours holds.
const nonFiniteMark = "\x00"

// nonFinite returns the path of the first number in b that is not finite
// ("alpha_bars[17]") and its token ("NaN"), or ok = false when b holds
// none or is not JSON once they are replaced.
func nonFinite(b []byte) (path, token string, ok bool) {
	var out strings.Builder
	var found []string
	inString, escaped := false, false
	for i := 0; i < len(b); i++ {
		c := b[i]
		switch {
		case inString:
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
		case c == '"':
			inString = true
		default:
			if tok := tokenAt(b[i:]); tok != "" {
				fmt.Fprintf(&out, `"\u0000%d"`, len(found))
				found = append(found, tok)
				i += len(tok) - 1
				continue
			}
		}
		out.WriteByte(c)
	}
	if len(found) == 0 {
		return "", "", false
	}
	var v any
	if json.Unmarshal([]byte(out.String()), &v) != nil {
		return "", "", false
	}
	p, n, ok := findMark(v, "")
	if !ok {
		return "", "", false
	}
	return p, found[n], true
}

// tokenAt returns the non-finite token b starts with, or "".
func tokenAt(b []byte) string {
	for _, t := range nonFiniteTokens {
		if strings.HasPrefix(string(b[:min(len(b), len(t))]), t) {
			return t
		}
	}
	return ""
}

// findMark returns the path below prefix of the marked value in v that
// came first in the header's bytes (the lowest mark), and its mark.
func findMark(v any, prefix string) (string, int, bool) {
	switch v := v.(type) {
	case string:
		if rest, ok := strings.CutPrefix(v, nonFiniteMark); ok {
			n, err := strconv.Atoi(rest)
			return prefix, n, err == nil
		}
	case []any:
		for i, e := range v {
			if p, n, ok := findMark(e, fmt.Sprintf("%s[%d]", prefix, i)); ok {
				return p, n, true
			}
		}
	case map[string]any:
		best, bestN, found := "", 0, false
		for k, e := range v {
			key := k
			if prefix != "" {
				key = prefix + "." + k
			}
			if p, n, ok := findMark(e, key); ok && (!found || n < bestN) {
				best, bestN, found = p, n, true
			}
		}
		return best, bestN, found
	}
	return "", 0, false
}
