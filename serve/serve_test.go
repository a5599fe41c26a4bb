package serve

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/autodidact-rl/autodidact/hf"
	"github.com/autodidact-rl/autodidact/lm"
)

// testModelDir builds a model directory for tests: the random-weight
// 300-token Qwen3 of hf/testdata/qwen3-f32 (64 positions) with the
// byte-level tokenizer and Qwen3 chat template of serve/testdata
// (gen_tokenizer.py writes them).
func testModelDir(t testing.TB) string {
	t.Helper()
	dir := t.TempDir()
	for _, f := range []struct{ src, dst string }{
		{"../hf/testdata/qwen3-f32/config.json", "config.json"},
		{"../hf/testdata/qwen3-f32/model.safetensors", "model.safetensors"},
		{"testdata/tokenizer.json", "tokenizer.json"},
		{"testdata/tokenizer_config.json", "tokenizer_config.json"},
	} {
		b, err := os.ReadFile(f.src)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f.dst), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

type fixture struct {
	srv *Server
	ts  *httptest.Server
	ref *hf.Pretrained // a second copy of the model for reference computations
	dir string
}

func newFixture(t testing.TB, opt Options) *fixture {
	t.Helper()
	dir := testModelDir(t)
	p, err := hf.Open(dir, hf.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ref, err := hf.Open(dir, hf.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if opt.ModelName == "" {
		opt.ModelName = "tiny"
	}
	s, err := New(p, opt, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s.Handler())
	t.Cleanup(func() {
		ts.Close()
		s.Close()
	})
	return &fixture{srv: s, ts: ts, ref: ref, dir: dir}
}

// post sends a JSON body and decodes the JSON answer into out.
func (f *fixture) post(t testing.TB, path string, body any, out any) int {
	t.Helper()
	var b []byte
	switch v := body.(type) {
	case string:
		b = []byte(v)
	default:
		var err error
		if b, err = json.Marshal(v); err != nil {
			t.Fatal(err)
		}
	}
	resp, err := http.Post(f.ts.URL+path, "application/json", bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			t.Fatalf("%s: status %d, body %q: %v", path, resp.StatusCode, data, err)
		}
	}
	return resp.StatusCode
}

type completionOut struct {
	ID      string
	Object  string
	Model   string
	Choices []struct {
		Index          int
		Text           string
		FinishReason   *string `json:"finish_reason"`
		StopReason     any     `json:"stop_reason"`
		TokenIDs       []int32 `json:"token_ids"`
		PromptTokenIDs []int32 `json:"prompt_token_ids"`
		Logprobs       *struct {
			Tokens        []string
			TokenLogprobs []float64 `json:"token_logprobs"`
			TextOffset    []int     `json:"text_offset"`
		}
	}
	Usage *usage
	Error *struct{ Message, Type string }
}

type chatOut struct {
	Object  string
	Choices []struct {
		Index   int
		Message struct{ Role, Content string }
		Delta   struct {
			Role    string
			Content *string
		}
		FinishReason *string `json:"finish_reason"`
		TokenIDs     []int32 `json:"token_ids"`
		Logprobs     *struct {
			Content []struct {
				Token   string
				Logprob float64
			}
		}
	}
	PromptTokenIDs []int32 `json:"prompt_token_ids"`
	Usage          *usage
	Error          *struct{ Message, Type string }
}

// greedy is lm's own greedy generation of the reference model.
func (f *fixture) greedy(t testing.TB, prompt []int32, maxNew int, stop []int32) []int32 {
	t.Helper()
	g, err := f.ref.Model.Generate([][]int32{prompt}, lm.SampleOptions{MaxNew: maxNew, Stop: stop}, rand.New(rand.NewPCG(1, 2)))
	if err != nil {
		t.Fatal(err)
	}
	return g.Tokens[0]
}

func (f *fixture) encode(t testing.TB, text string, special bool) []int32 {
	t.Helper()
	ids, err := f.ref.Tokenizer.EncodeWith(text, special)
	if err != nil {
		t.Fatal(err)
	}
	return ids
}

var eos = []int32{299}

func TestCompletionGreedyMatchesGenerate(t *testing.T) {
	f := newFixture(t, Options{})
	cases := []struct {
		name   string
		prompt any
		ids    []int32
		max    int
	}{
		{"text", "The cat sat on", nil, 20},
		{"token ids", []int{5, 17, 200, 3, 42}, []int32{5, 17, 200, 3, 42}, 30},
		{"one token", []int{7}, []int32{7}, 12},
		{"long", strings.Repeat("ab ", 15), nil, 10},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ids := c.ids
			if ids == nil {
				ids = f.encode(t, c.prompt.(string), true)
			}
			want := f.greedy(t, ids, c.max, eos)
			var out completionOut
			if st := f.post(t, "/v1/completions", map[string]any{"model": "tiny", "prompt": c.prompt, "max_tokens": c.max, "temperature": 0}, &out); st != 200 {
				t.Fatalf("status %d: %+v", st, out.Error)
			}
			if len(out.Choices) != 1 {
				t.Fatalf("%d choices", len(out.Choices))
			}
			ch := out.Choices[0]
			if !slices.Equal(ch.TokenIDs, want) {
				t.Errorf("token ids %v, lm.Generate %v", ch.TokenIDs, want)
			}
			if !slices.Equal(ch.PromptTokenIDs, ids) {
				t.Errorf("prompt ids %v, want %v", ch.PromptTokenIDs, ids)
			}
			if txt := f.ref.Tokenizer.DecodeWith(want, true); ch.Text != txt {
				t.Errorf("text %q, want %q", ch.Text, txt)
			}
			wantFinish := "length"
			if len(want) < c.max {
				wantFinish = "stop"
			}
			if ch.FinishReason == nil || *ch.FinishReason != wantFinish {
				t.Errorf("finish_reason %v, want %s", ch.FinishReason, wantFinish)
			}
			if out.Object != "text_completion" || out.Model != "tiny" || !strings.HasPrefix(out.ID, "cmpl-") {
				t.Errorf("envelope %q %q %q", out.Object, out.Model, out.ID)
			}
			if u := out.Usage; u == nil || u.PromptTokens != len(ids) || u.CompletionTokens != len(want) || u.TotalTokens != len(ids)+len(want) {
				t.Errorf("usage %+v", u)
			}
		})
	}
}

