package rl

import (
	"math"
	"testing"
)

// The card's numeric examples (C6) with its tags <t> <s> <i> <a>, and
// the tiny-scale form of our retrieval environment (no think tags, the
// answer line "#### 42").
func TestSSRLFormatAndReward(t *testing.T) {
	c := SSRL{EMWeight: 0.9, FormatWeight: 0.1, HalfPerThink: 0.5, MaxThink: 8, MaskInformation: true, MaskMultiline: true}
	card := SSRLTags{Think: "t", Search: "s", Info: "i", Answer: "a"}
	tiny := SSRLTags{Search: "s", Info: "result", AnswerPrefix: "#### "}
	cases := []struct {
		name   string
		text   string
		tags   SSRLTags
		em     bool
		format float64
		reward float64
	}{
		{"two hops", "<t>x</t><s>f 17</s><i>f 17=42</i><t>y</t><s>g 42</s><i>g 42=08</i><t>z</t><a>08</a>", card, true, 1, 1.0},
		{"direct answer", "<t>x</t><a>08</a>", card, true, 0.5, 0.95},
		{"one think one search", "<t>x</t><s>f 17</s><i>f 17=42</i><a>42</a>", card, false, 0.25, 0.025},
		{"empty think", "<t></t><a>08</a>", card, true, 0, 0.9},
		{"unknown tag", "<t>x</t><b>y</b><a>08</a>", card, true, 0, 0.9},
		{"search without info", "<t>x</t><s>f 17</s><t>y</t><a>08</a>", card, true, 0, 0.9},
		{"placeholder query", "<t>x</t><s>your query</s><i>f 17=42</i><t>y</t><a>08</a>", card, false, 0, 0},
		{"not ending with answer", "<t>x</t><a>08</a> more", card, true, 0, 0.9},
		{"tiny: search then answer", "<s>f 17</s><result>f 17=42</result>\n#### 42", tiny, true, 1, 1.0},
		{"tiny: direct answer", "#### 42", tiny, false, 0.5, 0.05},
		{"tiny: two searches", "<s>f 17</s><result>f 35=17</result>\n<s>f 17</s><result>f 17=42</result>\n#### 42", tiny, true, 1, 1.0},
		{"tiny: no answer line", "<s>f 17</s><result>f 17=42</result>\n", tiny, false, 0, 0},
		{"tiny: judge tag is foreign", "<s>f 17</s><result>f 17=42</result>\n<jy>#### 42", tiny, true, 0, 0.9},
		{"tiny: unclosed result", "<s>f 17</s><result>f 17=42\n#### 42", tiny, true, 0, 0.9},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := c.Format(tc.text, tc.tags)
			if math.Abs(f-tc.format) > 1e-12 {
				t.Fatalf("F = %v, want %v", f, tc.format)
			}
			if r := c.Reward(tc.em, f); math.Abs(r-tc.reward) > 1e-12 {
				t.Fatalf("R = %v, want %v", r, tc.reward)
			}
		})
	}
}

func TestSSRLInfoSpans(t *testing.T) {
	text := "<s>f 17</s><result>f 17=42</result>\n<s>g 42</s><result>g\n42=8</result>#### 8"
	on := SSRL{MaskMultiline: true}
	got := on.InfoSpans(text, "result")
	want := [][2]int{{11, 35}, {47, 70}}
	if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] {
		t.Fatalf("spans %v, want %v", got, want)
	}
	if text[got[0][0]:got[0][1]] != "<result>f 17=42</result>" {
		t.Fatalf("first span %q", text[got[0][0]:got[0][1]])
	}
	quirk := SSRL{MaskMultiline: false}
	if got := quirk.InfoSpans(text, "result"); len(got) != 1 || got[0] != want[0] {
		t.Fatalf("regex quirk: spans %v, want only %v", got, want[:1])
	}
	if got := on.InfoSpans("<result>never closed", "result"); len(got) != 0 {
		t.Fatalf("an unclosed block is not a span: %v", got)
	}
}
