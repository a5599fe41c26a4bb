package verify

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestExtract(t *testing.T) {
	for _, tc := range []struct {
		resp string
		f    Format
		want string
		rule string
	}{
		{`So the total is $\boxed{\frac{14}{3}}$.`, Auto, `\frac{14}{3}`, "boxed"},
		{`first \boxed{1} then \boxed{\left( 3, \frac{\pi}{2} \right)}`, Auto, `\left( 3, \frac{\pi}{2} \right)`, "boxed"},
		{`nested \boxed{\{1, \{2\}\}} ok`, Auto, `\{1, \{2\}\}`, "boxed"},
		{`\fbox{7}`, Auto, "7", "boxed"},
		{`The answer is \boxed 5$`, Auto, "5", "boxed"},
		{"She makes 9 * 2 = $<<9*2=18>>18.\n#### 18", GSM8K, "18", "hashes"},
		{"#### 1,000\n", Auto, "1,000", "hashes"},
		{"Thus, the answer is 42.", Auto, "42", "answer-is"},
		{"The final answer is: $3.5$.", Auto, "3.5", "answer-is"},
		{"**Final Answer:** 17 apples", Auto, "17 apples", "answer-is"},
		{"Work...\nA: 12\n", Auto, "12", "a-colon"},
		{"He has 3 apples and buys 5 more, so 8 in all", Auto, "8", "last-number"},
		{"It costs $1,250.50 total.", Auto, "$1,250.50", "last-number"},
		{"half is 3/4 of it", Auto, "3/4", "last-number"},
		{"both: \\boxed{2} but #### 3", GSM8K, "3", "hashes"},
		{"Final Answer: The final answer is $18$. I hope it is correct.", Auto, "18", "answer-is"},
		{"Final Answer: The final answer is 3.5. I hope it is correct.", Auto, "3.5", "answer-is"},
		{"So the answer is 18 because 9*2=18.", Auto, "18 because 9*2=18", "answer-is"},
		{"The answer is \\(\\frac{1}{2}\\).", Auto, "\\(\\frac{1}{2}\\)", "answer-is"},
		{"both: \\boxed{2} but #### 3", MATH, "2", "boxed"},
	} {
		got, ok := Extract(tc.resp, tc.f)
		if !ok || got.Answer != tc.want || got.Rule != tc.rule {
			t.Errorf("Extract(%q, %s) = %+v, %v; want %q by %s", tc.resp, tc.f, got, ok, tc.want, tc.rule)
		}
	}
	if _, ok := Extract("no digits here", Auto); ok {
		t.Error("a response with no answer must extract nothing")
	}
}