func TestLogprobsMatchScore(t *testing.T) {
	f := newFixture(t, Options{})
	prompt := []int32{11, 250, 31, 4, 99, 120}
	check := func(t *testing.T, toks []int32, got []float64) {
		t.Helper()
		want, err := hf.LogProbs(f.ref.Model, append(slices.Clone(prompt), toks...))
		if err != nil {
			t.Fatal(err)
		}
		want = want[len(prompt)-1:]
		if len(got) != len(toks) || len(toks) == 0 {
			t.Fatalf("%d log-probs for %d tokens", len(got), len(toks))
		}
		for i := range got {
			if math.Abs(got[i]-float64(want[i])) > 1e-6 {
				t.Errorf("token %d: log-prob %v, Score %v", i, got[i], want[i])
			}
		}
	}
	t.Run("completions", func(t *testing.T) {
		var out completionOut
		if st := f.post(t, "/v1/completions", map[string]any{"prompt": prompt, "max_tokens": 25, "temperature": 0, "logprobs": 1}, &out); st != 200 {
			t.Fatalf("status %d %+v", st, out.Error)
		}
		ch := out.Choices[0]
		check(t, ch.TokenIDs, ch.Logprobs.TokenLogprobs)
		if len(ch.Logprobs.Tokens) != len(ch.TokenIDs) || len(ch.Logprobs.TextOffset) != len(ch.TokenIDs) {
			t.Errorf("logprobs lists of %d and %d entries for %d tokens", len(ch.Logprobs.Tokens), len(ch.Logprobs.TextOffset), len(ch.TokenIDs))
		}
		if !slices.IsSorted(ch.Logprobs.TextOffset) {
			t.Errorf("text offsets %v", ch.Logprobs.TextOffset)
		}
	})
	t.Run("chat", func(t *testing.T) {
		var out chatOut
		msgs := []map[string]any{{"role": "user", "content": "hi"}}
		if st := f.post(t, "/v1/chat/completions", map[string]any{"messages": msgs, "max_tokens": 20, "temperature": 0, "logprobs": true}, &out); st != 200 {
			t.Fatalf("status %d %+v", st, out.Error)
		}
		prompt = out.PromptTokenIDs
		var lps []float64
		for _, c := range out.Choices[0].Logprobs.Content {
			lps = append(lps, c.Logprob)
		}
		check(t, out.Choices[0].TokenIDs, lps)
	})
}

func TestChatUsesTemplate(t *testing.T) {
	f := newFixture(t, Options{})
	msgs := []hf.Message{{Role: "system", Content: "Be brief."}, {Role: "user", Content: "What is 2+2?"}}
	text, err := f.ref.ChatTemplate.Render(msgs, hf.ChatOptions{AddGenerationPrompt: true})
	if err != nil {
		t.Fatal(err)
	}
	ids := f.encode(t, text, false)
	want := f.greedy(t, ids, 16, eos) // 299 is both eos_token_id and <|im_end|>
	var out chatOut
	body := map[string]any{"model": "tiny", "max_tokens": 16, "temperature": 0, "messages": []any{
		map[string]any{"role": "system", "content": "Be brief."},
		map[string]any{"role": "user", "content": []any{map[string]any{"type": "text", "text": "What is "}, map[string]any{"type": "text", "text": "2+2?"}}},
	}}
	if st := f.post(t, "/v1/chat/completions", body, &out); st != 200 {
		t.Fatalf("status %d %+v", st, out.Error)
	}
	if !slices.Equal(out.PromptTokenIDs, ids) {
		t.Errorf("prompt ids %v, want the rendered template's %v", out.PromptTokenIDs, ids)
	}
	ch := out.Choices[0]
	if !slices.Equal(ch.TokenIDs, want) || ch.Message.Role != "assistant" || ch.Message.Content != f.ref.Tokenizer.DecodeWith(want, true) {
		t.Errorf("got %v %q (%s), want %v", ch.TokenIDs, ch.Message.Content, ch.Message.Role, want)
	}
	if out.Object != "chat.completion" {
		t.Errorf("object %q", out.Object)
	}
}

