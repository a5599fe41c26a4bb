package serve

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/autodidact-rl/autodidact/hf"
	"github.com/autodidact-rl/autodidact/lm"
)

// Handler returns the HTTP handler of the OpenAI-compatible endpoints.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/v1/completions", s.post(s.completions))
	mux.HandleFunc("/v1/chat/completions", s.post(s.chat))
	mux.HandleFunc("/v1/models", func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet {
			s.writeError(w, &apiError{Status: http.StatusMethodNotAllowed, Type: "invalid_request_error", Message: "use GET for " + r.URL.Path})
			return
		}
		writeJSON(w, http.StatusOK, modelList{Object: "list", Data: []modelCard{{ID: s.opt.ModelName, Object: "model",
			Created: s.created, OwnedBy: "autodidact", MaxLen: s.opt.ContextLen}}})
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		s.writeError(w, &apiError{Status: http.StatusNotFound, Type: "not_found_error", Message: fmt.Sprintf("no endpoint %s %s", r.Method, r.URL.Path)})
	})
	return s.guard(mux)
}

// guard checks the API key and turns a handler panic into a 500.
func (s *Server) guard(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				fmt.Fprintf(s.log, "serve: %s %s: panic: %v\n", r.Method, r.URL.Path, p)
				s.writeError(w, &apiError{Status: http.StatusInternalServerError, Type: "server_error", Message: "internal error"})
			}
		}()
		if s.opt.APIKey != "" {
			got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
			if !ok || subtle.ConstantTimeCompare([]byte(got), []byte(s.opt.APIKey)) != 1 {
				s.writeError(w, &apiError{Status: http.StatusUnauthorized, Type: "invalid_request_error", Code: "invalid_api_key", Message: "missing or wrong API key (Authorization: Bearer ...)"})
				return
			}
		}
		h.ServeHTTP(w, r)
	})
}

// post wraps a POST endpoint: method check, body limit, and error answers.
func (s *Server) post(f func(http.ResponseWriter, *http.Request, []byte) *apiError) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			s.writeError(w, &apiError{Status: http.StatusMethodNotAllowed, Type: "invalid_request_error", Message: "use POST for " + r.URL.Path})
			return
		}
		body, err := readBody(w, r, s.opt.MaxBodyBytes)
		if err != nil {
			s.writeError(w, err)
			return
		}
		if e := f(w, r, body); e != nil {
			s.writeError(w, e)
		}
	}
}

func readBody(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, *apiError) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	var mb *http.MaxBytesError
	switch {
	case errors.As(err, &mb):
		return nil, &apiError{Status: http.StatusRequestEntityTooLarge, Type: "invalid_request_error",
			Message: fmt.Sprintf("the request body exceeds %d bytes", limit)}
	case err != nil:
		return nil, badRequest("", "reading the request body: %v", err)
	}
	return body, nil
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func (s *Server) writeError(w http.ResponseWriter, e *apiError) {
	if e.Status >= 500 {
		fmt.Fprintf(s.log, "serve: %v\n", e)
	}
	writeJSON(w, e.Status, e.body())
}

// decode unmarshals a request body, naming the field of a type error.
func decode(body []byte, v any) *apiError {
	if err := json.Unmarshal(body, v); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return badRequest(te.Field, "field %s: got JSON %s, want %s", te.Field, te.Value, te.Type)
		}
		return badRequest("", "the body is not valid JSON: %v", err)
	}
	return nil
}

// params are the validated generation settings common to both endpoints.
type params struct {
	samp      sampling
	seed      *uint64
	n         int
	maxTokens int // 0: fill the context up to the cap
	stops     []string
	stopIDs   []int32
}

type common struct {
	model                   string
	maxTokens               *int
	temperature, topP, minP *float64
	topK, n                 *int
	stop                    json.RawMessage
	stopIDs                 []int
	seed                    *int64
	presence, frequency     *float64
	logitBias               map[string]any
}

