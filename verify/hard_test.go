package verify

import (
	"strings"
	"testing"
)

// longPrefix is a shared prefix longer than MaxAnswerBytes.
var longPrefix = strings.Repeat("1+", MaxAnswerBytes/2+50)

// TestCheckLongAnswers: an over-long answer or reference is incorrect,
// never compared by a prefix (two long answers that share their first
// MaxAnswerBytes bytes used to be "equal").
func TestCheckLongAnswers(t *testing.T) {
	for _, tc := range []struct {
		name, pred, gold, reason string
	}{
		{"common prefix", longPrefix + "1", longPrefix + "2", ReasonAnswerTooLong},
		{"identical long", longPrefix + "1", longPrefix + "1", ReasonAnswerTooLong},
		{"long pred", longPrefix + "1", "5", ReasonAnswerTooLong},
		{"long gold", "5", longPrefix + "5", ReasonGoldTooLong},
	} {
		ok, why := Check(tc.pred, tc.gold)
		if ok || why != tc.reason {
			t.Errorf("%s: Check = %v, %q; want false, %q", tc.name, ok, why, tc.reason)
		}
		if Equivalent(tc.pred, tc.gold) {
			t.Errorf("%s: Equivalent = true, want false", tc.name)
		}
	}
	if Normalize(longPrefix+"1") == Normalize(longPrefix+"2") {
		t.Error("Normalize must not truncate a long answer into a shared prefix")
	}
	long := `\boxed{` + strings.Repeat("7", MaxAnswerBytes+1) + `}`
	for _, tc := range []struct{ name, resp, gold, reason string }{
		{"long box, long gold", long, strings.Repeat("7", MaxAnswerBytes+1), ReasonAnswerTooLong},
		{"long box", long, "7", ReasonAnswerTooLong},
		{"long gold", `\boxed{7}`, `\boxed{` + longPrefix + `7}`, ReasonGoldTooLong},
	} {
		if g := Grade(tc.resp, tc.gold, MATH); g.Correct || g.Reason != tc.reason {
			t.Errorf("%s: Grade = {Correct:%v Reason:%q}; want incorrect, %q", tc.name, g.Correct, g.Reason, tc.reason)
		}
	}
}

// TestGradeLongResponse: a response over MaxResponseBytes is incorrect; it
// used to be cut to its tail, so a huge boxed matrix lost its \boxed{
// opener and was graded by its last entry.
func TestGradeLongResponse(t *testing.T) {
	var b strings.Builder
	b.WriteString(`\boxed{\begin{pmatrix} `)
	for b.Len() < MaxResponseBytes+100 {
		b.WriteString(`1 & `)
	}
	b.WriteString(`7 \end{pmatrix}}`)
	for _, f := range []Format{Auto, MATH, GSM8K} {
		g := Grade(b.String(), "7", f)
		if g.Correct || g.Reason != ReasonResponseTooLong {
			t.Errorf("Grade(%d-byte matrix, %s) = {Correct:%v Rule:%s Reason:%s}; want incorrect, %s", b.Len(), f, g.Correct, g.Rule, g.Reason, ReasonResponseTooLong)
		}
	}
	if _, ok := Extract(b.String(), Auto); ok {
		t.Error("Extract must find nothing in an over-long response")
	}
	// just under the limit still grades
	ok := strings.Repeat(" ", MaxResponseBytes-20) + `\boxed{7}`
	if g := Grade(ok, "7", MATH); !g.Correct {
		t.Errorf("Grade(response just under the limit) = %+v, want correct", g)
	}
}

