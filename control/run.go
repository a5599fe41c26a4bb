package control

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/autodidact-rl/autodidact/checkpoint"
	"github.com/autodidact-rl/autodidact/control/env"
	"github.com/autodidact-rl/autodidact/nn"
)

// Summary is summary.json of a control run.
type Summary struct {
	Algo        string    `json:"algo"`
	Env         string    `json:"env"`
	Seed        uint64    `json:"seed"`
	Steps       int       `json:"steps"`
	FinalReturn float64   `json:"final_return"` // mean greedy return over EvalEpisodes
	EvalReturns []float64 `json:"eval_returns"`
	WallSeconds float64   `json:"wall_seconds"`
}

// RunSAC trains SAC into dir like RunPPO.
func RunSAC(cfg SACConfig, dir string, evalEpisodes int, log io.Writer) (*Summary, error) {
	return runSAC(cfg, runOpts{dir: dir}, evalEpisodes, log)
}

func runSAC(cfg SACConfig, o runOpts, evalEpisodes int, log io.Writer) (*Summary, error) {
	return runAlgoCk("sac", cfg, cfg.Env, cfg.Seed, cfg.Steps, o, cfg.CheckpointEvery, evalEpisodes, func(metrics func(map[string]any), ck *ckpt) (*Policy, error) {
		return trainSAC(cfg, log, metrics, ck)
	})
}

// RunPPO trains PPO into dir (config.json, metrics.jsonl, policy
// checkpoint, summary.json) and evaluates the greedy policy.
func RunPPO(cfg PPOConfig, dir string, evalEpisodes int, log io.Writer) (*Summary, error) {
	return runPPO(cfg, runOpts{dir: dir}, evalEpisodes, log)
}

func runPPO(cfg PPOConfig, o runOpts, evalEpisodes int, log io.Writer) (*Summary, error) {
	return runAlgoCk("ppo", cfg, cfg.Env, cfg.Seed, cfg.Steps, o, cfg.CheckpointEvery, evalEpisodes, func(metrics func(map[string]any), ck *ckpt) (*Policy, error) {
		return trainPPO(cfg, log, metrics, ck)
	})
}

// runAlgo runs a training function without checkpoints into a new or
// empty dir.
func runAlgo(algo string, cfg any, envName string, seed uint64, steps int, dir string, evalEpisodes int, train func(func(map[string]any)) (*Policy, error)) (*Summary, error) {
	return runAlgoCk(algo, cfg, envName, seed, steps, runOpts{dir: dir}, 0, evalEpisodes, func(m func(map[string]any), _ *ckpt) (*Policy, error) {
		return train(m)
	})
}

