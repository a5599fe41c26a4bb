package checkpoint

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLockDirRefusesASecondWriter(t *testing.T) {
	dir := t.TempDir()
	l, err := LockDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	_, err = LockDir(dir)
	var le *LockedError
	if !errors.As(err, &le) || le.PID != os.Getpid() || !strings.Contains(err.Error(), "process") {
		t.Fatalf("second lock: got %v, want a *LockedError naming pid %d", err, os.Getpid())
	}
	if err := l.Unlock(); err != nil {
		t.Fatal(err)
	}
	l2, err := LockDir(dir)
	if err != nil {
		t.Fatalf("lock after unlock: %v", err)
	}
	l2.Unlock()
}

func TestLoadDetectsCorruptTensors(t *testing.T) {
	root := t.TempDir()
	m := smallModel(t)
	dir, err := Save(root, m, nil, State{Step: 1})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, ModelFile)
	data, _ := os.ReadFile(path)
	data[len(data)-1] ^= 0x40 // a flipped bit in the last weight: still a valid file
	os.WriteFile(path, data, 0o644)
	if _, err := Load(dir, m, nil); err == nil || !strings.Contains(err.Error(), "SHA-256") || !strings.Contains(err.Error(), ModelFile) {
		t.Fatalf("want a checksum error naming %s, got %v", ModelFile, err)
	}
}

func TestPruneKeepsWhatItIsTold(t *testing.T) {
	root := t.TempDir()
	m := smallModel(t)
	for _, s := range []int{1, 2, 3, 4, 5} {
		if _, err := Save(root, m, nil, State{Step: s}); err != nil {
			t.Fatal(err)
		}
	}
	os.MkdirAll(filepath.Join(root, ".del-step-00000009"), 0o755) // an interrupted prune
	if err := Prune(root, func(s int) bool { return s == 2 || s >= 4 }); err != nil {
		t.Fatal(err)
	}
	dirs, _ := List(root)
	var got []string
	for _, d := range dirs {
		got = append(got, filepath.Base(d))
	}
	if strings.Join(got, ",") != "step-00000005,step-00000004,step-00000002" {
		t.Fatalf("after prune: %v", got)
	}
	if ents, _ := os.ReadDir(root); len(ents) != 4 { // three checkpoints and latest
		t.Fatalf("leftovers in %s: %v", root, ents)
	}
	if err := Prune(root, func(int) bool { return false }); err == nil {
		t.Fatal("pruning every checkpoint must be refused")
	}
	if dirs, _ := List(root); len(dirs) != 3 {
		t.Fatalf("a refused prune deleted checkpoints: %v", dirs)
	}
	// latest is repointed when it named a pruned checkpoint.
	if err := Prune(root, func(s int) bool { return s == 2 }); err != nil {
		t.Fatal(err)
	}
	if d, err := Latest(root); err != nil || filepath.Base(d) != "step-00000002" {
		t.Fatalf("Latest after prune = %s, %v", d, err)
	}
}