// readSSE reads a Server-Sent Events stream: the data lines before
// [DONE], and whether [DONE] came.
func readSSE(t testing.TB, r io.Reader) ([]string, bool) {
	t.Helper()
	var out []string
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" {
			continue
		}
		d, ok := strings.CutPrefix(line, "data: ")
		if !ok {
			t.Fatalf("stream line %q", line)
		}
		if d == "[DONE]" {
			return out, true
		}
		out = append(out, d)
	}
	return out, false
}

func (f *fixture) stream(t testing.TB, path string, body map[string]any) []string {
	t.Helper()
	body["stream"] = true
	b, _ := json.Marshal(body)
	resp, err := http.Post(f.ts.URL+path, "application/json", bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		d, _ := io.ReadAll(resp.Body)
		t.Fatalf("status %d %s: %s", resp.StatusCode, resp.Header.Get("Content-Type"), d)
	}
	events, done := readSSE(t, resp.Body)
	if !done {
		t.Fatalf("stream ended without [DONE] after %d events", len(events))
	}
	return events
}

func TestStreamingMatchesNonStreaming(t *testing.T) {
	f := newFixture(t, Options{})
	cases := []struct {
		name string
		body map[string]any
	}{
		{"greedy", map[string]any{"prompt": "Once upon a time", "max_tokens": 30, "temperature": 0}},
		{"n=3 seeded", map[string]any{"prompt": []int{3, 4, 5}, "max_tokens": 20, "temperature": 1, "n": 3, "seed": 7}},
		// "fA" spans two tokens of this sample ('f', 'A')
		{"stop string", map[string]any{"prompt": "Hello there", "max_tokens": 40, "temperature": 1, "seed": 3, "stop": []string{"zzz", "fA"}}},
		{"logprobs", map[string]any{"prompt": []int{9, 9, 9}, "max_tokens": 15, "temperature": 0.7, "seed": 1, "logprobs": 0}},
	}
	for _, c := range cases {
		t.Run("completions "+c.name, func(t *testing.T) {
			var whole completionOut
			if st := f.post(t, "/v1/completions", c.body, &whole); st != 200 {
				t.Fatalf("status %d %+v", st, whole.Error)
			}
			body := maps(c.body)
			body["stream_options"] = map[string]any{"include_usage": true}
			events := f.stream(t, "/v1/completions", body)
			texts := make([]string, len(whole.Choices))
			ids := make([][]int32, len(whole.Choices))
			var lps [][]float64
			lps = make([][]float64, len(whole.Choices))
			finished := make([]string, len(whole.Choices))
			var u *usage
			for _, e := range events {
				var ch completionOut
				if err := json.Unmarshal([]byte(e), &ch); err != nil {
					t.Fatalf("chunk %q: %v", e, err)
				}
				if ch.Usage != nil {
					u = ch.Usage
				}
				for _, x := range ch.Choices {
					if finished[x.Index] != "" {
						t.Errorf("choice %d has a chunk after its finish", x.Index)
					}
					texts[x.Index] += x.Text
					ids[x.Index] = append(ids[x.Index], x.TokenIDs...)
					if x.Logprobs != nil {
						lps[x.Index] = append(lps[x.Index], x.Logprobs.TokenLogprobs...)
					}
					if x.FinishReason != nil {
						finished[x.Index] = *x.FinishReason
					}
				}
			}
			for i, w := range whole.Choices {
				if texts[i] != w.Text || !slices.Equal(ids[i], w.TokenIDs) || finished[i] != *w.FinishReason {
					t.Errorf("choice %d: streamed %q %v %s, whole %q %v %s", i, texts[i], ids[i], finished[i], w.Text, w.TokenIDs, *w.FinishReason)
				}
				if w.Logprobs != nil && !slices.Equal(lps[i], w.Logprobs.TokenLogprobs) {
					t.Errorf("choice %d: streamed log-probs %v, whole %v", i, lps[i], w.Logprobs.TokenLogprobs)
				}
			}
			if c.body["stop"] != nil && (*whole.Choices[0].FinishReason != "stop" || whole.Choices[0].StopReason != "fA") {
				t.Errorf("the stop case did not stop on its string: %+v", whole.Choices[0])
			}
			if u == nil || *u != *whole.Usage {
				t.Errorf("streamed usage %+v, whole %+v", u, whole.Usage)
			}
		})
	}
	t.Run("chat", func(t *testing.T) {
		body := map[string]any{"messages": []any{map[string]any{"role": "user", "content": "Tell me a story"}}, "max_tokens": 30, "temperature": 0, "n": 2}
		var whole chatOut
		if st := f.post(t, "/v1/chat/completions", body, &whole); st != 200 {
			t.Fatalf("status %d %+v", st, whole.Error)
		}
		events := f.stream(t, "/v1/chat/completions", maps(body))
		texts, ids := make([]string, 2), make([][]int32, 2)
		var roles []string
		for _, e := range events {
			var ch chatOut
			if err := json.Unmarshal([]byte(e), &ch); err != nil {
				t.Fatal(err)
			}
			if ch.Object != "chat.completion.chunk" {
				t.Errorf("object %q", ch.Object)
			}
			for _, x := range ch.Choices {
				if x.Delta.Role != "" {
					roles = append(roles, x.Delta.Role)
				}
				if x.Delta.Content != nil {
					texts[x.Index] += *x.Delta.Content
				}
				ids[x.Index] = append(ids[x.Index], x.TokenIDs...)
			}
		}
		for i, w := range whole.Choices {
			if texts[i] != w.Message.Content || !slices.Equal(ids[i], w.TokenIDs) {
				t.Errorf("choice %d: streamed %q %v, whole %q %v", i, texts[i], ids[i], w.Message.Content, w.TokenIDs)
			}
		}
		if len(roles) != 2 || roles[0] != "assistant" {
			t.Errorf("role deltas %v", roles)
		}
	})
}

