package run

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"gopkg.in/yaml.v3"

	"github.com/autodidact-rl/autodidact/checkpoint"
	"github.com/autodidact-rl/autodidact/tensor"
)

// Options are settings of one execution of a recipe that do not change
// its results (so they are not part of the recipe and its hash).
type Options struct {
	// PretrainCache is a directory of pretrained models shared by runs
	// (e.g. the cells of a compare grid). A run whose pretraining (and
	// SFT) is identical to a cached one — same PretrainKey — loads the
	// cached model, its progress and its metrics lines instead of
	// training; a run that pretrains stores its model there. The loaded
	// run is bit for bit the run that would have pretrained itself (its
	// metrics.jsonl differs only in the timing fields of the pretraining
	// lines, which are the cached run's). Empty: no cache.
	PretrainCache string
	// Checkpointed, when set, is called after each checkpoint of the run
	// is written and older ones pruned, with the global step: the run
	// directory then holds a consistent state to resume from (a worker
	// of a distributed sweep uploads it). It runs on the run's goroutine,
	// so the run waits for it; it cannot change the run's results.
	Checkpointed func(gstep int)
	// Rollouts, when set, samples the RL steps' episodes elsewhere (rollout
	// workers, run/rollouts.go); evaluations stay local.
	Rollouts Rollouts
}

// pretrainKeyFields are the settings that decide the model a run has
// when pretraining and SFT end: the seed, the task (its problems and
// template), the model's shape, both next-token stages (their data, noise
// and optimiser), the environment (its demonstrations shape the training
// text), and the numerics (backend and thread count: results are bit for
// bit reproducible for a given count). Method plug-ins do not take part in
// pretraining; one that did would have to add its section here.
type pretrainKeyFields struct {
	Seed     uint64         `yaml:"seed"`
	Task     TaskConfig     `yaml:"task"`
	Model    ModelConfig    `yaml:"model"`
	Pretrain PretrainConfig `yaml:"pretrain"`
	SFT      PretrainConfig `yaml:"sft"`
	Env      EnvConfig      `yaml:"env"`
	Backend  string         `yaml:"backend"`
	Threads  int            `yaml:"threads"`
}

// PretrainKey names the model a recipe has after pretraining and SFT
// under the current backend and thread count: two recipes with the same
// key pretrain to the same bits.
func (r *Recipe) PretrainKey() string {
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.Encode(pretrainKeyFields{Seed: r.Seed, Task: r.Task, Model: r.Model, Pretrain: r.Pretrain, SFT: r.SFT,
		Env: r.Env, Backend: tensor.Backend(), Threads: tensor.Threads()})
	enc.Close()
	sum := sha256.Sum256(buf.Bytes())
	return hex.EncodeToString(sum[:12])
}

// Files of a pretrain cache entry (a directory named after the key).
const (
	cacheCheckpoints = "checkpoints" // one checkpoint: the model when SFT ends
	cacheMetrics     = MetricsFile   // the metrics lines written until then
	cacheSamples     = SamplesFile
	cacheRecipe      = ConfigFile // the recipe that pretrained it (for people)
)

// loadPretrained loads the cached model of this run's key, if any, into a
// run that has not started: weights, RNG, progress and the metrics and
// samples lines of pretraining. It then writes a checkpoint of its own,
// so the run resumes without the cache. It reports whether it loaded.
func (ru *runner) loadPretrained() (bool, error) {
	if ru.opts.PretrainCache == "" || ru.prog.GStep != 0 || ru.sftEnd() == 0 {
		return false, nil
	}
	entry := filepath.Join(ru.opts.PretrainCache, ru.r.PretrainKey())
	latest, err := checkpoint.Latest(filepath.Join(entry, cacheCheckpoints))
	if errors.Is(err, checkpoint.ErrNoCheckpoint) || errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("pretrain cache: %w", err)
	}
	metrics, err := os.ReadFile(filepath.Join(entry, cacheMetrics))
	if err != nil {
		return false, fmt.Errorf("pretrain cache: %w", err)
	}
	samples, err := os.ReadFile(filepath.Join(entry, cacheSamples))
	if err != nil && !os.IsNotExist(err) {
		return false, fmt.Errorf("pretrain cache: %w", err)
	}
	if err := ru.restore(latest); err != nil {
		return false, fmt.Errorf("pretrain cache %s: %w", latest, err)
	}
	if ru.prog.GStep != ru.sftEnd() {
		return false, fmt.Errorf("pretrain cache %s: holds global step %d, the run's SFT ends at %d", latest, ru.prog.GStep, ru.sftEnd())
	}
	nm, err := ru.metrics.appendLines(metrics)
	if err != nil {
		return false, err
	}
	ns, err := ru.samples.appendLines(samples)
	if err != nil {
		return false, err
	}
	if nm != ru.prog.MetricsLines || ns != ru.prog.SamplesLines {
		return false, fmt.Errorf("pretrain cache %s: %d metrics and %d sample lines, its progress says %d and %d",
			entry, nm, ns, ru.prog.MetricsLines, ru.prog.SamplesLines)
	}
	ru.prog.Seconds = 0 // this run spent no time pretraining
	ru.opt = nil
	ru.logf("pretrained model loaded from the cache (%s, global step %d)\n", entry, ru.prog.GStep)
	return true, ru.checkpoint(ru.prog.Stage)
}

