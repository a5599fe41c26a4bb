package task

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
)

func init() {
	register("lookup", func(p map[string]any) (Task, error) {
		t := &Lookup{Functions: 3, MaxHops: 1, Reversed: 2, OtherFunction: 1, Random: 2}
		if err := decodeParams("lookup", p, t); err != nil {
			return nil, err
		}
		if t.Functions < 2 || t.Functions > len(lookupNames) || t.MaxHops < 1 || t.MaxHops > 2 ||
			t.Reversed < 0 || t.OtherFunction < 0 || t.Random < 0 || t.Reversed+t.OtherFunction+t.Random > 20 || t.Table < 0 {
			return nil, fmt.Errorf("task lookup: need 2 <= functions <= %d, 1 <= max_hops <= 2, distractor counts >= 0 (at most 20 per hop), table >= 0", len(lookupNames))
		}
		if t.Table > 0 {
			t.table = lookupTable(t.Table, t.Functions)
		}
		return t, nil
	})
}

// lookupNames are the function names a lookup corpus draws from.
const lookupNames = "fghkpq"

// Lookup asks for the value of one or two nested functions over 2-digit
// ids, f(17) or g(f(17)), whose tables exist only in a small corpus
// generated with the problem: each fact is a document "f 17=42" (f(17) is
// 42). The corpus holds the gold facts (one per hop) and distractors that
// share surface words with a hop's query "f 17": Reversed documents of the
// same function whose value is the key ("f 35=17": a tie with the gold
// document under BM25, so a page of results may miss it), OtherFunction
// documents of another function with the same key ("h 17=90"), and Random
// facts. Values are drawn so that no two documents state the same
// (function, key) and no distractor's value is the answer. The corpus is
// in Meta["docs"] (documents joined by ";", shuffled), the gold facts in
// Meta["gold"] (in hop order, joined by ";"); the model cannot know the
// answer without reading them, so the task is meant for the retrieval
// environment (episode env "retrieval"). Its solver writes only the answer
// line; the grader is the default answer-line grader.
//
// With Table > 0 the facts are not drawn per problem but read from one
// fixed table (seeded by Table): every function maps every id 10..99 to
// one value (never the id itself), the same in every problem, so the
// facts can also be learned into the weights (SSRL's self-search, card
// C6); every corpus document is then a true fact of the table (reversed
// distractors are the table's facts whose value is the key, as many as
// exist up to Reversed).
type Lookup struct {
	Functions     int `json:"functions"`      // function names used (2..6)
	MaxHops       int `json:"max_hops"`       // 1: f(17) only; 2: half the problems are g(f(17))
	Reversed      int `json:"reversed"`       // per hop: same function, value = the key
	OtherFunction int `json:"other_function"` // per hop: another function, same key
	Random        int `json:"random"`         // per hop: random facts
	Table         int `json:"table"`          // 0: facts drawn per problem; > 0: the seed of one fixed fact table

	table map[byte][]int // Table > 0: function -> value of id 10+i
}

// lookupFact is one document of a lookup corpus: fn(key) = val.
type lookupFact struct {
	fn  byte
	key int
	val int
}

// lookupTable makes the fixed fact table of seed: for each of the first
// functions names, a value 10..99 other than the id for every id 10..99.
func lookupTable(seed, functions int) map[byte][]int {
	r := rand.New(rand.NewPCG(uint64(seed), 0x7461626c))
	out := map[byte][]int{}
	for _, n := range []byte(lookupNames[:functions]) {
		vals := make([]int, 90)
		for i := range vals {
			for vals[i] = 10 + r.IntN(90); vals[i] == 10+i; vals[i] = 10 + r.IntN(90) {
			}
		}
		out[n] = vals
	}
	return out
}

// TableValue is fn(key) in the fixed table (ok false without a table or
// for a function or key outside it).
func (t *Lookup) TableValue(fn byte, key int) (int, bool) {
	vals, ok := t.table[fn]
	if !ok || key < 10 || key > 99 {
		return 0, false
	}
	return vals[key-10], true
}

func (*Lookup) Name() string { return "lookup" }
func (*Lookup) Description() string {
	return "one- or two-hop function lookups over a generated fact corpus with distractors (functions, max_hops, reversed, other_function, random)"
}

// Draw makes a question, its gold facts and its distractors.
func (t *Lookup) Draw(r *rand.Rand) Problem {
	names := []byte(lookupNames[:t.Functions])
	r.Shuffle(len(names), func(i, j int) { names[i], names[j] = names[j], names[i] })
	hops := 1
	if t.MaxHops == 2 && r.IntN(2) == 0 {
		hops = 2
	}
	return t.build(r, names, hops, 10+r.IntN(90))
}

