package run

// Descriptions for the command line: what a method plug-in does, and what
// a directory handed to `autodidact report` is.

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// MethodSummary is the one-line description a method plug-in registered
// ("DAPO: dynamic sampling, ..."); ok is false for an unknown method.
func MethodSummary(name string) (summary string, ok bool) {
	spec, ok := methodSpecs[name]
	return spec.summary, ok
}

// DirKind is what a directory is to `autodidact report`.
type DirKind int

// The kinds of directory.
const (
	KindNotRun     DirKind = iota // not a run directory at all
	KindLM                        // a finished language-model run (summary.json of run.Run)
	KindControl                   // a finished control run (summary.json of control train)
	KindUnfinished                // a run without its summary yet: running, killed, or failed before the end
	KindFailed                    // a run whose summary cannot be read
)

// String names the kind as report prints it.
func (k DirKind) String() string {
	switch k {
	case KindLM:
		return "language-model run"
	case KindControl:
		return "control run"
	case KindUnfinished:
		return "unfinished"
	case KindFailed:
		return "failed"
	}
	return "not a run"
}

// ControlSummary is the summary.json of a `control train` run directory
// (the fields of control.Summary that report shows).
type ControlSummary struct {
	Algo        string    `json:"algo"`
	Env         string    `json:"env"`
	Seed        uint64    `json:"seed"`
	Steps       int       `json:"steps"`
	FinalReturn float64   `json:"final_return"`
	EvalReturns []float64 `json:"eval_returns"`
	WallSeconds float64   `json:"wall_seconds"`
}

// DirInfo is what ClassifyDir found in a directory.
type DirInfo struct {
	Dir     string
	Kind    DirKind
	Reason  string          // why it is unfinished, failed or not a run
	LM      *Summary        // KindLM
	Control *ControlSummary // KindControl
}

// controlConfigFile is the configuration file of a control run directory.
const controlConfigFile = "config.json"

// ClassifyDir says what dir is: a finished language-model or control run,
// an unfinished or failed one, or not a run, with the summary it holds.
func ClassifyDir(dir string) DirInfo {
	info := DirInfo{Dir: dir}
	st, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		info.Reason = "no such directory"
		return info
	case err != nil:
		info.Reason = err.Error()
		return info
	case !st.IsDir():
		info.Reason = "not a directory"
		return info
	}
	has := func(name string) bool {
		_, err := os.Stat(filepath.Join(dir, name))
		return err == nil
	}
	b, err := os.ReadFile(filepath.Join(dir, SummaryFile))
	if err != nil {
		switch {
		case has(ConfigFile):
			info.Kind, info.Reason = KindUnfinished, fmt.Sprintf("%s but no %s yet: running, killed, or failed before the end", ConfigFile, SummaryFile)
		case has(controlConfigFile):
			info.Kind, info.Reason = KindUnfinished, fmt.Sprintf("control run with %s but no %s yet: running, killed, or failed before the end", controlConfigFile, SummaryFile)
		case has("compare.json"):
			info.Reason = "a compare directory (its cells are run directories; see its compare.md)"
		default:
			info.Reason = fmt.Sprintf("no %s, %s or %s", ConfigFile, controlConfigFile, SummaryFile)
		}
		return info
	}
	var keys map[string]json.RawMessage
	if err := json.Unmarshal(b, &keys); err != nil {
		info.Kind, info.Reason = KindFailed, fmt.Sprintf("%s is not valid JSON: %v", SummaryFile, err)
		return info
	}
	if _, ok := keys["algo"]; ok {
		s := &ControlSummary{}
		if err := json.Unmarshal(b, s); err != nil {
			info.Kind, info.Reason = KindFailed, fmt.Sprintf("%s: %v", SummaryFile, err)
			return info
		}
		info.Kind, info.Control = KindControl, s
		return info
	}
	if _, ok := keys["recipe"]; !ok {
		info.Reason = fmt.Sprintf("%s names neither a recipe nor a control algorithm", SummaryFile)
		return info
	}
	s := &Summary{}
	if err := json.Unmarshal(b, s); err != nil {
		info.Kind, info.Reason = KindFailed, fmt.Sprintf("%s: %v", SummaryFile, err)
		return info
	}
	if len(s.BaseCurve) == 0 || len(s.FinalCurve) == 0 {
		info.Kind, info.Reason = KindFailed, fmt.Sprintf("%s has no pass@k curves", SummaryFile)
		return info
	}
	info.Kind, info.LM = KindLM, s
	return info
}
