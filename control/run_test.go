package control

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/autodidact-rl/autodidact/checkpoint"
)

func TestRunRefusesAUsedDirectory(t *testing.T) {
	cfg := DefaultPPO("CartPole-v1")
	cfg.Steps = 1024
	// An LM run's files (or anything else) are never overwritten.
	for _, name := range []string{"config.yaml", "metrics.jsonl", "summary.json", "notes.txt"} {
		dir := t.TempDir()
		path := filepath.Join(dir, name)
		os.WriteFile(path, []byte("mine\n"), 0o644)
		_, err := RunPPO(cfg, dir, 1, nil)
		if err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("%s: got %v, want a refusal naming it", name, err)
		}
		if b, _ := os.ReadFile(path); string(b) != "mine\n" {
			t.Errorf("%s was overwritten", name)
		}
	}
	// A finished control run is not overwritten by another.
	dir := t.TempDir()
	if _, err := RunPPO(cfg, dir, 1, nil); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(filepath.Join(dir, "summary.json"))
	sac := DefaultSAC("Pendulum-v1")
	sac.Steps, sac.LearningStart, sac.Buffer = 200, 100, 1000
	if _, err := RunSAC(sac, dir, 1, nil); err == nil {
		t.Fatal("a second control run into a used directory must be refused")
	}
	if after, _ := os.ReadFile(filepath.Join(dir, "summary.json")); string(after) != string(before) {
		t.Fatal("summary.json was overwritten")
	}
	// A directory another writer holds is refused, naming the holder.
	locked := t.TempDir()
	l, err := checkpoint.LockDir(locked)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Unlock()
	_, err = RunPPO(cfg, locked, 1, nil)
	var le *checkpoint.LockedError
	if !errors.As(err, &le) || le.PID != os.Getpid() {
		t.Fatalf("locked directory: got %v, want a LockedError", err)
	}
}
