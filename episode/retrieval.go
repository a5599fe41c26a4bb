package episode

import (
	"fmt"
	"math/rand/v2"
	"sort"
	"strings"

	"github.com/autodidact-rl/autodidact/task"
	"github.com/autodidact-rl/autodidact/tool"
)

// The retrieval environment's syntax, fixed so that methods (ReSeek's
// judge reward, CLEANER's rollback) and later environments can parse it.
const (
	// SearchTool is the tool's default name (params.tag): a call is
	// `<search>QUERY</search>`; result segments have it as Source.
	SearchTool = "search"
	// JudgeYes and JudgeNo open the policy turn after a search result:
	// the result is useful (JudgeYes) or not (JudgeNo).
	JudgeYes = "<jy>"
	JudgeNo  = "<jn>"
)

func init() {
	register("retrieval", newRetrievalEnv)
}

// retrievalCfg is the retrieval environment's settings.
type retrievalCfg struct {
	d           Deps
	tag         string
	k           int
	maxCalls    int
	k1, b       float64
	judge       bool
	demoErr     float64
	demoNoise   float64
	stops       [][]int32
	answerLine  string
	selfSearch  bool
	demoPropose float64
}

// newRetrievalEnv builds the retrieval environment over a task whose
// problems carry their own corpus (task lookup: Meta docs and gold).
// Params: tag (the call's tag name, "search"; e.g. "s" for `<s>f 17</s>`,
// shorter sequences for tiny models), k (results per page, 2), max_calls (searches per episode, 3),
// bm25_k1 (1.2), bm25_b (0.75), judge (true: demonstrations open the turn
// after each result with a judge tag), demo_error_rate (0.2: the share of
// a demonstration's hops whose first query is malformed, answered by an
// error and then repeated correctly), demo_judge_noise (0.2: the share of
// demonstration judge tags that are wrong, each acted on as if right),
// self_search (false: true makes the episode one policy turn that does
// not stop at the closing tag, so the policy writes its own `<result>`
// blocks after its queries; SSRL's training rollout, card C6; the
// demonstrations are unchanged), demo_propose_rate (0: the share of
// demonstrations that are Search Self-play proposer episodes for the
// problem's answer instead, see proposeDemo; needs task lookup with a
// table).
func newRetrievalEnv(o Options, d Deps) (Factory, error) {
	if err := checkParams(o, "tag", "k", "max_calls", "bm25_k1", "bm25_b", "judge", "demo_error_rate", "demo_judge_noise", "self_search", "demo_propose_rate"); err != nil {
		return nil, err
	}
	c := &retrievalCfg{d: d}
	var err error
	if c.tag, err = param(o, "tag", SearchTool); err != nil {
		return nil, err
	}
	if c.tag == "" || strings.ContainsAny(c.tag, "<>/ ") {
		return nil, fmt.Errorf("params.tag %q: want a plain name", c.tag)
	}
	if c.k, err = param(o, "k", 2); err != nil {
		return nil, err
	}
	if c.maxCalls, err = param(o, "max_calls", 3); err != nil {
		return nil, err
	}
	if c.k1, err = paramFloat(o, "bm25_k1", 1.2); err != nil {
		return nil, err
	}
	if c.b, err = paramFloat(o, "bm25_b", 0.75); err != nil {
		return nil, err
	}
	if c.judge, err = param(o, "judge", true); err != nil {
		return nil, err
	}
	if c.demoErr, err = paramFloat(o, "demo_error_rate", 0.2); err != nil {
		return nil, err
	}
	if c.demoNoise, err = paramFloat(o, "demo_judge_noise", 0.2); err != nil {
		return nil, err
	}
	if c.selfSearch, err = param(o, "self_search", false); err != nil {
		return nil, err
	}
	if c.demoPropose, err = paramFloat(o, "demo_propose_rate", 0); err != nil {
		return nil, err
	}
	if c.demoPropose < 0 || c.demoPropose > 1 {
		return nil, fmt.Errorf("params.demo_propose_rate: want a share in [0, 1]")
	}
	if lk, ok := d.Task.(*task.Lookup); c.demoPropose > 0 && d.Task != nil && (!ok || lk.TableDocs() == nil) {
		return nil, fmt.Errorf("params.demo_propose_rate needs task lookup with a fixed table (table > 0)")
	}
	if c.k < 1 || c.maxCalls < 1 || c.k1 < 0 || c.b < 0 || c.b > 1 || c.demoErr < 0 || c.demoErr > 1 || c.demoNoise < 0 || c.demoNoise > 1 {
		return nil, fmt.Errorf("params: k >= 1, max_calls >= 1, bm25_k1 >= 0, bm25_b, demo_error_rate, demo_judge_noise in [0, 1]")
	}
	ids, err := d.Codec.Encode("</" + c.tag + ">")
	if err != nil {
		return nil, fmt.Errorf("the closing tag of %s: %w", c.tag, err)
	}
	c.stops = [][]int32{ids}
	c.answerLine = d.Template.AnswerPrefix
	if c.answerLine == "" {
		c.answerLine = task.DefaultTemplate.AnswerPrefix
	}
	return func(p task.Problem) Env { return newRetrieval(c, p) }, nil
}