// build makes the problem asking names[hops-1](…names[0](key)) with its
// corpus (names holds every function name, the question's first).
func (t *Lookup) build(r *rand.Rand, names []byte, hops, key int) Problem {
	used := map[string]bool{} // "f 17": a (function, key) pair already stated
	values := map[int]bool{}  // values of gold facts (never a distractor's value)
	id := func() int { return 10 + r.IntN(90) }
	fresh := func(except map[int]bool) int {
		for {
			v := id()
			if !except[v] {
				return v
			}
		}
	}
	type fact = lookupFact
	var gold []fact
	k := key
	for h := 0; h < hops; h++ {
		v, ok := t.TableValue(names[h], k)
		if !ok {
			v = fresh(map[int]bool{k: true})
		}
		gold = append(gold, fact{names[h], k, v})
		used[fmt.Sprintf("%c %d", names[h], k)] = true
		values[v] = true
		k = v
	}
	answer := gold[len(gold)-1].val
	var docs []string
	add := func(f fact) bool {
		u := fmt.Sprintf("%c %d", f.fn, f.key)
		if used[u] || f.key == f.val || (f.val == answer) {
			return false
		}
		used[u] = true
		docs = append(docs, fmt.Sprintf("%c %d=%d", f.fn, f.key, f.val))
		return true
	}
	for _, g := range gold {
		docs = append(docs, fmt.Sprintf("%c %d=%d", g.fn, g.key, g.val))
		others := []byte{}
		for _, n := range names {
			if n != g.fn {
				others = append(others, n)
			}
		}
		if t.table != nil {
			t.tableDistractors(g.fn, g.key, others, r, add)
			continue
		}
		for n, tries := 0, 0; n < t.Reversed && tries < 100; tries++ {
			if add(fact{g.fn, fresh(values), g.key}) {
				n++
			}
		}
		for n, tries := 0, 0; n < t.OtherFunction && tries < 100; tries++ {
			if add(fact{others[r.IntN(len(others))], g.key, fresh(values)}) {
				n++
			}
		}
		for n, tries := 0, 0; n < t.Random && tries < 100; tries++ {
			if add(fact{names[r.IntN(len(names))], fresh(nil), fresh(values)}) {
				n++
			}
		}
	}
	r.Shuffle(len(docs), func(i, j int) { docs[i], docs[j] = docs[j], docs[i] })
	q := fmt.Sprintf("%c(%d)", gold[0].fn, key)
	if hops == 2 {
		q = fmt.Sprintf("%c(%c(%d))", gold[1].fn, gold[0].fn, key)
	}
	gs := make([]string, len(gold))
	for i, g := range gold {
		gs[i] = fmt.Sprintf("%c %d=%d", g.fn, g.key, g.val)
	}
	return Problem{Question: q, Answer: strconv.Itoa(answer), Difficulty: hops,
		Meta: map[string]any{"docs": strings.Join(docs, ";"), "gold": strings.Join(gs, ";")}}
}

// ProblemFor makes the problem of a question ("f(17)" or "g(f(17))") over
// the fixed table, with a corpus drawn as Draw draws one: the proposed
// questions of Search Self-play. It fails without a table or for a
// question outside it.
func (t *Lookup) ProblemFor(question string, r *rand.Rand) (Problem, error) {
	if t.table == nil {
		return Problem{}, fmt.Errorf("task lookup: questions can be posed only over a fixed table (table > 0)")
	}
	fns, key, ok := ParseLookupQuestion(question)
	if !ok || len(fns) > t.MaxHops {
		return Problem{}, fmt.Errorf("task lookup: %q is not a question of at most %d hops", question, t.MaxHops)
	}
	names := append([]byte{}, fns...)
	for _, n := range []byte(lookupNames[:t.Functions]) {
		if bytes.IndexByte(fns, n) < 0 {
			names = append(names, n)
		}
	}
	if len(names) != t.Functions || (len(fns) == 2 && fns[0] == fns[1]) {
		return Problem{}, fmt.Errorf("task lookup: %q uses a function outside %s or twice", question, lookupNames[:t.Functions])
	}
	if _, ok := t.TableValue(fns[0], key); !ok {
		return Problem{}, fmt.Errorf("task lookup: %q: key outside 10..99", question)
	}
	p := t.build(r, names, len(fns), key)
	p.Task = t.Name()
	return p, nil
}

// ParseLookupQuestion reads "f(17)" as ([f], 17) and "g(f(17))" as
// ([f g], 17): the functions in hop order and the key.
func ParseLookupQuestion(q string) (fns []byte, key int, ok bool) {
	q = strings.TrimSpace(q)
	for len(q) >= 3 && q[1] == '(' && q[len(q)-1] == ')' {
		fns = append([]byte{q[0]}, fns...)
		q = q[2 : len(q)-1]
	}
	k, err := strconv.Atoi(q)
	if err != nil || len(fns) == 0 || len(q) != 2 {
		return nil, 0, false
	}
	for _, f := range fns {
		if !strings.ContainsRune(lookupNames, rune(f)) {
			return nil, 0, false
		}
	}
	return fns, k, true
}

