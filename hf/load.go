package hf

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/autodidact-rl/autodidact/lm"
	"github.com/autodidact-rl/autodidact/nn"
	"github.com/autodidact-rl/autodidact/tokenizer"
)

// Options adjust Load.
type Options struct {
	// MaxPositions, when positive, lowers max_position_embeddings (the
	// longest sequence and the size of the rotary tables) to save memory;
	// it never raises it.
	MaxPositions int
	// ValueHead adds a zero value head (PPO critic) when the files carry
	// none.
	ValueHead bool
}

// Load builds a model from a Hugging Face directory: config.json and
// model.safetensors, or the shards named by model.safetensors.index.json.
// Tensors may be F32, F16 or BF16; files are memory-mapped and each tensor
// converted once into the model's float32 weights. Every tensor the model
// needs must be present with its shape, and every tensor in the files must
// be used (rotary inv_freq buffers and an lm_head equal to a tied
// embedding excepted); errors name the tensor and its file.
func Load(dir string, opt Options) (*lm.Model, error) {
	c, err := LoadConfig(dir)
	if err != nil {
		return nil, err
	}
	cfg := c.LM
	if opt.MaxPositions > 0 && opt.MaxPositions < cfg.MaxPositionEmbeddings {
		cfg.MaxPositionEmbeddings = opt.MaxPositions
	}
	files, err := weightFiles(dir)
	if err != nil {
		return nil, err
	}
	tensors := map[string]*stTensor{}
	var releases []func()
	defer func() {
		for _, r := range releases {
			r()
		}
	}()
	for _, f := range files {
		path := filepath.Join(dir, f.file)
		data, release, err := mapFile(path)
		if err != nil {
			return nil, err
		}
		releases = append(releases, release)
		ts, err := parseSafetensors(path, data)
		if err != nil {
			return nil, err
		}
		for _, name := range f.names {
			if ts[name] == nil {
				return nil, fmt.Errorf("%s: tensor %s is listed in %s but not in its file %s", dir, name, IndexFile, f.file)
			}
		}
		for name, t := range ts {
			if f.names != nil && !f.listed[name] {
				return nil, fmt.Errorf("%s: tensor %s is in %s but %s does not list it there", dir, name, f.file, IndexFile)
			}
			if prev := tensors[name]; prev != nil {
				return nil, fmt.Errorf("%s: tensor %s is in both %s and %s", dir, name, prev.file, path)
			}
			tensors[name] = t
		}
	}
	cfg.ValueHead = cfg.ValueHead || opt.ValueHead || tensors["value_head.weight"] != nil
	m, err := lm.NewZero(cfg)
	if err != nil {
		return nil, err
	}
	type job struct {
		p *nn.Param
		t *stTensor
	}
	var jobs []job
	used := map[string]bool{}
	for _, p := range m.Params() {
		t := tensors[p.Name]
		if t == nil {
			if strings.HasPrefix(p.Name, "value_head.") && tensors["value_head.weight"] == nil {
				continue // a new critic head starts at zero
			}
			return nil, fmt.Errorf("%s: tensor %s is missing (the %s config needs it with shape %v)", dir, p.Name, c.ModelType, p.Shape)
		}
		if !slices.Equal(t.shape, p.Shape) {
			return nil, fmt.Errorf("%s: tensor %s has shape %v, the config needs %v", t.file, p.Name, t.shape, p.Shape)
		}
		used[p.Name] = true
		jobs = append(jobs, job{p, t})
	}
	// Convert in parallel, one tensor per task.
	var wg sync.WaitGroup
	next := make(chan job)
	for w := 0; w < runtime.GOMAXPROCS(0); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range next {
				j.t.convert(j.p.W)
			}
		}()
	}
	for _, j := range jobs {
		next <- j
	}
	close(next)
	wg.Wait()
	var extra []string
	for name, t := range tensors {
		switch {
		case used[name], strings.HasSuffix(name, ".rotary_emb.inv_freq"):
		case name == "lm_head.weight" && cfg.TieWordEmbeddings:
			if !slices.Equal(t.shape, m.Embed.Shape) || !equalTo(t, m.Embed.W) {
				return nil, fmt.Errorf("%s: tensor lm_head.weight differs from model.embed_tokens.weight but tie_word_embeddings is true", t.file)
			}
		default:
			extra = append(extra, name)
		}
	}
	if len(extra) > 0 {
		sort.Strings(extra)
		return nil, fmt.Errorf("%s: tensor %s is not part of the %s model described by config.json (%d unexpected tensors)", tensors[extra[0]].file, extra[0], c.ModelType, len(extra))
	}
	return m, nil
}