func (s *Server) params(c common) (params, *apiError) {
	var p params
	if c.model != "" && c.model != s.opt.ModelName {
		return p, &apiError{Status: http.StatusNotFound, Type: "not_found_error", Param: "model", Code: "model_not_found",
			Message: fmt.Sprintf("the model %q does not exist (this server has %q)", c.model, s.opt.ModelName)}
	}
	f := func(name string, v *float64, def, lo, hi float64) (float32, *apiError) {
		if v == nil {
			return float32(def), nil
		}
		if math.IsNaN(*v) || *v < lo || *v > hi {
			return 0, badRequest(name, "%s %v must be in [%v, %v]", name, *v, lo, hi)
		}
		return float32(*v), nil
	}
	var e *apiError
	if p.samp.Temp, e = f("temperature", c.temperature, 1, 0, 2); e != nil {
		return p, e
	}
	if p.samp.TopP, e = f("top_p", c.topP, 1, 0, 1); e != nil {
		return p, e
	}
	if c.topP != nil && *c.topP == 0 {
		return p, badRequest("top_p", "top_p must be greater than 0")
	}
	if p.samp.MinP, e = f("min_p", c.minP, 0, 0, 1); e != nil {
		return p, e
	}
	if c.topK != nil {
		switch k := *c.topK; {
		case k == -1 || k == 0:
		case k > 0:
			p.samp.TopK = k
		default:
			return p, badRequest("top_k", "top_k %d must be -1 (off) or positive", k)
		}
	}
	if p.samp.TopP == 1 {
		p.samp.TopP = 0
	}
	if p.samp.Temp == 0 { // greedy: truncation does not matter
		p.samp = sampling{}
	}
	for _, x := range []struct {
		name string
		v    *float64
	}{{"presence_penalty", c.presence}, {"frequency_penalty", c.frequency}} {
		if x.v != nil && *x.v != 0 {
			return p, badRequest(x.name, "%s is not supported (only 0)", x.name)
		}
	}
	if len(c.logitBias) > 0 {
		return p, badRequest("logit_bias", "logit_bias is not supported")
	}
	p.n = 1
	if c.n != nil {
		p.n = *c.n
	}
	if p.n < 1 || p.n > s.opt.MaxN {
		return p, badRequest("n", "n %d must be in [1, %d]", p.n, s.opt.MaxN)
	}
	if c.maxTokens != nil {
		p.maxTokens = *c.maxTokens
		if p.maxTokens < 1 || p.maxTokens > s.opt.MaxTokens {
			return p, badRequest("max_tokens", "max_tokens %d must be in [1, %d]", p.maxTokens, s.opt.MaxTokens)
		}
	}
	if p.stops, e = parseStop(c.stop); e != nil {
		return p, e
	}
	if len(p.stops) > 0 && s.p.Tokenizer == nil {
		return p, badRequest("stop", "stop strings need a tokenizer, and the model directory has no tokenizer.json")
	}
	V := s.p.Model.Cfg.VocabSize
	for _, id := range c.stopIDs {
		if id < 0 || id >= V {
			return p, badRequest("stop_token_ids", "stop token id %d is outside the vocabulary [0, %d)", id, V)
		}
		p.stopIDs = append(p.stopIDs, int32(id))
	}
	if c.seed != nil {
		u := uint64(*c.seed)
		p.seed = &u
	}
	return p, nil
}

