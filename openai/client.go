// Package openai is a small client for OpenAI-compatible endpoints (our
// serve package, vLLM, OpenAI itself): completions with text or token ids
// in, text, token ids (when the server returns them) and per-token
// log-probs out, and chat completions. Requests time out per attempt and
// are retried with exponential backoff on connection errors, 429 and 5xx;
// errors name the endpoint, the HTTP status and the server's message.
package openai

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Completer is what callers (judges, recipe roles played by an external
// endpoint) need; *Client implements it.
type Completer interface {
	Complete(ctx context.Context, req Request) (Response, error)
	Chat(ctx context.Context, req ChatRequest) (Response, error)
}

var _ Completer = (*Client)(nil)

// Client talks to one OpenAI-compatible endpoint. The zero value of every
// field but BaseURL works; a Client is safe for concurrent use.
type Client struct {
	BaseURL string       // e.g. "http://127.0.0.1:8000/v1" (the part before /completions)
	APIKey  string       // sent as "Authorization: Bearer APIKey" when set
	Model   string       // the "model" field of every request
	HTTP    *http.Client // nil: http.DefaultClient

	// ReturnTokenIDs sends "return_token_ids": true, which vLLM (>= 0.10.2)
	// needs to return token ids; serve returns them always. OpenAI's own API
	// rejects unknown fields, so leave it off there.
	ReturnTokenIDs bool

	Timeout    time.Duration // per attempt; 0: DefaultTimeout
	MaxRetries int           // retries after the first attempt; 0: DefaultRetries, negative: none
	Backoff    time.Duration // wait before the first retry, doubling up to 10 s; 0: DefaultBackoff
}

// Defaults of Client.
const (
	DefaultTimeout = 120 * time.Second
	DefaultRetries = 3
	DefaultBackoff = 500 * time.Millisecond
	maxBackoff     = 10 * time.Second
	maxBody        = 64 << 20
)

// Request is a completion request. Exactly one of Prompt and PromptIDs is
// used (PromptIDs when non-nil: "tokens in").
type Request struct {
	Prompt      string
	PromptIDs   []int32
	MaxTokens   int     // 0: the server's default (16 on OpenAI and serve)
	Temperature float64 // always sent; 0 is greedy
	TopP        float64 // 0: not sent
	TopK        int     // 0: not sent (vLLM and serve extension)
	N           int     // 0: 1
	Stop        []string
	Seed        *int64
	Logprobs    bool           // ask for per-token log-probs
	Extra       map[string]any // further body fields, sent as they are (they win over the above)
}

// Message is one chat message.
type Message struct {
	Role    string `json:"role"`
	Content string `json:"content"`
}

// ChatRequest is a chat completion request.
type ChatRequest struct {
	Messages    []Message
	MaxTokens   int
	Temperature float64 // always sent; 0 is greedy
	TopP        float64
	TopK        int
	N           int
	Stop        []string
	Seed        *int64
	Logprobs    bool
	Extra       map[string]any
}

// Response is the answer to Complete or Chat.
type Response struct {
	ID      string
	Model   string
	Choices []Choice
	Usage   Usage
}

// Choice is one generated sequence.
type Choice struct {
	Index          int
	Text           string    // the completion, or the assistant message's content
	FinishReason   string    // "stop", "length", ...
	TokenIDs       []int32   // generated token ids; nil when the server did not return them
	PromptTokenIDs []int32   // the prompt's token ids as the server saw them; nil when not returned
	LogProbs       []float64 // per generated token; nil unless asked for and returned
	Tokens         []string  // the text of each token, alongside LogProbs
}

// Usage counts tokens as the server reports them.
type Usage struct {
	PromptTokens     int `json:"prompt_tokens"`
	CompletionTokens int `json:"completion_tokens"`
	TotalTokens      int `json:"total_tokens"`
}

// APIError is an answer with an HTTP error status.
type APIError struct {
	Method, URL string
	Status      int    // HTTP status code
	Type        string // the error's type, when the body has OpenAI's error shape
	Code        string
	Param       string
	Message     string // the server's message (or the start of its body)

	retryAfter time.Duration // the Retry-After header
}

func (e *APIError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "openai: %s %s: %d %s", e.Method, e.URL, e.Status, http.StatusText(e.Status))
	if e.Type != "" {
		fmt.Fprintf(&b, " (%s)", e.Type)
	}
	if e.Message != "" {
		fmt.Fprintf(&b, ": %s", e.Message)
	}
	return b.String()
}

// Temporary reports whether retrying may help (429 and 5xx).
func (e *APIError) Temporary() bool { return e.Status == http.StatusTooManyRequests || e.Status >= 500 }

