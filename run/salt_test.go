package run

import (
	"math"
	"testing"

	"github.com/autodidact-rl/autodidact/episode"
	"github.com/autodidact-rl/autodidact/tokenizer"
)

// A chain trajectory's policy turn "7+3=10\n10*2=20\n#### 20<eos>" has
// three steps (the last with its end token); in a two-turn episode the
// feedback is a history element, not a step.
func TestSALTSteps(t *testing.T) {
	tok, err := tokenizer.NewChar(tokenizer.DefaultAlphabet, nil)
	if err != nil {
		t.Fatal(err)
	}
	enc := func(s string) []int32 {
		ids, err := tok.Encode(s)
		if err != nil {
			t.Fatal(err)
		}
		return ids
	}
	eos, _ := tok.Special("<eos>")
	y := append(enc("7+3=10\n10*2=20\n#### 20"), eos)
	e := &episode.Episode{Segments: []episode.Segment{
		{Role: episode.RolePrompt, IDs: enc("7+3*2\n")},
		{Role: episode.RolePolicy, IDs: y, Trainable: true},
		{Role: episode.RoleObservation, IDs: enc("Check again.\n")},
		{Role: episode.RolePolicy, IDs: append(enc("#### 20"), eos), Trainable: true},
	}}
	hist, steps, spans := saltSteps(e, tok.Decode)
	want := []string{"7+3=10\n", "10*2=20\n", "#### 20" + tok.Decode([]int32{eos}), "observation:Check again.\n", "#### 20" + tok.Decode([]int32{eos})}
	if len(hist) != len(want) {
		t.Fatalf("history %q, want %q", hist, want)
	}
	for i := range want {
		if hist[i] != want[i] {
			t.Errorf("element %d = %q, want %q", i, hist[i], want[i])
		}
	}
	if len(steps) != 4 || steps[3] != 4 {
		t.Errorf("steps %v, want [0 1 2 4]", steps)
	}
	wantSpans := [][2]int{{0, 7}, {7, 15}, {15, 23}, {23, 31}}
	for k, sp := range wantSpans {
		if spans[k] != sp {
			t.Errorf("span %d = %v, want %v", k, spans[k], sp)
		}
	}
}

// Two chain trajectories that share their first line and differ after:
// GRPO advantages ±0.7071 (R = [1, 0], unbiased std 0.7071) become 0 on the
// shared line and stay ±0.7071 on the rest.
func TestSALTAdvantages(t *testing.T) {
	tok, err := tokenizer.NewChar(tokenizer.DefaultAlphabet, nil)
	if err != nil {
		t.Fatal(err)
	}
	r, err := LoadRecipe("salt")
	if err != nil {
		t.Fatal(err)
	}
	r.RL.GroupSize = 2
	ms, err := buildMethods(r)
	if err != nil {
		t.Fatal(err)
	}
	ru := &runner{r: r, tok: tok}
	var xs []sample
	a := &advantage{seq: []float64{0.7071, -0.7071}}
	for i, text := range []string{"7+3=10\n10*2=20\n#### 20", "7+3=10\n10*2=21\n#### 21"} {
		ids, _ := tok.Encode(text)
		e := &episode.Episode{Segments: []episode.Segment{{Role: episode.RolePrompt, IDs: []int32{1}}, {Role: episode.RolePolicy, IDs: ids, Trainable: true}}}
		xs = append(xs, sample{ep: e, gen: ids})
		row := make([]float64, len(ids))
		for k := range row {
			row[k] = a.seq[i]
		}
		a.tok = append(a.tok, row)
	}
	m := map[string]any{}
	if err := ms[0].(advantageHook).afterAdvantages(ru, xs, a, m); err != nil {
		t.Fatal(err)
	}
	for i := range xs {
		for k, v := range a.tok[i] {
			want := a.seq[i]
			if k < 7 {
				want = 0
			}
			if math.Abs(v-want) > 1e-12 {
				t.Errorf("trajectory %d token %d advantage %v, want %v", i, k, v, want)
			}
		}
	}
	if got := m["salt_shared_frac"].(float64); math.Abs(got-14.0/44) > 1e-12 {
		t.Errorf("shared fraction %v, want 14/44", got)
	}
}