// paramFloat reads a number parameter (YAML gives ints for "1").
func paramFloat(o Options, key string, def float64) (float64, error) {
	v, ok := o.Params[key]
	if !ok {
		return def, nil
	}
	switch x := v.(type) {
	case float64:
		return x, nil
	case int:
		return float64(x), nil
	}
	return def, fmt.Errorf("params.%s: %v is a %T, want a number", key, v, v)
}

// retrieval is one episode of the retrieval environment: the policy
// searches a per-problem corpus with `<search>QUERY</search>` (params.tag
// names the tags; result segments have the tag as Source; the turn
// stops on the closing tag) and gets the top k documents by BM25
// (tool.BM25; ties in corpus order) as `<result>DOC;DOC</result>`, or
// `<error>no results</error>` when no document shares a term with the
// query. Repeating a query gives the next page of its ranking (an error
// once it is exhausted), so searching again after a useless page can
// help. The turn after a result may open with a judge tag (JudgeYes or
// JudgeNo). A turn that ends otherwise (EOS, its budget, or a call beyond
// max_calls) is the final answer, graded by the task.
//
// Info: tool_calls and tool_errors (as the tool environment), judgements
// (results followed by a judge tag), judge_right (of those, the tag
// agrees with the label "the page holds a gold fact"), judge_yes,
// judge_no, no_then_search and no_then_answer (what the turn after a
// JudgeNo did), useful_results (pages holding a gold fact).
//
// With self_search the episode is one policy turn (no stop sequence):
// the policy writes its queries and the `<result>` blocks itself; the
// turn is graded by the task. Info: self_searches (queries written),
// self_results (result blocks written), self_results_true (blocks whose
// every document is a document of the problem's corpus), self_results_gold
// (blocks holding a gold fact).
type retrieval struct {
	c       *retrievalCfg
	p       task.Problem
	docs    []string
	gold    []string
	index   *tool.BM25
	pages   map[string]int // query terms → pages already shown
	calls   int
	info    map[string]float64
	pending string // the last result, awaiting the next turn's judge tag
	lastNo  bool   // the last judge tag was JudgeNo
}

func newRetrieval(c *retrievalCfg, p task.Problem) *retrieval {
	docs, gold, _ := task.LookupCorpus(p)
	return &retrieval{c: c, p: p, docs: docs, gold: gold, index: tool.NewBM25(docs, c.k1, c.b),
		pages: map[string]int{}, info: map[string]float64{"tool_calls": 0, "tool_errors": 0, "judgements": 0,
			"judge_right": 0, "judge_yes": 0, "judge_no": 0, "no_then_search": 0, "no_then_answer": 0, "useful_results": 0}}
}

func (e *retrieval) Reset() (Observation, error) {
	if e.docs == nil {
		return Observation{}, fmt.Errorf("env retrieval: problem %q has no corpus (use task lookup)", e.p.Question)
	}
	obs, err := e.c.d.prompt(e.p)
	if !e.c.selfSearch {
		obs.StopSeqs = e.c.stops
	}
	return obs, err
}

// selfSearchInfo counts the queries and self-written result blocks of a
// self-search turn and how many of the blocks are true.
func (e *retrieval) selfSearchInfo(text string) map[string]float64 {
	info := map[string]float64{"self_searches": float64(strings.Count(text, "</"+e.c.tag+">")),
		"self_results": 0, "self_results_true": 0, "self_results_gold": 0}
	corpus := map[string]bool{}
	for _, d := range e.docs {
		corpus[d] = true
	}
	for _, body := range ResultBlocks(text) {
		info["self_results"]++
		if e.useful(body) {
			info["self_results_gold"]++
		}
		all := true
		for _, d := range strings.Split(body, ";") {
			all = all && corpus[strings.TrimSpace(d)]
		}
		if all {
			info["self_results_true"]++
		}
	}
	return info
}

// ResultBlocks returns the bodies of the `<result>BODY</result>` blocks
// of a text, in order (an unclosed block is not one).
func ResultBlocks(text string) []string {
	var out []string
	for {
		i := strings.Index(text, "<result>")
		if i < 0 {
			return out
		}
		text = text[i+len("<result>"):]
		j := strings.Index(text, "</result>")
		if j < 0 {
			return out
		}
		out = append(out, text[:j])
		text = text[j+len("</result>"):]
	}
}