// Complete runs POST {BaseURL}/completions.
func (c *Client) Complete(ctx context.Context, req Request) (Response, error) {
	body := map[string]any{"model": c.Model, "temperature": req.Temperature}
	if req.PromptIDs != nil {
		body["prompt"] = req.PromptIDs
	} else {
		body["prompt"] = req.Prompt
	}
	c.common(body, req.MaxTokens, req.TopP, req.TopK, req.N, req.Stop, req.Seed)
	if req.Logprobs {
		body["logprobs"] = 1
	}
	for k, v := range req.Extra {
		body[k] = v
	}
	var raw struct {
		ID      string `json:"id"`
		Model   string `json:"model"`
		Choices []struct {
			Index          int     `json:"index"`
			Text           string  `json:"text"`
			FinishReason   *string `json:"finish_reason"`
			TokenIDs       []int32 `json:"token_ids"`
			PromptTokenIDs []int32 `json:"prompt_token_ids"`
			Logprobs       *struct {
				Tokens        []string   `json:"tokens"`
				TokenLogprobs []*float64 `json:"token_logprobs"`
			} `json:"logprobs"`
		} `json:"choices"`
		Usage *Usage `json:"usage"`
	}
	if err := c.do(ctx, "/completions", body, &raw); err != nil {
		return Response{}, err
	}
	out := Response{ID: raw.ID, Model: raw.Model}
	if raw.Usage != nil {
		out.Usage = *raw.Usage
	}
	for _, ch := range raw.Choices {
		o := Choice{Index: ch.Index, Text: ch.Text, TokenIDs: ch.TokenIDs, PromptTokenIDs: ch.PromptTokenIDs}
		if ch.FinishReason != nil {
			o.FinishReason = *ch.FinishReason
		}
		if ch.Logprobs != nil {
			o.Tokens = ch.Logprobs.Tokens
			for _, lp := range ch.Logprobs.TokenLogprobs {
				if lp == nil { // an echoed first prompt token has none
					o.LogProbs = append(o.LogProbs, 0)
				} else {
					o.LogProbs = append(o.LogProbs, *lp)
				}
			}
		}
		out.Choices = append(out.Choices, o)
	}
	return out, nil
}

// Chat runs POST {BaseURL}/chat/completions. Choice.PromptTokenIDs is the
// rendered prompt's ids when the server returns them (serve, vLLM with
// return_token_ids).
func (c *Client) Chat(ctx context.Context, req ChatRequest) (Response, error) {
	if len(req.Messages) == 0 {
		return Response{}, errors.New("openai: chat: no messages")
	}
	body := map[string]any{"model": c.Model, "temperature": req.Temperature, "messages": req.Messages}
	c.common(body, req.MaxTokens, req.TopP, req.TopK, req.N, req.Stop, req.Seed)
	if req.Logprobs {
		body["logprobs"] = true
	}
	for k, v := range req.Extra {
		body[k] = v
	}
	var raw struct {
		ID      string `json:"id"`
		Model   string `json:"model"`
		Choices []struct {
			Index   int `json:"index"`
			Message *struct {
				Content *string `json:"content"`
			} `json:"message"`
			FinishReason   *string `json:"finish_reason"`
			TokenIDs       []int32 `json:"token_ids"`
			PromptTokenIDs []int32 `json:"prompt_token_ids"`
			Logprobs       *struct {
				Content []struct {
					Token   string  `json:"token"`
					Logprob float64 `json:"logprob"`
				} `json:"content"`
			} `json:"logprobs"`
		} `json:"choices"`
		PromptTokenIDs []int32 `json:"prompt_token_ids"`
		Usage          *Usage  `json:"usage"`
	}
	if err := c.do(ctx, "/chat/completions", body, &raw); err != nil {
		return Response{}, err
	}
	out := Response{ID: raw.ID, Model: raw.Model}
	if raw.Usage != nil {
		out.Usage = *raw.Usage
	}
	for _, ch := range raw.Choices {
		o := Choice{Index: ch.Index, TokenIDs: ch.TokenIDs, PromptTokenIDs: ch.PromptTokenIDs}
		if o.PromptTokenIDs == nil {
			o.PromptTokenIDs = raw.PromptTokenIDs
		}
		if ch.Message != nil && ch.Message.Content != nil {
			o.Text = *ch.Message.Content
		}
		if ch.FinishReason != nil {
			o.FinishReason = *ch.FinishReason
		}
		if ch.Logprobs != nil {
			for _, lp := range ch.Logprobs.Content {
				o.Tokens = append(o.Tokens, lp.Token)
				o.LogProbs = append(o.LogProbs, lp.Logprob)
			}
		}
		out.Choices = append(out.Choices, o)
	}
	return out, nil
}

// Models lists the ids of GET {BaseURL}/models.
func (c *Client) Models(ctx context.Context) ([]string, error) {
	var raw struct {
		Data []struct {
			ID string `json:"id"`
		} `json:"data"`
	}
	if err := c.do(ctx, "/models", nil, &raw); err != nil {
		return nil, err
	}
	var ids []string
	for _, m := range raw.Data {
		ids = append(ids, m.ID)
	}
	return ids, nil
}