// runAlgoCk runs train into o.dir with a checkpoint every `every` steps
// (0: none). A fresh run needs a new or empty directory; a resumed one
// (o.resume) reads its state.gob, cuts metrics.jsonl back to the
// checkpoint's length and continues.
func runAlgoCk(algo string, cfg any, envName string, seed uint64, steps int, o runOpts, every int, evalEpisodes int, train func(func(map[string]any), *ckpt) (*Policy, error)) (*Summary, error) {
	dir := o.dir
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	lock, err := checkpoint.LockDir(dir)
	if err != nil {
		return nil, err
	}
	defer lock.Unlock()
	start := time.Now()
	ck := &ckpt{algo: algo, dir: dir, every: every, stopAt: o.stopAt}
	var mf *os.File
	if o.resume {
		if ck.resume, err = readState(dir); err != nil {
			return nil, err
		}
		var keep int64
		if ck.resume != nil {
			if ck.resume.Algo != algo {
				return nil, fmt.Errorf("%s: the checkpoint is of %s, the run of %s", dir, ck.resume.Algo, algo)
			}
			keep = ck.resume.MetricsBytes
		}
		if mf, err = os.OpenFile(filepath.Join(dir, "metrics.jsonl"), os.O_RDWR|os.O_CREATE, 0o644); err != nil {
			return nil, err
		}
		if err := mf.Truncate(keep); err != nil {
			mf.Close()
			return nil, err
		}
		if _, err := mf.Seek(keep, io.SeekStart); err != nil {
			mf.Close()
			return nil, err
		}
	} else {
		// A control run never overwrites anything: not another run's files
		// (an LM run's config.yaml, metrics.jsonl, summary.json...), not a
		// user's.
		if names, err := checkpoint.DirEntries(dir); err != nil {
			return nil, err
		} else if len(names) > 0 {
			return nil, fmt.Errorf("%s is not empty (it holds %s); a control run needs a new or empty directory", dir, strings.Join(names, ", "))
		}
		cj, _ := json.MarshalIndent(map[string]any{"algo": algo, algo: cfg}, "", "  ")
		if err := checkpoint.WriteFileAtomic(filepath.Join(dir, "config.json"), cj); err != nil {
			return nil, err
		}
		if mf, err = os.Create(filepath.Join(dir, "metrics.jsonl")); err != nil {
			return nil, err
		}
	}
	defer mf.Close()
	ck.metrics = mf
	enc := json.NewEncoder(mf)
	pol, err := train(func(m map[string]any) { enc.Encode(m) }, ck)
	if err != nil {
		return nil, err
	}
	if err := SavePolicy(filepath.Join(dir, "policy.safetensors"), envName, pol); err != nil {
		return nil, err
	}
	rets, err := pol.Evaluate(envName, evalEpisodes, seed+1_000_000)
	if err != nil {
		return nil, err
	}
	s := &Summary{Algo: algo, Env: envName, Seed: seed, Steps: steps, FinalReturn: mean(rets), EvalReturns: rets,
		WallSeconds: time.Since(start).Seconds()}
	sj, _ := json.MarshalIndent(s, "", "  ")
	if err := checkpoint.WriteFileAtomic(filepath.Join(dir, "summary.json"), append(sj, '\n')); err != nil {
		return nil, err
	}
	// A finished run needs no checkpoint (summary.json marks it done).
	if err := os.Remove(filepath.Join(dir, StateFile)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	return s, nil
}

func mean(x []float64) float64 {
	var s float64
	for _, v := range x {
		s += v
	}
	return s / float64(max(len(x), 1))
}

// SavePolicy writes the actor (and log-stds) with its layer sizes.
func SavePolicy(path, envName string, p *Policy) error {
	var ts []checkpoint.Tensor
	params := p.Actor.Params()
	if p.LogStd != nil {
		params = append(params, p.LogStd)
	}
	for _, q := range params {
		ts = append(ts, checkpoint.Tensor{Name: q.Name, Shape: q.Shape, Data: q.W})
	}
	sizes, _ := json.Marshal(p.Actor.Sizes)
	squash := "false"
	if p.squash {
		squash = "true"
	}
	return checkpoint.WriteSafetensors(path, ts, map[string]string{"env": envName, "sizes": string(sizes), "activation": string(p.Actor.Act), "squash": squash})
}

// LoadPolicy reads a policy written by SavePolicy.
func LoadPolicy(path string) (*Policy, string, error) {
	ts, meta, err := checkpoint.ReadSafetensors(path)
	if err != nil {
		return nil, "", err
	}
	var sizes []int
	if err := json.Unmarshal([]byte(meta["sizes"]), &sizes); err != nil {
		return nil, "", fmt.Errorf("%s: metadata sizes: %w", path, err)
	}
	e, err := env.Make(meta["env"])
	if err != nil {
		return nil, "", fmt.Errorf("%s: %w", path, err)
	}
	as := e.ActionSpace()
	actor, err := nn.NewMLP("actor", sizes, nn.Activation(meta["activation"]), 1, rand.New(rand.NewPCG(0, 0))) // weights are overwritten
	if err != nil {
		return nil, "", fmt.Errorf("%s: %w", path, err)
	}
	p := &Policy{Actor: actor, Discrete: as.Discrete, Low: as.Low, High: as.High}
	params := actor.Params()
	if meta["squash"] == "true" {
		p.squash = true
		for i := range as.Low {
			p.scale = append(p.scale, (as.High[i]-as.Low[i])/2)
			p.bias = append(p.bias, (as.High[i]+as.Low[i])/2)
		}
	} else if as.Discrete == 0 {
		p.LogStd = nn.NewParam("actor.log_std", as.Dim)
		params = append(params, p.LogStd)
	}
	for _, q := range params {
		t, ok := ts[q.Name]
		if !ok || len(t.Data) != len(q.W) {
			return nil, "", fmt.Errorf("%s: tensor %s is missing or has the wrong size", path, q.Name)
		}
		copy(q.W, t.Data)
	}
	return p, meta["env"], nil
}