// newRequest makes the scheduler request for prompts (each already
// checked against the vocabulary), n choices per prompt.
func (s *Server) newRequest(p params, prompts [][]int32, stops []int32, stream bool) (*request, *apiError) {
	if len(prompts)*p.n > s.opt.MaxN {
		return nil, badRequest("n", "%d prompts times n=%d is %d choices; at most %d are allowed", len(prompts), p.n, len(prompts)*p.n, s.opt.MaxN)
	}
	r := &request{samp: p.samp, seed: p.seed, stops: p.stops, stream: stream, notify: make(chan struct{}, 1)}
	stop := append(append([]int32(nil), stops...), p.stopIDs...)
	for pi, ids := range prompts {
		if len(ids) == 0 {
			return nil, badRequest("prompt", "prompt %d is empty", pi)
		}
		maxNew := p.maxTokens
		if maxNew == 0 {
			maxNew = min(s.opt.MaxTokens, s.opt.ContextLen-len(ids))
		}
		if len(ids)+maxNew > s.opt.ContextLen || maxNew < 1 {
			return nil, &apiError{Status: http.StatusBadRequest, Type: "invalid_request_error", Param: "prompt", Code: "context_length_exceeded",
				Message: fmt.Sprintf("this model's maximum context length is %d tokens; the request has %d prompt tokens and %d completion tokens", s.opt.ContextLen, len(ids), maxNew)}
		}
		for k := 0; k < p.n; k++ {
			c := &choice{req: r, index: len(r.choices), prompt: ids}
			c.job = lm.Job{Context: ids, MaxNew: maxNew, Stop: stop}
			r.choices = append(r.choices, c)
		}
	}
	r.snaps = make([]snapshot, len(r.choices))
	return r, nil
}

func (s *Server) checkIDs(ids []int32, param string) *apiError {
	V := s.p.Model.Cfg.VocabSize
	for i, id := range ids {
		if int(id) >= V {
			return badRequest(param, "%s: token id %d at position %d is outside the vocabulary [0, %d)", param, id, i, V)
		}
	}
	return nil
}

// start hands r to the scheduler.
func (s *Server) start(r *request) *apiError {
	if s.inflight.Add(1) > int64(s.opt.MaxQueue) {
		s.inflight.Add(-1)
		return &apiError{Status: http.StatusTooManyRequests, Type: "rate_limit_error", Code: "queue_full",
			Message: fmt.Sprintf("the server already has %d requests queued or running; retry later", s.opt.MaxQueue)}
	}
	select {
	case <-s.sched.done:
		s.inflight.Add(-1)
		return errClosed
	default:
	}
	// The channel holds MaxQueue requests and the scheduler drains it every
	// round, so this rarely waits.
	select {
	case s.sched.submit <- r:
		return nil
	case <-s.sched.done:
		s.inflight.Add(-1)
		return errClosed
	}
}

// end ends a started request (the scheduler drops what still runs).
func (s *Server) end(r *request) {
	r.canceled.Store(true)
	s.inflight.Add(-1)
}

// wait blocks until r is done (snapshots or error), the client leaves or
// the server closes; each wake-up calls progress (when non-nil) with a
// copy of the current snapshots.
func (s *Server) wait(ctx context.Context, r *request, progress func([]snapshot) error) *apiError {
	for {
		select {
		case <-r.notify:
		case <-ctx.Done():
			return &apiError{Status: 499, Type: "client_closed", Message: "the client went away"}
		case <-s.sched.done:
			r.mu.Lock()
			e := r.err
			r.mu.Unlock()
			if e == nil {
				e = errClosed
			}
			return e
		}
		// Copy the snapshots (their slices only grow, so the copies stay
		// valid) and write outside the lock: a slow client never holds up
		// the engine goroutine, which takes the lock to publish.
		r.mu.Lock()
		e := r.err
		snaps := slices.Clone(r.snaps)
		r.mu.Unlock()
		done := true
		for _, sn := range snaps {
			done = done && sn.Done
		}
		var perr error
		if e == nil && progress != nil {
			perr = progress(snaps)
		}
		if e != nil {
			return e
		}
		if perr != nil {
			return &apiError{Status: 499, Type: "client_closed", Message: perr.Error()}
		}
		if done {
			return nil
		}
	}
}

// ---- /v1/completions ----