// TestGradeRules is the table of responses a policy could write to earn
// reward it did not: each must be graded as listed, with its reason.
func TestGradeRules(t *testing.T) {
	for _, tc := range []struct {
		name, resp, gold string
		f                Format
		correct          bool
		reason           string
	}{
		// hedges
		{"answer is 3 or 4", "The answer is 3 or 4.", "3", Auto, false, ReasonHedge},
		{"boxed 3 or boxed 4", `\boxed{3} or \boxed{4}`, "4", MATH, false, ReasonConflicting},
		{"bare 3 or 4", "3 or 4", "4", Auto, false, ReasonHedge},
		{"either 3 or 4", "either 3 or 4", "4", Auto, false, ReasonHedge},
		{"answer is either", "The answer is either 3 or 4.", "3", Auto, false, ReasonHedge},
		{"text or in box", `\boxed{3 \text{ or } 4}`, "3", MATH, false, ReasonHedge},
		{"hashes hedge", "so\n#### 18 or 19", "#### 18", GSM8K, false, ReasonHedge},
		{"OR upper", `\boxed{3 \text{ OR } 4}`, "4", MATH, false, ReasonHedge},
		{"choice or", `\boxed{(B) \text{ or } (C)}`, `\text{(C)}`, MATH, false, ReasonHedge},
		{"two choices", `\boxed{(C)(B)}`, `\text{(C)}`, MATH, false, ReasonHedge},
		{"choice dots", `\boxed{B. C.}`, "B", MATH, false, ReasonHedge},
		{"but maybe", `\boxed{18 \text{ but maybe } 19}`, "18", MATH, false, ReasonHedge},
		{"not", "The answer is 18, not 19.", "18", Auto, false, ReasonHedge},
		{"perhaps", "#### 18 perhaps 20", "18", GSM8K, false, ReasonHedge},
		{"next sentence or", "The answer is 3. Or 4.", "3", Auto, false, ReasonHedge},
		{"paren or", "The answer is 3 (or 4)", "3", Auto, false, ReasonHedge},
		{"list then or", "it is 1, 2, 3, or 4", "4", Auto, false, ReasonHedge},
		{"x= or x=", "x = 3 or x = 4", "4", Auto, false, ReasonHedge},
		// not hedges
		{"fraction question mark", "The answer is 3/4?", `\frac34`, Auto, true, ""},
		{"same value twice", `so $\boxed{15\frac{39}{40}},$ or $\boxed{\frac{639}{40}}$ inches.`, `\frac{639}{40}`, MATH, true, ""},
		{"or restating", `\boxed{0.5 \text{ or } \frac{1}{2}}`, `\frac12`, MATH, true, ""},
		{"solutions as or-list", `\boxed{x=3 \text{ or } x=4}`, "3, 4", MATH, true, ""},
		{"solutions as and-list", `\boxed{4 \text{ and } 3}`, "3, 4", MATH, true, ""},
		{"list gold", `\boxed{3, 4}`, "3, 4", MATH, true, ""},
		{"interval", `\boxed{(3, 4)}`, "(3,4)", MATH, true, ""},
		{"or in prose", "We can add or multiply: 2+2 = 4, so #### 4", "4", GSM8K, true, ""},
		{"choice with text", `\boxed{(B) 42}`, "(B)", MATH, true, ""},
		// several final answers
		{"two different boxes", `First \boxed{3}. Hmm, \boxed{4}`, "4", MATH, false, ReasonConflicting},
		{"two different boxes, first right", `\boxed{4} then \boxed{3}`, "4", MATH, false, ReasonConflicting},
		{"same box twice", `\boxed{4} so again \boxed{4.0}`, "4", MATH, true, ""},
		{"box then answer is", `\boxed{3}. The answer is 4.`, "3", Auto, false, ReasonConflicting},
		{"box then final answer", "\\boxed{3}\n\nFinal Answer: The final answer is $4$. I hope it is correct.", "3", MATH, false, ReasonConflicting},
		{"box then same answer", "\\boxed{18}\n\nFinal Answer: The final answer is $18$. I hope it is correct.", "18", MATH, true, ""},
		{"answer is then box", "The answer is 4. Wait, 2+1 is 3, so \\boxed{3}", "3", MATH, true, ""},
		{"check our answer", `so $\boxed{44}$. We may check our answer: $17\cdot 44 = 748$, so our answer is correct.`, "44", MATH, true, ""},
		{"the answer is correct", `$\boxed{44}$. So the answer is correct.`, "44", MATH, true, ""},
		{"hashes and box differ", "#### 3\n\\boxed{4}", "3", GSM8K, false, ReasonConflicting},
		{"box and hashes differ", "\\boxed{4}\n#### 3", "4", Auto, false, ReasonConflicting},
		{"hashes then answer is", "#### 3\nThe answer is 4", "3", GSM8K, false, ReasonConflicting},
		{"two hashes lines", "#### 3\n#### 4", "4", GSM8K, false, ReasonConflicting},
		{"box then A line", "\\boxed{3}\nA: 4", "3", MATH, false, ReasonConflicting},
		{"box then two statements", "\\boxed{3}. The answer is 4. So the answer is 3.", "3", MATH, false, ReasonConflicting},
		{"nested box", `\boxed{\boxed{3}}`, "3", MATH, true, ""},
		{"fbox and boxed differ", `\fbox{4} \boxed{3}`, "3", MATH, false, ReasonConflicting},
		// candidate lists
		{"number list last-number", "The candidates are 1, 2, 3, 4, 5", "5", Auto, false, ReasonCandidateList},
		{"number list tight", "maybe 1,2,3,4,5", "5", Auto, false, ReasonCandidateList},
		{"answer is list", "The answer is 1, 2, 3, 4, 5, ...", "3", Auto, false, ReasonCandidateList},
		{"boxed list", `\boxed{1, 2, 3, 4, 5}`, "3", MATH, false, ReasonCandidateList},
		{"answer is and", "The answer is 3 and 4", "3", Auto, false, ReasonCandidateList},
		{"text and", `\boxed{\text{Evelyn and Navin}}`, `\text{Evelyn}`, MATH, false, ReasonCandidateList},
		// restating the question
		{"sum for number", `\boxed{3+4}`, "7", MATH, false, ReasonUnsimplified},
		{"power for number", `\boxed{2^{10}}`, "1024", MATH, false, ReasonUnsimplified},
		{"product for number", "#### 16*2", "32", GSM8K, false, ReasonUnsimplified},
		{"unreduced fraction ok", `\boxed{\frac{14}{2}}`, "7", MATH, true, ""},
		{"scientific ok", `\boxed{3.2 \times 10^{4}}`, "32000", MATH, true, ""},
		// text
		{"anagram", `\boxed{nylevE}`, `\text{Evelyn}`, MATH, false, ReasonMismatch},
		{"text case", `\boxed{\text{evelyn}}`, `\text{Evelyn}`, MATH, true, ""},
		{"text substring", `\boxed{Evelynn}`, `\text{Evelyn}`, MATH, false, ReasonMismatch},
		{"variable product", `\boxed{ba}`, "ab", MATH, true, ""},
		// unicode digits: normalised
		{"fullwidth", `\boxed{３}`, "3", MATH, true, ""},
		{"arabic-indic", "The answer is ٤٢.", "42", Auto, true, ""},
		{"fullwidth wrong", `\boxed{４}`, "3", MATH, false, ReasonMismatch},
		{"math bold", `\boxed{𝟕}`, "7", MATH, true, ""},
		// numbers that are not numbers
		{"huge exponent", `\boxed{1e999999}`, "5", MATH, false, ReasonNotANumber},
		{"huge exponent as product", `\boxed{999999e}`, "1e999999", MATH, false, ReasonMismatch},
		{"huge exponent same", `\boxed{1e999999}`, "1e999999", MATH, true, ""},
		{"nan", `\boxed{NaN}`, "5", MATH, false, ReasonNotANumber},
		{"inf", "The answer is Inf", "5", Auto, false, ReasonNotANumber},
		{"minus infinity", "The answer is -Infinity", `-\infty`, Auto, false, ReasonNotANumber},
		{"infty", `\boxed{\infty}`, `\infty`, MATH, true, ""},
		{"exponent in range", `\boxed{1e4}`, "10000", MATH, true, ""},
		// boxes
		{"empty box", `\boxed{} so 42`, "42", Auto, false, ReasonEmptyBox},
		{"blank box", `\boxed{ } so 42`, "42", MATH, false, ReasonEmptyBox},
		{"empty text box", `\boxed{\text{}} 42`, "42", MATH, false, ReasonEmptyBox},
		{"echoed empty box", "I will put the answer in \\boxed{}.\n2*21 = 42, so \\boxed{42}", "42", MATH, true, ""},
		{"trailing empty box", `\boxed{42} \boxed{}`, "42", MATH, true, ""},
		{"unclosed last box", `\boxed{3} or \boxed{4`, "4", Auto, false, ReasonMalformedBox},
		{"boxplus", `a \boxplus b \boxtimes c = 4, so \fboxsep \boxed{4}`, "4", MATH, true, ""},
		{"box word", "the box holds 4", "4", Auto, true, ""},
		{"box mention", `\boxed. 2+2 = 4`, "4", Auto, true, ""},
		// plain outcomes
		{"no answer", "I do not know", "4", Auto, false, ReasonNoAnswer},
		{"wrong", "The answer is 5", "4", Auto, false, ReasonMismatch},
		{"because", "So the answer is 18 because 9*2=18.", "18", Auto, true, ""},
		{"units", `\boxed{5 \text{ cm}^2}`, "5", MATH, true, ""},
		{"not in prose", "It is not 5 apples: 2+2 = 4. The answer is 4", "4", Auto, true, ""},
		{"sentence then and", "The answer is 4. And that is all.", "4", Auto, true, ""},
	} {
		g := Grade(tc.resp, tc.gold, tc.f)
		if g.Correct != tc.correct || g.Reason != tc.reason {
			t.Errorf("%s: Grade(%q, %q, %s) = {Pred:%q Rule:%s Correct:%v Reason:%q}; want Correct %v, Reason %q",
				tc.name, tc.resp, tc.gold, tc.f, g.Pred, g.Rule, g.Correct, g.Reason, tc.correct, tc.reason)
		}
	}
}

