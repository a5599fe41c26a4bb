package tool

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestRunPrograms(t *testing.T) {
	tests := []struct{ name, src, out, err string }{
		{"arith", "print(1 + 2 * 3, 7 / 2, -7 / 2, -7 % 3, (1 + 2) * 3)", "7 3 -4 2 9", ""},
		{"vars", "x = 5\nx = x * x\nprint(x)", "25", ""},
		{"if", "x = 3\nif x > 2 { print(\"big\") } else { print(\"small\") }", "big", ""},
		{"elseif", "x = 1\nif x > 2 { print(1) } else if x > 0 { print(2) } else { print(3) }", "2", ""},
		{"while", "i = 0\ns = 0\nwhile i < 10 { s = s + i; i = i + 1 }\nprint(s)", "45", ""},
		{"fib", "def fib(n) {\n if n < 2 { return n }\n return fib(n-1) + fib(n-2)\n}\nprint(fib(15))", "610", ""},
		{"lists", "xs = [3, 1]\npush(xs, 4)\nxs[0] = 9\nprint(xs, len(xs), xs[-1], pop(xs), xs + [\"a\"])", "[9, 1, 4] 3 4 4 [9, 1, \"a\"]", ""},
		{"bools", "print(1 < 2 and not false, true or 1 / 0 == 0, [1, [2]] == [1, [2]])", "true true true", ""},
		{"strings", "s = \"ab\" + str(12)\nprint(s, len(s), s[1])", "ab12 4 b", ""},
		{"locals", "x = 1\ndef f() { x = 2\n return x }\nprint(f(), x)", "2 1", ""},
		{"assert ok", "assert 1 + 1 == 2\nprint(\"fine\")", "fine", ""},
		{"assert fails", "print(1)\n\nassert 1 == 2", "1", "assertion failed at line 3"},
		{"parse", "x = (1 +\n  * 2)", "", "parse error at 2:3"},
		{"unterminated", "print(\"abc)", "", "parse error at 1:7: unterminated string"},
		{"undefined", "print(y)", "", "line 1: undefined variable y"},
		{"div zero", "x = 0\nprint(1 / x)", "", "line 2: division by zero"},
		{"overflow", "x = 9223372036854775807\nprint(x + 1)", "", "integer overflow"},
		{"big literal", "print(99999999999999999999)", "", "out of range"},
		{"type", "print(1 + \"a\")", "", "int + string"},
		{"assert is ErrAssert", "assert false", "", "assertion failed at line 1"},
		{"return top", "return 1", "", "return outside a function"},
		{"index", "print([1][5])", "", "index 5 out of range"},
	}
	for _, tc := range tests {
		res, err := RunProgram(context.Background(), tc.src, DefaultLimits)
		if tc.err == "" && err != nil || tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)) {
			t.Errorf("%s: err %v, want %q", tc.name, err, tc.err)
		}
		if got := strings.Join(res.Output, "\n"); got != tc.out {
			t.Errorf("%s: output %q, want %q", tc.name, got, tc.out)
		}
	}
}

// TestRunLimits feeds hostile programs; each must stop with its own error
// well within the wall-clock limit.
func TestRunLimits(t *testing.T) {
	limits := DefaultLimits
	limits.Time = 2 * time.Second
	tests := []struct {
		name, src string
		want      error
		msg       string
	}{
		{"infinite loop", "while true { }", ErrSteps, ""},
		{"deep recursion", "def f(n) { return f(n + 1) }\nf(0)", ErrRecursion, ""},
		{"mutual recursion", "def a() { return b() }\ndef b() { return a() }\na()", ErrRecursion, ""},
		{"list doubling", "xs = [1]\nwhile true { xs = xs + xs }", ErrMemory, ""},
		{"push forever", "xs = []\nwhile true { push(xs, 1) }", ErrMemory, ""},
		{"many lists", "while true { xs = range(1000) }", ErrMemory, ""},
		{"string doubling", "s = \"ab\"\nwhile true { s = s + s }", ErrMemory, ""},
		{"huge range", "xs = range(1000000000)", ErrMemory, ""},
		{"huge integer", "x = 2\nwhile true { x = x * x }", nil, "integer overflow"},
		{"open file", "f = open(\"/etc/passwd\")\nprint(read(f))", nil, "undefined function open"},
		{"network", "http_get(\"http://example.com\")", nil, "undefined function http_get"},
		{"import", "import os", nil, "undefined variable import"},
		{"exec", "exec(\"rm -rf /\")", nil, "undefined function exec"},
		{"deep nesting", strings.Repeat("(", 10000) + "1" + strings.Repeat(")", 10000), nil, "nesting deeper"},
		{"deep blocks", strings.Repeat("if true {", 5000), nil, "nesting deeper"},
		{"self-containing list", "xs = [1]\npush(xs, xs)\nprint(xs)", nil, "value nested deeper"},
		{"self-containing compare", "xs = [1]\npush(xs, xs)\npush(xs, xs)\nprint(xs == xs)", nil, ""},
		{"huge compares", "xs = range(100000)\nwhile true { ys = xs == xs }", ErrSteps, ""},
		{"print flood", "while true { print(\"spam spam spam\") }", nil, "output limit"},
	}
	for _, tc := range tests {
		start := time.Now()
		res, err := RunProgram(context.Background(), tc.src, limits)
		d := time.Since(start)
		if err == nil {
			t.Errorf("%s: no error, output %q", tc.name, res.Output)
			continue
		}
		if tc.want != nil && !errors.Is(err, tc.want) || tc.msg != "" && !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("%s: err %v, want %v %q", tc.name, err, tc.want, tc.msg)
		}
		t.Logf("%s: %v after %v", tc.name, err, d)
		if d > limits.Time/2 {
			t.Errorf("%s: took %v", tc.name, d)
		}
	}
	// The time limit stops a loop the step limit would allow.
	slow := DefaultLimits
	slow.Steps = 1 << 60
	slow.Time = 50 * time.Millisecond
	start := time.Now()
	_, err := RunProgram(context.Background(), "while true { }", slow)
	if !errors.Is(err, ErrTime) || time.Since(start) > time.Second {
		t.Errorf("time limit: err %v after %v", err, time.Since(start))
	}
	// So does a cancelled context.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := RunProgram(ctx, "while true { }", slow); !errors.Is(err, ErrTime) {
		t.Errorf("cancelled: err %v", err)
	}
}

