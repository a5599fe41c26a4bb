package checkpoint

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/autodidact-rl/autodidact/lm"
	"github.com/autodidact-rl/autodidact/nn"
	"github.com/autodidact-rl/autodidact/optim"
)

// File names inside a model or checkpoint directory.
const (
	ConfigFile    = "config.json"
	ModelFile     = "model.safetensors"
	OptimizerFile = "optimizer.safetensors"
	StateFile     = "state.json"
	LatestFile    = "latest"
)

// SaveModel writes config.json and model.safetensors into dir, each
// atomically, in the Hugging Face layout (tied heads are not duplicated).
func SaveModel(dir string, m *lm.Model) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	cfg, err := json.MarshalIndent(m.Cfg, "", "  ")
	if err != nil {
		return err
	}
	if err := WriteFileAtomic(filepath.Join(dir, ConfigFile), append(cfg, '\n')); err != nil {
		return err
	}
	return WriteSafetensors(filepath.Join(dir, ModelFile), paramTensors(m.Params(), ""), map[string]string{"format": "pt"})
}

func paramTensors(ps []*nn.Param, suffix string) []Tensor {
	ts := make([]Tensor, len(ps))
	for i, p := range ps {
		ts[i] = Tensor{Name: p.Name + suffix, Shape: p.Shape, Data: p.W}
	}
	return ts
}

// LoadModel reads a model directory written by SaveModel (or a Hugging Face
// directory with an F32/F16/BF16 model.safetensors of the same names).
func LoadModel(dir string) (*lm.Model, error) {
	cfg, err := lm.LoadConfig(filepath.Join(dir, ConfigFile))
	if err != nil {
		return nil, err
	}
	m, err := lm.New(cfg, 0)
	if err != nil {
		return nil, err
	}
	path := filepath.Join(dir, ModelFile)
	ts, _, err := ReadSafetensors(path)
	if err != nil {
		return nil, err
	}
	if err := fill(path, m.Params(), ts, ""); err != nil {
		return nil, err
	}
	return m, nil
}

// fill copies tensors into params, requiring each to exist with the
// parameter's shape.
func fill(path string, ps []*nn.Param, ts map[string]Tensor, suffix string) error {
	for _, p := range ps {
		t, ok := ts[p.Name+suffix]
		if !ok {
			return fmt.Errorf("%s: tensor %s is missing", path, p.Name+suffix)
		}
		if !sameShape(t.Shape, p.Shape) {
			return fmt.Errorf("%s: tensor %s has shape %v, the model needs %v", path, p.Name+suffix, t.Shape, p.Shape)
		}
		copy(p.W, t.Data)
	}
	return nil
}

