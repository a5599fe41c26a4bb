package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// TestControlResumeAfterKill: `control train` killed (SIGKILL) midway and
// continued with --resume ends with the metrics, policy and final return
// of a run never interrupted, byte for byte.
func TestControlResumeAfterKill(t *testing.T) {
	if testing.Short() {
		t.Skip("trains three times")
	}
	args := func(out string) []string {
		return []string{"control", "train", "--algo", "td3", "--smoke", "--env", "Pendulum-v1", "--steps", "2400",
			"--checkpoint-every", "300", "--eval-episodes", "2", "--threads", "1", "--out", out}
	}
	whole, killed := filepath.Join(t.TempDir(), "whole"), filepath.Join(t.TempDir(), "killed")
	if code, out, errs := runMain(t, nil, args(whole)...); code != 0 {
		t.Fatalf("uninterrupted run: exit %d\n%s%s", code, out, errs)
	}
	cmd := exec.Command(os.Args[0], append([]string{"-test.run=^$", "--"}, args(killed)...)...)
	cmd.Env = append(os.Environ(), "AUTODIDACT_CLI_MAIN=1")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Kill it once the second checkpoint is out and metrics have moved on.
	deadline := time.Now().Add(2 * time.Minute)
	var first time.Time
	for {
		if st, err := os.Stat(filepath.Join(killed, "state.gob")); err == nil {
			if first.IsZero() {
				first = st.ModTime()
			} else if st.ModTime() != first {
				time.Sleep(30 * time.Millisecond)
				break
			}
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatal("no second checkpoint within 2 minutes")
		}
		time.Sleep(5 * time.Millisecond)
	}
	cmd.Process.Kill()
	cmd.Wait()
	if _, err := os.Stat(filepath.Join(killed, "summary.json")); err == nil {
		t.Fatal("the run finished before it was killed; nothing was tested")
	}
	if code, out, errs := runMain(t, nil, "control", "train", "--resume", killed, "--eval-episodes", "2", "--threads", "1"); code != 0 {
		t.Fatalf("resume: exit %d\n%s%s", code, out, errs)
	}
	for _, f := range []string{"metrics.jsonl", "policy.safetensors"} {
		a, _ := os.ReadFile(filepath.Join(whole, f))
		b, _ := os.ReadFile(filepath.Join(killed, f))
		if len(a) == 0 || !bytes.Equal(a, b) {
			t.Fatalf("%s differs after kill and resume (%d vs %d bytes)", f, len(a), len(b))
		}
	}
	sa, _ := os.ReadFile(filepath.Join(whole, "summary.json"))
	sb, _ := os.ReadFile(filepath.Join(killed, "summary.json"))
	if !bytes.Equal(finalReturnLine(sa), finalReturnLine(sb)) || len(finalReturnLine(sa)) == 0 {
		t.Fatalf("final returns differ:\n%s\n%s", sa, sb)
	}
}

// finalReturnLine is the "final_return" line of a summary.json.
func finalReturnLine(b []byte) []byte {
	for _, l := range bytes.Split(b, []byte("\n")) {
		if bytes.Contains(l, []byte(`"final_return"`)) {
			return l
		}
	}
	return nil
}
