package episode

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"

	"github.com/autodidact-rl/autodidact/task"
)

// lookupProblem is a hand-made one-hop problem: f(17) = 42, with two
// reversed distractors that tie with the gold fact under BM25 for the
// query "f 17", one of another function with the same key, one unrelated.
func lookupProblem() task.Problem {
	return task.Problem{Task: "lookup", Question: "f(17)", Prompt: "f(17)\n", Answer: "42",
		Meta: map[string]any{"docs": "f 35=17;f 17=42;f 61=17;h 17=90;g 20=31", "gold": "f 17=42"}}
}

// TestRetrievalEnvironment walks an episode by hand: the query "f 17"
// ranks the three tied f-documents with 17 in corpus order, then h 17=90;
// pages of k = 2; a repeat gives the next page, then an error; a query
// matching nothing is an error; judge tags are counted against the label
// "the page holds the gold fact"; the answer line is graded.
func TestRetrievalEnvironment(t *testing.T) {
	_, tok := testModel(t, 64)
	tk, err := task.New("lookup", nil)
	if err != nil {
		t.Fatal(err)
	}
	f, err := New(Options{Name: "retrieval", MaxTurns: 6, Params: map[string]any{"k": 2, "max_calls": 4}},
		Deps{Task: tk, Template: task.DefaultTemplate, Codec: tok})
	if err != nil {
		t.Fatal(err)
	}
	env := f(lookupProblem())
	if obs, err := env.Reset(); err != nil || len(obs.StopSeqs) != 1 {
		t.Fatalf("reset: %v %+v", err, obs)
	}
	steps := []struct {
		act  string
		obs  string
		done bool
	}{
		{"<search>f17</search>", "<error>no results</error>\n", false},
		{"<search>f 17</search>", "<result>f 35=17;f 17=42</result>\n", false},
		{"<jn><search>f 17</search>", "<result>f 61=17;h 17=90</result>\n", false}, // wrong No, then a search
		{"<jn><search>f 17</search>", "<error>no more results</error>\n", false},   // right No
		{"#### 42", "", true},
	}
	var tr Transition
	for i, s := range steps {
		tr, err = env.Step(Action{Text: s.act, Stopped: true, EOS: s.done})
		if err != nil {
			t.Fatal(err)
		}
		got := ""
		if tr.Obs != nil {
			got = tr.Obs.Text
		}
		if got != s.obs || tr.Done != s.done {
			t.Fatalf("step %d %q: got %q done %v, want %q done %v", i, s.act, got, tr.Done, s.obs, s.done)
		}
	}
	want := map[string]float64{"tool_calls": 4, "tool_errors": 2, "judgements": 2, "judge_right": 1, "judge_no": 2,
		"judge_yes": 0, "no_then_search": 2, "no_then_answer": 0, "useful_results": 1}
	for k, v := range want {
		if tr.Info[k] != v {
			t.Errorf("info %s = %v, want %v (all %v)", k, tr.Info[k], v, tr.Info)
		}
	}
	if !tr.Correct || tr.Reward != 1 {
		t.Fatalf("final answer: %+v", tr)
	}
	// A call beyond max_calls is graded as the answer.
	env = f(lookupProblem())
	env.Reset()
	for i := 0; i < 4; i++ {
		env.Step(Action{Text: "<search>f 17</search>", Stopped: true})
	}
	if tr, _ = env.Step(Action{Text: "<search>f 17</search>", Stopped: true}); !tr.Done || tr.Correct {
		t.Fatalf("call past max_calls: %+v", tr)
	}
	for _, bad := range []map[string]any{{"k": 0}, {"demo_error_rate": 2.0}, {"nope": 1}} {
		if _, err := New(Options{Name: "retrieval", Params: bad}, Deps{Task: tk, Codec: tok}); err == nil {
			t.Errorf("params %v accepted", bad)
		}
	}
	// A task without a corpus is refused at reset.
	if _, err := f(task.Problem{Question: "1+1="}).Reset(); err == nil {
		t.Error("a problem without a corpus was accepted")
	}
}