func sameShape(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// State is the non-tensor part of a training checkpoint.
type State struct {
	Step  int             `json:"step"`
	RNG   []byte          `json:"rng,omitempty"`   // e.g. (*rand.PCG).MarshalBinary
	Extra json.RawMessage `json:"extra,omitempty"` // the caller's own state
}

// stepDir is the directory name of the checkpoint of a step.
func stepDir(step int) string { return fmt.Sprintf("step-%08d", step) }

// Save writes a complete checkpoint of step under root as
// root/step-NNNNNNNN: model, optimiser moments and state are written into a
// temporary directory that is renamed into place, then root/latest is
// updated atomically. It returns the checkpoint's directory.
func Save(root string, m *lm.Model, opt *optim.AdamW, st State) (string, error) {
	if err := os.MkdirAll(root, 0o755); err != nil {
		return "", err
	}
	tmp, err := os.MkdirTemp(root, ".tmp-"+stepDir(st.Step)+"-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(tmp) // no-op after the rename
	if err := SaveModel(tmp, m); err != nil {
		return "", err
	}
	if opt != nil {
		ts := append(paramTensors(momentParams(opt.Params, opt.M), ".exp_avg"), paramTensors(momentParams(opt.Params, opt.V), ".exp_avg_sq")...)
		meta := map[string]string{"step": strconv.Itoa(opt.T)}
		if err := WriteSafetensors(filepath.Join(tmp, OptimizerFile), ts, meta); err != nil {
			return "", err
		}
	}
	sj, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return "", err
	}
	if err := WriteFileAtomic(filepath.Join(tmp, StateFile), sj); err != nil {
		return "", err
	}
	final := filepath.Join(root, stepDir(st.Step))
	if _, err := os.Stat(final); err == nil {
		// Saving the same step again (after a resume): move the old one aside.
		old := final + ".old"
		os.RemoveAll(old)
		if err := os.Rename(final, old); err != nil {
			return "", err
		}
		defer os.RemoveAll(old)
	}
	if err := os.Rename(tmp, final); err != nil {
		return "", err
	}
	if err := syncDir(root); err != nil {
		return "", err
	}
	if err := WriteFileAtomic(filepath.Join(root, LatestFile), []byte(stepDir(st.Step)+"\n")); err != nil {
		return "", err
	}
	return final, nil
}

// momentParams wraps moment buffers as params named after their weights.
func momentParams(ps []*nn.Param, moments [][]float32) []*nn.Param {
	out := make([]*nn.Param, len(ps))
	for i, p := range ps {
		out[i] = &nn.Param{Name: p.Name, Shape: p.Shape, W: moments[i]}
	}
	return out
}

// ErrNoCheckpoint is returned by Latest when root holds no checkpoint.
var ErrNoCheckpoint = errors.New("no checkpoint")

// Latest returns the directory of the newest complete checkpoint under
// root: the one named by root/latest, or, if that is missing or broken
// (a crash between renames), the highest-numbered step directory that has
// its state file.
func Latest(root string) (string, error) {
	if b, err := os.ReadFile(filepath.Join(root, LatestFile)); err == nil {
		dir := filepath.Join(root, strings.TrimSpace(string(b)))
		if _, err := os.Stat(filepath.Join(dir, StateFile)); err == nil {
			return dir, nil
		}
	}
	entries, err := os.ReadDir(root)
	if err != nil {
		if os.IsNotExist(err) {
			return "", ErrNoCheckpoint
		}
		return "", err
	}
	var names []string
	for _, e := range entries {
		if e.IsDir() && strings.HasPrefix(e.Name(), "step-") && !strings.HasSuffix(e.Name(), ".old") {
			if _, err := os.Stat(filepath.Join(root, e.Name(), StateFile)); err == nil {
				names = append(names, e.Name())
			}
		}
	}
	if len(names) == 0 {
		return "", ErrNoCheckpoint
	}
	sort.Strings(names)
	return filepath.Join(root, names[len(names)-1]), nil
}

// Load restores weights (and, when opt is not nil, optimiser moments and
// step count) from a checkpoint directory into existing objects of the
// same shape, and returns the saved state.
func Load(dir string, m *lm.Model, opt *optim.AdamW) (State, error) {
	var st State
	path := filepath.Join(dir, ModelFile)
	ts, _, err := ReadSafetensors(path)
	if err != nil {
		return st, err
	}
	if err := fill(path, m.Params(), ts, ""); err != nil {
		return st, err
	}
	if opt != nil {
		path := filepath.Join(dir, OptimizerFile)
		ts, meta, err := ReadSafetensors(path)
		if err != nil {
			return st, err
		}
		if err := fill(path, momentParams(opt.Params, opt.M), ts, ".exp_avg"); err != nil {
			return st, err
		}
		if err := fill(path, momentParams(opt.Params, opt.V), ts, ".exp_avg_sq"); err != nil {
			return st, err
		}
		if opt.T, err = strconv.Atoi(meta["step"]); err != nil {
			return st, fmt.Errorf("%s: metadata step %q: %w", path, meta["step"], err)
		}
	}
	b, err := os.ReadFile(filepath.Join(dir, StateFile))
	if err != nil {
		return st, err
	}
	if err := json.Unmarshal(b, &st); err != nil {
		return st, fmt.Errorf("%s: %w", filepath.Join(dir, StateFile), err)
	}
	return st, nil
}
