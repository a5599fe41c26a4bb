package hf

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/nikolalohinski/gonja/v2"
	"github.com/nikolalohinski/gonja/v2/config"
	"github.com/nikolalohinski/gonja/v2/exec"
	"github.com/nikolalohinski/gonja/v2/loaders"
)

// ChatTemplate is a tokenizer_config.json chat_template (Jinja), rendered
// with gonja under the settings transformers uses (trim_blocks,
// lstrip_blocks, raise_exception and strftime_now available).
type ChatTemplate struct {
	Source     string
	BOS, EOS   string // bos_token / eos_token strings passed to the template
	tpl        *exec.Template
	rendererID string
}

// Message is one chat turn; Extra holds further keys the template may read
// (reasoning_content, tool_calls, name, ...).
type Message struct {
	Role    string
	Content string
	Extra   map[string]any
}

// ChatOptions adjust Render.
type ChatOptions struct {
	// AddGenerationPrompt appends the header that starts the assistant's turn.
	AddGenerationPrompt bool
	// Tools are passed as the template's `tools` (nil: undefined).
	Tools []any
	// Vars are further template variables (e.g. "enable_thinking": false).
	Vars map[string]any
}

// LoadChatTemplate reads dir/tokenizer_config.json's chat_template (a
// string, or a list of {name, template} where "default" is taken) with
// its bos_token and eos_token. It returns nil and no error when the file or
// the template is absent.
func LoadChatTemplate(dir string) (*ChatTemplate, error) {
	path := filepath.Join(dir, TokenizerConfigFile)
	data, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var c struct {
		ChatTemplate json.RawMessage `json:"chat_template"`
		BOS          json.RawMessage `json:"bos_token"`
		EOS          json.RawMessage `json:"eos_token"`
	}
	if err := json.Unmarshal(data, &c); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	src, err := templateSource(c.ChatTemplate)
	if err != nil {
		return nil, fmt.Errorf("%s: chat_template: %w", path, err)
	}
	if src == "" {
		// transformers >= 4.43 may keep it in chat_template.jinja
		if b, err := os.ReadFile(filepath.Join(dir, "chat_template.jinja")); err == nil {
			src = string(b)
		} else {
			return nil, nil
		}
	}
	t, err := ParseChatTemplate(src, tokenString(c.BOS), tokenString(c.EOS))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return t, nil
}

func templateSource(raw json.RawMessage) (string, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return "", nil
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s, nil
	}
	var list []struct {
		Name     string `json:"name"`
		Template string `json:"template"`
	}
	if err := json.Unmarshal(raw, &list); err != nil {
		return "", fmt.Errorf("want a string or a list of {name, template}")
	}
	for _, e := range list {
		if e.Name == "default" {
			return e.Template, nil
		}
	}
	return "", fmt.Errorf("no template named \"default\" among %d", len(list))
}

// tokenString reads a special token given as a string or as an AddedToken
// object {"content": ...}.
func tokenString(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var o struct {
		Content string `json:"content"`
	}
	_ = json.Unmarshal(raw, &o)
	return o.Content
}

var chatConfig = func() *config.Config {
	c := config.New()
	c.TrimBlocks, c.LeftStripBlocks = true, true // as transformers' ImmutableSandboxedEnvironment
	return c
}()

// errRaised marks a raise_exception call from a template.
var errRaised = errors.New("template raised an exception")

var chatEnvironment = &exec.Environment{
	Context: gonja.DefaultContext.Inherit().Update(exec.NewContext(map[string]any{
		"raise_exception": func(_ *exec.Evaluator, params *exec.VarArgs) (any, error) {
			msg := ""
			if len(params.Args) > 0 {
				msg = params.Args[0].String()
			}
			return nil, fmt.Errorf("%w: %s", errRaised, msg)
		},
		"strftime_now": func(_ *exec.Evaluator, params *exec.VarArgs) (string, error) {
			if len(params.Args) != 1 {
				return "", fmt.Errorf("strftime_now takes one format argument")
			}
			return strftime(time.Now(), params.Args[0].String()), nil
		},
	})),
	Filters:           chatFilters(),
	Tests:             gonja.DefaultEnvironment.Tests,
	ControlStructures: gonja.DefaultEnvironment.ControlStructures,
	Methods:           gonja.DefaultEnvironment.Methods,
}