// Search returns the next page of query's ranking and advances it; an
// empty query, one no document matches, or an exhausted ranking is an
// error.
func (e *retrieval) Search(query string) ([]string, error) {
	terms := tool.Tokenize(query)
	if len(terms) == 0 {
		return nil, fmt.Errorf("empty query")
	}
	type hit struct {
		i     int
		score float64
	}
	var hits []hit
	for i := range e.docs {
		if s := e.index.Score(query, i); s > 0 {
			hits = append(hits, hit{i, s})
		}
	}
	if len(hits) == 0 {
		return nil, fmt.Errorf("no results")
	}
	sort.SliceStable(hits, func(a, b int) bool { return hits[a].score > hits[b].score })
	key := strings.Join(terms, " ")
	lo := e.pages[key] * e.c.k
	e.pages[key]++
	if lo >= len(hits) {
		return nil, fmt.Errorf("no more results")
	}
	var out []string
	for _, h := range hits[lo:min(lo+e.c.k, len(hits))] {
		out = append(out, e.docs[h.i])
	}
	return out, nil
}

// useful is the environment's label of a page: it holds a gold fact.
func (e *retrieval) useful(page string) bool {
	for _, g := range e.gold {
		if containsDoc(page, g) {
			return true
		}
	}
	return false
}

// containsDoc reports whether doc is one of the ";"-separated documents
// of a result body.
func containsDoc(page, doc string) bool {
	for _, d := range strings.Split(page, ";") {
		if d == doc {
			return true
		}
	}
	return false
}

// ParseJudge reads the judge tag that opens a turn: +1 (JudgeYes), -1
// (JudgeNo) or 0 (none).
func ParseJudge(text string) int {
	t := strings.TrimLeft(text, " \n")
	switch {
	case strings.HasPrefix(t, JudgeYes):
		return 1
	case strings.HasPrefix(t, JudgeNo):
		return -1
	}
	return 0
}

// ResultBody returns the documents of a search result observation
// (`<result>BODY</result>`); ok is false for an error or other text.
func ResultBody(obs string) (string, bool) {
	t := strings.TrimSpace(obs)
	if !strings.HasPrefix(t, "<result>") || !strings.HasSuffix(t, "</result>") {
		return "", false
	}
	return t[len("<result>") : len(t)-len("</result>")], true
}

func (e *retrieval) Step(a Action) (Transition, error) {
	if e.c.selfSearch {
		rw := e.c.d.Task.Grade(e.p, a.Text)
		return Transition{Reward: rw.Reward, Correct: rw.Correct, Done: true, Info: e.selfSearchInfo(a.Text)}, nil
	}
	if e.pending != "" {
		j := ParseJudge(a.Text)
		if j != 0 {
			e.info["judgements"]++
			if (j > 0) == e.useful(e.pending) {
				e.info["judge_right"]++
			}
			if j > 0 {
				e.info["judge_yes"]++
			} else {
				e.info["judge_no"]++
			}
		}
		e.lastNo = j < 0
		e.pending = ""
	}
	call, isCall := tool.FindLastCall(a.Text, []string{e.c.tag})
	isCall = isCall && a.Stopped && !a.EOS && e.calls < e.c.maxCalls
	if e.lastNo {
		if isCall {
			e.info["no_then_search"]++
		} else {
			e.info["no_then_answer"]++
		}
		e.lastNo = false
	}
	if isCall {
		e.calls++
		e.info["tool_calls"]++
		page, err := e.Search(call.Input)
		var text string
		if err != nil {
			e.info["tool_errors"]++
			text = tool.Format("", err)
		} else {
			body := strings.Join(page, ";")
			text = tool.Format(body, nil)
			e.pending = body
			if e.useful(body) {
				e.info["useful_results"]++
			}
		}
		ids, err := e.c.d.Codec.Encode(text)
		if err != nil {
			return Transition{}, fmt.Errorf("env retrieval: encoding a result: %w", err)
		}
		return Transition{Info: e.infoCopy(),
			Obs: &Observation{Role: RoleTool, Source: e.c.tag, Text: text, IDs: ids, StopSeqs: e.c.stops}}, nil
	}
	rw := e.c.d.Task.Grade(e.p, a.Text)
	return Transition{Reward: rw.Reward, Correct: rw.Correct, Done: true, Info: e.infoCopy()}, nil
}

func (e *retrieval) infoCopy() map[string]float64 {
	out := make(map[string]float64, len(e.info))
	for k, v := range e.info {
		out[k] = v
	}
	return out
}