func TestRunWithTests(t *testing.T) {
	program := "def add(a, b) { return a - b }\ndef mul(a, b) { return a * b }"
	tests := "assert mul(2, 3) == 6\nassert add(2, 3) == 5\nassert add(2, 0) == 2"
	res, err := RunWithTests(program, tests, DefaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	want := []AssertResult{{1, true, true}, {2, true, false}, {3, true, true}}
	if fmt.Sprint(res.Asserts) != fmt.Sprint(want) || res.Passed() {
		t.Errorf("asserts %v passed %v, want %v false", res.Asserts, res.Passed(), want)
	}
	fixed := strings.Replace(program, "a - b", "a + b", 1)
	if res, err := RunWithTests(fixed, tests, DefaultLimits); err != nil || !res.Passed() {
		t.Errorf("fixed: %v %v", res, err)
	}
	if _, err := RunWithTests(program, "assert (", DefaultLimits); err == nil || !strings.HasPrefix(err.Error(), "tests: parse error at 1:9") {
		t.Errorf("tests parse error: %v", err)
	}
	if _, err := RunWithTests("def f( {", tests, DefaultLimits); err == nil || !strings.HasPrefix(err.Error(), "program: parse error") {
		t.Errorf("program parse error: %v", err)
	}
	res, err = RunWithTests("def f(n) { return f(n) }", "assert true\nf(1)", DefaultLimits)
	if !errors.Is(err, ErrRecursion) || len(res.Asserts) != 1 {
		t.Errorf("recursion in tests: %v %v", res, err)
	}
}

func FuzzRunParser(f *testing.F) {
	for _, s := range []string{
		"x = 1\nprint(x)", "def f(n) { if n < 1 { return 0 } return f(n-1) }\nprint(f(3))",
		"while true { }", "xs = [1, [2, \"a\"]]\nxs[1][0]", "assert not (1 == 2) or false", "print(\"\\n\\\"\")",
	} {
		f.Add(s)
	}
	limits := DefaultLimits
	limits.Steps = 100_000
	limits.Time = 200 * time.Millisecond
	f.Fuzz(func(t *testing.T, src string) {
		start := time.Now()
		RunProgram(context.Background(), src, limits)
		if d := time.Since(start); d > 2*time.Second {
			t.Fatalf("%q took %v", src, d)
		}
	})
}

func ExampleRun() {
	r, _ := New("run", map[string]any{"steps": 10000})
	out, err := r.Call(context.Background(), `
def fib(n) {
  if n < 2 { return n }
  return fib(n - 1) + fib(n - 2)
}
xs = []
i = 0
while i < 8 { push(xs, fib(i)); i = i + 1 }
print(xs)`)
	fmt.Print(Format(out, err))
	out, err = r.Call(context.Background(), "print(1)\nwhile true { }")
	fmt.Print(Format(out, err))
	// Output:
	// <result>[0, 1, 1, 2, 3, 5, 8, 13]</result>
	// <error>1
	// line 2: step limit exceeded</error>
}

func ExampleRunWithTests() {
	program := "def double(x) { return x + x }"
	tests := "assert double(2) == 4\nassert double(-3) == -6\nprint(double(21))"
	res, err := RunWithTests(program, tests, DefaultLimits)
	fmt.Println(res.Output, res.Asserts, res.Passed(), err)
	// Output:
	// [42] [{1 true true} {2 true true}] true <nil>
}