// TestCheckRules covers Check on answers alone (what task.Problem graders
// call through Equivalent).
func TestCheckRules(t *testing.T) {
	for _, tc := range []struct {
		pred, gold string
		ok         bool
		reason     string
	}{
		{"3 or 4", "3", false, ReasonHedge},
		{"3 or 4", "4", false, ReasonHedge},
		{`3 \text{ or } 4`, "3", false, ReasonHedge},
		{"either 3 or 4", "3", false, ReasonHedge},
		{"3 and 4", "3", false, ReasonCandidateList},
		{"x=3 or x=4", "3,4", true, ""},
		{"3 or 4", "3 or 4", true, ""},
		{"3/4", `\frac{3}{4}`, true, ""},
		{"3/4?", `\frac{3}{4}`, true, ""},
		{"1, 2, 3, 4, 5, ...", "3", false, ReasonCandidateList},
		{"(1, 3)", "3", false, ReasonMismatch},
		{"3+4", "7", false, ReasonUnsimplified},
		{"3+5", "7", false, ReasonMismatch},
		{"nylevE", `\text{Evelyn}`, false, ReasonMismatch},
		{"NaN", "NaN", true, ""},
		{"nan", "0", false, ReasonNotANumber},
		{"1e99999", "10^{99999}", false, ReasonNotANumber},
		{"", "3", false, ReasonNoAnswer},
		{"３", "3", true, ""},
		{"(B)(C)", "(C)", false, ReasonHedge},
		{"B.C", "B", false, ReasonHedge},
		{"18 because 9*2=18", "18", true, ""},
	} {
		ok, why := Check(tc.pred, tc.gold)
		if ok != tc.ok || why != tc.reason {
			t.Errorf("Check(%q, %q) = %v, %q; want %v, %q", tc.pred, tc.gold, ok, why, tc.ok, tc.reason)
		}
		if Equivalent(tc.pred, tc.gold) != tc.ok {
			t.Errorf("Equivalent(%q, %q) = %v, want %v", tc.pred, tc.gold, !tc.ok, tc.ok)
		}
	}
}

// TestNormalizeDigits: Unicode digits become ASCII; nothing else changes,
// invalid UTF-8 included (two different invalid bytes stay different).
func TestNormalizeDigits(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"３", "3"}, {"٤٢", "42"}, {"۷", "7"}, {"१२", "12"}, {"𝟗𝟡", "99"}, {"\xff", "\xff"}, {"a\xc3", "a\xc3"}, {"é", "é"},
	} {
		if got := Normalize(tc.in); got != tc.want {
			t.Errorf("Normalize(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	if Equivalent("\xff", "\xfe") {
		t.Error("two different invalid bytes must not be equal")
	}
}
