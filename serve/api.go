package serve

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
)

// apiError is an error answered in OpenAI's shape:
// {"error": {"message", "type", "param", "code"}}.
type apiError struct {
	Status  int    // HTTP status
	Message string // human-readable
	Type    string // invalid_request_error, not_found_error, rate_limit_error, server_error, ...
	Param   string // the offending request field, if any
	Code    string // machine-readable code, if any
}

func (e *apiError) Error() string { return fmt.Sprintf("%d %s: %s", e.Status, e.Type, e.Message) }

func badRequest(param, format string, args ...any) *apiError {
	return &apiError{Status: http.StatusBadRequest, Type: "invalid_request_error", Param: param, Message: fmt.Sprintf(format, args...)}
}

// errorBody is the JSON of an apiError.
type errorBody struct {
	Error struct {
		Message string  `json:"message"`
		Type    string  `json:"type"`
		Param   *string `json:"param"`
		Code    *string `json:"code"`
	} `json:"error"`
}

func (e *apiError) body() errorBody {
	var b errorBody
	b.Error.Message, b.Error.Type = e.Message, e.Type
	if e.Param != "" {
		b.Error.Param = &e.Param
	}
	if e.Code != "" {
		b.Error.Code = &e.Code
	}
	return b
}

// ---- Requests ----

// completionRequest is the body of POST /v1/completions. Unknown fields are
// ignored, as OpenAI does.
type completionRequest struct {
	Model            string          `json:"model"`
	Prompt           json.RawMessage `json:"prompt"` // string, [string], [int] or [[int]]
	MaxTokens        *int            `json:"max_tokens"`
	Temperature      *float64        `json:"temperature"`
	TopP             *float64        `json:"top_p"`
	TopK             *int            `json:"top_k"` // vLLM extension
	MinP             *float64        `json:"min_p"` // vLLM extension
	N                *int            `json:"n"`
	Stop             json.RawMessage `json:"stop"`           // string or [string]
	StopTokenIDs     []int           `json:"stop_token_ids"` // vLLM extension
	Seed             *int64          `json:"seed"`
	Logprobs         *int            `json:"logprobs"`
	Echo             bool            `json:"echo"`
	Stream           bool            `json:"stream"`
	StreamOptions    *streamOptions  `json:"stream_options"`
	ReturnTokenIDs   *bool           `json:"return_token_ids"` // vLLM; token ids are always returned
	PresencePenalty  *float64        `json:"presence_penalty"`
	FrequencyPenalty *float64        `json:"frequency_penalty"`
	BestOf           *int            `json:"best_of"`
	Suffix           *string         `json:"suffix"`
	LogitBias        map[string]any  `json:"logit_bias"`
}

type streamOptions struct {
	IncludeUsage bool `json:"include_usage"`
}

// chatRequest is the body of POST /v1/chat/completions.
type chatRequest struct {
	Model               string          `json:"model"`
	Messages            []chatMessage   `json:"messages"`
	MaxTokens           *int            `json:"max_tokens"`
	MaxCompletionTokens *int            `json:"max_completion_tokens"`
	Temperature         *float64        `json:"temperature"`
	TopP                *float64        `json:"top_p"`
	TopK                *int            `json:"top_k"`
	MinP                *float64        `json:"min_p"`
	N                   *int            `json:"n"`
	Stop                json.RawMessage `json:"stop"`
	StopTokenIDs        []int           `json:"stop_token_ids"`
	Seed                *int64          `json:"seed"`
	Logprobs            bool            `json:"logprobs"`
	TopLogprobs         *int            `json:"top_logprobs"`
	Stream              bool            `json:"stream"`
	StreamOptions       *streamOptions  `json:"stream_options"`
	ReturnTokenIDs      *bool           `json:"return_token_ids"`
	PresencePenalty     *float64        `json:"presence_penalty"`
	FrequencyPenalty    *float64        `json:"frequency_penalty"`
	LogitBias           map[string]any  `json:"logit_bias"`
	Tools               []any           `json:"tools"`
	AddGenerationPrompt *bool           `json:"add_generation_prompt"` // vLLM extension, default true
	ChatTemplateKwargs  map[string]any  `json:"chat_template_kwargs"`  // vLLM extension (e.g. enable_thinking)
}

