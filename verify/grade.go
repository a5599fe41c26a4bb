package verify

import "strings"

// Result is the grade of one response.
type Result struct {
	Pred    string // extracted answer ("" when none)
	HasPred bool
	Rule    string // extraction rule that found Pred
	Correct bool
}

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
// the reference gold (itself reduced by GoldAnswer).
func Grade(response, gold string, f Format) Result {
	ex, ok := Extract(response, f)
	if !ok {
		return Result{}
	}
	return Result{Pred: ex.Answer, HasPred: true, Rule: ex.Rule, Correct: Equivalent(ex.Answer, GoldAnswer(gold))}
}
