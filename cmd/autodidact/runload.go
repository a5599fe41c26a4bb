package main

import (
	"fmt"
	"path/filepath"

	"github.com/autodidact-rl/autodidact/analyze"
	"github.com/autodidact-rl/autodidact/checkpoint"
	"github.com/autodidact-rl/autodidact/lm"
	"github.com/autodidact-rl/autodidact/run"
	"github.com/autodidact-rl/autodidact/tokenizer"
)

// charRun is a character-tokenizer run directory loaded for a probe:
// its recipe, tokenizer, special tokens and a model.
type charRun struct {
	recipe   *run.Recipe
	tok      *tokenizer.Char
	bos, eos int32
	modelDir string
	model    *lm.Model
}

// loadCharRun loads dir's recipe and tokenizer and the model in
// checkpointDir (empty: the run's latest checkpoint). Runs that start
// from a Hugging Face model (their own tokenizers) are refused.
func loadCharRun(dir, checkpointDir string) (*charRun, error) {
	r, err := run.LoadRecipe(filepath.Join(dir, "config.yaml"))
	if err != nil {
		return nil, err
	}
	if r.Model.From != "" {
		return nil, fmt.Errorf("model.from runs (Hugging Face tokenizers) are not supported; character-tokenizer runs only")
	}
	tok, err := tokenizer.LoadChar(filepath.Join(dir, run.TokenizerFile))
	if err != nil {
		return nil, err
	}
	cr := &charRun{recipe: r, tok: tok, modelDir: checkpointDir}
	cr.bos, _ = tok.Special(tokenizer.BOS)
	cr.eos, _ = tok.Special(tokenizer.EOS)
	if cr.modelDir == "" {
		if cr.modelDir, err = analyze.ModelDir(dir); err != nil {
			return nil, err
		}
	}
	if cr.model, err = checkpoint.LoadModel(cr.modelDir); err != nil {
		return nil, err
	}
	return cr, nil
}
