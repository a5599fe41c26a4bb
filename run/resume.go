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
	"sort"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/autodidact-rl/autodidact/checkpoint"
)

// recipeIdentity is the resolved recipe a checkpoint continues: its YAML
// without the thread count (which may change between a run and its
// resume), and that YAML's SHA-256.
func (r *Recipe) recipeIdentity() (sum string, doc []byte) {
	c := *r
	c.Threads = 0
	doc = c.YAML()
	h := sha256.Sum256(doc)
	return hex.EncodeToString(h[:]), doc
}

// RecipeSHA256 is the hex SHA-256 that checkpoints record of the resolved
// recipe (thread count aside).
func (r *Recipe) RecipeSHA256() string {
	sum, _ := r.recipeIdentity()
	return sum
}

// resume restores the newest usable checkpoint, falling back to older
// ones when a newer one cannot be read (the broken ones are moved aside
// as step-N.broken). It reports false when there is no checkpoint and
// nothing would be lost by starting over.
func (ru *runner) resume() (bool, error) {
	root := filepath.Join(ru.dir, CheckpointDir)
	dirs, err := checkpoint.List(root)
	if errors.Is(err, checkpoint.ErrNoCheckpoint) {
		return false, ru.checkNothingLost()
	} else if err != nil {
		return false, err
	}
	var failed []string
	for i, d := range dirs {
		err := ru.checkRecipe(d)
		if errors.Is(err, errRecipeChanged) {
			return false, err
		}
		if err == nil {
			err = ru.restore(d)
		}
		if err == nil {
			for _, f := range failed {
				if err := os.Rename(f, f+".broken"); err != nil {
					return false, fmt.Errorf("move aside %s: %w", f, err)
				}
				ru.logf("moved the unusable checkpoint %s aside to %s.broken\n", f, filepath.Base(f))
			}
			ru.logf("resuming after global step %d (%s) from %s\n", ru.prog.GStep, ru.prog.Stage, filepath.Base(d))
			return true, nil
		}
		failed = append(failed, d)
		if i+1 < len(dirs) {
			ru.logf("checkpoint %s is unusable (%v); falling back to %s\n", filepath.Base(d), err, filepath.Base(dirs[i+1]))
		} else {
			ru.logf("checkpoint %s is unusable (%v)\n", filepath.Base(d), err)
		}
		if err := ru.build(); err != nil {
			return false, err
		}
	}
	return false, fmt.Errorf("resume %s: none of the %d checkpoints in %s can be restored (see the log); the run cannot continue", ru.dir, len(dirs), root)
}

var errRecipeChanged = errors.New("recipe changed")

// checkRecipe refuses to continue a checkpoint written under another
// recipe than ru.r (a replaced or edited config.yaml), naming the keys
// that differ. A checkpoint from before recipes were recorded passes.
// It is kept out of restore: a fork restores another run's checkpoint
// under its own recipe on purpose.
func (ru *runner) checkRecipe(dir string) error {
	st, err := checkpoint.ReadState(dir)
	if err != nil {
		return err
	}
	var p progress
	if err := json.Unmarshal(st.Extra, &p); err != nil {
		return fmt.Errorf("%s: progress state: %w", filepath.Join(dir, checkpoint.StateFile), err)
	}
	sum, doc := ru.r.recipeIdentity()
	if p.Recipe == "" || p.Recipe == sum {
		return nil
	}
	diff := "the recipe differs"
	if p.RecipeYAML != "" {
		if keys := diffYAML([]byte(p.RecipeYAML), doc, 8); len(keys) > 0 {
			diff = "changed: " + strings.Join(keys, "; ")
		}
	}
	return fmt.Errorf("resume %s: %w: checkpoint %s was written under a recipe with SHA-256 %.12s, the recipe given (%s) has %.12s; %s. Restore the run's original %s or start a new run",
		ru.dir, errRecipeChanged, filepath.Base(dir), p.Recipe, ConfigFile, sum, diff, ConfigFile)
}

// diffYAML lists the dotted keys whose values differ between two YAML
// documents ("rl.lr: 0.0001 -> 0.5"), at most limit (0: all) and a count.
func diffYAML(was, now []byte, limit int) []string {
	a, b := map[string]string{}, map[string]string{}
	var da, db any
	yaml.Unmarshal(was, &da)
	yaml.Unmarshal(now, &db)
	flatten("", da, a)
	flatten("", db, b)
	keys := map[string]bool{}
	for k := range a {
		keys[k] = true
	}
	for k := range b {
		keys[k] = true
	}
	var out []string
	for k := range keys {
		if a[k] != b[k] {
			va, vb := a[k], b[k]
			if va == "" {
				va = "(absent)"
			}
			if vb == "" {
				vb = "(absent)"
			}
			out = append(out, fmt.Sprintf("%s: %s -> %s", k, va, vb))
		}
	}
	sort.Strings(out)
	if limit > 0 && len(out) > limit {
		out = append(out[:limit], fmt.Sprintf("and %d more", len(out)-limit))
	}
	return out
}