// storePretrained puts the model of a run whose SFT just ended into the
// cache, unless an entry for its key exists. The entry is assembled in a
// temporary directory and renamed into place, so a reader sees a whole
// entry or none.
func (ru *runner) storePretrained() error {
	if ru.opts.PretrainCache == "" || ru.prog.GStep != ru.sftEnd() || ru.sftEnd() == 0 {
		return nil
	}
	key := ru.r.PretrainKey()
	entry := filepath.Join(ru.opts.PretrainCache, key)
	if _, err := os.Stat(entry); err == nil {
		return nil
	}
	if err := os.MkdirAll(ru.opts.PretrainCache, 0o755); err != nil {
		return fmt.Errorf("pretrain cache: %w", err)
	}
	tmp, err := os.MkdirTemp(ru.opts.PretrainCache, key+".tmp-")
	if err != nil {
		return fmt.Errorf("pretrain cache: %w", err)
	}
	defer os.RemoveAll(tmp)
	if err := ru.metrics.Sync(); err != nil {
		return err
	}
	if err := ru.samples.Sync(); err != nil {
		return err
	}
	for _, f := range []struct {
		name string
		n    int
	}{{MetricsFile, ru.metrics.n}, {SamplesFile, ru.samples.n}} {
		data, err := headLines(filepath.Join(ru.dir, f.name), f.n)
		if err != nil {
			return fmt.Errorf("pretrain cache: %w", err)
		}
		if err := checkpoint.WriteFileAtomic(filepath.Join(tmp, f.name), data); err != nil {
			return fmt.Errorf("pretrain cache: %w", err)
		}
	}
	if err := checkpoint.WriteFileAtomic(filepath.Join(tmp, cacheRecipe), ru.r.YAML()); err != nil {
		return fmt.Errorf("pretrain cache: %w", err)
	}
	prog := ru.prog
	prog.MetricsLines, prog.SamplesLines = ru.metrics.n, ru.samples.n
	prog.Methods = nil
	rngState, _ := ru.rng.MarshalBinary()
	extra, err := json.Marshal(prog)
	if err != nil {
		return err
	}
	if _, err := checkpoint.Save(filepath.Join(tmp, cacheCheckpoints), ru.policy, nil,
		checkpoint.State{Step: ru.prog.GStep, RNG: rngState, Extra: extra}); err != nil {
		return fmt.Errorf("pretrain cache: %w", err)
	}
	if err := os.Rename(tmp, entry); err != nil && !errors.Is(err, os.ErrExist) {
		if _, statErr := os.Stat(entry); statErr == nil {
			return nil // another run stored the same key first
		}
		return fmt.Errorf("pretrain cache: %w", err)
	}
	ru.logf("pretrained model stored in the cache (%s)\n", entry)
	return nil
}

// headLines returns the first n lines of a file (all of them, each with
// its newline).
func headLines(path string, n int) ([]byte, error) {
	data, err := os.ReadFile(path)
	if os.IsNotExist(err) && n == 0 {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	off := 0
	for i := 0; i < n; i++ {
		j := bytes.IndexByte(data[off:], '\n')
		if j < 0 {
			return nil, fmt.Errorf("%s has %d lines, want %d", path, i, n)
		}
		off += j + 1
	}
	return data[:off], nil
}

// appendLines appends whole JSON lines (data ends in a newline or is
// empty) and returns how many lines the writer then holds.
func (l *lineWriter) appendLines(data []byte) (int, error) {
	if len(data) > 0 && data[len(data)-1] != '\n' {
		return l.n, errors.New("appendLines: data ends in a partial line")
	}
	if _, err := l.f.Write(data); err != nil {
		return l.n, err
	}
	l.n += bytes.Count(data, []byte{'\n'})
	return l.n, nil
}
