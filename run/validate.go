package run

import (
	"bufio"
	"fmt"
	"math"
	"os"
	"reflect"
	"strconv"
	"strings"
	"sync"

	"github.com/autodidact-rl/autodidact/hf"
	"github.com/autodidact-rl/autodidact/tokenizer"
)

// ParseSeed parses a seed given on a command line: a non-negative integer
// (seeds are uint64; "-5" or "1.5" are refused, never wrapped or cut).
func ParseSeed(s string) (uint64, error) {
	n, err := strconv.ParseUint(strings.TrimSpace(s), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("seed %q: want a non-negative integer below 2^64", s)
	}
	return n, nil
}

// yamlName is a struct field's YAML key ("" for skipped fields), and
// whether the field is inlined.
func yamlName(f reflect.StructField) (string, bool) {
	if !f.IsExported() {
		return "", false
	}
	tag := f.Tag.Get("yaml")
	name, opts, _ := strings.Cut(tag, ",")
	if name == "-" {
		return "", false
	}
	if strings.Contains(opts, "inline") {
		return "", true
	}
	if name == "" {
		name = strings.ToLower(f.Name)
	}
	return name, false
}

// yamlFields maps the YAML keys of a struct type to their field types.
func yamlFields(t reflect.Type, out map[string]reflect.Type) {
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name, inline := yamlName(f)
		if inline {
			ft := f.Type
			for ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				yamlFields(ft, out)
			}
			continue
		}
		if name != "" {
			out[name] = f.Type
		}
	}
}

func joinKey(prefix, k string) string {
	if prefix == "" {
		return k
	}
	return prefix + "." + k
}