// TestRetrievalDemoAndJudgements: a noiseless demonstration searches,
// judges the page holding the gold fact JudgeYes and answers from it; its
// parts, read back as an episode, give the judgements.
func TestRetrievalDemoAndJudgements(t *testing.T) {
	_, tok := testModel(t, 64)
	tk, _ := task.New("lookup", map[string]any{"max_hops": 2})
	f, err := New(Options{Name: "retrieval", Params: map[string]any{"demo_error_rate": 0, "demo_judge_noise": 0}},
		Deps{Task: tk, Template: task.DefaultTemplate, Codec: tok})
	if err != nil {
		t.Fatal(err)
	}
	parts := f(lookupProblem()).(Demonstrator).Demo(nil, rand.New(rand.NewPCG(1, 1)))
	var b strings.Builder
	ep := &Episode{}
	for _, p := range parts {
		b.WriteString(p.Text + "|")
		seg := Segment{Text: p.Text, Trainable: p.Policy, Role: RolePolicy}
		if !p.Policy {
			seg.Role, seg.Source = RoleTool, SearchTool
		}
		ep.Segments = append(ep.Segments, seg)
	}
	if got, want := b.String(), "<search>f 17</search>|<result>f 35=17;f 17=42</result>\n|<jy>#### 42|"; got != want {
		t.Fatalf("demo %q, want %q", got, want)
	}
	js := Judgements(ep)
	if len(js) != 1 || js[0].Info != "f 35=17;f 17=42" || js[0].Judge != 1 {
		t.Fatalf("judgements %+v", js)
	}
	// Every generated two-hop demonstration is correct without noise when
	// the search budget covers two pages per hop.
	f, _ = New(Options{Name: "retrieval", Params: map[string]any{"demo_error_rate": 0, "demo_judge_noise": 0, "max_calls": 4}},
		Deps{Task: tk, Template: task.DefaultTemplate, Codec: tok})
	ps, _ := task.Generate(tk, task.Train, 3, 100, task.DefaultTemplate)
	for _, p := range ps {
		parts := f(p).(Demonstrator).Demo(nil, rand.New(rand.NewPCG(2, 2)))
		last := parts[len(parts)-1].Text
		if !tk.Grade(p, last).Correct {
			t.Fatalf("demo of %s (%v) ends %q", p.Question, p.Meta, last)
		}
	}
}

// TestRetrievalSelfSearch: with self_search the turn has no stop
// sequence and one action ends the episode, graded by the task; of the
// two result blocks the policy wrote, "f 35=17" is a corpus document
// without the gold fact and "f 17=43" is no document at all (1 true, 0
// gold); a block "f 17=42" would be both.
func TestRetrievalSelfSearch(t *testing.T) {
	_, tok := testModel(t, 64)
	tk, err := task.New("lookup", nil)
	if err != nil {
		t.Fatal(err)
	}
	f, err := New(Options{Name: "retrieval", MaxTurns: 4, Params: map[string]any{"tag": "s", "judge": false, "self_search": true}},
		Deps{Task: tk, Template: task.DefaultTemplate, Codec: tok})
	if err != nil {
		t.Fatal(err)
	}
	env := f(lookupProblem())
	if obs, err := env.Reset(); err != nil || len(obs.StopSeqs) != 0 {
		t.Fatalf("reset: %v, stops %v", err, obs.StopSeqs)
	}
	tr, err := env.Step(Action{Text: "<s>f 17</s><result>f 35=17</result>\n<s>f 17</s><result>f 17=43</result>\n#### 43", EOS: true})
	if err != nil || !tr.Done || tr.Correct || tr.Obs != nil {
		t.Fatalf("step: %v %+v", err, tr)
	}
	want := map[string]float64{"self_searches": 2, "self_results": 2, "self_results_true": 1, "self_results_gold": 0}
	for k, v := range want {
		if tr.Info[k] != v {
			t.Fatalf("info %s = %v, want %v (%v)", k, tr.Info[k], v, tr.Info)
		}
	}
	env = f(lookupProblem())
	env.Reset()
	tr, _ = env.Step(Action{Text: "<s>f 17</s><result>f 17=42</result>\n#### 42", EOS: true})
	if !tr.Correct || tr.Info["self_results_true"] != 1 || tr.Info["self_results_gold"] != 1 {
		t.Fatalf("right self-search: %+v", tr)
	}
}

// TestLookupTable: with a table every problem asking f(k) has the same
// value, every corpus document is the table's fact, no distractor has
// the answer's value, and two tasks with the same seed agree.
func TestLookupTable(t *testing.T) {
	tk, err := task.New("lookup", map[string]any{"table": 7, "reversed": 2, "other_function": 1, "random": 2})
	if err != nil {
		t.Fatal(err)
	}
	lk := tk.(*task.Lookup)
	r := rand.New(rand.NewPCG(1, 2))
	seen := map[string]string{}
	for range 300 {
		p := lk.Draw(r)
		docs, gold, ok := task.LookupCorpus(p)
		if !ok || len(gold) != 1 {
			t.Fatalf("corpus of %+v", p)
		}
		if a, ok := seen[p.Question]; ok && a != p.Answer {
			t.Fatalf("%s = %s and %s", p.Question, a, p.Answer)
		}
		seen[p.Question] = p.Answer
		for _, d := range docs {
			var fn byte
			var k, v int
			if _, err := fmt.Sscanf(d, "%c %d=%d", &fn, &k, &v); err != nil {
				t.Fatalf("doc %q: %v", d, err)
			}
			if tv, ok := lk.TableValue(fn, k); !ok || tv != v {
				t.Fatalf("doc %q is not the table's (%d)", d, tv)
			}
			if d != gold[0] && strconv.Itoa(v) == p.Answer {
				t.Fatalf("distractor %q has the answer's value", d)
			}
		}
	}
	other, _ := task.New("lookup", map[string]any{"table": 7})
	for fn := byte('f'); fn <= 'h'; fn++ {
		for k := 10; k < 100; k++ {
			a, _ := lk.TableValue(fn, k)
			b, _ := other.(*task.Lookup).TableValue(fn, k)
			if a != b || a == k || a < 10 || a > 99 {
				t.Fatalf("%c(%d): %d vs %d", fn, k, a, b)
			}
		}
	}
	if _, ok := lk.TableValue('z', 17); ok {
		t.Fatal("a function outside the table")
	}
}