func TestEquivalent(t *testing.T) {
	for _, tc := range []struct {
		pred, gold string
		want       bool
	}{
		// numbers, separators, units, currency, percent
		{"18", "18", true},
		{"18.00", "18", true},
		{"$18", "18", true},
		{"18 dollars", "18", true},
		{"1,000", "1000", true},
		{"1{,}000", "1000", true},
		{"-5", "-5", true},
		{"17", "18", false},
		{"0.5", `\frac{1}{2}`, true},
		{"1/2", `\frac12`, true},
		{`\dfrac{3}{56}`, `\frac{3}{56}`, true},
		{"-\\frac{1}{2}", "-0.5", true},
		{"1.2e3", "1200", true},
		{`1.2\times10^{3}`, "1200", true},
		{`10\%`, "10", true},
		{"50%", "0.5", true},
		{`90^\circ`, "90", true},
		{`90^{\circ}`, `90`, true},
		{"3.14", `\pi`, false},
		// symbolic expressions
		{`3\sqrt{13}`, `3\sqrt{13}`, true},
		{`\sqrt{117}`, `3\sqrt{13}`, true},
		{`11\sqrt2`, `11\sqrt{2}`, true},
		{`70 \sqrt{2}`, `70\sqrt{2}`, true},
		{`\frac{\sqrt{3}}{3}`, `\frac{1}{\sqrt{3}}`, true},
		{`6 - 5i`, `6-5i`, true},
		{`-5i+6`, `6-5i`, true},
		{`6+5i`, `6-5i`, false},
		{`x^5 - x^4 + x^3 - x^2 + x - 1`, `x^5-x^4+x^3-x^2+x-1`, true},
		{`(x-1)(x^4+x^2+1)`, `x^5 - x^4 + x^3 - x^2 + x - 1`, true},
		{`x^5 - x^4`, `x^5 + x^4`, false},
		{`p - q`, `-q+p`, true},
		{`-\frac{\pi}{6}`, `-\pi/6`, true},
		{`2\pi`, `\pi`, false},
		{`\sqrt[3]{8}`, `\sqrt{4}`, true},
		{`5!`, `5\cdot 4!`, true},
		{`1 - \cos^2 x`, `\sin^2 x`, true},
		{`2`, `\sqrt[3]{8}`, true}, // a number answers an expression gold
		// a number gold needs a number: these restate the question
		{`\sqrt[3]{8}`, `2`, false},
		{`5!`, `120`, false},
		{`\sin^2 x + \cos^2 x`, `1`, false},
		{`+5`, `5`, true},
		{`1.2 \times 10^{-3}`, `0.0012`, true},
		// assignments, equations, text
		{"x=5", "5", true},
		{"5", "x=5", true},
		{"y = 2x + 3", "y=3+2x", true},
		{`\text{Evelyn}`, "Evelyn", true},
		{"evelyn", `\text{Evelyn}`, true},
		{"Bob", `\text{Evelyn}`, false},
		// tuples, intervals, sets, lists, matrices
		{`\left( 3, \frac{\pi}{2} \right)`, `(3,\frac{\pi}{2})`, true},
		{`(3, \pi/2)`, `\left( 3, \frac{\pi}{2} \right)`, true},
		{`(\pi/2, 3)`, `\left( 3, \frac{\pi}{2} \right)`, false},
		{`[1, 2)`, `[1,2)`, true},
		{`(1, 2)`, `[1,2)`, false},
		{`(-\infty, 3] \cup [5, \infty)`, `(-\infty,3]\cup[5,\infty)`, true},
		{"1,-2", "1,-2", true},
		{"-2, 1", "1,-2", true},
		{"3, 5, 7", "3,5,7", true},
		{"3, 5", "3,5,7", false},
		{`\{1, 2, 3\}`, `\{3,2,1\}`, true},
		{`\begin{pmatrix} 1 & 2 \\ 3 & 4 \end{pmatrix}`, `\begin{pmatrix}1&2\\3&4\end{pmatrix}`, true},
		{`\begin{pmatrix} 1 & 2 \\ 3 & 5 \end{pmatrix}`, `\begin{pmatrix}1&2\\3&4\end{pmatrix}`, false},
		{`\begin{pmatrix} 1/2 \\ 0.25 \end{pmatrix}`, `\begin{pmatrix}\frac12\\\frac14\end{pmatrix}`, true},
		// multiple choice
		{"(B)", "B", true},
		{"B", `\text{(B)}`, true},
		{"(B) 42", "(B)", true},
		{"C", "(B)", false},
		// bases and odd answers compare as strings
		{"52_8", "52_8", true},
		{`5 \text{ cm}^2`, "5", true},
		{`x \in [1, 2)`, "[1,2)", true},
		{`18 \text{ dollars}`, "18", true},
		{"3 x", "3x", true},
		{"1011_{2}", "1011_2", true},
		{`2\frac{1}{2}`, `\frac52`, true},
		{`2\frac{1}{2}`, `1`, false},
		{"18 because 9*2=18", "18", true},
		{`\$32,348`, "32348", true},
		{"5/4", "1.25", true},
		{"", "5", false},
	} {
		if got := Equivalent(tc.pred, tc.gold); got != tc.want {
			t.Errorf("Equivalent(%q, %q) = %v, want %v (normalised %q vs %q)", tc.pred, tc.gold, got, tc.want, Normalize(tc.pred), Normalize(tc.gold))
		}
	}
}