// checkIntegral walks a YAML value against the Go type it decodes into
// and refuses a fractional number for an integer field (the YAML decoder
// would silently cut 2.9 to 2) and a null for a number, boolean or string
// (it would silently become zero), naming the key.
func checkIntegral(key string, v any, t reflect.Type) error {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Bool, reflect.String, reflect.Float32, reflect.Float64:
		if v == nil {
			return fmt.Errorf("recipe %s: no value (null would silently make it %v); give one or leave the key out", key, reflect.Zero(t))
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		if v == nil {
			return fmt.Errorf("recipe %s: no value (null would silently make it 0); give one or leave the key out", key)
		}
		if f, ok := v.(float64); ok && (f != math.Trunc(f) || math.IsInf(f, 0)) {
			return fmt.Errorf("recipe %s: %v is not an integer", key, f)
		}
	case reflect.Struct:
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		fields := map[string]reflect.Type{}
		yamlFields(t, fields)
		for k, x := range m {
			if ft, ok := fields[k]; ok {
				if err := checkIntegral(joinKey(key, k), x, ft); err != nil {
					return err
				}
			}
		}
	case reflect.Map:
		if m, ok := v.(map[string]any); ok {
			for k, x := range m {
				if err := checkIntegral(joinKey(key, k), x, t.Elem()); err != nil {
					return err
				}
			}
		}
	case reflect.Slice, reflect.Array:
		if l, ok := v.([]any); ok {
			for i, x := range l {
				if err := checkIntegral(fmt.Sprintf("%s[%d]", key, i), x, t.Elem()); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// checkNumbers refuses NaN and infinite floats anywhere in v and, where
// strict (the loop's own settings, not free-form params or method
// sections), negative integers, naming the key.
func checkNumbers(key string, v reflect.Value, strict bool) error {
	switch v.Kind() {
	case reflect.Float32, reflect.Float64:
		if f := v.Float(); math.IsNaN(f) || math.IsInf(f, 0) {
			return fmt.Errorf("recipe %s: %v is not a finite number", key, f)
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		if strict && v.Int() < 0 {
			return fmt.Errorf("recipe %s: %d must be >= 0", key, v.Int())
		}
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			return checkNumbers(key, v.Elem(), strict && v.Kind() == reflect.Pointer)
		}
	case reflect.Struct:
		t := v.Type()
		for i := 0; i < t.NumField(); i++ {
			name, inline := yamlName(t.Field(i))
			if name == "" && !inline {
				continue
			}
			if err := checkNumbers(joinKey(key, name), v.Field(i), strict); err != nil {
				return err
			}
		}
	case reflect.Map:
		iter := v.MapRange()
		for iter.Next() {
			if err := checkNumbers(joinKey(key, fmt.Sprint(iter.Key().Interface())), iter.Value(), strict); err != nil {
				return err
			}
		}
	case reflect.Slice, reflect.Array:
		for i := 0; i < v.Len(); i++ {
			if err := checkNumbers(fmt.Sprintf("%s[%d]", key, i), v.Index(i), strict); err != nil {
				return err
			}
		}
	}
	return nil
}

// validateSettings holds the loop's range checks that the older Validate
// did not make: finite numbers, non-negative integers, a plain name, a
// template that shows the question, temperatures and generation lengths
// that fit the model, retention knobs, and the memory estimate.
func (r *Recipe) validateSettings() error {
	if err := ValidName(r.Name); err != nil {
		return err
	}
	if err := checkNumbers("", reflect.ValueOf(r).Elem(), true); err != nil {
		return err
	}
	for name, cfg := range r.Methods {
		if err := checkNumbers(name, reflect.ValueOf(cfg), false); err != nil {
			return err
		}
	}
	if !strings.Contains(r.Task.Template.Prompt, "{question}") {
		return fmt.Errorf("recipe task.template.prompt %q has no {question}: the model would never see the question", r.Task.Template.Prompt)
	}
	maxLen := r.Model.MaxLen
	gen := func(key string, n int, positive bool) error {
		if n >= maxLen || (positive && n <= 0) {
			return fmt.Errorf("recipe %s %d: want 0 < %s < model.max_position_embeddings %d (the prompt needs room too)", key, n, key, maxLen)
		}
		return nil
	}
	if r.RL.Steps > 0 {
		if err := gen("rl.max_new_tokens", r.RL.MaxNewTokens, true); err != nil {
			return err
		}
		if r.RL.Temperature < 0 {
			return fmt.Errorf("recipe rl.temperature %v must be >= 0", r.RL.Temperature)
		}
	}
	if err := gen("eval.max_new_tokens", r.Eval.MaxNewTokens, true); err != nil {
		return err
	}
	if r.Eval.FirstError && r.Task.Name != "chain" {
		return fmt.Errorf("recipe eval.first_error: needs task chain (its lines are checked against the reference solution), not %s", r.Task.Name)
	}
	if r.Eval.Temperature < 0 {
		return fmt.Errorf("recipe eval.temperature %v must be >= 0", r.Eval.Temperature)
	}
	if r.Judge.Name == "model" {
		if r.Judge.Temperature < 0 {
			return fmt.Errorf("recipe judge.temperature %v must be >= 0", r.Judge.Temperature)
		}
		if err := gen("judge.max_new_tokens", r.Judge.MaxNewTokens, true); err != nil {
			return err
		}
	}
	if r.CheckpointSeconds < 0 {
		return fmt.Errorf("recipe checkpoint_seconds %v must be >= 0 (0: off)", r.CheckpointSeconds)
	}
	if total := memTotal(); total > 0 {
		if need := r.EstimateMemory(); need > total {
			return fmt.Errorf("recipe needs about %s of memory (%s), more than this machine's %s (MemTotal in /proc/meminfo); lower %s",
				gib(need), r.memoryParts().String(), gib(total), r.memoryParts().largest())
		}
	}
	return nil
}

func gib(b int64) string { return fmt.Sprintf("%.1f GiB", float64(b)/(1<<30)) }

var memTotalOnce struct {
	sync.Once
	n int64
}

// memTotal is the machine's memory in bytes from /proc/meminfo (0 when
// it cannot be read: the memory check is skipped).
func memTotal() int64 {
	memTotalOnce.Do(func() {
		f, err := os.Open("/proc/meminfo")
		if err != nil {
			return
		}
		defer f.Close()
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			fields := strings.Fields(sc.Text())
			if len(fields) >= 2 && fields[0] == "MemTotal:" {
				kb, err := strconv.ParseInt(fields[1], 10, 64)
				if err == nil && kb > 0 {
					memTotalOnce.n = kb << 10
				}
				return
			}
		}
	})
	return memTotalOnce.n
}

// memParts is the memory estimate by part, in bytes (float64: huge
// settings must not overflow).
type memParts struct {
	models, activations, kv float64
	batchKey, slotsKey      string
}

func (p memParts) total() float64 { return p.models + p.activations + p.kv }

func (p memParts) String() string {
	return fmt.Sprintf("weights and AdamW state %s, activations of the largest batch %s, KV cache %s",
		gib(clamp(p.models)), gib(clamp(p.activations)), gib(clamp(p.kv)))
}

// largest names the setting behind the biggest part.
func (p memParts) largest() string {
	switch {
	case p.models >= p.activations && p.models >= p.kv:
		return "the model size (model.hidden_size, model.intermediate_size, model.num_hidden_layers)"
	case p.activations >= p.kv:
		return p.batchKey
	}
	return p.slotsKey
}

func clamp(f float64) int64 {
	if f >= math.MaxInt64 || math.IsNaN(f) {
		return math.MaxInt64
	}
	return int64(f)
}

func (r *Recipe) memoryParts() memParts {
	m := r.Model
	V := float64(len(tokenizer.DefaultAlphabet) + 8)
	H, I, L, T := float64(m.HiddenSize), float64(m.IntermediateSize), float64(m.Layers), float64(m.MaxLen)
	heads, kv := float64(max(m.Heads, 1)), float64(m.KVHeads)
	if kv == 0 {
		kv = heads
	}
	hd := H / heads
	if m.From != "" { // the shape is the model directory's
		if c, err := hf.LoadConfig(m.From); err == nil {
			lc := c.LM
			V, H, I, L = float64(lc.VocabSize), float64(lc.HiddenSize), float64(lc.IntermediateSize), float64(lc.NumHiddenLayers)
			heads, kv, hd = float64(max(lc.NumAttentionHeads, 1)), float64(max(lc.NumKeyValueHeads, 1)), float64(lc.HeadDim())
			T = min(T, float64(lc.MaxPositionEmbeddings))
		}
	}
	params := V*H + L*(2*H*H+2*H*kv*hd+3*H*I+2*H) + H
	// A trained model: weights, gradients and two AdamW moments.
	trained := 1.0
	frozen := 0.0
	if r.RL.Steps > 0 {
		frozen++ // the reference model
		if r.RL.AdvEstimator == "gae" {
			trained++
		}
		trained += float64(len(r.trainedRoles()))
	}
	p := memParts{models: 4 * params * (4*trained + frozen)}
	// Activations (kept for backward, and their gradients) of the largest
	// batch: per token and layer the block's intermediate vectors and a row
	// of attention probabilities per head, plus the logits.
	rows, key := 0.0, ""
	for _, b := range []struct {
		n   float64
		key string
	}{{float64(r.Pretrain.Batch) * b2f(r.Pretrain.Steps > 0), "pretrain.batch"},
		{float64(r.SFT.Batch) * b2f(r.SFT.Steps > 0), "sft.batch"},
		{float64(r.RL.PromptsPerStep) * float64(r.RL.GroupSize) * b2f(r.RL.Steps > 0), "rl.prompts_per_step (or rl.group_size)"}} {
		if b.n > rows {
			rows, key = b.n, b.key
		}
	}
	perToken := L*(10*H+4*I+2*heads*T) + 3*V
	p.activations, p.batchKey = 4*2*rows*T*perToken, key
	// The KV cache of the sampling slots (RL rollouts, evaluation chunks).
	slots, skey := float64(r.Eval.Samples)+genChunk, "eval.samples"
	if r.RL.Steps > 0 {
		if s := min(float64(max(r.RL.Slots, 1)), float64(r.RL.PromptsPerStep)*float64(r.RL.GroupSize)); s > slots {
			slots, skey = s, "rl.slots (or rl.prompts_per_step)"
		}
	}
	p.kv, p.slotsKey = 4*slots*(L*2*kv*hd*T+V), skey
	return p
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// EstimateMemory is a rough upper bound, in bytes, of the memory a run of
// the recipe needs: weights, gradients and AdamW state of the trained
// models (plus the frozen reference), activations of the largest batch,
// and the KV cache of the sampling slots. Validate refuses a recipe whose
// estimate exceeds the machine's memory.
func (r *Recipe) EstimateMemory() int64 { return clamp(r.memoryParts().total()) }

// MachineMemory is the memory Validate compares EstimateMemory with: this
// machine's MemTotal from /proc/meminfo in bytes (0: unknown, not checked).
func MachineMemory() int64 { return memTotal() }

// DiffRecipes lists the settings that differ between two recipes as
// "key: old -> new" (dotted YAML keys, sorted; "(absent)" for a key only
// one has),
// e.g. to show what --set overrides changed in a dry run.
func DiffRecipes(before, after *Recipe) []string {
	return diffYAML(before.YAML(), after.YAML(), 0)
}
