// Package verify turns a model's free-text response into an answer and
// decides whether it matches a reference answer: extraction (\boxed{},
// "#### x", "the answer is x", "A: x", last number), normalisation (LaTeX
// wrappers, units, thousands separators, degrees, percent) and equivalence
// (exact rationals, tolerance on decimals, symbolic expressions by
// evaluation at random complex points, tuples, intervals, sets, matrices,
// multiple-choice letters, text).
//
// Everything here reads untrusted text: inputs are capped in length, the
// expression parser bounds its depth and the evaluator its work, so no input
// can panic or hang a caller.
package verify

import (
	"regexp"
	"strings"
)

// MaxResponseBytes caps how much of a response is searched (its tail is
// kept: answers come last).
const MaxResponseBytes = 64 << 10

// Format names a dataset convention for where the final answer is.
type Format string

// Formats Grade understands.
const (
	Auto  Format = "auto"  // every rule below, in order
	GSM8K Format = "gsm8k" // "#### x", then the rules of Auto
	MATH  Format = "math"  // last \boxed{x}, then the rules of Auto
)

// ParseFormat maps a name to a Format ("" means Auto).
func ParseFormat(s string) (Format, bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "auto":
		return Auto, true
	case "gsm8k", "gsm":
		return GSM8K, true
	case "math", "boxed":
		return MATH, true
	}
	return "", false
}

// Extraction is an extracted answer and the rule that found it.
type Extraction struct {
	Answer string
	Rule   string // boxed, hashes, answer-is, a-colon, last-number
}

var (
	reAnswerIs = regexp.MustCompile(`(?i)(?:final answer|the answer|answer)\s*(?:is\s*:?|:|=)\s*(?:\$\s*)?`)
	reAColon   = regexp.MustCompile(`(?m)^\s*A\s*:\s*`)
	reNumber   = regexp.MustCompile(`-?\$?\d[\d,]*(?:\.\d+)?(?:\s*/\s*\d+)?|-?\.\d+`)
)

// Extract finds the final answer in a response. The rules, in order (the
// last occurrence of each wins): \boxed{...} or \fbox{...} with nested
// braces; "#### x"; "the answer is x" / "final answer: x"; a line "A: x";
// the last number in the text. A format moves its own rule first.
func Extract(response string, f Format) (Extraction, bool) {
	if len(response) > MaxResponseBytes {
		response = response[len(response)-MaxResponseBytes:]
	}
	rules := []func(string) (string, bool){lastBoxed, afterHashes, answerIs, aColon, lastNumber}
	names := []string{"boxed", "hashes", "answer-is", "a-colon", "last-number"}
	if f == GSM8K {
		rules[0], rules[1] = rules[1], rules[0]
		names[0], names[1] = names[1], names[0]
	}
	for i, rule := range rules {
		if ans, ok := rule(response); ok {
			if ans = strings.TrimSpace(ans); ans != "" {
				return Extraction{Answer: ans, Rule: names[i]}, true
			}
		}
	}
	return Extraction{}, false
}

// lastBoxed returns the argument of the last \boxed{...}, \boxed x or
// \fbox{...}, matching nested braces.
func lastBoxed(s string) (string, bool) {
	i := max(strings.LastIndex(s, `\boxed`), strings.LastIndex(s, `\fbox`))
	if i < 0 {
		return "", false
	}
	rest := s[i:]
	if strings.HasPrefix(rest, `\boxed`) {
		rest = rest[len(`\boxed`):]
	} else {
		rest = rest[len(`\fbox`):]
	}
	if strings.HasPrefix(rest, " ") { // \boxed 5
		rest = strings.TrimLeft(rest, " ")
		end := strings.IndexAny(rest, "$\n")
		if end < 0 {
			end = len(rest)
		}
		return rest[:end], true
	}
	if !strings.HasPrefix(rest, "{") {
		return "", false
	}
	if arg, _, ok := braced(rest); ok {
		return arg, true
	}
	return "", false
}

// braced returns the contents of the brace group that s starts with and
// the remainder after it.
func braced(s string) (inner, rest string, ok bool) {
	if !strings.HasPrefix(s, "{") {
		return "", s, false
	}
	depth := 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++ // skip escaped characters such as \{ and \}
		case '{':
			depth++
		case '}':
			depth--
			if depth == 0 {
				return s[1:i], s[i+1:], true
			}
		}
	}
	return "", s, false
}

// afterHashes returns the rest of the line after the last "####".
func afterHashes(s string) (string, bool) {
	i := strings.LastIndex(s, "####")
	if i < 0 {
		return "", false
	}
	return firstLine(s[i+4:]), true
}

// answerIs returns what follows the last "the answer is" / "answer:".
func answerIs(s string) (string, bool) {
	locs := reAnswerIs.FindAllStringIndex(s, -1)
	if len(locs) == 0 {
		return "", false
	}
	loc := locs[len(locs)-1]
	rest := firstLine(s[loc[1]:])
	if b, ok := lastBoxed(rest); ok {
		return b, true
	}
	if strings.HasSuffix(strings.TrimSpace(s[loc[0]:loc[1]]), "$") {
		// "the answer is $x$. I hope it is correct." -> x
		if end := strings.IndexByte(rest, '$'); end >= 0 {
			return rest[:end], true
		}
	}
	// End at the sentence: a full stop followed by a space (not a decimal point).
	if end := strings.Index(rest, ". "); end >= 0 {
		rest = rest[:end]
	}
	return trimSentence(rest), true
}

// aColon returns the rest of the last line that starts with "A:".
func aColon(s string) (string, bool) {
	locs := reAColon.FindAllStringIndex(s, -1)
	if len(locs) == 0 {
		return "", false
	}
	return trimSentence(firstLine(s[locs[len(locs)-1][1]:])), true
}

// lastNumber returns the last number in s (with sign, thousands commas,
// decimals, or a simple fraction).
func lastNumber(s string) (string, bool) {
	ms := reNumber.FindAllString(s, -1)
	if len(ms) == 0 {
		return "", false
	}
	return strings.TrimRight(ms[len(ms)-1], ","), true
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	return strings.TrimSpace(s)
}

// trimSentence drops a trailing full stop and surrounding dollar signs or
// bold markers, keeping decimals such as "3.5".
func trimSentence(s string) string {
	s = strings.TrimSpace(s)
	s = strings.Trim(s, "*")
	for strings.HasSuffix(s, ".") || strings.HasSuffix(s, "$") || strings.HasSuffix(s, "*") {
		s = strings.TrimSpace(s[:len(s)-1])
	}
	s = strings.TrimPrefix(s, "$")
	return strings.TrimSpace(s)
}