func (s *Server) completions(w http.ResponseWriter, hr *http.Request, body []byte) *apiError {
	var q completionRequest
	if e := decode(body, &q); e != nil {
		return e
	}
	p, e := s.params(common{model: q.Model, maxTokens: q.MaxTokens, temperature: q.Temperature, topP: q.TopP, minP: q.MinP,
		topK: q.TopK, n: q.N, stop: q.Stop, stopIDs: q.StopTokenIDs, seed: q.Seed, presence: q.PresencePenalty,
		frequency: q.FrequencyPenalty, logitBias: q.LogitBias})
	if e != nil {
		return e
	}
	if q.MaxTokens == nil {
		p.maxTokens = min(16, s.opt.MaxTokens) // OpenAI's default for completions
	}
	switch {
	case q.Echo:
		return badRequest("echo", "echo is not supported")
	case q.Suffix != nil && *q.Suffix != "":
		return badRequest("suffix", "suffix is not supported")
	case q.BestOf != nil && *q.BestOf != 1 && *q.BestOf != p.n:
		return badRequest("best_of", "best_of is not supported (only 1 or n)")
	case q.Logprobs != nil && (*q.Logprobs < 0 || *q.Logprobs > 5):
		return badRequest("logprobs", "logprobs %d must be in [0, 5]", *q.Logprobs)
	}
	texts, prompts, e := parsePrompt(q.Prompt)
	if e != nil {
		return e
	}
	if texts != nil {
		if s.p.Tokenizer == nil {
			return badRequest("prompt", "text prompts need a tokenizer, and the model directory has no tokenizer.json; send token ids")
		}
		for i, t := range texts {
			ids, err := s.p.Tokenizer.EncodeWith(t, true)
			if err != nil {
				return badRequest("prompt", "prompt %d: %v", i, err)
			}
			prompts = append(prompts, ids)
		}
	}
	for i, ids := range prompts {
		if e := s.checkIDs(ids, fmt.Sprintf("prompt[%d]", i)); e != nil {
			return e
		}
	}
	r, e := s.newRequest(p, prompts, s.eos, q.Stream)
	if e != nil {
		return e
	}
	if e := s.start(r); e != nil {
		return e
	}
	defer s.end(r)
	id, model := newID("cmpl-"), s.opt.ModelName
	logprobs := q.Logprobs != nil
	if q.Stream {
		return s.streamCompletions(w, hr, r, id, logprobs, q.StreamOptions != nil && q.StreamOptions.IncludeUsage)
	}
	if e := s.wait(hr.Context(), r, nil); e != nil {
		return e
	}
	resp := completionResponse{ID: id, Object: "text_completion", Created: time.Now().Unix(), Model: model, Usage: &usage{}}
	for i, c := range r.choices {
		sn := r.snaps[i]
		ch := completionChoice{Index: i, Text: sn.Text, FinishReason: &sn.Finish, StopReason: sn.StopReason,
			TokenIDs: nonNil(sn.Tokens), PromptTokenIDs: c.prompt}
		if logprobs {
			ch.Logprobs = s.completionLogprobs(sn.Tokens, sn.LogProbs, 0, len(sn.Tokens), sn.Text)
		}
		resp.Choices = append(resp.Choices, ch)
		resp.Usage.CompletionTokens += len(sn.Tokens)
	}
	for _, ids := range prompts {
		resp.Usage.PromptTokens += len(ids)
	}
	resp.Usage.TotalTokens = resp.Usage.PromptTokens + resp.Usage.CompletionTokens
	writeJSON(w, http.StatusOK, resp)
	return nil
}

func nonNil(t []int32) []int32 {
	if t == nil {
		return []int32{}
	}
	return t
}

// tokenText is the text of one token (special tokens by name).
func (s *Server) tokenText(id int32) string {
	if s.p.Tokenizer == nil {
		return ""
	}
	return s.p.Tokenizer.DecodeWith([]int32{id}, false)
}

