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
// can panic or hang a caller. The grade is a reward, so it must not be
// foolable: over-long inputs, hedges ("3 or 4"), candidate lists,
// conflicting final answers, empty boxes and restated questions ("3+4" for
// 7) are graded incorrect, each with a machine-readable Result.Reason (see
// Grade and Check).
package verify

import (
	"regexp"
	"strings"
)

// MaxResponseBytes caps the response length. A longer response is not
// searched at all: Extract finds nothing and Grade reports
// ReasonResponseTooLong (keeping only its tail could drop a \boxed{ opener
// and grade a long answer by its last number).
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
//
// Extract finds nothing in a response over MaxResponseBytes, in a response
// whose boxes are all empty (an empty box is a committed non-answer, not a
// reason to fall back to the last number), or whose last \boxed{ is never
// closed; Grade reports why.
func Extract(response string, f Format) (Extraction, bool) {
	ex, reason := extract(response, f)
	if reason != "" {
		return Extraction{}, false
	}
	return ex.Extraction, true
}

// extraction is an Extraction with what Grade needs to check the rest of
// the response against it.
type extraction struct {
	Extraction
	boxes      []box  // every well-formed box in the response
	end        int    // offset just after the graded answer's marker
	tailReason string // last-number answer that ends a list or disjunction
}

// box is one \boxed{} or \fbox{} argument and the offset after it.
type box struct {
	arg string
	end int
}

// extract is Extract with the reason it found nothing ("" when it found an
// answer).
func extract(response string, f Format) (extraction, string) {
	if len(response) > MaxResponseBytes {
		return extraction{}, ReasonResponseTooLong
	}
	boxes, malformed := allBoxes(response)
	order := []string{"boxed", "hashes", "answer-is", "a-colon", "last-number"}
	if f == GSM8K {
		order[0], order[1] = order[1], order[0]
	}
	for _, name := range order {
		var ans string
		var end int
		var ok bool
		tail := ""
		switch name {
		case "boxed":
			if malformed {
				return extraction{boxes: boxes}, ReasonMalformedBox
			}
			if len(boxes) == 0 {
				continue
			}
			for i := len(boxes) - 1; i >= 0; i-- {
				if Normalize(boxes[i].arg) != "" {
					ans, end, ok = boxes[i].arg, boxes[i].end, true
					break
				}
			}
			if !ok {
				return extraction{boxes: boxes}, ReasonEmptyBox
			}
		case "hashes":
			if i := strings.LastIndex(response, "####"); i >= 0 {
				ans, ok = firstLine(response[i+4:]), true
				end = i + 4
				if j := strings.IndexByte(response[end:], '\n'); j >= 0 {
					end += j
				} else {
					end = len(response)
				}
			}
		case "answer-is":
			ans, ok = answerIs(response)
			end = len(response)
		case "a-colon":
			ans, ok = aColon(response)
			end = len(response)
		case "last-number":
			ans, tail, ok = lastNumberChecked(response)
			end = len(response)
		}
		if ok {
			if ans = strings.TrimSpace(ans); ans != "" {
				return extraction{Extraction: Extraction{Answer: ans, Rule: name}, boxes: boxes, end: end, tailReason: tail}, ""
			}
		}
	}
	return extraction{boxes: boxes}, ReasonNoAnswer
}

// allBoxes returns every well-formed \boxed{...}, \boxed x and \fbox{...}
// argument in s, in order, and whether the last box opener is unclosed
// (a "\boxed{" with no matching brace). A bare mention such as "\boxed."
// is not a box.
func allBoxes(s string) (boxes []box, malformed bool) {
	for i := 0; i < len(s); {
		j := strings.Index(s[i:], "box") // in both \boxed and \fbox
		if j < 0 {
			break
		}
		i += j
		switch {
		case i >= 1 && s[i-1] == '\\':
			i--
		case i >= 2 && s[i-2] == '\\' && s[i-1] == 'f':
			i -= 2
		default:
			i += 3
			continue
		}
		var rest string
		switch {
		case strings.HasPrefix(s[i:], `\boxed`):
			rest = s[i+len(`\boxed`):]
		case strings.HasPrefix(s[i:], `\fbox`):
			rest = s[i+len(`\fbox`):]
		default: // \boxplus, \boxtimes
			i += len(`\box`)
			continue
		}
		start := len(s) - len(rest)
		switch {
		case strings.HasPrefix(rest, " "): // \boxed 5
			t := strings.TrimLeft(rest, " ")
			e := strings.IndexAny(t, "$\n")
			if e < 0 {
				e = len(t)
			}
			off := len(s) - len(t)
			boxes = append(boxes, box{arg: t[:e], end: off + e})
			malformed = false
			i = off + e
		case strings.HasPrefix(rest, "{"):
			arg, after, ok := braced(rest)
			if !ok {
				malformed = true
				i = start + 1
				continue
			}
			boxes = append(boxes, box{arg: unwrapBox(arg), end: len(s) - len(after)})
			malformed = false
			i = len(s) - len(after)
		default:
			i = start
		}
	}
	return boxes, malformed
}

// unwrapBox returns the innermost argument of nested boxes such as
// \boxed{\boxed{3}}.
func unwrapBox(arg string) string {
	for i := 0; i < 8; i++ {
		t := strings.TrimSpace(arg)
		var rest string
		switch {
		case strings.HasPrefix(t, `\boxed{`):
			rest = t[len(`\boxed`):]
		case strings.HasPrefix(t, `\fbox{`):
			rest = t[len(`\fbox`):]
		default:
			return arg
		}
		inner, after, ok := braced(rest)
		if !ok || strings.TrimSpace(after) != "" {
			return arg
		}
		arg = inner
	}
	return arg
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
	// End at the sentence: a full stop followed by a space (not a decimal
	// point), unless the next sentence goes on with an alternative
	// ("the answer is 3. Or 4." is the hedge "3. Or 4").
	if end := strings.Index(rest, ". "); end >= 0 && !reOrNext.MatchString(rest[end+2:]) {
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
	ans, _, ok := lastNumberChecked(s)
	return ans, ok
}

var reOrNext = regexp.MustCompile(`(?i)^\s*or\b`)

var reListTail = regexp.MustCompile(`(?i)\d[\s$,]*(\bor|\band|,)[\s$]*(?:[a-z]\s*=\s*)?$`)

// lastNumberChecked is lastNumber, plus a reason when the number ends a
// list or a disjunction of numbers: "3 or 4" and "either 3 or 4" are
// hedges, "1, 2, 3" and "3 and 4" candidate lists.
func lastNumberChecked(s string) (ans, reason string, ok bool) {
	locs := reNumber.FindAllStringIndex(s, -1)
	if len(locs) == 0 {
		return "", "", false
	}
	loc := locs[len(locs)-1]
	ans = strings.TrimRight(s[loc[0]:loc[1]], ",")
	before := s[max(0, loc[0]-32):loc[0]]
	if m := reListTail.FindStringSubmatch(before); m != nil {
		if strings.EqualFold(m[1], "or") {
			reason = ReasonHedge
		} else {
			reason = ReasonCandidateList
		}
	}
	return ans, reason, true
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
