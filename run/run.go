package run

import (
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"time"

	"github.com/autodidact-rl/autodidact/checkpoint"
	"github.com/autodidact-rl/autodidact/episode"
	"github.com/autodidact-rl/autodidact/hf"
	"github.com/autodidact-rl/autodidact/lm"
	"github.com/autodidact-rl/autodidact/openai"
	"github.com/autodidact-rl/autodidact/optim"
	"github.com/autodidact-rl/autodidact/task"
	"github.com/autodidact-rl/autodidact/tensor"
)

// Files of a run directory.
const (
	ConfigFile    = "config.yaml"
	MetricsFile   = "metrics.jsonl"
	SamplesFile   = "samples.jsonl"
	SummaryFile   = "summary.json"
	TokenizerFile = "tokenizer.json"
	CheckpointDir = "checkpoints"
	CriticDir     = "critic"
	RefDir        = "reference"
)

// progress is the resumable state kept in each checkpoint.
type progress struct {
	Stage        string      `json:"stage"` // stage of the step just completed: pretrain, sft, rl
	GStep        int         `json:"gstep"` // global step: pretrain, then sft, then rl steps
	MetricsLines int         `json:"metrics_lines"`
	SamplesLines int         `json:"samples_lines"`
	Base         *EvalResult `json:"base,omitempty"`
	Seconds      float64     `json:"seconds"` // wall time spent before this checkpoint
	RLTime       timeSplit   `json:"rl_time"`
	// Methods holds the state of stateful method plug-ins, by name.
	Methods map[string]json.RawMessage `json:"methods,omitempty"`
	// Recipe is the SHA-256 of the resolved recipe the checkpoint was
	// written under (recipeHash); a resume under another recipe is refused.
	Recipe     string `json:"recipe_sha256,omitempty"`
	RecipeYAML string `json:"recipe_yaml,omitempty"` // that recipe, to name what changed
	// Pass1 holds held-out pass@1 by global step, for each evaluation that
	// a checkpoint followed (the best one is kept when pruning).
	Pass1 map[int]float64 `json:"pass1,omitempty"`
}

// runner holds everything a run needs.
type runner struct {
	r   *Recipe
	dir string
	log io.Writer
	tok codec
	// promptIDs encodes a rendered prompt as the first observation of an
	// episode (BOS then the text; or a Hugging Face tokenizer's own
	// special tokens or chat template); tokenizerJSON is what the run
	// directory's tokenizer.json holds.
	promptIDs     func(prompt string) ([]int32, error)
	tokenizerJSON func() ([]byte, error)
	hfModel       *hf.Pretrained   // model.from's directory, until buildPolicy takes its model
	endpoint      openai.Completer // the judge's endpoint (judge.model: endpoint)
	task          task.Task
	policy        *lm.Model
	ref           *lm.Model    // frozen reference (KL), set when RL starts
	critic        *lm.Model    // value model (gae)
	roleModels    []*roleModel // roles played by their own trained models
	opt           *optim.AdamW
	critOpt       *optim.AdamW
	rng           *rand.PCG // RL sampling randomness (saved in checkpoints)
	prog          progress
	metrics       *lineWriter
	samples       *lineWriter
	start         time.Time
	lastCk        time.Time // when the last checkpoint was written (checkpoint_seconds)
	tty           bool      // log is a terminal: show a live status line
	bos           int32
	eos           int32
	methods       []method        // the recipe's method plug-ins
	newEnv        episode.Factory // the environment of each episode
	judge         episode.Judge   // a model judge replacing environment rewards (nil: the verifier's)
	opts          Options
}

// Run executes (or, with resume, continues) the recipe in dir and returns
// the summary. log receives progress lines.
func Run(r *Recipe, dir string, resume bool, log io.Writer) (*Summary, error) {
	return RunWith(r, dir, resume, log, Options{})
}

