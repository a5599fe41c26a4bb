// Package dash serves a read-only local web dashboard over run
// directories: the run list, metric curves, pass@k curves, an episode
// browser and control-policy rollouts. Every asset is embedded, so the
// page works offline.
package dash

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// Run kinds.
const (
	KindLM      = "lm"      // package run: config.yaml, metrics.jsonl, samples.jsonl, summary.json
	KindControl = "control" // package control: config.json, metrics.jsonl, policy, summary.json
)

// Run statuses.
const (
	StatusRunning  = "running"  // no summary yet, metrics written recently
	StatusFinished = "finished" // summary.json present
	StatusFailed   = "failed"   // no summary and no recent writes
)

// RunningWindow is how recently metrics.jsonl must have been written for a
// run without summary.json to count as running.
var RunningWindow = 2 * time.Minute

// headBytes and tailBytes bound what the run list reads of a file: the
// list never parses whole metrics files.
const (
	headBytes = 64 << 10
	tailBytes = 64 << 10
)

// Run is one row of the run list (GET /api/runs).
type Run struct {
	ID          string          `json:"id"`      // slash path: root name, then the path below the root
	Kind        string          `json:"kind"`    // lm or control
	Recipe      string          `json:"recipe"`  // LM: config name; control: algo/env
	Compare     string          `json:"compare"` // ID of the compare directory holding the run, if any
	Status      string          `json:"status"`
	WallSeconds float64         `json:"wall_seconds"`
	Updated     time.Time       `json:"updated"` // last write to metrics.jsonl
	LastStage   string          `json:"last_stage,omitempty"`
	LastStep    float64         `json:"last_step"`
	Summary     json.RawMessage `json:"summary,omitempty"`
	HasSamples  bool            `json:"has_samples"`
	HasPolicy   bool            `json:"has_policy"`

	dir string // absolute directory, never sent
}

// maxDepth bounds the walk below each root: root/compare/cell is depth 2.
const maxDepth = 3

// Scan finds run directories in roots: a root may itself be a run, a
// compare directory (compare.json plus one run directory per cell) or a
// parent of either. Unreadable directories are skipped.
func Scan(roots []string) []*Run {
	var runs []*Run
	seen := map[string]bool{}
	for _, root := range roots {
		abs, err := filepath.Abs(root)
		if err != nil {
			continue
		}
		base := filepath.Base(abs)
		name := base
		for i := 2; seen[name]; i++ {
			name = fmt.Sprintf("%s~%d", base, i)
		}
		seen[name] = true
		walk(abs, name, "", 0, &runs)
	}
	sort.SliceStable(runs, func(i, j int) bool { return runs[i].ID < runs[j].ID })
	return runs
}

func walk(dir, id, compare string, depth int, runs *[]*Run) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	has := map[string]bool{}
	for _, e := range entries {
		has[e.Name()] = true
	}
	if has["compare.json"] {
		compare = id
	}
	if isRun(has) {
		if r := readRun(dir, has); r != nil {
			r.ID, r.Compare = id, compare
			if compare == id {
				r.Compare = ""
			}
			*runs = append(*runs, r)
		}
		return
	}
	if depth >= maxDepth {
		return
	}
	for _, e := range entries {
		if !e.IsDir() || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		walk(filepath.Join(dir, e.Name()), id+"/"+e.Name(), compare, depth+1, runs)
	}
}

func isRun(has map[string]bool) bool {
	return has["metrics.jsonl"] || has["summary.json"] || has["config.yaml"] || (has["config.json"] && has["policy.safetensors"])
}

// readRun builds a row from summary.json, the head of the config and the
// tail of metrics.jsonl.
func readRun(dir string, has map[string]bool) *Run {
	r := &Run{dir: dir, Kind: KindLM, HasSamples: has["samples.jsonl"], HasPolicy: has["policy.safetensors"]}
	if has["config.json"] && !has["config.yaml"] {
		r.Kind = KindControl
	}
	var sum map[string]any
	if b, err := os.ReadFile(filepath.Join(dir, "summary.json")); err == nil && json.Valid(b) {
		r.Summary = json.RawMessage(bytes.TrimSpace(b))
		json.Unmarshal(b, &sum)
	}
	switch r.Kind {
	case KindLM:
		r.Recipe = yamlName(filepath.Join(dir, "config.yaml"))
		if r.Recipe == "" {
			r.Recipe, _ = sum["recipe"].(string)
		}
	case KindControl:
		algo, _ := sum["algo"].(string)
		envName, _ := sum["env"].(string)
		if algo == "" {
			algo, envName = controlConfig(filepath.Join(dir, "config.json"))
		}
		r.Recipe = strings.Trim(algo+"/"+envName, "/")
	}
	start := time.Time{}
	for _, f := range []string{"config.yaml", "config.json"} {
		if st, err := os.Stat(filepath.Join(dir, f)); err == nil {
			start = st.ModTime()
		}
	}
	if st, err := os.Stat(filepath.Join(dir, "metrics.jsonl")); err == nil {
		r.Updated = st.ModTime()
		r.LastStage, r.LastStep = lastLine(filepath.Join(dir, "metrics.jsonl"), st.Size())
	}
	switch {
	case r.Summary != nil:
		r.Status = StatusFinished
	case !r.Updated.IsZero() && time.Since(r.Updated) < RunningWindow:
		r.Status = StatusRunning
	default:
		r.Status = StatusFailed
	}
	if w, ok := sum["wall_seconds"].(float64); ok {
		r.WallSeconds = w
	} else if !start.IsZero() && r.Updated.After(start) {
		r.WallSeconds = r.Updated.Sub(start).Seconds()
	}
	return r
}

// yamlName returns the top-level "name:" of a YAML file's head.
func yamlName(path string) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(io.LimitReader(f, headBytes))
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "name:"); ok {
			return strings.Trim(strings.TrimSpace(v), `"'`)
		}
	}
	return ""
}

// controlConfig returns algo and env of a control run's config.json.
func controlConfig(path string) (algo, envName string) {
	b, err := os.ReadFile(path)
	if err != nil || len(b) > headBytes {
		return "", ""
	}
	var c map[string]json.RawMessage
	if json.Unmarshal(b, &c) != nil {
		return "", ""
	}
	json.Unmarshal(c["algo"], &algo)
	var inner struct {
		Env string `json:"env"`
	}
	json.Unmarshal(c[algo], &inner)
	return algo, inner.Env
}

// lastLine returns the stage and step of the last complete line of a
// metrics file, reading only its tail.
func lastLine(path string, size int64) (stage string, step float64) {
	f, err := os.Open(path)
	if err != nil {
		return "", 0
	}
	defer f.Close()
	off := max(size-tailBytes, 0)
	buf := make([]byte, size-off)
	n, _ := f.ReadAt(buf, off)
	lines := bytes.Split(bytes.TrimRight(buf[:n], "\n"), []byte("\n"))
	for i := len(lines) - 1; i >= 0; i-- {
		var m map[string]any
		if json.Unmarshal(lines[i], &m) != nil {
			continue
		}
		stage, _ = m["stage"].(string)
		_, step, _ = stepOf(m)
		return stage, step
	}
	return "", 0
}

// stepKeys are the fields that give a metrics line its x coordinate, in
// order of preference.
var stepKeys = []string{"gstep", "env_steps", "step", "update"}

// stepOf returns the x field of a metrics line and its value.
func stepOf(m map[string]any) (string, float64, bool) {
	for _, k := range stepKeys {
		if v, ok := m[k].(float64); ok {
			return k, v, true
		}
	}
	return "", 0, false
}