func equalTo(t *stTensor, w []float32) bool {
	v := make([]float32, t.elements())
	t.convert(v)
	for i := range v {
		if v[i] != w[i] {
			return false
		}
	}
	return true
}

type weightFile struct {
	file   string
	names  []string // tensors the index assigns to the file (nil: unsharded)
	listed map[string]bool
}

// weightFiles lists the safetensors files of dir: the shards of
// model.safetensors.index.json when it exists, else model.safetensors.
func weightFiles(dir string) ([]weightFile, error) {
	idx := filepath.Join(dir, IndexFile)
	data, err := os.ReadFile(idx)
	if os.IsNotExist(err) {
		if _, err := os.Stat(filepath.Join(dir, WeightsFile)); err != nil {
			return nil, fmt.Errorf("%s: no %s or %s: %w", dir, WeightsFile, IndexFile, err)
		}
		return []weightFile{{file: WeightsFile}}, nil
	}
	if err != nil {
		return nil, err
	}
	var ix struct {
		WeightMap map[string]string `json:"weight_map"`
	}
	if err := json.Unmarshal(data, &ix); err != nil {
		return nil, fmt.Errorf("%s: %w", idx, err)
	}
	if len(ix.WeightMap) == 0 {
		return nil, fmt.Errorf("%s: weight_map is missing or empty", idx)
	}
	byFile := map[string]*weightFile{}
	var order []string
	for name, f := range ix.WeightMap {
		if f == "" || filepath.Base(f) != f {
			return nil, fmt.Errorf("%s: tensor %s maps to %q, which is not a file name in the directory", idx, name, f)
		}
		w := byFile[f]
		if w == nil {
			w = &weightFile{file: f, listed: map[string]bool{}}
			byFile[f] = w
			order = append(order, f)
		}
		w.names = append(w.names, name)
		w.listed[name] = true
	}
	sort.Strings(order)
	out := make([]weightFile, len(order))
	for i, f := range order {
		out[i] = *byFile[f]
		sort.Strings(out[i].names)
	}
	return out, nil
}

// LoadTokenizer reads dir/tokenizer.json (with dir/tokenizer_config.json's
// special-token aliases when present, as tokenizer.LoadHF does); it returns
// nil and no error when the directory has no tokenizer.json.
func LoadTokenizer(dir string) (*tokenizer.HF, error) {
	path := filepath.Join(dir, TokenizerFile)
	if _, err := os.Stat(path); os.IsNotExist(err) {
		return nil, nil
	}
	return tokenizer.LoadHF(path)
}

// Pretrained is everything a model directory provides.
type Pretrained struct {
	Model        *lm.Model
	Config       Config            // parsed config.json
	Tokenizer    *tokenizer.HF     // nil without tokenizer.json
	Generation   *GenerationConfig // nil without generation_config.json
	ChatTemplate *ChatTemplate     // nil without a chat_template
}

// Open loads the model, config, tokenizer, generation config and chat
// template of a Hugging Face directory.
func Open(dir string, opt Options) (*Pretrained, error) {
	p := &Pretrained{}
	var err error
	if p.Config, err = LoadConfig(dir); err != nil {
		return nil, err
	}
	if p.Model, err = Load(dir, opt); err != nil {
		return nil, err
	}
	if p.Tokenizer, err = LoadTokenizer(dir); err != nil {
		return nil, err
	}
	if p.Generation, err = LoadGenerationConfig(dir); err != nil {
		return nil, err
	}
	if p.ChatTemplate, err = LoadChatTemplate(dir); err != nil {
		return nil, err
	}
	if p.Tokenizer != nil && p.Tokenizer.VocabSize() > p.Model.Cfg.VocabSize {
		return nil, fmt.Errorf("%s: the tokenizer has %d tokens but the model's vocab_size is %d", dir, p.Tokenizer.VocabSize(), p.Model.Cfg.VocabSize)
	}
	return p, nil
}