// RunWith is Run with execution options that leave the results unchanged.
func RunWith(r *Recipe, dir string, resume bool, log io.Writer, o Options) (*Summary, error) {
	if r.Threads > 0 {
		tensor.SetThreads(r.Threads)
	}
	if err := r.Validate(); err != nil { // a recipe built by hand gets the checks too, before any work
		return nil, err
	}
	if err := openRunDir(dir, resume); err != nil {
		return nil, err
	}
	lock, err := checkpoint.LockDir(dir)
	if err != nil {
		return nil, err
	}
	defer lock.Unlock()
	if !resume {
		if err := checkFresh(dir); err != nil {
			return nil, err
		}
	}
	ru := &runner{r: r, dir: dir, log: log, start: time.Now(), lastCk: time.Now(), tty: IsTerminal(log), opts: o}
	if err := ru.setup(resume); err != nil {
		return nil, err
	}
	defer ru.metrics.Close()
	defer ru.samples.Close()
	fmt.Fprintf(log, "BLAS: %s, %d threads; run directory %s\n", tensor.Backend(), tensor.Threads(), dir)
	if err := ru.stages(); err != nil {
		return nil, err
	}
	return ru.finish()
}

// openRunDir makes a new run's directory; a resumed one must exist.
func openRunDir(dir string, resume bool) error {
	if !resume {
		return os.MkdirAll(dir, 0o755)
	}
	st, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("resume: %w", err)
	}
	if !st.IsDir() {
		return fmt.Errorf("resume %s: not a directory", dir)
	}
	return nil
}

// build makes the run's objects in their initial state (a failed restore
// calls it again, so nothing of a half-loaded checkpoint survives).
func (ru *runner) build() error {
	r := ru.r
	ru.prog = progress{}
	ru.opt, ru.ref, ru.critic, ru.critOpt, ru.roleModels = nil, nil, nil, nil, nil
	var err error
	if err := ru.buildTokenizer(); err != nil {
		return err
	}
	if ru.task, err = task.New(r.Task.Name, r.Task.Params); err != nil {
		return err
	}
	if ru.methods, err = buildMethods(r); err != nil {
		return err
	}
	for _, h := range hooks[setupHook](ru) {
		if err := h.setup(ru); err != nil {
			return err
		}
	}
	if ru.newEnv, err = episode.New(r.Env, episode.Deps{Task: ru.task, Template: r.Task.Template, Codec: ru.tok, BOS: ru.bos, PromptIDs: ru.promptIDs}); err != nil {
		return fmt.Errorf("recipe %w", err)
	}
	if ru.policy, err = ru.buildPolicy(); err != nil {
		return err
	}
	ru.rng = rand.NewPCG(r.Seed, 0x726c)
	return nil
}

func (ru *runner) setup(resume bool) error {
	if err := ru.build(); err != nil {
		return err
	}
	restored := false
	if resume {
		var err error
		if restored, err = ru.resume(); err != nil {
			return err
		}
	}
	if !restored { // a fresh run (or a resume before the first checkpoint)
		if err := checkpoint.WriteFileAtomic(filepath.Join(ru.dir, ConfigFile), ru.r.YAML()); err != nil {
			return err
		}
		tj, err := ru.tokenizerJSON() // what tokenizer.Char.Save writes, or the model's file, atomically
		if err != nil {
			return err
		}
		if err := checkpoint.WriteFileAtomic(filepath.Join(ru.dir, TokenizerFile), tj); err != nil {
			return err
		}
	}
	var err error
	if ru.metrics, err = openLines(filepath.Join(ru.dir, MetricsFile), ru.prog.MetricsLines); err != nil {
		return err
	}
	ru.samples, err = openLines(filepath.Join(ru.dir, SamplesFile), ru.prog.SamplesLines)
	return err
}

// Stage boundaries in global steps.
func (ru *runner) pretrainEnd() int { return ru.r.Pretrain.Steps }
func (ru *runner) sftEnd() int      { return ru.r.Pretrain.Steps + ru.r.SFT.Steps }
func (ru *runner) rlEnd() int       { return ru.sftEnd() + ru.r.RL.Steps }