// ResolveLookup answers a question from documents "f 17=42" alone (the
// rule-based reader of Search Self-play's RAG check): ok is false when a
// hop's fact is missing or stated twice with different values.
func ResolveLookup(question string, docs []string) (string, bool) {
	fns, key, ok := ParseLookupQuestion(question)
	if !ok {
		return "", false
	}
	v := strconv.Itoa(key)
	for _, f := range fns {
		q := string(f) + " " + v + "="
		next := ""
		for _, d := range docs {
			if val, found := strings.CutPrefix(strings.TrimSpace(d), q); found {
				if next != "" && next != val {
					return "", false
				}
				next = val
			}
		}
		if next == "" {
			return "", false
		}
		v = next
	}
	return v, true
}

// TableDocs is every fact of the fixed table as a document, function by
// function in id order (nil without a table): the corpus of Search
// Self-play's proposer.
func (t *Lookup) TableDocs() []string {
	var out []string
	for _, n := range []byte(lookupNames[:t.Functions]) {
		for i, v := range t.table[n] {
			out = append(out, fmt.Sprintf("%c %d=%d", n, 10+i, v))
		}
	}
	return out
}

// ProposerProblem is Search Self-play's proposer task for an answer: the
// question "?42" (write a question whose answer is 42), the whole table as
// the corpus, the facts whose value is the answer as gold, no answer of
// its own (graded by the proposer's reward, not the task), Meta
// "propose" the answer. The caller renders the prompt.
func (t *Lookup) ProposerProblem(answer string) Problem {
	docs := t.TableDocs()
	var gold []string
	for _, d := range docs {
		if strings.HasSuffix(d, "="+answer) {
			gold = append(gold, d)
		}
	}
	return Problem{Task: t.Name(), Question: "?" + answer,
		Meta: map[string]any{"docs": strings.Join(docs, ";"), "gold": strings.Join(gold, ";"), "propose": answer}}
}

// LookupQuestionOf is the question a fact answers: "f 17=42" -> "f(17)".
func LookupQuestionOf(fact string) string {
	fn, key, _ := strings.Cut(LookupQuery(fact), " ")
	return fn + "(" + key + ")"
}

// tableDistractors adds a hop's distractors from the fixed table: the
// facts of fn whose value is key (in id order from a random start, at
// most Reversed), Reversed of another function at key, Random random
// facts; add skips facts already stated or whose value is the answer.
func (t *Lookup) tableDistractors(fn byte, key int, others []byte, r *rand.Rand, add func(lookupFact) bool) {
	type fact = lookupFact
	start := r.IntN(90)
	for i, n := 0, 0; i < 90 && n < t.Reversed; i++ {
		x := 10 + (start+i)%90
		if v, _ := t.TableValue(fn, x); v == key && add(fact{fn, x, v}) {
			n++
		}
	}
	for n, tries := 0, 0; n < t.OtherFunction && tries < 100; tries++ {
		o := others[r.IntN(len(others))]
		if v, ok := t.TableValue(o, key); ok && add(fact{o, key, v}) {
			n++
		}
	}
	names := lookupNames[:t.Functions]
	for n, tries := 0, 0; n < t.Random && tries < 100; tries++ {
		f, x := names[r.IntN(len(names))], 10+r.IntN(90)
		if v, ok := t.TableValue(f, x); ok && add(fact{f, x, v}) {
			n++
		}
	}
}

// LookupCorpus returns a lookup problem's corpus and gold facts (in hop
// order) from its Meta; ok is false when the problem has none.
func LookupCorpus(p Problem) (docs, gold []string, ok bool) {
	d, ok1 := p.Meta["docs"].(string)
	g, ok2 := p.Meta["gold"].(string)
	if !ok1 || !ok2 || d == "" || g == "" {
		return nil, nil, false
	}
	return strings.Split(d, ";"), strings.Split(g, ";"), true
}

// LookupQuery is the search query of a fact "f 17=42": "f 17".
func LookupQuery(fact string) string {
	q, _, _ := strings.Cut(fact, "=")
	return q
}

// Steps has no steps: the answer needs the corpus (a noisy "arith"
// solution gives a wrong value).
func (t *Lookup) Steps(p Problem, r *rand.Rand, err string) ([]string, string) {
	if err == "arith" {
		return nil, perturbAnswer(p.Answer, r)
	}
	return nil, p.Answer
}

func (t *Lookup) Grade(p Problem, completion string) Reward {
	return gradeAnswer(p, completion, DefaultTemplate.AnswerPrefix)
}
