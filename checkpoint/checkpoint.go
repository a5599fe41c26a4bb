package checkpoint

import (
	"crypto/sha256"
	"encoding/hex"
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
	// SHA256 holds the hex SHA-256 of each tensor file of the checkpoint,
	// by file name; Save fills it and Load checks it (a checkpoint written
	// before it existed has none and is not checked).
	SHA256 map[string]string `json:"sha256,omitempty"`
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
	defer os.RemoveAll(tmp)                      // no-op after the rename
	if err := os.Chmod(tmp, 0o755); err != nil { // MkdirTemp makes 0700
		return "", err
	}
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
	st.SHA256 = map[string]string{}
	for _, name := range []string{ModelFile, OptimizerFile} {
		data, err := os.ReadFile(filepath.Join(tmp, name))
		if os.IsNotExist(err) {
			continue
		} else if err != nil {
			return "", err
		}
		st.SHA256[name] = sha(data)
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
	dirs, err := List(root)
	if err != nil {
		return "", err
	}
	return dirs[0], nil
}

// ReadState reads the state file of a checkpoint directory (no tensors).
func ReadState(dir string) (State, error) {
	var st State
	path := filepath.Join(dir, StateFile)
	b, err := os.ReadFile(path)
	if err != nil {
		return st, err
	}
	if err := json.Unmarshal(b, &st); err != nil {
		return st, fmt.Errorf("%s: %w", path, err)
	}
	return st, nil
}

// Load restores weights (and, when opt is not nil, optimiser moments and
// step count) from a checkpoint directory into existing objects of the
// same shape, and returns the saved state.
func Load(dir string, m *lm.Model, opt *optim.AdamW) (State, error) {
	st, err := ReadState(dir)
	if err != nil {
		return st, err
	}
	path := filepath.Join(dir, ModelFile)
	ts, _, err := readChecked(path, st.SHA256)
	if err != nil {
		return st, err
	}
	if err := fill(path, m.Params(), ts, ""); err != nil {
		return st, err
	}
	if opt != nil {
		path := filepath.Join(dir, OptimizerFile)
		ts, meta, err := readChecked(path, st.SHA256)
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
	return st, nil
}

func sha(data []byte) string {
	h := sha256.Sum256(data)
	return hex.EncodeToString(h[:])
}

// readChecked reads a safetensors file of a checkpoint, checking its
// SHA-256 when the checkpoint's state records one.
func readChecked(path string, sums map[string]string) (map[string]Tensor, map[string]string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, err
	}
	if want, ok := sums[filepath.Base(path)]; ok && sha(data) != want {
		return nil, nil, fmt.Errorf("%s: contents do not match the SHA-256 recorded in %s (the file is corrupt)", path, StateFile)
	}
	ts, meta, err := DecodeSafetensors(data)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	return ts, meta, nil
}

// StepOf returns the step of a checkpoint directory name (step-NNNNNNNN).
func StepOf(dir string) (int, bool) {
	name := filepath.Base(dir)
	if !strings.HasPrefix(name, "step-") {
		return 0, false
	}
	n, err := strconv.Atoi(strings.TrimPrefix(name, "step-"))
	if err != nil || n < 0 || stepDir(n) != name {
		return 0, false
	}
	return n, true
}

// List returns the directories of the checkpoints under root that have
// their state file, newest (highest step) first; ErrNoCheckpoint when
// there are none. Whether their tensors are intact is for Load to say.
func List(root string) ([]string, error) {
	entries, err := os.ReadDir(root)
	if err != nil {
		if os.IsNotExist(err) {
			return nil, ErrNoCheckpoint
		}
		return nil, err
	}
	type ck struct {
		step int
		dir  string
	}
	var cks []ck
	for _, e := range entries {
		step, ok := StepOf(e.Name())
		if !e.IsDir() || !ok {
			continue
		}
		if _, err := os.Stat(filepath.Join(root, e.Name(), StateFile)); err == nil {
			cks = append(cks, ck{step, filepath.Join(root, e.Name())})
		}
	}
	if len(cks) == 0 {
		return nil, ErrNoCheckpoint
	}
	sort.Slice(cks, func(i, j int) bool { return cks[i].step > cks[j].step })
	out := make([]string, len(cks))
	for i, c := range cks {
		out[i] = c.dir
	}
	return out, nil
}

// Prune deletes the checkpoints under root whose steps keep rejects, and
// what interrupted saves and prunes left behind. Each checkpoint leaves
// in one atomic rename (to a hidden name, then deleted), so a crash
// mid-prune never leaves a half-deleted checkpoint that looks complete. It
// refuses to delete every checkpoint: keep must accept at least one that
// exists. root/latest is repointed at the newest kept checkpoint if it
// named a deleted one.
func Prune(root string, keep func(step int) bool) error {
	dirs, err := List(root)
	if errors.Is(err, ErrNoCheckpoint) {
		return nil
	} else if err != nil {
		return err
	}
	var drop []string
	kept := ""
	for _, d := range dirs {
		step, _ := StepOf(d)
		if keep(step) {
			if kept == "" {
				kept = d
			}
		} else {
			drop = append(drop, d)
		}
	}
	if kept == "" {
		return fmt.Errorf("prune %s: refusing to delete every checkpoint", root)
	}
	if len(drop) > 0 {
		if b, err := os.ReadFile(filepath.Join(root, LatestFile)); err == nil && !keep(stepOfName(strings.TrimSpace(string(b)))) {
			if err := WriteFileAtomic(filepath.Join(root, LatestFile), []byte(filepath.Base(kept)+"\n")); err != nil {
				return err
			}
		}
	}
	for _, d := range drop {
		gone := filepath.Join(root, ".del-"+filepath.Base(d))
		os.RemoveAll(gone)
		if err := os.Rename(d, gone); err != nil {
			return fmt.Errorf("prune %s: %w", d, err)
		}
	}
	if err := syncDir(root); err != nil {
		return err
	}
	entries, err := os.ReadDir(root)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".del-") || strings.HasPrefix(e.Name(), ".tmp-") || strings.HasSuffix(e.Name(), ".old") {
			if err := os.RemoveAll(filepath.Join(root, e.Name())); err != nil {
				return fmt.Errorf("prune %s: %w", root, err)
			}
		}
	}
	return nil
}

func stepOfName(name string) int {
	n, ok := StepOf(name)
	if !ok {
		return -1
	}
	return n
}