func (c *Client) common(body map[string]any, maxTokens int, topP float64, topK, n int, stop []string, seed *int64) {
	if maxTokens > 0 {
		body["max_tokens"] = maxTokens
	}
	if topP > 0 {
		body["top_p"] = topP
	}
	if topK > 0 {
		body["top_k"] = topK
	}
	if n > 0 {
		body["n"] = n
	}
	if len(stop) > 0 {
		body["stop"] = stop
	}
	if seed != nil {
		body["seed"] = *seed
	}
	if c.ReturnTokenIDs {
		body["return_token_ids"] = true
	}
}

// do sends one request (POST with body, GET without), retrying temporary
// failures, and decodes a 2xx JSON answer into out.
func (c *Client) do(ctx context.Context, path string, body any, out any) error {
	if c.BaseURL == "" {
		return errors.New("openai: no BaseURL")
	}
	url := strings.TrimSuffix(c.BaseURL, "/") + path
	method := http.MethodGet
	var payload []byte
	if body != nil {
		method = http.MethodPost
		var err error
		if payload, err = json.Marshal(body); err != nil {
			return fmt.Errorf("openai: %s %s: encoding the request: %w", method, url, err)
		}
	}
	retries := c.MaxRetries
	if retries == 0 {
		retries = DefaultRetries
	}
	wait := c.Backoff
	if wait <= 0 {
		wait = DefaultBackoff
	}
	for attempt := 0; ; attempt++ {
		data, err := c.once(ctx, method, url, payload)
		if err == nil {
			if err := json.Unmarshal(data, out); err != nil {
				return fmt.Errorf("openai: %s %s: the answer is not the expected JSON (%v); it starts %q", method, url, err, head(data))
			}
			return nil
		}
		var ae *APIError
		temporary := !errors.As(err, &ae) || ae.Temporary()
		if ctx.Err() != nil || !temporary || attempt >= retries {
			if attempt > 0 {
				return fmt.Errorf("%w (after %d attempts)", err, attempt+1)
			}
			return err
		}
		d := wait
		if ae != nil && ae.retryAfter > 0 {
			d = min(ae.retryAfter, maxBackoff)
		}
		t := time.NewTimer(d)
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("%w (gave up retrying: %v)", err, ctx.Err())
		case <-t.C:
		}
		wait = min(2*wait, maxBackoff)
	}
}

// once makes one attempt: the body of a 2xx answer, an *APIError for
// another status, or a transport error.
func (c *Client) once(ctx context.Context, method, url string, payload []byte) ([]byte, error) {
	timeout := c.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var rd io.Reader
	if payload != nil {
		rd = bytes.NewReader(payload)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, rd)
	if err != nil {
		return nil, fmt.Errorf("openai: %s %s: %w", method, url, err)
	}
	if payload != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	if c.APIKey != "" {
		req.Header.Set("Authorization", "Bearer "+c.APIKey)
	}
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("openai: %s %s: %w", method, url, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
	if err != nil {
		return nil, fmt.Errorf("openai: %s %s: %d %s, reading the body: %w", method, url, resp.StatusCode, http.StatusText(resp.StatusCode), err)
	}
	if len(data) > maxBody {
		return nil, &APIError{Method: method, URL: url, Status: resp.StatusCode, Message: fmt.Sprintf("the answer exceeds %d bytes", maxBody)}
	}
	if resp.StatusCode/100 == 2 {
		return data, nil
	}
	e := &APIError{Method: method, URL: url, Status: resp.StatusCode}
	var body struct {
		Error *struct {
			Message string `json:"message"`
			Type    string `json:"type"`
			Param   any    `json:"param"`
			Code    any    `json:"code"`
		} `json:"error"`
		Message string `json:"message"` // some servers answer {"message": ...}
		Detail  any    `json:"detail"`  // FastAPI's {"detail": ...}
	}
	switch {
	case json.Unmarshal(data, &body) == nil && body.Error != nil:
		e.Message, e.Type = body.Error.Message, body.Error.Type
		e.Param, e.Code = str(body.Error.Param), str(body.Error.Code)
	case body.Message != "":
		e.Message = body.Message
	case body.Detail != nil:
		e.Message = fmt.Sprint(body.Detail)
	default:
		e.Message = strings.TrimSpace(string(head(data)))
	}
	if s := resp.Header.Get("Retry-After"); s != "" {
		if n, err := strconv.Atoi(s); err == nil && n >= 0 {
			e.retryAfter = time.Duration(n) * time.Second
		}
	}
	return nil, e
}

func str(v any) string {
	if v == nil {
		return ""
	}
	return fmt.Sprint(v)
}

func head(b []byte) []byte {
	if len(b) > 200 {
		return b[:200]
	}
	return b
}