// completionLogprobs is the logprobs object of tokens [from, to).
func (s *Server) completionLogprobs(toks []int32, lps []float32, from, to int, text string) *completionLogprobs {
	l := &completionLogprobs{Tokens: []string{}, TokenLogprobs: []float32{}, TextOffset: []int{}}
	for i := from; i < to; i++ {
		l.Tokens = append(l.Tokens, s.tokenText(toks[i]))
		l.TokenLogprobs = append(l.TokenLogprobs, lps[i])
		off := 0
		if s.p.Tokenizer != nil && i > 0 {
			off = min(len(s.p.Tokenizer.DecodeWith(toks[:i], true)), len(text))
		}
		l.TextOffset = append(l.TextOffset, off)
	}
	return l
}

// sse writes Server-Sent Events.
type sse struct {
	w http.ResponseWriter
	f http.Flusher
}

func newSSE(w http.ResponseWriter) *sse {
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	w.Header().Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	f, _ := w.(http.Flusher)
	return &sse{w: w, f: f}
}

func (e *sse) send(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	if _, err := fmt.Fprintf(e.w, "data: %s\n\n", b); err != nil {
		return err
	}
	if e.f != nil {
		e.f.Flush()
	}
	return nil
}

func (e *sse) done() {
	fmt.Fprint(e.w, "data: [DONE]\n\n")
	if e.f != nil {
		e.f.Flush()
	}
}

// streamer tracks what one choice has sent: tokens and text.
type streamer struct {
	tokens int
	text   string
	ended  bool
}

// next returns the choice's new tokens [from, to) and text delta. Text that
// may still change is held back: a trailing incomplete character, and a
// tail that could begin a stop string.
func (s *Server) next(st *streamer, sn *snapshot, stops []string) (from, to int, delta string) {
	from, to = st.tokens, len(sn.Tokens)
	var target string
	if sn.Done {
		target = sn.Text
	} else if s.p.Tokenizer != nil {
		target = s.p.Tokenizer.DecodeWith(sn.Tokens, true)
		target = strings.TrimRight(target, string(utf8.RuneError))
		target = target[:len(target)-stopPrefixTail(target, stops)]
	}
	if strings.HasPrefix(target, st.text) {
		delta = target[len(st.text):]
		st.text = target
	}
	st.tokens = to
	return from, to, delta
}

// stopPrefixTail is the length of the longest suffix of text that is a
// proper prefix of a stop string.
func stopPrefixTail(text string, stops []string) int {
	best := 0
	for _, st := range stops {
		for n := min(len(st)-1, len(text)); n > best; n-- {
			if strings.HasSuffix(text, st[:n]) {
				best = n
				break
			}
		}
	}
	return best
}

func (s *Server) streamCompletions(w http.ResponseWriter, hr *http.Request, r *request, id string, logprobs, withUsage bool) *apiError {
	ev := newSSE(w)
	created, model := time.Now().Unix(), s.opt.ModelName
	st := make([]streamer, len(r.choices))
	e := s.wait(hr.Context(), r, func(snaps []snapshot) error {
		for i := range snaps {
			sn := &snaps[i]
			if st[i].ended {
				continue
			}
			from, to, delta := s.next(&st[i], sn, r.stops)
			if from == to && delta == "" && !sn.Done {
				continue
			}
			ch := completionChoice{Index: i, Text: delta, TokenIDs: nonNil(sn.Tokens[from:to])}
			if from == 0 {
				ch.PromptTokenIDs = r.choices[i].prompt
			}
			if logprobs {
				ch.Logprobs = s.completionLogprobs(sn.Tokens, sn.LogProbs, from, to, st[i].text)
			}
			if sn.Done {
				finish := sn.Finish
				ch.FinishReason, ch.StopReason = &finish, sn.StopReason
				st[i].ended = true
			}
			if err := ev.send(completionResponse{ID: id, Object: "text_completion", Created: created, Model: model, Choices: []completionChoice{ch}}); err != nil {
				return err
			}
		}
		return nil
	})
	if e != nil {
		if e.Status != 499 {
			ev.send(e.body())
			ev.done()
		}
		return nil // the status line has gone out
	}
	if withUsage {
		u := &usage{}
		seen := map[*int32]bool{}
		for i, c := range r.choices {
			u.CompletionTokens += len(r.snaps[i].Tokens)
			if len(c.prompt) > 0 && !seen[&c.prompt[0]] {
				seen[&c.prompt[0]] = true
				u.PromptTokens += len(c.prompt)
			}
		}
		u.TotalTokens = u.PromptTokens + u.CompletionTokens
		ev.send(completionResponse{ID: id, Object: "text_completion", Created: created, Model: model, Choices: []completionChoice{}, Usage: u})
	}
	ev.done()
	return nil
}

