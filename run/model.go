package run

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	_ "github.com/autodidact-rl/autodidact/dataset" // the "dataset" task: a file of problems
	"github.com/autodidact-rl/autodidact/hf"
	"github.com/autodidact-rl/autodidact/lm"
	"github.com/autodidact-rl/autodidact/openai"
	"github.com/autodidact-rl/autodidact/tokenizer"
)

// codec is the run's tokenizer as the loop uses it: Encode maps text
// (a prompt, an observation, a demonstration) to ids without adding any
// special token; Decode maps generated ids back to text for grading.
type codec interface {
	Encode(text string) ([]int32, error)
	Decode(ids []int32) string
	VocabSize() int
	Special(name string) (int32, bool)
}

// hfCodec is a Hugging Face tokenizer.json as the run's codec: special
// tokens come only from the prompt encoding (promptIDs), never from
// encoding text inside an episode.
type hfCodec struct{ t *tokenizer.HF }

func (c hfCodec) Encode(text string) ([]int32, error) { return c.t.EncodeWith(text, false) }
func (c hfCodec) Decode(ids []int32) string           { return c.t.DecodeWith(ids, false) }
func (c hfCodec) VocabSize() int                      { return c.t.VocabSize() }
func (c hfCodec) Special(name string) (int32, bool)   { return c.t.Special(name) }

// buildTokenizer makes the run's tokenizer and prompt encoding: the
// character tokenizer (prompts are BOS then the text), or, with
// model.from, the Hugging Face model directory's tokenizer.json (prompts
// encoded as its post-processor says, or rendered by its chat template
// with model.chat_template), its end-of-sequence token, and the loaded
// model that buildPolicy hands over.
func (ru *runner) buildTokenizer() error {
	r := ru.r
	if r.Model.From == "" {
		tok, err := tokenizer.NewChar(tokenizer.DefaultAlphabet, nil)
		if err != nil {
			return err
		}
		ru.tok = tok
		ru.bos, _ = tok.Special(tokenizer.BOS)
		ru.eos, _ = tok.Special(tokenizer.EOS)
		ru.promptIDs = func(prompt string) ([]int32, error) {
			ids, err := tok.Encode(prompt)
			if err != nil {
				return nil, fmt.Errorf("prompt %q: %w", prompt, err)
			}
			return append([]int32{ru.bos}, ids...), nil
		}
		ru.tokenizerJSON = func() ([]byte, error) { return json.MarshalIndent(tok, "", "  ") }
		return nil
	}
	p, err := hf.Open(r.Model.From, hf.Options{MaxPositions: r.Model.MaxLen, ValueHead: r.RL.AdvEstimator == "gae"})
	if err != nil {
		return fmt.Errorf("recipe model.from: %w", err)
	}
	if p.Tokenizer == nil {
		return fmt.Errorf("recipe model.from %s: no tokenizer.json", r.Model.From)
	}
	if r.Model.ChatTemplate && p.ChatTemplate == nil {
		return fmt.Errorf("recipe model.chat_template: %s has no chat template (tokenizer_config.json's chat_template)", r.Model.From)
	}
	ru.hfModel = p
	ru.tok = hfCodec{p.Tokenizer}
	eos, ok := p.Tokenizer.Special(tokenizer.EOS)
	if !ok && p.Generation != nil && len(p.Generation.EOSTokenID) > 0 {
		eos, ok = int32(p.Generation.EOSTokenID[0]), true
	}
	if !ok && len(p.Config.EOSTokenID) > 0 {
		eos, ok = int32(p.Config.EOSTokenID[0]), true
	}
	if !ok {
		return fmt.Errorf("recipe model.from %s: no end-of-sequence token (tokenizer_config.json eos_token or generation_config.json eos_token_id)", r.Model.From)
	}
	ru.eos = eos
	// BOS starts the sequences the loop builds itself (a model judge's
	// prompt, SAR's scoring rows): the tokenizer's BOS, else the
	// configuration's, else (Qwen has none) the end-of-sequence token, as
	// GPT-2-style models separate documents.
	bos, ok := p.Tokenizer.Special(tokenizer.BOS)
	if !ok && p.Generation != nil && len(p.Generation.BOSTokenID) > 0 {
		bos, ok = int32(p.Generation.BOSTokenID[0]), true
	}
	if !ok {
		bos = eos
	}
	ru.bos = bos
	chat := p.ChatTemplate
	useChat := r.Model.ChatTemplate
	ru.promptIDs = func(prompt string) ([]int32, error) {
		if !useChat {
			return p.Tokenizer.EncodeWith(prompt, true)
		}
		text, err := chat.Render([]hf.Message{{Role: "user", Content: prompt}}, hf.ChatOptions{AddGenerationPrompt: true})
		if err != nil {
			return nil, fmt.Errorf("chat template: %w", err)
		}
		// The template writes the special tokens itself (as transformers'
		// apply_chat_template encodes without adding any).
		return p.Tokenizer.EncodeWith(text, false)
	}
	file := filepath.Join(r.Model.From, "tokenizer.json")
	ru.tokenizerJSON = func() ([]byte, error) { return os.ReadFile(file) }
	return nil
}

// buildPolicy is the policy at the start of the run.
func (ru *runner) buildPolicy() (*lm.Model, error) {
	if ru.hfModel != nil {
		m := ru.hfModel.Model
		ru.hfModel.Model = nil // the next build loads the directory again
		if m == nil {
			p, err := hf.Open(ru.r.Model.From, hf.Options{MaxPositions: ru.r.Model.MaxLen, ValueHead: ru.r.RL.AdvEstimator == "gae"})
			if err != nil {
				return nil, fmt.Errorf("recipe model.from: %w", err)
			}
			m = p.Model
		}
		return m, nil
	}
	return lm.New(ru.r.Model.LMConfig(ru.tok.VocabSize()), ru.r.Seed)
}

// judgeEndpoint is the client of the recipe's judge endpoint (made once).
func (ru *runner) judgeEndpoint() openai.Completer {
	if ru.endpoint == nil {
		ru.endpoint = newEndpointClient(ru.r.Judge.Endpoint)
	}
	return ru.endpoint
}

// newEndpointClient is the client of an endpoint; the API key is read from
// the named environment variable, so it never enters the recipe.
func newEndpointClient(e EndpointConfig) *openai.Client {
	key := ""
	if e.APIKeyEnv != "" {
		key = os.Getenv(e.APIKeyEnv)
	}
	return &openai.Client{BaseURL: e.URL, Model: e.Model, APIKey: key}
}