func (ru *runner) stages() error {
	cached, err := ru.loadPretrained()
	if err != nil {
		return err
	}
	if ru.prog.GStep < ru.pretrainEnd() {
		if err := ru.lmStage("pretrain", ru.r.Pretrain, 0); err != nil {
			return err
		}
	}
	if ru.prog.GStep < ru.sftEnd() {
		if err := ru.lmStage("sft", ru.r.SFT, ru.pretrainEnd()); err != nil {
			return err
		}
	}
	if !cached && ru.prog.Base == nil {
		if err := ru.storePretrained(); err != nil {
			return err
		}
	}
	return ru.rlStage()
}

// checkpoint saves the policy (after the critic, so a policy checkpoint
// always has its critic) and the progress.
func (ru *runner) checkpoint(stage string) error {
	ru.prog.Stage = stage
	ru.prog.MetricsLines = ru.metrics.n
	ru.prog.SamplesLines = ru.samples.n
	ru.prog.Seconds += time.Since(ru.start).Seconds()
	ru.start = time.Now()
	if err := ru.metrics.Sync(); err != nil {
		return err
	}
	if err := ru.samples.Sync(); err != nil {
		return err
	}
	if ru.critic != nil {
		if _, err := checkpoint.Save(filepath.Join(ru.dir, CriticDir), ru.critic, ru.critOpt, checkpoint.State{Step: ru.prog.GStep}); err != nil {
			return err
		}
	}
	ru.prog.Methods = nil
	for _, m := range ru.methods {
		if s, ok := m.(stateful); ok {
			if ru.prog.Methods == nil {
				ru.prog.Methods = map[string]json.RawMessage{}
			}
			ru.prog.Methods[m.name()], _ = json.Marshal(s.state())
		}
	}
	if err := ru.saveRoleModels(); err != nil {
		return err
	}
	sum, doc := ru.r.recipeIdentity()
	ru.prog.Recipe, ru.prog.RecipeYAML = sum, string(doc)
	rngState, _ := ru.rng.MarshalBinary()
	extra, _ := json.Marshal(ru.prog)
	// At a stage boundary the next stage starts a fresh optimiser (restore
	// ignores a saved one there), so its moments are not kept.
	opt := ru.opt
	if ru.prog.GStep == ru.pretrainEnd() || ru.prog.GStep == ru.sftEnd() {
		opt = nil
	}
	if _, err := checkpoint.Save(filepath.Join(ru.dir, CheckpointDir), ru.policy, opt, checkpoint.State{Step: ru.prog.GStep, RNG: rngState, Extra: extra}); err != nil {
		return err
	}
	ru.lastCk = time.Now()
	if err := ru.prune(); err != nil {
		return err
	}
	if ru.opts.Checkpointed != nil {
		ru.opts.Checkpointed(ru.prog.GStep)
	}
	return nil
}

// restore loads a checkpoint (dir: RUN/checkpoints/step-N): weights,
// optimiser, RNG, progress, and the RL stage's models (reference, critic,
// trained roles) from that checkpoint's run directory RUN, which need not
// be ru.dir (a fork restores another run's checkpoint).
func (ru *runner) restore(dir string) error {
	src := filepath.Dir(filepath.Dir(dir))
	// The optimiser's shape depends on the stage; load weights first.
	st, err := checkpoint.Load(dir, ru.policy, nil)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(st.Extra, &ru.prog); err != nil {
		return fmt.Errorf("progress state: %w", err)
	}
	if err := ru.rng.UnmarshalBinary(st.RNG); err != nil {
		return fmt.Errorf("rng state: %w", err)
	}
	for _, m := range ru.methods {
		if s, ok := m.(stateful); ok {
			if data, ok := ru.prog.Methods[m.name()]; ok {
				if err := s.restore(data); err != nil {
					return fmt.Errorf("%s state: %w", m.name(), err)
				}
			}
		}
	}
	// At a stage boundary the next stage starts with a fresh optimiser (and
	// checkpoints written there may have none).
	boundary := ru.prog.GStep == ru.pretrainEnd() || ru.prog.GStep == ru.sftEnd()
	if _, err := os.Stat(filepath.Join(dir, checkpoint.OptimizerFile)); err == nil && !boundary {
		ru.opt = ru.newOptimizer(ru.prog.Stage)
		if _, err := checkpoint.Load(dir, ru.policy, ru.opt); err != nil {
			return err
		}
	}
	if ru.prog.GStep >= ru.sftEnd() && ru.r.RL.Steps > 0 && ru.prog.Base != nil {
		if ru.ref, err = checkpoint.LoadModel(filepath.Join(src, RefDir)); err != nil {
			return err
		}
		if ru.r.RL.AdvEstimator == "gae" {
			if err := ru.newCritic(); err != nil {
				return err
			}
			cdir := filepath.Join(src, CriticDir, filepath.Base(dir))
			if _, err := checkpoint.Load(cdir, ru.critic, ru.critOpt); err != nil {
				return fmt.Errorf("critic: %w", err)
			}
		}
		if err := ru.loadRoleModels(src, filepath.Base(dir)); err != nil {
			return err
		}
	}
	return nil
}