// ---- /v1/chat/completions ----

func (s *Server) chat(w http.ResponseWriter, hr *http.Request, body []byte) *apiError {
	var q chatRequest
	if e := decode(body, &q); e != nil {
		return e
	}
	maxTok := q.MaxCompletionTokens
	if maxTok == nil {
		maxTok = q.MaxTokens
	}
	p, e := s.params(common{model: q.Model, maxTokens: maxTok, temperature: q.Temperature, topP: q.TopP, minP: q.MinP,
		topK: q.TopK, n: q.N, stop: q.Stop, stopIDs: q.StopTokenIDs, seed: q.Seed, presence: q.PresencePenalty,
		frequency: q.FrequencyPenalty, logitBias: q.LogitBias})
	if e != nil {
		return e
	}
	switch {
	case len(q.Messages) == 0:
		return badRequest("messages", "messages must be a non-empty list")
	case s.p.ChatTemplate == nil || s.p.Tokenizer == nil:
		return badRequest("messages", "the model directory has no chat template (tokenizer_config.json chat_template) or no tokenizer.json; use /v1/completions")
	case q.TopLogprobs != nil && (*q.TopLogprobs < 0 || *q.TopLogprobs > 20):
		return badRequest("top_logprobs", "top_logprobs %d must be in [0, 20]", *q.TopLogprobs)
	}
	msgs := make([]hf.Message, len(q.Messages))
	for i, m := range q.Messages {
		msgs[i] = hf.Message{Role: m.Role, Content: m.Content, Extra: m.Extra}
	}
	opt := hf.ChatOptions{AddGenerationPrompt: q.AddGenerationPrompt == nil || *q.AddGenerationPrompt, Vars: q.ChatTemplateKwargs}
	if len(q.Tools) > 0 {
		opt.Tools = q.Tools
	}
	text, err := s.render(msgs, opt)
	if err != nil {
		return badRequest("messages", "%v", err)
	}
	ids, err := s.p.Tokenizer.EncodeWith(text, false)
	if err != nil {
		return badRequest("messages", "tokenizing the rendered chat: %v", err)
	}
	r, e := s.newRequest(p, [][]int32{ids}, append(append([]int32(nil), s.eos...), s.chatEOS...), q.Stream)
	if e != nil {
		return e
	}
	if e := s.start(r); e != nil {
		return e
	}
	defer s.end(r)
	id, model := newID("chatcmpl-"), s.opt.ModelName
	if q.Stream {
		return s.streamChat(w, hr, r, id, ids, q.Logprobs, q.StreamOptions != nil && q.StreamOptions.IncludeUsage)
	}
	if e := s.wait(hr.Context(), r, nil); e != nil {
		return e
	}
	resp := chatResponse{ID: id, Object: "chat.completion", Created: time.Now().Unix(), Model: model, PromptTokenIDs: ids,
		Usage: &usage{PromptTokens: len(ids)}}
	for i := range r.choices {
		sn := r.snaps[i]
		ch := chatChoice{Index: i, Message: &chatOutMessage{Role: "assistant", Content: sn.Text}, FinishReason: &sn.Finish,
			StopReason: sn.StopReason, TokenIDs: nonNil(sn.Tokens)}
		if q.Logprobs {
			ch.Logprobs = s.chatLogprobs(sn.Tokens, sn.LogProbs, 0, len(sn.Tokens))
		}
		resp.Choices = append(resp.Choices, ch)
		resp.Usage.CompletionTokens += len(sn.Tokens)
	}
	resp.Usage.TotalTokens = resp.Usage.PromptTokens + resp.Usage.CompletionTokens
	writeJSON(w, http.StatusOK, resp)
	return nil
}

