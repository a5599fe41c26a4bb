package rl

import (
	"math"
	"reflect"
	"strings"
	"testing"
)

// TestRatioMatchesDifflib: the card's values of Python's
// difflib.SequenceMatcher(None, a, b).ratio().
func TestRatioMatchesDifflib(t *testing.T) {
	for _, c := range []struct {
		a, b string
		want float64
	}{
		{"3*5+7", "3*(5+7)", 10.0 / 12}, // "3*" + "5+7": M = 5
		{"9/0+2", "9-2*4", 0.4},         // "9" and "2": M = 2
		{"3*5+7", "7+5*3", 0.2},         // one 1-char block: "3" (earliest in a) leaves no room on either side
		{"3*5+7)", "(3*5+7)", 12.0 / 13},
		{"", "", 1},
		{"abc", "", 0},
		{"f17", "f 17", 6.0 / 7},
	} {
		if got := Ratio(c.a, c.b); math.Abs(got-c.want) > 1e-12 {
			t.Errorf("Ratio(%q, %q) = %v, want %v", c.a, c.b, got, c.want)
		}
	}
}

// call makes a turn "REASONING<call>INPUT<end>".
func call(reason, input string, failed bool) ToolTurn {
	return ToolTurn{Text: reason + "<call>" + input + "<end>", CallStart: len(reason), Input: input, Failed: failed}
}

// TestCLEANERPurify: the card's splices (s = 0.4 < γ: the whole turn is
// replaced; s = 0.923: the old reasoning stays, the call is replaced), the
// retry cap (R_max = 3: the 4th failing call stays with its error and SAAR
// turns off), a retry without a call, and SAAR disabled.
func TestCLEANERPurify(t *testing.T) {
	c := CLEANER{RollbackProb: 1, MaxRetries: 3, SimilarityThreshold: 0.5, SimilarityScope: "call_only", MaxTotalAttempts: 30, FailureMarker: "<err>"}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	answer := ToolTurn{Text: "=9-2*4", CallStart: -1}
	splice := func(turns []ToolTurn, kept []KeptTurn) string {
		var s []string
		for _, k := range kept {
			s = append(s, turns[k.Prefix].Text[:max(0, turns[k.Prefix].CallStart)]+turns[k.From].Text[max(0, turns[k.From].CallStart):])
		}
		return strings.Join(s, "|")
	}
	cases := []struct {
		name    string
		turns   []ToolTurn
		enabled bool
		want    []KeptTurn
		text    string
		stats   PurifyStats
	}{
		{"deep", []ToolTurn{call("t:9/0", "9/0+2", true), call("t:9-2", "9-2*4", false), answer}, true,
			[]KeptTurn{{1, 1, true}, {2, 2, false}}, "t:9-2<call>9-2*4<end>|=9-2*4", PurifyStats{1, 1, 0}},
		{"shallow", []ToolTurn{call("t:3*5", "3*5+7)", true), call("t:x", "(3*5+7)", false), answer}, true,
			[]KeptTurn{{0, 1, false}, {2, 2, false}}, "t:3*5<call>(3*5+7)<end>|=9-2*4", PurifyStats{1, 0, 1}},
		{"retry cap", []ToolTurn{call("a", "1+", true), call("b", "1+)", true), call("c", "1+))", true), call("d", "1+)))", true),
			call("e", "1+))))", true), answer}, true,
			[]KeptTurn{{0, 3, false}, {4, 4, false}, {5, 5, false}}, "a<call>1+)))<end>|e<call>1+))))<end>|=9-2*4", PurifyStats{3, 0, 3}},
		{"retry without a call", []ToolTurn{call("a", "1/0", true), answer, call("b", "2/0", true), call("c", "2/1", false)}, true,
			[]KeptTurn{{0, 0, false}, {1, 1, false}, {2, 2, false}, {3, 3, false}}, "a<call>1/0<end>|=9-2*4|b<call>2/0<end>|c<call>2/1<end>", PurifyStats{}},
		{"disabled", []ToolTurn{call("t:9/0", "9/0+2", true), call("t:9-2", "9-2*4", false), answer}, false,
			[]KeptTurn{{0, 0, false}, {1, 1, false}, {2, 2, false}}, "t:9/0<call>9/0+2<end>|t:9-2<call>9-2*4<end>|=9-2*4", PurifyStats{}},
	}
	for _, k := range cases {
		got, st := c.Purify(k.turns, k.enabled)
		if !reflect.DeepEqual(got, k.want) || st != k.stats {
			t.Errorf("%s: kept %v stats %+v, want %v %+v", k.name, got, st, k.want, k.stats)
		}
		if s := splice(k.turns, got); s != k.text {
			t.Errorf("%s: purified %q, want %q", k.name, s, k.text)
		}
	}
	// γ = 0: every repair is shallow; γ = 1: every repair replaces the turn.
	turns := cases[0].turns
	for _, g := range []struct {
		gamma float64
		deep  bool
	}{{0, false}, {1, true}} {
		c.SimilarityThreshold = g.gamma
		if got, _ := c.Purify(turns, true); got[0].Deep != g.deep {
			t.Errorf("γ = %v: %v", g.gamma, got)
		}
	}
	// Scope with_markers compares the calls with their tags: higher s.
	c.SimilarityScope = "with_markers"
	if s := Ratio(c.callText(turns[0]), c.callText(turns[1])); s <= 0.4 {
		t.Errorf("with markers s = %v", s)
	}
	if (CLEANER{SimilarityScope: "x", MaxTotalAttempts: 1, FailureMarker: "e"}).Validate() == nil {
		t.Error("bad scope accepted")
	}
}
