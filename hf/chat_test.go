package hf

import (
	"encoding/json"
	"strings"
	"testing"
)

func loadChat(t *testing.T, name string) *ChatTemplate {
	t.Helper()
	c, err := LoadChatTemplate("testdata/chat/" + name)
	if err != nil {
		t.Fatal(err)
	}
	if c == nil {
		t.Fatalf("%s: no chat template", name)
	}
	return c
}

type chatCase struct {
	name string
	msgs []Message
	opt  ChatOptions
	want string
}

func runChat(t *testing.T, c *ChatTemplate, cases []chatCase) {
	t.Helper()
	for _, tc := range cases {
		got, err := c.Render(tc.msgs, tc.opt)
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if got != tc.want {
			t.Errorf("%s:\n got %q\nwant %q", tc.name, got, tc.want)
		}
	}
}

var (
	hi        = []Message{{Role: "user", Content: "Hi"}}
	multiTurn = []Message{{Role: "system", Content: "Be brief."}, {Role: "user", Content: "2+2?"},
		{Role: "assistant", Content: "4"}, {Role: "user", Content: "3+3?"}}
	gen = ChatOptions{AddGenerationPrompt: true}
)

// Expected strings are derived by hand from each template's source.
func TestChatTemplateQwen25(t *testing.T) {
	c := loadChat(t, "qwen2.5")
	const sys = "<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\n"
	runChat(t, c, []chatCase{
		{"one user turn", hi, gen, sys + "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n"},
		{"no generation prompt", hi, ChatOptions{}, sys + "<|im_start|>user\nHi<|im_end|>\n"},
		{"system and turns", multiTurn, gen, "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\n2+2?<|im_end|>\n" +
			"<|im_start|>assistant\n4<|im_end|>\n<|im_start|>user\n3+3?<|im_end|>\n<|im_start|>assistant\n"},
		{"tool calls and responses", []Message{{Role: "user", Content: "Weather?"},
			{Role: "assistant", Content: "", Extra: map[string]any{"tool_calls": []any{
				map[string]any{"type": "function", "function": map[string]any{"name": "weather", "arguments": map[string]any{"city": "Paris"}}}}}},
			{Role: "tool", Content: "sunny"}}, gen,
			sys + "<|im_start|>user\nWeather?<|im_end|>\n<|im_start|>assistant\n<tool_call>\n{\"name\": \"weather\", \"arguments\": {\"city\": \"Paris\"}}\n</tool_call><|im_end|>\n" +
				"<|im_start|>user\n<tool_response>\nsunny\n</tool_response><|im_end|>\n<|im_start|>assistant\n"},
	})
}

func TestChatTemplateQwen3(t *testing.T) {
	c := loadChat(t, "qwen3")
	runChat(t, c, []chatCase{
		{"one user turn", hi, gen, "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n"},
		{"thinking off", hi, ChatOptions{AddGenerationPrompt: true, Vars: map[string]any{"enable_thinking": false}},
			"<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\n"},
		{"system and turns", multiTurn, gen, "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\n2+2?<|im_end|>\n" +
			"<|im_start|>assistant\n4<|im_end|>\n<|im_start|>user\n3+3?<|im_end|>\n<|im_start|>assistant\n"},
		// Reasoning of turns before the last user query is dropped; the
		// final assistant turn keeps it.
		{"reasoning", []Message{{Role: "user", Content: "a"}, {Role: "assistant", Content: "<think>\nr1\n</think>\n\nA"},
			{Role: "user", Content: "b"}, {Role: "assistant", Content: "<think>\nr2\n</think>\n\nB"}}, ChatOptions{},
			"<|im_start|>user\na<|im_end|>\n<|im_start|>assistant\nA<|im_end|>\n<|im_start|>user\nb<|im_end|>\n" +
				"<|im_start|>assistant\n<think>\nr2\n</think>\n\nB<|im_end|>\n"},
	})
}

// Tools render with tojson as transformers writes them (json.dumps with
// ensure_ascii=False): ", " and ": " separators, no HTML escaping, key
// order kept for json.RawMessage values (sorted for Go maps).
func TestChatTemplateQwen3Tools(t *testing.T) {
	c := loadChat(t, "qwen3")
	tool := json.RawMessage(`{"type": "function", "function": {"name": "weather", "description": "Get <b>weather</b> & more, é", "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}}`)
	got, err := c.Render(hi, ChatOptions{AddGenerationPrompt: true, Tools: []any{tool}})
	if err != nil {
		t.Fatal(err)
	}
	want := "<|im_start|>system\n# Tools\n\nYou may call one or more functions to assist with the user query.\n\n" +
		"You are provided with function signatures within <tools></tools> XML tags:\n<tools>\n" +
		`{"type": "function", "function": {"name": "weather", "description": "Get <b>weather</b> & more, é", "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}}` +
		"\n</tools>\n\nFor each function call, return a json object with function name and arguments within <tool_call></tool_call> XML tags:\n" +
		"<tool_call>\n{\"name\": <function-name>, \"arguments\": <args-json-object>}\n</tool_call><|im_end|>\n" +
		"<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n"
	if got != want {
		t.Fatalf("\n got %q\nwant %q", got, want)
	}
	var b strings.Builder
	if err := pyJSON(&b, map[string]any{"b": []any{1, 2.5, 3.0, nil, true}, "a": "x\ny\"\u0001"}, -1, 0); err != nil {
		t.Fatal(err)
	}
	if w := `{"a": "x\ny\"\u0001", "b": [1, 2.5, 3.0, null, true]}`; b.String() != w {
		t.Fatalf("pyJSON: %s, want %s", b.String(), w)
	}
}

func TestChatTemplateLlama3(t *testing.T) {
	c := loadChat(t, "llama3")
	if c.BOS != "<|begin_of_text|>" {
		t.Fatalf("bos_token %q", c.BOS)
	}
	const head = "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nBe brief.<|eot_id|>" +
		"<|start_header_id|>user<|end_header_id|>\n\n2+2?<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n4<|eot_id|>" +
		"<|start_header_id|>user<|end_header_id|>\n\n3+3?<|eot_id|>"
	runChat(t, c, []chatCase{
		// This (Llama-3-8B-Instruct) template always ends with the assistant header.
		{"one user turn", []Message{{Role: "user", Content: "  Hi \n"}}, ChatOptions{},
			"<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n"},
		{"turns", multiTurn, gen, head + "<|start_header_id|>assistant<|end_header_id|>\n\n"},
	})
	runChat(t, loadChat(t, "llama3_1"), []chatCase{
		{"no generation prompt", multiTurn, ChatOptions{}, head},
		{"generation prompt", multiTurn, gen, head + "<|start_header_id|>assistant<|end_header_id|>\n\n"},
	})
}

func TestChatTemplateErrors(t *testing.T) {
	if _, err := ParseChatTemplate("{% if %}", "", ""); err == nil {
		t.Fatal("a broken template parsed")
	}
	c, err := ParseChatTemplate("{{ raise_exception('roles must alternate') }}", "", "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Render(hi, ChatOptions{}); err == nil || !strings.Contains(err.Error(), "roles must alternate") {
		t.Fatalf("raise_exception: %v", err)
	}
	if c, err := LoadChatTemplate("testdata/qwen3-f32"); c != nil || err != nil {
		t.Fatalf("no tokenizer_config.json: %v, %v", c, err)
	}
}
