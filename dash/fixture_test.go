package dash

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/autodidact-rl/autodidact/control"
	"github.com/autodidact-rl/autodidact/run"
	"github.com/autodidact-rl/autodidact/tokenizer"
)

// fixtureRoot is a parent directory built once by TestMain from real tiny
// runs:
//
//	lm-grpo/        a finished GRPO smoke run (package run)
//	ctl-ppo/        a finished PPO CartPole run (package control)
//	ctl-drv/        a finished (one-update) PPO Driving-v0 run
//	episodes/       lm-grpo's tokenizer and metrics with synthetic samples in the episode format
//	cmp/compare.json, cmp/a/, cmp/b/   a compare directory with two cells
//	live/           metrics only, written just now (running)
//	dead/           metrics only, last written an hour ago (failed)
var fixtureRoot string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "dash-fixture-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	root := filepath.Join(dir, "runs") // a stable root name for the IDs in screenshots
	if err := buildFixture(root); err != nil {
		fmt.Fprintln(os.Stderr, "fixture:", err)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	fixtureRoot = root
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func buildFixture(root string) error {
	r, err := run.LoadRecipe("grpo")
	if err != nil {
		return err
	}
	if err := r.Set(run.SmokeOverrides); err != nil {
		return err
	}
	lm := filepath.Join(root, "lm-grpo")
	if _, err := run.Run(r, lm, false, io.Discard); err != nil {
		return fmt.Errorf("grpo smoke run: %w", err)
	}
	cfg := control.DefaultPPO("CartPole-v1")
	cfg.Steps = 2048
	if _, err := control.RunPPO(cfg, filepath.Join(root, "ctl-ppo"), 2, io.Discard); err != nil {
		return fmt.Errorf("ppo run: %w", err)
	}
	drv := control.DefaultPPO("Driving-v0")
	drv.Steps = 512
	if _, err := control.RunPPO(drv, filepath.Join(root, "ctl-drv"), 1, io.Discard); err != nil {
		return fmt.Errorf("ppo driving run: %w", err)
	}
	ep := filepath.Join(root, "episodes")
	if err := os.MkdirAll(ep, 0o755); err != nil {
		return err
	}
	for _, f := range []string{"config.yaml", "metrics.jsonl", "tokenizer.json"} {
		b, err := os.ReadFile(filepath.Join(lm, f))
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(ep, f), b, 0o644); err != nil {
			return err
		}
	}
	lines, err := episodeLines(filepath.Join(ep, "tokenizer.json"))
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(ep, "samples.jsonl"), lines, 0o644); err != nil {
		return err
	}
	for _, cell := range []string{"a", "b"} {
		d := filepath.Join(root, "cmp", cell)
		if err := os.MkdirAll(d, 0o755); err != nil {
			return err
		}
		for _, f := range []string{"config.yaml", "metrics.jsonl", "summary.json"} {
			b, err := os.ReadFile(filepath.Join(lm, f))
			if err != nil {
				return err
			}
			if err := os.WriteFile(filepath.Join(d, f), b, 0o644); err != nil {
				return err
			}
		}
	}
	cj, _ := json.Marshal(map[string]any{"cells": []string{"a", "b"}})
	if err := os.WriteFile(filepath.Join(root, "cmp", "compare.json"), cj, 0o644); err != nil {
		return err
	}
	for _, d := range []string{"live", "dead"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			return err
		}
		p := filepath.Join(root, d, "metrics.jsonl")
		if err := os.WriteFile(p, []byte(`{"stage":"pretrain","gstep":1,"loss":3.5}`+"\n"+`{"stage":"pretrain","gstep":2,"loss":3.1}`+"\n"), 0o644); err != nil {
			return err
		}
	}
	old := time.Now().Add(-time.Hour)
	return os.Chtimes(filepath.Join(root, "dead", "metrics.jsonl"), old, old)
}

// episodeLines returns samples.jsonl lines: two in the episode format,
// with ids from the run's tokenizer, and one in the old format.
func episodeLines(tokPath string) ([]byte, error) {
	tok, err := tokenizer.LoadChar(tokPath)
	if err != nil {
		return nil, err
	}
	ids := func(s string) []int32 {
		v, err := tok.Encode(s)
		if err != nil {
			panic(err) // the texts below are in the default alphabet
		}
		return v
	}
	type seg = map[string]any
	eps := []map[string]any{
		{"gstep": 1012, "step": 12, "episode": 3, "group": 0, "env": "two_turn", "reward": 1, "correct": true, "advantage": 0.71,
			"segments": []seg{
				{"role": "prompt", "trainable": false, "text": "12+34\n", "ids": ids("12+34\n")},
				{"role": "policy", "trainable": true, "text": "46", "ids": ids("46"), "logprobs": []float64{-0.1, -2.3}, "advantages": []float64{0.71, 0.71}, "entropies": []float64{0.2, 1.5}},
				{"role": "observation", "trainable": false, "text": "Check your answer.\n", "ids": ids("Check your answer.\n")},
				{"role": "tool", "source": "calc", "trainable": false, "text": "<result>56</result>"},
			},
			"verdicts": []seg{{"judge": "verifier", "reward": 1, "reason": "equal"}}},
		{"gstep": 1013, "step": 13, "episode": 0, "group": 1, "env": "two_turn", "reward": 0, "correct": false, "advantage": -0.5,
			"segments": []seg{
				{"role": "proposer", "trainable": true, "text": "7", "ids": ids("7"), "logprobs": []float64{-0.7}, "advantages": []float64{-0.5}},
				{"role": "judge", "source": "critic", "trainable": false, "text": "wrong"},
			},
			"verdicts": []seg{{"judge": "critic", "reward": 0, "reason": "mismatch"}}},
		{"gstep": 5, "prompt": "1+1\n", "completion": "2\n#### 2", "reward": 1, "correct": true, "advantage": 0.5},
	}
	var out []byte
	for _, e := range eps {
		b, err := json.Marshal(e)
		if err != nil {
			return nil, err
		}
		out = append(append(out, b...), '\n')
	}
	return out, nil
}