func sharedData(t testing.TB, rel string) string {
	p := filepath.Join("..", "..", "shared", "data", rel)
	if _, err := os.Stat(p); err != nil {
		t.Skipf("%s not available: %v", p, err)
	}
	return p
}

func readJSONL(t testing.TB, path string, fn func(map[string]any)) {
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		var row map[string]any
		if err := json.Unmarshal(sc.Bytes(), &row); err != nil {
			t.Fatal(err)
		}
		fn(row)
	}
}

// TestReferenceSolutionsGradeCorrect is the bar: each reference
// solution graded against its own gold answer, >= 99.5% correct.
func TestReferenceSolutionsGradeCorrect(t *testing.T) {
	for _, tc := range []struct {
		file, solution, answer string
		f                      Format
	}{
		{"gsm8k/test.jsonl", "answer", "answer", GSM8K},
		{"gsm8k/train.jsonl", "answer", "answer", GSM8K},
		{"math500/test.jsonl", "solution", "answer", MATH},
	} {
		path := sharedData(t, tc.file)
		n, ok := 0, 0
		readJSONL(t, path, func(row map[string]any) {
			n++
			sol, _ := row[tc.solution].(string)
			gold, _ := row[tc.answer].(string)
			if Grade(sol, gold, tc.f).Correct && Grade(sol, gold, Auto).Correct {
				ok++
			} else if n-ok <= 5 {
				t.Logf("%s line %d: gold %q, extracted %+v", tc.file, n, GoldAnswer(gold), Grade(sol, gold, tc.f))
			}
		})
		rate := float64(ok) / float64(n)
		t.Logf("%s: %d/%d = %.2f%%", tc.file, ok, n, 100*rate)
		if rate < 0.995 {
			t.Errorf("%s: %.2f%% of reference solutions grade correct, want >= 99.5%%", tc.file, 100*rate)
		}
	}
}

func FuzzExtract(f *testing.F) {
	for _, s := range []string{`\boxed{\frac{1}{2}}`, "#### 5", "the answer is 3", "A: 4", `\boxed{{{`, "1,2,3", `\boxed{3} or \boxed{4}`, "either 3 or 4", `\boxed{}`, "３ or ٤", "1e999999", "NaN"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		start := time.Now()
		if ex, ok := Extract(s, Auto); ok && ex.Answer == "" {
			t.Fatal("extracted an empty answer")
		}
		Extract(s, GSM8K)
		for _, g := range []Result{Grade(s, "42", Auto), Grade(s, s, MATH), Grade(s, `\boxed{`+s+`}`, GSM8K)} {
			if g.Correct == (g.Reason != "") {
				t.Fatalf("Grade: Correct %v with Reason %q", g.Correct, g.Reason)
			}
		}
		if d := time.Since(start); d > 100*time.Millisecond {
			t.Fatalf("Extract and Grade took %v", d)
		}
	})
}

func FuzzEquivalent(f *testing.F) {
	for _, s := range [][2]string{{`\frac{1}{2}`, "0.5"}, {`(x+1)^2`, `x^2+2x+1`}, {`\sqrt[3]{8}`, "2"}, {`\{1,2\}`, `\{2,1\}`}, {`\begin{pmatrix}1\\2\end{pmatrix}`, "x"}, {"10^{99999}", "1e99999"}, {"((((((", "|||"}} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		start := time.Now()
		Equivalent(a, b)
		if d := time.Since(start); d > 100*time.Millisecond {
			t.Fatalf("Equivalent(%q, %q) took %v", a, b, d)
		}
	})
}

// BenchmarkGradeGSM8K measures responses graded per second on one core
// for GSM8K-style solutions (the bar is 20k/s).
func BenchmarkGradeGSM8K(b *testing.B) {
	resp := "Janet sells 16 - 3 - 4 = <<16-3-4=9>>9 duck eggs a day.\nShe makes 9 * 2 = $<<9*2=18>>18 every day at the farmer’s market.\nSo the answer is 18."
	for i := 0; i < b.N; i++ {
		if !Grade(resp, "#### 18", GSM8K).Correct {
			b.Fatal("wrong grade")
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "responses/s")
}
