package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestREADMECommands runs scripts/readme_check.sh: every ```sh command of
// README.md, in order, shrunk to seconds, against a binary built from this
// checkout. It takes about a minute, so it runs only with
// AUTODIDACT_README_CHECK=1 and never under -short.
func TestREADMECommands(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the README's commands (about a minute)")
	}
	if os.Getenv("AUTODIDACT_README_CHECK") != "1" {
		t.Skip("set AUTODIDACT_README_CHECK=1 to run the README's commands")
	}
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("no bash")
	}
	bin := filepath.Join(t.TempDir(), "autodidact")
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	cmd := exec.Command("bash", filepath.Join("..", "..", "scripts", "readme_check.sh"), filepath.Join("..", "..", "README.md"))
	cmd.Env = append(os.Environ(), "AUTODIDACT="+bin)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("README commands: %v\n%s", err, out)
	}
	t.Logf("%s", out)
}