// chatMessage is one message; content is a string or a list of
// {"type": "text", "text": ...} parts. Other keys (name, tool_calls,
// tool_call_id, reasoning_content) reach the chat template as they are.
type chatMessage struct {
	Role    string
	Content string
	Extra   map[string]any
}

func (m *chatMessage) UnmarshalJSON(b []byte) error {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return fmt.Errorf("a message must be an object with role and content")
	}
	if r, ok := raw["role"]; !ok || json.Unmarshal(r, &m.Role) != nil || m.Role == "" {
		return fmt.Errorf("a message needs a non-empty string role")
	}
	if c, ok := raw["content"]; ok && !isNull(c) {
		if json.Unmarshal(c, &m.Content) != nil {
			var parts []struct {
				Type string  `json:"type"`
				Text *string `json:"text"`
			}
			if err := json.Unmarshal(c, &parts); err != nil {
				return fmt.Errorf("message content must be a string or a list of text parts")
			}
			var buf bytes.Buffer
			for _, p := range parts {
				if p.Type != "text" || p.Text == nil {
					return fmt.Errorf("message content part of type %q is not supported (only text)", p.Type)
				}
				buf.WriteString(*p.Text)
			}
			m.Content = buf.String()
		}
	}
	for k, v := range raw {
		if k == "role" || k == "content" {
			continue
		}
		var x any
		if err := json.Unmarshal(v, &x); err != nil {
			return err
		}
		if m.Extra == nil {
			m.Extra = map[string]any{}
		}
		m.Extra[k] = x
	}
	return nil
}

func isNull(raw json.RawMessage) bool {
	return len(raw) == 0 || string(bytes.TrimSpace(raw)) == "null"
}

// parsePrompt reads a completion prompt: a string, a list of strings, a list
// of token ids, or a list of lists of token ids. Exactly one of texts and
// ids is set.
func parsePrompt(raw json.RawMessage) (texts []string, ids [][]int32, err *apiError) {
	if isNull(raw) {
		return nil, nil, badRequest("prompt", "prompt is required")
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return []string{s}, nil, nil
	}
	var ss []string
	if json.Unmarshal(raw, &ss) == nil {
		if len(ss) == 0 {
			return nil, nil, badRequest("prompt", "prompt is an empty list")
		}
		return ss, nil, nil
	}
	var one []int64
	if json.Unmarshal(raw, &one) == nil {
		if len(one) == 0 {
			return nil, nil, badRequest("prompt", "prompt is an empty list")
		}
		p, err := toIDs(one, "prompt")
		return nil, [][]int32{p}, err
	}
	var many [][]int64
	if json.Unmarshal(raw, &many) == nil {
		if len(many) == 0 {
			return nil, nil, badRequest("prompt", "prompt is an empty list")
		}
		for i, m := range many {
			p, err := toIDs(m, fmt.Sprintf("prompt[%d]", i))
			if err != nil {
				return nil, nil, err
			}
			ids = append(ids, p)
		}
		return nil, ids, nil
	}
	return nil, nil, badRequest("prompt", "prompt must be a string, a list of strings, a list of token ids or a list of lists of token ids")
}

func toIDs(v []int64, param string) ([]int32, *apiError) {
	out := make([]int32, len(v))
	for i, x := range v {
		if x < 0 || x > math.MaxInt32 {
			return nil, badRequest(param, "%s: token id %d at position %d is out of range", param, x, i)
		}
		out[i] = int32(x)
	}
	return out, nil
}