func maps(m map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range m {
		out[k] = v
	}
	return out
}

func TestNChoices(t *testing.T) {
	f := newFixture(t, Options{})
	body := map[string]any{"prompt": []int{1, 2, 3}, "max_tokens": 24, "temperature": 1, "n": 4, "seed": 42}
	var a, b completionOut
	if f.post(t, "/v1/completions", body, &a) != 200 || f.post(t, "/v1/completions", body, &b) != 200 {
		t.Fatalf("errors %+v %+v", a.Error, b.Error)
	}
	if len(a.Choices) != 4 {
		t.Fatalf("%d choices", len(a.Choices))
	}
	distinct := map[string]bool{}
	for i, c := range a.Choices {
		if c.Index != i || len(c.TokenIDs) == 0 {
			t.Errorf("choice %d: index %d, %d tokens", i, c.Index, len(c.TokenIDs))
		}
		if !slices.Equal(c.TokenIDs, b.Choices[i].TokenIDs) {
			t.Errorf("choice %d differs between two requests with seed 42: %v vs %v", i, c.TokenIDs, b.Choices[i].TokenIDs)
		}
		distinct[fmt.Sprint(c.TokenIDs)] = true
	}
	if len(distinct) < 2 {
		t.Errorf("4 samples at temperature 1 are all equal: %v", a.Choices[0].TokenIDs)
	}
	// Several prompts times n: choice p*n+k answers prompt p.
	var m completionOut
	if st := f.post(t, "/v1/completions", map[string]any{"prompt": [][]int{{5, 6}, {7, 8, 9}}, "max_tokens": 5, "temperature": 0, "n": 2}, &m); st != 200 {
		t.Fatalf("status %d %+v", st, m.Error)
	}
	for i, c := range m.Choices {
		want := [][]int32{{5, 6}, {7, 8, 9}}[i/2]
		if !slices.Equal(c.PromptTokenIDs, want) || !slices.Equal(c.TokenIDs, f.greedy(t, want, 5, eos)) {
			t.Errorf("choice %d: prompt %v tokens %v", i, c.PromptTokenIDs, c.TokenIDs)
		}
	}
	if m.Usage.PromptTokens != 5 {
		t.Errorf("prompt_tokens %d, want 5", m.Usage.PromptTokens)
	}
}

func TestStopSequences(t *testing.T) {
	f := newFixture(t, Options{})
	prompt := []int{40, 41, 42, 43}
	full := f.greedy(t, []int32{40, 41, 42, 43}, 40, eos)
	text := f.ref.Tokenizer.DecodeWith(full, true)
	if len(text) < 12 {
		t.Fatalf("greedy text %q too short for the test", text)
	}
	// A stop string from the middle of the greedy text (spanning whatever
	// token boundaries it spans).
	stop := text[6:9]
	cut := strings.Index(text, stop)
	var out completionOut
	if st := f.post(t, "/v1/completions", map[string]any{"prompt": prompt, "max_tokens": 40, "temperature": 0, "stop": []string{"\x00never", stop}}, &out); st != 200 {
		t.Fatalf("status %d %+v", st, out.Error)
	}
	ch := out.Choices[0]
	if ch.Text != text[:cut] || *ch.FinishReason != "stop" || ch.StopReason != stop {
		t.Errorf("text %q finish %s reason %v; want %q stop %q", ch.Text, *ch.FinishReason, ch.StopReason, text[:cut], stop)
	}
	// The token ids are the sampled ones through the token completing the stop string.
	if n := len(ch.TokenIDs); n == 0 || !slices.Equal(ch.TokenIDs, full[:n]) || !strings.Contains(f.ref.Tokenizer.DecodeWith(full[:n], true), stop) || strings.Contains(f.ref.Tokenizer.DecodeWith(full[:n-1], true), stop) {
		t.Errorf("token ids %v do not end where the stop string is completed (full %v)", ch.TokenIDs, full)
	}
	// stop as a single string, and stop_token_ids.
	var one completionOut
	f.post(t, "/v1/completions", map[string]any{"prompt": prompt, "max_tokens": 40, "temperature": 0, "stop": stop}, &one)
	if len(one.Choices) != 1 || one.Choices[0].Text != text[:cut] {
		t.Errorf("stop as a string: %+v", one)
	}
	var ids completionOut
	f.post(t, "/v1/completions", map[string]any{"prompt": prompt, "max_tokens": 40, "temperature": 0, "stop_token_ids": []int32{full[3]}}, &ids)
	if k := slices.Index(full, full[3]); len(ids.Choices) != 1 || !slices.Equal(ids.Choices[0].TokenIDs, full[:k+1]) || *ids.Choices[0].FinishReason != "stop" {
		t.Errorf("stop_token_ids %d: %+v", full[3], ids.Choices)
	}
}