// TestSearchSelfPlayPieces: questions parse and resolve through the
// documents (two hops; a missing or contradicted fact fails); ProblemFor
// poses a question over the table with its true answer; the proposer's
// problem for an answer has the table as corpus; its demonstration
// searches the answer until a page holds a fact with that value and
// writes that fact's question.
func TestSearchSelfPlayPieces(t *testing.T) {
	for _, tc := range []struct {
		q    string
		docs []string
		want string
		ok   bool
	}{
		{"f(17)", []string{"h 17=90", "f 17=42"}, "42", true},
		{"g(f(17))", []string{"g 42=8", "f 17=42", "f 35=17"}, "8", true},
		{"g(f(17))", []string{"f 17=42"}, "", false},
		{"f(17)", []string{"f 17=42", "f 17=43"}, "", false},
		{"f(7)", []string{"f 7=42"}, "", false},
		{"x(17)", []string{"x 17=42"}, "", false},
		{"f 17", []string{"f 17=42"}, "", false},
	} {
		got, ok := task.ResolveLookup(tc.q, tc.docs)
		if got != tc.want || ok != tc.ok {
			t.Fatalf("ResolveLookup(%q, %v) = %q %v, want %q %v", tc.q, tc.docs, got, ok, tc.want, tc.ok)
		}
	}
	tk, err := task.New("lookup", map[string]any{"table": 1, "max_hops": 2})
	if err != nil {
		t.Fatal(err)
	}
	lk := tk.(*task.Lookup)
	r := rand.New(rand.NewPCG(3, 4))
	p, err := lk.ProblemFor("g(f(17))", r)
	if err != nil {
		t.Fatal(err)
	}
	v1, _ := lk.TableValue('f', 17)
	v2, _ := lk.TableValue('g', v1)
	if p.Question != "g(f(17))" || p.Answer != strconv.Itoa(v2) || p.Meta["gold"] != fmt.Sprintf("f 17=%d;g %d=%d", v1, v1, v2) {
		t.Fatalf("ProblemFor: %+v (f(17) = %d, g(%d) = %d)", p, v1, v1, v2)
	}
	for _, bad := range []string{"f(f(17))", "z(17)", "f(7)", "f(17"} {
		if _, err := lk.ProblemFor(bad, r); err == nil {
			t.Fatalf("ProblemFor(%q) must fail", bad)
		}
	}
	if _, err := lk.ProblemFor("q(17)", r); err == nil {
		t.Fatal("a function outside the task's 3 must fail")
	}
	answer := strconv.Itoa(v1)
	pp := lk.ProposerProblem(answer)
	docs, gold, ok := task.LookupCorpus(pp)
	if !ok || len(docs) != 270 || len(gold) == 0 || pp.Question != "?"+answer {
		t.Fatalf("proposer problem: %d docs, gold %v", len(docs), gold)
	}
	pp.Prompt = pp.Question + "\n"
	_, tok := testModel(t, 64)
	f, err := New(Options{Name: "retrieval", MaxTurns: 4, Params: map[string]any{"tag": "s", "k": 1, "judge": false}},
		Deps{Task: tk, Template: task.DefaultTemplate, Codec: tok})
	if err != nil {
		t.Fatal(err)
	}
	parts := f(pp).(Demonstrator).Demo(nil, r)
	last := parts[len(parts)-1].Text
	q := strings.TrimPrefix(last, task.DefaultTemplate.AnswerPrefix)
	if got, ok := task.ResolveLookup(q, gold); !ok || got != answer || parts[0].Text != "<s>"+answer+"</s>" {
		t.Fatalf("proposer demo %+v: question %q resolves to %q", parts, q, got)
	}
	if _, err := New(Options{Name: "retrieval", Params: map[string]any{"demo_propose_rate": 0.5}},
		Deps{Task: mustTask(t, "lookup"), Codec: tok}); err == nil {
		t.Fatal("demo_propose_rate without a table must fail")
	}
}

func mustTask(t *testing.T, name string) task.Task {
	t.Helper()
	tk, err := task.New(name, nil)
	if err != nil {
		t.Fatal(err)
	}
	return tk
}
