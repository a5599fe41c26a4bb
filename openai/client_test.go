package openai

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"math"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/autodidact-rl/autodidact/hf"
	"github.com/autodidact-rl/autodidact/lm"
	"github.com/autodidact-rl/autodidact/serve"
)

// modelDir assembles the serve tests' model directory (the random-weight
// Qwen3 of hf/testdata with serve/testdata's tokenizer and chat template).
func modelDir(t *testing.T) string {
	dir := t.TempDir()
	for src, dst := range map[string]string{
		"../hf/testdata/qwen3-f32/config.json":       "config.json",
		"../hf/testdata/qwen3-f32/model.safetensors": "model.safetensors",
		"../serve/testdata/tokenizer.json":           "tokenizer.json",
		"../serve/testdata/tokenizer_config.json":    "tokenizer_config.json",
	} {
		b, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, dst), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestClientAgainstServe(t *testing.T) {
	dir := modelDir(t)
	p, err := hf.Open(dir, hf.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ref, err := hf.Open(dir, hf.Options{})
	if err != nil {
		t.Fatal(err)
	}
	s, err := serve.New(p, serve.Options{ModelName: "tiny", APIKey: "k"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ts := httptest.NewServer(s.Handler())
	defer ts.Close()
	c := &Client{BaseURL: ts.URL + "/v1/", APIKey: "k", Model: "tiny", ReturnTokenIDs: true}
	ctx := context.Background()

	prompt := []int32{12, 240, 7, 7, 31}
	g, err := ref.Model.Generate([][]int32{prompt}, lm.SampleOptions{MaxNew: 20, Stop: []int32{299}}, rand.New(rand.NewPCG(1, 1)))
	if err != nil {
		t.Fatal(err)
	}
	want := g.Tokens[0]
	r, err := c.Complete(ctx, Request{PromptIDs: prompt, MaxTokens: 20, Logprobs: true})
	if err != nil {
		t.Fatal(err)
	}
	ch := r.Choices[0]
	if !slices.Equal(ch.TokenIDs, want) || !slices.Equal(ch.PromptTokenIDs, prompt) || ch.Text != ref.Tokenizer.DecodeWith(want, true) {
		t.Errorf("tokens in: got %v %v %q, want %v", ch.TokenIDs, ch.PromptTokenIDs, ch.Text, want)
	}
	if len(ch.LogProbs) != len(want) || len(ch.Tokens) != len(want) {
		t.Fatalf("%d log-probs, %d tokens for %d ids", len(ch.LogProbs), len(ch.Tokens), len(want))
	}
	for i, lp := range ch.LogProbs {
		if math.Abs(lp-float64(g.LogProbs[0][i])) > 1e-6 {
			t.Errorf("log-prob %d: %v, lm %v", i, lp, g.LogProbs[0][i])
		}
	}
	if r.Usage.CompletionTokens != len(want) || r.Model != "tiny" || r.ID == "" {
		t.Errorf("response %+v", r)
	}

	r, err = c.Complete(ctx, Request{Prompt: "Hello", MaxTokens: 8, Temperature: 1, N: 3, Seed: ptr(int64(5)), Stop: []string{"zz"}})
	if err != nil || len(r.Choices) != 3 {
		t.Fatalf("text in, n=3: %+v %v", r, err)
	}
	for _, ch := range r.Choices {
		if len(ch.TokenIDs) == 0 || ch.FinishReason == "" {
			t.Errorf("choice %+v", ch)
		}
	}

	cr, err := c.Chat(ctx, ChatRequest{Messages: []Message{{Role: "user", Content: "hi"}}, MaxTokens: 10, Logprobs: true})
	if err != nil {
		t.Fatal(err)
	}
	if ch := cr.Choices[0]; len(ch.TokenIDs) == 0 || len(ch.PromptTokenIDs) == 0 || len(ch.LogProbs) != len(ch.TokenIDs) {
		t.Errorf("chat choice %+v", ch)
	}
	ids, err := c.Models(ctx)
	if err != nil || !slices.Equal(ids, []string{"tiny"}) {
		t.Errorf("models %v %v", ids, err)
	}

	// A 4xx is not retried and names the status and the server's message.
	_, err = c.Complete(ctx, Request{PromptIDs: []int32{1}, MaxTokens: 1000000})
	var ae *APIError
	if !errors.As(err, &ae) || ae.Status != 400 || ae.Param != "max_tokens" || !strings.Contains(err.Error(), "400 Bad Request") || !strings.Contains(err.Error(), "max_tokens 1000000 must be in") || strings.Contains(err.Error(), "attempts") {
		t.Errorf("bad request: %v", err)
	}
	bad := *c
	bad.APIKey = "wrong"
	if _, err := bad.Complete(ctx, Request{Prompt: "x"}); !errors.As(err, &ae) || ae.Status != 401 {
		t.Errorf("wrong key: %v", err)
	}
}

func ptr[T any](v T) *T { return &v }

const okBody = `{"id": "x", "model": "m", "choices": [{"index": 0, "text": "hi", "finish_reason": "length", "token_ids": [1, 2]}], "usage": {"prompt_tokens": 1, "completion_tokens": 2, "total_tokens": 3}}`

func TestRetriesAndErrors(t *testing.T) {
	cases := []struct {
		name      string
		answers   []func(w http.ResponseWriter)
		retries   int
		wantErr   string // "" for success
		wantCalls int
	}{
		{"500 then 200", []func(http.ResponseWriter){status(500, `{"error": {"message": "boom", "type": "server_error"}}`), status(200, okBody)}, 0, "", 2},
		{"429 then 503 then 200", []func(http.ResponseWriter){status(429, `{"error": {"message": "slow down"}}`), status(503, `upstream down`), status(200, okBody)}, 0, "", 3},
		{"always 500", []func(http.ResponseWriter){status(500, `{"error": {"message": "boom", "type": "server_error"}}`)}, 2, "500 Internal Server Error (server_error): boom (after 3 attempts)", 3},
		{"400 not retried", []func(http.ResponseWriter){status(400, `{"error": {"message": "bad n", "type": "invalid_request_error", "param": "n"}}`)}, 0, "400 Bad Request (invalid_request_error): bad n", 1},
		{"FastAPI detail", []func(http.ResponseWriter){status(422, `{"detail": "field required"}`)}, 0, "422 Unprocessable Entity: field required", 1},
		{"plain-text error", []func(http.ResponseWriter){status(404, `no such route`)}, 0, "404 Not Found: no such route", 1},
		{"malformed JSON", []func(http.ResponseWriter){status(200, `{"choices": [`)}, 0, "the answer is not the expected JSON", 1},
		{"wrong JSON type", []func(http.ResponseWriter){status(200, `{"choices": "none"}`)}, 0, "the answer is not the expected JSON", 1},
		{"dropped connection then 200", []func(http.ResponseWriter){hangup, status(200, okBody)}, 0, "", 2},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var calls atomic.Int32
			ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				n := int(calls.Add(1)) - 1
				var body map[string]any
				if err := json.NewDecoder(r.Body).Decode(&body); err != nil || body["model"] != "m" || r.URL.Path != "/v1/completions" {
					t.Errorf("request %s %v %v", r.URL.Path, body, err)
				}
				c.answers[min(n, len(c.answers)-1)](w)
			}))
			defer ts.Close()
			cl := &Client{BaseURL: ts.URL + "/v1", Model: "m", Backoff: time.Millisecond, MaxRetries: c.retries}
			r, err := cl.Complete(context.Background(), Request{Prompt: "x"})
			if c.wantErr == "" {
				if err != nil || len(r.Choices) != 1 || r.Choices[0].Text != "hi" || !slices.Equal(r.Choices[0].TokenIDs, []int32{1, 2}) || r.Usage.TotalTokens != 3 {
					t.Errorf("got %+v, %v", r, err)
				}
			} else if err == nil || !strings.Contains(err.Error(), c.wantErr) {
				t.Errorf("error %v, want one containing %q", err, c.wantErr)
			}
			if got := int(calls.Load()); got != c.wantCalls {
				t.Errorf("%d calls, want %d", got, c.wantCalls)
			}
		})
	}
}