func TestConcurrentClients(t *testing.T) {
	f := newFixture(t, Options{Slots: 4})
	const clients = 8
	prompts := make([][]int32, clients)
	want := make([][]int32, clients)
	for i := range prompts {
		for k := 0; k <= i%5; k++ {
			prompts[i] = append(prompts[i], int32(10+i*7+k*3))
		}
		want[i] = f.greedy(t, prompts[i], 20+i, eos)
	}
	var wg sync.WaitGroup
	errs := make([]string, clients)
	for i := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for round := range 3 {
				body := map[string]any{"prompt": prompts[i], "max_tokens": 20 + i, "temperature": 0}
				if round == 1 {
					body["stream"] = true
				}
				b, _ := json.Marshal(body)
				resp, err := http.Post(f.ts.URL+"/v1/completions", "application/json", bytes.NewReader(b))
				if err != nil {
					errs[i] = err.Error()
					return
				}
				var got []int32
				if round == 1 {
					events, _ := readSSE(t, resp.Body)
					for _, e := range events {
						var c completionOut
						json.Unmarshal([]byte(e), &c)
						for _, x := range c.Choices {
							got = append(got, x.TokenIDs...)
						}
					}
				} else {
					var out completionOut
					json.NewDecoder(resp.Body).Decode(&out)
					if len(out.Choices) == 1 {
						got = out.Choices[0].TokenIDs
					}
				}
				resp.Body.Close()
				if !slices.Equal(got, want[i]) {
					errs[i] = fmt.Sprintf("round %d: got %v, want %v", round, got, want[i])
					return
				}
			}
		}()
	}
	wg.Wait()
	for i, e := range errs {
		if e != "" {
			t.Errorf("client %d: %s", i, e)
		}
	}
}

func TestBadRequests(t *testing.T) {
	f := newFixture(t, Options{MaxTokens: 32, MaxN: 8, MaxBodyBytes: 4096})
	huge := `{"prompt": "` + strings.Repeat("a", 5000) + `"}`
	chat := func(msgs string) string { return `{"messages": ` + msgs + `, "max_tokens": 4}` }
	cases := []struct {
		name, path, body string
		status           int
		param            string
	}{
		{"bad json", "/v1/completions", `{"prompt": "hi",`, 400, ""},
		{"not an object", "/v1/completions", `[1, 2]`, 400, ""},
		{"empty body", "/v1/completions", ``, 400, ""},
		{"NaN temperature", "/v1/completions", `{"prompt": "hi", "temperature": NaN}`, 400, ""},
		{"temperature as string", "/v1/completions", `{"prompt": "hi", "temperature": "NaN"}`, 400, "temperature"},
		{"negative temperature", "/v1/completions", `{"prompt": "hi", "temperature": -0.5}`, 400, "temperature"},
		{"temperature too big", "/v1/completions", `{"prompt": "hi", "temperature": 1e300}`, 400, "temperature"},
		{"number overflow", "/v1/completions", `{"prompt": "hi", "max_tokens": 1e400}`, 400, ""},
		{"max_tokens as float", "/v1/completions", `{"prompt": "hi", "max_tokens": 2.5}`, 400, "max_tokens"},
		{"huge max_tokens", "/v1/completions", `{"prompt": "hi", "max_tokens": 1000000000}`, 400, "max_tokens"},
		{"zero max_tokens", "/v1/completions", `{"prompt": "hi", "max_tokens": 0}`, 400, "max_tokens"},
		{"n too big", "/v1/completions", `{"prompt": "hi", "n": 9}`, 400, "n"},
		{"n zero", "/v1/completions", `{"prompt": "hi", "n": 0}`, 400, "n"},
		{"choices over cap", "/v1/completions", `{"prompt": ["a", "b", "c"], "n": 3}`, 400, "n"},
		{"top_p zero", "/v1/completions", `{"prompt": "hi", "top_p": 0}`, 400, "top_p"},
		{"top_p over 1", "/v1/completions", `{"prompt": "hi", "top_p": 1.5}`, 400, "top_p"},
		{"top_k negative", "/v1/completions", `{"prompt": "hi", "top_k": -5}`, 400, "top_k"},
		{"missing prompt", "/v1/completions", `{"max_tokens": 3}`, 400, "prompt"},
		{"prompt wrong type", "/v1/completions", `{"prompt": {"a": 1}}`, 400, "prompt"},
		{"prompt mixed list", "/v1/completions", `{"prompt": [1, "a"]}`, 400, "prompt"},
		{"empty prompt list", "/v1/completions", `{"prompt": []}`, 400, "prompt"},
		{"empty text prompt", "/v1/completions", `{"prompt": ""}`, 400, "prompt"},
		{"token out of vocab", "/v1/completions", `{"prompt": [1, 300]}`, 400, "prompt[0]"},
		{"negative token", "/v1/completions", `{"prompt": [1, -1]}`, 400, "prompt"},
		{"token overflows int32", "/v1/completions", `{"prompt": [4294967297]}`, 400, "prompt"},
		{"prompt too long", "/v1/completions", `{"prompt": [` + strings.TrimSuffix(strings.Repeat("1,", 60), ",") + `], "max_tokens": 10}`, 400, "prompt"},
		{"huge body", "/v1/completions", huge, 413, ""},
		{"stop wrong type", "/v1/completions", `{"prompt": "hi", "stop": 5}`, 400, "stop"},
		{"too many stops", "/v1/completions", `{"prompt": "hi", "stop": ["a","b","c","d","e"]}`, 400, "stop"},
		{"stop token out of vocab", "/v1/completions", `{"prompt": "hi", "stop_token_ids": [300]}`, 400, "stop_token_ids"},
		{"echo", "/v1/completions", `{"prompt": "hi", "echo": true}`, 400, "echo"},
		{"logprobs too many", "/v1/completions", `{"prompt": "hi", "logprobs": 6}`, 400, "logprobs"},
		{"presence penalty", "/v1/completions", `{"prompt": "hi", "presence_penalty": 0.5}`, 400, "presence_penalty"},
		{"logit bias", "/v1/completions", `{"prompt": "hi", "logit_bias": {"5": 10}}`, 400, "logit_bias"},
		{"wrong model", "/v1/completions", `{"model": "gpt-4", "prompt": "hi"}`, 404, "model"},
		{"empty messages", "/v1/chat/completions", chat(`[]`), 400, "messages"},
		{"missing messages", "/v1/chat/completions", `{"max_tokens": 4}`, 400, "messages"},
		{"message without role", "/v1/chat/completions", chat(`[{"content": "hi"}]`), 400, ""},
		{"message not an object", "/v1/chat/completions", chat(`["hi"]`), 400, ""},
		{"image content", "/v1/chat/completions", chat(`[{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "x"}}]}]`), 400, ""},
		{"chat too long", "/v1/chat/completions", chat(`[{"role": "user", "content": "` + strings.Repeat("q", 80) + `"}]`), 400, "prompt"},
		{"chat negative temperature", "/v1/chat/completions", `{"messages": [{"role": "user", "content": "hi"}], "temperature": -1}`, 400, "temperature"},
		{"get on post endpoint", "/v1/completions", "", 405, ""},
		{"unknown path", "/v2/whatever", `{}`, 404, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			method := http.MethodPost
			if c.status == 405 {
				method = http.MethodGet
			}
			req, _ := http.NewRequest(method, f.ts.URL+c.path, strings.NewReader(c.body))
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var e errorBody
			data, _ := io.ReadAll(resp.Body)
			if err := json.Unmarshal(data, &e); err != nil || e.Error.Message == "" || e.Error.Type == "" {
				t.Fatalf("status %d, body %q is not an OpenAI error (%v)", resp.StatusCode, data, err)
			}
			if resp.StatusCode != c.status {
				t.Errorf("status %d (%s), want %d", resp.StatusCode, e.Error.Message, c.status)
			}
			if c.param != "" && (e.Error.Param == nil || *e.Error.Param != c.param) {
				t.Errorf("param %v, want %q (%s)", e.Error.Param, c.param, e.Error.Message)
			}
		})
	}
	// Unknown fields are ignored, as OpenAI does, and the server still serves.
	var out completionOut
	if st := f.post(t, "/v1/completions", `{"prompt": [1, 2], "max_tokens": 3, "temperature": 0, "frobnicate": {"x": [1]}, "user": "u", "return_token_ids": true}`, &out); st != 200 || len(out.Choices[0].TokenIDs) == 0 {
		t.Errorf("unknown fields: status %d %+v", st, out)
	}
}