// logf prints a progress line, clearing a live status line first.
func (ru *runner) logf(format string, args ...any) {
	if ru.tty {
		fmt.Fprint(ru.log, "\r\x1b[K")
	}
	fmt.Fprintf(ru.log, format, args...)
}

// IsTerminal reports whether w is a character device (a terminal).
func IsTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// status shows a one-line progress bar on a terminal (nothing otherwise):
// stage, a 30-character bar, step counts and a short message.
func (ru *runner) status(stage string, done, total int, msg string) {
	if !ru.tty || total <= 0 {
		return
	}
	const width = 30
	n := done * width / total
	bar := make([]byte, width)
	for i := range bar {
		bar[i] = ' '
		if i < n {
			bar[i] = '='
		}
	}
	fmt.Fprintf(ru.log, "\r%-8s [%s] %d/%d %s\x1b[K", stage, bar, done, total, msg)
	if done == total {
		fmt.Fprint(ru.log, "\r\x1b[K")
	}
}

// newOptimizer is the policy optimiser of a stage (the same on a fresh
// start and on resume, so a resumed run continues exactly).
func (ru *runner) newOptimizer(stage string) *optim.AdamW {
	wd := ru.r.RL.WeightDecay
	switch stage {
	case "pretrain":
		wd = ru.r.Pretrain.WeightDecay
	case "sft":
		wd = ru.r.SFT.WeightDecay
	}
	return optim.NewAdamW(ru.policy.Params(), optim.AdamWConfig{Beta1: 0.9, Beta2: 0.99, Eps: 1e-8, WeightDecay: wd})
}

// lineWriter appends JSON lines, truncating the file to a known number of
// lines on open (a resume drops what was written after the checkpoint).
// Each line goes to the file in one write, so a reader of a live run sees
// whole lines only.
type lineWriter struct {
	f *os.File
	n int
}

func openLines(path string, keep int) (*lineWriter, error) {
	data, err := os.ReadFile(path)
	if err != nil && !os.IsNotExist(err) {
		return nil, err
	}
	off, n := 0, 0
	for n < keep && off < len(data) {
		i := indexByte(data[off:], '\n')
		if i < 0 {
			break
		}
		off += i + 1
		n++
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, err
	}
	if err := f.Truncate(int64(off)); err != nil {
		return nil, err
	}
	if _, err := f.Seek(int64(off), io.SeekStart); err != nil {
		return nil, err
	}
	return &lineWriter{f: f, n: n}, nil
}

func indexByte(b []byte, c byte) int {
	for i, x := range b {
		if x == c {
			return i
		}
	}
	return -1
}

// Write appends one JSON object.
func (l *lineWriter) Write(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	if _, err := l.f.Write(append(b, '\n')); err != nil {
		return fmt.Errorf("write %s: %w", l.f.Name(), err)
	}
	l.n++
	return nil
}

// Sync fsyncs.
func (l *lineWriter) Sync() error { return l.f.Sync() }

// Close closes.
func (l *lineWriter) Close() error {
	if l == nil {
		return nil
	}
	return l.f.Close()
}
