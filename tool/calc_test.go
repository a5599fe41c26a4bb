package tool

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestCalc(t *testing.T) {
	tests := []struct{ in, want, err string }{
		{"1+2*3", "7", ""},
		{"(1+2)*3", "9", ""},
		{"1/3 + 1/6", "1/2", ""},
		{"0.1 + 0.2", "3/10", ""},
		{"2^10", "1024", ""},
		{"2^-2", "1/4", ""},
		{"2^3^2", "512", ""},
		{"-2^2", "-4", ""},
		{"(-2)^3", "-8", ""},
		{"--3", "3", ""},
		{"6/4", "3/2", ""},
		{"1.50 * 2", "3", ""},
		{"10 - 4 - 3", "3", ""},
		{"12/4/3", "1", ""},
		{"1/0", "", "division by zero"},
		{"0^-1", "", "division by zero"},
		{"2^0.5", "", "exponent"},
		{"10^10^10", "", "exponent"},
		{"10^2000", "", "exceeds 1000 digits"},
		{"(10^900)*(10^900)", "", "exceeds 1000 digits"},
		{strings.Repeat("(", 100) + "1" + strings.Repeat(")", 100), "", "nesting"},
		{strings.Repeat("-", 100) + "1", "", "nesting"},
		{"1+", "", "unexpected end"},
		{"1..2", "", "bad number"},
		{"(1", "", "missing ')'"},
		{"1 2", "", "unexpected"},
		{"abs(1)", "", "unexpected"},
	}
	c := NewCalc()
	for _, tc := range tests {
		got, err := c.Call(context.Background(), tc.in)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%.30q: err %v, want containing %q", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("%q = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
}

func FuzzCalc(f *testing.F) {
	for _, s := range []string{"1+2", "2^-3", "(1/3)^7", "9^9^9", "((((1))))", "1.5/0.25", "-(-(-1))"} {
		f.Add(s)
	}
	c := NewCalc()
	f.Fuzz(func(t *testing.T, s string) {
		start := time.Now()
		c.Call(context.Background(), s)
		if d := time.Since(start); d > time.Second {
			t.Fatalf("%q took %v", s, d)
		}
	})
}

func ExampleCalc() {
	c, _ := New("calc", nil)
	for _, in := range []string{"1/3 + 1/6", "2^10 - 24", "1/0"} {
		out, err := c.Call(context.Background(), in)
		fmt.Print(Format(out, err))
	}
	// Output:
	// <result>1/2</result>
	// <result>1000</result>
	// <error>calc: division by zero</error>
}

func TestCalcOptions(t *testing.T) {
	c, err := New("calc", map[string]any{"max_digits": 5, "max_depth": 3})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct{ in, want, err string }{
		{"10^3", "1000", ""},
		{"10^9", "", "exceeds 5 digits"},
		{"1/10^9", "", "exceeds 5 digits"},
		{"((1))", "1", ""},
		{"((((((1))))))", "", "nesting deeper than 3"},
	}
	for _, tc := range tests {
		got, err := c.Call(context.Background(), tc.in)
		if tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)) || tc.err == "" && (err != nil || got != tc.want) {
			t.Errorf("%q = %q, %v; want %q or error %q", tc.in, got, err, tc.want, tc.err)
		}
	}
}