func TestQueueFullAndAuth(t *testing.T) {
	f := newFixture(t, Options{MaxQueue: 2, APIKey: "sekrit"})
	do := func(key string) (int, errorBody) {
		req, _ := http.NewRequest("POST", f.ts.URL+"/v1/completions", strings.NewReader(`{"prompt": [1], "max_tokens": 2}`))
		if key != "" {
			req.Header.Set("Authorization", "Bearer "+key)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var e errorBody
		json.NewDecoder(resp.Body).Decode(&e)
		return resp.StatusCode, e
	}
	if st, _ := do(""); st != 401 {
		t.Errorf("no key: status %d", st)
	}
	if st, _ := do("wrong"); st != 401 {
		t.Errorf("wrong key: status %d", st)
	}
	if st, e := do("sekrit"); st != 200 {
		t.Errorf("right key: status %d %+v", st, e)
	}
	f.srv.inflight.Add(2) // two requests hold the queue
	if st, e := do("sekrit"); st != 429 || e.Error.Type != "rate_limit_error" {
		t.Errorf("full queue: status %d %+v", st, e)
	}
	f.srv.inflight.Add(-2)
	if st, _ := do("sekrit"); st != 200 {
		t.Errorf("after the queue drained: status %d", st)
	}
}

func TestModels(t *testing.T) {
	f := newFixture(t, Options{})
	resp, err := http.Get(f.ts.URL + "/v1/models")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var l modelList
	if err := json.NewDecoder(resp.Body).Decode(&l); err != nil || l.Object != "list" || len(l.Data) != 1 || l.Data[0].ID != "tiny" || l.Data[0].MaxLen != 64 {
		t.Errorf("models %+v (%v)", l, err)
	}
}

// TestClientDisconnectCancels: a client that leaves mid-stream ends its
// jobs long before max_tokens, and no goroutine is left behind.
func TestClientDisconnectCancels(t *testing.T) {
	dir := testModelDir(t)
	p, err := hf.Open(dir, hf.Options{})
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(p, Options{Slots: 2}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	// Slow the engine down (set before any request, so no race): 60 tokens
	// take 60 rounds, far longer than the client stays.
	s.sched.afterRound = func() { time.Sleep(5 * time.Millisecond) }
	ts := httptest.NewServer(s.Handler())
	defer s.Close()
	defer ts.Close()
	before := runtime.NumGoroutine()
	const clients = 3
	for range clients {
		ctx, cancel := context.WithCancel(context.Background())
		b, _ := json.Marshal(map[string]any{"prompt": []int{1}, "max_tokens": 60, "temperature": 1, "n": 2, "stream": true, "stop_token_ids": []int{}})
		req, _ := http.NewRequestWithContext(ctx, "POST", ts.URL+"/v1/completions", bytes.NewReader(b))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		br := bufio.NewReader(resp.Body)
		if _, err := br.ReadString('\n'); err != nil {
			t.Fatal(err)
		}
		cancel()
		resp.Body.Close()
	}
	deadline := time.Now().Add(10 * time.Second)
	for s.inflight.Load() != 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := s.inflight.Load(); n != 0 {
		t.Fatalf("%d requests still in flight after their clients left", n)
	}
	time.Sleep(100 * time.Millisecond) // jobs drain with one more sample each
	gen := s.Generated()
	if gen >= clients*2*60/2 {
		t.Errorf("%d tokens generated for %d streams canceled after their first chunk (max_tokens 60 each)", gen, clients*2)
	}
	// The server keeps serving, and the engine is idle otherwise.
	resp, err := http.Post(ts.URL+"/v1/completions", "application/json", strings.NewReader(`{"prompt": [1, 2], "max_tokens": 4, "temperature": 0, "stop_token_ids": []}`))
	if err != nil {
		t.Fatal(err)
	}
	var out completionOut
	json.NewDecoder(resp.Body).Decode(&out)
	resp.Body.Close()
	if resp.StatusCode != 200 || len(out.Choices) != 1 {
		t.Fatalf("status %d after disconnects", resp.StatusCode)
	}
	if g := s.Generated(); g > gen+4 {
		t.Errorf("%d tokens generated by one 4-token request after the disconnects", g-gen)
	}
	http.DefaultClient.CloseIdleConnections()
	for time.Now().Before(deadline) && runtime.NumGoroutine() > before+2 {
		time.Sleep(20 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before+2 {
		t.Errorf("%d goroutines, %d before", n, before)
	}
}

func TestRunServesAndShutsDown(t *testing.T) {
	dir := testModelDir(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	addr := make(chan string, 1)
	var log bytes.Buffer
	var mu sync.Mutex
	errc := make(chan error, 1)
	go func() {
		errc <- Run(ctx, Options{ModelDir: dir, Addr: "127.0.0.1:0", Listening: func(a string) { addr <- a }}, lockedWriter{&mu, &log})
	}()
	var a string
	select {
	case a = <-addr:
	case err := <-errc:
		t.Fatalf("Run: %v", err)
	case <-time.After(30 * time.Second):
		t.Fatal("Run did not start")
	}
	if !strings.HasPrefix(a, "127.0.0.1:") {
		t.Errorf("listening on %s, want loopback", a)
	}
	resp, err := http.Post("http://"+a+"/v1/completions", "application/json", strings.NewReader(`{"prompt": "hi", "max_tokens": 3, "temperature": 0}`))
	if err != nil {
		t.Fatal(err)
	}
	var out completionOut
	json.NewDecoder(resp.Body).Decode(&out)
	resp.Body.Close()
	if resp.StatusCode != 200 || len(out.Choices) != 1 || out.Model != filepath.Base(dir) {
		t.Errorf("status %d %+v", resp.StatusCode, out)
	}
	cancel()
	select {
	case err := <-errc:
		if err != nil {
			t.Errorf("Run after cancel: %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("Run did not return after cancel")
	}
	mu.Lock()
	defer mu.Unlock()
	if !strings.Contains(log.String(), "slots per engine") || !strings.Contains(log.String(), "stopped") {
		t.Errorf("log %q", log.String())
	}
	if err := Run(context.Background(), Options{ModelDir: t.TempDir()}, nil); err == nil {
		t.Error("Run on an empty directory succeeded")
	}
}

type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func TestDistinctSamplingSettingsAndEngineCap(t *testing.T) {
	// More distinct settings than engines: requests wait for an engine to
	// go idle, and all are answered.
	f := newFixture(t, Options{MaxEngines: 2, Slots: 2})
	var wg sync.WaitGroup
	errs := make(chan string, 12)
	for i := range 12 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			body := map[string]any{"prompt": []int{i + 1, 2}, "max_tokens": 10, "temperature": 0.1 * float64(i%6+1), "top_p": 0.9}
			if i%4 == 0 {
				body["seed"] = i
			}
			b, _ := json.Marshal(body)
			resp, err := http.Post(f.ts.URL+"/v1/completions", "application/json", bytes.NewReader(b))
			if err != nil {
				errs <- err.Error()
				return
			}
			defer resp.Body.Close()
			var out completionOut
			json.NewDecoder(resp.Body).Decode(&out)
			if resp.StatusCode != 200 || len(out.Choices) != 1 || len(out.Choices[0].TokenIDs) == 0 {
				errs <- fmt.Sprintf("request %d: status %d %+v", i, resp.StatusCode, out.Error)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}

// TestMutatedBodiesNeverFail5xx sends valid bodies with random byte edits,
// deletions and truncations: every answer is a 200 or a 4xx in OpenAI's
// error shape, and the server keeps serving.
func TestMutatedBodiesNeverFail5xx(t *testing.T) {
	f := newFixture(t, Options{MaxTokens: 16})
	seeds := []struct{ path, body string }{
		{"/v1/completions", `{"model": "tiny", "prompt": "hi there", "max_tokens": 4, "temperature": 0.5, "top_p": 0.9, "n": 2, "stop": ["a"], "logprobs": 1, "seed": 3}`},
		{"/v1/completions", `{"prompt": [[1, 2, 3], [4, 5]], "max_tokens": 3, "stop_token_ids": [7], "top_k": 5, "min_p": 0.1}`},
		{"/v1/chat/completions", `{"messages": [{"role": "system", "content": "x"}, {"role": "user", "content": [{"type": "text", "text": "hi"}]}], "max_tokens": 3, "logprobs": true, "top_logprobs": 2, "chat_template_kwargs": {"enable_thinking": false}}`},
	}
	rng := rand.New(rand.NewPCG(7, 7))
	const junk = `{}[]",:0123456789-.eE \x00truefalsenull\\u`
	for i := range 300 {
		sd := seeds[i%len(seeds)]
		b := []byte(sd.body)
		for range 1 + rng.IntN(4) {
			k := rng.IntN(len(b))
			switch rng.IntN(3) {
			case 0:
				b[k] = junk[rng.IntN(len(junk))]
			case 1:
				b = append(b[:k], b[k+1:]...)
			case 2:
				b = b[:k]
			}
			if len(b) == 0 {
				break
			}
		}
		resp, err := http.Post(f.ts.URL+sd.path, "application/json", bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		data, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode >= 500 {
			t.Errorf("body %q: status %d %s", b, resp.StatusCode, data)
		} else if resp.StatusCode != 200 {
			var e errorBody
			if json.Unmarshal(data, &e) != nil || e.Error.Message == "" {
				t.Errorf("body %q: status %d without an OpenAI error: %s", b, resp.StatusCode, data)
			}
		}
	}
	var out completionOut
	if st := f.post(t, "/v1/completions", map[string]any{"prompt": []int{1}, "max_tokens": 2}, &out); st != 200 {
		t.Errorf("status %d after the mutated bodies", st)
	}
}

// TestCloseEndsStreams: closing the server mid-stream ends the stream with
// an error event and [DONE], fails new requests with 503, and returns.
func TestCloseEndsStreams(t *testing.T) {
	dir := testModelDir(t)
	p, err := hf.Open(dir, hf.Options{})
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(p, Options{}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	s.sched.afterRound = func() { time.Sleep(5 * time.Millisecond) }
	ts := httptest.NewServer(s.Handler())
	defer ts.Close()
	resp, err := http.Post(ts.URL+"/v1/completions", "application/json", strings.NewReader(`{"prompt": [1], "max_tokens": 60, "stream": true, "stop_token_ids": []}`))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	br := bufio.NewReader(resp.Body)
	if _, err := br.ReadString('\n'); err != nil {
		t.Fatal(err)
	}
	s.Close()
	events, done := readSSE(t, br)
	if !done || len(events) == 0 || !strings.Contains(events[len(events)-1], "shutting down") {
		t.Errorf("after Close the stream ended with %d events (done %v), last %q", len(events), done, events[len(events)-1:])
	}
	var e errorBody
	r2, err := http.Post(ts.URL+"/v1/completions", "application/json", strings.NewReader(`{"prompt": [1]}`))
	if err != nil {
		t.Fatal(err)
	}
	json.NewDecoder(r2.Body).Decode(&e)
	r2.Body.Close()
	if r2.StatusCode != 503 || e.Error.Type != "server_error" {
		t.Errorf("after Close: status %d %+v", r2.StatusCode, e)
	}
	s.Close() // twice is fine
}

// TestRequestsShareBatches: concurrent requests of several clients decode
// together on one engine: far fewer engine rounds than generated tokens.
func TestRequestsShareBatches(t *testing.T) {
	dir := testModelDir(t)
	p, err := hf.Open(dir, hf.Options{})
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(p, Options{Slots: 8}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var rounds atomic.Int64
	s.sched.afterRound = func() { rounds.Add(1); time.Sleep(2 * time.Millisecond) }
	ts := httptest.NewServer(s.Handler())
	defer ts.Close()
	var wg sync.WaitGroup
	var total atomic.Int64
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, err := http.Post(ts.URL+"/v1/completions", "application/json", strings.NewReader(fmt.Sprintf(`{"prompt": [%d, 5], "max_tokens": 40, "temperature": 1, "seed": null}`, i+1)))
			if err != nil {
				t.Error(err)
				return
			}
			defer resp.Body.Close()
			var out completionOut
			json.NewDecoder(resp.Body).Decode(&out)
			if out.Usage != nil {
				total.Add(int64(out.Usage.CompletionTokens))
			}
		}()
	}
	wg.Wait()
	if r, n := rounds.Load(), total.Load(); n == 0 || r*3 > n {
		t.Errorf("%d engine rounds for %d tokens of 8 concurrent requests: not batched", r, n)
	} else {
		t.Logf("%d engine rounds for %d tokens", r, n)
	}
}