// Demo is a scripted episode: per hop, the query of the gold fact (with
// probability demo_error_rate first written without its space, which the
// search answers with an error), its result, a judge tag on the result
// (wrong with probability demo_judge_noise) and, after JudgeNo, the same
// query again (the next page); after JudgeYes the value is read from the
// gold fact if a page so far held it, else from the page's first document
// (a wrong value), and the next hop searches with it; the last turn is the
// answer line. At most max_calls searches.
func (e *retrieval) Demo(_ func() string, r *rand.Rand) []DemoPart {
	if e.docs == nil {
		return []DemoPart{{Text: e.c.answerLine + e.p.Answer, Policy: true}}
	}
	if _, ok := e.p.Meta["propose"].(string); ok {
		return e.proposeDemo()
	}
	if e.c.demoPropose > 0 && r.Float64() < e.c.demoPropose {
		pp := e.c.d.Task.(*task.Lookup).ProposerProblem(e.p.Answer)
		pp.Prompt = e.c.d.Template.Render(pp.Question)
		if pp.Meta["gold"] != "" {
			return append([]DemoPart{{Text: pp.Prompt, Prompt: true}}, newRetrieval(e.c, pp).proposeDemo()...)
		}
	}
	var parts []DemoPart
	prefix := ""
	value := ""
	calls := 0
	call := func(q string) ([]string, error) {
		parts = append(parts, DemoPart{Text: prefix + "<" + e.c.tag + ">" + q + "</" + e.c.tag + ">", Policy: true, NoEOS: true})
		prefix = ""
		calls++
		page, err := e.Search(q)
		if err != nil {
			parts = append(parts, DemoPart{Text: tool.Format("", err)})
		} else {
			parts = append(parts, DemoPart{Text: tool.Format(strings.Join(page, ";"), nil)})
		}
		return page, err
	}
	for h, g := range e.gold {
		q := task.LookupQuery(g)
		if h > 0 { // the query uses the value read at the previous hop
			q = strings.SplitN(q, " ", 2)[0] + " " + value
		}
		if calls < e.c.maxCalls && r.Float64() < e.c.demoErr {
			call(strings.Replace(q, " ", "", 1))
		}
		found, read := false, ""
		for calls < e.c.maxCalls {
			page, err := call(q)
			if err != nil {
				break
			}
			has := false
			for _, d := range page {
				if strings.HasPrefix(d, q+"=") {
					has, found = true, true
					_, read, _ = strings.Cut(d, "=")
				}
			}
			yes := has
			if r.Float64() < e.c.demoNoise {
				yes = !yes
			}
			if e.c.judge {
				prefix = JudgeNo
				if yes {
					prefix = JudgeYes
				}
			}
			if yes {
				if !found && len(page) > 0 {
					_, read, _ = strings.Cut(page[0], "=")
				}
				break
			}
		}
		if read == "" {
			read = "10"
		}
		value = read
	}
	return append(parts, DemoPart{Text: prefix + e.c.answerLine + value, Policy: true})
}

// proposeDemo is a scripted Search Self-play proposer episode for the
// answer A of a proposer problem ("?A" over the whole table): the query
// "A" repeated (the next page) until a page holds a fact whose value is
// A, then the answer line with that fact's question ("#### f(17)"); when
// no page of max_calls holds one, the question of the last page's first
// document (an invalid proposal). No judge tags, no malformed queries.
func (e *retrieval) proposeDemo() []DemoPart {
	answer, _ := e.p.Meta["propose"].(string)
	var parts []DemoPart
	question := ""
	for calls := 0; calls < e.c.maxCalls && question == ""; calls++ {
		parts = append(parts, DemoPart{Text: "<" + e.c.tag + ">" + answer + "</" + e.c.tag + ">", Policy: true, NoEOS: true})
		page, err := e.Search(answer)
		if err != nil {
			parts = append(parts, DemoPart{Text: tool.Format("", err)})
			break
		}
		parts = append(parts, DemoPart{Text: tool.Format(strings.Join(page, ";"), nil)})
		for _, d := range page {
			if strings.HasSuffix(d, "="+answer) {
				question = task.LookupQuestionOf(d)
				break
			}
		}
		if question == "" && calls == e.c.maxCalls-1 && len(page) > 0 {
			question = task.LookupQuestionOf(page[0])
		}
	}
	return append(parts, DemoPart{Text: e.c.answerLine + question, Policy: true})
}

// Judgement is a search result of an episode and the judge tag that
// opened the policy turn after it.
type Judgement struct {
	Info  string // the result's documents
	Judge int    // +1 JudgeYes, -1 JudgeNo, 0 no tag
}

// Judgements lists an episode's search results (tool segments whose
// text is a `<result>` block; errors excluded) with the judge tags that
// followed them; a result the episode ended on has Judge 0.
func Judgements(e *Episode) []Judgement {
	var out []Judgement
	open := -1
	for _, s := range e.Segments {
		if s.Role == RoleTool {
			if body, ok := ResultBody(s.Text); ok {
				out = append(out, Judgement{Info: body})
				open = len(out) - 1
			}
			continue
		}
		if s.Trainable && open >= 0 {
			out[open].Judge = ParseJudge(s.Text)
			open = -1
		}
	}
	return out
}
