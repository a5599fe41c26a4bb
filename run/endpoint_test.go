package run

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
)

// TestEndpointJudge plays the judge with an OpenAI-compatible server: a
// fake one that answers "yes" to prompts whose response has an answer
// line, a hedge ("yes or no", unparsable) otherwise, and a cut-off
// output for the second sample. Rewards follow the parsed verdicts, the
// rest are counted parse failures at the fallback, and the judge's
// requests carry the recipe's settings.
func TestEndpointJudge(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end run")
	}
	var requests atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		var body struct {
			Prompt    string  `json:"prompt"`
			N         int     `json:"n"`
			MaxTokens int     `json:"max_tokens"`
			Temp      float64 `json:"temperature"`
		}
		if req.URL.Path != "/v1/completions" || json.NewDecoder(req.Body).Decode(&body) != nil || body.N != 2 || body.MaxTokens != 4 {
			http.Error(w, `{"error": {"message": "unexpected request"}}`, http.StatusBadRequest)
			return
		}
		requests.Add(1)
		verdict := "yes or no"
		if strings.Contains(body.Prompt, "#### ") {
			verdict = "yes"
		}
		json.NewEncoder(w).Encode(map[string]any{"id": "x", "object": "text_completion", "choices": []map[string]any{
			{"index": 0, "text": verdict, "finish_reason": "stop"},
			{"index": 1, "text": "ye", "finish_reason": "length"},
		}})
	}))
	defer srv.Close()
	r := tinyRecipe(t, "grpo")
	if err := r.Set([]string{"judge.name=model", "judge.model=endpoint", "judge.endpoint.url=" + srv.URL + "/v1",
		"judge.samples=2", "judge.fallback=-0.5", "rl.steps=2"}); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	var log bytes.Buffer
	if _, err := Run(r, dir, false, &log); err != nil {
		t.Fatalf("%v\n%s", err, log.String())
	}
	if requests.Load() == 0 {
		t.Fatal("the endpoint was never asked")
	}
	steps := 0
	for _, l := range normalizedMetrics(t, dir) {
		if !strings.Contains(l, `"stage":"rl"`) {
			continue
		}
		var m map[string]any
		json.Unmarshal([]byte(l), &m)
		fails, rew := m["judge_parse_failures"].(float64), m["reward"].(float64)
		n := float64(r.RL.PromptsPerStep * r.RL.GroupSize)
		// Every cut second sample fails; a hedge fails too. Each episode's
		// reward is 1 (a parsed yes) or the fallback.
		if fails < n || fails > 2*n || rew < -0.5 || rew > 1 {
			t.Errorf("rl metrics %s", l)
		}
		steps++
	}
	if steps != 2 {
		t.Fatalf("%d rl steps in metrics", steps)
	}
	if err := r.Set([]string{"judge.endpoint.url=ftp://x"}); err == nil || !strings.Contains(err.Error(), "judge.endpoint.url") {
		t.Errorf("a non-http endpoint: %v", err)
	}
}

// TestEndpointRole: two_turn's critic played by an OpenAI-compatible
// server: its text enters each episode as the critic's untrained segment
// (encoded with the run's tokenizer), the run finishes, and a server that
// shares the tokenizer is sent token ids and answered in ids.
func TestEndpointRole(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end run")
	}
	var textPrompts, idPrompts atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		var body struct {
			Prompt json.RawMessage `json:"prompt"`
		}
		json.NewDecoder(req.Body).Decode(&body)
		choice := map[string]any{"index": 0, "text": "Look at the last line.", "finish_reason": "stop"}
		if len(body.Prompt) > 0 && body.Prompt[0] == '[' {
			idPrompts.Add(1)
			choice["token_ids"] = []int{40, 41, 42}
		} else {
			textPrompts.Add(1)
		}
		json.NewEncoder(w).Encode(map[string]any{"id": "x", "choices": []any{choice}})
	}))
	defer srv.Close()
	for _, ids := range []bool{false, true} {
		r := tinyRecipe(t, "two_turn")
		sets := []string{"env.params.feedback=critic", "roles.critic.model=endpoint", "roles.critic.temperature=1",
			"roles.critic.max_new_tokens=30", "roles.critic.endpoint.url=" + srv.URL + "/v1", "rl.steps=2",
			"roles.critic.endpoint.token_ids=" + map[bool]string{false: "false", true: "true"}[ids]}
		if err := r.Set(sets); err != nil {
			t.Fatal(err)
		}
		dir := t.TempDir()
		var log bytes.Buffer
		if _, err := Run(r, dir, false, &log); err != nil {
			t.Fatalf("%v\n%s", err, log.String())
		}
		data := mustRead(t, dir+"/"+SamplesFile)
		want := `"role":"critic","source":"endpoint:critic","text":"Look at the last line.","ids":[`
		if ids {
			want = `"role":"critic","source":"endpoint:critic","text":"BCD","ids":[40,41,42,2],"trainable":false,"stopped":true`
		}
		if !bytes.Contains(data, []byte(want)) {
			t.Errorf("token_ids %v: no untrained critic segment from the endpoint in samples.jsonl (%d bytes)", ids, len(data))
		}
	}
	if textPrompts.Load() == 0 || idPrompts.Load() == 0 {
		t.Errorf("prompts as text %d, as ids %d: want both", textPrompts.Load(), idPrompts.Load())
	}
}