// strftime covers the directives chat templates use (%d %b %Y %m %B %H %M).
func strftime(t time.Time, f string) string {
	r := strings.NewReplacer("%d", t.Format("02"), "%b", t.Format("Jan"), "%B", t.Format("January"),
		"%Y", t.Format("2006"), "%m", t.Format("01"), "%H", t.Format("15"), "%M", t.Format("04"), "%%", "%")
	return r.Replace(f)
}

// ParseChatTemplate compiles a Jinja chat template.
func ParseChatTemplate(src, bos, eos string) (*ChatTemplate, error) {
	id := "chat_template"
	loader, err := loaders.NewFileSystemLoader("")
	if err != nil {
		return nil, err
	}
	shifted, err := loaders.NewShiftedLoader(id, bytes.NewReader([]byte(src)), loader)
	if err != nil {
		return nil, err
	}
	tpl, err := exec.NewTemplate(id, chatConfig, shifted, chatEnvironment)
	if err != nil {
		return nil, fmt.Errorf("chat_template does not parse: %w", err)
	}
	return &ChatTemplate{Source: src, BOS: bos, EOS: eos, tpl: tpl}, nil
}

// Render applies the template to the messages, as transformers'
// apply_chat_template(messages, tokenize=False, add_generation_prompt=...).
func (c *ChatTemplate) Render(msgs []Message, opt ChatOptions) (string, error) {
	ms := make([]any, len(msgs))
	for i, m := range msgs {
		o := map[string]any{"role": m.Role, "content": m.Content}
		for k, v := range m.Extra {
			o[k] = v
		}
		ms[i] = o
	}
	vars := map[string]any{"messages": ms, "add_generation_prompt": opt.AddGenerationPrompt,
		"bos_token": c.BOS, "eos_token": c.EOS}
	if opt.Tools != nil {
		vars["tools"] = opt.Tools
	}
	for k, v := range opt.Vars {
		vars[k] = v
	}
	out, err := c.tpl.ExecuteToString(exec.NewContext(vars))
	if err != nil {
		return "", fmt.Errorf("chat_template: %w", err)
	}
	return out, nil
}

// chatFilters are gonja's filters with tojson replaced by one that writes
// what transformers' tojson (json.dumps(x, ensure_ascii=False)) writes:
// ", " and ": " separators, no HTML escaping. Go maps carry no insertion
// order, so object keys come out sorted.
func chatFilters() *exec.FilterSet {
	fs := exec.NewFilterSet(map[string]exec.FilterFunction{}).Update(gonja.DefaultEnvironment.Filters)
	_ = fs.Replace("tojson", func(e *exec.Evaluator, in *exec.Value, params *exec.VarArgs) *exec.Value {
		if in.IsError() {
			return in
		}
		indent := -1
		if v, ok := params.KwArgs["indent"]; ok && !v.IsNil() {
			if !v.IsInteger() {
				return exec.AsValue(fmt.Errorf("tojson: indent must be an integer, got %s", v.String()))
			}
			indent = v.Integer()
		}
		var b strings.Builder
		if err := pyJSON(&b, in.Interface(), indent, 0); err != nil {
			return exec.AsValue(fmt.Errorf("tojson: %w", err))
		}
		return exec.AsSafeValue(b.String())
	})
	return fs
}