// render applies the chat template (one render at a time; a template
// panic becomes an error).
func (s *Server) render(msgs []hf.Message, opt hf.ChatOptions) (out string, err error) {
	s.tplMu.Lock()
	defer s.tplMu.Unlock()
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("chat_template: %v", p)
		}
	}()
	return s.p.ChatTemplate.Render(msgs, opt)
}

func (s *Server) chatLogprobs(toks []int32, lps []float32, from, to int) *chatLogprobs {
	l := &chatLogprobs{Content: []chatLogprob{}}
	for i := from; i < to; i++ {
		t := s.tokenText(toks[i])
		b := make([]int, len(t))
		for k := range len(t) {
			b[k] = int(t[k])
		}
		l.Content = append(l.Content, chatLogprob{Token: t, Logprob: lps[i], Bytes: b, TopLogprobs: []any{}})
	}
	return l
}

func (s *Server) streamChat(w http.ResponseWriter, hr *http.Request, r *request, id string, prompt []int32, logprobs, withUsage bool) *apiError {
	ev := newSSE(w)
	created, model := time.Now().Unix(), s.opt.ModelName
	st := make([]streamer, len(r.choices))
	chunk := func(ch chatChoice, withPrompt bool) error {
		c := chatResponse{ID: id, Object: "chat.completion.chunk", Created: created, Model: model, Choices: []chatChoice{ch}}
		if withPrompt {
			c.PromptTokenIDs = prompt
		}
		return ev.send(c)
	}
	empty := ""
	for i := range r.choices {
		if err := chunk(chatChoice{Index: i, Delta: &chatDelta{Role: "assistant", Content: &empty}, TokenIDs: []int32{}}, i == 0); err != nil {
			return nil
		}
	}
	e := s.wait(hr.Context(), r, func(snaps []snapshot) error {
		for i := range snaps {
			sn := &snaps[i]
			if st[i].ended {
				continue
			}
			from, to, delta := s.next(&st[i], sn, r.stops)
			if from == to && delta == "" && !sn.Done {
				continue
			}
			ch := chatChoice{Index: i, Delta: &chatDelta{}, TokenIDs: nonNil(sn.Tokens[from:to])}
			if delta != "" {
				ch.Delta.Content = &delta
			}
			if logprobs {
				ch.Logprobs = s.chatLogprobs(sn.Tokens, sn.LogProbs, from, to)
			}
			if sn.Done {
				finish := sn.Finish
				ch.FinishReason, ch.StopReason = &finish, sn.StopReason
				st[i].ended = true
			}
			if err := chunk(ch, false); err != nil {
				return err
			}
		}
		return nil
	})
	if e != nil {
		if e.Status != 499 {
			ev.send(e.body())
			ev.done()
		}
		return nil
	}
	if withUsage {
		u := &usage{PromptTokens: len(prompt)}
		for i := range r.choices {
			u.CompletionTokens += len(r.snaps[i].Tokens)
		}
		u.TotalTokens = u.PromptTokens + u.CompletionTokens
		ev.send(chatResponse{ID: id, Object: "chat.completion.chunk", Created: created, Model: model, Choices: []chatChoice{}, Usage: u})
	}
	ev.done()
	return nil
}