// parseStop reads stop: null, a string or a list of strings (at most 4
// non-empty strings, as OpenAI allows; empty strings are dropped).
func parseStop(raw json.RawMessage) ([]string, *apiError) {
	if isNull(raw) {
		return nil, nil
	}
	var list []string
	var s string
	if json.Unmarshal(raw, &s) == nil {
		list = []string{s}
	} else if json.Unmarshal(raw, &list) != nil {
		return nil, badRequest("stop", "stop must be a string or a list of strings")
	}
	var out []string
	for _, x := range list {
		if x != "" {
			out = append(out, x)
		}
	}
	if len(out) > maxStops {
		return nil, badRequest("stop", "at most %d stop sequences are allowed, got %d", maxStops, len(out))
	}
	for _, x := range out {
		if len(x) > maxStopBytes {
			return nil, badRequest("stop", "a stop sequence is at most %d bytes, got %d", maxStopBytes, len(x))
		}
	}
	return out, nil
}

const (
	maxStops     = 4
	maxStopBytes = 256
)

// ---- Responses ----

type usage struct {
	PromptTokens     int `json:"prompt_tokens"`
	CompletionTokens int `json:"completion_tokens"`
	TotalTokens      int `json:"total_tokens"`
}

// completionLogprobs is the legacy completions logprobs object.
type completionLogprobs struct {
	Tokens        []string             `json:"tokens"`
	TokenLogprobs []float32            `json:"token_logprobs"`
	TopLogprobs   []map[string]float32 `json:"top_logprobs"` // null: not computed
	TextOffset    []int                `json:"text_offset"`
}

type completionChoice struct {
	Index          int                 `json:"index"`
	Text           string              `json:"text"`
	Logprobs       *completionLogprobs `json:"logprobs"`
	FinishReason   *string             `json:"finish_reason"`
	StopReason     any                 `json:"stop_reason,omitempty"` // the stop string or token id that ended it (vLLM)
	TokenIDs       []int32             `json:"token_ids"`
	PromptTokenIDs []int32             `json:"prompt_token_ids,omitempty"`
}

type completionResponse struct {
	ID      string             `json:"id"`
	Object  string             `json:"object"`
	Created int64              `json:"created"`
	Model   string             `json:"model"`
	Choices []completionChoice `json:"choices"`
	Usage   *usage             `json:"usage,omitempty"`
}

type chatLogprob struct {
	Token       string  `json:"token"`
	Logprob     float32 `json:"logprob"`
	Bytes       []int   `json:"bytes"`
	TopLogprobs []any   `json:"top_logprobs"`
}

type chatLogprobs struct {
	Content []chatLogprob `json:"content"`
}

type chatOutMessage struct {
	Role    string `json:"role,omitempty"`
	Content string `json:"content"`
}

type chatDelta struct {
	Role    string  `json:"role,omitempty"`
	Content *string `json:"content,omitempty"`
}

type chatChoice struct {
	Index        int             `json:"index"`
	Message      *chatOutMessage `json:"message,omitempty"`
	Delta        *chatDelta      `json:"delta,omitempty"`
	Logprobs     *chatLogprobs   `json:"logprobs"`
	FinishReason *string         `json:"finish_reason"`
	StopReason   any             `json:"stop_reason,omitempty"`
	TokenIDs     []int32         `json:"token_ids"`
}

type chatResponse struct {
	ID             string       `json:"id"`
	Object         string       `json:"object"`
	Created        int64        `json:"created"`
	Model          string       `json:"model"`
	Choices        []chatChoice `json:"choices"`
	Usage          *usage       `json:"usage,omitempty"`
	PromptTokenIDs []int32      `json:"prompt_token_ids,omitempty"`
}

type modelCard struct {
	ID      string `json:"id"`
	Object  string `json:"object"`
	Created int64  `json:"created"`
	OwnedBy string `json:"owned_by"`
	MaxLen  int    `json:"max_model_len"`
}

type modelList struct {
	Object string      `json:"object"`
	Data   []modelCard `json:"data"`
}
