package run

import (
	"testing"

	"github.com/autodidact-rl/autodidact/task"
	"github.com/autodidact-rl/autodidact/tokenizer"
)

// TestSearchSelfPlayReadsProposal: a proposer episode "?42" that searched
// "42" twice (a useless page "f 42=63", then "f 17=42") and answered
// "#### f(17)" has question f(17), queries [42 42] (one distinct) and the
// documents of both pages; its advantage is r_prop on every trained token
// while a solver sample keeps the estimator's.
func TestSearchSelfPlayReadsProposal(t *testing.T) {
	tok, err := tokenizer.NewChar(tokenizer.DefaultAlphabet, nil)
	if err != nil {
		t.Fatal(err)
	}
	r, err := LoadRecipe("search_self_play")
	if err != nil {
		t.Fatal(err)
	}
	ms, err := buildMethods(r)
	if err != nil {
		t.Fatal(err)
	}
	p := ms[0].(*searchSelfPlay)
	ru := &runner{r: r, tok: tok}
	if ru.task, err = task.New(r.Task.Name, r.Task.Params); err != nil {
		t.Fatal(err)
	}
	e := retrievalEpisode(t, tok, "?42\n", "<s>42</s>", "<result>f 42=63</result>\n", "<s>42</s>", "<result>f 17=42</result>\n", "#### f(17)")
	pr := readProposal(ru, e.Problem, e, "s")
	if pr.question != "f(17)" || len(pr.queries) != 2 || pr.queries[0] != "42" || len(pr.docs) != 2 || pr.docs[1] != "f 17=42" {
		t.Fatalf("proposal %+v", pr)
	}
	if p.c.Valid(pr.question, "42", pr.queries, len(pr.docs)) != true {
		t.Fatal("one distinct search (min_search_calls 1) with documents: valid")
	}
	solverEp := retrievalEpisode(t, tok, "f(17)\n", "#### 42")
	xs := []sample{{ep: solverEp}, {ep: e}}
	xs[0].layout()
	xs[1].layout()
	p.adv[e] = 0.625
	a := &advantage{seq: []float64{0.5, 0}, tok: [][]float64{{0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5}, nil}}
	m := map[string]any{}
	if err := p.afterAdvantages(ru, xs, a, m); err != nil {
		t.Fatal(err)
	}
	if a.seq[1] != 0.625 || len(a.tok[1]) != len(xs[1].gen) || a.tok[1][0] != 0.625 || a.tok[1][len(a.tok[1])-1] != 0.625 || a.tok[0][0] != 0.5 {
		t.Fatalf("advantages %+v", a)
	}
}
