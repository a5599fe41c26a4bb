package verify

import (
	"regexp"
	"strings"
)

// Result is the grade of one response.
type Result struct {
	Pred    string // extracted answer ("" when none)
	HasPred bool
	Rule    string // extraction rule that found Pred
	Correct bool
	// Reason is "" when Correct, and otherwise one of the Reason*
	// constants: why the response earned no credit. It is meant for
	// machine consumption (counting, JSON output), not prose.
	Reason string
}

// Reasons a response is graded incorrect (Result.Reason, Check). Every
// incorrect grade carries exactly one; the rule-based ones (all but
// ReasonNoAnswer and ReasonMismatch) mark responses that a fooled grader
// would have rewarded.
const (
	// ReasonNoAnswer: no extraction rule found an answer.
	ReasonNoAnswer = "no-answer"
	// ReasonMismatch: an answer was found and is simply not equivalent.
	ReasonMismatch = "mismatch"
	// ReasonResponseTooLong: the response exceeds MaxResponseBytes. It is
	// not searched at all (a cut-off tail could lose a \boxed{ opener and
	// turn a long answer into its last number).
	ReasonResponseTooLong = "response-too-long"
	// ReasonAnswerTooLong: the extracted answer exceeds MaxAnswerBytes.
	ReasonAnswerTooLong = "answer-too-long"
	// ReasonGoldTooLong: the reference answer exceeds MaxAnswerBytes, so
	// nothing can be compared with it.
	ReasonGoldTooLong = "gold-too-long"
	// ReasonHedge: the answer offers alternatives that are not all the
	// same value ("3 or 4", "either 3 or 4", "(B) or (C)", "(B)(C)", a
	// response ending "... 3 or 4"). See Check for the exact rule.
	ReasonHedge = "hedge"
	// ReasonConflicting: the response commits to two different final
	// answers (two different \boxed{} values, a box and a "####" line that
	// differ, or a "the answer is" after the graded answer that differs).
	ReasonConflicting = "conflicting-answers"
	// ReasonCandidateList: a list of values ("1, 2, 3, 4", "3 and 4")
	// where the reference is a single value.
	ReasonCandidateList = "candidate-list"
	// ReasonEmptyBox: the response's only \boxed{} answers are empty.
	ReasonEmptyBox = "empty-box"
	// ReasonMalformedBox: the last \boxed{ in the response is never
	// closed (typically a generation cut off mid-answer).
	ReasonMalformedBox = "malformed-box"
	// ReasonNotANumber: the answer is NaN, Inf/Infinity, or a number in
	// scientific notation whose exponent has more than 4 digits.
	ReasonNotANumber = "not-a-number"
	// ReasonUnsimplified: the reference is a number and the answer is an
	// expression that evaluates to it ("3+4" for 7, "5!" for 120): a
	// restatement of the question, not an answer.
	ReasonUnsimplified = "unsimplified"
)

// GoldAnswer reduces a reference to its final answer: the text after
// "####" (a GSM8K solution), the last \boxed{} (a MATH solution), or the
// whole string.
func GoldAnswer(gold string) string {
	if i := strings.LastIndex(gold, "####"); i >= 0 {
		return strings.TrimSpace(gold[i+4:])
	}
	if b, ok := lastBoxed(gold); ok {
		return b
	}
	return strings.TrimSpace(gold)
}