func flatten(prefix string, v any, out map[string]string) {
	if m, ok := v.(map[string]any); ok && len(m) > 0 {
		for k, x := range m {
			key := k
			if prefix != "" {
				key = prefix + "." + k
			}
			flatten(key, x, out)
		}
		return
	}
	out[prefix] = fmt.Sprint(v)
}

// firstCheckpoint is the global step of a run's first checkpoint.
func (ru *runner) firstCheckpoint() int {
	switch {
	case ru.r.Pretrain.Steps > 0:
		return min(ru.r.CheckpointEvery, ru.r.Pretrain.Steps)
	case ru.r.SFT.Steps > 0:
		return min(ru.r.CheckpointEvery, ru.r.SFT.Steps)
	}
	return 0
}

// checkNothingLost allows a resume without a checkpoint only when what
// the run wrote precedes its first checkpoint (a run killed early; starting
// over reproduces those lines). Otherwise the checkpoints were lost, and
// starting over would truncate metrics.jsonl and redo the whole run.
func (ru *runner) checkNothingLost() error {
	first := ru.firstCheckpoint()
	lines, maxStep, err := scanGSteps(filepath.Join(ru.dir, MetricsFile))
	if err != nil {
		return err
	}
	if lines > 0 && maxStep > first {
		return fmt.Errorf("resume %s: %s has %d lines up to global step %d, but %s holds no checkpoint (deleted?); refusing to start over and truncate %s. Copy the run elsewhere to keep it, or start a new run",
			ru.dir, MetricsFile, lines, maxStep, filepath.Join(ru.dir, CheckpointDir), MetricsFile)
	}
	if n, _, err := scanGSteps(filepath.Join(ru.dir, SamplesFile)); err != nil {
		return err
	} else if n > 0 {
		return fmt.Errorf("resume %s: %s has %d lines but %s holds no checkpoint (deleted?); refusing to start over and truncate it",
			ru.dir, SamplesFile, n, filepath.Join(ru.dir, CheckpointDir))
	}
	if lines > 0 {
		ru.logf("no checkpoint yet (%s has %d lines before the first one at global step %d): starting over\n", MetricsFile, lines, first)
	}
	return nil
}

// scanGSteps counts the complete lines of a JSON-lines file and their
// highest "gstep".
func scanGSteps(path string) (lines, maxStep int, err error) {
	data, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return 0, 0, nil
	} else if err != nil {
		return 0, 0, err
	}
	for {
		i := bytes.IndexByte(data, '\n')
		if i < 0 {
			return lines, maxStep, nil
		}
		var m struct {
			GStep int `json:"gstep"`
		}
		json.Unmarshal(data[:i], &m)
		lines++
		maxStep = max(maxStep, m.GStep)
		data = data[i+1:]
	}
}

// checkpointDue reports whether checkpoint_seconds have passed since the
// last checkpoint.
func (ru *runner) checkpointDue() bool {
	return ru.r.CheckpointSeconds > 0 && time.Since(ru.lastCk) >= time.Duration(ru.r.CheckpointSeconds*float64(time.Second))
}

// prune applies the retention knobs after a checkpoint: the newest
// checkpoint_keep, the ends of pretraining and sft, the current one and,
// with checkpoint_keep_best, the best by held-out pass@1 stay; the
// critic's and trained roles' checkpoints follow the policy's.
func (ru *runner) prune() error {
	if ru.r.CheckpointKeep <= 0 {
		return nil
	}
	root := filepath.Join(ru.dir, CheckpointDir)
	dirs, err := checkpoint.List(root)
	if err != nil {
		return err
	}
	keep := map[int]bool{ru.prog.GStep: true, ru.pretrainEnd(): true, ru.sftEnd(): true}
	for i, d := range dirs {
		if i < ru.r.CheckpointKeep {
			s, _ := checkpoint.StepOf(d)
			keep[s] = true
		}
	}
	if ru.r.CheckpointKeepBest {
		best, bestStep := -1.0, -1
		for s, v := range ru.prog.Pass1 {
			if v > best || (v == best && s < bestStep) {
				best, bestStep = v, s
			}
		}
		if bestStep >= 0 {
			keep[bestStep] = true
		}
	}
	fn := func(s int) bool { return keep[s] }
	if err := checkpoint.Prune(root, fn); err != nil {
		return err
	}
	roots := []string{filepath.Join(ru.dir, CriticDir)}
	for _, rm := range ru.roleModels {
		roots = append(roots, filepath.Join(ru.dir, RolesDir, rm.name))
	}
	for _, r := range roots {
		if _, err := os.Stat(r); err == nil {
			if err := checkpoint.Prune(r, fn); err != nil {
				return err
			}
		}
	}
	return nil
}