func status(code int, body string) func(http.ResponseWriter) {
	return func(w http.ResponseWriter) {
		w.WriteHeader(code)
		io.WriteString(w, body)
	}
}

// hangup closes the connection without an answer.
func hangup(w http.ResponseWriter) {
	conn, _, err := w.(http.Hijacker).Hijack()
	if err == nil {
		conn.Close()
	}
}

func TestTimeoutAndCancel(t *testing.T) {
	release := make(chan struct{})
	var calls atomic.Int32
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer ts.Close()
	defer close(release)
	cl := &Client{BaseURL: ts.URL, Timeout: 50 * time.Millisecond, MaxRetries: 1, Backoff: time.Millisecond}
	start := time.Now()
	_, err := cl.Complete(context.Background(), Request{Prompt: "x"})
	if err == nil || !strings.Contains(err.Error(), "deadline exceeded") || calls.Load() != 2 {
		t.Errorf("per-attempt timeout: %v after %d calls", err, calls.Load())
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("took %v", d)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := cl.Chat(ctx, ChatRequest{Messages: []Message{{Role: "user", Content: "x"}}}); err == nil || !errors.Is(err, context.Canceled) {
		t.Errorf("canceled context: %v", err)
	}
	if _, err := cl.Chat(context.Background(), ChatRequest{}); err == nil {
		t.Error("chat without messages succeeded")
	}
	if _, err := (&Client{}).Models(context.Background()); err == nil {
		t.Error("no BaseURL succeeded")
	}
}