// pyJSON writes v as Python's json.dumps(v, ensure_ascii=False, indent=indent)
// (indent < 0: on one line).
func pyJSON(b *strings.Builder, v any, indent, depth int) error {
	if ev, ok := v.(*exec.Value); ok {
		v = ev.Interface()
	}
	nl := func(d int) {
		if indent >= 0 {
			b.WriteByte('\n')
			b.WriteString(strings.Repeat(" ", indent*d))
		}
	}
	sep := ", "
	if indent >= 0 {
		sep = ","
	}
	switch x := v.(type) {
	case nil:
		b.WriteString("null")
	case bool:
		b.WriteString(map[bool]string{true: "true", false: "false"}[x])
	case string:
		pyString(b, x)
	case int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64:
		fmt.Fprintf(b, "%d", x)
	case float32:
		b.WriteString(pyFloat(float64(x)))
	case float64:
		b.WriteString(pyFloat(x))
	case json.Number:
		b.WriteString(x.String())
	case json.RawMessage: // keeps the object key order of the JSON text, as Python dicts do
		d := json.NewDecoder(bytes.NewReader(x))
		d.UseNumber()
		return pyJSONTokens(b, d, indent, depth)
	default:
		rv := reflect.ValueOf(v)
		switch rv.Kind() {
		case reflect.Slice, reflect.Array:
			if rv.Len() == 0 {
				b.WriteString("[]")
				return nil
			}
			b.WriteByte('[')
			for i := 0; i < rv.Len(); i++ {
				if i > 0 {
					b.WriteString(sep)
				}
				nl(depth + 1)
				if err := pyJSON(b, rv.Index(i).Interface(), indent, depth+1); err != nil {
					return err
				}
			}
			nl(depth)
			b.WriteByte(']')
		case reflect.Map:
			if rv.Len() == 0 {
				b.WriteString("{}")
				return nil
			}
			keys := make([]string, 0, rv.Len())
			vals := map[string]any{}
			for it := rv.MapRange(); it.Next(); {
				k := fmt.Sprint(it.Key().Interface())
				keys = append(keys, k)
				vals[k] = it.Value().Interface()
			}
			sort.Strings(keys)
			b.WriteByte('{')
			for i, k := range keys {
				if i > 0 {
					b.WriteString(sep)
				}
				nl(depth + 1)
				pyString(b, k)
				b.WriteString(": ")
				if err := pyJSON(b, vals[k], indent, depth+1); err != nil {
					return err
				}
			}
			nl(depth)
			b.WriteByte('}')
		default: // structs and the like: through encoding/json
			raw, err := json.Marshal(v)
			if err != nil {
				return err
			}
			var generic any
			d := json.NewDecoder(bytes.NewReader(raw))
			d.UseNumber()
			if err := d.Decode(&generic); err != nil {
				return err
			}
			return pyJSON(b, generic, indent, depth)
		}
	}
	return nil
}

// pyJSONTokens re-encodes one JSON value read from d, keeping key order.
func pyJSONTokens(b *strings.Builder, d *json.Decoder, indent, depth int) error {
	tok, err := d.Token()
	if err != nil {
		return err
	}
	delim, ok := tok.(json.Delim)
	if !ok {
		return pyJSON(b, tok, indent, depth)
	}
	sep := ", "
	if indent >= 0 {
		sep = ","
	}
	nl := func(dd int) {
		if indent >= 0 {
			b.WriteByte('\n')
			b.WriteString(strings.Repeat(" ", indent*dd))
		}
	}
	closing := map[json.Delim]byte{'[': ']', '{': '}'}[delim]
	b.WriteByte(byte(delim))
	n := 0
	for d.More() {
		if n > 0 {
			b.WriteString(sep)
		}
		nl(depth + 1)
		if delim == '{' {
			k, err := d.Token()
			if err != nil {
				return err
			}
			pyString(b, k.(string))
			b.WriteString(": ")
		}
		if err := pyJSONTokens(b, d, indent, depth+1); err != nil {
			return err
		}
		n++
	}
	if _, err := d.Token(); err != nil {
		return err
	}
	if n > 0 {
		nl(depth)
	}
	b.WriteByte(closing)
	return nil
}

func pyFloat(f float64) string {
	if f == float64(int64(f)) && f > -1e16 && f < 1e16 {
		return strconv.FormatFloat(f, 'f', 1, 64)
	}
	return strconv.FormatFloat(f, 'g', -1, 64)
}

// pyString quotes s as json.dumps(ensure_ascii=False) does.
func pyString(b *strings.Builder, s string) {
	b.WriteByte('"')
	for _, r := range s {
		switch r {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		case '\b':
			b.WriteString(`\b`)
		case '\f':
			b.WriteString(`\f`)
		default:
			if r < 0x20 {
				fmt.Fprintf(b, `\u%04x`, r)
			} else if r == utf8.RuneError {
				b.WriteString(`\ufffd`)
			} else {
				b.WriteRune(r)
			}
		}
	}
	b.WriteByte('"')
}