// Grade extracts the answer of response in format f and compares it with
// the reference gold (itself reduced by GoldAnswer). On top of Check's
// answer-level rules it applies these response-level rules, each an
// incorrect grade with its Reason:
//
//   - a response over MaxResponseBytes is not graded (ReasonResponseTooLong);
//   - the graded answer must agree (by Check) with every other non-empty
//     \boxed{} in the response, with every "####" answer, and with every
//     "the answer is" / "final answer:" statement and "A:" line that comes
//     after the graded answer (when it is a \boxed{} or "####" one) and
//     states a value: for a gold with digits, one with a digit; not
//     "correct" and the like (ReasonConflicting). A "the answer is"
//     before the final box may differ: reasoning that corrects itself is
//     not a hedge, but two different boxes are;
//   - boxes that are all empty give ReasonEmptyBox (an empty box among
//     non-empty ones, such as an echoed "put it in \boxed{}", is ignored);
//     an unclosed last \boxed{ gives ReasonMalformedBox. Neither falls
//     back to a later rule such as the last number;
//   - an answer found by the last-number rule that ends a list or a
//     disjunction of numbers ("3 or 4", "1, 2, 3") gives ReasonHedge or
//     ReasonCandidateList.
func Grade(response, gold string, f Format) Result {
	ex, reason := extract(response, f)
	if reason != "" {
		return Result{Reason: reason}
	}
	res := Result{Pred: ex.Answer, HasPred: true, Rule: ex.Rule}
	if ex.tailReason != "" {
		res.Reason = ex.tailReason
		return res
	}
	g := GoldAnswer(gold)
	ok, why := Check(ex.Answer, g)
	if !ok {
		if why == ReasonMismatch && boxesDiffer(ex) {
			why = ReasonConflicting // "\boxed{4} then \boxed{3}" for 4
		}
		res.Reason = why
		return res
	}
	if why := conflicts(response, ex, g); why != "" {
		res.Reason = why
		return res
	}
	res.Correct = true
	return res
}

// boxesDiffer reports whether some non-empty box differs from the graded
// answer.
func boxesDiffer(ex extraction) bool {
	for _, b := range ex.boxes {
		if b.arg != ex.Answer && Normalize(b.arg) != "" {
			if ok, _ := Check(b.arg, ex.Answer); !ok {
				return true
			}
		}
	}
	return false
}

// conflicts applies the conflicting-answers rule of Grade to a response
// whose graded answer ex is already known to match gold: every other
// final-answer marker must match gold too.
func conflicts(response string, ex extraction, gold string) string {
	agrees := func(a string) bool {
		ok, _ := Check(a, gold)
		return ok
	}
	seen := map[string]bool{ex.Answer: true}
	for _, b := range ex.boxes {
		if b.arg == "" || seen[b.arg] {
			continue
		}
		seen[b.arg] = true
		if !agrees(b.arg) {
			return ReasonConflicting
		}
	}
	for rest := response; ; {
		i := strings.Index(rest, "####")
		if i < 0 {
			break
		}
		rest = rest[i+4:]
		if a := firstLine(rest); a != "" && !seen[a] && !agrees(a) {
			return ReasonConflicting
		}
	}
	if (ex.Rule == "boxed" || ex.Rule == "hashes") && ex.end <= len(response) {
		tail := response[ex.end:]
		locs := reFinalIs.FindAllStringIndex(tail, -1)
		for k, l := range locs {
			next := len(tail)
			if k+1 < len(locs) {
				next = locs[k+1][0]
			}
			a, _ := answerIs(tail[l[0]:next])
			if laterValue(a, gold) && !seen[a] && !agrees(a) {
				return ReasonConflicting
			}
		}
		for _, l := range reAColon.FindAllStringIndex(tail, -1) {
			a := trimSentence(firstLine(tail[l[1]:]))
			if laterValue(a, gold) && !seen[a] && !agrees(a) {
				return ReasonConflicting
			}
		}
	}
	return ""
}

// reFinalIs is the strict form of a final-answer statement used by the
// conflicting-answers rule ("check our answer: ..." is not one).
var reFinalIs = regexp.MustCompile(`(?i)(?:final answer|the answer)\s*(?:is\s*:?|:|=)`)

// laterValue reports whether a "the answer is" statement after the graded
// answer states a value that could contradict it: for a gold with digits
// it must have a digit ("the answer is correct" states nothing), and it
// must not be a verdict word.
func laterValue(a, gold string) bool {
	a = strings.TrimSpace(a)
	if a == "" || (hasDigit(gold) && !hasDigit(a)) {
		return false
	}
	switch strings.ToLower(strings.Trim(a, " .!*")) {
	case "correct", "right", "confirmed", "verified", "consistent", "true", "yes":
		return false
	}
	return true
}
